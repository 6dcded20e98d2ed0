//! Authentication: the receiving organisation's own Authentication-Results (SPF, DKIM, DMARC,
//! Microsoft's compauth). Only the topmost such header inside the trust boundary is read:
//! headers below the first `Received` hop that the organisation did not add could have been
//! written by the sender, and are ignored.

use crate::context::Ctx;
use crate::message::Mail;

/// The trusted results, as `(method, result, property text)`.
pub fn trusted_results(ctx: &Ctx<'_>) -> Option<Vec<(String, String, String)>> {
    let mut in_zone = true;
    for &(name, raw) in &ctx.mail.headers {
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        let (received, arc) = (is("Received"), is("ARC-Authentication-Results"));
        // Past a hop the organisation did not add, nothing can be trusted (a `Received` line
        // cannot bring the zone back).
        if !in_zone && !received {
            return None;
        }
        if !(received || arc || is("Authentication-Results")) {
            continue;
        }
        // Headers that are not UTF-8 are read as absent; only those read here are checked.
        let Some(value) = Mail::header_text(raw) else {
            continue;
        };
        if received {
            let by = received_by(value);
            if !by.is_some_and(|h| ctx.cfg.trusts_authserv_id(&h)) {
                in_zone = false;
            }
            continue;
        }
        let v = unfold(value);
        let mut body = v.as_str();
        if arc {
            // "i=1; authserv-id; ..."
            body = body.split_once(';').map(|(_, r)| r).unwrap_or(body);
        }
        let (first, rest) = body.split_once(';').unwrap_or((body, ""));
        let first_t = first.trim();
        let explicit_id = !first_t.contains('=');
        if explicit_id {
            let id = first_t.split_whitespace().next().unwrap_or_default();
            if !ctx.cfg.trusts_authserv_id(id) {
                // Topmost results are not ours: nothing below can be trusted either.
                return None;
            }
            return Some(parse_results(rest));
        }
        // Microsoft stamps results without an authserv-id; inside the zone they are its own.
        return Some(parse_results(body));
    }
    None
}

fn unfold(v: &str) -> String {
    v.split(['\r', '\n'])
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The host after the first "by" word of a Received header, lower-cased.
fn received_by(v: &str) -> Option<String> {
    let mut words = v.split_ascii_whitespace();
    words.find(|w| w.eq_ignore_ascii_case("by"))?;
    words.next().map(|s| {
        s.trim_matches(|c| c == '(' || c == ')' || c == ';')
            .to_ascii_lowercase()
    })
}

fn parse_results(s: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for stmt in s.split(';').take(32) {
        // Drop comments in parentheses.
        let mut clean = String::new();
        let mut depth = 0usize;
        for c in stmt.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ if depth == 0 => clean.push(c),
                _ => {}
            }
        }
        let mut words = clean.split_whitespace();
        let Some(first) = words.next() else { continue };
        let Some((method, result)) = first.split_once('=') else {
            continue;
        };
        let props = words.collect::<Vec<_>>().join(" ");
        out.push((
            method.to_ascii_lowercase(),
            result.to_ascii_lowercase(),
            props,
        ));
    }
    out
}

pub fn analyze(ctx: &mut Ctx<'_>) {
    let Some(results) = trusted_results(ctx) else {
        return;
    };
    for (method, result, props) in results {
        let prop = |k: &str| {
            props
                .split_whitespace()
                .find_map(|p| p.strip_prefix(k))
                .unwrap_or("")
                .to_string()
        };
        match (method.as_str(), result.as_str()) {
            ("spf", "fail") => ctx.add(
                "auth.spf_fail",
                format!(
                    "SPF failed: {} may not send for {}",
                    "the sending server",
                    prop("smtp.mailfrom=")
                ),
            ),
            ("spf", "softfail") => ctx.add(
                "auth.spf_softfail",
                format!("SPF soft-failed for {}", prop("smtp.mailfrom=")),
            ),
            ("dkim", "fail") => ctx.add("auth.dkim_fail", "the DKIM signature does not verify"),
            ("dmarc", "fail") => ctx.add(
                "auth.dmarc_fail",
                format!("DMARC failed for the From domain {}", prop("header.from=")),
            ),
            ("dmarc", "pass") => ctx.add(
                "auth.dmarc_pass",
                format!("DMARC passed for {}", prop("header.from=")),
            ),
            ("compauth", "fail") => ctx.add(
                "auth.compauth_fail",
                format!(
                    "Microsoft's composite authentication failed (reason {})",
                    prop("reason=")
                ),
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Analyzer, AnalyzerConfig};

    fn ids(raw: &str) -> Vec<String> {
        let a = Analyzer::new(AnalyzerConfig::default()).unwrap();
        a.analyze(raw.as_bytes())
            .unwrap()
            .signals
            .into_iter()
            .map(|s| s.id)
            .collect()
    }

    const BODY: &str = "From: a@example.com\r\nTo: b@contoso.com\r\nSubject: hi\r\n\r\nhello\r\n";

    #[test]
    fn reads_the_organisations_own_results() {
        let m = format!(
            "Received: from AM0PR01MB1.eurprd01.prod.outlook.com (::1) by\r\n AM0PR01MB2.eurprd01.prod.outlook.com with HTTPS; Mon, 1 Jan 2024 00:00:00 +0000\r\n\
             Authentication-Results: spf=fail (sender IP is 192.0.2.1)\r\n smtp.mailfrom=example.com; dkim=none (message not signed)\r\n header.d=none;dmarc=fail action=none header.from=example.com;compauth=fail reason=001\r\n\
             Received: from mail.example.com (192.0.2.1) by AM0PR01MB3.mail.protection.outlook.com with SMTP\r\n{BODY}"
        );
        let got = ids(&m);
        for want in ["auth.spf_fail", "auth.dmarc_fail", "auth.compauth_fail"] {
            assert!(got.iter().any(|g| g == want), "{want} missing in {got:?}");
        }
    }

    /// A header that is not UTF-8 is read as absent, wherever it is: a broken `Received` line
    /// (Latin-1 in a host name) neither ends the trusted zone nor hides the results.
    #[test]
    fn headers_that_are_not_utf8_are_read_as_absent() {
        let analyzer = Analyzer::new(AnalyzerConfig::default()).unwrap();
        let m = [
            // Read as text, its "by" host (not the organisation's) would end the trusted zone.
            &b"Received: from h\xe9te (::1) by\r\n relay.example.net; Mon, 1 Jan 2024\r\n"[..],
            b"X-Note: caf\xe9\r\n",
            b"Authentication-Results: spf=fail (sender IP is 192.0.2.1) smtp.mailfrom=example.com;\r\n dmarc=fail header.from=example.com\r\n",
            b"Received: from mail.example.com (192.0.2.1) by AM0PR01MB3.mail.protection.outlook.com\r\n",
            BODY.as_bytes(),
        ]
        .concat();
        let got: Vec<String> = analyzer
            .analyze(&m)
            .unwrap()
            .signals
            .into_iter()
            .map(|s| s.id)
            .collect();
        for want in ["auth.spf_fail", "auth.dmarc_fail"] {
            assert!(got.iter().any(|g| g == want), "{want} missing in {got:?}");
        }
    }

    #[test]
    fn ignores_results_added_before_the_boundary() {
        // The sender wrote a passing result below an untrusted hop; a failing one above it is
        // from a foreign authserv-id: neither is read.
        let m = format!(
            "Received: from x.example.net by mx.example.net with SMTP\r\n\
             Authentication-Results: spf=fail smtp.mailfrom=example.com; dmarc=fail header.from=example.com\r\n{BODY}"
        );
        assert!(!ids(&m).iter().any(|g| g.starts_with("auth.")));
        let m = format!(
            "Authentication-Results: mx.google.com; dmarc=fail header.from=example.com\r\n{BODY}"
        );
        assert!(!ids(&m).iter().any(|g| g.starts_with("auth.")));
    }
}
