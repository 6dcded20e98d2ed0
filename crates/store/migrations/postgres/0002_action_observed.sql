-- Observe mode records what Ward would have done: a terminal `observed` status for actions.
ALTER TABLE actions DROP CONSTRAINT IF EXISTS actions_status_check;
ALTER TABLE actions ADD CONSTRAINT actions_status_check
    CHECK (status IN ('pending', 'approved', 'rejected', 'done', 'failed', 'observed'));
CREATE INDEX IF NOT EXISTS actions_incident ON actions (tenant_id, incident_id);
