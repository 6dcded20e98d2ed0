-- Observe mode records what Ward would have done: a terminal `observed` status for actions.
-- SQLite cannot alter a CHECK constraint, so the table is rebuilt (rows kept as they are).
CREATE TABLE actions_v2 (
    action_id    TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    params       TEXT NOT NULL,
    mode         TEXT NOT NULL,
    status       TEXT NOT NULL
        CHECK (status IN ('pending', 'approved', 'rejected', 'done', 'failed', 'observed')),
    requested_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    incident_id  TEXT,
    decided_by   TEXT,
    result       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
INSERT INTO actions_v2 SELECT action_id, tenant_id, kind, target, params, mode, status,
    requested_by, reason, incident_id, decided_by, result, created_at, updated_at FROM actions;
DROP TABLE actions;
ALTER TABLE actions_v2 RENAME TO actions;
CREATE INDEX actions_status ON actions (tenant_id, status);
CREATE INDEX actions_incident ON actions (tenant_id, incident_id);
