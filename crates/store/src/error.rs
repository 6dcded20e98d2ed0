//! Errors of the store. Each names the table and operation that failed and, where we can tell,
//! what the operator can do about it: the message ends up in front of an IT admin, not a DBA.

use std::fmt;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database location given by the user is not usable (bad URL, unknown scheme).
    #[error("invalid database location {location:?}: {reason} — check --database")]
    InvalidLocation { location: String, reason: String },

    /// The database could not be opened or reached.
    #[error("cannot open database {location}: {source} — {hint}")]
    Open {
        location: String,
        #[source]
        source: sqlx::Error,
        hint: Hint,
    },

    /// Applying the embedded schema migrations failed.
    #[error(
        "cannot migrate database {location}: {source} — the database may have been created by a \
         newer Ward or changed by hand; back it up and use a matching Ward version"
    )]
    Migrate {
        location: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// A statement failed.
    #[error("{op} on table {table} failed: {source} — {hint}")]
    Query {
        table: &'static str,
        op: &'static str,
        #[source]
        source: sqlx::Error,
        hint: Hint,
    },

    /// A row holds a value this version does not understand (hand edits, newer writer).
    #[error("table {table} holds an unexpected value: {detail} — was the database edited by hand?")]
    Corrupt { table: &'static str, detail: String },

    /// A value could not be encoded for storage.
    #[error("cannot encode {what} for table {table}: {detail}")]
    Encode {
        table: &'static str,
        what: &'static str,
        detail: String,
    },

    /// An action state change that the approval workflow does not allow.
    #[error("action {action_id}: cannot move from {from} to {to}")]
    InvalidTransition {
        action_id: String,
        from: String,
        to: String,
    },

    /// A referenced row does not exist.
    #[error("{table}: no row with key {key}")]
    NotFound { table: &'static str, key: String },
}

/// A short, human-readable suggestion derived from the underlying error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint(&'static str);

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Hint {
    /// Guesses what the user can do from a driver error.
    pub(crate) fn from_sqlx(e: &sqlx::Error) -> Hint {
        let text = e.to_string().to_ascii_lowercase();
        let kind = e.as_database_error().map(|d| d.kind());
        let h = if kind == Some(sqlx::error::ErrorKind::ForeignKeyViolation) {
            "the row it refers to is not stored; store that first (e.g. the message before its analysis)"
        } else if kind == Some(sqlx::error::ErrorKind::UniqueViolation) {
            "a row with the same key was written concurrently; retry the operation"
        } else if matches!(e, sqlx::Error::PoolTimedOut) {
            "the database is busy or unreachable (no free connection in time); retry later"
        } else if text.contains("permission denied")
            || text.contains("readonly")
            || text.contains("read-only")
        {
            "check that Ward may read and write the database file and its directory (--database)"
        } else if text.contains("unable to open") || text.contains("no such file") {
            "check that the directory of the database file exists (--database)"
        } else if text.contains("locked") || text.contains("busy") {
            "another process is writing to the database; stop the other Ward instance or retry"
        } else if text.contains("disk") && (text.contains("full") || text.contains("i/o")) {
            "the disk holding the database is full or failing; free space and retry"
        } else if text.contains("connection refused") || text.contains("timed out") {
            "is the PostgreSQL server running and reachable at the address in --database?"
        } else if text.contains("password authentication") || text.contains("role") {
            "check the user and credentials in the PostgreSQL URL"
        } else if text.contains("does not exist") && text.contains("database") {
            "create the PostgreSQL database first (createdb) or fix its name in --database"
        } else if text.contains("malformed") || text.contains("not a database") {
            "the file is not a Ward database or is damaged; restore a backup or point --database elsewhere"
        } else {
            "retry; if it persists, report it with this message"
        };
        Hint(h)
    }
}

/// Builds a `map_err` closure for a statement on `table`.
pub(crate) fn q(table: &'static str, op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| {
        let hint = Hint::from_sqlx(&source);
        StoreError::Query {
            table,
            op,
            source,
            hint,
        }
    }
}
