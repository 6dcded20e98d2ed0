//! The injected attacks (mail-borne ones in `phish`, identity ones in `account`). Each becomes timed events after the anchor plus a [`ScenarioTruth`]
//! saying what a perfect defender would find and undo.
//!
//! Base layout (ms after the anchor, multiplied by `attack_time_scale`):
//! cred-phish-1 2.0 s / 2.6 s, ceo-fraud-1 8 s, vendor-fraud-1 14 s, qr-phish-1 20 s,
//! html-smuggling-1 26 s, ato-1 30–48 s (spray, IMAP sign-in, mail sync, rule, MFA method,
//! internal phish, consent), mfa-fatigue-1 50–57 s.

mod account;
mod phish;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::company::{Company, Role};
use crate::identity::{self, Directory, SignIn, ual_logon};
use crate::mail::InvoiceRef;
use crate::mime::{Addr, Mail};
use crate::rng::Rng;
use crate::transport::{Sender, render_inbound};
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
    // pool[1] is the account-takeover victim and pool[2] the MFA-fatigue victim: neither may
    // have travelled during the history (their attacker sign-ins must be a new country), and
    // the push-fatigue victim needs the Authenticator app.
    let fit =
        |i: usize, push: bool| !c.people[i].traveller && (!push || c.people[i].has_authenticator);
    for (slot, push) in [(1usize, false), (2, true)] {
        if let Some(j) = (slot..pool.len()).find(|&j| fit(pool[j], push)) {
            pool.swap(slot, j);
        }
    }
    let cred_n = ((n as f64 * 0.3).ceil() as usize)
        .max(10)
        .min((pool.len() * 6 / 10).max(1));

    let truths = vec![
        phish::cred_phish(&mut cx, &pool, cred_n),
        phish::ceo_fraud(&mut cx),
        phish::vendor_fraud(&mut cx, invoices),
        phish::qr_phish(&mut cx, &pool),
        phish::html_smuggling(&mut cx, &pool),
        account::account_takeover(&mut cx, &pool, cred_n),
        account::mfa_fatigue(&mut cx, &pool),
    ];
    Injected {
        events: cx.events,
        truths,
    }
}
