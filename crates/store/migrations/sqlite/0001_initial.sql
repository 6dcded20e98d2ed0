-- Ward store, SQLite flavour. Kept in step with migrations/postgres/0001_initial.sql:
-- same tables, columns, keys and indexes; only the column types differ
-- (times are RFC 3339 TEXT in UTC, JSON is TEXT, booleans are INTEGER).

CREATE TABLE tenants (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    config_fingerprint TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE TABLE cursors (
    tenant_id  TEXT NOT NULL,
    stream     TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, stream)
);

CREATE TABLE users (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    upn          TEXT NOT NULL,
    display_name TEXT,
    mail         TEXT,
    department   TEXT,
    job_title    TEXT,
    enabled      INTEGER NOT NULL,
    raw          TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX users_upn ON users (tenant_id, upn);

CREATE TABLE mailboxes (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    user_id      TEXT,
    address      TEXT NOT NULL,
    display_name TEXT,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE messages (
    tenant_id           TEXT NOT NULL,
    mailbox_id          TEXT NOT NULL,
    graph_id            TEXT NOT NULL,
    internet_message_id TEXT,
    folder              TEXT NOT NULL,
    sender              TEXT,
    subject             TEXT,
    received_at         TEXT NOT NULL,
    size_bytes          INTEGER NOT NULL,
    mime_sha256         TEXT,
    body                BLOB,
    ingested_at         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, mailbox_id, graph_id)
);
CREATE INDEX messages_imid ON messages (tenant_id, internet_message_id);
CREATE INDEX messages_received ON messages (tenant_id, received_at);

CREATE TABLE analyses (
    tenant_id   TEXT NOT NULL,
    mailbox_id  TEXT NOT NULL,
    graph_id    TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    score       INTEGER NOT NULL,
    categories  TEXT NOT NULL,
    signals     TEXT NOT NULL,
    analyzed_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, mailbox_id, graph_id),
    FOREIGN KEY (tenant_id, mailbox_id, graph_id)
        REFERENCES messages (tenant_id, mailbox_id, graph_id) ON DELETE CASCADE
);
CREATE INDEX analyses_verdict ON analyses (tenant_id, verdict);

CREATE TABLE snapshots (
    tenant_id      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    version        INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    data           TEXT NOT NULL,
    taken_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, object_id, version)
);

CREATE TABLE events (
    tenant_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    time        TEXT NOT NULL,
    user_id     TEXT,
    source      TEXT NOT NULL,
    raw         TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);
CREATE INDEX events_user_time ON events (tenant_id, user_id, time);
CREATE INDEX events_kind_time ON events (tenant_id, kind, time);

CREATE TABLE findings (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    user_id    TEXT,
    mailbox_id TEXT,
    graph_id   TEXT,
    score      INTEGER NOT NULL,
    evidence   TEXT NOT NULL,
    time       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX findings_user_time ON findings (tenant_id, user_id, time);

CREATE TABLE incidents (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    severity    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'contained', 'closed')),
    timeline    TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX incidents_status ON incidents (tenant_id, status);
CREATE INDEX incidents_subject ON incidents (tenant_id, kind, subject_key);

CREATE TABLE incident_findings (
    tenant_id   TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    finding_id  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, incident_id, finding_id),
    FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, finding_id) REFERENCES findings (tenant_id, id) ON DELETE CASCADE
);

-- Append-only, hash-chained journal of response actions. JSON columns hold the exact canonical
-- text that was hashed, so verification never depends on re-serialising.
CREATE TABLE journal (
    seq          INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    action_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    mode         TEXT NOT NULL,
    before_state TEXT NOT NULL,
    result       TEXT NOT NULL,
    undo         TEXT NOT NULL,
    status       TEXT NOT NULL,
    time         TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX journal_action ON journal (action_id);

-- One row: the sequence number and hash of the newest journal entry. Appenders lock it
-- (UPDATE ... RETURNING) so concurrent writers cannot fork the chain; verification compares
-- it with the last entry so a deleted tail is detected.
CREATE TABLE journal_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO journal_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE actions (
    action_id    TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    params       TEXT NOT NULL,
    mode         TEXT NOT NULL,
    status       TEXT NOT NULL
        CHECK (status IN ('pending', 'approved', 'rejected', 'done', 'failed')),
    requested_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    incident_id  TEXT,
    decided_by   TEXT,
    result       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX actions_status ON actions (tenant_id, status);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL,
    stream      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    items       INTEGER NOT NULL,
    requests    INTEGER NOT NULL,
    throttled   INTEGER NOT NULL,
    errors      INTEGER NOT NULL
);
CREATE INDEX runs_tenant ON runs (tenant_id, stream, started_at);
