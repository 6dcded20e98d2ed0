//! Normal background traffic after the anchor: mail deliveries (SaaS, newsletters, vendors),
//! sign-ins and internal sends, deterministic for a given (config, start offset, rate).

use chrono::Duration;

use crate::activity::usual_sign_in;
use crate::company::Company;
use crate::generate::company_for;
use crate::identity::{Directory, Mfa};
use crate::mail::{addr_of, html_of, newsletter_mail, saas_mail, vendor_contact_mail};
use crate::mime::{Mail, Transport};
use crate::names::{INTERNAL_BODIES, INTERNAL_TOPICS};
use crate::rng::Rng;
use crate::transport::{outlook_msgid, render_inbound};
use crate::{ScenarioConfig, TimedAction, TimedEvent};

/// `count` background events starting at `from_offset_ms`, about `rate_per_min` per minute.
/// Same arguments ⇒ same events; different `from_offset_ms` ⇒ a different stream, so callers
/// can page through live time.
pub fn live_events(
    config: &ScenarioConfig,
    from_offset_ms: u64,
    rate_per_min: u32,
    count: usize,
) -> Vec<TimedEvent> {
    let c = company_for(config);
    let dir = Directory::new(&mut Rng::new(config.seed, "directory"));
    live_for(&c, &dir, config, from_offset_ms, rate_per_min, count)
}

pub(crate) fn live_for(
    c: &Company,
    dir: &Directory,
    config: &ScenarioConfig,
    from_offset_ms: u64,
    rate_per_min: u32,
    count: usize,
) -> Vec<TimedEvent> {
    let mut rng = Rng::new(
        config.seed,
        &format!("live/{from_offset_ms}/{rate_per_min}"),
    );
    let spacing = 60_000 / u64::from(rate_per_min.max(1));
    let active: Vec<usize> = c
        .people
        .iter()
        .enumerate()
        .filter(|(_, p)| p.enabled)
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::with_capacity(count);
    for i in 0..count as u64 {
        let offset = from_offset_ms + i * spacing + rng.range(0, spacing / 2 + 1);
        let when = config.anchor + Duration::milliseconds(offset as i64);
        let u = *rng.pick(&active);
        let p = &c.people[u];
        let kind = rng.below(100);
        let action = if kind < 55 {
            let (m, s) = match rng.below(10) {
                0..=3 => {
                    let (m, s, _) = saas_mail(&mut rng, c, u, when);
                    (m, s)
                }
                4..=6 => {
                    let (m, s, _) = newsletter_mail(&mut rng, c, u, when);
                    (m, s)
                }
                _ => vendor_contact_mail(&mut rng, c, u, when),
            };
            let r = render_inbound(c, &mut rng, &m, &s.transport());
            TimedAction::DeliverMessage {
                recipients: vec![p.id.clone()],
                folder: "inbox".into(),
                mime: r.inbound,
            }
        } else if kind < 80 {
            TimedAction::SignIn {
                sign_in: usual_sign_in(c, dir, p, when, &mut rng, Mfa::Claim, None),
            }
        } else {
            let mut to = *rng.pick(&active);
            if to == u {
                to = active[(active.iter().position(|&x| x == u).unwrap_or(0) + 1) % active.len()];
            }
            let topic = *rng.pick(INTERNAL_TOPICS);
            let body = format!(
                "Hi {},\n\n{}\n\n{}",
                c.people[to].given,
                rng.pick(INTERNAL_BODIES),
                p.display
            );
            let mbx = rng.pick(&c.exo.mailbox).clone();
            let m = Mail {
                from: addr_of(p),
                to: vec![addr_of(&c.people[to])],
                cc: vec![],
                reply_to: None,
                subject: topic.to_string(),
                date: when,
                tz_min: c.tz_min(p),
                message_id: outlook_msgid(&mut rng, &mbx),
                in_reply_to: None,
                references: vec![],
                html: Some(html_of(&body)),
                text: body,
                calendar: None,
                attachments: vec![],
                list_unsubscribe: None,
                importance_high: false,
                network_message_id: rng.guid(),
            };
            let r = render_inbound(c, &mut rng, &m, &Transport::Internal);
            TimedAction::SendMessage {
                user_id: p.id.clone(),
                recipients: vec![c.people[to].id.clone()],
                mime: r.inbound,
            }
        };
        out.push(TimedEvent {
            offset_ms: offset,
            scenario: None,
            action,
        });
    }
    out
}
