//! Message and mail-folder delta (graph-api.md §3.3): opaque page and delta tokens naming
//! server-side sync states, `@removed` entries, `410 SyncStateNotFound` on expiry.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::GReq;
use super::paging::{context, link};
use super::resp::GResp;
use crate::odata;
use crate::server::Sim;
use crate::state::mail::RenderOpts;
use crate::state::{DeltaItem, DeltaKind, DeltaState, Pending, Tenant};

pub fn folder_delta(sim: &Arc<Sim>, g: &GReq, t: &Tenant, uid: &str) -> GResp {
    let mb = &t.mailboxes[uid];
    let items: Vec<Value> = mb
        .folders
        .iter()
        .filter(|f| {
            f.well_known.as_deref() != Some("msgfolderroot")
                && f.well_known.as_deref() != Some("recoverableitemsdeletions")
        })
        .map(|f| mb.folder_json(f))
        .collect();
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(context(&sim.base, g, "Collection(mailFolder)")),
    );
    out.insert(
        "@odata.deltaLink".into(),
        json!(link(
            &sim.base,
            g,
            &[(
                "$deltatoken",
                crate::util::b64url(&crate::util::random_bytes::<12>())
            )]
        )),
    );
    out.insert("value".into(), Value::Array(items));
    GResp::ok(Value::Object(out))
}

pub fn sync_state_not_found(generation: u64, highest: u64) -> GResp {
    GResp::error(
        StatusCode::GONE,
        "SyncStateNotFound",
        format!(
            "The sync state generation is not found; generation={generation};[highest={highest}]"
        ),
    )
}

pub fn message_delta(
    sim: &Arc<Sim>,
    g: &GReq,
    t: &mut Tenant,
    uid: &str,
    folder_id: &str,
) -> GResp {
    let kind = DeltaKind::Messages {
        user_id: uid.to_string(),
        folder_id: folder_id.to_string(),
    };
    let epoch = t.mailboxes[uid].delta_epoch;
    let initial_url = format!("{}/{}{}", sim.base, g.version(), g.raw_path);
    let (mut st, is_delta_token) = if let Some((tok, is_delta)) = g
        .q("$skiptoken")
        .map(|s| (s, false))
        .or_else(|| g.q("$deltatoken").map(|s| (s, true)))
    {
        let Some(st) = t.delta_states.get(tok).cloned() else {
            return sync_state_not_found(epoch, t.seq).header("Location", initial_url);
        };
        if st.kind != kind
            || st.epoch != epoch
            || (is_delta && sim.chance(sim.cfg.faults.p_delta_expiry))
        {
            if st.epoch == epoch {
                sim.stats.with(|s| s.faults_injected += 1);
            }
            return sync_state_not_found(st.created_seq, t.seq).header("Location", initial_url);
        }
        (st, is_delta)
    } else {
        if let Err(r) = super::schema::check_message_select(&odata::parse_select(g.q("$select"))) {
            return r;
        }
        if g.q("$search").is_some() {
            return GResp::error(
                StatusCode::BAD_REQUEST,
                "ErrorInvalidUrlQuery",
                "The query parameter '$search' is not supported with delta.",
            );
        }
        if let Some(o) = g.q("$orderby")
            && !o.trim().eq_ignore_ascii_case("receivedDateTime desc")
        {
            return GResp::error(
                StatusCode::BAD_REQUEST,
                "ErrorInvalidUrlQuery",
                "Only '$orderby=receivedDateTime desc' is supported with delta.",
            );
        }
        let expr = match g.q("$filter").map(odata::parse_filter) {
            None => None,
            Some(Ok(e)) => {
                let ok = odata::comparisons(&e).iter().all(|(p, o)| {
                    p.eq_ignore_ascii_case("receivedDateTime")
                        && matches!(o, odata::Op::Ge | odata::Op::Gt)
                });
                if !ok || !matches!(e, odata::Expr::Cmp(..)) {
                    return GResp::error(
                        StatusCode::BAD_REQUEST,
                        "ErrorInvalidUrlQuery",
                        "Only 'receivedDateTime ge|gt {value}' is supported in $filter with delta.",
                    );
                }
                Some(e)
            }
            Some(Err(_)) => {
                return GResp::error(
                    StatusCode::BAD_REQUEST,
                    "ErrorInvalidUrlQueryFilter",
                    "Invalid filter clause",
                );
            }
        };
        let mb = &t.mailboxes[uid];
        let mut ms: Vec<&crate::state::StoredMessage> = mb
            .messages
            .values()
            .filter(|m| m.folder_id == folder_id)
            .collect();
        ms.sort_by_key(|b| std::cmp::Reverse(b.received));
        let full = RenderOpts {
            no_body: true,
            ..RenderOpts::default()
        };
        let pending: Pending = ms
            .into_iter()
            .filter(|m| {
                expr.as_ref()
                    .is_none_or(|e| odata::eval(e, &mb.message_json(m, &sim.base, &full)))
            })
            .take(if expr.is_some() { 5000 } else { usize::MAX })
            .map(|m| DeltaItem::Present(m.immutable_id.clone()))
            .collect();
        let page_size = g
            .prefer_value("odata.maxpagesize")
            .and_then(|v| v.parse::<usize>().ok())
            .or_else(|| g.q("$top").and_then(|v| v.parse().ok()))
            .filter(|n| *n > 0)
            .unwrap_or(sim.cfg.pages.delta_default);
        let change_types = g
            .q("changeType")
            .map(|c| {
                c.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        (
            DeltaState {
                kind: kind.clone(),
                epoch,
                watermark: t.seq,
                pending,
                page_size,
                select: odata::parse_select(g.q("$select")),
                immutable: g.immutable_ids(),
                change_types,
                created_seq: t.seq,
            },
            false,
        )
    };
    if is_delta_token {
        // New round: everything that changed in this folder since the watermark.
        let mb = &t.mailboxes[uid];
        let w = st.watermark;
        let mut order: Vec<String> = Vec::new();
        let mut removed_ids: std::collections::HashMap<String, String> = Default::default();
        for c in mb
            .changes
            .iter()
            .filter(|c| c.seq > w && c.folder_id == folder_id)
        {
            order.retain(|x| x != &c.immutable_id);
            order.push(c.immutable_id.clone());
            if c.removed {
                removed_ids.insert(
                    c.immutable_id.clone(),
                    if st.immutable {
                        c.immutable_id.clone()
                    } else {
                        c.rest_id.clone()
                    },
                );
            }
        }
        let wants = |k: &str| st.change_types.is_empty() || st.change_types.iter().any(|c| c == k);
        st.pending = order
            .into_iter()
            .filter_map(|imm| {
                let present = mb
                    .messages
                    .get(&imm)
                    .is_some_and(|m| m.folder_id == folder_id);
                if present {
                    let existed = mb
                        .changes
                        .iter()
                        .any(|c| c.seq <= w && c.immutable_id == imm && c.folder_id == folder_id);
                    let kind = if existed { "updated" } else { "created" };
                    wants(kind).then_some(DeltaItem::Present(imm))
                } else {
                    let id = removed_ids.get(&imm).cloned().unwrap_or(imm);
                    wants("deleted").then_some(DeltaItem::Removed(id))
                }
            })
            .collect();
        st.watermark = t.seq;
        st.created_seq = t.seq;
    }
    // A `Prefer: odata.maxpagesize` on any page of the round sets that page's size, and the
    // answer says it was applied.
    let max_page = g
        .prefer_value("odata.maxpagesize")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0);
    if let Some(n) = max_page {
        st.page_size = n;
    }
    let mb = &t.mailboxes[uid];
    let opts = RenderOpts {
        immutable: st.immutable,
        text_body: g.prefers("outlook.body-content-type=text"),
        select: st.select.clone(),
        expand_attachments: false,
        no_body: false,
    };
    let mut value = Vec::new();
    while value.len() < st.page_size {
        let Some(item) = st.pending.pop_front() else {
            break;
        };
        match item {
            DeltaItem::Present(imm) => {
                if let Some(m) = mb.messages.get(&imm).filter(|m| m.folder_id == folder_id) {
                    let mut v = mb.message_json(m, &sim.base, &opts);
                    if let Some(o) = v.as_object_mut() {
                        o.insert("@odata.type".into(), json!("#microsoft.graph.message"));
                    }
                    value.push(v);
                }
            }
            DeltaItem::Removed(id) => value.push(json!({"@odata.type": "#microsoft.graph.message", "id": id, "@removed": {"reason": "deleted"}})),
        }
    }
    let base_link = format!("{}/{}{}", sim.base, g.version(), g.raw_path);
    let more = !st.pending.is_empty();
    st.created_seq = t.seq;
    let tok = t.put_delta_state(st);
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(context(&sim.base, g, "Collection(message)")),
    );
    if more {
        out.insert(
            "@odata.nextLink".into(),
            json!(format!("{base_link}?$skiptoken={tok}")),
        );
    } else {
        out.insert(
            "@odata.deltaLink".into(),
            json!(format!("{base_link}?$deltatoken={tok}")),
        );
    }
    out.insert("value".into(), Value::Array(value));
    let r = GResp::ok(Value::Object(out));
    match max_page {
        Some(n) => r.prefer_applied(&format!("odata.maxpagesize={n}")),
        None => r,
    }
}
