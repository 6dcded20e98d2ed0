//! Outlook mail under `/users/{id}`: messages, attachments, MIME, folders, message delta, inbox
//! rules and mailbox settings (graph-api.md §4, §5, §3.3).

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::GReq;
use super::paging::{PageSpec, context, page, selected};
use super::resp::GResp;
use crate::odata;
use crate::server::Sim;
use crate::state::mail::RenderOpts;
use crate::state::{Tenant, audit::Actor};

pub fn actor_of(g: &GReq) -> Actor {
    Actor::App {
        app_id: g.claims.appid.clone(),
        display_name: g.claims.app_displayname.clone(),
    }
}

fn render_opts(g: &GReq) -> RenderOpts {
    RenderOpts {
        immutable: g.immutable_ids(),
        text_body: g.prefers("outlook.body-content-type=text"),
        select: odata::parse_select(g.q("$select")),
        expand_attachments: g
            .q("$expand")
            .is_some_and(|e| e.to_ascii_lowercase().contains("attachments")),
        no_body: false,
    }
}

fn with_pref(g: &GReq, r: GResp) -> GResp {
    if g.immutable_ids() {
        r.prefer_applied("IdType=\"ImmutableId\"")
    } else {
        r
    }
}

fn malformed_or_missing(id: &str) -> GResp {
    let ok_chars = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '=' | '+' | '/'));
    if !ok_chars || id.len() < 8 {
        GResp::error(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidIdMalformed",
            "Id is malformed.",
        )
    } else {
        GResp::not_found_item()
    }
}

/// Whether an Application Access Policy lets the app reach this mailbox.
pub fn in_scope(sim: &Sim, t: &Tenant, uid: &str) -> bool {
    match &sim.cfg.mailbox_access_scope {
        None => true,
        Some(list) => list.iter().any(|k| t.user_id(k).as_deref() == Some(uid)),
    }
}

pub fn route(sim: &Arc<Sim>, g: &GReq) -> GResp {
    let area = g.lc(2);
    let read = g.method == Method::GET;
    let rules_or_settings =
        area == "mailboxsettings" || (area == "mailfolders" && g.lc(4) == "messagerules");
    let allowed = if rules_or_settings {
        g.claims.has_role(&["MailboxSettings.ReadWrite"])
            || (read && g.claims.has_role(&["MailboxSettings.Read"]))
    } else {
        g.claims.has_role(&["Mail.ReadWrite"])
            || (read && g.claims.has_role(&["Mail.Read", "Mail.ReadBasic.All"]))
    };
    if !allowed {
        return GResp::mailbox_denied();
    }
    let r = sim.mutate(|t| {
        let Some(uid) = t.user_id(&g.segs[1]) else {
            return GResp::error(
                StatusCode::NOT_FOUND,
                "ErrorInvalidUser",
                format!("The requested user '{}' is invalid.", g.segs[1]),
            );
        };
        if !t.mailboxes.contains_key(&uid) {
            return GResp::mailbox_not_enabled();
        }
        if !in_scope(sim, t, &uid) {
            return GResp::error(
                StatusCode::FORBIDDEN,
                "ErrorAccessDenied",
                "Access to OData is disabled.",
            );
        }
        mail_inner(sim, g, t, &uid)
    });
    with_pref(g, r)
}

fn mail_inner(sim: &Arc<Sim>, g: &GReq, t: &mut Tenant, uid: &str) -> GResp {
    let rest: Vec<String> = g.segs[2..].iter().map(|s| s.to_ascii_lowercase()).collect();
    let raw = &g.segs[2..];
    let r: Vec<&str> = rest.iter().map(String::as_str).collect();
    let m = &g.method;
    match (m, r.as_slice()) {
        (&Method::GET, ["messages"]) => list_messages(sim, g, t, uid, None),
        (_, ["messages", _, ..]) => message_ops(sim, g, t, uid, &raw[1], &r[2..]),
        (&Method::GET, ["mailfolders"]) => list_folders(sim, g, t, uid, None),
        (&Method::POST, ["mailfolders"]) => create_folder(sim, g, t, uid, None),
        (&Method::GET, ["mailfolders", "delta"]) => super::delta::folder_delta(sim, g, t, uid),
        (_, ["mailfolders", _, rest @ ..]) => {
            let Some(folder) = t.mailboxes[uid].folder(&raw[1]).cloned() else {
                return malformed_or_missing(&raw[1]);
            };
            match (m, rest) {
                (&Method::GET, []) => {
                    let mb = &t.mailboxes[uid];
                    let mut v = mb.folder_json(&folder);
                    v["@odata.context"] = json!(context(
                        &sim.base,
                        g,
                        &format!("users('{uid}')/mailFolders/$entity")
                    ));
                    GResp::ok(v)
                }
                (&Method::GET, ["childfolders"]) => list_folders(sim, g, t, uid, Some(&folder.id)),
                (&Method::POST, ["childfolders"]) => {
                    create_folder(sim, g, t, uid, Some(&folder.id))
                }
                (&Method::GET, ["messages"]) => list_messages(sim, g, t, uid, Some(&folder.id)),
                (&Method::GET, ["messages", "delta"]) => {
                    super::delta::message_delta(sim, g, t, uid, &folder.id)
                }
                (_, ["messages", _, ..]) => message_ops(sim, g, t, uid, &raw[3], &r[4..]),
                (_, ["messagerules", ..]) => {
                    if folder.well_known.as_deref() != Some("inbox") {
                        return GResp::error(
                            StatusCode::BAD_REQUEST,
                            "ErrorInvalidRequest",
                            "Message rules are only supported on the Inbox folder.",
                        );
                    }
                    super::rules::rules(sim, g, t, uid, raw.get(3).map(String::as_str))
                }
                _ => GResp::method_not_allowed(),
            }
        }
        (&Method::GET, ["mailboxsettings"]) => {
            let mut v = t.mailboxes[uid].settings.clone();
            v["@odata.context"] = json!(context(
                &sim.base,
                g,
                &format!("users('{uid}')/mailboxSettings")
            ));
            GResp::ok(move_context_first(v))
        }
        (&Method::GET, ["mailboxsettings", _]) => {
            let s = &t.mailboxes[uid].settings;
            let key = raw[1].as_str();
            let Some((k, v)) = s
                .as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
            else {
                return GResp::unknown_segment(key);
            };
            let ctx = json!(context(
                &sim.base,
                g,
                &format!("users('{uid}')/mailboxSettings/{k}")
            ));
            let mut out = Map::new();
            out.insert("@odata.context".into(), ctx);
            match v {
                Value::Object(o) => out.extend(o.clone()),
                other => {
                    out.insert("value".into(), other.clone());
                }
            }
            GResp::ok(Value::Object(out))
        }
        (&Method::PATCH, ["mailboxsettings"]) => {
            let Some(patch) = g.body.as_ref().filter(|b| b.is_object()) else {
                return GResp::bad_request("Empty Payload. JSON content expected.");
            };
            let mut patch = patch.clone();
            if let Some(o) = patch.as_object_mut() {
                o.remove("userPurpose");
                o.retain(|k, _| !k.starts_with('@'));
            }
            let mb = t.mailboxes.get_mut(uid).map(|mb| {
                crate::state::merge(&mut mb.settings, &patch);
                (mb.settings.clone(), mb.address.clone())
            });
            // Exchange audits auto-reply changes as the cmdlet the service runs.
            if let (Some((_, owner)), Some(ar)) = (&mb, patch.get("automaticRepliesSetting")) {
                let mut params = vec![("Identity".to_string(), owner.clone())];
                if let Some(s) = ar["status"].as_str() {
                    params.push(("AutoReplyState".into(), s.to_string()));
                }
                if let Some(m) = ar["externalReplyMessage"].as_str() {
                    params.push(("ExternalMessage".into(), m.to_string()));
                }
                t.audit_exchange_cmdlet(
                    &actor_of(g),
                    "Set-MailboxAutoReplyConfiguration",
                    owner,
                    params,
                    chrono::Utc::now(),
                );
            }
            let mb = mb.map(|(s, _)| s);
            let mut v = mb.unwrap_or_default();
            v["@odata.context"] = json!(context(
                &sim.base,
                g,
                &format!("users('{uid}')/mailboxSettings")
            ));
            GResp::ok(move_context_first(v))
        }
        _ => {
            if r.len() > 1 && !matches!(r[0], "messages" | "mailfolders" | "mailboxsettings") {
                GResp::unknown_segment(&raw[0])
            } else {
                GResp::method_not_allowed()
            }
        }
    }
}

pub fn move_context_first(v: Value) -> Value {
    let Value::Object(o) = v else { return v };
    let mut out = Map::new();
    if let Some(c) = o.get("@odata.context") {
        out.insert("@odata.context".into(), c.clone());
    }
    for (k, v) in o {
        if k != "@odata.context" {
            out.insert(k, v);
        }
    }
    Value::Object(out)
}

/// KQL subset for `$search` on messages.
fn search_matches(m: &crate::state::StoredMessage, q: &str) -> bool {
    let q = q.trim().trim_matches('"');
    let terms: Vec<&str> = q
        .split_whitespace()
        .filter(|t| !t.eq_ignore_ascii_case("AND"))
        .collect();
    let p = &m.mail;
    let addr = |v: &Option<Value>| {
        v.as_ref()
            .map(|x| x.to_string().to_lowercase())
            .unwrap_or_default()
    };
    let list = |v: &[Value]| Value::Array(v.to_vec()).to_string().to_lowercase();
    terms.iter().all(|term| {
        let (field, val) = match term.split_once(':') {
            Some((f, v)) => (f.to_ascii_lowercase(), v.trim_matches('"').to_lowercase()),
            None => (String::new(), term.trim_matches('"').to_lowercase()),
        };
        match field.as_str() {
            "from" => addr(&p.from).contains(&val),
            "to" => list(&p.to).contains(&val),
            "cc" => list(&p.cc).contains(&val),
            "recipients" => {
                list(&p.to).contains(&val)
                    || list(&p.cc).contains(&val)
                    || list(&p.bcc).contains(&val)
            }
            "participants" => {
                addr(&p.from).contains(&val)
                    || list(&p.to).contains(&val)
                    || list(&p.cc).contains(&val)
            }
            "subject" => p.subject.to_lowercase().contains(&val),
            "body" => p.body_text.to_lowercase().contains(&val),
            "hasattachments" | "hasattachment" => (val == "true") == p.has_attachments(),
            "attachment" => p
                .attachments
                .iter()
                .any(|a| a.name.to_lowercase().contains(&val)),
            _ => {
                p.subject.to_lowercase().contains(&val)
                    || p.body_text.to_lowercase().contains(&val)
                    || addr(&p.from).contains(&val)
            }
        }
    })
}

fn list_messages(sim: &Arc<Sim>, g: &GReq, t: &Tenant, uid: &str, folder: Option<&str>) -> GResp {
    let mb = &t.mailboxes[uid];
    let recoverable = mb.well_known_id("recoverableitemsdeletions");
    let mut msgs: Vec<&crate::state::StoredMessage> = mb
        .messages
        .values()
        .filter(|m| match folder {
            Some(f) => m.folder_id == f,
            None => m.folder_id != recoverable,
        })
        .collect();
    let opts = render_opts(g);
    if let Err(r) = super::schema::check_message_select(&opts.select) {
        return r;
    }
    let filter = g.q("$filter");
    let orderby = g.q("$orderby");
    let ctx = selected(&format!("users('{uid}')/messages"), &opts.select);
    if let Some(s) = g.q("$search") {
        if filter.is_some() || orderby.is_some() {
            return GResp::error(
                StatusCode::BAD_REQUEST,
                "ErrorInvalidUrlQuery",
                "The query parameter '$search' is not supported with '$filter' or '$orderby'.",
            );
        }
        msgs.retain(|m| search_matches(m, s));
        msgs.sort_by_key(|b| std::cmp::Reverse(b.sent));
        let items = msgs
            .iter()
            .map(|m| mb.message_json(m, &sim.base, &opts))
            .collect();
        let spec = PageSpec {
            default: sim.cfg.pages.messages_default,
            max: sim.cfg.pages.messages_max,
            use_skip: true,
            reject_over_max: true,
            cap: Some(sim.cfg.pages.search_cap),
        };
        return page(&sim.base, g, items, &ctx, spec, Map::new());
    }
    let expr = match filter.map(odata::parse_filter) {
        None => None,
        Some(Ok(e)) => Some(e),
        Some(Err(_)) => {
            return GResp::error(
                StatusCode::BAD_REQUEST,
                "ErrorInvalidUrlQueryFilter",
                "Invalid filter clause",
            );
        }
    };
    let order = orderby.map(odata::parse_orderby).unwrap_or_default();
    if let (Some(e), false) = (&expr, order.is_empty()) {
        // Every $orderby property must appear in $filter, in the same order, first.
        let props = odata::referenced_props(e);
        let ok = order.len() <= props.len()
            && order
                .iter()
                .zip(&props)
                .all(|((o, _), p)| o.eq_ignore_ascii_case(p));
        if !ok {
            return GResp::error(
                StatusCode::BAD_REQUEST,
                "InefficientFilter",
                "The restriction or sort order is too complex for this operation.",
            );
        }
    }
    // internetMessageId lookups are the remediation hot path: narrow before rendering.
    if let Some(e) = &expr {
        for (p, v) in odata::top_level_equalities(e) {
            if p.eq_ignore_ascii_case("internetMessageId") {
                msgs.retain(|m| m.mail.internet_message_id.eq_ignore_ascii_case(&v));
            }
        }
    }
    let mentions_body =
        |s: Option<&str>| s.is_some_and(|s| s.to_ascii_lowercase().contains("body"));
    let full = RenderOpts {
        select: vec![],
        expand_attachments: false,
        no_body: !mentions_body(filter) && !mentions_body(orderby),
        ..opts.clone()
    };
    let needs_json = expr.is_some() || !order.is_empty();
    let mut items: Vec<(Value, &crate::state::StoredMessage)> = msgs
        .into_iter()
        .map(|m| {
            let v = if needs_json {
                mb.message_json(m, &sim.base, &full)
            } else {
                Value::Null
            };
            (v, m)
        })
        .filter(|(v, _)| expr.as_ref().is_none_or(|e| odata::eval(e, v)))
        .collect();
    if order.is_empty() {
        items.sort_by_key(|b| std::cmp::Reverse(b.1.received));
    } else {
        items.sort_by(|a, b| {
            for (p, desc) in &order {
                let o = odata::cmp_values(odata::resolve(&a.0, p), odata::resolve(&b.0, p));
                let o = if *desc { o.reverse() } else { o };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    // Messages take `$top` from 1 to 1000 (user-list-messages): outside that range is a 400.
    let spec = PageSpec {
        default: sim.cfg.pages.messages_default,
        max: sim.cfg.pages.messages_max,
        use_skip: true,
        reject_over_max: true,
        cap: None,
    };
    // Render only the requested page; the rest are placeholders `page` skips.
    let (offset, size) = match super::paging::window(g, spec) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let items: Vec<Value> = items
        .into_iter()
        .enumerate()
        .map(|(i, (_, m))| {
            if i >= offset && i < offset + size {
                mb.message_json(m, &sim.base, &opts)
            } else {
                Value::Null
            }
        })
        .collect();
    page(&sim.base, g, items, &ctx, spec, Map::new())
}

fn message_ops(
    sim: &Arc<Sim>,
    g: &GReq,
    t: &mut Tenant,
    uid: &str,
    mid: &str,
    rest: &[&str],
) -> GResp {
    let Some(key) = t.mailboxes[uid].message_key(mid) else {
        return malformed_or_missing(mid);
    };
    let opts = render_opts(g);
    let actor = actor_of(g);
    match (&g.method, rest) {
        (&Method::GET, []) => {
            if let Err(r) = super::schema::check_message_select(&opts.select) {
                return r;
            }
            let mb = &t.mailboxes[uid];
            let m = &mb.messages[&key];
            let mut v = mb.message_json(m, &sim.base, &opts);
            if let Some(o) = v.as_object_mut() {
                let set = selected(&format!("users('{uid}')/messages"), &opts.select);
                o.insert(
                    "@odata.context".into(),
                    json!(context(&sim.base, g, &format!("{set}/$entity"))),
                );
            }
            GResp::ok(move_context_first(v))
        }
        (&Method::GET, ["$value"]) => {
            let m = &t.mailboxes[uid].messages[&key];
            GResp::bytes("text/plain", m.mime.as_ref().clone())
        }
        (&Method::PATCH, []) => {
            let Some(body) = &g.body else {
                return GResp::bad_request("Empty Payload. JSON content expected.");
            };
            if let Err(e) = t.patch_message(uid, &key, body) {
                return GResp::error(StatusCode::BAD_REQUEST, "ErrorInvalidProperty", e);
            }
            let mb = &t.mailboxes[uid];
            let mut v = mb.message_json(&mb.messages[&key], &sim.base, &opts);
            v["@odata.context"] = json!(context(
                &sim.base,
                g,
                &format!("users('{uid}')/messages/$entity")
            ));
            GResp::ok(move_context_first(v))
        }
        (&Method::DELETE, []) => {
            let mb = &t.mailboxes[uid];
            if mb.messages[&key].folder_id == mb.well_known_id("recoverableitemsdeletions") {
                return GResp::error(
                    StatusCode::BAD_REQUEST,
                    "ErrorCannotDeleteObject",
                    "Object cannot be deleted.",
                );
            }
            t.delete_message(uid, &key, false, Some(actor));
            GResp::no_content()
        }
        (&Method::POST, ["permanentdelete"]) => {
            t.delete_message(uid, &key, true, Some(actor));
            GResp::no_content()
        }
        (&Method::POST, [op @ ("move" | "copy")]) => {
            let Some(dest) = crate::util::action_param(g.body.as_ref(), "destinationId")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
            else {
                return GResp::error(
                    StatusCode::BAD_REQUEST,
                    "ErrorInvalidParameter",
                    "The value of the parameter 'DestinationId' is empty.",
                );
            };
            let Some(dest) = t.mailboxes[uid].folder(dest).map(|f| f.id.clone()) else {
                return malformed_or_missing(dest);
            };
            let Some(new_key) = t.move_message(uid, &key, &dest, *op == "copy", Some(actor)) else {
                return GResp::not_found_item();
            };
            let mb = &t.mailboxes[uid];
            let mut v = mb.message_json(&mb.messages[&new_key], &sim.base, &opts);
            // Move/copy answers carry the entity type, as Microsoft's example shows.
            v["@odata.type"] = json!("#microsoft.graph.message");
            v["@odata.context"] = json!(context(
                &sim.base,
                g,
                &format!("users('{uid}')/messages/$entity")
            ));
            GResp::created(move_context_first(v))
        }
        (&Method::GET, ["attachments"]) => {
            let mb = &t.mailboxes[uid];
            let m = &mb.messages[&key];
            let select = odata::parse_select(g.q("$select"));
            let items: Vec<Value> = (0..m.mail.attachments.len())
                .map(|i| {
                    let mut a = mb.attachment_json(m, i, &sim.base, true);
                    odata::apply_select(&mut a, &select);
                    a
                })
                .collect();
            let spec = PageSpec {
                default: 1000,
                max: 1000,
                use_skip: true,
                reject_over_max: false,
                cap: None,
            };
            page(
                &sim.base,
                g,
                items,
                &format!("users('{uid}')/messages('{mid}')/attachments"),
                spec,
                Map::new(),
            )
        }
        (&Method::GET, ["attachments", aid, tail @ ..]) => {
            let mb = &t.mailboxes[uid];
            let m = &mb.messages[&key];
            let Some(i) = m
                .attachment_ids
                .iter()
                .position(|x| x.eq_ignore_ascii_case(aid))
            else {
                return malformed_or_missing(aid);
            };
            let a = &m.mail.attachments[i];
            if tail == ["$value"] {
                let ct = if a.is_item {
                    "message/rfc822"
                } else {
                    a.content_type.as_str()
                };
                return GResp::bytes(ct, a.bytes.clone());
            }
            if !tail.is_empty() {
                return GResp::unknown_segment(tail[0]);
            }
            let mut v = mb.attachment_json(m, i, &sim.base, true);
            if a.is_item
                && g.q("$expand")
                    .is_some_and(|e| e.to_ascii_lowercase().contains("item"))
            {
                let inner = crate::mime::parse(&a.bytes);
                v["item"] = json!({
                    "@odata.type": "#microsoft.graph.message",
                    "id": "",
                    "subject": inner.subject,
                    "internetMessageId": inner.internet_message_id,
                    "sentDateTime": inner.sent.map(crate::util::graph_time),
                    "hasAttachments": inner.has_attachments(),
                    "body": {"contentType": "html", "content": inner.body_html},
                    "from": inner.from,
                    "sender": inner.sender,
                    "toRecipients": inner.to,
                    "ccRecipients": inner.cc,
                });
            }
            odata::apply_select(&mut v, &odata::parse_select(g.q("$select")));
            v["@odata.context"] = json!(context(
                &sim.base,
                g,
                &format!("users('{uid}')/messages('{mid}')/attachments/$entity")
            ));
            GResp::ok(move_context_first(v))
        }
        (_, [seg, ..])
            if !matches!(
                *seg,
                "move" | "copy" | "permanentdelete" | "attachments" | "$value"
            ) =>
        {
            GResp::unknown_segment(seg)
        }
        _ => GResp::method_not_allowed(),
    }
}

fn list_folders(sim: &Arc<Sim>, g: &GReq, t: &Tenant, uid: &str, parent: Option<&str>) -> GResp {
    let mb = &t.mailboxes[uid];
    let root = mb.well_known_id("msgfolderroot");
    let parent = parent.unwrap_or(&root);
    let hidden = g
        .q("includeHiddenFolders")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut fs: Vec<&crate::state::Folder> = mb
        .folders
        .iter()
        .filter(|f| f.parent_id == parent && (hidden || !f.is_hidden))
        .collect();
    fs.sort_by_key(|f| f.display_name.to_lowercase());
    let mut items: Vec<Value> = fs.into_iter().map(|f| mb.folder_json(f)).collect();
    if let Some(Ok(e)) = g.q("$filter").map(odata::parse_filter) {
        items.retain(|v| odata::eval(&e, v));
    }
    let select = odata::parse_select(g.q("$select"));
    items
        .iter_mut()
        .for_each(|v| odata::apply_select(v, &select));
    let spec = PageSpec {
        default: 10,
        max: 1000,
        use_skip: true,
        reject_over_max: false,
        cap: None,
    };
    page(
        &sim.base,
        g,
        items,
        &format!("users('{uid}')/mailFolders"),
        spec,
        Map::new(),
    )
}

fn create_folder(
    sim: &Arc<Sim>,
    g: &GReq,
    t: &mut Tenant,
    uid: &str,
    parent: Option<&str>,
) -> GResp {
    let Some(name) = g
        .body
        .as_ref()
        .and_then(|b| b["displayName"].as_str())
        .filter(|n| !n.trim().is_empty())
    else {
        return GResp::error(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidRequest",
            "The folder display name is missing.",
        );
    };
    let hidden = g
        .body
        .as_ref()
        .and_then(|b| b["isHidden"].as_bool())
        .unwrap_or(false);
    let Some(mb) = t.mailboxes.get_mut(uid) else {
        return GResp::mailbox_not_enabled();
    };
    let parent = parent
        .map(str::to_string)
        .unwrap_or_else(|| mb.well_known_id("msgfolderroot"));
    match mb.create_folder(&parent, name, hidden) {
        Some(f) => {
            let mut v = mb.folder_json(&f);
            v["@odata.context"] = json!(context(
                &sim.base,
                g,
                &format!("users('{uid}')/mailFolders/$entity")
            ));
            GResp::created(move_context_first(v))
        }
        None => GResp::error(
            StatusCode::CONFLICT,
            "ErrorFolderExists",
            "A folder with the specified name already exists.",
        ),
    }
}
