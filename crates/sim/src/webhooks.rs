//! Outbound HTTP from "Microsoft": Graph change notifications (batched per URL, retried, lossy
//! on demand), lifecycle notifications, and Management Activity API webhook notifications.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::server::Sim;
use crate::state::MessageEvent;
use crate::util::{graph_time_7, new_guid};

#[derive(Debug)]
pub enum WebhookJob {
    MessageEvents(Vec<MessageEvent>),
    Lifecycle {
        subscription_id: String,
        event: String,
    },
}

/// Build the notification items each subscription should receive for these events, grouped by
/// notification URL.
fn notifications_for(sim: &Sim, events: &[MessageEvent]) -> BTreeMap<String, Vec<Value>> {
    let now = Utc::now();
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut t = sim.state.lock();
    t.subscriptions.retain(|_, s| s.expiration > now);
    let tenant_id = t.tenant_id.clone();
    for s in t.subscriptions.values() {
        for e in events {
            if e.user_id != s.user_id || s.folder_id.as_ref().is_some_and(|f| *f != e.folder_id) {
                continue;
            }
            if !s.change_types.iter().any(|c| c == e.change_type) {
                continue;
            }
            let id = if s.immutable_ids {
                &e.immutable_id
            } else {
                &e.rest_id
            };
            let res = format!("Users/{}/Messages/{}", e.user_id, id);
            out.entry(s.notification_url.clone())
                .or_default()
                .push(json!({
                    "id": new_guid(),
                    "subscriptionId": s.id,
                    "subscriptionExpirationDateTime": graph_time_7(s.expiration),
                    "changeType": e.change_type,
                    "resource": res,
                    "resourceData": {
                        "@odata.type": "#Microsoft.Graph.Message",
                        "@odata.id": res,
                        "@odata.etag": format!("W/\"{}\"", e.change_key),
                        "id": id,
                    },
                    "clientState": s.client_state,
                    "tenantId": tenant_id,
                }));
        }
    }
    out
}

/// POST one notification batch with Microsoft's retry behaviour (compressed).
async fn deliver(sim: Arc<Sim>, url: String, body: Value, lifecycle: bool) {
    if !lifecycle && !sim.cfg.notification_latency.is_zero() {
        tokio::time::sleep(sim.cfg.notification_latency).await;
    }
    if sim.chance(sim.cfg.faults.p_lost_webhook) {
        sim.stats.with(|s| {
            s.webhook_lost += 1;
            s.faults_injected += 1;
        });
        return;
    }
    let mut backoff = sim.cfg.webhook_retry_backoff;
    for attempt in 0..=sim.cfg.webhook_retries {
        let res = sim
            .http
            .post(&url)
            .json(&body)
            .timeout(sim.cfg.webhook_delivery_timeout)
            .send()
            .await;
        if res.as_ref().is_ok_and(|r| r.status().is_success()) {
            sim.stats.with(|s| {
                if lifecycle {
                    s.lifecycle_notifications += 1;
                } else {
                    s.webhook_deliveries += 1;
                }
            });
            return;
        }
        sim.stats.with(|s| s.webhook_failures += 1);
        if attempt < sim.cfg.webhook_retries {
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
    }
    // Dropped after the retry window: subscribers with a lifecycle URL are told they missed
    // notifications (and should resync with delta).
    if !lifecycle {
        let mut ids: Vec<String> = body["value"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n["subscriptionId"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids.dedup();
        for subscription_id in ids {
            let _ = sim.webhook_tx.send(WebhookJob::Lifecycle {
                subscription_id,
                event: "missed".into(),
            });
        }
    }
}

/// The worker: owns delivery; holds only a weak reference so shutdown drops the simulator.
pub async fn run(sim: Weak<Sim>, mut rx: mpsc::UnboundedReceiver<WebhookJob>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            job = rx.recv() => {
                let Some(job) = job else { return };
                let Some(sim) = sim.upgrade() else { return };
                match job {
                    WebhookJob::MessageEvents(mut events) => {
                        // Collect what arrives within the batch window into one POST per URL.
                        let deadline = tokio::time::Instant::now() + sim.cfg.webhook_batch_window;
                        loop {
                            match tokio::time::timeout_at(deadline, rx.recv()).await {
                                Ok(Some(WebhookJob::MessageEvents(more))) => events.extend(more),
                                Ok(Some(other)) => handle_lifecycle(&sim, other),
                                Ok(None) | Err(_) => break,
                            }
                        }
                        for (url, items) in notifications_for(&sim, &events) {
                            tokio::spawn(deliver(sim.clone(), url, json!({"value": items}), false));
                        }
                    }
                    other => handle_lifecycle(&sim, other),
                }
            }
            _ = tick.tick() => {
                let Some(sim) = sim.upgrade() else { return };
                management_notifications(&sim);
            }
        }
    }
}

fn handle_lifecycle(sim: &Arc<Sim>, job: WebhookJob) {
    let WebhookJob::Lifecycle {
        subscription_id,
        event,
    } = job
    else {
        return;
    };
    let mut t = sim.state.lock();
    let Some(s) = t.subscriptions.get(&subscription_id).cloned() else {
        return;
    };
    if event == "subscriptionRemoved" {
        t.subscriptions.remove(&subscription_id);
    }
    let tenant_id = t.tenant_id.clone();
    drop(t);
    let Some(url) = s.lifecycle_url.clone() else {
        return;
    };
    let body = json!({"value": [{
        "subscriptionId": s.id,
        "subscriptionExpirationDateTime": graph_time_7(s.expiration),
        "tenantId": tenant_id,
        "clientState": s.client_state,
        "lifecycleEvent": event,
    }]});
    tokio::spawn(deliver(sim.clone(), url, body, true));
}

/// Announce newly complete content blobs to Management API webhooks.
fn management_notifications(sim: &Arc<Sim>) {
    let now = Utc::now();
    let mut posts = Vec::new();
    {
        let mut t = sim.state.lock();
        let tenant_id = t.tenant_id.clone();
        let cts: Vec<String> = t
            .feed
            .iter()
            .filter(|(_, s)| {
                s.enabled && s.webhook.as_ref().is_some_and(|w| w["status"] == "enabled")
            })
            .map(|(k, _)| k.clone())
            .collect();
        for ct in cts {
            let Some(ct_static) = crate::management::CONTENT_TYPES
                .iter()
                .find(|(c, _)| *c == ct)
                .map(|(c, _)| *c)
            else {
                continue;
            };
            let blobs = crate::management::blobs(
                sim,
                &t,
                ct_static,
                now - chrono::TimeDelta::days(7),
                now + chrono::TimeDelta::seconds(1),
            );
            let Some(sub) = t.feed.get_mut(&ct) else {
                continue;
            };
            let fresh: Vec<Value> = blobs
                .into_iter()
                .filter(|b| sub.notified.insert(b.content_id(&tenant_id)))
                .map(|b| {
                    let mut v = b.to_json(&sim.base, &tenant_id);
                    v["tenantId"] = json!(tenant_id);
                    v["clientId"] = json!(sim.cfg.apps.first().map(|a| a.client_id.clone()));
                    v
                })
                .collect();
            if fresh.is_empty() {
                continue;
            }
            if let Some(w) = &sub.webhook {
                posts.push((
                    ct.clone(),
                    w["address"].as_str().unwrap_or_default().to_string(),
                    w["authId"].as_str().unwrap_or_default().to_string(),
                    Value::Array(fresh),
                ));
            }
        }
    }
    for (ct, url, auth_id, body) in posts {
        let sim = sim.clone();
        tokio::spawn(async move {
            let ok = sim
                .http
                .post(&url)
                .header("Webhook-AuthID", auth_id)
                .json(&body)
                .timeout(sim.cfg.webhook_delivery_timeout)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            // Persistent failure disables the webhook (re-enable with /start), as documented.
            if let Some(sub) = sim.state.lock().feed.get_mut(&ct) {
                sub.webhook_failures = if ok { 0 } else { sub.webhook_failures + 1 };
                if sub.webhook_failures > sim.cfg.webhook_retries
                    && let Some(w) = sub.webhook.as_mut()
                {
                    w["status"] = json!("disabled");
                }
            }
            sim.stats.with(|s| {
                if ok {
                    s.management_webhook_notifications += 1
                } else {
                    s.webhook_failures += 1
                }
            });
        });
    }
}
