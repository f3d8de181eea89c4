//! [`OrgAdmin`]: the proof that the caller administers one organization, and the work done inside it.

use crate::audit;
use crate::auth::{parse_role, Actor};
use crate::db::{now, Conn, Db};
use crate::error::StorageError;
use shared::access::{self, Membership};
use shared::model::{AuditAction, AuditEntry, OrgContext, OrgRef, OrgSummary, UserSummary};
use shared::names::{Email, OrgName, PersonName};
use shared::time::Timestamp;
use shared::{OrgId, Role, UserId};

/// Deepest organization tree walked (a guard; real trees are a few levels deep).
pub(crate) const MAX_DEPTH: i64 = 64;

/// Proof that the caller administers one organization, obtained only from [`crate::Caller::admin_of`].
/// Every query made through it filters by that organization.
#[derive(Debug)]
pub struct OrgAdmin {
    pub(crate) db: Db,
    pub(crate) actor: Actor,
    memberships: Vec<Membership>,
    pub(crate) org: OrgId,
}

/// What [`OrgAdmin::add_user`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddUserOutcome {
    /// The member's account.
    pub user_id: UserId,
    /// `true` if an account with that e-mail existed already (its stored name was kept).
    pub reused_existing_account: bool,
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
               (SELECT COUNT(*) FROM memberships m WHERE m.org_id = o.id) AS user_count, \
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

    /// Adds a sub-organization. Conflict if a sibling already has that name (ignoring case). Audited.
    pub async fn add_sub_organization(&self, name: &OrgName) -> Result<OrgId, StorageError> {
        let mut tx = self.db.begin_write().await?;
        let id = self.add_sub_organization_in(&mut tx, name, now()).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub(crate) async fn add_sub_organization_in(
        &self,
        conn: &mut Conn,
        name: &OrgName,
        at: Timestamp,
    ) -> Result<OrgId, StorageError> {
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT name FROM organizations WHERE parent_id = $1 AND lower(name) = lower($2)",
        )
        .bind(self.org.0)
        .bind(name.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(existing) = existing {
            return Err(StorageError::conflict(format!(
                "There is already a sub-organization named \"{existing}\" here."
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organizations (parent_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(self.org.0)
        .bind(name.as_str())
        .bind(at.0)
        .fetch_one(&mut *conn)
        .await?;
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

    /// The members of this organization, sorted by last name, first name; `pass_count` counts their live
    /// passes in this organization.
    pub async fn users(&self) -> Result<Vec<UserSummary>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            first_name: String,
            last_name: String,
            email: String,
            role: String,
            pass_count: i64,
        }
        let mut conn = self.db.read().await?;
        let rows = sqlx::query_as::<_, Row>(
            "SELECT u.id, u.first_name, u.last_name, u.email, m.role, \
               (SELECT COUNT(*) FROM passes p \
                WHERE p.user_id = u.id AND p.org_id = m.org_id AND p.deleted_at IS NULL) AS pass_count \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 \
             ORDER BY lower(u.last_name), lower(u.first_name), u.id",
        )
        .bind(self.org.0)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(UserSummary {
                    id: UserId(r.id),
                    first_name: r.first_name,
                    last_name: r.last_name,
                    email: r.email,
                    role: parse_role(&r.role)?,
                    pass_count: r.pass_count,
                })
            })
            .collect()
    }

    /// Adds a member. An existing account with this e-mail (in any organization) is reused rather than
    /// duplicated, keeping its stored name; the outcome says so. Conflict if already a member here.
    /// Audited.
    pub async fn add_user(
        &self,
        first: &PersonName,
        last: &PersonName,
        email: &Email,
        role: Role,
    ) -> Result<AddUserOutcome, StorageError> {
        let mut tx = self.db.begin_write().await?;
        let outcome = self
            .add_user_in(&mut tx, first, last, email, role, now())
            .await?;
        tx.commit().await?;
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
        #[derive(sqlx::FromRow)]
        struct Existing {
            id: i64,
            first_name: String,
            last_name: String,
            email: String,
        }
        let existing = sqlx::query_as::<_, Existing>(
            "SELECT id, first_name, last_name, email FROM users WHERE lower(email) = lower($1)",
        )
        .bind(email.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let (user_id, name, stored_email, reused) = match existing {
            Some(u) => {
                let already: Option<String> = sqlx::query_scalar(
                    "SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2",
                )
                .bind(u.id)
                .bind(self.org.0)
                .fetch_optional(&mut *conn)
                .await?;
                if let Some(role) = already {
                    let role = parse_role(&role)?;
                    return Err(StorageError::conflict(format!(
                        "{} ({}) is already a member of this organization, as {}.",
                        full_name(&u.first_name, &u.last_name),
                        u.email,
                        role.as_str()
                    )));
                }
                (u.id, full_name(&u.first_name, &u.last_name), u.email, true)
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (email, first_name, last_name, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(email.as_str())
                .bind(first.as_str())
                .bind(last.as_str())
                .bind(at.0)
                .fetch_one(&mut *conn)
                .await?;
                (
                    id,
                    full_name(first.as_str(), last.as_str()),
                    email.as_str().to_owned(),
                    false,
                )
            }
        };
        sqlx::query(
            "INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user_id)
        .bind(self.org.0)
        .bind(role.as_str())
        .bind(at.0)
        .execute(&mut *conn)
        .await?;
        let summary = format!(
            "Added {}{name} ({stored_email}) as {}",
            if reused { "existing account " } else { "" },
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
        })
    }

    /// This organization's audit log, newest first, at most `limit` entries (clamped to 1..=1000).
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StorageError> {
        let mut conn = self.db.read().await?;
        audit::of_org(&mut conn, self.org, limit).await
    }
}
