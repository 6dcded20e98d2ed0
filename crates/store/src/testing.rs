//! Test support for Ward's crates: runs each test on SQLite (a temp file) and, when `WARD_TEST_POSTGRES` is set, on PostgreSQL
//! in a fresh schema of its own (so tests run in parallel), dropped at the end.

use std::future::Future;
use std::io::Write;
use std::sync::Once;

use crate::{Backend, Store};
use sqlx::Connection;

pub const PG_ENV: &str = "WARD_TEST_POSTGRES";

/// One test database; `location` reopens it (with `Store::connect`) and `raw` runs SQL on it
/// behind the store's back (to tamper with it).
pub struct TestDb {
    pub backend: Backend,
    pub location: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ward.db");
        TestDb {
            backend: Backend::Sqlite,
            location: path.to_string_lossy().into_owned(),
            _dir: Some(dir),
            pg: None,
        }
    }

    pub async fn postgres() -> Option<TestDb> {
        let Ok(url) = std::env::var(PG_ENV) else {
            static WARN: Once = Once::new();
            WARN.call_once(|| {
                // Written to the stderr handle itself: the test harness captures print macros,
                // and this line must be seen even when every test passes.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n!!!!!!!! SKIPPED PostgreSQL: set {PG_ENV}=postgres://postgres@127.0.0.1:5432/test \
                     to run the store tests on PostgreSQL too !!!!!!!!\n"
                );
            });
            return None;
        };
        let schema = format!("t_ward_{}", uuid::Uuid::new_v4().simple());
        let mut c = sqlx::PgConnection::connect(&url)
            .await
            .expect("connect to WARD_TEST_POSTGRES");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut c)
            .await
            .expect("create schema");
        let _ = c.close().await;
        let sep = if url.contains('?') { '&' } else { '?' };
        Some(TestDb {
            backend: Backend::Postgres,
            location: format!("{url}{sep}options[search_path]={schema}"),
            _dir: None,
            pg: Some((url, schema)),
        })
    }

    pub async fn open(&self) -> Store {
        Store::connect(&self.location).await.expect("open store")
    }

    /// Executes SQL directly, bypassing the store.
    pub async fn raw(&self, sql: &str) -> u64 {
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", self.location))
                    .await
                    .expect("raw sqlite connect");
                let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await
                    .expect("raw sql");
                r.rows_affected()
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.location)
                    .await
                    .expect("raw pg connect");
                let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await
                    .expect("raw sql");
                r.rows_affected()
            }
        }
    }

    pub async fn cleanup(self) {
        if let Some((url, schema)) = &self.pg
            && let Ok(mut c) = sqlx::PgConnection::connect(url).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut c)
                .await;
        }
    }
}

/// The databases this run covers: SQLite always, PostgreSQL when configured.
pub async fn dbs() -> Vec<TestDb> {
    let mut v = vec![TestDb::sqlite().await];
    if let Some(pg) = TestDb::postgres().await {
        v.push(pg);
    }
    v
}

/// Runs `f` on every backend; the PostgreSQL schema is dropped even if `f` panics.
pub async fn each<F, Fut>(f: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = TestDb> + Send + 'static,
{
    for db in dbs().await {
        let pg = db.pg.clone();
        let backend = db.backend;
        match tokio::spawn(f(db)).await {
            Ok(db) => db.cleanup().await,
            Err(e) => {
                TestDb {
                    backend,
                    location: String::new(),
                    _dir: None,
                    pg,
                }
                .cleanup()
                .await;
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }
}
