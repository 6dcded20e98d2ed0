//! The `mime` family: what the message's structure itself says — bounds Ward hit while reading
//! it, badly encoded parts, and control characters in the headers a reader sees.

use crate::context::Ctx;

/// Headers a mail client shows (or uses to show who wrote): a control character in one of them
/// hides text in some clients and breaks filters that stop at a NUL.
const SHOWN: &[&str] = &["subject", "from", "sender", "reply-to", "to", "cc"];

pub fn analyze(ctx: &mut Ctx<'_>) {
    if !ctx.mail.limits_hit.is_empty() {
        let d = ctx.mail.limits_hit.join("; ");
        ctx.add("mime.limits_exceeded", d);
    }
    if ctx.mail.encoding_problems > 0 {
        let n = ctx.mail.encoding_problems;
        let parts = if n == 1 { "part is" } else { "parts are" };
        ctx.add(
            "mime.encoding_problem",
            format!("{n} {parts} badly encoded"),
        );
    }
    if let Some(detail) = control_chars(ctx) {
        ctx.add("mime.header_control_chars", detail);
    }
}

/// The first shown header carrying a control character (raw, or once its encoded words are
/// decoded, for the Subject), and which one.
fn control_chars(ctx: &Ctx<'_>) -> Option<String> {
    let bad = |b: u8| (b < 0x20 && b != b'\t' && b != b'\r' && b != b'\n') || b == 0x7f;
    let name_of = |b: u8| match b {
        0 => "a NUL byte".to_string(),
        b => format!("control character 0x{b:02x}"),
    };
    for (name, value) in &ctx.mail.headers {
        if SHOWN.iter().any(|s| name.eq_ignore_ascii_case(s))
            && let Some(&b) = value.iter().find(|&&b| bad(b))
        {
            return Some(format!("the {name} header carries {}", name_of(b)));
        }
    }
    ctx.mail
        .subject
        .bytes()
        .find(|&b| bad(b))
        .map(|b| format!("the decoded Subject carries {}", name_of(b)))
}
