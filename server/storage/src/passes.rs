//! Charging passes: listing, adding, deleting and switching Whitelist/Roaming, always within one organization.

use crate::audit;
use crate::db::{now, Conn};
use crate::error::StorageError;
use crate::org::{OrgAdmin, MEMBER_FIRST_NAME, MEMBER_LAST_NAME};
use crate::paging::page_order;
use shared::model::{AuditAction, PassSummary};
use shared::names::Nickname;
use shared::paging::{Page, PageRequest, Total, COUNT_LIMIT};
use shared::pass_id::{ContractIdKind, PassIdKind, PassIdentifier};
use shared::time::Timestamp;
use shared::{OrgId, PassId, PassMode, UserId};

/// The columns behind a [`PassSummary`]: `p` is the pass, `h` its holder with `hm` their membership in the
/// pass's organization (whose name for the holder is shown, as in "Users": see `org::MEMBER_FIRST_NAME`), `c`
/// its creator.
const PASS_SELECT: &str = "SELECT p.id, p.org_id, \
       COALESCE(hm.first_name, h.first_name) AS first_name, \
       COALESCE(hm.last_name, h.last_name) AS last_name, h.email, \
       p.nickname, p.id_kind, p.id_value, p.contract_kind, p.mode, p.created_at, \
       c.first_name AS creator_first_name, c.last_name AS creator_last_name \
     FROM passes p \
     JOIN users h ON h.id = p.user_id \
     JOIN memberships hm ON hm.user_id = p.user_id AND hm.org_id = p.org_id \
     JOIN users c ON c.id = p.created_by";

#[derive(sqlx::FromRow)]
struct PassRow {
    id: i64,
    org_id: i64,
    first_name: String,
    last_name: String,
    email: String,
    nickname: String,
    id_kind: String,
    id_value: String,
    contract_kind: Option<String>,
    mode: String,
    created_at: i64,
    creator_first_name: String,
    creator_last_name: String,
}

impl PassRow {
    fn into_summary(self) -> Result<PassSummary, StorageError> {
        Ok(PassSummary {
            id: PassId(self.id),
            org_id: OrgId(self.org_id),
            user_name: format!("{} {}", self.first_name, self.last_name),
            user_email: self.email,
            nickname: self.nickname,
            id_kind: parse_kind(&self.id_kind)?,
            id_value: self.id_value,
            contract_id_kind: self
                .contract_kind
                .as_deref()
                .map(|stored| {
                    ContractIdKind::parse(stored)
                        .map(|k| k.label().to_owned())
                        .ok_or_else(|| {
                            StorageError::internal(format!(
                                "unknown contract kind {stored:?} in database"
                            ))
                        })
                })
                .transpose()?,
            mode: parse_mode(&self.mode)?,
            created_at: Timestamp(self.created_at),
            created_by: format!("{} {}", self.creator_first_name, self.creator_last_name),
        })
    }
}

fn parse_kind(stored: &str) -> Result<PassIdKind, StorageError> {
    PassIdKind::parse(stored).ok_or_else(|| {
        StorageError::internal(format!("unknown pass id kind {stored:?} in database"))
    })
}

fn parse_mode(stored: &str) -> Result<PassMode, StorageError> {
    PassMode::parse(stored)
        .ok_or_else(|| StorageError::internal(format!("unknown pass mode {stored:?} in database")))
}

fn summaries(rows: Vec<PassRow>) -> Result<Vec<PassSummary>, StorageError> {
    rows.into_iter().map(PassRow::into_summary).collect()
}

/// A user's live passes in every organization, newest first.
pub(crate) async fn of_user(
    conn: &mut Conn,
    user: UserId,
) -> Result<Vec<PassSummary>, StorageError> {
    let sql = format!(
        "{PASS_SELECT} WHERE p.user_id = $1 AND p.deleted_at IS NULL \
         ORDER BY p.created_at DESC, p.id DESC"
    );
    let rows = sqlx::query_as::<_, PassRow>(&sql)
        .bind(user.0)
        .fetch_all(&mut *conn)
        .await?;
    summaries(rows)
}

/// "pass "Company car" (Public Card ID NL-TNM-012204-5)", as the audit log names a pass.
pub(crate) fn describe(nickname: &str, kind: PassIdKind, value: &str) -> String {
    format!("pass \"{nickname}\" ({} {value})", kind.label())
}

impl OrgAdmin {
    /// The live passes of this organization, newest first.
    pub async fn passes(&self) -> Result<Vec<PassSummary>, StorageError> {
        let mut conn = self.db.read().await?;
        let sql = format!(
            "{PASS_SELECT} WHERE p.org_id = $1 AND p.deleted_at IS NULL \
             ORDER BY p.created_at DESC, p.id DESC"
        );
        let rows = sqlx::query_as::<_, PassRow>(&sql)
            .bind(self.org.0)
            .fetch_all(&mut *conn)
            .await?;
        summaries(rows)
    }

    /// One page of the live passes of this organization, newest first (`created_at`, then id), only those in
    /// `mode` when given, with their count up to [`COUNT_LIMIT`]. Reads the page's rows through the index
    /// `passes_org_live_created` (`passes_org_live_mode_created` with a mode) from the cursor on, whatever the
    /// depth. The cursor only says where in this organization's list to start: another organization's pass
    /// named by it changes nothing but the starting point.
    pub async fn passes_page(
        &self,
        mode: Option<PassMode>,
        request: &PageRequest,
    ) -> Result<Page<PassSummary>, StorageError> {
        let mut conn = self.db.read().await?;
        let mut filter = "p.org_id = $1 AND p.deleted_at IS NULL".to_owned();
        if mode.is_some() {
            filter.push_str(" AND p.mode = $2");
        }
        let next = if mode.is_some() { 3 } else { 2 };
        let (from, order, cursor) = page_order(request, "p.created_at", "p.id", next);
        // The page's ids first, from the index alone; then their rows. (Joined in one query, SQLite may start
        // from the members and sort every pass of the organization.)
        let page = format!(
            "SELECT p.id FROM passes p WHERE {filter}{from} \
             ORDER BY p.created_at {order}, p.id {order} LIMIT {}",
            request.fetch()
        );
        let sql = format!(
            "{} ORDER BY p.created_at {order}, p.id {order}",
            PASS_SELECT.replacen(
                "FROM passes p",
                &format!("FROM ({page}) page JOIN passes p ON p.id = page.id"),
                1
            )
        );
        let mut rows = sqlx::query_as::<_, PassRow>(&sql).bind(self.org.0);
        if let Some(mode) = mode {
            rows = rows.bind(mode.as_str());
        }
        if let Some(c) = cursor {
            rows = rows.bind(c.key).bind(c.id);
        }
        let rows = rows.fetch_all(&mut *conn).await?;
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM passes p WHERE {filter} LIMIT {}) counted",
            COUNT_LIMIT + 1
        );
        let mut counted = sqlx::query_scalar::<_, i64>(&count_sql).bind(self.org.0);
        if let Some(mode) = mode {
            counted = counted.bind(mode.as_str());
        }
        let counted = counted.fetch_one(&mut *conn).await?;
        Ok(Page::assemble(
            request,
            summaries(rows)?,
            |p| (p.created_at.0, p.id.0),
            Total::from_count(counted as u64),
        ))
    }

    /// One live pass of this organization; `NotFound { what: "pass" }` for any other id.
    pub(crate) async fn live_pass(
        &self,
        conn: &mut Conn,
        pass: PassId,
    ) -> Result<PassSummary, StorageError> {
        let sql =
            format!("{PASS_SELECT} WHERE p.id = $1 AND p.org_id = $2 AND p.deleted_at IS NULL");
        sqlx::query_as::<_, PassRow>(&sql)
            .bind(pass.0)
            .bind(self.org.0)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StorageError::NotFound { what: "pass" })?
            .into_summary()
    }

    /// Adds a pass for `user`, who must be a (not removed) member of this organization (else `NotFound { what:
    /// "user" }`).
    /// Conflict, naming the existing pass and its holder, if the same card (same kind and
    /// [`PassIdentifier::match_key`]) is already live here; the same card in another organization is fine.
    /// Audited.
    pub async fn add_pass(
        &self,
        user: UserId,
        id: &PassIdentifier,
        nickname: &Nickname,
        mode: PassMode,
    ) -> Result<PassId, StorageError> {
        let mut tx = self.db.begin_write().await?;
        let pass = self
            .add_pass_in(&mut tx, user, id, nickname, mode, now())
            .await?;
        self.db
            .commit_announcing(tx, crate::events::StationEvent::LocalListsChanged(self.org))
            .await?;
        Ok(pass)
    }

    pub(crate) async fn add_pass_in(
        &self,
        conn: &mut Conn,
        user: UserId,
        id: &PassIdentifier,
        nickname: &Nickname,
        mode: PassMode,
        at: Timestamp,
    ) -> Result<PassId, StorageError> {
        // The membership's row first, as removing the member does: a removal at the same moment (PostgreSQL runs
        // both) either waits for this pass and then deletes it with the others, or this waits for the removal and
        // finds no member, instead of leaving a live pass to a person no longer in the organization.
        let member = sqlx::query(
            "UPDATE memberships SET removed_at = removed_at \
             WHERE org_id = $1 AND user_id = $2 AND removed_at IS NULL",
        )
        .bind(self.org.0)
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
        if member.rows_affected() != 1 {
            return Err(StorageError::NotFound { what: "user" });
        }
        let holder_sql = format!(
            "SELECT {MEMBER_FIRST_NAME}, {MEMBER_LAST_NAME} FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 AND m.user_id = $2 AND m.removed_at IS NULL"
        );
        let holder: (String, String) = sqlx::query_as(&holder_sql)
            .bind(self.org.0)
            .bind(user.0)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StorageError::NotFound { what: "user" })?;
        let kind = id.kind();
        // The check first, for a readable refusal; then the insert, which the unique index `passes_live_card`
        // decides when another writer added the same card in between (PostgreSQL runs writers concurrently):
        // it inserts nothing, and the refusal names the pass that writer added.
        if let Some(conflict) = self.live_card_conflict(conn, id).await? {
            return Err(conflict);
        }
        let contract_kind = id.contract_kind().map(ContractIdKind::as_str);
        let pass: Option<i64> = sqlx::query_scalar(
            "INSERT INTO passes (org_id, user_id, id_kind, id_value, match_key, contract_kind, \
                                 nickname, mode, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (org_id, id_kind, match_key) WHERE deleted_at IS NULL DO NOTHING RETURNING id",
        )
        .bind(self.org.0)
        .bind(user.0)
        .bind(kind.as_str())
        .bind(id.as_str())
        .bind(id.match_key())
        .bind(contract_kind)
        .bind(nickname.as_str())
        .bind(mode.as_str())
        .bind(at.0)
        .bind(self.actor.user_id.map(|u| u.0))
        .fetch_optional(&mut *conn)
        .await?;
        let Some(pass) = pass else {
            return Err(self
                .live_card_conflict(conn, id)
                .await?
                .unwrap_or_else(|| StorageError::conflict("That already exists.")));
        };
        let summary = format!(
            "Added {} for {} {} as {}",
            describe(nickname.as_str(), kind, id.as_str()),
            holder.0,
            holder.1,
            mode.as_str()
        );
        audit::record(
            conn,
            self.org,
            &self.actor,
            AuditAction::PassAdded,
            &summary,
            at,
        )
        .await?;
        Ok(PassId(pass))
    }

    /// The refusal for registering `id` here while a live pass of this organization has the same card, naming
    /// that pass and its holder; `None` when there is none.
    async fn live_card_conflict(
        &self,
        conn: &mut Conn,
        id: &PassIdentifier,
    ) -> Result<Option<StorageError>, StorageError> {
        let kind = id.kind();
        let duplicate_sql = format!(
            "SELECT p.nickname, {MEMBER_FIRST_NAME}, {MEMBER_LAST_NAME} FROM passes p \
             JOIN users u ON u.id = p.user_id \
             JOIN memberships m ON m.user_id = p.user_id AND m.org_id = p.org_id \
             WHERE p.org_id = $1 AND p.id_kind = $2 AND p.match_key = $3 AND p.deleted_at IS NULL"
        );
        let duplicate: Option<(String, String, String)> = sqlx::query_as(&duplicate_sql)
            .bind(self.org.0)
            .bind(kind.as_str())
            .bind(id.match_key())
            .fetch_optional(&mut *conn)
            .await?;
        Ok(duplicate.map(|(existing, first, last)| {
            StorageError::conflict(format!(
                "This {} is already registered in this organization: pass \"{existing}\" of {first} \
                 {last}.",
                kind.label()
            ))
        }))
    }

    /// Deletes a live pass of this organization (kept as deleted for the record); `NotFound { what:
    /// "pass" }` for any other id. The same card can be added again afterwards. Audited.
    pub async fn delete_pass(&self, pass: PassId) -> Result<(), StorageError> {
        let mut tx = self.db.begin_write().await?;
        let at = now();
        let p = self.live_pass(&mut tx, pass).await?;
        if !self.delete_pass_in(&mut tx, &p, "", at).await? {
            return Err(StorageError::NotFound { what: "pass" });
        }
        self.db
            .commit_announcing(tx, crate::events::StationEvent::LocalListsChanged(self.org))
            .await?;
        Ok(())
    }

    /// Deletes every live pass `user` holds in this organization, each with the audit entry of a deleted pass
    /// (inside the caller's transaction: removing a member). Returns how many were deleted.
    pub(crate) async fn delete_passes_of_in(
        &self,
        conn: &mut Conn,
        user: UserId,
        at: Timestamp,
    ) -> Result<usize, StorageError> {
        let sql = format!(
            "{PASS_SELECT} WHERE p.user_id = $1 AND p.org_id = $2 AND p.deleted_at IS NULL \
             ORDER BY p.created_at, p.id"
        );
        let live = summaries(
            sqlx::query_as::<_, PassRow>(&sql)
                .bind(user.0)
                .bind(self.org.0)
                .fetch_all(&mut *conn)
                .await?,
        )?;
        let mut deleted = 0;
        for p in &live {
            if self
                .delete_pass_in(conn, p, " (removed from the organization)", at)
                .await?
            {
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// Marks the live pass `p` of this organization deleted and records it in the audit log, `why` appended
    /// to the entry. `false` (nothing changed, nothing recorded) when another writer deleted it since it was
    /// read (PostgreSQL runs writers concurrently).
    pub(crate) async fn delete_pass_in(
        &self,
        conn: &mut Conn,
        p: &PassSummary,
        why: &str,
        at: Timestamp,
    ) -> Result<bool, StorageError> {
        let deleted = sqlx::query(
            "UPDATE passes SET deleted_at = $1, deleted_by = $2 \
             WHERE id = $3 AND org_id = $4 AND deleted_at IS NULL",
        )
        .bind(at.0)
        .bind(self.actor.user_id.map(|u| u.0))
        .bind(p.id.0)
        .bind(self.org.0)
        .execute(&mut *conn)
        .await?;
        if deleted.rows_affected() != 1 {
            return Ok(false);
        }
        let summary = format!(
            "Deleted {} of {}{why}",
            describe(&p.nickname, p.id_kind, &p.id_value),
            p.user_name
        );
        audit::record(
            conn,
            self.org,
            &self.actor,
            AuditAction::PassDeleted,
            &summary,
            at,
        )
        .await?;
        Ok(true)
    }

    /// Switches a live pass of this organization between Whitelist and Roaming; `NotFound { what: "pass"
    /// }` for any other id. Audited with old and new mode; nothing happens if the mode is unchanged, also when
    /// another request set the same mode meanwhile (the pass's row is locked before it is read).
    pub async fn set_pass_mode(&self, pass: PassId, mode: PassMode) -> Result<(), StorageError> {
        let mut tx = self.db.begin_write().await?;
        self.set_pass_mode_in(&mut tx, pass, mode, now()).await?;
        self.db
            .commit_announcing(tx, crate::events::StationEvent::LocalListsChanged(self.org))
            .await?;
        Ok(())
    }

    pub(crate) async fn set_pass_mode_in(
        &self,
        conn: &mut Conn,
        pass: PassId,
        mode: PassMode,
        at: Timestamp,
    ) -> Result<(), StorageError> {
        // Lock the row first: a second save of the same mode at the same moment (PostgreSQL runs both) waits for
        // the first and then reads the mode it set, instead of recording the same change twice.
        sqlx::query("UPDATE passes SET mode = mode WHERE id = $1 AND org_id = $2")
            .bind(pass.0)
            .bind(self.org.0)
            .execute(&mut *conn)
            .await?;
        let p = self.live_pass(conn, pass).await?;
        if p.mode == mode {
            return Ok(());
        }
        sqlx::query(
            "UPDATE passes SET mode = $1 WHERE id = $2 AND org_id = $3 AND deleted_at IS NULL",
        )
        .bind(mode.as_str())
        .bind(pass.0)
        .bind(self.org.0)
        .execute(&mut *conn)
        .await?;
        let summary = format!(
            "Changed {} of {} from {} to {}",
            describe(&p.nickname, p.id_kind, &p.id_value),
            p.user_name,
            p.mode.as_str(),
            mode.as_str()
        );
        audit::record(
            conn,
            self.org,
            &self.actor,
            AuditAction::PassModeChanged,
            &summary,
            at,
        )
        .await?;
        Ok(())
    }
}
