//! Links: IP literals, punycode, shorteners and open redirects (Safe Links and common
//! redirectors are unwrapped without fetching anything), free hosting and file-share lures,
//! suspicious TLDs, brand names and lookalikes in hosts, credentials in the URL.

use std::sync::LazyLock;

use foldhash::HashSetExt;
use memchr::memmem::Finder;
use url::Url;

use super::identity::brand_token_in;
use super::lookalike::lookalike_of_brand;
use crate::context::Ctx;
use crate::text::{quote, registrable_domain};

const SHORTENERS: &[&str] = &[
    "bit.ly",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "rebrand.ly",
    "cutt.ly",
    "rb.gy",
    "shorturl.at",
    "t.ly",
    "s.id",
    "tiny.cc",
    "bl.ink",
    "lnkd.in",
    "qrco.de",
    "urlz.fr",
    "v.gd",
    "shorte.st",
    "adf.ly",
    "bit.do",
    "x.co",
    "soo.gd",
    "tr.im",
    "clck.ru",
    "u.to",
    "2no.co",
    "gg.gg",
    "shrtco.de",
    "tiny.one",
    "han.gl",
    "me-qr.com",
    "linktr.ee",
];

pub const FREE_HOSTING: &[&str] = &[
    "firebaseapp.com",
    "web.app",
    "weebly.com",
    "wixsite.com",
    "000webhostapp.com",
    "github.io",
    "netlify.app",
    "vercel.app",
    "pages.dev",
    "workers.dev",
    "r2.dev",
    "glitch.me",
    "repl.co",
    "herokuapp.com",
    "azurewebsites.net",
    "blogspot.com",
    "forms.gle",
    "ipfs.io",
    "dweb.link",
    "fleek.co",
    "webflow.io",
    "square.site",
    "godaddysites.com",
    "mystrikingly.com",
    "jimdosite.com",
    "yolasite.com",
    "ngrok.io",
    "ngrok-free.app",
    "trycloudflare.com",
    "surge.sh",
    "framer.app",
    "framer.website",
    "notion.site",
    "canva.site",
    "typedream.app",
    "weeblysite.com",
    "wcomhost.com",
    "translate.goog",
    "sites.google.com",
    "carrd.co",
    "mailchimpsites.com",
    "ddns.net",
    "duckdns.org",
    "no-ip.org",
    "hopto.org",
    "zapto.org",
    "servehttp.com",
    "myftp.org",
    "lovable.app",
    "glide.page",
    "gitbook.io",
    "appspot.com",
];

/// Storage buckets (matched on the full host).
const BUCKET_HOSTS: &[&str] = &[
    "storage.googleapis.com",
    "firebasestorage.googleapis.com",
    "blob.core.windows.net",
    "s3.amazonaws.com",
    "digitaloceanspaces.com",
    "docs.google.com/forms",
];

/// Searchers for the storage hosts and IPFS gateways' `/ipfs/` anywhere in a (lower-cased)
/// link, built once: `str::contains` builds its searcher again at every call, and the seven
/// of them on every link were a fifth of this family's own time.
static BUCKET_IN_LINK: LazyLock<Vec<Finder<'static>>> = LazyLock::new(|| {
    BUCKET_HOSTS
        .iter()
        .chain(&["/ipfs/"])
        .map(|b| Finder::new(b.as_bytes()))
        .collect()
});

const FILE_SHARE: &[&str] = &[
    "dropbox.com",
    "wetransfer.com",
    "we.tl",
    "1drv.ms",
    "sharepoint.com",
    "mega.nz",
    "mediafire.com",
    "box.com",
    "sendspace.com",
    "transfernow.net",
    "filemail.com",
    "smash.gg",
    "4shared.com",
    "zippyshare.com",
];

/// Top-level domains with the highest abuse rates in public reports (Spamhaus, Interisle):
/// cheap, bulk-registered, throw-away. Broad business endings (.pro, .club, .life...) are left out.
pub const SUSPICIOUS_TLDS: &[&str] = &[
    "click",
    "shop",
    "live",
    "online",
    "xyz",
    "top",
    "cfd",
    "best",
    "beauty",
    "sbs",
    "icu",
    "buzz",
    "rest",
    "monster",
    "quest",
    "lol",
    "cyou",
    "gq",
    "tk",
    "ml",
    "cf",
    "ga",
    "zip",
    "mov",
    "work",
    "site",
    "store",
    "pw",
    "cam",
    "bond",
    "hair",
    "skin",
    "makeup",
    "boats",
    "autos",
    "yachts",
    "motorcycles",
    "mom",
    "bar",
    "loan",
    "win",
    "bid",
    "racing",
    "download",
    "stream",
    "gdn",
    "men",
    "date",
    "faith",
    "review",
    "party",
    "trade",
    "accountant",
    "cricket",
    "science",
    "su",
];

/// The host of a URL, lower-cased (None for mailto:, tel:, cid:, fragments, junk).
pub fn host_of(u: &str) -> Option<String> {
    let u = u.trim();
    match Url::parse(u) {
        Ok(p) => web_host(&p),
        Err(_) => www_host(u),
    }
}

/// The host of a parsed URL with a web scheme (http, https, ftp), lower-cased.
fn web_host(u: &Url) -> Option<String> {
    if !matches!(u.scheme(), "http" | "https" | "ftp") {
        return None;
    }
    u.host_str()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
}

/// The host of a scheme-less "www." address, read as http.
fn www_host(u: &str) -> Option<String> {
    if !u.starts_with("www.") {
        return None;
    }
    Url::parse(&format!("http://{u}"))
        .ok()
        .and_then(|p| web_host(&p))
}

/// True when `host` is `domain` or one of its sub-domains (without building ".domain").
pub fn host_within(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

fn embedded_target(u: &Url) -> Option<String> {
    let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
    // urldefense v3: https://urldefense.com/v3/__https://x.example/__;!!...
    if host.ends_with("urldefense.com") {
        let p = u.path();
        if let Some(rest) = p.strip_prefix("/v3/__") {
            return rest.split("__").next().map(str::to_string);
        }
    }
    // Only pairs whose value could be a URL are decoded: it says "http" or is percent-encoded
    // (tracking links carry dozens of other parameters).
    let pairs = u.query().unwrap_or_default().split('&').take(64);
    let candidates = pairs.filter(|p| {
        let v = p.split_once('=').map_or("", |(_, v)| v).as_bytes();
        v.contains(&b'%') || v.windows(4).any(|w| w.eq_ignore_ascii_case(b"http"))
    });
    for pair in candidates {
        let Some((k, v)) = url::form_urlencoded::parse(pair.as_bytes()).next() else {
            continue;
        };
        let k = k.to_ascii_lowercase();
        let v = v.trim();
        let known = matches!(
            k.as_str(),
            "url"
                | "q"
                | "u"
                | "target"
                | "redirect"
                | "redirect_uri"
                | "redir"
                | "dest"
                | "destination"
                | "link"
                | "goto"
                | "next"
                | "r"
                | "continue"
                | "return"
                | "returnurl"
                | "to"
        );
        let lv = v.to_ascii_lowercase();
        if (lv.starts_with("http://") || lv.starts_with("https://")) && (known || v.len() > 10) {
            return Some(v.to_string());
        }
        if host.ends_with("urldefense.proofpoint.com") && k == "u" {
            return Some(v.replace('-', "%").replace('_', "/"));
        }
    }
    None
}

/// Follows Safe Links and redirectors embedded in a URL (up to three levels), offline.
pub fn unwrap_url(u: &str) -> String {
    unwrap_chain(u).pop().unwrap_or_default()
}

/// The URL and every URL embedded in it, outermost first (at most four).
pub fn unwrap_chain(u: &str) -> Vec<String> {
    unwrap_parsed(u).into_iter().map(|(s, _)| s).collect()
}

/// [`unwrap_chain`] with each URL's strict parse, so that callers do not parse again.
fn unwrap_parsed(u: &str) -> Vec<(String, Option<Url>)> {
    let first = u.trim().to_string();
    let parsed = Url::parse(&first).ok();
    let mut chain = vec![(first, parsed)];
    for _ in 0..3 {
        let Some((_, Some(cur))) = chain.last() else {
            break;
        };
        match embedded_target(cur) {
            Some(t) if !chain.iter().any(|(c, _)| *c == t) => {
                let p = Url::parse(&t).ok();
                chain.push((t, p));
            }
            _ => break,
        }
    }
    chain
}

/// The host of one chain element: from its strict parse, else as a "www." address.
fn chain_host((s, p): &(String, Option<Url>)) -> Option<String> {
    match p {
        Some(p) => web_host(p),
        None => www_host(s),
    }
}

fn is_safelinks(host: &str) -> bool {
    host.ends_with("safelinks.protection.outlook.com")
        || host.ends_with("urldefense.com")
        || host.ends_with("urldefense.proofpoint.com")
}

pub fn analyze(ctx: &mut Ctx<'_>) {
    // Every URL embedded in a link (redirectors, Safe Links) is judged as well as the link.
    let mut links = Vec::new();
    let originals = std::mem::take(&mut ctx.links);
    // A link repeated (newsletters repeat theirs) could only repeat its first occurrence's
    // signals, and a signal is raised once: each is judged once. The set hashes whole URLs
    // with foldhash (SipHash on long tracking links was a sixth of this family's time); its
    // seed is random per process, so colliding links cannot be planned.
    let mut seen_links = foldhash::HashSet::with_capacity(originals.len());
    for l in &originals {
        if !seen_links.insert((l.url.as_str(), l.source)) {
            continue;
        }
        let chain = unwrap_parsed(&l.url);
        if let (Some(first), Some(last)) = (chain.first(), chain.last())
            && let (Some(w), Some(t)) = (chain_host(first), chain_host(last))
            && chain.len() > 1
            && !is_safelinks(&w)
            && registrable_domain(&w) != registrable_domain(&t)
        {
            let where_ = l.source.words();
            ctx.add(
                "links.redirector",
                format!("a link {where_} passes through {w} to reach {}", quote(&t)),
            );
        }
        for (i, c) in chain.into_iter().enumerate() {
            let host = chain_host(&c);
            let wrapper = i == 0 && host.as_deref().is_some_and(is_safelinks);
            if !wrapper && let Some(host) = host {
                links.push((c.0, c.1, host, l.source));
            }
        }
    }
    ctx.links = originals;
    // Newsletters send dozens of links to one host: what depends on the host alone is checked
    // at its first link (a signal is raised once per message, with its first evidence, so the
    // later links of that host could add nothing).
    let mut seen_hosts = foldhash::HashSet::with_capacity(links.len());
    let mut seen_domains = foldhash::HashSet::with_capacity(links.len());
    for (target, parsed, host, source) in &links {
        let (host, source) = (host.as_str(), *source);
        let where_ = source.words();
        let lower = target.to_ascii_lowercase();
        if BUCKET_IN_LINK
            .iter()
            .any(|f| f.find(lower.as_bytes()).is_some())
        {
            ctx.add(
                "links.free_hosting",
                format!("a link {where_} leads to a free hosting or storage site ({host})"),
            );
        }
        if let Some(u) = parsed {
            if !u.username().is_empty() {
                ctx.add(
                    "links.userinfo",
                    format!("a link {where_} hides its real host after an @ ({host})"),
                );
            }
            if let Some(p) = u.port()
                && p != 80
                && p != 443
            {
                ctx.add(
                    "links.odd_port",
                    format!("a link {where_} uses the unusual port {p} on {host}"),
                );
            }
        }
        if source == crate::context::LinkSource::Qr {
            ctx.add("qr.link", format!("a QR code leads to {}", quote(host)));
        }
        if !seen_hosts.insert(host) {
            continue;
        }
        let reg = registrable_domain(host);
        if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
            ctx.add(
                "links.ip_literal",
                format!("a link {where_} points to a bare IP address ({host})"),
            );
        }
        if host.split('.').any(|p| p.starts_with("xn--")) {
            let (uni, _) = idna::domain_to_unicode(host);
            ctx.add("links.punycode", format!("a link {where_} uses an internationalised look-alike host ({host} shows as {})", quote(&uni)));
        }
        if SHORTENERS.contains(&reg.as_str()) || SHORTENERS.contains(&host) {
            ctx.add(
                "links.shortener",
                format!("a link {where_} hides its destination behind the shortener {host}"),
            );
        }
        if FREE_HOSTING.iter().any(|d| host_within(host, d))
            || BUCKET_HOSTS.iter().any(|b| host.ends_with(b))
        {
            ctx.add(
                "links.free_hosting",
                format!("a link {where_} leads to a free hosting or storage site ({host})"),
            );
        }
        if FILE_SHARE.iter().any(|d| reg == *d) {
            ctx.add(
                "links.file_share",
                format!("a link {where_} leads to a file-sharing site ({host})"),
            );
        }
        let tld = host.rsplit('.').next().unwrap_or_default();
        if SUSPICIOUS_TLDS.contains(&tld) {
            ctx.add("links.suspicious_tld", format!("a link {where_} uses the .{tld} domain ending, common in throw-away sites ({host})"));
        }
        if let Some(b) = brand_token_in(host) {
            ctx.add(
                "links.brand_in_host",
                format!(
                    "a link {where_} puts the name {} in a host it does not own ({host})",
                    b.name
                ),
            );
        } else if seen_domains.insert(reg.clone())
            && let Some(b) = lookalike_of_brand(&reg)
        {
            ctx.add(
                "links.lookalike_host",
                format!("a link {where_} goes to {reg}, a look-alike of {b}"),
            );
        }
        if host.split('.').count() >= 6 {
            ctx.add(
                "links.deep_subdomains",
                format!(
                    "a link {where_} uses a long chain of sub-domains ({})",
                    quote(host)
                ),
            );
        }
    }
}
