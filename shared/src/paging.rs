//! Paging through long lists ("Passes", "Transactions"): keyset cursors, the page size cap and how a page is
//! described ("1–50 of 1,234").
//!
//! A list is ordered by a key and an id, newest first (`created_at, id` for passes, `started_at, id` for
//! transactions). A page starts after or before a [`Cursor`], the key and id of a row the previous page showed, so
//! that page 2,000 costs what page 1 costs (no `OFFSET`). The cursor also carries that row's position in the
//! list, used only to say "51–100": it is the browser's to keep, not a secret, and the server never trusts it for
//! anything else. A cursor names no organization: the server lists only the rows of the organization the caller
//! administers, whatever key and id the cursor holds, so a forged cursor only chooses where in the caller's own
//! list the page starts.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Rows per page when the browser asks for no particular size.
pub const PAGE_SIZE_DEFAULT: u32 = 50;
/// The largest page: a request for more gets this many.
pub const PAGE_SIZE_MAX: u32 = 200;
/// Counting stops after this many rows ("of more than 10,000"): an exact count of a million rows would cost more
/// than the page itself.
pub const COUNT_LIMIT: u64 = 10_000;

/// The form field and query-string name of a cursor refusal.
pub const PAGE_FIELD: &str = "page";

/// A row of a list, as a place to start a page from: its sort key, its id and its 1-based position in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub key: i64,
    pub id: i64,
    pub position: u64,
}

impl Cursor {
    /// `"<key>.<id>.<position>"`, as [`fmt::Display`] writes it (the query-string form of page links).
    pub fn parse(text: &str) -> Result<Cursor, PageError> {
        let mut parts = text.trim().split('.');
        let mut next = || parts.next().ok_or(PageError::Malformed);
        let key = next()?.parse::<i64>().map_err(|_| PageError::Malformed)?;
        let id = next()?.parse::<i64>().map_err(|_| PageError::Malformed)?;
        let position = next()?.parse::<u64>().map_err(|_| PageError::Malformed)?;
        if parts.next().is_some() || position == 0 {
            return Err(PageError::Malformed);
        }
        Ok(Cursor { key, id, position })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.key, self.id, self.position)
    }
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageStart {
    /// The newest rows.
    First,
    /// The rows after the cursor's row in list order (older ones): "Next".
    After(Cursor),
    /// The rows before the cursor's row in list order (newer ones): "Previous".
    Before(Cursor),
}

/// A validated page request: where it starts and how many rows (1..=[`PAGE_SIZE_MAX`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub start: PageStart,
    pub size: u32,
}

/// Why a page request was refused, worded for the person who followed the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("This page link is damaged. Go back to the first page of the list.")]
    Malformed,
    #[error("This page link asks for rows both before and after a row. Go back to the first page of the list.")]
    BothDirections,
}

impl PageRequest {
    /// The first page of [`PAGE_SIZE_DEFAULT`] rows.
    pub fn first() -> PageRequest {
        PageRequest {
            start: PageStart::First,
            size: PAGE_SIZE_DEFAULT,
        }
    }

    /// The page the browser asked for: `after` or `before` a cursor (empty = not given), `size` rows (none: the
    /// default; 0 is 1 and anything above [`PAGE_SIZE_MAX`] is the maximum).
    pub fn parse(
        after: Option<&str>,
        before: Option<&str>,
        size: Option<u32>,
    ) -> Result<PageRequest, PageError> {
        fn given(c: Option<&str>) -> Option<&str> {
            c.map(str::trim).filter(|c| !c.is_empty())
        }
        let start = match (given(after), given(before)) {
            (Some(_), Some(_)) => return Err(PageError::BothDirections),
            (Some(after), None) => PageStart::After(Cursor::parse(after)?),
            (None, Some(before)) => PageStart::Before(Cursor::parse(before)?),
            (None, None) => PageStart::First,
        };
        Ok(PageRequest {
            start,
            size: size.unwrap_or(PAGE_SIZE_DEFAULT).clamp(1, PAGE_SIZE_MAX),
        })
    }

    /// How many rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch(&self) -> u32 {
        self.size + 1
    }
}

/// How many rows the whole list has, counted up to [`COUNT_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Total {
    Exact(u64),
    /// More than this many.
    MoreThan(u64),
}

impl Total {
    /// From a count of at most `COUNT_LIMIT + 1` rows.
    pub fn from_count(counted: u64) -> Total {
        if counted > COUNT_LIMIT {
            Total::MoreThan(COUNT_LIMIT)
        } else {
            Total::Exact(counted)
        }
    }
}

/// One page of a list, newest first, with the cursors of its neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The 1-based position of `items[0]` in the list.
    pub first: u64,
    pub total: Total,
    /// Where "Previous" starts (`before` this cursor); `None` on the first page.
    pub previous: Option<Cursor>,
    /// Where "Next" starts (`after` this cursor); `None` on the last page.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Assembles the page from the rows fetched for `request`: at most [`PageRequest::fetch`] rows, nearest to
    /// the start first — newest first for [`PageStart::First`] and [`PageStart::After`], oldest first for
    /// [`PageStart::Before`] (the rows just before the cursor, read upwards). `key` gives a row's sort key and id.
    pub fn assemble(
        request: &PageRequest,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> (i64, i64),
        total: Total,
    ) -> Page<T> {
        let size = request.size as usize;
        let more = rows.len() > size;
        rows.truncate(size);
        let n = rows.len() as u64;
        let (first, has_previous, has_next) = match request.start {
            PageStart::First => (1, false, more),
            PageStart::After(c) => (c.position.saturating_add(1), n > 0, more),
            PageStart::Before(c) => {
                rows.reverse();
                // Without more rows above, this page is the top of the list, whatever the cursor claimed.
                let first = if more {
                    c.position.saturating_sub(n).max(2)
                } else {
                    1
                };
                (first, more, n > 0)
            }
        };
        let cursor = |row: &T, position: u64| {
            let (key, id) = key(row);
            Cursor { key, id, position }
        };
        let previous = has_previous
            .then(|| rows.first().map(|r| cursor(r, first)))
            .flatten();
        let next = has_next
            .then(|| rows.last().map(|r| cursor(r, first.saturating_add(n - 1))))
            .flatten();
        Page {
            items: rows,
            first,
            total,
            previous,
            next,
        }
    }

    /// "1–50 of 1,234", "51–100 of more than 10,000", "1 of 1"; "None" for an empty page.
    pub fn range_label(&self) -> String {
        if self.items.is_empty() {
            return "None".to_owned();
        }
        let last = self.first.saturating_add(self.items.len() as u64 - 1);
        let range = if last == self.first {
            grouped(self.first)
        } else {
            format!("{}–{}", grouped(self.first), grouped(last))
        };
        match self.total {
            // A list that grew since the count (or a forged position) never reads "51–100 of 60".
            Total::Exact(total) => format!("{range} of {}", grouped(total.max(last))),
            Total::MoreThan(total) => format!("{range} of more than {}", grouped(total.max(last))),
        }
    }
}

/// `100000` → `"100,000"`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(start: PageStart, size: u32) -> PageRequest {
        PageRequest { start, size }
    }

    /// Rows are (key, id) pairs; a list of `total` rows newest first has keys total..=1 and ids the same.
    fn rows(keys: impl IntoIterator<Item = i64>) -> Vec<(i64, i64)> {
        keys.into_iter().map(|k| (k, k)).collect()
    }

    fn assemble(req: PageRequest, fetched: Vec<(i64, i64)>) -> Page<(i64, i64)> {
        Page::assemble(&req, fetched, |r| *r, Total::Exact(120))
    }

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let c = Cursor {
            key: 1_795_511_130_000,
            id: 42,
            position: 51,
        };
        assert_eq!(c.to_string(), "1795511130000.42.51");
        assert_eq!(Cursor::parse(&c.to_string()), Ok(c));
        assert_eq!(
            Cursor::parse("-5.-7.1"),
            Ok(Cursor {
                key: -5,
                id: -7,
                position: 1
            })
        );
        for bad in [
            "",
            "1.2",
            "1.2.3.4",
            "a.b.c",
            "1.2.0",
            "1.2.-3",
            "1..3",
            "99999999999999999999.1.1",
            "1,2,3",
        ] {
            assert_eq!(Cursor::parse(bad), Err(PageError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn requests_are_validated_and_sizes_capped() {
        assert_eq!(
            PageRequest::parse(None, None, None),
            Ok(PageRequest::first())
        );
        assert_eq!(
            PageRequest::parse(Some(""), Some(" "), Some(1_000_000)).map(|r| r.size),
            Ok(PAGE_SIZE_MAX)
        );
        assert_eq!(
            PageRequest::parse(None, None, Some(0)).map(|r| r.size),
            Ok(1)
        );
        assert_eq!(
            PageRequest::parse(Some("10.3.50"), None, Some(20)),
            Ok(request(
                PageStart::After(Cursor {
                    key: 10,
                    id: 3,
                    position: 50
                }),
                20
            ))
        );
        assert!(matches!(
            PageRequest::parse(None, Some("10.3.50"), None).map(|r| r.start),
            Ok(PageStart::Before(_))
        ));
        assert_eq!(
            PageRequest::parse(Some("1.1.1"), Some("1.1.1"), None),
            Err(PageError::BothDirections)
        );
        assert_eq!(
            PageRequest::parse(Some("drop table"), None, None),
            Err(PageError::Malformed)
        );
        assert!(PageError::Malformed.to_string().contains("first page"));
        assert_eq!(PageRequest::first().fetch(), PAGE_SIZE_DEFAULT + 1);
    }

    #[test]
    fn the_first_page_links_to_the_next_only_when_there_is_more() {
        let page = assemble(request(PageStart::First, 3), rows([120, 119, 118, 117]));
        assert_eq!(page.items, rows([120, 119, 118]));
        assert_eq!((page.first, page.previous), (1, None));
        assert_eq!(
            page.next,
            Some(Cursor {
                key: 118,
                id: 118,
                position: 3
            })
        );
        assert_eq!(page.range_label(), "1–3 of 120");
        let all = assemble(request(PageStart::First, 3), rows([2, 1]));
        assert_eq!((all.previous, all.next), (None, None));
        let none = assemble(request(PageStart::First, 3), vec![]);
        assert_eq!((none.previous, none.next), (None, None));
        assert_eq!(none.range_label(), "None");
    }

    #[test]
    fn next_and_previous_walk_the_list_both_ways() {
        let after = Cursor {
            key: 118,
            id: 118,
            position: 3,
        };
        let page = assemble(
            request(PageStart::After(after), 3),
            rows([117, 116, 115, 114]),
        );
        assert_eq!(page.items, rows([117, 116, 115]));
        assert_eq!(page.first, 4);
        assert_eq!(page.range_label(), "4–6 of 120");
        let previous = page.previous.unwrap();
        assert_eq!((previous.key, previous.position), (117, 4));
        assert_eq!(page.next.unwrap().position, 6);
        // "Previous" from there: the rows just above 117, fetched upwards, shown newest first again.
        let back = assemble(
            request(PageStart::Before(previous), 3),
            rows([118, 119, 120]),
        );
        assert_eq!(back.items, rows([120, 119, 118]));
        assert_eq!((back.first, back.previous), (1, None));
        assert_eq!(back.next.unwrap().position, 3);
        // A page in the middle, going up: more rows above, so "Previous" again.
        let middle = Cursor {
            key: 110,
            id: 110,
            position: 11,
        };
        let up = assemble(
            request(PageStart::Before(middle), 3),
            rows([111, 112, 113, 114]),
        );
        assert_eq!(up.items, rows([113, 112, 111]));
        assert_eq!(up.first, 8);
        assert_eq!(up.previous.unwrap().position, 8);
        assert_eq!(up.next.unwrap().position, 10);
        // The last page: no "Next".
        let last = assemble(request(PageStart::After(after), 3), rows([2, 1]));
        assert_eq!(last.next, None);
    }

    #[test]
    fn a_forged_position_only_changes_the_numbers_shown() {
        let forged = Cursor {
            key: 110,
            id: 110,
            position: 2,
        };
        let up = assemble(
            request(PageStart::Before(forged), 3),
            rows([111, 112, 113, 114]),
        );
        // More rows above, so the page cannot start at 1; it never claims a position below 2.
        assert_eq!(up.first, 2);
        let huge = Cursor {
            key: 110,
            id: 110,
            position: u64::MAX,
        };
        let down = assemble(request(PageStart::After(huge), 3), rows([109]));
        assert_eq!(down.first, u64::MAX);
        assert_eq!(
            down.range_label(),
            format!("{} of {}", grouped(u64::MAX), grouped(u64::MAX))
        );
    }

    #[test]
    fn totals_are_counted_up_to_the_limit() {
        assert_eq!(Total::from_count(0), Total::Exact(0));
        assert_eq!(Total::from_count(COUNT_LIMIT), Total::Exact(COUNT_LIMIT));
        assert_eq!(
            Total::from_count(COUNT_LIMIT + 1),
            Total::MoreThan(COUNT_LIMIT)
        );
        let page = Page::assemble(
            &request(PageStart::First, 50),
            rows((1..=51).rev()),
            |r| *r,
            Total::MoreThan(COUNT_LIMIT),
        );
        assert_eq!(page.range_label(), "1–50 of more than 10,000");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(100_000), "100,000");
        assert_eq!(grouped(1_000_000), "1,000,000");
    }
}
