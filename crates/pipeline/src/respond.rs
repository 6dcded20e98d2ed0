//! The respond stage: the playbooks applied to every incident detection opened or changed.

use anyhow::Result;
use ward_respond::{Responder, playbook::Response};

use crate::plural;

/// The respond stage of the pipeline: applies the playbooks to every incident detection opened
/// or changed, in each action's configured mode. An incident whose every action reached its
/// goal is marked contained. A failure on one incident is reported and does not stop the others.
pub async fn respond_stage(r: &Responder, incident_ids: &[String]) -> Result<Vec<Response>> {
    let mut out = Vec::new();
    for id in incident_ids {
        let Some(inc) = r.store().get_incident(r.tenant(), id).await? else {
            continue;
        };
        if inc.status == ward_store::IncidentStatus::Closed {
            continue;
        }
        let resp = match r.respond_to(&inc).await {
            Ok(resp) => resp,
            Err(e) => {
                tracing::warn!(incident = %id, error = %e, "response failed");
                Response {
                    incident_id: id.clone(),
                    notes: vec![format!("response failed: {e}")],
                    ..Default::default()
                }
            }
        };
        // What the playbook left alone or could not do stays with the incident.
        for note in &resp.notes {
            r.store()
                .add_incident_note(r.tenant(), id, chrono::Utc::now(), note)
                .await?;
        }
        // The incident's status follows all of its actions, whichever pass or person ran them.
        ward_respond::lifecycle::settle(
            r.store(),
            r.tenant(),
            id,
            &format!(
                "contained: {} done by the playbook",
                plural(resp.actions.len() as u64, "action", "actions")
            ),
        )
        .await?;
        out.push(resp);
    }
    Ok(out)
}
