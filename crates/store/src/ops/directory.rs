//! Directory snapshot: users and mailboxes.

use chrono::Utc;
use sqlx::types::Json;

use crate::canonical::{clean, clean_json, clean_opt, ts};
use crate::db::{Conn, exec, on_conn};
use crate::error::{StoreError, q};
use crate::model::{Mailbox, User};

/// Inserts or refreshes a user; true when the user was new.
pub(crate) async fn upsert_user(c: &mut Conn<'_>, u: &User) -> Result<bool, StoreError> {
    let existed = on_conn!(c, |x| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND id = $2"
    )
    .bind(clean(&u.tenant_id))
    .bind(clean(&u.id))
    .fetch_one(x)
    .await)
    .map_err(q("users", "select"))?
        > 0;
    let now = ts(Utc::now());
    exec!(
        c,
        sqlx::query(
            "INSERT INTO users (tenant_id, id, upn, display_name, mail, department, job_title,
                 enabled, raw, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (tenant_id, id) DO UPDATE SET upn = excluded.upn,
                 display_name = excluded.display_name, mail = excluded.mail,
                 department = excluded.department, job_title = excluded.job_title,
                 enabled = excluded.enabled, raw = excluded.raw, updated_at = excluded.updated_at"
        )
        .bind(clean(&u.tenant_id))
        .bind(clean(&u.id))
        .bind(clean(&u.upn))
        .bind(clean_opt(u.display_name.as_deref()))
        .bind(clean_opt(u.mail.as_deref()))
        .bind(clean_opt(u.department.as_deref()))
        .bind(clean_opt(u.job_title.as_deref()))
        .bind(u.enabled)
        .bind(Json(clean_json(&u.raw)))
        .bind(now)
    )
    .map_err(q("users", "upsert"))?;
    Ok(!existed)
}

pub(crate) async fn get_user(
    c: &mut Conn<'_>,
    tenant_id: &str,
    id: &str,
) -> Result<Option<User>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, User>(
        "SELECT tenant_id, id, upn, display_name, mail, department, job_title, enabled, raw
         FROM users WHERE tenant_id = $1 AND id = $2"
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(x)
    .await)
    .map_err(q("users", "select"))
}

/// Looks a user up by UPN, case-insensitively (UPNs are case-insensitive in Entra ID).
pub(crate) async fn find_user_by_upn(
    c: &mut Conn<'_>,
    tenant_id: &str,
    upn: &str,
) -> Result<Option<User>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, User>(
        "SELECT tenant_id, id, upn, display_name, mail, department, job_title, enabled, raw
         FROM users WHERE tenant_id = $1 AND LOWER(upn) = LOWER($2) ORDER BY id LIMIT 1"
    )
    .bind(tenant_id)
    .bind(upn)
    .fetch_optional(x)
    .await)
    .map_err(q("users", "select"))
}

pub(crate) async fn list_users(c: &mut Conn<'_>, tenant_id: &str) -> Result<Vec<User>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, User>(
        "SELECT tenant_id, id, upn, display_name, mail, department, job_title, enabled, raw
         FROM users WHERE tenant_id = $1 ORDER BY id"
    )
    .bind(tenant_id)
    .fetch_all(x)
    .await)
    .map_err(q("users", "list"))
}

/// Removes a user that left the directory (delta `@removed`); true when it existed.
pub(crate) async fn delete_user(
    c: &mut Conn<'_>,
    tenant_id: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let n = exec!(
        c,
        sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
    )
    .map_err(q("users", "delete"))?;
    Ok(n > 0)
}

/// Inserts or refreshes a mailbox; true when it was new.
pub(crate) async fn upsert_mailbox(c: &mut Conn<'_>, m: &Mailbox) -> Result<bool, StoreError> {
    let existed = on_conn!(c, |x| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM mailboxes WHERE tenant_id = $1 AND id = $2"
    )
    .bind(clean(&m.tenant_id))
    .bind(clean(&m.id))
    .fetch_one(x)
    .await)
    .map_err(q("mailboxes", "select"))?
        > 0;
    let now = ts(Utc::now());
    exec!(
        c,
        sqlx::query(
            "INSERT INTO mailboxes (tenant_id, id, user_id, address, display_name, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, id) DO UPDATE SET user_id = excluded.user_id,
                 address = excluded.address, display_name = excluded.display_name,
                 updated_at = excluded.updated_at"
        )
        .bind(clean(&m.tenant_id))
        .bind(clean(&m.id))
        .bind(clean_opt(m.user_id.as_deref()))
        .bind(clean(&m.address))
        .bind(clean_opt(m.display_name.as_deref()))
        .bind(now)
    )
    .map_err(q("mailboxes", "upsert"))?;
    Ok(!existed)
}

pub(crate) async fn list_mailboxes(
    c: &mut Conn<'_>,
    tenant_id: &str,
) -> Result<Vec<Mailbox>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Mailbox>(
        "SELECT tenant_id, id, user_id, address, display_name FROM mailboxes
         WHERE tenant_id = $1 ORDER BY id"
    )
    .bind(tenant_id)
    .fetch_all(x)
    .await)
    .map_err(q("mailboxes", "list"))
}
