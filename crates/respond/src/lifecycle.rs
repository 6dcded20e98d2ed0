//! An incident's status follows its actions, whatever the mode they ran in: once every action
//! Ward asked for it is done (in auto mode at once, in approve mode as people approve them),
//! the incident is `contained`. Closing an incident withdraws what still waits for a decision
//! — each rejected and journaled — instead of leaving it queued for nobody.

use chrono::Utc;
use serde_json::{Value, json};
use ward_store::{Action, ActionStatus, IncidentStatus, Store};

use crate::Result;
use crate::engine::journal_entry;

/// Actions that count toward containment: not undo steps, not ones a person rejected.
fn counts(a: &Action) -> bool {
    a.kind != "undo" && a.status != ActionStatus::Rejected
}

/// Marks an open incident `contained` when at least one of its actions is done and every
/// other that counts is done too; `note` goes on its timeline. True when it changed.
pub async fn settle(store: &Store, tenant: &str, incident_id: &str, note: &str) -> Result<bool> {
    let Some(inc) = store.get_incident(tenant, incident_id).await? else {
        return Ok(false);
    };
    if inc.status != IncidentStatus::Open {
        return Ok(false);
    }
    let actions = store.actions_for_incident(tenant, incident_id).await?;
    let counted: Vec<&Action> = actions.iter().filter(|a| counts(a)).collect();
    if counted.is_empty() || counted.iter().any(|a| a.status != ActionStatus::Done) {
        return Ok(false);
    }
    Ok(store
        .set_incident_status(
            tenant,
            incident_id,
            IncidentStatus::Contained,
            Utc::now(),
            note,
        )
        .await?)
}

/// Closes an incident: its actions still waiting for a decision (pending, or failed and
/// waiting for a retry) are rejected by `by` with a journaled reason, then the incident is
/// closed with `note`, in one transaction. Returns the withdrawn action ids.
pub async fn close(
    store: &Store,
    tenant: &str,
    incident_id: &str,
    by: &str,
    note: &str,
) -> Result<Vec<String>> {
    let actions = store.actions_for_incident(tenant, incident_id).await?;
    let why = format!("withdrawn: incident {incident_id} was closed");
    let mut tx = store.transaction().await?;
    let mut withdrawn = Vec::new();
    for a in actions
        .iter()
        .filter(|a| matches!(a.status, ActionStatus::Pending | ActionStatus::Failed))
    {
        let reason = json!({"note": why});
        tx.transition_action(
            &a.action_id,
            ActionStatus::Rejected,
            Some(by),
            Some(&reason),
        )
        .await?;
        tx.append_journal(&journal_entry(
            a,
            "rejected",
            Value::Null,
            json!({"by": by, "note": why}),
            Value::Null,
        ))
        .await?;
        withdrawn.push(a.action_id.clone());
    }
    let mut closing = note.to_owned();
    if !withdrawn.is_empty() {
        let n = withdrawn.len();
        let s = if n == 1 { "" } else { "s" };
        closing = format!("{closing} ({n} waiting action{s} withdrawn)");
    }
    tx.set_incident_status(
        tenant,
        incident_id,
        IncidentStatus::Closed,
        Utc::now(),
        closing.trim(),
    )
    .await?;
    tx.commit().await?;
    Ok(withdrawn)
}
