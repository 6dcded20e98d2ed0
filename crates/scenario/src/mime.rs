//! Hand-written RFC 5322/2045 messages with the transport headers Exchange Online stamps on
//! delivery: a Received chain from the sending MTA through Microsoft's protection and mailbox
//! servers, `Authentication-Results` in Microsoft's exact spelling, `Received-SPF`,
//! `X-Forefront-Antispam-Report`, `X-MS-Exchange-Organization-*` and `X-MS-Exchange-CrossTenant-*`.
//! Written by hand (not mail-builder) because the header order and folding of those stamps
//! matter to parsers and mail-builder would re-encode them.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub(crate) struct Addr {
    pub name: String,
    pub address: String,
}

impl Addr {
    pub(crate) fn new(name: impl Into<String>, address: impl Into<String>) -> Self {
        Addr {
            name: name.into(),
            address: address.into(),
        }
    }
    fn render(&self) -> String {
        if self.address.is_empty() {
            // Group syntax such as `undisclosed-recipients:;`.
            self.name.clone()
        } else if self.name.is_empty() {
            format!("<{}>", self.address)
        } else if self
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ')
        {
            format!("{} <{}>", self.name, self.address)
        } else {
            let escaped = self.name.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\" <{}>", self.address)
        }
    }
    pub(crate) fn domain(&self) -> &str {
        self.address.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub(crate) enum Spf {
    Pass,
    Fail,
    SoftFail,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub(crate) enum Dmarc {
    Pass,
    BestGuessPass,
    Fail,
    None,
}

/// What Exchange Online Protection concluded about an inbound message.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub spf: Spf,
    /// `Some(domain)` when the message carries a DKIM signature for that domain.
    pub dkim: Option<String>,
    pub dkim_pass: bool,
    pub dmarc: Dmarc,
    /// `none`, `quarantine`, `oreject`...
    pub dmarc_action: &'static str,
    /// `pass`, `fail`, `softfail`, `none`.
    pub compauth: &'static str,
    pub reason: &'static str,
    pub scl: i32,
    pub bcl: i32,
    /// `NONE`, `SPM`, `BULK`, `PHSH`, `SPOOF`...
    pub cat: &'static str,
}

impl Verdict {
    pub(crate) fn all_pass(dkim_domain: &str) -> Self {
        Verdict {
            spf: Spf::Pass,
            dkim: Some(dkim_domain.to_string()),
            dkim_pass: true,
            dmarc: Dmarc::Pass,
            dmarc_action: "none",
            compauth: "pass",
            reason: "100",
            scl: 1,
            bcl: 0,
            cat: "NONE",
        }
    }

    pub(crate) fn spf_word(&self) -> &'static str {
        match self.spf {
            Spf::Pass => "pass",
            Spf::Fail => "fail",
            Spf::SoftFail => "softfail",
            Spf::None => "none",
        }
    }
    pub(crate) fn dkim_word(&self) -> &'static str {
        match (&self.dkim, self.dkim_pass) {
            (None, _) => "none",
            (Some(_), true) => "pass",
            (Some(_), false) => "fail",
        }
    }
    pub(crate) fn dmarc_word(&self) -> &'static str {
        match self.dmarc {
            Dmarc::Pass => "pass",
            Dmarc::BestGuessPass => "bestguesspass",
            Dmarc::Fail => "fail",
            Dmarc::None => "none",
        }
    }
}

/// How the message reached the mailbox the copy is written for.
#[derive(Debug, Clone)]
pub(crate) enum Transport {
    /// From the internet through EOP.
    Inbound {
        ip: String,
        helo: String,
        mail_from: String,
        country: &'static str,
        verdict: Verdict,
    },
    /// Sent by a colleague in the same tenant.
    Internal,
    /// The sender's own Sent Items copy.
    Sent,
}

#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
    /// `Some(cid)` for an inline part referenced from the HTML.
    pub content_id: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub from: Addr,
    pub to: Vec<Addr>,
    pub cc: Vec<Addr>,
    pub reply_to: Option<Addr>,
    pub subject: String,
    pub date: DateTime<Utc>,
    pub tz_min: i32,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub text: String,
    pub html: Option<String>,
    pub calendar: Option<String>,
    pub attachments: Vec<Attachment>,
    pub list_unsubscribe: Option<String>,
    pub importance_high: bool,
    pub network_message_id: String,
}

/// The tenant side of delivery.
pub(crate) struct Delivery<'a> {
    pub tenant_id: &'a str,
    pub frontend: &'a str,
    pub mailbox: &'a str,
    pub cafe: &'a str,
    pub received: DateTime<Utc>,
}

fn rfc2822(t: DateTime<Utc>, tz_min: i32) -> String {
    match FixedOffset::east_opt(tz_min * 60) {
        Some(off) => t
            .with_timezone(&off)
            .format("%a, %-d %b %Y %H:%M:%S %z")
            .to_string(),
        None => t.format("%a, %-d %b %Y %H:%M:%S +0000").to_string(),
    }
}

fn short_host(fqdn: &str) -> &str {
    fqdn.split('.').next().unwrap_or(fqdn)
}

/// Append `Name: value` folded at whitespace to stay under 78 columns where possible.
fn header(out: &mut String, name: &str, value: &str) {
    let mut line_len = name.len() + 2;
    out.push_str(name);
    out.push_str(": ");
    let mut first = true;
    for word in value.split(' ') {
        if !first {
            if line_len + 1 + word.len() > 78 && line_len > name.len() + 2 {
                out.push_str("\r\n\t");
                line_len = 1;
            } else {
                out.push(' ');
                line_len += 1;
            }
        }
        out.push_str(word);
        line_len += word.len();
        first = false;
    }
    out.push_str("\r\n");
}

/// Quoted-printable (RFC 2045 §6.7) with CRLF line ends and soft breaks at 76 columns.
pub(crate) fn quoted_printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    for (li, line) in s.split('\n').enumerate() {
        if li > 0 {
            out.push_str("\r\n");
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let bytes = line.as_bytes();
        let mut col = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let enc = !(b == b'\t' || (32..=126).contains(&b))
                || b == b'='
                || (last && (b == b' ' || b == b'\t'));
            let piece_len = if enc { 3 } else { 1 };
            if col + piece_len > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            if enc {
                let _ = write!(out, "={b:02X}");
            } else {
                out.push(b as char);
            }
            col += piece_len;
        }
    }
    out
}

/// Base64 in 76-column lines.
pub(crate) fn base64_lines(data: &[u8]) -> String {
    let enc = B64.encode(data);
    let mut out = String::with_capacity(enc.len() + enc.len() / 38 + 2);
    for chunk in enc.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push_str("\r\n");
    }
    out
}

fn boundary(seed: &str, n: u32) -> String {
    let d = Sha256::digest(format!("{seed}/{n}").as_bytes());
    format!("_00{n}_{}_", hex::encode_upper(&d[..16]))
}

/// Outlook `Thread-Index`: 22 bytes (FILETIME-derived header + GUID), base64.
pub(crate) fn thread_index(topic_seed: &str) -> String {
    let d = Sha256::digest(topic_seed.as_bytes());
    B64.encode(&d[..22])
}

fn push_auth_headers(out: &mut String, m: &Mail, t: &Transport, d: &Delivery) {
    let from_domain = m.from.domain().to_string();
    let recv_date = rfc2822(d.received, 0);
    let fe = d.frontend;
    let fe_short = short_host(fe);
    match t {
        Transport::Inbound {
            ip,
            helo,
            mail_from,
            country,
            verdict: v,
        } => {
            let mf_domain = mail_from
                .rsplit_once('@')
                .map(|(_, d)| d)
                .unwrap_or(&from_domain);
            let hop1 = d.received - Duration::milliseconds(900);
            let hop0 = d.received - Duration::milliseconds(2400);
            header(
                out,
                "Received",
                &format!(
                    "from {} (2603:10b6:806:3a1::21) by {} with HTTPS; {}",
                    d.mailbox, d.mailbox, recv_date
                ),
            );
            header(
                out,
                "Received",
                &format!(
                    "from {} (2603:10b6:408:fe::8) by {} (2603:10b6:806:3a1::21) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8207.13; {}",
                    d.cafe,
                    d.mailbox,
                    rfc2822(hop1, 0)
                ),
            );
            header(
                out,
                "Received",
                &format!(
                    "from {fe} (2603:10b6:408:fe:cafe::2) by {} (2603:10b6:408:fe::8) with Microsoft SMTP Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.8207.13 via Frontend Transport; {}",
                    short_host(d.cafe).to_string() + ".outlook.office365.com",
                    rfc2822(hop1, 0)
                ),
            );
            let spf = match v.spf {
                Spf::Pass => format!("spf=pass (sender IP is {ip}) smtp.mailfrom={mf_domain}"),
                Spf::Fail => format!("spf=fail (sender IP is {ip}) smtp.mailfrom={mf_domain}"),
                Spf::SoftFail => {
                    format!("spf=softfail (sender IP is {ip}) smtp.mailfrom={mf_domain}")
                }
                Spf::None => format!("spf=none (sender IP is {ip}) smtp.mailfrom={mf_domain}"),
            };
            let dkim = match (&v.dkim, v.dkim_pass) {
                (None, _) => "dkim=none (message not signed) header.d=none".to_string(),
                (Some(dd), true) => format!("dkim=pass (signature was verified) header.d={dd}"),
                (Some(dd), false) => format!("dkim=fail (body hash did not verify) header.d={dd}"),
            };
            let dmarc = format!(
                "dmarc={} action={} header.from={from_domain}",
                v.dmarc_word(),
                v.dmarc_action
            );
            header(
                out,
                "Authentication-Results",
                &format!(
                    "{spf}; {dkim};{dmarc};compauth={} reason={}",
                    v.compauth, v.reason
                ),
            );
            let rspf = match v.spf {
                Spf::Pass => format!(
                    "Pass (protection.outlook.com: domain of {mf_domain} designates {ip} as permitted sender) receiver=protection.outlook.com; client-ip={ip}; helo={helo}; pr=C"
                ),
                Spf::Fail => format!(
                    "Fail (protection.outlook.com: domain of {mf_domain} does not designate {ip} as permitted sender) receiver=protection.outlook.com; client-ip={ip}; helo={helo};"
                ),
                Spf::SoftFail => format!(
                    "SoftFail (protection.outlook.com: domain of transitioning {mf_domain} discourages use of {ip} as permitted sender)"
                ),
                Spf::None => format!(
                    "None (protection.outlook.com: {mf_domain} does not designate permitted sender hosts)"
                ),
            };
            header(out, "Received-SPF", &rspf);
            header(
                out,
                "Received",
                &format!(
                    "from {helo} ({ip}) by {fe_short}.mail.protection.outlook.com (10.167.243.103) with Microsoft SMTP Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.8207.13 via Frontend Transport; {}",
                    rfc2822(hop0, 0)
                ),
            );
            header(
                out,
                "Received",
                &format!(
                    "by {helo} with SMTP id {}; {}",
                    &m.network_message_id[..8],
                    rfc2822(hop0 - Duration::milliseconds(700), m.tz_min)
                ),
            );
            if let Some(dd) = &v.dkim {
                let h = Sha256::digest(format!("{}{dd}", m.message_id).as_bytes());
                let mut sig = Vec::with_capacity(256);
                for i in 0..8u8 {
                    sig.extend_from_slice(&Sha256::digest([&h[..], &[i]].concat()));
                }
                header(
                    out,
                    "DKIM-Signature",
                    &format!(
                        "v=1; a=rsa-sha256; c=relaxed/relaxed; d={dd}; s=s1; t={}; h=from:to:subject:date:message-id:mime-version; bh={}; b={}",
                        m.date.timestamp(),
                        B64.encode(h),
                        B64.encode(&sig)
                    ),
                );
            }
            let _ = country;
        }
        Transport::Internal => {
            let hop = d.received - Duration::milliseconds(600);
            header(
                out,
                "Received",
                &format!(
                    "from {} (2603:10b6:806:3a1::21) by {} with HTTPS; {}",
                    d.mailbox, d.mailbox, recv_date
                ),
            );
            header(
                out,
                "Received",
                &format!(
                    "from {} ([fe80::4c1a:88ee:7b7c:5a2d]) by {} ([fe80::4c1a:88ee:7b7c:5a2d%4]) with mapi id 15.20.8207.013; {}",
                    d.mailbox,
                    d.mailbox,
                    rfc2822(hop, 0)
                ),
            );
            header(
                out,
                "Authentication-Results",
                &format!(
                    "dkim=none (message not signed) header.d=none;dmarc=none action=none header.from={from_domain};"
                ),
            );
        }
        Transport::Sent => {}
    }
}

/// Render a message as one mailbox copy would store it.
pub(crate) fn render(m: &Mail, t: &Transport, d: &Delivery) -> Vec<u8> {
    let mut out = String::with_capacity(
        2048 + m.text.len() * 3
            + m.attachments
                .iter()
                .map(|a| a.data.len() * 4 / 3 + 200)
                .sum::<usize>(),
    );
    push_auth_headers(&mut out, m, t, d);
    header(&mut out, "From", &m.from.render());
    let to: Vec<String> = m.to.iter().map(Addr::render).collect();
    header(&mut out, "To", &to.join(", "));
    if !m.cc.is_empty() {
        let cc: Vec<String> = m.cc.iter().map(Addr::render).collect();
        header(&mut out, "CC", &cc.join(", "));
    }
    if let Some(r) = &m.reply_to {
        header(&mut out, "Reply-To", &r.render());
    }
    header(&mut out, "Subject", &m.subject);
    let topic = m
        .subject
        .trim_start_matches("RE: ")
        .trim_start_matches("Re: ")
        .trim_start_matches("FW: ");
    header(&mut out, "Thread-Topic", topic);
    header(&mut out, "Thread-Index", &thread_index(topic));
    header(&mut out, "Date", &rfc2822(m.date, m.tz_min));
    header(&mut out, "Message-ID", &m.message_id);
    if let Some(r) = &m.in_reply_to {
        header(&mut out, "In-Reply-To", r);
    }
    if !m.references.is_empty() {
        header(&mut out, "References", &m.references.join(" "));
    }
    if let Some(u) = &m.list_unsubscribe {
        header(&mut out, "List-Unsubscribe", u);
        header(
            &mut out,
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click",
        );
    }
    if m.importance_high {
        header(&mut out, "Importance", "high");
        header(&mut out, "X-Priority", "1");
    }
    let has_attach = m.attachments.iter().any(|a| a.content_id.is_none());
    if let Transport::Inbound { mail_from, .. } = t {
        header(&mut out, "Return-Path", &format!("<{mail_from}>"));
    }
    header(&mut out, "Content-Language", "en-US");
    header(
        &mut out,
        "X-MS-Has-Attach",
        if has_attach { "yes" } else { "" },
    );
    header(&mut out, "X-MS-TNEF-Correlator", "");
    if !matches!(t, Transport::Sent) {
        push_org_headers(&mut out, m, t, d);
    }
    header(&mut out, "MIME-Version", "1.0");
    push_body(&mut out, m);
    out.into_bytes()
}

fn push_org_headers(out: &mut String, m: &Mail, t: &Transport, d: &Delivery) {
    let inbound = matches!(t, Transport::Inbound { .. });
    let auth_as = if inbound { "Anonymous" } else { "Internal" };
    let arrival = format!(
        "{}.{:04} (UTC)",
        d.received.format("%d %b %Y %H:%M:%S"),
        d.received.timestamp_subsec_nanos() / 100_000
    );
    header(
        out,
        "X-MS-Exchange-Organization-ExpirationStartTime",
        &arrival,
    );
    header(
        out,
        "X-MS-Exchange-Organization-ExpirationStartTimeReason",
        "OriginalSubmit",
    );
    header(
        out,
        "X-MS-Exchange-Organization-ExpirationInterval",
        "1:00:00:00.0000000",
    );
    header(
        out,
        "X-MS-Exchange-Organization-ExpirationIntervalReason",
        "OriginalSubmit",
    );
    header(
        out,
        "X-MS-Exchange-Organization-Network-Message-Id",
        &m.network_message_id,
    );
    header(out, "X-EOPAttributedMessage", "0");
    header(out, "X-MS-PublicTrafficType", "Email");
    let fe_short = short_host(d.frontend);
    let mbx_short = short_host(d.mailbox);
    if let Transport::Inbound { ip, .. } = t {
        header(
            out,
            "X-MS-TrafficTypeDiagnostic",
            &format!("{fe_short}:EE_|{mbx_short}:EE_"),
        );
        header(out, "X-Sender-IP", ip);
        header(out, "X-SID-PRA", &m.from.address.to_ascii_uppercase());
    } else {
        header(
            out,
            "X-MS-TrafficTypeDiagnostic",
            &format!("{mbx_short}:EE_"),
        );
    }
    header(
        out,
        "X-MS-Office365-Filtering-Correlation-Id",
        &m.network_message_id,
    );
    let auth_source = if inbound { d.frontend } else { d.mailbox };
    header(
        out,
        "X-MS-Exchange-Organization-MessageDirectionality",
        if inbound { "Incoming" } else { "Originating" },
    );
    header(out, "X-MS-Exchange-Organization-AuthSource", auth_source);
    header(out, "X-MS-Exchange-Organization-AuthAs", auth_as);
    if !inbound {
        header(out, "X-MS-Exchange-Organization-AuthMechanism", "04");
    }
    if let Transport::Inbound {
        ip,
        helo,
        country,
        verdict: v,
        ..
    } = t
    {
        let sfv = if v.scl >= 5 { "SPM" } else { "NSPM" };
        header(
            out,
            "X-Forefront-Antispam-Report",
            &format!(
                "CIP:{ip};CTRY:{country};LANG:en;SCL:{};SRV:;IPV:NLI;SFV:{sfv};H:{helo};PTR:{helo};CAT:{};SFS:(13230040)(4636009)(376014)(1800799024)(8096899003);DIR:INB;",
                v.scl, v.cat
            ),
        );
        header(
            out,
            "X-Microsoft-Antispam",
            &format!(
                "BCL:{};ARA:13230040|4636009|376014|1800799024|8096899003;",
                v.bcl
            ),
        );
        header(out, "X-MS-Exchange-Organization-SCL", &v.scl.to_string());
    } else {
        header(out, "X-MS-Exchange-Organization-SCL", "-1");
    }
    header(
        out,
        "X-MS-Exchange-CrossTenant-OriginalArrivalTime",
        &arrival,
    );
    header(
        out,
        "X-MS-Exchange-CrossTenant-Network-Message-Id",
        &m.network_message_id,
    );
    header(out, "X-MS-Exchange-CrossTenant-Id", d.tenant_id);
    header(out, "X-MS-Exchange-CrossTenant-AuthSource", auth_source);
    header(out, "X-MS-Exchange-CrossTenant-AuthAs", auth_as);
    header(
        out,
        "X-MS-Exchange-CrossTenant-FromEntityHeader",
        if inbound { "Internet" } else { "Hosted" },
    );
    header(
        out,
        "X-MS-Exchange-Transport-CrossTenantHeadersStamped",
        short_host(d.mailbox),
    );
    header(
        out,
        "X-MS-Exchange-Transport-EndToEndLatency",
        "00:00:02.4513821",
    );
    header(
        out,
        "X-MS-Exchange-Processed-By-BccFoldering",
        "15.20.8207.000",
    );
}

fn push_body(out: &mut String, m: &Mail) {
    let seed = &m.message_id;
    let alt = |out: &mut String| {
        if m.html.is_none() && m.calendar.is_none() {
            out.push_str("Content-Type: text/plain; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
            out.push_str(&quoted_printable(&m.text));
            out.push_str("\r\n");
            return;
        }
        let b = boundary(seed, 1);
        let _ = write!(
            out,
            "Content-Type: multipart/alternative;\r\n\tboundary=\"{b}\"\r\n\r\n"
        );
        let _ = write!(
            out,
            "--{b}\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        );
        out.push_str(&quoted_printable(&m.text));
        out.push_str("\r\n\r\n");
        if let Some(h) = &m.html {
            let inline: Vec<&Attachment> = m
                .attachments
                .iter()
                .filter(|a| a.content_id.is_some())
                .collect();
            let _ = write!(out, "--{b}\r\n");
            if inline.is_empty() {
                out.push_str("Content-Type: text/html; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
                out.push_str(&quoted_printable(h));
                out.push_str("\r\n\r\n");
            } else {
                let rb = boundary(seed, 3);
                let _ = write!(
                    out,
                    "Content-Type: multipart/related;\r\n\tboundary=\"{rb}\";\r\n\ttype=\"text/html\"\r\n\r\n"
                );
                let _ = write!(
                    out,
                    "--{rb}\r\nContent-Type: text/html; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                );
                out.push_str(&quoted_printable(h));
                out.push_str("\r\n\r\n");
                for a in inline {
                    let _ = write!(out, "--{rb}\r\n");
                    push_attachment(out, a);
                }
                let _ = write!(out, "--{rb}--\r\n\r\n");
            }
        }
        if let Some(c) = &m.calendar {
            let _ = write!(
                out,
                "--{b}\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=REQUEST\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            );
            out.push_str(&base64_lines(c.as_bytes()));
            out.push_str("\r\n");
        }
        let _ = write!(out, "--{b}--\r\n");
    };
    let files: Vec<&Attachment> = m
        .attachments
        .iter()
        .filter(|a| a.content_id.is_none())
        .collect();
    if files.is_empty() {
        alt(out);
        return;
    }
    let b = boundary(seed, 2);
    let _ = write!(
        out,
        "Content-Type: multipart/mixed;\r\n\tboundary=\"{b}\"\r\n\r\n--{b}\r\n"
    );
    alt(out);
    out.push_str("\r\n");
    for a in files {
        let _ = write!(out, "--{b}\r\n");
        push_attachment(out, a);
    }
    let _ = write!(out, "--{b}--\r\n");
}

fn push_attachment(out: &mut String, a: &Attachment) {
    let _ = write!(
        out,
        "Content-Type: {}; name=\"{}\"\r\n",
        a.content_type, a.name
    );
    match &a.content_id {
        Some(cid) => {
            let _ = write!(
                out,
                "Content-Description: {}\r\nContent-Disposition: inline; filename=\"{}\"; size={}\r\nContent-ID: <{cid}>\r\n",
                a.name,
                a.name,
                a.data.len()
            );
        }
        None => {
            let _ = write!(
                out,
                "Content-Description: {}\r\nContent-Disposition: attachment; filename=\"{}\"; size={}\r\n",
                a.name,
                a.name,
                a.data.len()
            );
        }
    }
    out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    out.push_str(&base64_lines(&a.data));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_escapes_and_wraps() {
        let s = quoted_printable(&format!("a=b {}", "x".repeat(200)));
        assert!(s.starts_with("a=3Db "));
        assert!(s.lines().all(|l| l.len() <= 76));
    }
}
