//! The SQL side of [`shared::paging`]: where a keyset page starts and in which order its rows are read.

use shared::paging::{Cursor, PageRequest, PageStart};

/// For a list ordered by `key` then `id`, newest first: the condition that starts `request`'s page (`""` for the
/// first page, else ` AND (key, id) < / > ($n, $n+1)` with `n` = `next_param`), the direction to read in (`DESC`
/// down the list, `ASC` up it for "Previous", which [`shared::paging::Page::assemble`] turns back), and the
/// cursor whose key and id the caller binds as `$n` and `$n+1`.
pub(crate) fn page_order(
    request: &PageRequest,
    key: &str,
    id: &str,
    next_param: usize,
) -> (String, &'static str, Option<Cursor>) {
    let (k, i) = (next_param, next_param + 1);
    match request.start {
        PageStart::First => (String::new(), "DESC", None),
        PageStart::After(c) => (
            format!(" AND ({key}, {id}) < (${k}, ${i})"),
            "DESC",
            Some(c),
        ),
        PageStart::Before(c) => (format!(" AND ({key}, {id}) > (${k}, ${i})"), "ASC", Some(c)),
    }
}
