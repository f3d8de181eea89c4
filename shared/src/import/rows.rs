//! The rows of an import file: each row checked on its own by the code of "+ Add User" and "+ Add Pass"
//! ([`check_row`]), the conflicts between rows of one file ([`in_file_conflicts`]), and what the preview and the
//! commit send to the browser ([`ImportPreview`]).

use super::{hidden_id_cell, mode_cell, role_cell, Column, Layout};
use crate::mode::PassMode;
use crate::names::{Email, Nickname, PersonName};
use crate::pass_form::{field, PassFields};
use crate::pass_id::{PassIdKind, PassIdWarning, PassIdentifier};
use crate::role::Role;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::Hash;

/// A cell's problem, shown at its row and column, and written into the error file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellError {
    pub column: Column,
    pub message: String,
}

impl CellError {
    fn new(column: Column, message: impl Into<String>) -> Self {
        Self {
            column,
            message: message.into(),
        }
    }

    /// "Hidden ID: …", as the error file's column and the preview show it.
    pub fn describe(&self) -> String {
        format!("{}: {}", self.column.header(), self.message)
    }
}

/// A row whose every cell is valid on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedRow {
    /// The row's number in the file, as a spreadsheet shows it (the header is row 1).
    pub line: usize,
    /// The Organization cell, trimmed; `None` when empty (the organization imported into).
    pub organization: Option<String>,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Email,
    pub role: Role,
    pub pass: PassIdentifier,
    pub nickname: Nickname,
    /// `None`: the default of "+ Add Pass" ([`crate::mode::initial_for`]).
    pub mode: Option<PassMode>,
    /// What "+ Add Pass" would show next to the ID; those that [`PassIdWarning::needs_confirmation`] hold the row
    /// back until the administrator confirms them.
    pub warnings: Vec<PassIdWarning>,
}

impl CheckedRow {
    /// Whether a warning must be confirmed before this row may be imported.
    pub fn needs_confirmation(&self) -> bool {
        self.warnings.iter().any(PassIdWarning::needs_confirmation)
    }

    /// The column of the row's pass ID.
    pub fn pass_column(&self) -> Column {
        match self.pass.kind() {
            PassIdKind::Visible => Column::PublicCardId,
            PassIdKind::Hidden => Column::HiddenId,
        }
    }
}

/// Checks one row: names and e-mail as "+ Add User" does ([`PersonName::parse`], [`Email::parse`]), the role,
/// the pass as "+ Add Pass" does ([`PassFields::parse`], with the confirmation given so that a check-character
/// mismatch comes back as a warning to confirm), the mode. Every cell's error at once.
pub fn check_row<S: AsRef<str>>(
    layout: &Layout,
    line: usize,
    cells: &[S],
) -> Result<CheckedRow, Vec<CellError>> {
    let cell = |column| layout.cell(cells, column);
    let mut errors = Vec::new();
    let first_name = PersonName::parse(cell(Column::FirstName))
        .map_err(|e| errors.push(CellError::new(Column::FirstName, e.to_string())))
        .ok();
    let last_name = PersonName::parse(cell(Column::LastName))
        .map_err(|e| errors.push(CellError::new(Column::LastName, e.to_string())))
        .ok();
    let email = Email::parse(cell(Column::Email))
        .map_err(|e| errors.push(CellError::new(Column::Email, e.to_string())))
        .ok();
    let role = role_cell(cell(Column::Role));
    if role.is_none() {
        errors.push(CellError::new(
            Column::Role,
            format!(
                "Enter the role as {} or {}, or leave it empty for {}.",
                Role::Cardholder.label(),
                Role::Administrator.label(),
                Role::Cardholder.label()
            ),
        ));
    }
    let pass = match hidden_id_cell(cell(Column::HiddenId)) {
        Err(destroyed) => {
            errors.push(CellError::new(Column::HiddenId, destroyed.to_string()));
            if let Err(e) = Nickname::parse(cell(Column::Nickname)) {
                errors.push(CellError::new(Column::Nickname, e.to_string()));
            }
            None
        }
        Ok(hidden) => {
            match PassFields::parse(
                cell(Column::PublicCardId),
                hidden,
                cell(Column::Nickname),
                true,
            ) {
                Ok(fields) => Some(fields),
                Err(check) => {
                    errors.extend(check.errors.into_iter().map(|(f, message)| {
                        let column = match f {
                            field::PUBLIC_CARD_ID => Column::PublicCardId,
                            field::HIDDEN_ID => Column::HiddenId,
                            _ => Column::Nickname,
                        };
                        CellError::new(column, message)
                    }));
                    None
                }
            }
        }
    };
    let mode = mode_cell(cell(Column::Mode))
        .map_err(|message| errors.push(CellError::new(Column::Mode, message)))
        .ok()
        .flatten();
    let organization = Some(cell(Column::Organization))
        .filter(|o| !o.is_empty())
        .map(str::to_owned);
    match (first_name, last_name, email, role, pass) {
        (Some(first_name), Some(last_name), Some(email), Some(role), Some(pass))
            if errors.is_empty() =>
        {
            Ok(CheckedRow {
                line,
                organization,
                first_name,
                last_name,
                email,
                role,
                pass: pass.id,
                nickname: pass.nickname,
                mode,
                warnings: pass.warnings,
            })
        }
        _ => Err(errors),
    }
}

/// How a row is shown in the preview whatever its outcome: its cells as written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shown {
    pub organization: String,
    pub name: String,
    pub email: String,
    /// "Hidden ID 04A1…" or "Public Card ID NL-…", as written; both when both were filled in.
    pub pass: String,
}

/// One row of a file, read and checked: what the preview shows of it, and the row if every cell is valid.
#[derive(Debug, Clone, PartialEq)]
pub struct RowInput {
    pub line: usize,
    pub shown: Shown,
    pub checked: Result<CheckedRow, Vec<CellError>>,
}

/// Reads and checks one row of the file ([`check_row`]).
pub fn read_row<S: AsRef<str>>(layout: &Layout, line: usize, cells: &[S]) -> RowInput {
    let cell = |column| layout.cell(cells, column);
    let name = format!("{} {}", cell(Column::FirstName), cell(Column::LastName))
        .trim()
        .to_owned();
    let pass = [Column::PublicCardId, Column::HiddenId]
        .into_iter()
        .filter(|c| !cell(*c).is_empty())
        .map(|c| format!("{} {}", c.header(), cell(c)))
        .collect::<Vec<_>>()
        .join(", ");
    RowInput {
        line,
        shown: Shown {
            organization: cell(Column::Organization).to_owned(),
            name,
            email: cell(Column::Email).to_owned(),
            pass,
        },
        checked: check_row(layout, line, cells),
    }
}

/// The conflicts between the valid rows of one file, once each row's organization is known (`K`, e.g. its id):
/// the same card twice in one organization, one e-mail address with two names, one person with two roles in one
/// organization. The later row gets the error, naming the earlier one. Returns (index into `rows`, error).
pub fn in_file_conflicts<K: Eq + Hash + Clone>(
    rows: &[(K, &CheckedRow)],
) -> Vec<(usize, CellError)> {
    let mut cards: HashMap<(K, PassIdKind, &str), usize> = HashMap::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut roles: HashMap<(K, &str), usize> = HashMap::new();
    let mut conflicts = Vec::new();
    for (index, (org, row)) in rows.iter().enumerate() {
        let card = (org.clone(), row.pass.kind(), row.pass.match_key());
        if let Some(&first) = cards.get(&card) {
            conflicts.push((
                index,
                CellError::new(
                    row.pass_column(),
                    format!(
                        "The same {} as row {}: a card can be in the file once per organization.",
                        row.pass.kind().label(),
                        rows[first].1.line
                    ),
                ),
            ));
            continue;
        }
        cards.insert(card, index);
        let email = row.email.as_str();
        if let Some(&first) = names.get(email) {
            let earlier = rows[first].1;
            if earlier.first_name != row.first_name || earlier.last_name != row.last_name {
                let column = if earlier.first_name != row.first_name {
                    Column::FirstName
                } else {
                    Column::LastName
                };
                conflicts.push((
                    index,
                    CellError::new(
                        column,
                        format!(
                            "Row {} gives {email} the name {} {}: use one name for one person.",
                            earlier.line,
                            earlier.first_name.as_str(),
                            earlier.last_name.as_str()
                        ),
                    ),
                ));
                continue;
            }
        } else {
            names.insert(email, index);
        }
        let person = (org.clone(), email);
        if let Some(&first) = roles.get(&person) {
            let earlier = rows[first].1;
            if earlier.role != row.role {
                conflicts.push((
                    index,
                    CellError::new(
                        Column::Role,
                        format!(
                            "Row {} makes {email} {} in the same organization: use one role for one person.",
                            earlier.line,
                            earlier.role.label()
                        ),
                    ),
                ));
            }
        } else {
            roles.insert(person, index);
        }
    }
    conflicts
}

/// Add keeps the organization's passes; Replace deletes those of the organizations in the file that the file
/// does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    Add,
    Replace,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Replace => "replace",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Add, Self::Replace]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// Whether the row's person is new to the organization or already a member there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserOutcome {
    New,
    Existing,
}

/// What happens to a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// A new pass, for a new or an existing user.
    NewPass { user: UserOutcome, mode: PassMode },
    /// The holder already has this card in the organization: skipped.
    AlreadyThere { mode: PassMode },
    /// A new pass whose ID has a warning the administrator must confirm, as in "+ Add Pass".
    NeedsConfirmation {
        user: UserOutcome,
        mode: PassMode,
        warning: String,
    },
    /// Nothing of this file is imported while any row has an error.
    Error { errors: Vec<CellError> },
}

impl RowOutcome {
    /// The preview's label.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NewPass {
                user: UserOutcome::New,
                ..
            } => "New user, new pass",
            Self::NewPass {
                user: UserOutcome::Existing,
                ..
            } => "Existing user, new pass",
            Self::AlreadyThere { .. } => "Already there (skipped)",
            Self::NeedsConfirmation { .. } => "Warning: confirm",
            Self::Error { .. } => "Error",
        }
    }
}

/// One row of the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowPreview {
    pub line: usize,
    /// The organization the row goes to (its name), or the cell as written when it matched none.
    pub organization: String,
    pub name: String,
    pub email: String,
    /// "Hidden ID 04A1B2C3D4E5F6"; the cells as written when they were not valid.
    pub pass: String,
    pub outcome: RowOutcome,
    /// Things worth knowing that change nothing, e.g. "The role stays Cardholder".
    pub notes: Vec<String>,
}

/// How many passes a replace deletes in one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletions {
    pub organization: String,
    pub passes: usize,
}

/// The counts of a preview.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportTotals {
    pub rows: usize,
    pub new_users: usize,
    pub existing_users: usize,
    pub new_passes: usize,
    pub already_there: usize,
    pub needs_confirmation: usize,
    pub errors: usize,
    /// Replace only.
    pub deletions: usize,
}

/// What an import of a file would do, row by row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub mode: ImportMode,
    pub rows: Vec<RowPreview>,
    /// Replace only: per organization, how many of its passes the file does not list.
    pub deletions: Vec<Deletions>,
    pub totals: ImportTotals,
}

impl ImportPreview {
    /// Builds the totals from the rows and deletions. New and existing users are counted once per person and
    /// organization.
    pub fn new(mode: ImportMode, rows: Vec<RowPreview>, deletions: Vec<Deletions>) -> Self {
        let mut totals = ImportTotals {
            rows: rows.len(),
            deletions: deletions.iter().map(|d| d.passes).sum(),
            ..ImportTotals::default()
        };
        let mut people = std::collections::HashSet::new();
        for row in &rows {
            let user = match &row.outcome {
                RowOutcome::NewPass { user, .. } => {
                    totals.new_passes += 1;
                    Some(*user)
                }
                RowOutcome::NeedsConfirmation { user, .. } => {
                    totals.needs_confirmation += 1;
                    Some(*user)
                }
                RowOutcome::AlreadyThere { .. } => {
                    totals.already_there += 1;
                    None
                }
                RowOutcome::Error { .. } => {
                    totals.errors += 1;
                    None
                }
            };
            if let Some(user) = user {
                if people.insert((row.organization.as_str(), row.email.as_str())) {
                    match user {
                        UserOutcome::New => totals.new_users += 1,
                        UserOutcome::Existing => totals.existing_users += 1,
                    }
                }
            }
        }
        Self {
            mode,
            rows,
            deletions,
            totals,
        }
    }

    /// Whether the file can be imported as it is (nothing in error), given whether the warnings were confirmed.
    pub fn can_commit(&self, warnings_confirmed: bool) -> bool {
        self.totals.errors == 0 && (warnings_confirmed || self.totals.needs_confirmation == 0)
    }

    /// "1,204 rows: 1,180 new passes (35 new users), 20 already there, 4 errors." for the preview's heading.
    pub fn summary(&self) -> String {
        let t = &self.totals;
        let mut parts = vec![format!(
            "{} new {} ({} new {})",
            group(t.new_passes),
            plural(t.new_passes, "pass", "passes"),
            group(t.new_users),
            plural(t.new_users, "user", "users")
        )];
        if t.already_there > 0 {
            parts.push(format!("{} already there", group(t.already_there)));
        }
        if t.needs_confirmation > 0 {
            parts.push(format!("{} to confirm", group(t.needs_confirmation)));
        }
        if t.errors > 0 {
            parts.push(format!(
                "{} {}",
                group(t.errors),
                plural(t.errors, "error", "errors")
            ));
        }
        if self.mode == ImportMode::Replace {
            parts.push(format!(
                "{} {} to delete",
                group(t.deletions),
                plural(t.deletions, "pass", "passes")
            ));
        }
        format!(
            "{} {}: {}.",
            group(t.rows),
            plural(t.rows, "row", "rows"),
            parts.join(", ")
        )
    }
}

/// Why a commit wrote nothing, with what the file would do now (the answer to a refused commit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRefusal {
    pub reason: String,
    pub preview: ImportPreview,
}

/// What a committed import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportDone {
    pub new_users: usize,
    pub new_passes: usize,
    pub skipped: usize,
    pub deleted: usize,
}

impl ImportDone {
    /// The audit log's and the page's sentence.
    pub fn summary(&self) -> String {
        format!(
            "{} new {}, {} new {}, {} already there (skipped), {} deleted",
            group(self.new_passes),
            plural(self.new_passes, "pass", "passes"),
            group(self.new_users),
            plural(self.new_users, "user", "users"),
            group(self.skipped),
            group(self.deleted)
        )
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// 12345 → "12,345".
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADERS: [&str; 8] = [
        "First name",
        "Last name",
        "E-mail",
        "Role",
        "Public Card ID",
        "Hidden ID",
        "Nickname",
        "Mode",
    ];

    fn layout() -> Layout {
        Layout::parse(&HEADERS).unwrap()
    }

    fn row(cells: [&str; 8]) -> Result<CheckedRow, Vec<CellError>> {
        check_row(&layout(), 2, &cells)
    }

    #[test]
    fn a_valid_row_is_checked_like_the_forms() {
        let r = row([
            " Ilse ",
            "Vermeer",
            "Ilse@Example.com",
            "",
            "",
            "04a1b2c3d4e5f6",
            "Tag Ilse",
            "",
        ])
        .unwrap();
        assert_eq!(r.first_name.as_str(), "Ilse");
        assert_eq!(r.email.as_str(), "ilse@example.com");
        assert_eq!(r.role, Role::Cardholder);
        assert_eq!(r.pass.as_str(), "04A1B2C3D4E5F6");
        assert_eq!(r.pass_column(), Column::HiddenId);
        assert_eq!(r.mode, None);
        assert!(!r.needs_confirmation());
        let card = row([
            "Jan",
            "de Vries",
            "jan@example.com",
            "Administrator",
            "NL-TNM-012204-5",
            "",
            "Company car",
            "whitelist",
        ])
        .unwrap();
        assert_eq!(card.role, Role::Administrator);
        assert_eq!(card.mode, Some(PassMode::Whitelist));
    }

    #[test]
    fn every_cells_error_comes_with_its_column() {
        let errors = row(["", "Vermeer", "not-an-email", "owner", "", "", "", "free"]).unwrap_err();
        let columns: Vec<Column> = errors.iter().map(|e| e.column).collect();
        assert_eq!(
            columns,
            [
                Column::FirstName,
                Column::Email,
                Column::Role,
                Column::PublicCardId,
                Column::Nickname,
                Column::Mode
            ]
        );
        assert!(errors[2].message.contains("Cardholder or Administrator"));
        let both = row([
            "Jan",
            "Smit",
            "jan@example.com",
            "",
            "NL-TNM-012204-5",
            "04A1B2C3D4E5F6",
            "Tag",
            "",
        ])
        .unwrap_err();
        assert_eq!(both[0].column, Column::HiddenId);
        assert!(both[0].message.contains("not both"));
    }

    #[test]
    fn a_hidden_id_excel_destroyed_is_an_error_at_its_column() {
        let errors = row([
            "Jan",
            "Smit",
            "jan@example.com",
            "",
            "",
            "4.12346E+12",
            "",
            "",
        ])
        .unwrap_err();
        assert_eq!(errors[0].column, Column::HiddenId);
        assert!(errors[0]
            .message
            .contains("Format the Hidden ID column as Text"));
        assert_eq!(errors[1].column, Column::Nickname);
    }

    #[test]
    fn a_wrong_check_character_is_a_warning_to_confirm() {
        let r = row([
            "Jan",
            "Smit",
            "jan@example.com",
            "",
            "NL-TNM-B12345-6",
            "",
            "Card",
            "",
        ])
        .unwrap();
        assert!(r.needs_confirmation());
    }

    #[test]
    fn conflicts_within_a_file_name_the_earlier_row() {
        let a = row([
            "Jan",
            "Smit",
            "jan@example.com",
            "",
            "",
            "04A1B2C3D4E5F6",
            "Tag",
            "",
        ])
        .unwrap();
        let mut same_card = row([
            "Piet",
            "Smit",
            "piet@example.com",
            "",
            "",
            "04a1b2c3d4e5f6",
            "Tag 2",
            "",
        ])
        .unwrap();
        same_card.line = 3;
        let mut other_name = row([
            "Jan",
            "Smid",
            "jan@example.com",
            "",
            "",
            "04A1B2C3D4E5F7",
            "Tag 3",
            "",
        ])
        .unwrap();
        other_name.line = 4;
        let mut other_role = row([
            "Jan",
            "Smit",
            "jan@example.com",
            "Administrator",
            "",
            "04A1B2C3D4E5F8",
            "Tag 4",
            "",
        ])
        .unwrap();
        other_role.line = 5;
        let mut elsewhere = same_card.clone();
        elsewhere.line = 6;
        let rows = [
            (1, &a),
            (1, &same_card),
            (1, &other_name),
            (1, &other_role),
            (2, &elsewhere),
        ];
        let conflicts = in_file_conflicts(&rows);
        let found: Vec<(usize, Column)> = conflicts.iter().map(|(i, e)| (*i, e.column)).collect();
        assert_eq!(
            found,
            [
                (1, Column::HiddenId),
                (2, Column::LastName),
                (3, Column::Role)
            ]
        );
        assert_eq!(
            conflicts[0].1.message,
            "The same Hidden ID as row 2: a card can be in the file once per organization."
        );
        assert!(conflicts[1]
            .1
            .message
            .contains("Row 2 gives jan@example.com the name Jan Smit"));
    }

    #[test]
    fn totals_count_people_once_and_say_what_blocks() {
        let preview_row = |line, email: &str, outcome| RowPreview {
            line,
            organization: "Brouwerij De Kroon".into(),
            name: "Jan Smit".into(),
            email: email.into(),
            pass: "Hidden ID 04A1B2C3D4E5F6".into(),
            outcome,
            notes: vec![],
        };
        let new = |user| RowOutcome::NewPass {
            user,
            mode: PassMode::Whitelist,
        };
        let preview = ImportPreview::new(
            ImportMode::Replace,
            vec![
                preview_row(2, "jan@example.com", new(UserOutcome::New)),
                preview_row(3, "jan@example.com", new(UserOutcome::New)),
                preview_row(4, "eva@example.com", new(UserOutcome::Existing)),
                preview_row(
                    5,
                    "eva@example.com",
                    RowOutcome::AlreadyThere {
                        mode: PassMode::Roaming,
                    },
                ),
                preview_row(
                    6,
                    "kim@example.com",
                    RowOutcome::NeedsConfirmation {
                        user: UserOutcome::New,
                        mode: PassMode::Roaming,
                        warning: "check".into(),
                    },
                ),
            ],
            vec![Deletions {
                organization: "Brouwerij De Kroon".into(),
                passes: 1234,
            }],
        );
        let t = &preview.totals;
        assert_eq!(
            (t.rows, t.new_passes, t.new_users, t.existing_users),
            (5, 3, 2, 1)
        );
        assert_eq!(
            (t.already_there, t.needs_confirmation, t.errors, t.deletions),
            (1, 1, 0, 1234)
        );
        assert!(!preview.can_commit(false));
        assert!(preview.can_commit(true));
        assert_eq!(
            preview.summary(),
            "5 rows: 3 new passes (2 new users), 1 already there, 1 to confirm, 1,234 passes to delete."
        );
    }
}
