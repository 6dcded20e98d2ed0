//! Builders for the audit trail Microsoft writes when something changes: Entra `directoryAudit`
//! rows (Graph shape) and unified audit records (Management Activity API shape, §8.4/§8.5).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Tenant;
use crate::util::{graph_time, mgmt_time, new_guid};

/// Content type (feed) a unified record belongs to, from its `Workload`/`RecordType`.
pub fn content_type_of(r: &Value) -> &'static str {
    match r["Workload"].as_str().unwrap_or_default() {
        "Exchange" => "Audit.Exchange",
        "AzureActiveDirectory" => "Audit.AzureActiveDirectory",
        "SharePoint" | "OneDrive" => "Audit.SharePoint",
        _ => match r["RecordType"].as_i64() {
            Some(1..=3) | Some(50) => "Audit.Exchange",
            Some(8) | Some(9) | Some(15) => "Audit.AzureActiveDirectory",
            _ => "Audit.General",
        },
    }
}

/// Who did it, as both audit shapes describe it.
#[derive(Debug, Clone)]
pub enum Actor {
    /// An application acting app-only (Ward's containment actions).
    App {
        app_id: String,
        display_name: String,
    },
    /// A user (or an attacker signed in as that user).
    User {
        id: String,
        upn: String,
        ip: Option<String>,
    },
}

impl Actor {
    fn initiated_by(&self) -> Value {
        match self {
            Actor::App {
                app_id,
                display_name,
            } => json!({
                "user": null,
                "app": {"appId": app_id, "displayName": display_name, "servicePrincipalId": null, "servicePrincipalName": null}
            }),
            Actor::User { id, upn, ip } => json!({
                "user": {"id": id, "displayName": null, "userPrincipalName": upn, "ipAddress": ip},
                "app": null
            }),
        }
    }
    fn user_id_str(&self) -> String {
        match self {
            Actor::App { app_id, .. } => format!("ServicePrincipal_{app_id}"),
            Actor::User { upn, .. } => upn.clone(),
        }
    }
    fn user_type(&self) -> i64 {
        match self {
            Actor::App { .. } => 5,
            Actor::User { .. } => 0,
        }
    }
    fn ip(&self) -> Value {
        match self {
            Actor::User { ip: Some(ip), .. } => json!(ip),
            _ => Value::Null,
        }
    }
}

/// Parameters of a directory change.
pub struct DirChange<'a> {
    pub activity: &'a str,
    pub category: &'a str,
    pub service: &'a str,
    pub operation_type: &'a str,
    pub target_id: &'a str,
    pub target_upn: Option<&'a str>,
    pub target_type: &'a str,
    pub target_name: Option<&'a str>,
    /// `(displayName, oldValue, newValue)` — values are JSON-encoded strings, as Graph writes them.
    pub modified: Vec<(&'a str, String, String)>,
}

impl Tenant {
    /// Write a directoryAudit row and its unified-audit twin (`Operation` = activity + ".").
    pub fn audit_directory(&mut self, actor: &Actor, c: DirChange<'_>, at: DateTime<Utc>) {
        let id = format!("Directory_{}", new_guid());
        let correlation = new_guid();
        let modified: Vec<Value> = c
            .modified
            .iter()
            .map(|(n, o, v)| json!({"displayName": n, "oldValue": o, "newValue": v}))
            .collect();
        let row = json!({
            "id": id,
            "category": c.category,
            "correlationId": correlation,
            "result": "success",
            "resultReason": "",
            "activityDisplayName": c.activity,
            "activityDateTime": graph_time(at),
            "loggedByService": c.service,
            "operationType": c.operation_type,
            "initiatedBy": actor.initiated_by(),
            "targetResources": [{
                "id": c.target_id,
                "displayName": c.target_name,
                "type": c.target_type,
                "userPrincipalName": c.target_upn,
                "groupType": null,
                "modifiedProperties": modified,
            }],
            "additionalDetails": [],
        });
        self.directory_audits.push(row);
        let unified_modified: Vec<Value> = c
            .modified
            .iter()
            .map(|(n, o, v)| json!({"Name": n, "OldValue": o, "NewValue": v}))
            .collect();
        let record = json!({
            "Id": new_guid(),
            "RecordType": 8,
            "CreationTime": mgmt_time(at),
            "Operation": format!("{}.", c.activity),
            "OrganizationId": self.tenant_id,
            "UserType": actor.user_type(),
            "UserKey": actor.user_id_str(),
            "Workload": "AzureActiveDirectory",
            "ResultStatus": "Success",
            "ObjectId": c.target_upn.unwrap_or(c.target_id),
            "UserId": actor.user_id_str(),
            "ClientIP": actor.ip(),
            "AzureActiveDirectoryEventType": 1,
            "ExtendedProperties": [
                {"Name": "additionalDetails", "Value": "{}"},
                {"Name": "extendedAuditEventCategory", "Value": c.target_type},
            ],
            "ModifiedProperties": unified_modified,
            "Actor": [{"ID": actor.user_id_str(), "Type": 5}],
            "ActorContextId": self.tenant_id,
            "InterSystemsId": correlation,
            "IntraSystemId": new_guid(),
            "Target": [{"ID": c.target_upn.unwrap_or(c.target_id), "Type": 5}],
            "TargetContextId": self.tenant_id,
        });
        self.push_unified(record, at);
    }

    /// Write an Exchange admin-cmdlet record (RecordType 1), e.g. `New-InboxRule`, `Set-Mailbox`.
    pub fn audit_exchange_cmdlet(
        &mut self,
        actor: &Actor,
        operation: &str,
        object_id: &str,
        parameters: Vec<(String, String)>,
        at: DateTime<Utc>,
    ) {
        let params: Vec<Value> = parameters
            .iter()
            .map(|(n, v)| json!({"Name": n, "Value": v}))
            .collect();
        let (app_id, client_ip) = match actor {
            Actor::App { app_id, .. } => (json!(app_id), Value::Null),
            Actor::User { ip, .. } => (Value::Null, json!(ip.clone().map(|i| format!("{i}:0")))),
        };
        let record = json!({
            "Id": new_guid(),
            "RecordType": 1,
            "CreationTime": mgmt_time(at),
            "Operation": operation,
            "OrganizationId": self.tenant_id,
            "UserType": if matches!(actor, Actor::App{..}) { 5 } else { 2 },
            "UserKey": actor.user_id_str(),
            "Workload": "Exchange",
            "ResultStatus": "True",
            "ObjectId": object_id,
            "UserId": actor.user_id_str(),
            "ClientIP": client_ip,
            "AppId": app_id,
            "ExternalAccess": false,
            "OrganizationName": self.initial_domain,
            "OriginatingServer": "SIM01MB0001 (15.20.7000.000)",
            "Parameters": params,
            "SessionId": new_guid(),
        });
        self.push_unified(record, at);
    }

    /// Write a mailbox-item record (RecordType 2/3): `Move`, `SoftDelete`, `HardDelete`...
    pub fn audit_mailbox_item(
        &mut self,
        actor: &Actor,
        operation: &str,
        owner_upn: &str,
        items: Vec<(String, String, String)>,
        dest_folder: Option<&str>,
        at: DateTime<Utc>,
    ) {
        let affected: Vec<Value> = items
            .iter()
            .map(|(id, subject, imid)| json!({"Id": id, "Subject": subject, "InternetMessageId": imid}))
            .collect();
        let (logon_type, app) = match actor {
            Actor::App { app_id, .. } => (0, json!(app_id)),
            Actor::User { .. } => (0, Value::Null),
        };
        let mut record = json!({
            "Id": new_guid(),
            "RecordType": 3,
            "CreationTime": mgmt_time(at),
            "Operation": operation,
            "OrganizationId": self.tenant_id,
            "UserType": actor.user_type(),
            "UserKey": actor.user_id_str(),
            "Workload": "Exchange",
            "ResultStatus": "Succeeded",
            "ObjectId": owner_upn,
            "UserId": actor.user_id_str(),
            "ClientIP": actor.ip(),
            "ClientAppId": app,
            "AppId": app,
            "LogonType": logon_type,
            "InternalLogonType": 0,
            "MailboxOwnerUPN": owner_upn,
            "AffectedItems": affected,
        });
        if let Some(d) = dest_folder {
            record["DestFolder"] = json!({"Id": d, "Path": format!("\\{d}")});
        }
        self.push_unified(record, at);
    }

    /// A sign-in's unified twin (`UserLoggedIn` / `UserLoginFailed`, RecordType 15).
    pub fn audit_sign_in(&mut self, s: &Value, at: DateTime<Utc>) {
        let code = s["status"]["errorCode"].as_i64().unwrap_or(0);
        let record = json!({
            "Id": new_guid(),
            "RecordType": 15,
            "CreationTime": mgmt_time(at),
            "Operation": if code == 0 { "UserLoggedIn" } else { "UserLoginFailed" },
            "OrganizationId": self.tenant_id,
            "UserType": 0,
            "UserKey": s["userId"],
            "Workload": "AzureActiveDirectory",
            "ResultStatus": if code == 0 { "Success" } else { "Failed" },
            "ObjectId": s["resourceId"],
            "UserId": s["userPrincipalName"],
            "ClientIP": s["ipAddress"],
            "ApplicationId": s["appId"],
            "ErrorCode": code.to_string(),
            "LogonError": s["status"]["failureReason"],
            "DeviceProperties": [
                {"Name": "OS", "Value": s["deviceDetail"]["operatingSystem"]},
                {"Name": "BrowserType", "Value": s["deviceDetail"]["browser"]},
            ],
            "ExtendedProperties": [
                {"Name": "UserAgent", "Value": s["userAgent"].as_str().unwrap_or("Mozilla/5.0")},
                {"Name": "RequestType", "Value": "Login:login"},
                {"Name": "ResultStatusDetail", "Value": if code == 0 { "Success" } else { "UserError" }},
            ],
            "Actor": [{"ID": s["userId"], "Type": 0}, {"ID": s["userPrincipalName"], "Type": 5}],
            "ActorContextId": self.tenant_id,
            "ActorIpAddress": s["ipAddress"],
            "InterSystemsId": s["correlationId"],
            "IntraSystemId": s["id"],
            "Target": [{"ID": s["resourceId"], "Type": 0}],
            "TargetContextId": self.tenant_id,
        });
        self.push_unified(record, at);
    }
}
