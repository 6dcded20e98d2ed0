//! Office 365 Management Activity API records (PascalCase as Microsoft sends them, lower-cased as
//! some SIEMs store them, or Log Analytics `OfficeActivity` rows), and Purview `auditLogRecord`s
//! which wrap the same record in `auditData`.

use serde_json::Value;

use super::util::*;
use crate::event::{Event, Kind, Modified, Source, Target};

pub(crate) fn record(source: Source, r: &Value, raw: Value) -> Event {
    let workload = get_str(r, &["Workload", "OfficeWorkload"]).unwrap_or_default();
    let operation = get_str(r, &["Operation"])
        .map(|s| clean_operation(&s))
        .unwrap_or_default();
    let op = operation.to_ascii_lowercase();
    let logon = matches!(
        op.as_str(),
        "userloggedin" | "userloginfailed" | "passwordlogoninitialauthusingpassword"
    );
    let kind = if logon {
        Kind::SignIn
    } else {
        match workload.to_ascii_lowercase().as_str() {
            "exchange" => Kind::Mailbox,
            "sharepoint" | "onedrive" => Kind::Files,
            "azureactivedirectory" => Kind::DirectoryAudit,
            _ if op.contains("inboxrule") || op.contains("mailbox") => Kind::Mailbox,
            _ if get(r, &["ModifiedProperties"]).is_some() => Kind::DirectoryAudit,
            _ => Kind::Other,
        }
    };
    let mut e = Event::new(source, kind, raw);
    e.time = get_time(r, &["CreationTime", "TimeGenerated"]);
    e.id = get_str(r, &["Id"]);
    e.operation = Some(operation.clone()).filter(|s| !s.is_empty());
    e.workload = Some(workload).filter(|s| !s.is_empty());
    e.category = get_str(r, &["RecordType"]);
    e.actor = lower(get_str(r, &["UserId"]));
    e.ip = get_str(
        r,
        &[
            "ClientIP",
            "ClientIPAddress",
            "Client_IPAddress",
            "ActorIpAddress",
        ],
    )
    .and_then(|s| parse_ip(&s));
    e.app_id = get_str(r, &["ApplicationId", "ClientAppId", "AppId"]);
    // An application acting on its own (client credentials): UserType 5 (service principal)
    // or a `ServicePrincipal_…` user id. Its ids say which application it is.
    let by_app = get_str(r, &["UserType"]).is_some_and(|t| t == "5")
        || e.actor
            .as_deref()
            .is_some_and(|a| a.starts_with("serviceprincipal_"));
    if by_app {
        if let Some(sp) = e
            .actor
            .as_deref()
            .and_then(|a| a.strip_prefix("serviceprincipal_"))
        {
            e.actor_app_ids.push(sp.to_string());
        }
        e.actor_app_ids
            .extend(e.app_id.as_deref().map(str::to_ascii_lowercase));
        for a in get(r, &["Actor"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .take(16)
        {
            if let Some(id) = get_str(a, &["ID"]) {
                e.actor_app_ids.push(id.to_ascii_lowercase());
            }
        }
    }
    e.user_agent = get_str(r, &["UserAgent"]);
    e.session_id =
        get_str(r, &["SessionId"]).or_else(|| path_str(r, &["AppAccessContext", "AADSessionId"]));
    e.parameters = name_value_list(get_json(r, &["Parameters"]));
    e.parameters
        .extend(name_value_list(get_json(r, &["OperationProperties"])));
    for (k, names) in [
        (
            "TargetUserOrGroupName",
            &["TargetUserOrGroupName", "UserSharedWith"][..],
        ),
        ("TargetUserOrGroupType", &["TargetUserOrGroupType"][..]),
        ("ObjectId", &["ObjectId", "OfficeObjectId"][..]),
        ("MailAccessType", &["MailAccessType"][..]),
        ("ClientInfoString", &["ClientInfoString"][..]),
    ] {
        if let Some(v) = get_str(r, names) {
            e.parameters.push((k.to_string(), v));
        }
    }
    e.details = name_value_list(get_json(r, &["ExtendedProperties"]));
    if e.user_agent.is_none() {
        e.user_agent = e.detail("UserAgent").map(str::to_string);
    }
    if let Some(mods) = get_json(r, &["ModifiedProperties"]) {
        let mut target = Target {
            id: get_str(r, &["ObjectId"]),
            upn: lower(get_str(r, &["ObjectId"]).filter(|o| o.contains('@'))),
            ..Target::default()
        };
        for m in mods.as_array().into_iter().flatten().take(256) {
            target.modified.push(Modified {
                name: get_str(m, &["Name"]).unwrap_or_default(),
                old: get(m, &["OldValue"])
                    .and_then(scalar_string)
                    .unwrap_or_default(),
                new: get(m, &["NewValue"])
                    .and_then(scalar_string)
                    .unwrap_or_default(),
            });
        }
        e.targets.push(target);
    }
    // Entra records name the target user in `Target` entries of type 5 (UPN).
    let target_upn = get(r, &["Target"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| get_i64(t, &["Type"]) == Some(5))
        .find_map(|t| lower(get_str(t, &["ID"])));
    let status = get_str(r, &["ResultStatus"]).map(|s| s.to_ascii_lowercase());
    e.success = status
        .as_deref()
        .map(|s| matches!(s, "success" | "succeeded" | "true" | "partiallysucceeded"));
    match kind {
        Kind::SignIn => {
            e.user = e.actor.clone();
            e.error_code = get_i64(r, &["ErrorCode"]);
            e.failure_reason =
                get_str(r, &["LogonError"]).or_else(|| e.detail("LoginError").map(str::to_string));
            e.success = Some(match op.as_str() {
                "userloggedin" => e.error_code.unwrap_or(0) == 0,
                "userloginfailed" => false,
                // Older account-logon records (type 9): the result is in `ResultStatus`.
                _ => e.success.unwrap_or(false),
            });
            e.interactive = Some(true);
        }
        Kind::Mailbox => {
            // The mailbox acted on: the cmdlet's `Mailbox` / `Identity` when it is an address,
            // else `MailboxOwnerUPN`, else whoever ran it.
            e.user = lower(
                e.param("Mailbox")
                    .or_else(|| e.param("Identity"))
                    .filter(|m| m.contains('@') && !m.contains('\\') && !m.contains('/'))
                    .map(str::to_string),
            )
            .or_else(|| lower(get_str(r, &["MailboxOwnerUPN"])))
            .or_else(|| e.actor.clone());
            // Capped: a hostile count must not overflow the burst arithmetic.
            e.item_count = get_i64(r, &["OperationCount"])
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0)
                .min(1_000_000_000);
            if e.item_count == 0 && op == "mailitemsaccessed" {
                let folders = get_json(r, &["Folders"]);
                e.item_count = folders
                    .as_deref()
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| get(f, &["FolderItems"]).and_then(Value::as_array))
                    .map(|items| items.len() as u64)
                    .sum::<u64>()
                    .max(1);
            }
        }
        _ => {
            e.user = target_upn
                .or_else(|| e.targets.first().and_then(|t| t.upn.clone()))
                .or_else(|| {
                    lower(get_str(r, &["ObjectId"]).filter(|o| o.contains('@') && !o.contains('/')))
                })
                .or_else(|| e.actor.clone());
        }
    }
    e
}
