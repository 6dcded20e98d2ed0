//! The responder: modes, the journal protocol, execution, resume and undo.
//!
//! Journal protocol for one action (all entries share the action id):
//! 1. `queued` (approve mode), `observed` (observe mode) — who asked and why;
//! 2. `started` — the state before, read from Microsoft 365 just before acting (the intent);
//! 3. `done` | `failed` — the result and the undo step, committed in the same transaction that
//!    moves the action to its final status.
//!
//! If Ward dies between 2 and 3, the next run finds the `started` entry, keeps its before-state
//! (the tenant may already show the after-state) and runs the operation again; operations check
//! the tenant first and report `already` instead of acting twice.

use std::collections::HashMap;

use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use ward_graph::{GraphClient, GraphError};
use ward_store::{Action, ActionStatus, JournalEntry, NewAction, Store};

use crate::config::{Mode, RespondConfig, severity_rank};
use crate::ops::{self, Applied};
use crate::{ActionSpec, RespondError, Result};

/// A request for an action: what, who asks, why.
#[derive(Debug, Clone)]
pub struct Request {
    pub spec: ActionSpec,
    /// `playbook:<kind>`, `cli:<user>`, ...
    pub requested_by: String,
    /// Why: `{"incident": ..., "signals": [...]}`.
    pub reason: Value,
    pub incident_id: Option<String>,
    /// The incident's severity (auto mode acts only at `auto_min_severity` or above).
    pub severity: Option<String>,
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "disposition")]
pub enum Disposition {
    /// Waiting for a person.
    Queued,
    /// Observe mode: recorded, not done.
    Observed,
    /// Run now; see the outcome.
    Executed(Outcome),
    /// Asked for before; left as it stands (no second execution).
    Existing { status: String },
    /// Rejected by a person before.
    Rejected,
}

/// The end of one execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub action_id: String,
    /// `done` (changed the tenant), `already` (it was already so), `gone` (the target no
    /// longer exists), `failed`, `denied` (Microsoft refused access).
    pub outcome: String,
    pub detail: String,
    pub result: Value,
}

impl Outcome {
    /// Whether the action reached its goal (the tenant is in the wanted state).
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome.as_str(), "done" | "already" | "gone")
    }
}

/// A request in the queue, before it is handled.
pub(crate) struct Filed {
    pub action: Action,
    /// Whether this request put it there (false: asked for before).
    pub fresh: bool,
    pub mode: Mode,
    /// Auto mode and severe enough to act without a person.
    pub auto_ok: bool,
}

/// How one action ended: the action, its before-state, and what the operation did.
pub(crate) type End = (Action, Value, std::result::Result<Applied, GraphError>);

pub struct Responder {
    pub(crate) client: GraphClient,
    pub(crate) store: Store,
    pub(crate) tenant: String,
    pub(crate) cfg: RespondConfig,
    /// user id → quarantine folder id.
    pub(crate) folders: Mutex<HashMap<String, String>>,
}

impl Responder {
    pub fn new(client: GraphClient, store: Store, tenant: &str, cfg: RespondConfig) -> Self {
        Responder {
            client,
            store,
            tenant: tenant.to_owned(),
            cfg,
            folders: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &RespondConfig {
        &self.cfg
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Files a request and handles it per the action's mode. Asking again for an action that
    /// already exists never runs it a second time; an auto action left half-way (approved, or
    /// started and interrupted) is resumed.
    pub async fn request(&self, req: Request) -> Result<(String, Disposition)> {
        let filed = self.file(&req).await?;
        self.dispatch(filed, &req.spec).await
    }

    /// Puts a request in the queue (a no-op when the same action is already there) and reads
    /// the action back.
    pub(crate) async fn file(&self, req: &Request) -> Result<Filed> {
        let mut out = self.file_all(std::slice::from_ref(req)).await?;
        out.pop()
            .ok_or_else(|| RespondError::UnknownAction(req.spec.id(&self.tenant)))
    }

    /// [`Responder::file`] for many requests, in one transaction.
    pub(crate) async fn file_all(&self, reqs: &[Request]) -> Result<Vec<Filed>> {
        let mut tx = self.store.transaction().await?;
        let mut out = Vec::with_capacity(reqs.len());
        for req in reqs {
            let mode = self.cfg.mode_of(req.spec.kind());
            let new = self.new_action(
                &req.spec,
                mode,
                &req.requested_by,
                req.reason.clone(),
                req.incident_id.clone(),
            )?;
            let id = new.action_id.clone();
            let fresh = tx.enqueue_action(&new).await?;
            let action = tx
                .get_action(&id)
                .await?
                .ok_or_else(|| RespondError::UnknownAction(id.clone()))?;
            let auto_ok = mode == Mode::Auto
                && severity_rank(req.severity.as_deref().unwrap_or(""))
                    >= severity_rank(&self.cfg.auto_min_severity);
            out.push(Filed {
                action,
                fresh,
                mode,
                auto_ok,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The queue row for `spec`.
    fn new_action(
        &self,
        spec: &ActionSpec,
        mode: Mode,
        requested_by: &str,
        reason: Value,
        incident_id: Option<String>,
    ) -> Result<NewAction> {
        let id = spec.id(&self.tenant);
        let params = serde_json::to_value(spec)
            .map_err(|e| RespondError::BadParams(id.clone(), e.to_string()))?;
        Ok(NewAction {
            action_id: id,
            tenant_id: self.tenant.clone(),
            kind: spec.kind().into(),
            target: spec.target(),
            params,
            mode: mode.as_str().into(),
            requested_by: requested_by.into(),
            reason,
            incident_id,
            created_at: Utc::now(),
        })
    }

    /// Approves, in one transaction, actions auto mode runs now; returns them as approved.
    pub(crate) async fn approve_auto(&self, actions: Vec<Action>) -> Result<Vec<Action>> {
        if actions.is_empty() {
            return Ok(actions);
        }
        let mut tx = self.store.transaction().await?;
        let mut out = Vec::with_capacity(actions.len());
        for a in actions {
            out.push(
                tx.transition_action(&a.action_id, ActionStatus::Approved, Some("auto"), None)
                    .await?,
            );
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Handles a filed request per its mode and the action's status.
    pub(crate) async fn dispatch(
        &self,
        f: Filed,
        spec: &ActionSpec,
    ) -> Result<(String, Disposition)> {
        let Filed {
            action,
            fresh,
            mode,
            auto_ok,
        } = f;
        let id = action.action_id.clone();
        match action.status {
            ActionStatus::Pending => {
                if mode == Mode::Observe {
                    return self.observe(&action, spec).await.map(|d| (id, d));
                }
                if auto_ok {
                    self.store
                        .transition_action(&id, ActionStatus::Approved, Some("auto"), None)
                        .await?;
                    let out = self.execute(&id).await?;
                    return Ok((id, Disposition::Executed(out)));
                }
                if fresh {
                    let why = if mode == Mode::Auto {
                        "queued for approval: the incident is below the auto-response severity"
                    } else {
                        "queued for approval"
                    };
                    self.journal(
                        &action,
                        "queued",
                        Value::Null,
                        json!({"note": why}),
                        Value::Null,
                    )
                    .await?;
                }
                Ok((id, Disposition::Queued))
            }
            ActionStatus::Approved => {
                let out = self.execute(&id).await?;
                Ok((id, Disposition::Executed(out)))
            }
            ActionStatus::Rejected => Ok((id, Disposition::Rejected)),
            ActionStatus::Observed => Ok((id, Disposition::Observed)),
            s @ (ActionStatus::Done | ActionStatus::Failed) => Ok((
                id,
                Disposition::Existing {
                    status: s.as_str().into(),
                },
            )),
        }
    }

    /// A person approves a queued action (or retries a failed one); it runs at once.
    pub async fn approve(&self, action_id: &str, by: &str) -> Result<Outcome> {
        let a = self.get(action_id).await?;
        match a.status {
            ActionStatus::Pending | ActionStatus::Failed => {
                self.store
                    .transition_action(action_id, ActionStatus::Approved, Some(by), None)
                    .await?;
            }
            ActionStatus::Approved => {}
            s => {
                return Err(RespondError::WrongState {
                    id: action_id.into(),
                    status: s.as_str().into(),
                    why: "only a pending or failed action can be approved".into(),
                });
            }
        }
        let out = self.execute(action_id).await?;
        self.settle(
            &a,
            &format!("contained: the last waiting action approved by {by} and done"),
        )
        .await?;
        Ok(out)
    }

    /// After a decision on one of an incident's actions: contained once all are done.
    async fn settle(&self, a: &Action, note: &str) -> Result<()> {
        if let Some(inc) = &a.incident_id {
            crate::lifecycle::settle(&self.store, &self.tenant, inc, note).await?;
        }
        Ok(())
    }

    /// A person rejects a queued action.
    pub async fn reject(&self, action_id: &str, by: &str, note: &str) -> Result<()> {
        let a = self.get(action_id).await?;
        let mut tx = self.store.transaction().await?;
        tx.transition_action(
            action_id,
            ActionStatus::Rejected,
            Some(by),
            Some(&json!({"note": note})),
        )
        .await?;
        tx.append_journal(&journal_entry(
            &a,
            "rejected",
            Value::Null,
            json!({"by": by, "note": note}),
            Value::Null,
        ))
        .await?;
        tx.commit().await?;
        self.settle(
            &a,
            &format!("contained: every action done, the rest rejected by {by}"),
        )
        .await
    }

    /// Runs every approved action (what a crash left half-way, or approvals made elsewhere).
    pub async fn resume(&self) -> Result<Vec<Outcome>> {
        let mut out = Vec::new();
        for a in self
            .store
            .actions_with_status(ActionStatus::Approved, 100_000)
            .await?
        {
            if a.tenant_id == self.tenant {
                out.push(self.execute(&a.action_id).await?);
            }
        }
        Ok(out)
    }

    /// Reverts a done action from its journaled undo step, itself as a journaled action
    /// (`undo-<id>`). Undoing twice is a no-op.
    pub async fn undo(&self, action_id: &str, by: &str, reason: &str) -> Result<Outcome> {
        let a = self.get(action_id).await?;
        let spec = spec_of(&a)?;
        if !spec.reversible() {
            return Err(RespondError::NotReversible {
                id: action_id.into(),
                why: ops::why_irreversible(&spec),
            });
        }
        if a.status != ActionStatus::Done {
            return Err(RespondError::WrongState {
                id: action_id.into(),
                status: a.status.as_str().into(),
                why: "only a done action can be undone".into(),
            });
        }
        let undo = self.undo_step(action_id).await?;
        if undo.is_null() {
            return Err(RespondError::NotReversible {
                id: action_id.into(),
                why: "there was nothing to revert (the action changed nothing)".into(),
            });
        }
        let uspec = ActionSpec::Undo {
            action_id: action_id.into(),
        };
        // A person asking for an undo is its approval.
        let new = self.new_action(
            &uspec,
            Mode::Approve,
            by,
            json!({"undo_of": action_id, "note": reason}),
            a.incident_id.clone(),
        )?;
        let uid = new.action_id.clone();
        self.store.enqueue_action(&new).await?;
        let u = self.get(&uid).await?;
        match u.status {
            ActionStatus::Done => Ok(Outcome {
                action_id: uid,
                outcome: "already".into(),
                detail: format!("action {action_id} was already undone"),
                result: u.result.unwrap_or(Value::Null),
            }),
            ActionStatus::Rejected | ActionStatus::Observed => Err(RespondError::WrongState {
                id: uid,
                status: u.status.as_str().into(),
                why: "the undo was rejected".into(),
            }),
            ActionStatus::Pending | ActionStatus::Approved | ActionStatus::Failed => {
                self.approve(&uid, by).await
            }
        }
    }

    /// The undo step journaled when `action_id` finished.
    pub(crate) async fn undo_step(&self, action_id: &str) -> Result<Value> {
        let entries = self.store.journal_for_action(action_id).await?;
        Ok(entries
            .iter()
            .rev()
            .find(|r| r.entry.status == "done")
            .map(|r| r.entry.undo.clone())
            .unwrap_or(Value::Null))
    }

    async fn get(&self, action_id: &str) -> Result<Action> {
        self.store
            .get_action(action_id)
            .await?
            .ok_or_else(|| RespondError::UnknownAction(action_id.into()))
    }

    async fn observe(&self, a: &Action, spec: &ActionSpec) -> Result<Disposition> {
        let before = match ops::before(self, spec).await {
            Ok(v) => v,
            Err(e) => json!({"unreadable": e.to_string()}),
        };
        let mut tx = self.store.transaction().await?;
        tx.append_journal(&journal_entry(
            a,
            "observed",
            before,
            json!({"would": spec.describe()}),
            Value::Null,
        ))
        .await?;
        tx.transition_action(
            &a.action_id,
            ActionStatus::Observed,
            Some("observe mode"),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(Disposition::Observed)
    }

    /// Executes an approved action (resuming it when a previous run was interrupted).
    pub async fn execute(&self, action_id: &str) -> Result<Outcome> {
        let a = self.get(action_id).await?;
        if a.status != ActionStatus::Approved {
            return Ok(Outcome {
                action_id: action_id.into(),
                outcome: if a.status == ActionStatus::Done {
                    "already".into()
                } else {
                    a.status.as_str().into()
                },
                detail: format!("action is {}; not run again", a.status.as_str()),
                result: a.result.unwrap_or(Value::Null),
            });
        }
        let spec = spec_of(&a)?;
        let journal = self.store.journal_for_action(action_id).await?;
        let started = journal.iter().rev().find(|r| r.entry.status == "started");
        let (before, since) = match started {
            Some(r) => (r.entry.before_state.clone(), Some(r.entry.time)),
            None => {
                let before = match ops::before(self, &spec).await {
                    Ok(v) => v,
                    Err(e) => return self.finish_one(&a, Value::Null, Err(e)).await,
                };
                self.journal(&a, "started", before.clone(), Value::Null, Value::Null)
                    .await?;
                (before, None)
            }
        };
        let applied = ops::apply(self, &a, &spec, &before, since).await;
        self.finish_one(&a, before, applied).await
    }

    /// Ends one action (see [`Responder::finish_many`]).
    pub(crate) async fn finish_one(
        &self,
        a: &Action,
        before: Value,
        applied: Result<Applied, GraphError>,
    ) -> Result<Outcome> {
        let mut out = self.finish_many(vec![(a.clone(), before, applied)]).await?;
        out.pop()
            .ok_or_else(|| RespondError::UnknownAction(a.action_id.clone()))
    }

    /// Ends actions: each one's `done` or `failed` entry (with the result and the undo step)
    /// and its final status, all in one transaction.
    pub(crate) async fn finish_many(&self, ends: Vec<End>) -> Result<Vec<Outcome>> {
        let mut tx = self.store.transaction().await?;
        let mut outcomes = Vec::with_capacity(ends.len());
        for (a, before, applied) in ends {
            let (status, entry, outcome, detail, result, undo) = match applied {
                Ok(ap) => {
                    let mut result = ap.result;
                    if let Some(o) = result.as_object_mut() {
                        o.insert("outcome".into(), json!(ap.outcome));
                        o.insert("detail".into(), json!(ap.detail));
                    } else {
                        result =
                            json!({"outcome": ap.outcome, "detail": ap.detail, "value": result});
                    }
                    (
                        ActionStatus::Done,
                        "done",
                        ap.outcome,
                        ap.detail,
                        result,
                        ap.undo,
                    )
                }
                Err(e) => {
                    let (outcome, detail) = ops::explain_error(&a.kind, &e);
                    let result = json!({"outcome": outcome, "detail": detail,
                        "error": e.to_string(),
                        "retryable": e.is_throttled() || e.is_transient()});
                    (
                        ActionStatus::Failed,
                        "failed",
                        outcome,
                        detail,
                        result,
                        Value::Null,
                    )
                }
            };
            tx.append_journal(&journal_entry(&a, entry, before, result.clone(), undo))
                .await?;
            tx.transition_action(&a.action_id, status, None, Some(&result))
                .await?;
            outcomes.push(Outcome {
                action_id: a.action_id.clone(),
                outcome: outcome.into(),
                detail,
                result,
            });
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    /// `started` entries (the intent, with the state before) of actions about to run, in one
    /// transaction: all are committed before any of them acts.
    pub(crate) async fn journal_started(&self, items: Vec<(&Action, Value)>) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.transaction().await?;
        for (a, before) in items {
            tx.append_journal(&journal_entry(
                a,
                "started",
                before,
                Value::Null,
                Value::Null,
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn journal(
        &self,
        a: &Action,
        status: &str,
        before: Value,
        result: Value,
        undo: Value,
    ) -> Result<()> {
        self.store
            .append_journal(&journal_entry(a, status, before, result, undo))
            .await?;
        Ok(())
    }
}

/// The journal entry for one step of an action.
pub(crate) fn journal_entry(
    a: &Action,
    status: &str,
    before: Value,
    result: Value,
    undo: Value,
) -> JournalEntry {
    let mut reason = a.reason.clone();
    if let (Some(o), Some(inc)) = (reason.as_object_mut(), &a.incident_id) {
        o.entry("incident").or_insert_with(|| json!(inc));
    }
    JournalEntry {
        tenant_id: a.tenant_id.clone(),
        action_id: a.action_id.clone(),
        kind: a.kind.clone(),
        target: a.target.clone(),
        requested_by: a.decided_by.clone().map_or_else(
            || a.requested_by.clone(),
            |d| format!("{} (decided by {d})", a.requested_by),
        ),
        reason,
        mode: a.mode.clone(),
        before_state: before,
        result,
        undo,
        status: status.into(),
        time: Utc::now(),
    }
}

pub(crate) fn spec_of(a: &Action) -> Result<ActionSpec> {
    serde_json::from_value(a.params.clone())
        .map_err(|e| RespondError::BadParams(a.action_id.clone(), e.to_string()))
}
