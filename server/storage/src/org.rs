//! [`OrgAdmin`]: the proof that the caller administers one organization, and the work done inside it.

use crate::accounts;
use crate::audit;
use crate::auth::{parse_role, Actor};
use crate::db::{fold_case, now, Conn, Db};
use crate::error::StorageError;
use rand::RngCore;
use shared::access::{self, Membership};
use shared::model::{AuditAction, AuditEntry, OrgContext, OrgRef, OrgSummary, UserSummary};
use shared::names::{Email, OrgName, PersonName};
use shared::time::Timestamp;
use shared::{MemberId, OrgId, Role, UserId};

/// Deepest organization tree walked (a guard; real trees are a few levels deep).
pub(crate) const MAX_DEPTH: i64 = 64;

/// Proof that the caller administers one organization, obtained only from [`crate::Caller::admin_of`].
/// Every query made through it filters by that organization.
#[derive(Debug)]
pub struct OrgAdmin {
    pub(crate) db: Db,
    pub(crate) actor: Actor,
    /// The caller's memberships, for rules beyond this organization (e.g. what of an ancestor they may see).
    pub(crate) memberships: Vec<Membership>,
    pub(crate) org: OrgId,
}

/// What [`OrgAdmin::add_user`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddUserOutcome {
    /// The member's account.
    pub user_id: UserId,
    /// `true` if an account with that e-mail existed already within the caller's tree and was reused openly
    /// (with the name the tree knows). An account outside the tree is reused silently: `false`, as for a new one.
    pub reused_existing_account: bool,
    /// `true` only with `reused_existing_account`, when that account has a password: it was mailed a notice that
    /// it was added, not a link to set a password. (An account reused silently gets its notice too, but the
    /// outcome reads as for a new person: `false`.)
    pub notice_instead_of_link: bool,
}

/// `org` followed by its ancestors up to the root, with names; empty if `org` does not exist.
pub(crate) async fn ancestry(conn: &mut Conn, org: OrgId) -> Result<Vec<OrgRef>, StorageError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
    }
    let rows = sqlx::query_as::<_, Row>(
        "WITH RECURSIVE chain (id, parent_id, name, depth) AS ( \
             SELECT id, parent_id, name, 0 FROM organizations WHERE id = $1 \
             UNION ALL \
             SELECT o.id, o.parent_id, o.name, chain.depth + 1 \
             FROM organizations o JOIN chain ON o.id = chain.parent_id \
             WHERE chain.depth < $2 \
         ) \
         SELECT id, name FROM chain ORDER BY depth",
    )
    .bind(org.0)
    .bind(MAX_DEPTH)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OrgRef {
            id: OrgId(r.id),
            name: r.name,
        })
        .collect())
}

/// A member's first name as their organization knows it (`m` the membership, `u` the account): the name the
/// organization entered when it added an account from outside its tree, else the account's own (migration 0004).
pub(crate) const MEMBER_FIRST_NAME: &str = "COALESCE(m.first_name, u.first_name)";
/// The last name to go with [`MEMBER_FIRST_NAME`].
pub(crate) const MEMBER_LAST_NAME: &str = "COALESCE(m.last_name, u.last_name)";

/// Largest member id: 2^53 - 1, the largest integer a JavaScript number holds exactly (migration 0007).
const MEMBER_ID_MAX: u64 = (1 << 53) - 1;

/// How often [`fresh_member_id`] draws before it gives up.
const MEMBER_ID_DRAWS: usize = 4;

/// A random member id (1 ..= 2^53 - 1, from the operating system's generator) that no membership has yet, for a
/// membership being inserted (or revived) in the same transaction (migration 0007: `memberships.member_id`).
///
/// A collision is astronomically unlikely (about n / 2^53 for n memberships); it is handled by drawing again,
/// checked with a SELECT rather than by catching the unique violation, because a failed statement aborts the
/// whole transaction on PostgreSQL. After [`MEMBER_ID_DRAWS`] taken ids in a row something is wrong (not
/// chance): an internal error, nothing is saved. Two concurrent transactions drawing the same free id is not
/// possible on SQLite (one writer at a time); elsewhere the unique index refuses the second, nothing is saved.
pub(crate) async fn fresh_member_id(conn: &mut Conn) -> Result<i64, StorageError> {
    for _ in 0..MEMBER_ID_DRAWS {
        let candidate = (rand::rngs::OsRng.next_u64() % MEMBER_ID_MAX + 1) as i64;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM memberships WHERE member_id = $1")
                .bind(candidate)
                .fetch_optional(&mut *conn)
                .await?;
        if taken.is_none() {
            return Ok(candidate);
        }
    }
    Err(StorageError::internal(
        "no free member id after several random draws",
    ))
}

/// [`fresh_member_id`] for `n` memberships inserted together: distinct random ids that no membership has yet,
/// checked in one query per draw.
pub(crate) async fn fresh_member_ids(
    conn: &mut Conn,
    backend: crate::db::Backend,
    n: usize,
) -> Result<Vec<i64>, StorageError> {
    use crate::multi_row::{Statement, Value};
    let draw = || (rand::rngs::OsRng.next_u64() % MEMBER_ID_MAX + 1) as i64;
    let mut ids: Vec<i64> = (0..n).map(|_| draw()).collect();
    for _ in 0..MEMBER_ID_DRAWS {
        let mut taken: std::collections::HashSet<i64> = std::collections::HashSet::new();
        for chunk in ids.chunks(500) {
            let mut statement = Statement::new(
                backend,
                "SELECT member_id FROM memberships WHERE member_id IN ",
            );
            statement.tuple(chunk.iter().map(|id| Value::Int(*id)));
            let found: Vec<(i64,)> = statement.fetch_all(conn).await?;
            taken.extend(found.into_iter().map(|(id,)| id));
        }
        let mut seen = std::collections::HashSet::new();
        let mut redrawn = false;
        for id in &mut ids {
            if taken.contains(id) || !seen.insert(*id) {
                *id = draw();
                redrawn = true;
            }
        }
        if !redrawn {
            return Ok(ids);
        }
    }
    Err(StorageError::internal(
        "no free member ids after several random draws",
    ))
}

/// How the caller's tree knows an account it already reaches.
struct KnownName {
    /// The names stored on that membership (`None`: the account's own), copied to the new membership.
    stored: Option<(String, String)>,
    shown_first: String,
    shown_last: String,
}

fn full_name(first: &str, last: &str) -> String {
    format!("{first} {last}")
}

impl OrgAdmin {
    pub(crate) fn new(db: Db, actor: Actor, memberships: Vec<Membership>, org: OrgId) -> Self {
        Self {
            db,
            actor,
            memberships,
            org,
        }
    }

    /// The organization this proof is for.
    pub fn org_id(&self) -> OrgId {
        self.org
    }

    /// The organization with its breadcrumb ([`shared::access::visible_path`]: from the highest
    /// organization the caller administers down to this one).
    pub async fn context(&self) -> Result<OrgContext, StorageError> {
        let mut conn = self.db.read().await?;
        let chain = ancestry(&mut conn, self.org).await?;
        let ids: Vec<OrgId> = chain.iter().map(|o| o.id).collect();
        let name_of = |id: OrgId| chain.iter().find(|o| o.id == id).map(|o| o.name.clone());
        let path = access::visible_path(&self.memberships, &ids)
            .into_iter()
            .filter_map(|id| name_of(id).map(|name| OrgRef { id, name }))
            .collect();
        let name = name_of(self.org).ok_or(StorageError::NotFound {
            what: "organization",
        })?;
        Ok(OrgContext {
            id: self.org,
            name,
            path,
        })
    }

    /// The direct sub-organizations, by name, with their own counts of sub-organizations, members and live
    /// passes.
    pub async fn sub_organizations(&self) -> Result<Vec<OrgSummary>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            name: String,
            parent_id: Option<i64>,
            sub_org_count: i64,
            user_count: i64,
            pass_count: i64,
        }
        let mut conn = self.db.read().await?;
        let rows = sqlx::query_as::<_, Row>(
            "SELECT o.id, o.name, o.parent_id, \
               (SELECT COUNT(*) FROM organizations c WHERE c.parent_id = o.id) AS sub_org_count, \
               (SELECT COUNT(*) FROM memberships m WHERE m.org_id = o.id AND m.removed_at IS NULL) \
                 AS user_count, \
               (SELECT COUNT(*) FROM passes p WHERE p.org_id = o.id AND p.deleted_at IS NULL) \
                 AS pass_count \
             FROM organizations o WHERE o.parent_id = $1 \
             ORDER BY lower(o.name), o.id",
        )
        .bind(self.org.0)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| OrgSummary {
                id: OrgId(r.id),
                name: r.name,
                parent_id: r.parent_id.map(OrgId),
                sub_org_count: r.sub_org_count,
                user_count: r.user_count,
                pass_count: r.pass_count,
            })
            .collect())
    }

    /// Adds a sub-organization. Conflict if a sibling already has that name (ignoring ASCII case: see
    /// [`fold_case`]), or if this
    /// organization is already [`access::MAX_ORG_DEPTH`] levels deep (so that every tree query, which walks at
    /// most [`MAX_DEPTH`] levels, sees whole trees). Audited.
    pub async fn add_sub_organization(&self, name: &OrgName) -> Result<OrgId, StorageError> {
        let mut tx = self.db.begin_write().await?;
        let id = self.add_sub_organization_in(&mut tx, name, now()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The refusal for naming a new sub-organization of this one `name` while a sibling has that name
    /// (ignoring case), naming it as stored; `None` when none has.
    async fn sibling_named(
        &self,
        conn: &mut Conn,
        name: &OrgName,
    ) -> Result<Option<StorageError>, StorageError> {
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT name FROM organizations WHERE parent_id = $1 AND lower(name) = $2",
        )
        .bind(self.org.0)
        .bind(fold_case(name.as_str()))
        .fetch_optional(&mut *conn)
        .await?;
        Ok(existing.map(|existing| {
            StorageError::conflict(format!(
                "There is already a sub-organization named \"{existing}\" here."
            ))
        }))
    }

    pub(crate) async fn add_sub_organization_in(
        &self,
        conn: &mut Conn,
        name: &OrgName,
        at: Timestamp,
    ) -> Result<OrgId, StorageError> {
        let chain = ancestry(conn, self.org).await?;
        let ids: Vec<OrgId> = chain.iter().map(|o| o.id).collect();
        let here = chain.first().ok_or(StorageError::NotFound {
            what: "organization",
        })?;
        access::check_sub_organization_depth(&ids, &here.name).map_err(StorageError::conflict)?;
        if let Some(taken) = self.sibling_named(conn, name).await? {
            return Err(taken);
        }
        // The unique index decides when another writer added the name since the check (PostgreSQL runs writers
        // concurrently): nothing is inserted, and the refusal names that sub-organization.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO organizations (parent_id, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (parent_id, lower(name)) DO NOTHING RETURNING id",
        )
        .bind(self.org.0)
        .bind(name.as_str())
        .bind(at.0)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(id) = id else {
            return Err(self
                .sibling_named(conn, name)
                .await?
                .unwrap_or_else(|| StorageError::conflict("That already exists.")));
        };
        let summary = format!("Added sub-organization \"{}\"", name.as_str());
        audit::record(
            conn,
            self.org,
            &self.actor,
            AuditAction::OrganizationAdded,
            &summary,
            at,
        )
        .await?;
        Ok(OrgId(id))
    }

    /// The members of this organization, sorted by last name, first name (then by member id, which is random:
    /// never by account, whose age is not this organization's to know); `pass_count` counts their live passes
    /// in this organization. Names are the ones this organization knows ([`MEMBER_FIRST_NAME`]); removed
    /// members are not listed. Each is named by the [`MemberId`] of their membership here, never by account.
    /// Their status is "Active", "Invited" or "Invitation expired" ([`crate::accounts`]).
    pub async fn users(&self) -> Result<Vec<UserSummary>, StorageError> {
        self.users_at(now()).await
    }

    /// [`OrgAdmin::users`] as if the time were `at` (for the invitations' expiry).
    pub async fn users_at(&self, at: Timestamp) -> Result<Vec<UserSummary>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            first_name: String,
            last_name: String,
            email: String,
            role: String,
            pass_count: i64,
            accepted_at: Option<i64>,
            invited_until: Option<i64>,
        }
        let mut conn = self.db.read().await?;
        let sql = format!(
            "SELECT m.member_id AS id, {MEMBER_FIRST_NAME} AS first_name, {MEMBER_LAST_NAME} AS last_name, u.email, m.role, \
               (SELECT COUNT(*) FROM passes p \
                WHERE p.user_id = u.id AND p.org_id = m.org_id AND p.deleted_at IS NULL) AS pass_count, \
               m.accepted_at, {} AS invited_until \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 AND m.removed_at IS NULL \
             ORDER BY lower({MEMBER_LAST_NAME}), lower({MEMBER_FIRST_NAME}), m.member_id",
            accounts::invited_until_sql("$2")
        );
        let rows = sqlx::query_as::<_, Row>(&sql)
            .bind(self.org.0)
            .bind(at.0)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(UserSummary {
                    id: MemberId(r.id),
                    first_name: r.first_name,
                    last_name: r.last_name,
                    email: r.email,
                    role: parse_role(&r.role)?,
                    pass_count: r.pass_count,
                    status: accounts::member_status(r.accepted_at, r.invited_until),
                })
            })
            .collect()
    }

    /// Adds a member. Conflict if already a member here. Audited.
    ///
    /// An existing account with this e-mail is reused rather than duplicated (one account per person), in one of
    /// two ways, decided by [`access::account_within_reach`] on the account's current memberships:
    /// - inside the caller's own tree (a member of an organization the caller administers), openly: the
    ///   outcome says so and the member keeps the name the tree already knows;
    /// - outside it, silently: the outcome, the audit entry and every later listing here are those of a new
    ///   account with the name entered, which is stored on this membership. The caller learns nothing about the
    ///   account, not even that it exists.
    ///
    /// A person removed from this organization earlier is added again on the same membership row.
    ///
    /// In the same transaction the person is invited ([`crate::accounts`]): an account without a password gets a
    /// single-use link to set one (valid 7 days), an account with a password a notice that it was added.
    pub async fn add_user(
        &self,
        first: &PersonName,
        last: &PersonName,
        email: &Email,
        role: Role,
    ) -> Result<AddUserOutcome, StorageError> {
        let at = now();
        let mut tx = self.db.begin_write().await?;
        let mut outcome = self
            .add_user_in(&mut tx, first, last, email, role, at)
            .await?;
        let link_sent = self.invite_in(&mut tx, outcome.user_id, role, at).await?;
        outcome.notice_instead_of_link = outcome.reused_existing_account && !link_sent;
        tx.commit().await?;
        self.db.wake_mail_sender();
        Ok(outcome)
    }

    pub(crate) async fn add_user_in(
        &self,
        conn: &mut Conn,
        first: &PersonName,
        last: &PersonName,
        email: &Email,
        role: Role,
        at: Timestamp,
    ) -> Result<AddUserOutcome, StorageError> {
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE lower(email) = $1")
                .bind(fold_case(email.as_str()))
                .fetch_optional(&mut *conn)
                .await?;
        // (account, names stored on the membership, name for the audit log, reused openly)
        let (user_id, member_name, name, reused) = match existing {
            Some(id) => {
                #[derive(sqlx::FromRow)]
                struct Here {
                    role: String,
                    removed_at: Option<i64>,
                    first_name: String,
                    last_name: String,
                }
                let sql = format!(
                    "SELECT m.role, m.removed_at, {MEMBER_FIRST_NAME} AS first_name, \
                            {MEMBER_LAST_NAME} AS last_name \
                     FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.user_id = $1 AND m.org_id = $2"
                );
                let here = sqlx::query_as::<_, Here>(&sql)
                    .bind(id)
                    .bind(self.org.0)
                    .fetch_optional(&mut *conn)
                    .await?;
                if let Some(here) = here.filter(|h| h.removed_at.is_none()) {
                    let role = parse_role(&here.role)?;
                    return Err(StorageError::conflict(format!(
                        "{} ({}) is already a member of this organization, as {}.",
                        full_name(&here.first_name, &here.last_name),
                        email.as_str(),
                        role.as_str()
                    )));
                }
                match self.name_known_in_reach(conn, id).await? {
                    Some(known) => {
                        let name = full_name(&known.shown_first, &known.shown_last);
                        (id, known.stored, name, true)
                    }
                    None => (
                        id,
                        Some((first.as_str().to_owned(), last.as_str().to_owned())),
                        full_name(first.as_str(), last.as_str()),
                        false,
                    ),
                }
            }
            None => {
                // Another writer may create the account since the lookup (PostgreSQL runs writers
                // concurrently): then nothing is inserted, and the person is added as an account that exists,
                // exactly as if it had existed before.
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO users (email, first_name, last_name, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (lower(email)) DO NOTHING RETURNING id",
                )
                .bind(email.as_str())
                .bind(first.as_str())
                .bind(last.as_str())
                .bind(at.0)
                .fetch_optional(&mut *conn)
                .await?;
                let Some(id) = id else {
                    return Box::pin(self.add_user_in(conn, first, last, email, role, at)).await;
                };
                (id, None, full_name(first.as_str(), last.as_str()), false)
            }
        };
        let (member_first, member_last) = member_name.unzip();
        let member_id = fresh_member_id(conn).await?;
        // Insert, or revive the row of a person removed from here earlier (passes keep referencing it), with a
        // fresh member id: the one the browser had for the removed membership stays unknown.
        let added = sqlx::query(
            "INSERT INTO memberships (user_id, org_id, role, created_at, first_name, last_name, member_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (user_id, org_id) DO UPDATE \
             SET role = $3, created_at = $4, first_name = $5, last_name = $6, removed_at = NULL, \
                 removed_by = NULL, member_id = $7, accepted_at = NULL \
             WHERE memberships.removed_at IS NOT NULL",
        )
        .bind(user_id)
        .bind(self.org.0)
        .bind(role.as_str())
        .bind(at.0)
        .bind(member_first)
        .bind(member_last)
        .bind(member_id)
        .execute(&mut *conn)
        .await?;
        // Nothing inserted or revived: another writer added the person here since the check above (PostgreSQL
        // runs writers concurrently).
        if added.rows_affected() != 1 {
            return Err(StorageError::conflict(format!(
                "{name} ({}) is already a member of this organization.",
                email.as_str()
            )));
        }
        let summary = format!(
            "Added {}{name} ({}) as {}",
            if reused { "existing account " } else { "" },
            email.as_str(),
            role.as_str()
        );
        audit::record(
            conn,
            self.org,
            &self.actor,
            AuditAction::UserAdded,
            &summary,
            at,
        )
        .await?;
        Ok(AddUserOutcome {
            user_id: UserId(user_id),
            reused_existing_account: reused,
            notice_instead_of_link: false,
        })
    }

    /// How the caller's tree already knows the account `user`: from its oldest live membership in an
    /// organization the caller administers; `None` if it has none ([`access::account_within_reach`]).
    async fn name_known_in_reach(
        &self,
        conn: &mut Conn,
        user: i64,
    ) -> Result<Option<KnownName>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            org_id: i64,
            member_first: Option<String>,
            member_last: Option<String>,
            first_name: String,
            last_name: String,
        }
        let sql = format!(
            "SELECT m.org_id, m.first_name AS member_first, m.last_name AS member_last, \
                    {MEMBER_FIRST_NAME} AS first_name, {MEMBER_LAST_NAME} AS last_name \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.user_id = $1 AND m.removed_at IS NULL \
             ORDER BY m.created_at, m.org_id"
        );
        let rows = sqlx::query_as::<_, Row>(&sql)
            .bind(user)
            .fetch_all(&mut *conn)
            .await?;
        for r in rows {
            let chain: Vec<OrgId> = ancestry(conn, OrgId(r.org_id))
                .await?
                .into_iter()
                .map(|o| o.id)
                .collect();
            if access::account_within_reach(&self.memberships, &[chain]) {
                return Ok(Some(KnownName {
                    stored: r.member_first.zip(r.member_last),
                    shown_first: r.first_name,
                    shown_last: r.last_name,
                }));
            }
        }
        Ok(None)
    }

    /// The account behind a member id the browser sent (a [`UserSummary::id`] of this organization).
    /// `NotFound { what: "user" }` for anything that is not a live member of this organization: a removed
    /// member, a member of another organization, an id that never existed — the same error, so that nothing
    /// about other organizations is revealed. Storage methods that take a [`UserId`] are called with the result.
    pub async fn member(&self, member: MemberId) -> Result<UserId, StorageError> {
        let mut conn = self.db.read().await?;
        let user: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM memberships \
             WHERE member_id = $1 AND org_id = $2 AND removed_at IS NULL",
        )
        .bind(member.0)
        .bind(self.org.0)
        .fetch_optional(&mut *conn)
        .await?;
        user.map(UserId)
            .ok_or(StorageError::NotFound { what: "user" })
    }

    /// Removes a member from this organization: their live passes here are deleted (each with the audit entry
    /// of a deleted pass), and the membership ends (kept as removed, see migration 0004), all in one
    /// transaction with a "User removed" audit entry. `NotFound { what: "user" }` for anyone who is not a
    /// member here; a conflict when the caller tries to remove themself (another administrator must do it).
    /// The person can be added again later; their deleted passes stay deleted.
    pub async fn remove_user(&self, user: UserId) -> Result<(), StorageError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            first_name: String,
            last_name: String,
            email: String,
            role: String,
        }
        if self.actor.user_id == Some(user) {
            return Err(StorageError::conflict(
                "You cannot remove yourself from an organization. Ask another administrator to do it.",
            ));
        }
        let mut tx = self.db.begin_write().await?;
        let at = now();
        // The membership's row first, as adding a pass does: a pass added at the same moment (PostgreSQL runs
        // both) is either committed before the passes are read below, and deleted with them, or finds the member
        // removed.
        sqlx::query(
            "UPDATE memberships SET removed_at = removed_at \
             WHERE org_id = $1 AND user_id = $2 AND removed_at IS NULL",
        )
        .bind(self.org.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
        let sql = format!(
            "SELECT {MEMBER_FIRST_NAME} AS first_name, {MEMBER_LAST_NAME} AS last_name, u.email, m.role \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 AND m.user_id = $2 AND m.removed_at IS NULL"
        );
        let member = sqlx::query_as::<_, Row>(&sql)
            .bind(self.org.0)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StorageError::NotFound { what: "user" })?;
        let deleted = self.delete_passes_of_in(&mut tx, user, at).await?;
        let removed = sqlx::query(
            "UPDATE memberships SET removed_at = $1, removed_by = $2 \
             WHERE org_id = $3 AND user_id = $4 AND removed_at IS NULL",
        )
        .bind(at.0)
        .bind(self.actor.user_id.map(|u| u.0))
        .bind(self.org.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
        // Another writer removed them since the lookup (PostgreSQL runs writers concurrently): as if they had
        // not been found (the transaction, with any pass deleted above, is rolled back).
        if removed.rows_affected() != 1 {
            return Err(StorageError::NotFound { what: "user" });
        }
        let summary = format!(
            "Removed {} ({}), {}{}",
            full_name(&member.first_name, &member.last_name),
            member.email,
            parse_role(&member.role)?.as_str(),
            match deleted {
                0 => String::new(),
                1 => ", and deleted their pass here".to_owned(),
                n => format!(", and deleted their {n} passes here"),
            }
        );
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::UserRemoved,
            &summary,
            at,
        )
        .await?;
        self.db
            .commit_announcing(tx, crate::events::StationEvent::LocalListsChanged(self.org))
            .await?;
        Ok(())
    }

    /// This organization's audit log, newest first, at most `limit` entries (clamped to 1..=1000).
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StorageError> {
        let mut conn = self.db.read().await?;
        audit::of_org(&mut conn, self.org, limit).await
    }
}
