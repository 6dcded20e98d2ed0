//! Connection handling: one [`Store`] over either SQLite or PostgreSQL.
//!
//! Why an enum over the two native pools instead of `sqlx::AnyPool`: `Any` only moves integers,
//! floats, text and blobs, so times and JSON would have to be hand-encoded and PostgreSQL would
//! lose `TIMESTAMPTZ`/`JSONB`. With the enum, each operation is written once (portable SQL with
//! `$N` placeholders, which SQLite also accepts) and the [`on_conn!`] macro instantiates that one
//! body for both drivers, so both get native types and there is still a single code path to read.

use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{
    Connection, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction,
};

use crate::error::{Hint, StoreError, q};

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Tuning for [`Store::connect_with`]; the defaults suit a single Ward process.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Pool size. Default: 4 for SQLite (one writer at a time anyway), 10 for PostgreSQL.
    pub max_connections: Option<u32>,
    /// How long a writer waits for SQLite's write lock before failing.
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: None,
            busy_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// Ward's store. Cheap to clone (it is a pool handle).
///
/// Read methods run on a pooled connection; write methods run in their own transaction. To
/// commit several writes atomically (data and the sync cursor that covers it), use
/// [`Store::transaction`], whose [`Tx`] has the same methods.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    location: String,
}

/// A borrowed connection of either backend; what every operation in `ops` runs on.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
}

/// Runs one expression against whichever backend `$conn` (a `&mut Conn`) holds. The body is
/// compiled once per driver, so binds and decodes use each driver's native types.
macro_rules! on_conn {
    // `$db` names the driver's `Database` type inside the body, for builders that need it.
    ($conn:expr, |$c:ident, $db:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => {
                type $db = sqlx::Sqlite;
                let $c: &mut sqlx::SqliteConnection = &mut **$c;
                $body
            }
            $crate::db::Conn::Pg($c) => {
                type $db = sqlx::Postgres;
                let $c: &mut sqlx::PgConnection = &mut **$c;
                $body
            }
        }
    };
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => {
                let $c: &mut sqlx::SqliteConnection = &mut **$c;
                $body
            }
            $crate::db::Conn::Pg($c) => {
                let $c: &mut sqlx::PgConnection = &mut **$c;
                $body
            }
        }
    };
}
pub(crate) use on_conn;

/// Executes a statement built by `$q` (binds included) on either backend; yields the number of
/// rows affected.
macro_rules! exec {
    ($conn:expr, $q:expr) => {
        $crate::db::on_conn!($conn, |x| $q.execute(x).await.map(|r| r.rows_affected()))
    };
}
pub(crate) use exec;

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Pg(Transaction<'static, Postgres>),
}

/// An open transaction. Dropping it without [`Tx::commit`] rolls everything back.
pub struct Tx {
    inner: TxInner,
}

pub(crate) enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Pg(PoolConnection<Postgres>),
}

impl Pooled {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Pg(c) => Conn::Pg(c),
        }
    }
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => Conn::Sqlite(t),
            TxInner::Pg(t) => Conn::Pg(t),
        }
    }

    /// Makes every write of this transaction durable at once.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await,
            TxInner::Pg(t) => t.commit().await,
        }
        .map_err(q("(transaction)", "commit"))
    }

    /// Discards every write of this transaction.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(t) => t.rollback().await,
            TxInner::Pg(t) => t.rollback().await,
        }
        .map_err(q("(transaction)", "rollback"))
    }
}

/// Removes the password from a URL so it never reaches logs or error messages.
fn redact(location: &str) -> String {
    match url::Url::parse(location) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => location.to_string(),
    }
}

fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

impl Store {
    /// Opens (creating if absent) and migrates the store at `location`: a file path or
    /// `sqlite://…` URL for SQLite, `sqlite::memory:` for a throw-away in-memory store, or a
    /// `postgres://…` URL for PostgreSQL.
    pub async fn connect(location: &str) -> Result<Store, StoreError> {
        Store::connect_with(location, &StoreOptions::default()).await
    }

    /// [`Store::connect`] with explicit tuning.
    pub async fn connect_with(location: &str, opts: &StoreOptions) -> Result<Store, StoreError> {
        let shown = redact(location);
        let open_err = |source: sqlx::Error| {
            let hint = Hint::from_sqlx(&source);
            StoreError::Open {
                location: shown.clone(),
                source,
                hint,
            }
        };
        let invalid = |reason: String| StoreError::InvalidLocation {
            location: shown.clone(),
            reason,
        };
        if location.trim().is_empty() {
            return Err(invalid("empty".into()));
        }
        let pool = if is_postgres(location) {
            let o = PgConnectOptions::from_str(location).map_err(|e| invalid(e.to_string()))?;
            // One direct attempt first: the pool would retry a refused connection until its
            // acquire timeout, and the user should hear at once that the server is unreachable.
            let probe = PgConnection::connect_with(&o).await.map_err(open_err)?;
            let _ = probe.close().await;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections.unwrap_or(10))
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(o)
                .await
                .map_err(open_err)?;
            PG_MIGRATOR
                .run(&pool)
                .await
                .map_err(|source| StoreError::Migrate {
                    location: shown.clone(),
                    source,
                })?;
            Pool::Pg(pool)
        } else {
            let (o, memory) = if location.starts_with("sqlite:") {
                let o =
                    SqliteConnectOptions::from_str(location).map_err(|e| invalid(e.to_string()))?;
                let memory = location.contains(":memory:") || location.contains("mode=memory");
                (o, memory)
            } else if location.contains("://") {
                return Err(invalid(
                    "unsupported scheme; use a file path, sqlite://PATH or postgres://…".into(),
                ));
            } else {
                (SqliteConnectOptions::new().filename(location), false)
            };
            let o = o
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(opts.busy_timeout);
            let o = if memory {
                o
            } else {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
            };
            // An in-memory database lives in one connection: keep exactly one, forever.
            let max = if memory {
                1
            } else {
                opts.max_connections.unwrap_or(4)
            };
            let mut po = SqlitePoolOptions::new()
                .max_connections(max)
                .acquire_timeout(opts.busy_timeout + Duration::from_secs(5));
            if memory {
                po = po.idle_timeout(None).max_lifetime(None).min_connections(1);
            }
            let pool = po.connect_with(o).await.map_err(open_err)?;
            SQLITE_MIGRATOR
                .run(&pool)
                .await
                .map_err(|source| StoreError::Migrate {
                    location: shown.clone(),
                    source,
                })?;
            Pool::Sqlite(pool)
        };
        tracing::debug!(location = %shown, "store opened");
        Ok(Store {
            pool,
            location: shown,
        })
    }

    /// Which engine this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Pg(_) => Backend::Postgres,
        }
    }

    /// Where the store lives, with any password redacted.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Re-applies the embedded migrations (a no-op when up to date).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let r = match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATOR.run(p).await,
            Pool::Pg(p) => PG_MIGRATOR.run(p).await,
        };
        r.map_err(|source| StoreError::Migrate {
            location: self.location.clone(),
            source,
        })
    }

    /// Starts a transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`) so a
    /// transaction that reads then writes never fails half-way on a lock upgrade.
    pub async fn transaction(&self) -> Result<Tx, StoreError> {
        let inner = match &self.pool {
            Pool::Sqlite(p) => TxInner::Sqlite(
                p.begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(q("(transaction)", "begin"))?,
            ),
            Pool::Pg(p) => TxInner::Pg(p.begin().await.map_err(q("(transaction)", "begin"))?),
        };
        Ok(Tx { inner })
    }

    pub(crate) async fn acquire(&self) -> Result<Pooled, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                Pooled::Sqlite(p.acquire().await.map_err(q("(transaction)", "acquire"))?)
            }
            Pool::Pg(p) => Pooled::Pg(p.acquire().await.map_err(q("(transaction)", "acquire"))?),
        })
    }

    /// Closes every connection (waits for in-flight work).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Pg(p) => p.close().await,
        }
    }
}
