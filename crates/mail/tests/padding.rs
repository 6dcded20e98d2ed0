//! Padding evasion: an attacker who puts megabytes of harmless HTML before, after or around a
//! phishing payload must not lower its score by more than the weight of the limits signal that
//! says Ward read less than all of it, and must not silence the payload's own signals.

mod common;

use common::*;

/// The payload: a credential lure with a lookalike login link and a password form.
const PAYLOAD: &str = "<div><p>Dear user, your Microsoft 365 password expires today. \
    Verify your account now to keep access to your mailbox, or it will be suspended.</p>\
    <p><a href=\"http://login-microsoftonline.secure-verify.top/owa/?u=recipient@contoso.com\">\
    Keep my password</a></p>\
    <form action=\"https://m365-secure-verify.top/collect.php\" method=\"post\">\
    <input type=\"email\" name=\"u\"><input type=\"password\" name=\"p\">\
    <input type=\"submit\" value=\"Sign in\"></form></div>";

/// Harmless newsletter HTML of about `bytes` bytes: paragraphs of varied text, each with a
/// link to one of a few dozen ordinary sites (distinct paths), as a real newsletter has.
fn padding(bytes: usize, salt: usize) -> String {
    const WORDS: &[&str] = &[
        "garden",
        "community",
        "schedule",
        "volunteers",
        "library",
        "concert",
        "weekend",
        "recipe",
        "season",
        "neighbours",
        "market",
        "photos",
        "meeting",
        "children",
        "park",
        "summer",
        "event",
        "thanks",
        "coffee",
        "river",
        "walk",
        "school",
        "music",
        "autumn",
    ];
    let mut out = String::with_capacity(bytes + 512);
    let mut i = salt;
    while out.len() < bytes {
        out.push_str("<p class=\"item\">");
        for w in 0..40 {
            out.push_str(WORDS[(i * 7 + w * 13) % WORDS.len()]);
            out.push(' ');
        }
        out.push_str(&format!(
            "<a href=\"https://www.news{}.example.org/stories/{i}\">read more</a></p>\n",
            i % 40
        ));
        i += 1;
    }
    out
}

fn mail(html: &str) -> String {
    message(
        "From: \"Microsoft 365\" <no-reply@m365-secure-verify.top>\n\
         To: recipient@contoso.com\n\
         Subject: Notice",
        "text/html",
        &format!("<html><body>{html}</body></html>"),
        &[],
    )
}

const MB: usize = 1024 * 1024;

/// The signals of `base` that `v` does not raise.
fn lost<'a>(base: &'a ward_mail::Verdict, v: &ward_mail::Verdict) -> Vec<&'a str> {
    ids(base).into_iter().filter(|id| !has(v, id)).collect()
}

#[test]
fn padding_before_after_and_around_never_hides_the_payload() {
    let a = analyzer();
    let base = a.analyze(mail(PAYLOAD).as_bytes()).expect("a verdict");
    assert!(
        base.score >= 70,
        "the unpadded payload is a clear phish: {} {:?}",
        base.score,
        ids(&base)
    );
    assert!(!has(&base, "mime.limits_exceeded"), "{:?}", ids(&base));
    let limits_weight = 20;
    let mut failures = Vec::new();
    for size in [0, MB, 3 * MB, 10 * MB] {
        let cases = [
            ("before", format!("{}{PAYLOAD}", padding(size, 0))),
            ("after", format!("{PAYLOAD}{}", padding(size, 0))),
            (
                "around",
                format!("{}{PAYLOAD}{}", padding(size, 0), padding(size, 1_000_000)),
            ),
        ];
        for (place, html) in cases {
            let t = std::time::Instant::now();
            let v = a.analyze(mail(&html).as_bytes()).expect("a verdict");
            let took = t.elapsed();
            let lost = lost(&base, &v);
            eprintln!(
                "{:>2} MB {place:<6} score {:>3} (unpadded {}) lost {lost:?} limits {} in {took:?}",
                size / MB,
                v.score,
                base.score,
                has(&v, "mime.limits_exceeded")
            );
            if v.score + limits_weight < base.score {
                failures.push(format!(
                    "{} MB {place}: score {} against {} unpadded; lost {lost:?}",
                    size / MB,
                    v.score,
                    base.score
                ));
            }
            // Every signal of the payload alone is still raised, padded.
            if !lost.is_empty() {
                failures.push(format!("{} MB {place}: lost {lost:?}", size / MB));
            }
            // Past the bounds that read everything in full, Ward says so with a signal.
            if html.len() > ward_mail::limits::MAX_TEXT_BYTES && !has(&v, "mime.limits_exceeded") {
                failures.push(format!(
                    "{} MB {place}: read less than all of it and said nothing",
                    size / MB
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Past the bound read in full (32 MB of HTML), the middle of the body is read by a quick pass
/// for links, form targets and password fields: a lure there still shows its link and form.
#[test]
fn a_lure_in_the_middle_of_a_huge_body_keeps_its_links_and_form() {
    let a = analyzer();
    let base = a.analyze(mail(PAYLOAD).as_bytes()).expect("a verdict");
    let pad = 20 * MB;
    let html = format!("{}{PAYLOAD}{}", padding(pad, 0), padding(pad, 1_000_000));
    assert!(html.len() > ward_mail::limits::MAX_HTML_BYTES);
    let v = a.analyze(mail(&html).as_bytes()).expect("a verdict");
    assert!(has(&v, "mime.limits_exceeded"), "{:?}", ids(&v));
    assert!(
        detail(&v, "mime.limits_exceeded").contains("links, forms and password fields"),
        "{}",
        detail(&v, "mime.limits_exceeded")
    );
    for id in [
        "links.suspicious_tld",
        "links.brand_in_host",
        "html.password_form",
    ] {
        assert!(has(&base, id), "unpadded {id}: {:?}", ids(&base));
        assert!(has(&v, id), "padded lost {id}: {:?}", ids(&v));
    }
    assert!(
        v.score + 20 >= base.score,
        "{} against {}",
        v.score,
        base.score
    );
}

/// Plain text is read whole too: phrases and written links after megabytes of harmless text.
#[test]
fn a_lure_after_megabytes_of_plain_text_is_still_read() {
    let lure = "Your Microsoft 365 password expires today. Verify your account now to keep \
        access to your mailbox: http://login-microsoftonline.secure-verify.top/owa/";
    let text = |body: &str| {
        message(
            "From: \"Microsoft 365\" <no-reply@m365-secure-verify.top>\n\
             To: recipient@contoso.com\nSubject: Notice",
            "text/plain",
            body,
            &[],
        )
    };
    let a = analyzer();
    let base = a.analyze(text(lure).as_bytes()).expect("a verdict");
    let filler = "The garden club meets on Saturday at the library; bring gloves and tea.\n"
        .repeat(3 * MB / 72);
    let v = a
        .analyze(text(&format!("{filler}{lure}")).as_bytes())
        .expect("a verdict");
    let lost = lost(&base, &v);
    assert!(lost.is_empty(), "lost {lost:?}");
    assert!(has(&v, "mime.limits_exceeded"), "{:?}", ids(&v));
    assert!(
        v.score + 20 >= base.score,
        "{} against {}",
        v.score,
        base.score
    );
}

/// A flood of links to thousands of different harmless hosts before the lure's still leaves
/// the lure's host among those judged: every distinct host is judged, cheaply.
#[test]
fn thousands_of_harmless_hosts_before_the_lure_do_not_hide_it() {
    let a = analyzer();
    let base = a.analyze(mail(PAYLOAD).as_bytes()).expect("a verdict");
    let t = std::time::Instant::now();
    let flood: String = (0..20_000)
        .map(|i| format!("<a href=\"https://site{i}.example.net/\">{i}</a> "))
        .collect();
    let v = a
        .analyze(mail(&format!("{flood}{PAYLOAD}")).as_bytes())
        .expect("a verdict");
    eprintln!("20,000 hosts: {:?}", t.elapsed());
    let lost = lost(&base, &v);
    assert!(lost.is_empty(), "lost {lost:?}");
    assert!(v.score >= base.score, "{} against {}", v.score, base.score);
}
