//! Microsoft 365 usage reports (graph-api.md §10.2): `302` to a pre-authenticated CSV download,
//! concealed user names by default, 14 requests / 10 min per report.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::GReq;
use super::resp::{GBody, GResp};
use crate::server::Sim;

pub fn usage_report(sim: &Arc<Sim>, g: &GReq) -> GResp {
    if !g.claims.has_role(&["Reports.Read.All"]) {
        return GResp::generic_denied();
    }
    let report = g.segs.get(1).cloned().unwrap_or_default();
    let name: &'static str = match report.to_ascii_lowercase().as_str() {
        "getmailboxusagedetail" => "getMailboxUsageDetail",
        "getemailactivityuserdetail" => "getEmailActivityUserDetail",
        _ => {
            return GResp::error(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                format!("The report '{report}' is not modelled by the simulator."),
            );
        }
    };
    let arg = g.segs.get(2).cloned().unwrap_or_default();
    let period = match arg.split_once('=') {
        Some(("period", p)) if matches!(p, "D7" | "D30" | "D90" | "D180") => p.to_string(),
        Some(("date", d))
            if name == "getEmailActivityUserDetail"
                && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() =>
        {
            format!("date:{d}")
        }
        _ => {
            return GResp::bad_request(
                "Invalid parameter: specify period='D7'|'D30'|'D90'|'D180'.",
            );
        }
    };
    if let Err(ra) = sim
        .stats
        .window_limit(name, 14, std::time::Duration::from_secs(600))
    {
        return GResp::too_many(Some(ra));
    }
    let url = format!(
        "{}/_sim/reports/download?report={name}&period={}&t={}",
        sim.base,
        period,
        crate::util::new_guid()
    );
    GResp {
        status: StatusCode::FOUND,
        headers: vec![("Location".into(), url)],
        body: GBody::Empty,
    }
}

fn conceal(s: &str) -> String {
    hex::encode_upper(&Sha256::digest(s.as_bytes())[..16])
}

/// The CSV behind the pre-authenticated download URL.
pub fn csv(sim: &Sim, report: &str, period: &str) -> Option<String> {
    let t = sim.state.lock();
    let refresh = (Utc::now() - TimeDelta::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let days = period.trim_start_matches('D').parse::<i64>().unwrap_or(7);
    let mut out = String::from("\u{feff}");
    let name = |u: &serde_json::Value, k: &str| {
        let v = u[k].as_str().unwrap_or_default();
        if sim.cfg.reports_concealed_names {
            conceal(v)
        } else {
            v.to_string()
        }
    };
    match report {
        "getMailboxUsageDetail" => {
            out.push_str("Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date,Item Count,Storage Used (Byte),Issue Warning Quota (Byte),Prohibit Send Quota (Byte),Prohibit Send/Receive Quota (Byte),Deleted Item Count,Deleted Item Size (Byte),Deleted Item Quota (Byte),Has Archive,Report Period\n");
            for u in &t.users {
                let Some(mb) = u["id"].as_str().and_then(|id| t.mailboxes.get(id)) else {
                    continue;
                };
                let deleted = mb.well_known_id("deleteditems");
                let items = mb.messages.len();
                let size: usize = mb.messages.values().map(|m| m.mime.len()).sum();
                let (dc, ds) = mb
                    .messages
                    .values()
                    .filter(|m| m.folder_id == deleted)
                    .fold((0, 0), |(c, s), m| (c + 1, s + m.mime.len()));
                let last = mb
                    .messages
                    .values()
                    .map(|m| m.received)
                    .max()
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                let created = u["createdDateTime"]
                    .as_str()
                    .map(|c| c.chars().take(10).collect::<String>())
                    .unwrap_or_default();
                out.push_str(&format!("{refresh},{},{},False,,{created},{last},{items},{size},105226698752,106300440576,107374182400,{dc},{ds},32212254720,False,{days}\n", name(u, "userPrincipalName"), name(u, "displayName")));
            }
        }
        "getEmailActivityUserDetail" => {
            out.push_str("Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Send Count,Receive Count,Read Count,Meeting Created Count,Meeting Interacted Count,Assigned Products,Report Period\n");
            let since = Utc::now() - TimeDelta::days(days);
            for u in &t.users {
                let Some(mb) = u["id"].as_str().and_then(|id| t.mailboxes.get(id)) else {
                    continue;
                };
                let sent = mb.well_known_id("sentitems");
                let recent = mb.messages.values().filter(|m| m.received >= since);
                let (s, r, rd) = recent.fold((0, 0, 0), |(s, r, rd), m| {
                    if m.folder_id == sent {
                        (s + 1, r, rd)
                    } else {
                        (s, r + 1, rd + usize::from(m.is_read))
                    }
                });
                let last = mb
                    .messages
                    .values()
                    .map(|m| m.received)
                    .max()
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{refresh},{},{},False,,{last},{s},{r},{rd},0,0,MICROSOFT 365 E5,{days}\n",
                    name(u, "userPrincipalName"),
                    name(u, "displayName")
                ));
            }
        }
        _ => return None,
    }
    Some(out)
}
