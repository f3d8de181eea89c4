//! Bulk import of passes with their users (issue #12), the rules of a file's columns and cells that do not
//! depend on its format (CSV or XLSX): which header means which column, and what a spreadsheet program may have
//! done to a cell before the file reached us. Every row is then checked by the same functions as "+ Add User" and
//! "+ Add Pass" (`names`, `pass_id`); what is here only reads the file's layout and undoes spreadsheet damage, or
//! says it cannot.
//!
//! Excel stores a Hidden ID made only of digits (e.g. `04123456789012`) as a number: the leading zero goes, and
//! beyond 11 digits it is shown in scientific notation (`4.12346E+12`), which loses digits for good. Such cells
//! are refused with what to do ("format the column as Text and type the IDs again") instead of being guessed.

mod rows;

pub use rows::{
    check_row, in_file_conflicts, read_row, CellError, CheckedRow, Deletions, ImportDone,
    ImportMode, ImportPreview, ImportRefusal, ImportTotals, RowInput, RowOutcome, RowPreview,
    Shown, UserOutcome,
};

use crate::mode::PassMode;
use crate::role::Role;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A column of the import file, in the template's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    FirstName,
    LastName,
    Email,
    Role,
    PublicCardId,
    HiddenId,
    Nickname,
    Mode,
    /// For a partner or parent organization: the sub-organization (name or path) to import the row into.
    Organization,
}

impl Column {
    /// Every column, in the template's order.
    pub const ALL: [Column; 9] = [
        Column::FirstName,
        Column::LastName,
        Column::Email,
        Column::Role,
        Column::PublicCardId,
        Column::HiddenId,
        Column::Nickname,
        Column::Mode,
        Column::Organization,
    ];

    /// The template's header, in the UI's wording.
    pub fn header(self) -> &'static str {
        match self {
            Self::FirstName => "First name",
            Self::LastName => "Last name",
            Self::Email => "E-mail",
            Self::Role => "Role",
            Self::PublicCardId => "Public Card ID",
            Self::HiddenId => "Hidden ID",
            Self::Nickname => "Nickname",
            Self::Mode => "Mode",
            Self::Organization => "Organization",
        }
    }

    /// The column a header names: the template's header or a common variant, regardless of case, spaces,
    /// hyphens and underscores ("E-mail", "email", "Public card ID", "hidden_id", "UID", "Organisation").
    pub fn recognize(header: &str) -> Option<Column> {
        let key: String = header
            .trim()
            .trim_start_matches('\u{FEFF}')
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
            .flat_map(char::to_lowercase)
            .collect();
        let column = match key.as_str() {
            "firstname" | "givenname" => Self::FirstName,
            "lastname" | "surname" | "familyname" => Self::LastName,
            "email" | "emailaddress" | "mail" => Self::Email,
            "role" => Self::Role,
            "publiccardid" | "contractid" | "emaid" | "visibleid" => Self::PublicCardId,
            "hiddenid" | "uid" | "rfiduid" | "hiddenid(uid)" => Self::HiddenId,
            "nickname" | "passname" => Self::Nickname,
            "mode" | "passmode" => Self::Mode,
            "organization" | "organisation" | "organizationpath" => Self::Organization,
            _ => return None,
        };
        Some(column)
    }
}

/// Whether a header is the "Error" column of an error file ("Error" or "Errors", regardless of case and
/// spaces): the import's error file is the uploaded rows with what is wrong with each in that column, and people
/// fix the rows in it and upload it again, so the column is accepted and ignored.
pub fn is_error_header(header: &str) -> bool {
    let key = header.trim().trim_start_matches('\u{FEFF}').trim();
    key.eq_ignore_ascii_case("error") || key.eq_ignore_ascii_case("errors")
}

/// Why a file's header row cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeaderError {
    /// A header that is no column of the template.
    #[error("Column {position} (\"{header}\") is not a column of the import template. The columns are: {expected}.")]
    Unknown {
        /// 1-based.
        position: usize,
        header: String,
        expected: String,
    },
    /// The same column twice.
    #[error("The column \"{header}\" appears twice (columns {first} and {second}); keep one.")]
    Duplicate {
        header: &'static str,
        first: usize,
        second: usize,
    },
    /// A column every row needs.
    #[error("The column \"{header}\" is missing; download the template to see the columns.")]
    Missing { header: &'static str },
    /// Neither pass ID column.
    #[error("Add a \"Public Card ID\" or a \"Hidden ID\" column (or both): every pass needs one of them.")]
    NoPassId,
}

/// Where each column of the template is in a file (0-based positions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    positions: Vec<(Column, usize)>,
}

impl Layout {
    /// Reads a header row. Empty trailing headers (spreadsheets keep formatted empty columns) and the error
    /// file's "Error" column ([`is_error_header`]) are ignored; every other header must be a column of the
    /// template, once. First name, last name, e-mail and nickname ("+ Add Pass" requires one) are required, and
    /// at least one of the two pass IDs.
    pub fn parse<S: AsRef<str>>(headers: &[S]) -> Result<Layout, HeaderError> {
        let last_named = headers
            .iter()
            .rposition(|h| !h.as_ref().trim().is_empty())
            .map_or(0, |p| p + 1);
        let mut positions: Vec<(Column, usize)> = Vec::new();
        for (index, header) in headers[..last_named].iter().enumerate() {
            let header = header.as_ref();
            if is_error_header(header) {
                continue;
            }
            let column = Column::recognize(header).ok_or_else(|| HeaderError::Unknown {
                position: index + 1,
                header: header.trim().to_owned(),
                expected: Column::ALL.map(Column::header).join(", "),
            })?;
            if let Some(&(_, first)) = positions.iter().find(|(c, _)| *c == column) {
                return Err(HeaderError::Duplicate {
                    header: column.header(),
                    first: first + 1,
                    second: index + 1,
                });
            }
            positions.push((column, index));
        }
        for required in [
            Column::FirstName,
            Column::LastName,
            Column::Email,
            Column::Nickname,
        ] {
            if !positions.iter().any(|(c, _)| *c == required) {
                return Err(HeaderError::Missing {
                    header: required.header(),
                });
            }
        }
        if !positions
            .iter()
            .any(|(c, _)| matches!(c, Column::PublicCardId | Column::HiddenId))
        {
            return Err(HeaderError::NoPassId);
        }
        Ok(Layout { positions })
    }

    /// Whether the file has `column`.
    pub fn has(&self, column: Column) -> bool {
        self.positions.iter().any(|(c, _)| *c == column)
    }

    /// `column`'s cell of `row`, trimmed; empty when the file has no such column or the row is short.
    pub fn cell<'a, S: AsRef<str>>(&self, row: &'a [S], column: Column) -> &'a str {
        self.positions
            .iter()
            .find(|(c, _)| *c == column)
            .and_then(|&(_, index)| row.get(index))
            .map_or("", |cell| cell.as_ref().trim())
    }
}

/// What a spreadsheet did to a Hidden ID cell that cannot be undone.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HiddenIdCellError {
    /// Shown in scientific notation: digits are lost.
    #[error("This Hidden ID was turned into a number by a spreadsheet ({cell}) and its digits are lost. Format the Hidden ID column as Text and type the IDs again.")]
    ScientificNotation {
        /// The cell as it is in the file.
        cell: String,
    },
    /// A number with decimals (e.g. "4123456789012.0").
    #[error("This Hidden ID was turned into a number by a spreadsheet ({cell}). Format the Hidden ID column as Text and type the IDs again.")]
    Decimal {
        /// The cell as it is in the file.
        cell: String,
    },
}

/// A Hidden ID cell as the pass ID rules should see it: `Ok` with the text to check (a spreadsheet's number
/// that kept every digit passes unchanged — the pass ID check then says whether it is a valid UID), or why the
/// spreadsheet destroyed it. A reader of XLSX files hands number cells over as the digits they hold.
pub fn hidden_id_cell(cell: &str) -> Result<&str, HiddenIdCellError> {
    let text = cell.trim();
    let lower = text.to_ascii_lowercase();
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    // Spreadsheets write "4.12346E+12": a signed exponent or a decimal mantissa. A hexadecimal UID such as
    // "04123E45" has neither and is left to the pass ID check.
    if let Some((mantissa, exponent)) = lower.split_once('e') {
        let signed = exponent.strip_prefix(['+', '-']);
        let decimal = mantissa.split_once(['.', ',']);
        let (whole, fraction) = decimal.unwrap_or((mantissa, "0"));
        let exponent = signed.unwrap_or(exponent);
        if (signed.is_some() || decimal.is_some())
            && numeric(whole)
            && numeric(fraction)
            && numeric(exponent)
        {
            return Err(HiddenIdCellError::ScientificNotation {
                cell: text.to_owned(),
            });
        }
    }
    if let Some((whole, fraction)) = text.split_once(['.', ',']) {
        if numeric(whole) && numeric(fraction) {
            return Err(HiddenIdCellError::Decimal {
                cell: text.to_owned(),
            });
        }
    }
    Ok(text)
}

/// The role in a row: empty means Cardholder (what "+ Add User" preselects); the label or the stored name,
/// regardless of case. `None` for anything else.
pub fn role_cell(cell: &str) -> Option<Role> {
    let text = cell.trim().to_lowercase();
    if text.is_empty() {
        return Some(Role::Cardholder);
    }
    Role::ALL
        .into_iter()
        .find(|r| r.as_str() == text || r.label().to_lowercase() == text)
}

/// The mode in a row: `Ok(None)` when empty (the same default as "+ Add Pass"), the label or stored name
/// regardless of case ("Whitelist", "roaming"), or the message for the cell.
pub fn mode_cell(cell: &str) -> Result<Option<PassMode>, String> {
    let text = cell.trim().to_lowercase();
    if text.is_empty() {
        return Ok(None);
    }
    PassMode::ALL
        .into_iter()
        .find(|m| m.as_str() == text || m.label().to_lowercase() == text)
        .map(Some)
        .ok_or_else(|| {
            format!(
                "Enter the mode as {} or {}, or leave it empty for the default.",
                PassMode::Whitelist.label(),
                PassMode::Roaming.label()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognized_in_the_templates_wording_and_common_variants() {
        for column in Column::ALL {
            assert_eq!(Column::recognize(column.header()), Some(column));
        }
        for (header, column) in [
            ("\u{FEFF}First name", Column::FirstName),
            ("email", Column::Email),
            ("E-mail address", Column::Email),
            ("Public card ID", Column::PublicCardId),
            ("hidden_id", Column::HiddenId),
            ("UID", Column::HiddenId),
            ("Organisation", Column::Organization),
            ("  NICKNAME ", Column::Nickname),
        ] {
            assert_eq!(Column::recognize(header), Some(column), "{header:?}");
        }
        assert_eq!(Column::recognize("Card number"), None);
    }

    #[test]
    fn a_layout_needs_names_an_email_and_a_pass_id_each_once() {
        let layout = Layout::parse(&[
            "E-mail",
            "First name",
            "Last name",
            "Hidden ID",
            "Nickname",
            "",
            "",
        ])
        .unwrap();
        let row = [
            "ilse@example.com",
            " Ilse ",
            "Vermeer",
            "04A1B2C3D4E5F6",
            "Tag",
        ];
        assert_eq!(layout.cell(&row, Column::FirstName), "Ilse");
        assert_eq!(layout.cell(&row, Column::HiddenId), "04A1B2C3D4E5F6");
        assert_eq!(layout.cell(&row, Column::Mode), "");
        assert!(!layout.has(Column::Mode));
        assert_eq!(layout.cell(&row[..2], Column::LastName), "", "a short row");

        assert_eq!(
            Layout::parse(&["First name", "Last name", "Hidden ID", "Nickname"]),
            Err(HeaderError::Missing { header: "E-mail" })
        );
        assert_eq!(
            Layout::parse(&["First name", "Last name", "E-mail"]),
            Err(HeaderError::Missing { header: "Nickname" })
        );
        assert_eq!(
            Layout::parse(&["First name", "Last name", "E-mail", "Nickname"]),
            Err(HeaderError::NoPassId)
        );
        let twice = Layout::parse(&[
            "First name",
            "Last name",
            "E-mail",
            "UID",
            "Hidden ID",
            "Nickname",
        ]);
        assert_eq!(
            twice.unwrap_err().to_string(),
            "The column \"Hidden ID\" appears twice (columns 4 and 5); keep one."
        );
        let unknown = Layout::parse(&["First name", "Last name", "E-mail", "Card number"]);
        assert_eq!(
            unknown.unwrap_err().to_string(),
            "Column 4 (\"Card number\") is not a column of the import template. The columns are: First name, \
             Last name, E-mail, Role, Public Card ID, Hidden ID, Nickname, Mode, Organization."
        );
    }

    #[test]
    fn the_error_files_error_column_is_ignored() {
        for header in ["Error", "errors", " ERROR ", "\u{FEFF}Errors"] {
            assert!(is_error_header(header), "{header:?}");
        }
        assert!(!is_error_header("Error code"));
        assert!(!is_error_header(""));
        let layout = Layout::parse(&[
            "Error",
            "First name",
            "Last name",
            "E-mail",
            "UID",
            "Errors",
            "Nickname",
        ])
        .expect("an error file uploaded again");
        let row = [
            "Unknown mode",
            "Ilse",
            "Vermeer",
            "ilse@example.com",
            "04A1B2C3D4E5F6",
            "",
        ];
        assert_eq!(layout.cell(&row, Column::FirstName), "Ilse");
        assert_eq!(layout.cell(&row, Column::HiddenId), "04A1B2C3D4E5F6");
        assert_eq!(
            Layout::parse(&["Error", "First name", "Last name", "Hidden ID"]),
            Err(HeaderError::Missing { header: "E-mail" }),
            "the Error column is no other column"
        );
    }

    #[test]
    fn hidden_ids_a_spreadsheet_destroyed_are_refused_with_what_to_do() {
        assert_eq!(hidden_id_cell(" 04A1B2C3D4E5F6 "), Ok("04A1B2C3D4E5F6"));
        // Digits only, all kept: the pass ID check decides.
        assert_eq!(hidden_id_cell("4123456789012"), Ok("4123456789012"));
        // A hexadecimal UID with an E in it is not scientific notation.
        assert_eq!(hidden_id_cell("04E1B2C3D4E5F6"), Ok("04E1B2C3D4E5F6"));
        assert_eq!(hidden_id_cell("04123E45"), Ok("04123E45"));
        for destroyed in ["4.12346E+12", "4,12346E+12", "1.2e13", "4E+13"] {
            let error = hidden_id_cell(destroyed).unwrap_err();
            assert!(
                matches!(error, HiddenIdCellError::ScientificNotation { .. }),
                "{destroyed}"
            );
            assert!(error
                .to_string()
                .contains("Format the Hidden ID column as Text"));
        }
        assert!(matches!(
            hidden_id_cell("4123456789012.0"),
            Err(HiddenIdCellError::Decimal { .. })
        ));
    }

    #[test]
    fn roles_and_modes_are_read_as_people_write_them() {
        assert_eq!(role_cell(""), Some(Role::Cardholder));
        assert_eq!(role_cell("Administrator"), Some(Role::Administrator));
        assert_eq!(role_cell(" cardholder "), Some(Role::Cardholder));
        assert_eq!(role_cell("owner"), None);
        assert_eq!(mode_cell(""), Ok(None));
        assert_eq!(mode_cell("Whitelist"), Ok(Some(PassMode::Whitelist)));
        assert_eq!(mode_cell("ROAMING"), Ok(Some(PassMode::Roaming)));
        assert_eq!(
            mode_cell("free"),
            Err(
                "Enter the mode as Whitelist or Roaming, or leave it empty for the default."
                    .to_owned()
            )
        );
    }
}
