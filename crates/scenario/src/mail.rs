//! Normal mail history: internal threads with replies, vendor invoices with PDFs, newsletters,
//! SaaS notifications and calendar invites, spread over working hours before the anchor, plus
//! benign inbox rules and the folders they file into.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::company::{Company, Person, Role};
use crate::docs::{ics, pdf};
use crate::mime::{Addr, Attachment, Mail, Transport};
use crate::names::{
    INTERNAL_BODIES, INTERNAL_TOPICS, NEWSLETTERS, REPLY_BODIES, SAAS, VENDOR_ITEMS,
};
use crate::rng::Rng;
use crate::transport::{
    Sender, analyzed_email, mailchimp_sender, outlook_msgid, render_inbound, render_sent,
    saas_sender, vendor_msgid, vendor_sender,
};
use crate::{MailboxSeed, MessageSeed};

pub(crate) const NEWSLETTER_FOLDER: &str = "Newsletters";
pub(crate) const VENDOR_FOLDER: &str = "Vendors";

/// A past invoice, so a fraudster can imitate the thread.
#[derive(Debug, Clone)]
pub(crate) struct InvoiceRef {
    pub vendor: usize,
    pub message_id: String,
    pub subject: String,
    pub number: String,
    pub amount: String,
    pub recipient: usize,
}

pub(crate) struct History {
    pub mailboxes: BTreeMap<String, MailboxSeed>,
    pub analyzed: Vec<Value>,
    pub invoices: Vec<InvoiceRef>,
    /// (user index, rule displayName, created time) for rules created inside the history.
    pub new_rules: Vec<(usize, String, DateTime<Utc>)>,
}

pub(crate) fn addr_of(p: &Person) -> Addr {
    Addr::new(p.display.clone(), p.upn.clone())
}

/// A working-hours instant on day `day` (0 = oldest) for someone in `tz_min`.
pub(crate) fn work_time(
    rng: &mut Rng,
    anchor: DateTime<Utc>,
    days: u32,
    day: u32,
    tz_min: i32,
) -> DateTime<Utc> {
    let midnight_local = (anchor - Duration::days(i64::from(days - day)))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(anchor);
    let minute = 8 * 60 + rng.range(0, 10 * 60) as i64;
    let t = midnight_local
        + Duration::minutes(minute - i64::from(tz_min))
        + Duration::seconds(rng.range(0, 60) as i64);
    t.min(anchor - Duration::seconds(rng.range(60, 3600) as i64))
}

struct Builder<'a> {
    c: &'a Company,
    rng: Rng,
    out: History,
    newsletter_rule: Vec<bool>,
    vendor_rule: Vec<bool>,
    anchor: DateTime<Utc>,
}

impl Builder<'_> {
    fn push(
        &mut self,
        user: usize,
        folder: &str,
        received: DateTime<Utc>,
        mime: Vec<u8>,
        read_p: f64,
    ) {
        let is_read = received < self.anchor - Duration::hours(20) && self.rng.chance(0.92)
            || self.rng.chance(read_p);
        let id = &self.c.people[user].id;
        if let Some(mb) = self.out.mailboxes.get_mut(id) {
            mb.messages.push(MessageSeed {
                folder: folder.to_string(),
                received,
                is_read,
                mime,
                scenario: None,
            });
        }
    }

    fn inbound(
        &mut self,
        m: &Mail,
        s: &Sender,
        recipients: &[usize],
        folder_for: impl Fn(&Self, usize) -> &'static str,
        urls: &[String],
    ) {
        let r = render_inbound(self.c, &mut self.rng, m, &s.transport());
        for &u in recipients {
            let folder = folder_for(self, u);
            let loc = if folder == "inbox" {
                "inbox_folder"
            } else {
                "others"
            };
            let ae = analyzed_email(
                &mut self.rng,
                m,
                s,
                &self.c.people[u].upn,
                r.received,
                r.inbound.len(),
                loc,
                None,
                urls,
            );
            self.out.analyzed.push(ae);
            self.push(u, folder, r.received, r.inbound.clone(), 0.3);
        }
    }

    fn internal(&mut self, m: &Mail, sender: usize, recipients: &[usize]) {
        let sent = render_sent(self.c, m);
        self.push(sender, "sentitems", m.date, sent, 1.0);
        let r = render_inbound(self.c, &mut self.rng, m, &Transport::Internal);
        for &u in recipients {
            self.push(u, "inbox", r.received, r.inbound.clone(), 0.4);
        }
    }
}

fn pick_others(rng: &mut Rng, n: usize, exclude: usize, k: usize) -> Vec<usize> {
    let mut v = Vec::with_capacity(k);
    let mut guard = 0;
    while v.len() < k.min(n.saturating_sub(1)) && guard < 50 {
        guard += 1;
        let x = rng.below(n);
        if x != exclude && !v.contains(&x) {
            v.push(x);
        }
    }
    v
}

/// Generate the history. `per_user_per_day` is the mean number of messages each mailbox
/// receives per day.
pub(crate) fn history(
    c: &Company,
    seed: u64,
    anchor: DateTime<Utc>,
    days: u32,
    per_user_per_day: f64,
) -> History {
    let mut rng = Rng::new(seed, "mail");
    let n = c.people.len();
    let mut mailboxes = BTreeMap::new();
    let mut newsletter_rule = vec![false; n];
    let mut vendor_rule = vec![false; n];
    let mut new_rules = Vec::new();
    let newsletter_domains: Vec<&str> = NEWSLETTERS.iter().map(|x| x.1).collect();
    let vendor_domains: Vec<String> = c.vendors.iter().map(|v| v.domain.clone()).collect();
    for (i, p) in c.people.iter().enumerate() {
        let mut mb = MailboxSeed {
            mailbox_settings: mailbox_settings(c, p),
            ..Default::default()
        };
        let mut seq = 1;
        if rng.chance(0.3) {
            newsletter_rule[i] = true;
            mb.extra_folders
                .push(json!({"displayName": NEWSLETTER_FOLDER, "isHidden": false}));
            mb.inbox_rules.push(json!({
                "displayName": "Newsletters",
                "sequence": seq,
                "isEnabled": true,
                "hasError": false,
                "isReadOnly": false,
                "conditions": {"senderContains": newsletter_domains},
                "actions": {"moveToFolder": NEWSLETTER_FOLDER, "stopProcessingRules": true},
            }));
            seq += 1;
            if rng.chance(0.05) {
                new_rules.push((
                    i,
                    "Newsletters".to_string(),
                    anchor
                        - Duration::hours(rng.range(24, 24 * i64::from(days.max(2)) as u64) as i64),
                ));
            }
        }
        if p.role == Role::ApClerk {
            vendor_rule[i] = true;
            mb.extra_folders
                .push(json!({"displayName": VENDOR_FOLDER, "isHidden": false}));
            mb.inbox_rules.push(json!({
                "displayName": "Vendors",
                "sequence": seq,
                "isEnabled": true,
                "hasError": false,
                "isReadOnly": false,
                "conditions": {"senderContains": vendor_domains, "subjectContains": ["Invoice"]},
                "actions": {"moveToFolder": VENDOR_FOLDER, "markImportance": "high", "stopProcessingRules": true},
            }));
        }
        mailboxes.insert(p.id.clone(), mb);
    }
    let mut b = Builder {
        c,
        rng: rng.fork("messages"),
        out: History {
            mailboxes,
            analyzed: Vec::new(),
            invoices: Vec::new(),
            new_rules,
        },
        newsletter_rule,
        vendor_rule,
        anchor,
    };
    let target = (per_user_per_day.max(0.0) * n as f64 * f64::from(days)).round() as usize;
    let mut delivered = 0usize;
    let finance: Vec<usize> = c
        .people
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            matches!(p.role, Role::ApClerk | Role::Finance) || p.department == "Finance"
        })
        .map(|(i, _)| i)
        .collect();
    let mut invoice_no: u32 = 10_000 + b.rng.range(0, 80_000) as u32;
    while delivered < target {
        let day = b.rng.below(days.max(1) as usize) as u32;
        let kind = b.rng.below(100);
        delivered += match kind {
            0..=44 => internal_thread(&mut b, days, day),
            45..=59 => newsletter(&mut b, days, day),
            60..=74 => saas(&mut b, days, day),
            75..=84 => invite(&mut b, days, day),
            85..=89 => {
                invoice_no += 1 + b.rng.below(7) as u32;
                invoice(&mut b, days, day, &finance, invoice_no)
            }
            _ => vendor_contact(&mut b, days, day),
        };
    }
    for mb in b.out.mailboxes.values_mut() {
        mb.messages.sort_by_key(|x| x.received);
    }
    b.out
}

fn mailbox_settings(c: &Company, p: &Person) -> Value {
    let city = c.city(p);
    json!({
        "archiveFolder": null,
        "timeZone": city.tz_name,
        "automaticRepliesSetting": {
            "status": "disabled",
            "externalAudience": "all",
            "internalReplyMessage": "",
            "externalReplyMessage": "",
            "scheduledStartDateTime": {"dateTime": "2026-01-01T00:00:00.0000000", "timeZone": "UTC"},
            "scheduledEndDateTime": {"dateTime": "2026-01-02T00:00:00.0000000", "timeZone": "UTC"},
        },
        "language": {"locale": c.country.locale, "displayName": if c.country.code == "DE" { "German (Germany)" } else if c.country.code == "GB" { "English (United Kingdom)" } else { "English (United States)" }},
        "dateFormat": if c.country.code == "US" { "M/d/yyyy" } else { "dd/MM/yyyy" },
        "timeFormat": if c.country.code == "US" { "h:mm tt" } else { "HH:mm" },
        "userPurpose": "user",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": city.tz_name},
        },
    })
}

fn signature(p: &Person, c: &Company) -> String {
    format!(
        "\n\n{}\n{} | {}\n{}",
        p.display, p.job_title, c.name, p.phone
    )
}

fn internal_thread(b: &mut Builder, days: u32, day: u32) -> usize {
    let c = b.c;
    let n = c.people.len();
    let s = b.rng.below(n);
    let k = 1 + b.rng.below(3);
    let to = pick_others(&mut b.rng, n, s, k);
    if to.is_empty() {
        return 1;
    }
    let topic = *b.rng.pick(INTERNAL_TOPICS);
    let date = work_time(&mut b.rng, b.anchor, days, day, c.tz_min(&c.people[s]));
    let mbx = b.rng.pick(&c.exo.mailbox).clone();
    let msgid = outlook_msgid(&mut b.rng, &mbx);
    let body = format!(
        "Hi {},\n\n{}{}",
        c.people[to[0]].given,
        b.rng.pick(INTERNAL_BODIES),
        signature(&c.people[s], c)
    );
    let m = Mail {
        from: addr_of(&c.people[s]),
        to: to.iter().map(|&i| addr_of(&c.people[i])).collect(),
        cc: vec![],
        reply_to: None,
        subject: topic.to_string(),
        date,
        tz_min: c.tz_min(&c.people[s]),
        message_id: msgid.clone(),
        in_reply_to: None,
        references: vec![],
        html: Some(html_of(&body)),
        text: body,
        calendar: None,
        attachments: vec![],
        list_unsubscribe: None,
        importance_high: false,
        network_message_id: b.rng.guid(),
    };
    b.internal(&m, s, &to);
    let mut count = to.len();
    if b.rng.chance(0.5) {
        let r = to[0];
        let rdate = (date + Duration::minutes(b.rng.range(5, 240) as i64))
            .min(b.anchor - Duration::seconds(30));
        let rid = outlook_msgid(&mut b.rng, &mbx);
        let quoted: String = m.text.lines().map(|l| format!("> {l}\n")).collect();
        let body = format!(
            "{}{}\n\n-----Original Message-----\nFrom: {}\nSent: {}\nSubject: {}\n\n{quoted}",
            b.rng.pick(REPLY_BODIES),
            signature(&c.people[r], c),
            m.from.name,
            date.format("%A, %B %-d, %Y %-I:%M %p"),
            topic
        );
        let reply = Mail {
            from: addr_of(&c.people[r]),
            to: vec![addr_of(&c.people[s])],
            subject: format!("RE: {topic}"),
            date: rdate,
            tz_min: c.tz_min(&c.people[r]),
            message_id: rid,
            in_reply_to: Some(msgid.clone()),
            references: vec![msgid],
            html: Some(html_of(&body)),
            text: body,
            network_message_id: b.rng.guid(),
            ..m.clone()
        };
        b.internal(&reply, r, &[s]);
        count += 1;
    }
    count
}

pub(crate) fn html_of(text: &str) -> String {
    let esc = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let paras: Vec<String> = esc
        .split("\n\n")
        .map(|p| format!("<p class=\"MsoNormal\">{}</p>", p.replace('\n', "<br>\n")))
        .collect();
    format!(
        "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=us-ascii\">\n</head>\n<body lang=\"EN-US\">\n<div class=\"WordSection1\">\n{}\n</div>\n</body>\n</html>\n",
        paras.join("\n")
    )
}

fn newsletter(b: &mut Builder, days: u32, day: u32) -> usize {
    let c = b.c;
    let u = b.rng.below(c.people.len());
    let date =
        work_time(&mut b.rng, b.anchor, days, day, c.tz_min(&c.people[u])) - Duration::hours(2);
    let (m, s, links) = newsletter_mail(&mut b.rng, c, u, date);
    b.inbound(
        &m,
        &s,
        &[u],
        |b, u| {
            if b.newsletter_rule[u] {
                NEWSLETTER_FOLDER
            } else {
                "inbox"
            }
        },
        &links,
    );
    1
}

pub(crate) fn newsletter_mail(
    rng: &mut Rng,
    c: &Company,
    u: usize,
    date: DateTime<Utc>,
) -> (Mail, Sender, Vec<String>) {
    let (name, domain, topic) = *rng.pick(NEWSLETTERS);
    let token = rng.alnum(24);
    let links: Vec<String> = (0..3)
        .map(|i| {
            format!(
                "https://click.{domain}/t/c/{token}{i}?u=https%3A%2F%2Fwww.{domain}%2Fstories%2F{}",
                rng.digits(6)
            )
        })
        .collect();
    let unsub = format!("https://www.{domain}/unsubscribe?u={token}");
    let text = format!(
        "{name} - {topic}\n\nTop stories this week:\n1. Read more: {}\n2. Read more: {}\n3. Read more: {}\n\nYou are receiving this because you subscribed at {domain}.\nUnsubscribe: {unsub}\n",
        links[0], links[1], links[2]
    );
    let html = format!(
        "<html><head><title>{name}</title></head><body style=\"font-family:Arial\">\n<table width=\"600\"><tr><td><h1>{topic}</h1>\n<p>Top stories this week</p>\n<p><a href=\"{}\">Story one</a></p>\n<p><a href=\"{}\">Story two</a></p>\n<p><a href=\"{}\">Story three</a></p>\n<p style=\"font-size:10px\">You are receiving this because you subscribed at {domain}. <a href=\"{unsub}\">Unsubscribe</a></p>\n<img src=\"https://open.{domain}/o/{token}.gif\" width=\"1\" height=\"1\" alt=\"\">\n</td></tr></table></body></html>\n",
        links[0], links[1], links[2]
    );
    let s = mailchimp_sender(rng, domain);
    let m = Mail {
        from: Addr::new(name, format!("news@{domain}")),
        to: vec![addr_of(&c.people[u])],
        cc: vec![],
        reply_to: None,
        subject: format!("{topic} | {name}"),
        date,
        tz_min: 0,
        message_id: format!(
            "<{}.{}@mail{}.atl11.rsgsv.net>",
            rng.hex_upper(20).to_lowercase(),
            rng.digits(8),
            rng.range(1, 200)
        ),
        in_reply_to: None,
        references: vec![],
        text,
        html: Some(html),
        calendar: None,
        attachments: vec![],
        list_unsubscribe: Some(format!("<{unsub}>, <mailto:unsubscribe-{token}@{domain}>")),
        importance_high: false,
        network_message_id: rng.guid(),
    };
    (m, s, links)
}

fn saas(b: &mut Builder, days: u32, day: u32) -> usize {
    let c = b.c;
    let u = b.rng.below(c.people.len());
    let date = work_time(&mut b.rng, b.anchor, days, day, c.tz_min(&c.people[u]));
    let (m, s, links) = saas_mail(&mut b.rng, c, u, date);
    b.inbound(&m, &s, &[u], |_, _| "inbox", &links);
    1
}

pub(crate) fn saas_mail(
    rng: &mut Rng,
    c: &Company,
    u: usize,
    date: DateTime<Utc>,
) -> (Mail, Sender, Vec<String>) {
    let svc = rng.pick(SAAS);
    let subject = rng.pick(svc.subjects).to_string();
    let link = format!("{}{}", svc.link, rng.alnum(16));
    let text = format!(
        "Hello {},\n\n{subject}.\n\nView it here: {link}\n\n-- \nThe {} team\nThis is an automated message; please do not reply.\n",
        c.people[u].given, svc.name
    );
    let html = format!(
        "<html><body><p>Hello {},</p><p>{subject}.</p><p><a href=\"{link}\" style=\"background:#0b5cff;color:#fff;padding:8px\">Open {}</a></p><p style=\"color:#888\">This is an automated message; please do not reply.</p></body></html>\n",
        c.people[u].given, svc.name
    );
    let s = saas_sender(rng, svc.infra, svc.mailfrom, svc.dkim);
    let msgid = match svc.infra {
        2 => format!(
            "<0100018d{}-{}-000000@email.amazonses.com>",
            rng.hex_upper(8).to_lowercase(),
            rng.guid()
        ),
        _ => crate::transport::generic_msgid(rng, svc.dkim),
    };
    let m = Mail {
        from: Addr::new(svc.name, svc.from),
        to: vec![addr_of(&c.people[u])],
        cc: vec![],
        reply_to: None,
        subject,
        date,
        tz_min: 0,
        message_id: msgid,
        in_reply_to: None,
        references: vec![],
        text,
        html: Some(html),
        calendar: None,
        attachments: vec![],
        list_unsubscribe: None,
        importance_high: false,
        network_message_id: rng.guid(),
    };
    (m, s, vec![link])
}

fn invite(b: &mut Builder, days: u32, day: u32) -> usize {
    let c = b.c;
    let n = c.people.len();
    let org = b.rng.below(n);
    let k = 2 + b.rng.below(4);
    let att = pick_others(&mut b.rng, n, org, k);
    if att.is_empty() {
        return 1;
    }
    let date = work_time(&mut b.rng, b.anchor, days, day, c.tz_min(&c.people[org]));
    let start = date + Duration::days(1 + b.rng.range(0, 6) as i64);
    let start = start
        - Duration::minutes(i64::from(
            start.format("%M").to_string().parse::<u32>().unwrap_or(0),
        ));
    let topic = *b.rng.pick(INTERNAL_TOPICS);
    let attendees: Vec<Addr> = att.iter().map(|&i| addr_of(&c.people[i])).collect();
    let organizer = addr_of(&c.people[org]);
    let uid = format!("040000008200E00074C5B7101A82E008{}", b.rng.hex_upper(48));
    let location = format!(
        "Microsoft Teams Meeting; {}",
        c.offices[c.people[org].office].name
    );
    let cal = ics(
        &uid,
        &organizer,
        &attendees,
        topic,
        start,
        30 * (1 + b.rng.below(2) as i64),
        &location,
        date,
    );
    let text = format!(
        "{topic}\n\n________________________________________________________________________________\nMicrosoft Teams meeting\nJoin on your computer, mobile app or room device\nClick here to join the meeting<https://teams.microsoft.com/l/meetup-join/19%3ameeting_{}%40thread.v2/0>\nMeeting ID: {} {} {}\n",
        b.rng.alnum(40),
        b.rng.digits(3),
        b.rng.digits(3),
        b.rng.digits(3)
    );
    let mbx = b.rng.pick(&c.exo.mailbox).clone();
    let m = Mail {
        from: organizer,
        to: attendees,
        cc: vec![],
        reply_to: None,
        subject: topic.to_string(),
        date,
        tz_min: c.tz_min(&c.people[org]),
        message_id: outlook_msgid(&mut b.rng, &mbx),
        in_reply_to: None,
        references: vec![],
        html: Some(html_of(&text)),
        text,
        calendar: Some(cal),
        attachments: vec![],
        list_unsubscribe: None,
        importance_high: false,
        network_message_id: b.rng.guid(),
    };
    b.internal(&m, org, &att);
    att.len()
}

/// Invoice text shared by real invoices and the fraudulent "bank details changed" follow-up.
pub(crate) fn invoice_lines(
    vendor: &str,
    number: &str,
    amount: &str,
    due: &str,
    iban: &str,
) -> Vec<String> {
    vec![
        vendor.to_string(),
        format!("INVOICE {number}"),
        String::new(),
        format!("Amount due: {amount}"),
        format!("Due date: {due}"),
        format!("Pay to IBAN: {iban}"),
        "Payment terms: 30 days net".to_string(),
    ]
}

fn invoice(b: &mut Builder, days: u32, day: u32, finance: &[usize], no: u32) -> usize {
    let c = b.c;
    if c.vendors.is_empty() || finance.is_empty() {
        return 1;
    }
    let vi = b.rng.below(c.vendors.len());
    let v = &c.vendors[vi];
    let recipient = if !c.ap_clerks.is_empty() && b.rng.chance(0.8) {
        *b.rng.pick(&c.ap_clerks)
    } else {
        *b.rng.pick(finance)
    };
    let date = work_time(
        &mut b.rng,
        b.anchor,
        days,
        day,
        c.tz_min(&c.people[recipient]),
    );
    let number = format!("{}{no}", v.invoice_prefix);
    let cur = if v.country.code == "US" {
        "USD"
    } else if v.country.code == "GB" {
        "GBP"
    } else {
        "EUR"
    };
    let amount = format!(
        "{cur} {}.{:02}",
        400 + b.rng.range(0, 24_000),
        b.rng.below(100)
    );
    let due = (date + Duration::days(30)).format("%Y-%m-%d").to_string();
    let item = *b.rng.pick(VENDOR_ITEMS);
    let mut lines = invoice_lines(&v.name, &number, &amount, &due, &v.iban);
    lines.insert(3, format!("Item: {item}"));
    let pdf_bytes = pdf(&format!("Invoice {number}"), &lines);
    let subject = format!("Invoice {number} from {}", v.name);
    let text = format!(
        "Dear {},\n\nPlease find attached invoice {number} for {item} ({amount}), due {due}.\n\nKind regards,\n{}\nAccounts Receivable | {}\n",
        c.people[recipient].given, v.contact_name, v.name
    );
    let s = vendor_sender(&mut b.rng, v, &v.billing);
    let msgid = vendor_msgid(&mut b.rng, v);
    let m = Mail {
        from: Addr::new(format!("{} Accounts", v.name), v.billing.clone()),
        to: vec![addr_of(&c.people[recipient])],
        cc: vec![],
        reply_to: None,
        subject: subject.clone(),
        date,
        tz_min: 0,
        message_id: msgid.clone(),
        in_reply_to: None,
        references: vec![],
        html: Some(html_of(&text)),
        text,
        calendar: None,
        attachments: vec![Attachment {
            name: format!("Invoice_{number}.pdf"),
            content_type: "application/pdf".into(),
            data: pdf_bytes,
            content_id: None,
        }],
        list_unsubscribe: None,
        importance_high: false,
        network_message_id: b.rng.guid(),
    };
    b.inbound(
        &m,
        &s,
        &[recipient],
        |b, u| {
            if b.vendor_rule[u] {
                VENDOR_FOLDER
            } else {
                "inbox"
            }
        },
        &[],
    );
    b.out.invoices.push(InvoiceRef {
        vendor: vi,
        message_id: msgid.clone(),
        subject: subject.clone(),
        number,
        amount,
        recipient,
    });
    // The clerk acknowledges: an outbound reply in Sent Items.
    if b.rng.chance(0.6) {
        let rdate = (date + Duration::minutes(b.rng.range(10, 300) as i64))
            .min(b.anchor - Duration::seconds(30));
        let body = format!(
            "Hi {},\n\nThanks - received and scheduled for the next payment run.{}",
            v.contact_name.split(' ').next().unwrap_or(""),
            signature(&c.people[recipient], c)
        );
        let mbx = b.rng.pick(&c.exo.mailbox).clone();
        let reply = Mail {
            from: addr_of(&c.people[recipient]),
            to: vec![Addr::new(format!("{} Accounts", v.name), v.billing.clone())],
            subject: format!("RE: {subject}"),
            date: rdate,
            tz_min: c.tz_min(&c.people[recipient]),
            message_id: outlook_msgid(&mut b.rng, &mbx),
            in_reply_to: Some(msgid.clone()),
            references: vec![msgid],
            html: Some(html_of(&body)),
            text: body,
            attachments: vec![],
            network_message_id: b.rng.guid(),
            ..m.clone()
        };
        let sent = render_sent(c, &reply);
        b.push(recipient, "sentitems", rdate, sent, 1.0);
    }
    1
}

fn vendor_contact(b: &mut Builder, days: u32, day: u32) -> usize {
    let c = b.c;
    if c.vendors.is_empty() {
        return 1;
    }
    let u = b.rng.below(c.people.len());
    let date = work_time(&mut b.rng, b.anchor, days, day, c.tz_min(&c.people[u]));
    let (m, s) = vendor_contact_mail(&mut b.rng, c, u, date);
    b.inbound(&m, &s, &[u], |_, _| "inbox", &[]);
    1
}

pub(crate) fn vendor_contact_mail(
    rng: &mut Rng,
    c: &Company,
    u: usize,
    date: DateTime<Utc>,
) -> (Mail, Sender) {
    let v = &c.vendors[rng.below(c.vendors.len())];
    let text = format!(
        "Hi {},\n\nFollowing up on our last conversation - are you free for a short call this week to go over the next order?\n\nBest,\n{}\n{}\n",
        c.people[u].given, v.contact_name, v.name
    );
    let s = vendor_sender(rng, v, &v.contact);
    let m = Mail {
        from: Addr::new(v.contact_name.clone(), v.contact.clone()),
        to: vec![addr_of(&c.people[u])],
        cc: vec![],
        reply_to: None,
        subject: format!("{} / {} - next steps", v.name, c.name),
        date,
        tz_min: 0,
        message_id: vendor_msgid(rng, v),
        in_reply_to: None,
        references: vec![],
        html: Some(html_of(&text)),
        text,
        calendar: None,
        attachments: vec![],
        list_unsubscribe: None,
        importance_high: false,
        network_message_id: rng.guid(),
    };
    (m, s)
}
