//! Writing and reading the audit log.

use crate::auth::Actor;
use crate::db::Conn;
use crate::error::StorageError;
use shared::model::{AuditAction, AuditEntry};
use shared::time::Timestamp;
use shared::OrgId;

/// The largest page of audit entries returned at once.
pub(crate) const MAX_AUDIT_PAGE: i64 = 1000;

/// Appends one entry to `org`'s audit log (inside the caller's transaction).
pub(crate) async fn record(
    conn: &mut Conn,
    org: OrgId,
    actor: &Actor,
    action: AuditAction,
    summary: &str,
    at: Timestamp,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO audit_log (org_id, actor_user_id, actor_name, action, summary, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org.0)
    .bind(actor.user_id.map(|u| u.0))
    .bind(&actor.name)
    .bind(action.as_str())
    .bind(summary)
    .bind(at.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// `org`'s entries, newest first, at most `limit` (clamped to 1..=[`MAX_AUDIT_PAGE`]).
pub(crate) async fn of_org(
    conn: &mut Conn,
    org: OrgId,
    limit: i64,
) -> Result<Vec<AuditEntry>, StorageError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        at: i64,
        actor_name: String,
        action: String,
        summary: String,
    }
    let rows = sqlx::query_as::<_, Row>(
        "SELECT id, at, actor_name, action, summary FROM audit_log \
         WHERE org_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(org.0)
    .bind(limit.clamp(1, MAX_AUDIT_PAGE))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let action = AuditAction::parse(&r.action).ok_or_else(|| {
                StorageError::internal(format!("unknown audit action {:?} in database", r.action))
            })?;
            Ok(AuditEntry {
                id: r.id,
                at: Timestamp(r.at),
                actor: r.actor_name,
                action,
                summary: r.summary,
            })
        })
        .collect()
}
