//! Authentication: the receiving organisation's own Authentication-Results (SPF, DKIM, DMARC,
//! Microsoft's compauth). Only the topmost such header inside the trust boundary is read:
//! headers below the first `Received` hop that the organisation did not add could have been
//! written by the sender, and are ignored.

use crate::context::Ctx;

/// The trusted results, as `(method, result, property text)`.
pub fn trusted_results(ctx: &Ctx<'_>) -> Option<Vec<(String, String, String)>> {
    let mut in_zone = true;
    for (name, value) in &ctx.mail.headers {
        if name.eq_ignore_ascii_case("Received") {
            let by = received_by(value);
            if !by.is_some_and(|h| ctx.cfg.trusts_authserv_id(&h)) {
                in_zone = false;
            }
            continue;
        }
        if !in_zone {
            return None;
        }
        if name.eq_ignore_ascii_case("Authentication-Results")
            || name.eq_ignore_ascii_case("ARC-Authentication-Results")
        {
            let v = unfold(value);
            let mut body = v.as_str();
            if name.eq_ignore_ascii_case("ARC-Authentication-Results") {
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
    }
    None
}

fn unfold(v: &str) -> String {
    v.split(['\r', '\n']).map(str::trim).collect::<Vec<_>>().join(" ")
}

fn received_by(v: &str) -> Option<String> {
    let v = unfold(v);
    let lower = v.to_ascii_lowercase();
    let i = lower.find(" by ").map(|i| i + 4).or_else(|| lower.strip_prefix("by ").map(|_| 3))?;
    lower[i..].split_whitespace().next().map(|s| s.trim_matches(|c| c == '(' || c == ')' || c == ';').to_string())
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
        let Some((method, result)) = first.split_once('=') else { continue };
        let props = words.collect::<Vec<_>>().join(" ");
        out.push((method.to_ascii_lowercase(), result.to_ascii_lowercase(), props));
    }
    out
}

pub fn analyze(ctx: &mut Ctx<'_>) {
    let Some(results) = trusted_results(ctx) else { return };
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
                format!("SPF failed: {} may not send for {}", "the sending server", prop("smtp.mailfrom=")),
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
