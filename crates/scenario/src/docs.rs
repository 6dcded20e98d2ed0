//! Attachment and part contents built by hand: a structurally valid PDF and an iCalendar
//! invite.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};

use crate::mime::Addr;

/// A small, structurally valid PDF (header, catalog, pages, one page with a text stream, a
/// correct xref table with byte offsets, trailer) showing the given lines.
pub(crate) fn pdf(title: &str, lines: &[String]) -> Vec<u8> {
    let esc = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)")
    };
    let mut content = String::from("BT\n/F1 11 Tf\n14 TL\n50 780 Td\n");
    for l in lines {
        let _ = writeln!(content, "({}) Tj T*", esc(l));
    }
    content.push_str("ET\n");
    let objs = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{}endstream", content.len(), content),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        format!("<< /Title ({}) /Producer (Microsoft: Print To PDF) >>", esc(title)),
    ];
    // Pure ASCII (no binary marker comment) so the MIME survives the seed's string form.
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::with_capacity(objs.len());
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        let _ = write!(out, "{} 0 obj\n{o}\nendobj\n", i + 1);
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1);
    for off in offsets {
        let _ = writeln!(out, "{off:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objs.len() + 1
    );
    out.into_bytes()
}

/// An iCalendar `METHOD:REQUEST` invite.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ics(
    uid: &str,
    organizer: &Addr,
    attendees: &[Addr],
    summary: &str,
    start: DateTime<Utc>,
    minutes: i64,
    location: &str,
    stamp: DateTime<Utc>,
) -> String {
    let f = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let mut s = String::new();
    s.push_str("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n");
    let _ = write!(
        s,
        "ORGANIZER;CN={}:mailto:{}\r\n",
        organizer.name, organizer.address
    );
    for a in attendees {
        let _ = write!(
            s,
            "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN={}:mailto:{}\r\n",
            a.name, a.address
        );
    }
    let _ = write!(
        s,
        "SUMMARY;LANGUAGE=en-US:{summary}\r\nDTSTART:{}\r\nDTEND:{}\r\nUID:{uid}\r\nCLASS:PUBLIC\r\nPRIORITY:5\r\nDTSTAMP:{}\r\nTRANSP:OPAQUE\r\nSTATUS:CONFIRMED\r\nSEQUENCE:0\r\nLOCATION;LANGUAGE=en-US:{location}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        f(start),
        f(start + Duration::minutes(minutes)),
        f(stamp)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_xref_offsets_point_at_objects() {
        let p = pdf(
            "Invoice",
            &["Invoice INV-1".to_string(), "Total (EUR) 10.00".to_string()],
        );
        let s = String::from_utf8(p).unwrap_or_default();
        assert!(s.starts_with("%PDF-1.4"));
        let start: usize = s
            .lines()
            .rev()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        assert!(s[start..].starts_with("xref"));
        for line in s[start..].lines().skip(3).take(6) {
            let off: usize = line[..10].parse().unwrap_or(0);
            assert!(s[off..].split_once(" 0 obj").is_some(), "{line}");
        }
    }
}
