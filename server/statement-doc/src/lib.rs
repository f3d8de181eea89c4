//! ChargeDesk's monthly credit statement ([`shared::statement::Statement`]) as the documents people download
//! under "Invoices": the statement as an A4 PDF ([`pdf`]) and its sessions as CSV ([`fn@csv`]).
//!
//! Pure functions from the statement to bytes: no I/O, no clock (the PDF's date is the statement's issue date,
//! so the same statement always renders to the same bytes), no SQL; the server reads the statement from
//! storage and sends what these return.
//!
//! The PDF is written with `pdf-writer`, the typst project's low-level PDF writer: it has no layout engine and
//! needs none here (a header, two address blocks, a table that paginates, totals), and it lets the document use
//! the standard Helvetica in WinAnsiEncoding, which every PDF reader has, so no font file is embedded or
//! shipped. The price of that is [`winansi`]: text is one byte a character in Windows-1252 (€ included), and a
//! character outside it prints as '?'. Widths for right-aligned numbers and for cutting long names come from
//! the fonts' Adobe metrics. A month of thousands of sessions runs over as many pages as it needs, with the
//! table's header repeated and "Page i of N" on each.

mod pdf;
mod sessions_csv;
mod text;

pub use pdf::pdf;
pub use sessions_csv::csv;
pub use text::winansi;
