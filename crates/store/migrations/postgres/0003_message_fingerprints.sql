-- Content fingerprints of stored messages (attachment hashes, lure URLs), so a campaign pull can
-- find variants of a message sent under other Message-IDs. No bodies are kept.
CREATE TABLE message_fingerprints (
    tenant_id   TEXT NOT NULL,
    mailbox_id  TEXT NOT NULL,
    graph_id    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, mailbox_id, graph_id, fingerprint)
);
CREATE INDEX message_fingerprints_fp ON message_fingerprints (tenant_id, fingerprint, received_at);
