//! Sender identity: what the display name claims versus the address (brands, other addresses,
//! executives), freemail senders claiming a company, Reply-To tricks, lookalike domains of the
//! tenant, its partners and common brands, disguised names, first contact.

use super::brands::{BRANDS, Brand, is_freemail};
use super::lookalike::{lookalike_of, lookalike_of_brand};
use crate::context::Ctx;
use crate::text::{contains_word, domain_label, fold, quote, registrable_domain};

/// True when `reg` (a registrable domain) belongs to `brand`.
pub fn brand_owns(brand: &Brand, reg: &str) -> bool {
    if brand
        .domains
        .iter()
        .any(|d| super::links::host_within(reg, d))
    {
        return true;
    }
    let label = domain_label(reg);
    brand
        .names
        .iter()
        .any(|n| !n.contains(' ') && n.len() >= 4 && label == *n)
        || brand.tokens.contains(&label)
}

/// The brand a display name (or subject) claims, if any.
pub fn claimed_brand(text: &str) -> Option<(&'static Brand, &'static str)> {
    let f = fold(text);
    let (ac, index) = BRAND_NAMES.as_ref()?;
    let b = f.as_bytes();
    let mut best: Option<(usize, usize)> = None;
    for m in ac.find_overlapping_iter(&f) {
        let (s, e) = (m.start(), m.end());
        let left = s == 0 || !b[s - 1].is_ascii_alphanumeric();
        let right = e >= b.len() || !b[e].is_ascii_alphanumeric();
        if left && right {
            let at = index[m.pattern().as_usize()];
            best = Some(best.map_or(at, |x: (usize, usize)| x.min(at)));
        }
    }
    best.map(|(bi, ni)| (&BRANDS[bi], BRANDS[bi].names[ni]))
}

/// Every brand name in one automaton, with (brand index, name index) per pattern: one pass
/// over a display name instead of one search per name.
/// (automaton over every brand name, (brand index, name index) per pattern)
type NameIndex = (aho_corasick::AhoCorasick, Vec<(usize, usize)>);

static BRAND_NAMES: std::sync::LazyLock<Option<NameIndex>> = std::sync::LazyLock::new(|| {
    let mut pats = Vec::new();
    let mut index = Vec::new();
    for (bi, b) in BRANDS.iter().enumerate() {
        for (ni, n) in b.names.iter().enumerate() {
            pats.push(*n);
            index.push((bi, ni));
        }
    }
    aho_corasick::AhoCorasick::new(&pats)
        .ok()
        .map(|ac| (ac, index))
});

/// Distinctive brand tokens (five letters or more) in one automaton, with the brand index and
/// token per pattern: one pass over a host finds the few brands [`brand_token_in`] must check.
type TokenIndex = (aho_corasick::AhoCorasick, Vec<(usize, &'static str)>);

static BRAND_TOKENS: std::sync::LazyLock<Option<TokenIndex>> = std::sync::LazyLock::new(|| {
    let toks: Vec<(usize, &'static str)> = BRANDS
        .iter()
        .enumerate()
        .flat_map(|(bi, b)| b.tokens.iter().map(move |t| (bi, *t)))
        .filter(|(_, t)| t.len() >= 5)
        .collect();
    aho_corasick::AhoCorasick::new(toks.iter().map(|(_, t)| t))
        .ok()
        .map(|ac| (ac, toks))
});

/// A brand whose distinctive token appears inside `host` without the brand owning it (the
/// first such brand in the order of [`BRANDS`]).
pub fn brand_token_in(host: &str) -> Option<&'static Brand> {
    let (ac, toks) = BRAND_TOKENS.as_ref()?;
    let mut reg: Option<String> = None;
    let mut best: Option<usize> = None;
    for m in ac.find_overlapping_iter(host) {
        let (bi, token) = toks[m.pattern().as_usize()];
        if best.is_some_and(|b| b <= bi) || !token_at_boundary(host, token) {
            continue;
        }
        let reg = reg.get_or_insert_with(|| registrable_domain(host));
        if !brand_owns(&BRANDS[bi], reg) {
            best = Some(bi);
        }
    }
    best.map(|bi| &BRANDS[bi])
}

/// `token` inside `host` delimited by label or hyphen boundaries (both sides, or one side for
/// long tokens): "updates-ledger.com" and "microsoftonline-verify.com" count, "shagmail.com"
/// does not count for "gmail".
fn token_at_boundary(host: &str, token: &str) -> bool {
    let b = host.as_bytes();
    let mut from = 0;
    while let Some(i) = host[from..].find(token) {
        let s = from + i;
        let e = s + token.len();
        let left = s == 0 || b[s - 1] == b'.' || b[s - 1] == b'-';
        let right = e == b.len() || b[e] == b'.' || b[e] == b'-';
        if (left && right) || (token.len() >= 7 && (left || right)) {
            return true;
        }
        from = s + 1;
    }
    false
}

fn has_invisible_or_styled(s: &str) -> bool {
    s.chars()
        .any(|c| crate::text::is_invisible(c) || crate::text::is_math_alnum(c))
}

/// A word mixing Latin letters with Cyrillic or Greek lookalikes ("Pаypal" with a Cyrillic а).
pub fn mixed_script_word(s: &str) -> Option<String> {
    for w in s.split(|c: char| !c.is_alphanumeric()) {
        let latin = w.chars().any(|c| c.is_ascii_alphabetic());
        let other = w.chars().any(|c| {
            ('\u{0370}'..='\u{03FF}').contains(&c)
                || ('\u{0400}'..='\u{04FF}').contains(&c)
                || ('\u{0530}'..='\u{058F}').contains(&c)
                || ('\u{13A0}'..='\u{13FF}').contains(&c)
                || ('\u{1D00}'..='\u{1DBF}').contains(&c)
        });
        if latin && other {
            return Some(w.to_string());
        }
    }
    None
}

fn looks_random(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    if l.len() < 8 || l.contains('-') {
        return false;
    }
    let mut transitions = 0;
    let mut prev_digit = None;
    let mut consonant_run = 0;
    let mut max_run = 0;
    for c in l.chars() {
        let d = c.is_ascii_digit();
        if let Some(p) = prev_digit
            && p != d
        {
            transitions += 1;
        }
        prev_digit = Some(d);
        if c.is_ascii_alphabetic() && !"aeiouy".contains(c) {
            consonant_run += 1;
            max_run = max_run.max(consonant_run);
        } else {
            consonant_run = 0;
        }
    }
    transitions >= 3 || max_run >= 6
}

/// Default host names that hosting and cloud providers give rented machines.
const SERVER_HOST_SUFFIXES: &[&str] = &[
    "compute.amazonaws.com",
    "compute-1.amazonaws.com",
    "cloudapp.azure.com",
    "cloudapp.net",
    "bc.googleusercontent.com",
    "vultrusercontent.com",
    "ip.linodeusercontent.com",
    "members.linode.com",
    "contaboserver.net",
    "your-server.de",
    "secureserver.net",
    "hostwindsdns.com",
    "vps.ovh.net",
    "vps.ovh.ca",
    "ip-ptr.tech",
];

/// Why `domain` (the sender's full domain) looks like a rented server's host name rather than
/// an organisation's mail domain: a provider's default host name, a label spelling an IP
/// address ("ip-10-0-0-1", "203-0-113-7"), or a numbered machine label ("vps-f44897b3",
/// "srv123", "server01", "static-1234"). Organisations send from their own domain; mail from
/// a machine's name comes from a script on a rented box.
pub fn server_host(domain: &str) -> Option<&'static str> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    if SERVER_HOST_SUFFIXES
        .iter()
        .any(|s| super::links::host_within(&domain, s))
    {
        return Some("a hosting provider's default machine name");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    // The registrable part names the organisation; only the labels before it are machines.
    let machine_labels = &labels[..labels.len().saturating_sub(2)];
    for l in machine_labels {
        let groups: Vec<&str> = l
            .trim_start_matches("ip-")
            .trim_start_matches("ec2-")
            .split('-')
            .collect();
        if groups.len() == 4
            && groups
                .iter()
                .all(|g| !g.is_empty() && g.len() <= 3 && g.bytes().all(|b| b.is_ascii_digit()))
        {
            return Some("named after an IP address");
        }
        if *l == "vps" || *l == "vds" {
            return Some("a virtual server");
        }
        for prefix in ["vps", "vds", "srv", "server", "static", "dedi"] {
            if let Some(rest) = l.strip_prefix(prefix) {
                let rest = rest.trim_start_matches(['-', '_']);
                if !rest.is_empty()
                    && rest.bytes().any(|b| b.is_ascii_digit())
                    && rest.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
                {
                    return Some("a numbered machine");
                }
            }
        }
    }
    None
}

const COMPANY_WORDS: &[&str] = &[
    "support",
    "team",
    "service",
    "services",
    "department",
    "helpdesk",
    "billing",
    "security",
    "bank",
    "inc",
    "ltd",
    "llc",
    "gmbh",
    "corp",
    "company",
    "customer",
    "account",
    "official",
    "administrator",
    "admin",
    "notification",
    "payroll",
    "finance",
    "hr",
    "accounts payable",
];

pub fn analyze(ctx: &mut Ctx<'_>) {
    let Some(from) = ctx.mail.from.clone() else {
        ctx.add(
            "identity.no_sender_address",
            "the message has no From address",
        );
        return;
    };
    if from.address.is_empty() || from.domain.is_empty() {
        ctx.add(
            "identity.no_sender_address",
            format!(
                "the From header has no usable address (name \"{}\")",
                quote(&from.name)
            ),
        );
    }
    if ctx.mail.from_malformed {
        ctx.add(
            "identity.malformed_from",
            format!("the From header is malformed, so mail programs may show a different sender than {}", from.address),
        );
    }
    let reg = registrable_domain(&from.domain);
    let name = from.name.clone();
    let fname = fold(&name);
    let own = |d: &str| {
        ctx.cfg
            .accepted_domains
            .iter()
            .any(|a| registrable_domain(a) == registrable_domain(d))
    };
    let from_is_tenant = !reg.is_empty() && own(&reg);

    // Brand in the display name, address elsewhere.
    // A name that also carries the sender's own domain name ("Lockergnome Apple news" from
    // lockergnome.com) identifies the real sender; the brand is a topic, not a claim.
    let names_own_domain = {
        let label = domain_label(&reg).replace('-', "");
        label.len() >= 4 && fname.replace([' ', '-', '\''], "").contains(&label)
    };
    if let Some((brand, said)) = claimed_brand(&name)
        && !brand_owns(brand, &reg)
        && !from_is_tenant
        && !names_own_domain
    {
        let at = if from.domain.is_empty() {
            "no usable address".to_string()
        } else {
            format!("the address is at {}", from.domain)
        };
        ctx.add(
            "identity.brand_name_mismatch",
            format!("the name says {} (\"{}\") but {at}", brand.name, said),
        );
    }

    // A brand's own address whose replies go elsewhere (spoofed brand mail).
    if let Some((brand, _)) = claimed_brand(&name)
        && brand_owns(brand, &reg)
        && let Some(rt) = ctx.mail.reply_to.first()
    {
        let rt_reg = registrable_domain(&rt.domain);
        if !rt_reg.is_empty() && !brand_owns(brand, &rt_reg) {
            let d = format!(
                "mail signed {} from {} sends replies to {}",
                brand.name, from.address, rt.address
            );
            ctx.add("identity.brand_reply_elsewhere", d);
        }
    }

    // Another address inside the display name.
    if name.contains('@') {
        let recips: Vec<String> = ctx.mail.recipients().map(|r| r.address.clone()).collect();
        let mut other = None;
        for tok in name.split(|c: char| c.is_whitespace() || "<>()\"',;".contains(c)) {
            if let Some((l, d)) = tok.split_once('@') {
                if l.is_empty() || !d.contains('.') {
                    continue;
                }
                let tok_l = tok.to_ascii_lowercase();
                if recips
                    .iter()
                    .any(|r| !r.is_empty() && tok_l.starts_with(r.as_str()))
                {
                    ctx.add(
                        "identity.recipient_in_name",
                        format!("the sender's name contains the recipient's own address ({tok})"),
                    );
                    continue;
                }
                let d_reg = registrable_domain(d.trim_end_matches(|c: char| !c.is_alphanumeric()));
                if d_reg != reg {
                    other = Some(tok.to_string());
                }
            }
        }
        if let Some(o) = other {
            ctx.add(
                "identity.name_has_other_address",
                format!(
                    "the name shows the address {} but the mail is from {}",
                    quote(&o),
                    from.address
                ),
            );
        }
    }

    // Disguised names: invisible characters, styled letters, mixed scripts.
    if has_invisible_or_styled(&name) {
        ctx.add(
            "identity.name_obfuscated",
            format!(
                "the sender's name hides its letters with invisible or styled characters (\"{}\")",
                quote(&fname)
            ),
        );
    } else if let Some(w) = mixed_script_word(&name) {
        ctx.add(
            "identity.name_obfuscated",
            format!(
                "the sender's name mixes alphabets to look like another word (\"{}\")",
                quote(&w)
            ),
        );
    }

    // Decorated names: emoji and pictographs ("✔️ Your parcel").
    if name
        .chars()
        .any(|c| ('\u{2600}'..='\u{27BF}').contains(&c) || ('\u{1F000}'..='\u{1FAFF}').contains(&c))
    {
        ctx.add(
            "identity.name_decorated",
            format!(
                "the sender's name is decorated with symbols (\"{}\")",
                quote(&name)
            ),
        );
    }

    // Mass mail to hidden recipients.
    if ctx.mail.to.is_empty() && ctx.mail.cc.is_empty() {
        ctx.add(
            "identity.undisclosed_recipients",
            "the message names no recipient (sent to undisclosed recipients)",
        );
    }

    // Freemail claiming a company.
    if is_freemail(&reg)
        && let Some(w) = COMPANY_WORDS.iter().find(|w| contains_word(&fname, w))
    {
        ctx.add(
                "identity.freemail_company_claim",
                format!("the name \"{}\" claims an organisation (\"{w}\") but the address is a free mailbox at {reg}", quote(&name)),
            );
    }

    // VIP / staff impersonation.
    for vip in &ctx.cfg.vips {
        let vf = fold(&vip.name);
        if vf.len() < 3 {
            continue;
        }
        let parts: Vec<&str> = vf.split(' ').filter(|p| p.len() > 1).collect();
        let name_match =
            fname == vf || (parts.len() >= 2 && parts.iter().all(|p| contains_word(&fname, p)));
        if name_match
            && !vip
                .addresses
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&from.address))
        {
            let freemail = if is_freemail(&reg) {
                " (a free mailbox)"
            } else {
                ""
            };
            ctx.add(
                "identity.vip_impersonation",
                format!(
                    "the name is {}'s, but the address {}{freemail} is not one of theirs",
                    vip.name, from.address
                ),
            );
            break;
        }
    }

    // Reply-To tricks.
    if let Some(rt) = ctx.mail.reply_to.first().cloned() {
        let rt_reg = registrable_domain(&rt.domain);
        if !rt_reg.is_empty() && rt_reg != reg {
            if is_freemail(&rt_reg) && !is_freemail(&reg) {
                ctx.add(
                    "identity.reply_to_freemail",
                    format!(
                        "replies go to a free mailbox ({}) instead of the sender at {}",
                        rt.address, reg
                    ),
                );
            } else if is_freemail(&rt_reg) {
                // One free mailbox to write from, another provider's to read the answers: the
                // sending account is disposable, the reply address is the one kept.
                ctx.add(
                    "identity.reply_to_freemail",
                    format!(
                        "the sender writes from a free mailbox at {reg} but replies go to another \
                         provider's ({})",
                        rt.address
                    ),
                );
            } else {
                ctx.add(
                    "identity.reply_to_other_domain",
                    format!(
                        "replies go to {} rather than the sender's domain {}",
                        rt.address, reg
                    ),
                );
            }
        }
    }
    if let Some(rp) = ctx.mail.return_path.clone()
        && let Some(d) = crate::text::address_domain(&rp)
    {
        let rp_reg = registrable_domain(&d);
        if rp_reg != reg && !reg.is_empty() && is_freemail(&rp_reg) {
            ctx.add(
                "identity.return_path_freemail",
                format!("bounces go to a free mailbox ({rp}) while the mail claims {reg}"),
            );
        }
    }

    // Mail "from" the recipient themself.
    if !from.address.is_empty() && ctx.mail.to.iter().any(|t| t.address == from.address) {
        ctx.add(
            "identity.from_is_recipient",
            format!(
                "the message claims to come from the recipient's own address ({})",
                from.address
            ),
        );
    }

    if reg.is_empty() {
        return;
    }
    // Lookalike domains: the tenant's, its partners', the brands'.
    let tenant = ctx.cfg.accepted_domains.clone();
    let partners = ctx.cfg.partner_domains.clone();
    if !from_is_tenant {
        if let Some(t) = lookalike_of(&reg, tenant.iter().map(String::as_str)) {
            ctx.add(
                "identity.lookalike_tenant_domain",
                format!("the sender's domain {reg} imitates your own domain {t}"),
            );
        } else if let Some(p) = lookalike_of(&reg, partners.iter().map(String::as_str)) {
            ctx.add(
                "identity.lookalike_partner_domain",
                format!("the sender's domain {reg} imitates the partner domain {p}"),
            );
        } else if let Some(b) = lookalike_of_brand(&reg) {
            ctx.add(
                "identity.lookalike_brand_domain",
                format!("the sender's domain {reg} imitates {b}"),
            );
        }
    }
    if from.domain.split('.').any(|l| l.starts_with("xn--")) {
        ctx.add(
            "identity.punycode_domain",
            format!("the sender's domain {} is written in punycode", from.domain),
        );
    }
    if let Some(b) = brand_token_in(&from.domain) {
        ctx.add(
            "identity.brand_in_sender_domain",
            format!(
                "the sender's domain {} borrows the name {} but does not belong to it",
                from.domain, b.name
            ),
        );
    }
    if super::links::FREE_HOSTING
        .iter()
        .any(|d| super::links::host_within(&from.domain, d))
    {
        ctx.add(
            "identity.sender_free_hosting",
            format!(
                "the mail comes from a free hosting platform's domain ({})",
                from.domain
            ),
        );
    }
    let tld = reg.rsplit('.').next().unwrap_or_default();
    if super::links::SUSPICIOUS_TLDS.contains(&tld) {
        ctx.add(
            "identity.sender_suspicious_tld",
            format!(
                "the sender's domain {reg} uses the .{tld} ending, common in throw-away domains"
            ),
        );
    }
    if let Some(why) = server_host(&from.domain) {
        ctx.add(
            "identity.sender_server_host",
            format!(
                "the mail comes from a server's own host name ({}, {why}), not from an \
                 organisation's domain",
                from.domain
            ),
        );
    }
    if looks_random(domain_label(&reg)) {
        ctx.add(
            "identity.random_sender_domain",
            format!("the sender's domain {reg} looks machine-generated"),
        );
    }

    // First contact.
    if let Some(ks) = &ctx.cfg.known_senders
        && !from_is_tenant
        && !ks.is_known(&from.address)
    {
        ctx.add(
            "identity.first_contact",
            format!("first message ever from {}", from.address),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The automaton finds the brand a scan of every brand's tokens finds, on hosts made of
    /// tokens at and off label boundaries, on the brands' own domains and on plain names.
    #[test]
    fn brand_tokens_are_found_as_a_scan_of_every_brand_finds_them() {
        let scan = |host: &str| {
            let reg = registrable_domain(host);
            BRANDS
                .iter()
                .find(|b| {
                    b.tokens
                        .iter()
                        .any(|t| t.len() >= 5 && token_at_boundary(host, t))
                        && !brand_owns(b, &reg)
                })
                .map(|b| b.names[0])
        };
        let mut hosts = vec!["example.com".to_string(), "mail.shop.net".to_string()];
        for b in BRANDS.iter() {
            for t in b.tokens.iter().filter(|t| t.len() >= 5) {
                hosts.push(format!("{t}-verify.com"));
                hosts.push(format!("secure.{t}.help-desk.net"));
                hosts.push(format!("x{t}y.com"));
                hosts.push(format!("login-{t}online.info"));
            }
            hosts.extend(b.domains.iter().map(|d| format!("www.{d}")));
        }
        let mut found = 0;
        for h in &hosts {
            let want = scan(h);
            found += want.is_some() as usize;
            assert_eq!(brand_token_in(h).map(|b| b.names[0]), want, "{h}");
        }
        assert!(found > hosts.len() / 3, "{found} of {}", hosts.len());
    }
}
