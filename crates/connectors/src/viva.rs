//! Viva Insights query exports (CSV), read without a hand-written mapping: the query type is
//! told from the header.
//!
//! - **person-to-person (p2p)**: `PrimaryCollaborator_PersonId`, `SecondaryCollaborator_PersonId`,
//!   `MetricDate` and metric columns. Each row is one pair in one period; each known metric
//!   column with a value above zero becomes one interaction from the primary to the secondary
//!   collaborator, role `to`, at `MetricDate` (midnight UTC; `dd/mm/yyyy` or ISO `yyyy-mm-dd`),
//!   its value as the `weight` (a count is a weight, never that many fake messages):
//!
//!   | column (case-insensitive)                                   | channel         | kind      |
//!   |-------------------------------------------------------------|-----------------|-----------|
//!   | `Strong_tie_score`                                          | `collaboration` | `tie`     |
//!   | `Collaboration_hours`                                       | `collaboration` | `tie`     |
//!   | `Email_count`, `Emails_sent`, `Mail_count`                  | `email`         | `message` |
//!   | `Meeting_count`, `Meetings`                                 | `meeting`       | `meeting` |
//!   | `Chat_count`, `Chats_sent`, `Instant_messages_sent`         | `chat`          | `message` |
//!   | `Call_count`, `Calls`                                       | `call`          | `message` |
//!
//!   `Diverse_tie_score` is not loaded: it measures how far a tie reaches across groups, not how
//!   strong it is, and a second tie per pair would count the pair twice. The `*_tie_type`
//!   columns and HR attribute columns (`PrimaryCollaborator_FunctionType`, ...) are not read
//!   (attributes belong to the people file). Identifiers are passed to ingest as they are (the
//!   PersonId a people file loaded from the same export carries); an e-mail address is matched
//!   through the [`Directory`].
//! - **person-to-group (p2g)** and **group-to-group (g2g)**: refused, one line naming the file:
//!   their rows are aggregates over groups (an organization, a function), with no second
//!   person, and orgmirror's interactions are between people.
//! - **meetings (mt)**: refused: one row per meeting with its organizer and attendee *counts*
//!   (`Number_of_attendees`), but no attendee identifiers, so who met whom cannot be known. The
//!   `Subject` column is never read.
//!
//! `event_id` = keyed id of `viva:p2p:<primary>:<secondary>:<MetricDate>:<column>`.

use crate::identity::Directory;
use crate::{Ids, blank, col};
use ingest::{Cell, Problem, RecordSource, RowError};
use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Why a query export is not read.
#[derive(Debug, thiserror::Error)]
pub enum VivaError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {reason}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    /// A query export orgmirror cannot use as person-to-person interactions.
    #[error("{}:1: header: {query} query refused: {reason}", path.display())]
    Refused {
        path: PathBuf,
        query: &'static str,
        reason: &'static str,
    },
    #[error("{}:1: header: not a Viva Insights query export (expected PrimaryCollaborator_PersonId and SecondaryCollaborator_PersonId, or MeetingId and Organizer); columns: {columns}", path.display())]
    UnknownHeader { path: PathBuf, columns: String },
    #[error("{}:1: header: {field}: {reason}", path.display())]
    MissingColumn {
        path: PathBuf,
        field: &'static str,
        reason: &'static str,
    },
}

/// The query a header shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    PersonToPerson,
    PersonToGroup,
    GroupToGroup,
    Meetings,
}

/// The metric columns of a p2p query: (lower-case names, channel, kind).
const METRICS: &[(&[&str], &str, &str)] = &[
    (&["strong_tie_score"], "collaboration", "tie"),
    (&["collaboration_hours"], "collaboration", "tie"),
    (
        &["email_count", "emails_sent", "mail_count"],
        "email",
        "message",
    ),
    (&["meeting_count", "meetings"], "meeting", "meeting"),
    (
        &["chat_count", "chats_sent", "instant_messages_sent"],
        "chat",
        "message",
    ),
    (&["call_count", "calls"], "call", "message"),
];

/// Tells the query from a header (names compared case-insensitively, a BOM ignored).
pub fn detect(header: &[String]) -> Option<Query> {
    let has = |name: &str| header.iter().any(|h| h.eq_ignore_ascii_case(name));
    let has_prefix = |p: &str| {
        header
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with(&p.to_ascii_lowercase()))
    };
    if has("PrimaryCollaborator_PersonId") && has("SecondaryCollaborator_PersonId") {
        Some(Query::PersonToPerson)
    } else if has("PrimaryCollaborator_PersonId") && has_prefix("SecondaryCollaborator_") {
        Some(Query::PersonToGroup)
    } else if has_prefix("PrimaryCollaborator_") && has_prefix("SecondaryCollaborator_") {
        Some(Query::GroupToGroup)
    } else if has("MeetingId") && has("Organizer") {
        Some(Query::Meetings)
    } else {
        None
    }
}

/// Midnight UTC of `dd/mm/yyyy` or `yyyy-mm-dd` (a time after the date is ignored).
pub fn day_ms(text: &str) -> Option<i64> {
    let day = text.split_whitespace().next()?;
    let date = if day.contains('/') {
        chrono::NaiveDate::parse_from_str(day, "%d/%m/%Y").ok()?
    } else {
        chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?
    };
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// A p2p query export as records.
pub struct VivaSource {
    path: PathBuf,
    reader: csv::Reader<File>,
    record: csv::StringRecord,
    ids: Ids,
    dir: Directory,
    primary: usize,
    secondary: usize,
    date: usize,
    /// (column index, column name, channel, kind)
    metrics: Vec<(usize, String, &'static str, &'static str)>,
    queue: VecDeque<Vec<Cell>>,
    line: u64,
    total_bytes: u64,
}

impl VivaSource {
    /// Opens a query export; only a person-to-person query is read, the others are refused
    /// with a one-line error naming the file and what it holds.
    pub fn open(path: &Path, dir: Directory, ids: Ids) -> Result<VivaSource, VivaError> {
        let io = |source| VivaError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| VivaError::Csv {
                path: path.to_path_buf(),
                line: 1,
                reason: e.to_string(),
            })?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let refuse = |query, reason| VivaError::Refused {
            path: path.to_path_buf(),
            query,
            reason,
        };
        match detect(&header) {
            Some(Query::PersonToPerson) => {}
            Some(Query::PersonToGroup) => {
                return Err(refuse(
                    "person-to-group (p2g)",
                    "its rows pair a person with a group (an HR attribute value), never two people; load the p2p query instead",
                ));
            }
            Some(Query::GroupToGroup) => {
                return Err(refuse(
                    "group-to-group (g2g)",
                    "its rows are aggregates between organizations (group sizes and totals), with no person in them; load the p2p query instead",
                ));
            }
            Some(Query::Meetings) => {
                return Err(refuse(
                    "meeting (mt)",
                    "one row per meeting with its organizer and attendee counts, but no attendee ids: who met whom cannot be known",
                ));
            }
            None => {
                return Err(VivaError::UnknownHeader {
                    path: path.to_path_buf(),
                    columns: header.join(", "),
                });
            }
        }
        let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
        let primary = find("PrimaryCollaborator_PersonId").expect("detected");
        let secondary = find("SecondaryCollaborator_PersonId").expect("detected");
        let date = find("MetricDate").ok_or(VivaError::MissingColumn {
            path: path.to_path_buf(),
            field: "MetricDate",
            reason: "a p2p query without MetricDate: the period of each row is unknown",
        })?;
        let mut metrics = Vec::new();
        for (i, h) in header.iter().enumerate() {
            let lower = h.to_ascii_lowercase();
            if let Some((_, channel, kind)) = METRICS.iter().find(|m| m.0.contains(&&*lower)) {
                metrics.push((i, h.clone(), *channel, *kind));
            }
        }
        if metrics.is_empty() {
            return Err(VivaError::MissingColumn {
                path: path.to_path_buf(),
                field: "Strong_tie_score",
                reason: "no metric column orgmirror knows (Strong_tie_score, Collaboration_hours, Email_count, Meeting_count, Chat_count, Call_count)",
            });
        }
        Ok(VivaSource {
            path: path.to_path_buf(),
            reader,
            record: csv::StringRecord::new(),
            ids,
            dir,
            primary,
            secondary,
            date,
            metrics,
            queue: VecDeque::new(),
            line: 1,
            total_bytes,
        })
    }

    /// The metric columns read, with the channel and kind each becomes.
    /// The directory, with the ids that matched nobody.
    pub fn directory(&self) -> &Directory {
        &self.dir
    }

    pub fn metrics(&self) -> Vec<(String, &'static str, &'static str)> {
        self.metrics
            .iter()
            .map(|(_, n, c, k)| (n.clone(), *c, *k))
            .collect()
    }

    fn who(&mut self, text: &str) -> Result<String, &'static str> {
        if text.contains('@') {
            let who = self.dir.resolve(text, None);
            who.person().map(str::to_string).ok_or(who.reason())
        } else {
            Ok(text.to_string())
        }
    }

    /// Reads one CSV row into the queue; `Ok(false)` at the end.
    fn read_row(&mut self) -> Result<bool, Problem> {
        let has = self.reader.read_record(&mut self.record).map_err(|e| {
            Problem::Reject(RowError::new(
                &self.path,
                self.line + 1,
                "",
                "bad_csv",
                e.to_string(),
            ))
        });
        self.line += 1;
        if !has? {
            return Ok(false);
        }
        let line = self.line;
        let path = self.path.clone();
        let reject = |field: &str, reason: &'static str, detail: String| {
            Problem::Reject(RowError::new(&path, line, field, reason, detail))
        };
        let get = |i: usize| self.record.get(i).map(str::trim).unwrap_or("");
        let (a, b, d) = (
            get(self.primary).to_string(),
            get(self.secondary).to_string(),
            get(self.date).to_string(),
        );
        if a.is_empty() || b.is_empty() {
            return Err(reject(
                "PrimaryCollaborator_PersonId",
                "missing_value",
                "a row without both collaborators".into(),
            ));
        }
        let Some(time_ms) = day_ms(&d) else {
            return Err(reject(
                "MetricDate",
                "bad_timestamp",
                format!("`{d}` is not a date (dd/mm/yyyy or yyyy-mm-dd)"),
            ));
        };
        let mut values = Vec::new();
        for (i, name, channel, kind) in &self.metrics {
            let text = get(*i);
            if text.is_empty() || text.eq_ignore_ascii_case("na") {
                continue;
            }
            let Ok(v) = text.parse::<f64>() else {
                return Err(reject(
                    name,
                    "bad_number",
                    format!("`{text}` is not a number"),
                ));
            };
            if v.is_finite() && v > 0.0 {
                values.push((name.clone(), *channel, *kind, v));
            }
        }
        let skip = |field: &str, reason: &'static str, detail: String| {
            Problem::Skip(RowError::new(&path, line, field, reason, detail))
        };
        let actor = self
            .who(&a)
            .map_err(|r| skip("PrimaryCollaborator_PersonId", r, "left out".into()))?;
        let recipient = self
            .who(&b)
            .map_err(|r| skip("SecondaryCollaborator_PersonId", r, "left out".into()))?;
        if values.is_empty() {
            return Err(skip(
                "",
                "no_collaboration",
                "every metric of this row is zero or empty".into(),
            ));
        }
        for (name, channel, kind, v) in values {
            let mut cells = Vec::new();
            blank(&mut cells);
            cells[col::EVENT_ID] = Cell::Int((self.ids)(&format!("viva:p2p:{a}:{b}:{d}:{name}")));
            cells[col::TIME] = Cell::TimeMs(time_ms);
            cells[col::ACTOR] = Cell::Str(actor.clone());
            cells[col::RECIPIENT] = Cell::Str(recipient.clone());
            cells[col::ROLE] = Cell::Str(if kind == "meeting" { "attendee" } else { "to" }.into());
            cells[col::CHANNEL] = Cell::Str(channel.into());
            cells[col::KIND] = Cell::Str(kind.into());
            cells[col::WEIGHT] = Cell::Float(v);
            self.queue.push_back(cells);
        }
        Ok(true)
    }
}

impl RecordSource for VivaSource {
    fn columns(&self) -> Vec<String> {
        crate::COLUMNS.iter().map(|c| c.to_string()).collect()
    }

    fn next_record(&mut self, cells: &mut Vec<Cell>) -> Result<Option<u64>, Problem> {
        loop {
            if let Some(row) = self.queue.pop_front() {
                *cells = row;
                return Ok(Some(self.line));
            }
            if !self.read_row()? {
                return Ok(None);
            }
        }
    }

    fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_queries() {
        assert_eq!(day_ms("01/04/2023"), day_ms("2023-04-01"));
        assert_eq!(day_ms("05/12/2022 16:30"), day_ms("2022-12-05"));
        assert_eq!(day_ms("31/02/2023"), None);
        let h = |s: &str| s.split(',').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            detect(&h(
                "PrimaryCollaborator_PersonId,SecondaryCollaborator_PersonId,MetricDate"
            )),
            Some(Query::PersonToPerson)
        );
        assert_eq!(
            detect(&h(
                "PrimaryCollaborator_Organization,SecondaryCollaborator_Organization"
            )),
            Some(Query::GroupToGroup)
        );
        assert_eq!(detect(&h("a,b")), None);
    }
}
