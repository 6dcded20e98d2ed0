//! Who sends mail and how it arrives: sending infrastructure for vendors, SaaS, newsletters and
//! freemail; Message-ID styles of each; one-call rendering of a message into the copies each
//! mailbox stores; the matching `security.analyzedEmail` records.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::company::{Company, Vendor};
use crate::geo::{
    Block, MAIL_EXO, MAIL_GITHUB, MAIL_GOOGLE, MAIL_MAILCHIMP, MAIL_SALESFORCE, MAIL_SENDGRID,
    MAIL_SES,
};
use crate::identity::iso;
use crate::mime::{Delivery, Dmarc, Mail, Spf, Transport, Verdict, render};
use crate::rng::Rng;

/// The sending side of an inbound message.
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    pub ip: String,
    pub helo: String,
    pub mail_from: String,
    pub country: &'static str,
    /// AS number of `ip` (for tests and future X-Forefront fields).
    #[allow(dead_code)]
    pub asn: u32,
    pub verdict: Verdict,
}

impl Sender {
    pub(crate) fn transport(&self) -> Transport {
        Transport::Inbound {
            ip: self.ip.clone(),
            helo: self.helo.clone(),
            mail_from: self.mail_from.clone(),
            country: self.country,
            verdict: self.verdict.clone(),
        }
    }
}

fn from_block(
    rng: &mut Rng,
    b: &Block,
    helo: String,
    mail_from: String,
    dkim: &str,
    country: &'static str,
) -> Sender {
    Sender {
        ip: b.host(rng),
        helo,
        mail_from,
        country,
        asn: b.asn,
        verdict: Verdict::all_pass(dkim),
    }
}

pub(crate) fn google_helo(rng: &mut Rng) -> String {
    format!(
        "mail-{}{}-f{}.google.com",
        rng.pick(&["wm1", "ed1", "lf1", "pj1", "qt1", "yb1"]),
        "",
        10 + rng.below(180)
    )
}

/// Gmail / Google Workspace outbound.
pub(crate) fn via_google(rng: &mut Rng, from: &str, dkim_domain: &str) -> Sender {
    let helo = google_helo(rng);
    from_block(rng, &MAIL_GOOGLE, helo, from.to_string(), dkim_domain, "US")
}

/// Another Exchange Online tenant's outbound (`*.outbound.protection.outlook.com`).
pub(crate) fn via_exo(rng: &mut Rng, from: &str, country: &'static str) -> Sender {
    let domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    let helo = if country == "US" {
        format!(
            "NAM{:02}-{}-obe.outbound.protection.outlook.com",
            2 + rng.below(10),
            rng.pick(&["BN8", "DM6", "CO1", "SN1", "MW2"])
        )
    } else {
        format!(
            "EUR{:02}-{}-obe.outbound.protection.outlook.com",
            1 + rng.below(5),
            rng.pick(&["AM6", "DB8", "VI1", "HE1", "DB5"])
        )
    };
    // EXO's outbound pool is global; GeoIP places it by datacenter, so CTRY follows the sender.
    from_block(rng, &MAIL_EXO, helo, from.to_string(), domain, country)
}

pub(crate) fn vendor_sender(rng: &mut Rng, v: &Vendor, from: &str) -> Sender {
    if v.on_exo {
        via_exo(rng, from, v.country.code)
    } else {
        via_google(rng, from, &v.domain)
    }
}

pub(crate) fn saas_sender(rng: &mut Rng, infra: u8, mail_from_domain: &str, dkim: &str) -> Sender {
    let (b, helo): (&Block, String) = match infra {
        2 => (
            &MAIL_SES,
            format!(
                "a{}-{}.smtp-out.amazonses.com",
                8 + rng.below(8),
                rng.range(1, 250)
            ),
        ),
        5 => (
            &MAIL_SALESFORCE,
            format!(
                "smtp{:02}-ia{}-sp{}.mta.salesforce.com",
                rng.range(1, 20),
                rng.range(1, 6),
                rng.range(1, 4)
            ),
        ),
        6 => (
            &MAIL_GITHUB,
            format!("out-{}.smtp.github.com", rng.range(18, 30)),
        ),
        _ => (
            &MAIL_SENDGRID,
            format!("o{}.ptr{}.sendgrid.net", rng.range(1, 99), rng.digits(4)),
        ),
    };
    let mail_from = format!("bounces+{}@{mail_from_domain}", rng.digits(7));
    from_block(rng, b, helo, mail_from, dkim, "US")
}

pub(crate) fn mailchimp_sender(rng: &mut Rng, dkim: &str) -> Sender {
    let n = rng.range(1, 250);
    let host = format!("mail{n}.atl{}.mcdlv.net", rng.range(11, 300));
    let mail_from = format!(
        "bounce-mc.us{}_{}.{}-user=example.com@{host}",
        rng.range(1, 21),
        rng.digits(8),
        rng.digits(7)
    );
    let mut s = from_block(rng, &MAIL_MAILCHIMP, host, mail_from, dkim, "US");
    s.verdict.bcl = 4 + rng.below(3) as i32;
    s.verdict.cat = "BULK";
    s
}

/// Outlook-style Message-ID minted on a mailbox server.
pub(crate) fn outlook_msgid(rng: &mut Rng, server_fqdn: &str) -> String {
    let short = server_fqdn.split('.').next().unwrap_or(server_fqdn);
    format!(
        "<{short}{}A{}@{server_fqdn}>",
        rng.hex_upper(24),
        rng.below(10)
    )
}

pub(crate) fn gmail_msgid(rng: &mut Rng) -> String {
    format!(
        "<CA{}{}@mail.gmail.com>",
        rng.alnum(20).to_uppercase(),
        rng.alnum(24)
    )
}

pub(crate) fn generic_msgid(rng: &mut Rng, domain: &str) -> String {
    format!("<{}.{}@{domain}>", rng.digits(13), rng.alnum(16))
}

/// A vendor's outbound server name (its own EXO tenant) for Message-IDs.
pub(crate) fn vendor_msgid(rng: &mut Rng, v: &Vendor) -> String {
    if v.on_exo {
        let srv = if v.exo_region.starts_with("eur") {
            format!(
                "DB9PR0{}MB{}.{}.prod.outlook.com",
                1 + rng.below(9),
                rng.digits(4),
                v.exo_region
            )
        } else {
            format!(
                "MN2PR1{}MB{}.{}.prod.outlook.com",
                rng.below(10),
                rng.digits(4),
                v.exo_region
            )
        };
        outlook_msgid(rng, &srv)
    } else {
        gmail_msgid(rng)
    }
}

/// A message ready to be placed: its copies per recipient folder.
pub(crate) struct Rendered {
    pub inbound: Vec<u8>,
    pub received: DateTime<Utc>,
}

/// Render the copy recipients in this tenant store (one rendering shared by all of them).
pub(crate) fn render_inbound(c: &Company, rng: &mut Rng, m: &Mail, t: &Transport) -> Rendered {
    let received = m.date + Duration::milliseconds(rng.range(1500, 40_000) as i64);
    let d = Delivery {
        tenant_id: &c.tenant_id,
        frontend: rng.pick(&c.exo.frontend).as_str(),
        mailbox: rng.pick(&c.exo.mailbox).as_str(),
        cafe: rng.pick(&c.exo.cafe).as_str(),
        received,
    };
    Rendered {
        inbound: render(m, t, &d),
        received,
    }
}

/// The sender's Sent Items copy.
pub(crate) fn render_sent(c: &Company, m: &Mail) -> Vec<u8> {
    let d = Delivery {
        tenant_id: &c.tenant_id,
        frontend: &c.exo.frontend[0],
        mailbox: &c.exo.mailbox[0],
        cafe: &c.exo.cafe[0],
        received: m.date,
    };
    render(m, &Transport::Sent, &d)
}

/// `security.analyzedEmail` for one recipient of an inbound message.
#[allow(clippy::too_many_arguments)]
pub(crate) fn analyzed_email(
    rng: &mut Rng,
    m: &Mail,
    s: &Sender,
    recipient: &str,
    received: DateTime<Utc>,
    size: usize,
    location: &str,
    threat: Option<&str>,
    urls: &[String],
) -> Value {
    let v = &s.verdict;
    let files: Vec<Value> = m
        .attachments
        .iter()
        .map(|a| {
            use sha2::Digest;
            json!({
                "fileName": a.name,
                "fileType": a.name.rsplit('.').next().unwrap_or(""),
                "fileSize": a.data.len(),
                "sha256": hex::encode(sha2::Sha256::digest(&a.data)),
                "malwareFamily": null,
                "threatType": null,
                "detonationDetails": null,
                "tenantAllowBlockListDetailInfo": null,
            })
        })
        .collect();
    let url_objs: Vec<Value> = urls.iter().map(|u| json!({"url": u, "detectionMethod": null, "threatType": null, "detonationDetails": null, "tenantAllowBlockListDetailInfo": null})).collect();
    let mf_domain = s
        .mail_from
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap_or_default();
    json!({
        "@odata.type": "#microsoft.graph.security.analyzedEmail",
        "id": rng.guid(),
        "loggedDateTime": iso(received),
        "networkMessageId": m.network_message_id,
        "internetMessageId": m.message_id,
        "senderDetail": {
            "fromAddress": m.from.address,
            "displayName": m.from.name,
            "domainName": m.from.domain(),
            "mailFromAddress": s.mail_from,
            "mailFromDomainName": mf_domain,
            "ipv4": s.ip,
            "location": s.country,
        },
        "recipientEmailAddress": recipient,
        "distributionList": null,
        "subject": m.subject,
        "returnPath": s.mail_from,
        "directionality": "inbound",
        "originalDelivery": {"action": "delivered", "location": location},
        "latestDelivery": {"action": "delivered", "location": location},
        "attachmentsCount": files.len(),
        "attachments": files,
        "urlsCount": url_objs.len(),
        "urls": url_objs,
        "language": "en",
        "sizeInBytes": size,
        "alertIds": [],
        "exchangeTransportRules": [],
        "overrideSources": [],
        "primaryOverrideSource": null,
        "threatTypes": threat.map(|t| vec![t]).unwrap_or_default(),
        "detectionMethods": [],
        "contexts": [],
        "authenticationDetails": {
            "senderPolicyFramework": v.spf_word(),
            "dkim": v.dkim_word(),
            "dmarc": v.dmarc_word(),
            "compositeAuthentication": v.compauth,
        },
        "phishConfidenceLevel": if threat.is_some() { "normal" } else { "none" },
        "spamConfidenceLevel": v.scl.to_string(),
        "bulkComplaintLevel": v.bcl.to_string(),
        "emailClusterId": rng.digits(10),
        "policy": "antiSpam",
        "policyAction": if threat.is_some() { Value::from("moveToJmf") } else { Value::Null },
        "policyType": "default",
        "clientType": null,
        "inboundConnectorFormattedName": null,
    })
}

/// A lookalike sender that owns its domain: SPF passes, no DKIM, no DMARC record.
pub(crate) fn unauthenticated_lookalike(
    rng: &mut Rng,
    block: &Block,
    domain: &str,
    country: &'static str,
) -> Sender {
    Sender {
        ip: block.host(rng),
        helo: format!("mail.{domain}"),
        mail_from: format!("bounce@{domain}"),
        country,
        asn: block.asn,
        verdict: Verdict {
            spf: Spf::Pass,
            dkim: None,
            dkim_pass: false,
            dmarc: Dmarc::None,
            dmarc_action: "none",
            compauth: "fail",
            reason: "001",
            scl: 1,
            bcl: 0,
            cat: "NONE",
        },
    }
}
