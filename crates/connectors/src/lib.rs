//! Real exports in: mail archives (Maildir, mbox), calendars (iCalendar), chat (Slack exports)
//! and Viva Insights queries. Each format is read here, headers and metadata only, into records
//! in orgmirror's own event columns ([`ingest::RecordSource`]); validation, people resolution,
//! grouping and the all-or-nothing commit stay in `ingest` ([`ingest::ingest_records`]).
//! No message body, subject, calendar summary, description or location, or chat text is ever
//! decoded or stored.

pub mod calendar;
pub mod chat;
pub mod identity;
pub mod mail;
pub mod viva;

pub use identity::{Directory, Who};

/// The event columns every connector fills (orgmirror's own names; see docs/INPUTS.md).
pub const COLUMNS: &[&str] = &[
    "event_id",
    "time",
    "actor",
    "recipient",
    "role",
    "channel",
    "kind",
    "thread_id",
    "in_reply_to",
    "duration_s",
    "weight",
];

/// Column positions in [`COLUMNS`].
pub mod col {
    pub const EVENT_ID: usize = 0;
    pub const TIME: usize = 1;
    pub const ACTOR: usize = 2;
    pub const RECIPIENT: usize = 3;
    pub const ROLE: usize = 4;
    pub const CHANNEL: usize = 5;
    pub const KIND: usize = 6;
    pub const THREAD_ID: usize = 7;
    pub const IN_REPLY_TO: usize = 8;
    pub const DURATION_S: usize = 9;
    pub const WEIGHT: usize = 10;
}

/// Keyed ids for an export's own identifiers (see [`ingest::keyed_ids`]); a connector is given
/// them by its caller so that it never needs the workspace.
pub type Ids = Box<dyn Fn(&str) -> i64>;

/// One row of a record: the cells of [`COLUMNS`], reset to nulls.
pub fn blank(cells: &mut Vec<ingest::Cell>) {
    cells.clear();
    cells.resize(COLUMNS.len(), ingest::Cell::Null);
}
