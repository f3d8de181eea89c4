//! Bulk import of passes with their users (issue #12): what a file would do ([`OrgAdmin::preview_pass_import`])
//! and doing it ([`OrgAdmin::commit_pass_import`]), all or nothing.
//!
//! Both run the same plan: each row's organization (the one imported into, or the sub-organization its
//! Organization cell names), the conflicts between rows, then against the database — is the person already a
//! member there, is the card already registered there and to whom — in a few queries for the whole file (the
//! users, memberships and passes it touches, a few hundred values per query). The commit plans again inside its
//! write transaction, after locking the organization's row, so that it acts on what is there then: a second
//! import into the same organization (another instance on PostgreSQL) waits and then sees the first one's
//! passes. It writes each person and pass with the code of "+ Add User" and "+ Add Pass" (`add_user_in`,
//! `invite_in`, `add_pass_in`, `delete_pass_in`: the same checks, invitations and audit entries), plus one
//! audit entry for the import with its counts. Anything refused rolls everything back.

use crate::audit;
use crate::db::{fold_case, now, Backend, Conn};
use crate::error::StorageError;
use crate::events::StationEvent;
use crate::multi_row::{Statement, Value};
use crate::org::{OrgAdmin, MEMBER_FIRST_NAME, MEMBER_LAST_NAME};
use crate::stations::subtree_cte;
use shared::import::{
    in_file_conflicts, CellError, CheckedRow, Column, Deletions, ImportDone, ImportMode,
    ImportPreview, RowInput, RowOutcome, RowPreview, UserOutcome,
};
use shared::mode::{initial_for, PassMode};
use shared::model::AuditAction;
use shared::pass_id::PassIdKind;
use shared::role::Role;
use shared::time::Timestamp;
use shared::{OrgId, PassId, UserId};
use std::collections::{HashMap, HashSet};

/// Values per lookup query: well below SQLite's and PostgreSQL's limits on parameters.
const LOOKUP_CHUNK: usize = 500;

/// What [`OrgAdmin::commit_pass_import`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportCommit {
    /// Everything was written.
    Done(ImportDone),
    /// Nothing was written: why, and the preview as it is now.
    Refused {
        /// The sentence for the administrator.
        reason: String,
        /// What the file would do now, row by row.
        preview: ImportPreview,
    },
}

/// The organizations of the subtree imported into, and how an Organization cell names one of them.
struct Tree {
    root: OrgId,
    /// Each organization's path below the root ("De Kroon Logistics / Loading"), the root's own name for it.
    names: HashMap<OrgId, String>,
    /// Folded path below the root, and folded path from the root → organization.
    by_path: HashMap<String, OrgId>,
    /// Folded name → every organization of the subtree with that name.
    by_name: HashMap<String, Vec<OrgId>>,
}

fn fold_path(path: &str) -> String {
    path.split('/')
        .map(|part| fold_case(part.trim()))
        .collect::<Vec<_>>()
        .join("/")
}

impl Tree {
    async fn read(conn: &mut Conn, root: OrgId) -> Result<Tree, StorageError> {
        let rows: Vec<(i64, Option<i64>, String)> = sqlx::query_as(&format!(
            "{} SELECT id, parent_id, name FROM subtree ORDER BY depth, id",
            subtree_cte("$1")
        ))
        .bind(root.0)
        .fetch_all(&mut *conn)
        .await?;
        let mut tree = Tree {
            root,
            names: HashMap::new(),
            by_path: HashMap::new(),
            by_name: HashMap::new(),
        };
        // Parents come before their children (ordered by depth).
        let mut paths: HashMap<i64, String> = HashMap::new();
        let mut root_name = String::new();
        for (id, parent, name) in rows {
            tree.by_name
                .entry(fold_case(name.trim()))
                .or_default()
                .push(OrgId(id));
            if id == root.0 {
                root_name = name.clone();
                tree.names.insert(OrgId(id), name);
                continue;
            }
            let path = match parent.and_then(|p| paths.get(&p)) {
                Some(parent_path) => format!("{parent_path} / {name}"),
                None => name,
            };
            tree.by_path.insert(fold_path(&path), OrgId(id));
            tree.by_path
                .insert(fold_path(&format!("{root_name} / {path}")), OrgId(id));
            tree.names.insert(OrgId(id), path.clone());
            paths.insert(id, path);
        }
        tree.by_path.insert(fold_path(&root_name), root);
        Ok(tree)
    }

    /// The organization an Organization cell names: empty is the root; else a path below the root (with or
    /// without the root's name in front), or a name only one organization of the subtree has.
    fn resolve(&self, cell: Option<&str>) -> Result<OrgId, String> {
        let Some(cell) = cell else {
            return Ok(self.root);
        };
        if let Some(&org) = self.by_path.get(&fold_path(cell)) {
            return Ok(org);
        }
        match self.by_name.get(&fold_case(cell.trim())).map(Vec::as_slice) {
            Some([org]) => Ok(*org),
            Some(several) if several.len() > 1 => {
                let mut paths: Vec<&str> = several.iter().map(|o| self.name(*o)).collect();
                paths.sort_unstable();
                Err(format!(
                    "Several organizations are named \"{cell}\" here; write the path of the one you mean: {}.",
                    paths.join(" or ")
                ))
            }
            _ => Err(format!(
                "There is no organization \"{cell}\" in {}. Write the name or the path of one of its \
                 sub-organizations (e.g. \"{}\"), or leave the cell empty to import into {} itself.",
                self.name(self.root),
                self.example(),
                self.name(self.root),
            )),
        }
    }

    fn name(&self, org: OrgId) -> &str {
        self.names.get(&org).map_or("", String::as_str)
    }

    fn example(&self) -> &str {
        self.names
            .iter()
            .filter(|(org, _)| **org != self.root)
            .map(|(_, path)| path.as_str())
            .min()
            .unwrap_or("Sub-organization name")
    }
}

/// A person who has an account, as the plan needs them.
struct Account {
    id: i64,
}

/// A live membership in an organization of the subtree.
struct Member {
    role: Role,
    first_name: String,
    last_name: String,
}

/// A live pass of an organization the file imports into.
struct LivePass {
    id: i64,
    user_id: i64,
    mode: PassMode,
    nickname: String,
    holder: String,
}

/// What the commit does with a row.
enum Action {
    /// Nothing (already there, or the row is in error).
    Nothing,
    /// A new pass in `org`, for the existing member `user` or (None) the person of the row, added first.
    AddPass {
        org: OrgId,
        user: Option<i64>,
        /// Whether the row's address has an account (not a member of `org`).
        account_exists: bool,
        mode: PassMode,
    },
}

/// A row the commit writes: the row, its holder if a member already, whether its address has an account, and the
/// new pass's mode.
type RowWrite<'a> = (&'a CheckedRow, Option<i64>, bool, PassMode);

/// A pass the commit adds: the file's row, its holder's account and its mode.
struct NewPass<'a> {
    holder: UserId,
    row: &'a CheckedRow,
    mode: PassMode,
}

/// The plan of an import: the preview, each row's action, the passes a replace deletes.
struct Plan {
    preview: ImportPreview,
    actions: Vec<Action>,
    deletions: Vec<(OrgId, Vec<i64>)>,
}

impl OrgAdmin {
    /// What importing `rows` (read and checked by `shared::import::read_row`) into this organization would do,
    /// row by row, without writing anything.
    pub async fn preview_pass_import(
        &self,
        rows: &[RowInput],
        mode: ImportMode,
    ) -> Result<ImportPreview, StorageError> {
        let mut conn = self.db.read().await?;
        Ok(self.plan_import(&mut conn, rows, mode).await?.preview)
    }

    /// Imports `rows` into this organization, all or nothing: refused (nothing written) while a row has an error,
    /// while a warning is not `confirmed`, or — replace — when the number of passes it would delete is not
    /// `expected_deletions`, the number the administrator saw in the preview and confirmed (someone changed the
    /// organization's passes since). `file_name` goes into the audit entry.
    pub async fn commit_pass_import(
        &self,
        rows: &[RowInput],
        mode: ImportMode,
        confirmed: bool,
        expected_deletions: usize,
        file_name: &str,
    ) -> Result<ImportCommit, StorageError> {
        let mut tx = self.db.begin_write().await?;
        // One import per organization at a time, across instances: the second waits for the first's commit here,
        // then plans with its passes in place.
        sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
            .bind(self.org.0)
            .execute(&mut *tx)
            .await?;
        let plan = self.plan_import(&mut tx, rows, mode).await?;
        let totals = &plan.preview.totals;
        let refusal = if totals.errors > 0 {
            Some(format!(
                "Nothing was imported: {} {} an error. Download the rows with their errors, correct them and \
                 upload the file again.",
                totals.errors,
                if totals.errors == 1 { "row has" } else { "rows have" }
            ))
        } else if totals.needs_confirmation > 0 && !confirmed {
            Some(format!(
                "Nothing was imported: confirm the {} {} first.",
                totals.needs_confirmation,
                if totals.needs_confirmation == 1 {
                    "warning"
                } else {
                    "warnings"
                }
            ))
        } else if mode == ImportMode::Replace && totals.deletions != expected_deletions {
            Some(format!(
                "Nothing was imported: the passes changed since the preview, and replacing them now deletes {} \
                 instead of {expected_deletions}. Check the new preview and confirm again.",
                totals.deletions
            ))
        } else {
            None
        };
        if let Some(reason) = refusal {
            // Dropping the transaction rolls it back; the organization's row is unlocked.
            return Ok(ImportCommit::Refused {
                reason,
                preview: plan.preview,
            });
        }
        let at = now();
        // The organizations the file imports into lie in this one's subtree ([`Tree`]), which the caller
        // administers: a handle for each.
        let mut handles: HashMap<OrgId, OrgAdmin> = HashMap::new();
        let mut done = ImportDone {
            new_users: 0,
            new_passes: 0,
            skipped: plan.preview.totals.already_there,
            deleted: 0,
        };
        // The rows to write, organization by organization (in the order the file first names them).
        let mut by_org: Vec<(OrgId, Vec<RowWrite>)> = Vec::new();
        for (input, action) in rows.iter().zip(&plan.actions) {
            let (
                &Action::AddPass {
                    org,
                    user,
                    account_exists,
                    mode,
                },
                Ok(row),
            ) = (action, &input.checked)
            else {
                continue;
            };
            let at_org = match by_org.iter().position(|(o, _)| *o == org) {
                Some(i) => i,
                None => {
                    by_org.push((org, Vec::new()));
                    by_org.len() - 1
                }
            };
            by_org[at_org].1.push((row, user, account_exists, mode));
        }
        for (org, writes) in &by_org {
            let admin = self.handle_below(&mut handles, *org);
            // The people new to the organization, once each: a new account for an address that has none, in
            // a few statements; an address with an account as "+ Add User" adds it (reused openly inside the
            // caller's tree, silently outside it).
            let mut holders: HashMap<String, UserId> = HashMap::new();
            let mut new_accounts: Vec<&CheckedRow> = Vec::new();
            let mut existing_accounts: Vec<&CheckedRow> = Vec::new();
            for (row, user, account_exists, _) in writes {
                let email = row.email.as_str().to_owned();
                if let Some(user) = user {
                    holders.insert(email, UserId(*user));
                } else if !holders.contains_key(&email)
                    && !new_accounts
                        .iter()
                        .chain(&existing_accounts)
                        .any(|r| r.email == row.email)
                {
                    if *account_exists {
                        existing_accounts.push(row);
                    } else {
                        new_accounts.push(row);
                    }
                }
            }
            let (created, raced) = admin
                .add_new_accounts_in(&mut tx, &new_accounts, at)
                .await?;
            done.new_users += created.len();
            holders.extend(created);
            for row in existing_accounts.into_iter().chain(raced) {
                let outcome = admin
                    .add_user_in(
                        &mut tx,
                        &row.first_name,
                        &row.last_name,
                        &row.email,
                        row.role,
                        at,
                    )
                    .await?;
                admin
                    .invite_in(&mut tx, outcome.user_id, row.role, at)
                    .await?;
                done.new_users += 1;
                holders.insert(row.email.as_str().to_owned(), outcome.user_id);
            }
            let passes: Vec<NewPass> = writes
                .iter()
                .map(|(row, _, _, mode)| NewPass {
                    holder: holders[row.email.as_str()],
                    row,
                    mode: *mode,
                })
                .collect();
            done.new_passes += admin.add_passes_in(&mut tx, &passes, at).await?;
        }
        for (org, passes) in &plan.deletions {
            let admin = self.handle_below(&mut handles, *org);
            for pass in passes {
                let live = admin.live_pass(&mut tx, PassId(*pass)).await?;
                if admin
                    .delete_pass_in(&mut tx, &live, " (not in the imported file)", at)
                    .await?
                {
                    done.deleted += 1;
                }
            }
        }
        let summary = format!(
            "Imported passes from \"{}\" ({}): {}",
            file_name.trim(),
            match mode {
                ImportMode::Add => "add",
                ImportMode::Replace => "replace",
            },
            done.summary()
        );
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::PassesImported,
            &summary,
            at,
        )
        .await?;
        self.db
            .commit_announcing(tx, StationEvent::LocalListsChanged(self.org))
            .await?;
        if done.new_users > 0 {
            self.db.wake_mail_sender();
        }
        Ok(ImportCommit::Done(done))
    }

    /// This handle for `org`, an organization of this one's subtree.
    fn handle_below<'h>(
        &self,
        handles: &'h mut HashMap<OrgId, OrgAdmin>,
        org: OrgId,
    ) -> &'h OrgAdmin {
        handles.entry(org).or_insert_with(|| {
            OrgAdmin::new(
                self.db.clone(),
                self.actor.clone(),
                self.memberships.clone(),
                org,
            )
        })
    }

    async fn plan_import(
        &self,
        conn: &mut Conn,
        rows: &[RowInput],
        mode: ImportMode,
    ) -> Result<Plan, StorageError> {
        let tree = Tree::read(conn, self.org).await?;
        // Each row's organization, then the conflicts within the file.
        let mut errors: Vec<Vec<CellError>> = rows
            .iter()
            .map(|r| r.checked.as_ref().err().cloned().unwrap_or_default())
            .collect();
        let mut orgs: Vec<Option<OrgId>> = Vec::with_capacity(rows.len());
        for (index, input) in rows.iter().enumerate() {
            let cell = Some(input.shown.organization.as_str()).filter(|c| !c.is_empty());
            match tree.resolve(cell) {
                Ok(org) => orgs.push(Some(org)),
                Err(message) => {
                    errors[index].push(CellError {
                        column: Column::Organization,
                        message,
                    });
                    orgs.push(None);
                }
            }
        }
        let valid: Vec<(usize, OrgId, &CheckedRow)> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i, orgs[i]?, r.checked.as_ref().ok()?)))
            .filter(|(i, _, _)| errors[*i].is_empty())
            .collect();
        let keyed: Vec<(OrgId, &CheckedRow)> = valid.iter().map(|(_, o, r)| (*o, *r)).collect();
        for (k, error) in in_file_conflicts(&keyed) {
            errors[valid[k].0].push(error);
        }

        // The database's side, for the rows still valid.
        let emails: Vec<String> = valid
            .iter()
            .map(|(_, _, r)| fold_case(r.email.as_str()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let backend = self.db.backend;
        let accounts = accounts_by_email(conn, backend, &emails).await?;
        let account_ids: Vec<i64> = accounts.values().map(|a| a.id).collect();
        let members = live_memberships(conn, backend, &account_ids).await?;
        let mut targets: Vec<OrgId> = orgs.iter().flatten().copied().collect();
        if rows.is_empty() {
            targets.push(self.org);
        }
        targets.sort_unstable_by_key(|o| o.0);
        targets.dedup();
        let passes = live_passes(conn, backend, &targets).await?;

        let mut previews = Vec::with_capacity(rows.len());
        let mut actions = Vec::with_capacity(rows.len());
        let mut listed: HashSet<i64> = HashSet::new();
        for (index, input) in rows.iter().enumerate() {
            let organization = orgs[index].map_or_else(
                || input.shown.organization.clone(),
                |o| tree.name(o).to_owned(),
            );
            let mut notes = Vec::new();
            let (outcome, action) = match (&input.checked, orgs[index]) {
                (Ok(row), Some(org)) if errors[index].is_empty() => {
                    let account = accounts.get(&fold_case(row.email.as_str()));
                    let member = account.and_then(|a| members.get(&(a.id, org.0)));
                    if let Some(member) = member {
                        if member.role != row.role {
                            notes.push(format!(
                                "Stays {} here: an import does not change a member's role.",
                                member.role.label()
                            ));
                        }
                        if member.first_name != row.first_name.as_str()
                            || member.last_name != row.last_name.as_str()
                        {
                            notes.push(format!(
                                "Known here as {} {}; that name stays.",
                                member.first_name, member.last_name
                            ));
                        }
                    }
                    let key = (org.0, row.pass.kind(), row.pass.match_key().to_owned());
                    match passes.get(&key) {
                        Some(existing) => {
                            listed.insert(existing.id);
                            if member.is_some() && account.map(|a| a.id) == Some(existing.user_id) {
                                if let Some(wanted) = row.mode.filter(|m| *m != existing.mode) {
                                    notes.push(format!(
                                        "Stays {}: an import does not change existing passes (the file says {}). \
                                         Change the mode under Passes.",
                                        existing.mode.label(),
                                        wanted.label()
                                    ));
                                }
                                (
                                    RowOutcome::AlreadyThere {
                                        mode: existing.mode,
                                    },
                                    Action::Nothing,
                                )
                            } else {
                                errors[index].push(CellError {
                                    column: row.pass_column(),
                                    message: format!(
                                        "This {} is already registered in this organization: pass \"{}\" of {}.",
                                        row.pass.kind().label(),
                                        existing.nickname,
                                        existing.holder
                                    ),
                                });
                                (RowOutcome::Error { errors: Vec::new() }, Action::Nothing)
                            }
                        }
                        None => {
                            let user = if member.is_some() {
                                UserOutcome::Existing
                            } else {
                                UserOutcome::New
                            };
                            let mode = row.mode.unwrap_or_else(|| initial_for(&row.pass).0);
                            let action = Action::AddPass {
                                org,
                                user: member.and(account.map(|a| a.id)),
                                account_exists: account.is_some(),
                                mode,
                            };
                            let warning = row
                                .warnings
                                .iter()
                                .find(|w| w.needs_confirmation())
                                .map(ToString::to_string);
                            notes.extend(
                                row.warnings
                                    .iter()
                                    .filter(|w| !w.needs_confirmation())
                                    .map(ToString::to_string),
                            );
                            match warning {
                                Some(warning) => (
                                    RowOutcome::NeedsConfirmation {
                                        user,
                                        mode,
                                        warning,
                                    },
                                    action,
                                ),
                                None => (RowOutcome::NewPass { user, mode }, action),
                            }
                        }
                    }
                }
                _ => (RowOutcome::Error { errors: Vec::new() }, Action::Nothing),
            };
            let outcome = if errors[index].is_empty() {
                outcome
            } else {
                actions.push(Action::Nothing);
                previews.push(RowPreview {
                    line: input.line,
                    organization,
                    name: input.shown.name.clone(),
                    email: input.shown.email.clone(),
                    pass: input.shown.pass.clone(),
                    outcome: RowOutcome::Error {
                        errors: std::mem::take(&mut errors[index]),
                    },
                    notes,
                });
                continue;
            };
            actions.push(action);
            previews.push(RowPreview {
                line: input.line,
                organization,
                name: input.shown.name.clone(),
                email: input.shown.email.clone(),
                pass: input.shown.pass.clone(),
                outcome,
                notes,
            });
        }

        let mut deletions = Vec::new();
        let mut deleted_per_org = Vec::new();
        if mode == ImportMode::Replace {
            for org in &targets {
                let mut gone: Vec<i64> = passes
                    .iter()
                    .filter(|((o, _, _), p)| *o == org.0 && !listed.contains(&p.id))
                    .map(|(_, p)| p.id)
                    .collect();
                gone.sort_unstable();
                deleted_per_org.push(Deletions {
                    organization: tree.name(*org).to_owned(),
                    passes: gone.len(),
                });
                deletions.push((*org, gone));
            }
        }
        Ok(Plan {
            preview: ImportPreview::new(mode, previews, deleted_per_org),
            actions,
            deletions,
        })
    }
}

/// Rows per multi-row INSERT: a few thousand values, below both databases' limits on parameters.
const INSERT_CHUNK: usize = 300;

impl OrgAdmin {
    /// Adds the people of `rows` (one row each, addresses that had no account when planned) to this organization
    /// as "+ Add User" adds a new person — an account, a membership with a fresh member id, an audit entry, the
    /// invitation — in a few statements per few hundred people. Returns the accounts made, by address, and the
    /// rows whose address got an account meanwhile (another writer): those go the way of "+ Add User".
    async fn add_new_accounts_in<'r>(
        &self,
        conn: &mut Conn,
        rows: &[&'r CheckedRow],
        at: Timestamp,
    ) -> Result<(HashMap<String, UserId>, Vec<&'r CheckedRow>), StorageError> {
        let backend = self.db.backend;
        let mut created: HashMap<String, UserId> = HashMap::new();
        for chunk in rows.chunks(INSERT_CHUNK) {
            let mut users = Statement::new(
                backend,
                "INSERT INTO users (email, first_name, last_name, created_at) VALUES ",
            );
            for (i, row) in chunk.iter().enumerate() {
                if i > 0 {
                    users.sql(", ");
                }
                users.tuple([
                    Value::Text(row.email.as_str()),
                    Value::Text(row.first_name.as_str()),
                    Value::Text(row.last_name.as_str()),
                    Value::Int(at.0),
                ]);
            }
            users.sql(" ON CONFLICT (lower(email)) DO NOTHING RETURNING id, email");
            let made: Vec<(i64, String)> = users.fetch_all(conn).await?;
            for (id, email) in made {
                created.insert(email, UserId(id));
            }
        }
        let (made, raced): (Vec<&'r CheckedRow>, Vec<&'r CheckedRow>) = rows
            .iter()
            .copied()
            .partition(|r| created.contains_key(r.email.as_str()));
        let member_ids = crate::org::fresh_member_ids(conn, backend, made.len()).await?;
        for (chunk, ids) in made
            .chunks(INSERT_CHUNK)
            .zip(member_ids.chunks(INSERT_CHUNK))
        {
            let mut memberships = Statement::new(
                backend,
                "INSERT INTO memberships (user_id, org_id, role, created_at, member_id) VALUES ",
            );
            for (i, (row, member_id)) in chunk.iter().zip(ids).enumerate() {
                if i > 0 {
                    memberships.sql(", ");
                }
                memberships.tuple([
                    Value::Int(created[row.email.as_str()].0),
                    Value::Int(self.org.0),
                    Value::Text(row.role.as_str()),
                    Value::Int(at.0),
                    Value::Int(*member_id),
                ]);
            }
            memberships.execute(conn).await?;
            let summaries: Vec<String> = chunk
                .iter()
                .map(|row| {
                    format!(
                        "Added {} {} ({}) as {}",
                        row.first_name.as_str(),
                        row.last_name.as_str(),
                        row.email.as_str(),
                        row.role.as_str()
                    )
                })
                .collect();
            self.audit_many(conn, AuditAction::UserAdded, &summaries, at)
                .await?;
            let invites: Vec<(UserId, &str, &str, Role)> = chunk
                .iter()
                .map(|row| {
                    (
                        created[row.email.as_str()],
                        row.email.as_str(),
                        row.first_name.as_str(),
                        row.role,
                    )
                })
                .collect();
            self.invite_new_accounts_in(conn, &invites, at).await?;
        }
        Ok((created, raced))
    }

    /// Adds `passes` to this organization as "+ Add Pass" does — each holder's membership locked first (a removal
    /// at the same moment waits, or is waited for and refuses), each pass with its audit entry — in a few
    /// statements per few hundred passes. The plan found none of the cards here; one registered meanwhile by
    /// another writer refuses the whole import. Returns how many were added.
    async fn add_passes_in(
        &self,
        conn: &mut Conn,
        passes: &[NewPass<'_>],
        at: Timestamp,
    ) -> Result<usize, StorageError> {
        let backend = self.db.backend;
        let mut holders: Vec<i64> = passes.iter().map(|p| p.holder.0).collect();
        holders.sort_unstable();
        holders.dedup();
        let mut names: HashMap<i64, String> = HashMap::new();
        for chunk in holders.chunks(LOOKUP_CHUNK) {
            let mut lock = Statement::new(
                backend,
                "UPDATE memberships SET removed_at = removed_at WHERE removed_at IS NULL AND org_id = ",
            );
            lock.value(Value::Int(self.org.0)).sql(" AND user_id IN ");
            lock.tuple(chunk.iter().map(|u| Value::Int(*u)));
            if lock.execute_counting(conn).await? != chunk.len() as u64 {
                return Err(StorageError::conflict(
                    "Someone removed a person of the file from the organization while the import ran; nothing \
                     was imported. Check the file again.",
                ));
            }
            let mut read = Statement::new(
                backend,
                &format!(
                    "SELECT m.user_id, {MEMBER_FIRST_NAME}, {MEMBER_LAST_NAME} \
                     FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.removed_at IS NULL AND m.org_id = "
                ),
            );
            read.value(Value::Int(self.org.0)).sql(" AND m.user_id IN ");
            read.tuple(chunk.iter().map(|u| Value::Int(*u)));
            let found: Vec<(i64, String, String)> = read.fetch_all(conn).await?;
            names.extend(
                found
                    .into_iter()
                    .map(|(id, first, last)| (id, format!("{first} {last}"))),
            );
        }
        let creator = self.actor.user_id.map(|u| u.0);
        for chunk in passes.chunks(INSERT_CHUNK) {
            let mut insert = Statement::new(
                backend,
                "INSERT INTO passes (org_id, user_id, id_kind, id_value, match_key, contract_kind, nickname, mode, \
                 created_at, created_by) VALUES ",
            );
            for (i, p) in chunk.iter().enumerate() {
                if i > 0 {
                    insert.sql(", ");
                }
                insert.tuple([
                    Value::Int(self.org.0),
                    Value::Int(p.holder.0),
                    Value::Text(p.row.pass.kind().as_str()),
                    Value::Text(p.row.pass.as_str()),
                    Value::Text(p.row.pass.match_key()),
                    Value::OptText(p.row.pass.contract_kind().map(|k| k.as_str())),
                    Value::Text(p.row.nickname.as_str()),
                    Value::Text(p.mode.as_str()),
                    Value::Int(at.0),
                    Value::OptInt(creator),
                ]);
            }
            insert.sql(
                " ON CONFLICT (org_id, id_kind, match_key) WHERE deleted_at IS NULL DO NOTHING RETURNING id",
            );
            let added: Vec<(i64,)> = insert.fetch_all(conn).await?;
            if added.len() != chunk.len() {
                return Err(StorageError::conflict(
                    "A card of the file was registered in the organization while the import ran; nothing was \
                     imported. Check the file again.",
                ));
            }
            let summaries: Vec<String> = chunk
                .iter()
                .map(|p| {
                    format!(
                        "Added {} for {} as {}",
                        crate::passes::describe(
                            p.row.nickname.as_str(),
                            p.row.pass.kind(),
                            p.row.pass.as_str()
                        ),
                        names.get(&p.holder.0).map_or("", String::as_str),
                        p.mode.as_str()
                    )
                })
                .collect();
            self.audit_many(conn, AuditAction::PassAdded, &summaries, at)
                .await?;
        }
        Ok(passes.len())
    }

    /// One audit entry of `action` per summary, in one statement.
    async fn audit_many(
        &self,
        conn: &mut Conn,
        action: AuditAction,
        summaries: &[String],
        at: Timestamp,
    ) -> Result<(), StorageError> {
        if summaries.is_empty() {
            return Ok(());
        }
        let actor = self.actor.user_id.map(|u| u.0);
        let mut statement = Statement::new(
            self.db.backend,
            "INSERT INTO audit_log (org_id, actor_user_id, actor_name, action, summary, at) VALUES ",
        );
        for (i, summary) in summaries.iter().enumerate() {
            if i > 0 {
                statement.sql(", ");
            }
            statement.tuple([
                Value::Int(self.org.0),
                Value::OptInt(actor),
                Value::Text(&self.actor.name),
                Value::Text(action.as_str()),
                Value::Text(summary),
                Value::Int(at.0),
            ]);
        }
        statement.execute(conn).await
    }
}

/// The accounts with these (folded) e-mail addresses, by folded address.
async fn accounts_by_email(
    conn: &mut Conn,
    backend: Backend,
    emails: &[String],
) -> Result<HashMap<String, Account>, StorageError> {
    let mut found = HashMap::new();
    for chunk in emails.chunks(LOOKUP_CHUNK) {
        let mut statement = Statement::new(
            backend,
            "SELECT id, lower(email) AS email FROM users WHERE lower(email) IN ",
        );
        statement.tuple(chunk.iter().map(|e| Value::Text(e.as_str())));
        let rows: Vec<(i64, String)> = statement.fetch_all(conn).await?;
        for (id, email) in rows {
            found.insert(fold_case(&email), Account { id });
        }
    }
    Ok(found)
}

/// The live memberships of these accounts, by (account, organization).
async fn live_memberships(
    conn: &mut Conn,
    backend: Backend,
    users: &[i64],
) -> Result<HashMap<(i64, i64), Member>, StorageError> {
    let mut found = HashMap::new();
    let sql = format!(
        "SELECT m.user_id, m.org_id, m.role, {MEMBER_FIRST_NAME} AS first_name, \
                {MEMBER_LAST_NAME} AS last_name \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.removed_at IS NULL AND m.user_id IN "
    );
    for chunk in users.chunks(LOOKUP_CHUNK) {
        let mut statement = Statement::new(backend, &sql);
        statement.tuple(chunk.iter().map(|u| Value::Int(*u)));
        let rows: Vec<(i64, i64, String, String, String)> = statement.fetch_all(conn).await?;
        for (user, org, role, first_name, last_name) in rows {
            let role = Role::parse(&role).ok_or_else(|| {
                StorageError::internal(format!("unknown role {role:?} in database"))
            })?;
            found.insert(
                (user, org),
                Member {
                    role,
                    first_name,
                    last_name,
                },
            );
        }
    }
    Ok(found)
}

/// The live passes of these organizations, by (organization, kind, match key).
async fn live_passes(
    conn: &mut Conn,
    backend: Backend,
    orgs: &[OrgId],
) -> Result<HashMap<(i64, PassIdKind, String), LivePass>, StorageError> {
    let mut found = HashMap::new();
    let sql = format!(
        "SELECT p.id, p.org_id, p.user_id, p.id_kind, p.match_key, p.mode, p.nickname, \
                {MEMBER_FIRST_NAME} AS first_name, {MEMBER_LAST_NAME} AS last_name \
         FROM passes p JOIN users u ON u.id = p.user_id \
         JOIN memberships m ON m.user_id = p.user_id AND m.org_id = p.org_id \
         WHERE p.deleted_at IS NULL AND p.org_id IN "
    );
    type Row = (
        i64,
        i64,
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
    );
    for chunk in orgs.chunks(LOOKUP_CHUNK) {
        let mut statement = Statement::new(backend, &sql);
        statement.tuple(chunk.iter().map(|o| Value::Int(o.0)));
        let rows: Vec<Row> = statement.fetch_all(conn).await?;
        for (id, org, user_id, kind, key, mode, nickname, first, last) in rows {
            let kind = PassIdKind::parse(&kind).ok_or_else(|| {
                StorageError::internal(format!("unknown pass id kind {kind:?} in database"))
            })?;
            let mode = PassMode::parse(&mode).ok_or_else(|| {
                StorageError::internal(format!("unknown pass mode {mode:?} in database"))
            })?;
            found.insert(
                (org, kind, key),
                LivePass {
                    id,
                    user_id,
                    mode,
                    nickname,
                    holder: format!("{first} {last}"),
                },
            );
        }
    }
    Ok(found)
}

/// A live pass as the export file lists it, in the import's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedPass {
    /// The holder's first name as this organization knows them.
    pub first_name: String,
    /// The holder's last name as this organization knows them.
    pub last_name: String,
    /// The holder's e-mail address.
    pub email: String,
    /// The holder's role in the pass's organization.
    pub role: Role,
    /// Public Card ID or Hidden ID.
    pub kind: PassIdKind,
    /// The ID as stored (canonical).
    pub id: String,
    /// The pass's nickname.
    pub nickname: String,
    /// Whitelist or Roaming in the pass's organization.
    pub mode: PassMode,
    /// The organization's path below the exported one; empty for the exported organization itself.
    pub organization: String,
}

impl OrgAdmin {
    /// The live passes of this organization and its sub-organizations, with their holders as this organization
    /// knows them, for the export file: by organization path, then holder, then nickname. Importing the file
    /// again into this organization finds every row already there.
    pub async fn export_passes(&self) -> Result<Vec<ExportedPass>, StorageError> {
        let mut conn = self.db.read().await?;
        let tree = Tree::read(&mut conn, self.org).await?;
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{} SELECT p.org_id, {MEMBER_FIRST_NAME} AS first_name, {MEMBER_LAST_NAME} AS last_name, u.email, \
                    m.role, p.id_kind, p.id_value, p.nickname, p.mode \
             FROM subtree CROSS JOIN passes p \
             JOIN users u ON u.id = p.user_id \
             JOIN memberships m ON m.user_id = p.user_id AND m.org_id = p.org_id \
             WHERE p.org_id = subtree.id AND p.deleted_at IS NULL",
            subtree_cte("$1")
        ))
        .bind(self.org.0)
        .fetch_all(&mut *conn)
        .await?;
        let mut passes = rows
            .into_iter()
            .map(
                |(org, first_name, last_name, email, role, kind, id, nickname, mode)| {
                    Ok(ExportedPass {
                        organization: if org == self.org.0 {
                            String::new()
                        } else {
                            tree.name(OrgId(org)).to_owned()
                        },
                        first_name,
                        last_name,
                        email,
                        role: Role::parse(&role).ok_or_else(|| {
                            StorageError::internal(format!("unknown role {role:?} in database"))
                        })?,
                        kind: PassIdKind::parse(&kind).ok_or_else(|| {
                            StorageError::internal(format!(
                                "unknown pass id kind {kind:?} in database"
                            ))
                        })?,
                        id,
                        nickname,
                        mode: PassMode::parse(&mode).ok_or_else(|| {
                            StorageError::internal(format!(
                                "unknown pass mode {mode:?} in database"
                            ))
                        })?,
                    })
                },
            )
            .collect::<Result<Vec<_>, StorageError>>()?;
        passes.sort_by(|a, b| {
            (
                fold_case(&a.organization),
                fold_case(&a.last_name),
                fold_case(&a.first_name),
                &a.email,
                &a.nickname,
            )
                .cmp(&(
                    fold_case(&b.organization),
                    fold_case(&b.last_name),
                    fold_case(&b.first_name),
                    &b.email,
                    &b.nickname,
                ))
        });
        Ok(passes)
    }

    /// Whether this organization has sub-organizations (the template and export then have the Organization
    /// column).
    pub async fn has_sub_organizations(&self) -> Result<bool, StorageError> {
        let mut conn = self.db.read().await?;
        let child: Option<i64> =
            sqlx::query_scalar("SELECT id FROM organizations WHERE parent_id = $1 LIMIT 1")
                .bind(self.org.0)
                .fetch_optional(&mut *conn)
                .await?;
        Ok(child.is_some())
    }
}

impl OrgAdmin {
    /// The organization's time zone (its own or inherited), for the day in a download's name.
    pub async fn time_zone(&self) -> Result<shared::time::TimeZoneName, StorageError> {
        let mut conn = self.db.read().await?;
        crate::settlement::time_zone_of(&mut conn, self.org).await
    }
}
