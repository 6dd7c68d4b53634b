//! Aggregation: streams the stored interactions once, in time order, into per-window weighted
//! directed pair tables (one column per layer, plus counts by kind, channel and recipient role)
//! and a table of paired reply latencies. This is what the graph engine and the mirror model
//! read; it never looks at anything but metadata.
//!
//! Layers of a pair `(a, b)` (a acted, b received):
//! - `w_communication`: weight of messages a→b (every channel but meetings);
//! - `w_meetings`: co-attendance, a meeting of k people adding 1/(k-1) to each ordered pair;
//! - `w_requests`: requests a→b addressed `to` b;
//! - `w_help`: requests of b that a fulfilled (a reply or accept paired to b's request);
//! - `w_introductions`: introductions a made to b;
//! - `w_feedback`: feedback a gave b or asked of b.
//!
//! Reply latency on `(a, b)` is how long **a** took to answer **b**; `n_ignored` counts b's
//! requests that a left unanswered for the whole pairing window.
//!
//! Asks, for mail that carries reply ids but no kinds (real exports): with thread pairing, a
//! message that opens a thread (no `in_reply_to`, not a meeting or an answer) To at most
//! `vocab::MAX_ASK_TO` people is an ask of each of them; an answer in its thread from a
//! recipient is `n_answered` on (recipient, asker); a recipient who has not answered when the
//! reply window closes left it unanswered (`n_unanswered` on (recipient, asker)). `n_ask` on
//! (asker, recipient) counts the asks so decided, all in the windows of the ask, so that
//! answered + unanswered = asks in every window; asks still open when the data ends count
//! nowhere. Thread pairing is on when any row carries a reply id: in a partly threaded export,
//! an answer without one leaves its ask unanswered. The mirror reads them as requests, help and ignored requests only when
//! the data has no request kinds at all.

mod acc;
pub mod activity;
mod pairs;
mod reply;
mod sink;
mod spill;
pub mod varint;

pub use pairs::{
    AggregateOptions, AggregateSummary, LATENCY_COLUMNS, PAIR_COLUMNS, Pairing, TABLE_OPTIONS,
    aggregate, aggregate_counting, aggregate_with,
};
pub use sink::{LatencyRow, latency_columns};
