//! Inbox `messageRules` CRUD (graph-api.md §5.2), read-only rules shown opaque.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::GReq;
use super::mail::{actor_of, move_context_first};
use super::paging::{PageSpec, context, page};
use super::resp::GResp;
use crate::server::Sim;
use crate::state::Tenant;

pub fn rules(sim: &Arc<Sim>, g: &GReq, t: &mut Tenant, uid: &str, rule_id: Option<&str>) -> GResp {
    let actor = actor_of(g);
    let ctx_coll = format!("users('{uid}')/mailFolders('inbox')/messageRules");
    let opaque = |r: &Value| -> Value {
        if r["isReadOnly"].as_bool() == Some(true) {
            let mut o = Map::new();
            for k in [
                "id",
                "displayName",
                "sequence",
                "isEnabled",
                "hasError",
                "isReadOnly",
            ] {
                o.insert(k.into(), r[k].clone());
            }
            Value::Object(o)
        } else {
            r.clone()
        }
    };
    match (&g.method, rule_id) {
        (&Method::GET, None) => {
            let items: Vec<Value> = t.mailboxes[uid].rules.iter().map(opaque).collect();
            let spec = PageSpec {
                default: 1000,
                max: 1000,
                use_skip: true,
                reject_over_max: false,
                cap: None,
            };
            page(&sim.base, g, items, &ctx_coll, spec, Map::new())
        }
        (&Method::POST, None) => {
            let Some(body) = g.body.as_ref().filter(|b| b.is_object()) else {
                return GResp::bad_request("Empty Payload. JSON content expected.");
            };
            if body["displayName"].as_str().is_none_or(str::is_empty) {
                return GResp::error(
                    StatusCode::BAD_REQUEST,
                    "ErrorInvalidArgument",
                    "The rule's DisplayName is missing.",
                );
            }
            if !body["actions"].is_object() {
                return GResp::error(
                    StatusCode::BAD_REQUEST,
                    "ErrorInvalidArgument",
                    "The rule doesn't have any actions.",
                );
            }
            match t.create_rule(uid, body.clone(), &actor) {
                Some(mut r) => {
                    r["@odata.context"] =
                        json!(context(&sim.base, g, &format!("{ctx_coll}/$entity")));
                    GResp::created(move_context_first(r))
                }
                None => GResp::mailbox_not_enabled(),
            }
        }
        (&Method::GET, Some(rid)) => match t.mailboxes[uid]
            .rules
            .iter()
            .find(|r| r["id"].as_str() == Some(rid))
        {
            Some(r) => {
                let mut r = opaque(r);
                r["@odata.context"] = json!(context(&sim.base, g, &format!("{ctx_coll}/$entity")));
                GResp::ok(move_context_first(r))
            }
            None => GResp::not_found_item(),
        },
        (&Method::PATCH, Some(rid)) => {
            let Some(body) = g.body.as_ref() else {
                return GResp::bad_request("Empty Payload. JSON content expected.");
            };
            match t.patch_rule(uid, rid, body, &actor) {
                Ok(mut r) => {
                    r["@odata.context"] =
                        json!(context(&sim.base, g, &format!("{ctx_coll}/$entity")));
                    GResp::ok(move_context_first(r))
                }
                Err("readonly") => GResp::error(
                    StatusCode::FORBIDDEN,
                    "ErrorAccessDenied",
                    "The rule can't be modified through REST because it is read-only.",
                ),
                Err(_) => GResp::not_found_item(),
            }
        }
        (&Method::DELETE, Some(rid)) => match t.delete_rule(uid, rid, &actor) {
            Ok(()) => GResp::no_content(),
            Err("readonly") => GResp::error(
                StatusCode::FORBIDDEN,
                "ErrorAccessDenied",
                "The rule can't be modified through REST because it is read-only.",
            ),
            Err(_) => GResp::not_found_item(),
        },
        _ => GResp::method_not_allowed(),
    }
}
