//! The pair tables: one pass over time-ordered interactions, window buffers of update records
//! handed to a reducer as soon as no later row can change them, and reply pairing.

use crate::acc::{Count, Rec, channel_column, kind_column, pair_key, role_column};
use crate::activity::Counter;
use crate::reply::{Event, Expired, SentEvents};
use crate::sink::{self, Fate, LatencyRow, ToEncoder, ToReducer};
use rustc_hash::FxHashMap;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use store::table::{ColumnDef, ColumnType, TableOptions, TableWriter};
use store::{EventReader, StoreError};
use vocab::{Channel, Interaction, Kind, MAX_ASK_TO, OrgChart, Role, Window, WindowSpec};

/// How replies are matched to what they answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// Use `in_reply_to` when the data has it, else the next message back.
    Auto,
    /// Only `in_reply_to`.
    Thread,
    /// The first message from b to a after a message from a to b, within the pairing window.
    NextMessage,
}

#[derive(Debug, Clone)]
pub struct AggregateOptions {
    pub windows: Vec<WindowSpec>,
    /// Meetings with more participants count only organizer–attendee pairs.
    pub max_meeting_size: usize,
    /// How long a reply may take to count as one; unanswered requests older than this are ignored ones.
    pub reply_window_ms: i64,
    pub pairing: Pairing,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            windows: vec![WindowSpec::All, WindowSpec::Months],
            max_meeting_size: 50,
            reply_window_ms: 30 * 86_400_000,
            pairing: Pairing::Auto,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AggregateSummary {
    pub rows: u64,
    pub events: u64,
    pub undated_rows: u64,
    pub pairing: Pairing,
    pub latency_samples: u64,
    pub large_meetings: u64,
    /// (window label, pairs written)
    pub windows: Vec<(String, u64)>,
    pub pair_rows: u64,
}

/// Columns of the `pairs` table, in order.
pub static PAIR_COLUMNS: std::sync::LazyLock<Vec<ColumnDef>> = std::sync::LazyLock::new(|| {
    use ColumnType::*;
    let mut cols = vec![
        ColumnDef::new("window", Str),
        ColumnDef::new("a", I32),
        ColumnDef::new("b", I32),
        ColumnDef::new("relation", Str),
        ColumnDef::new("n", I64),
        ColumnDef::new("weight", F64),
        ColumnDef::new("w_communication", F64),
        ColumnDef::new("w_meetings", F64),
        ColumnDef::new("w_requests", F64),
        ColumnDef::new("w_help", F64),
        ColumnDef::new("w_introductions", F64),
        ColumnDef::new("w_feedback", F64),
        ColumnDef::new("meeting_s", F64),
    ];
    cols.extend(
        Kind::ALL
            .iter()
            .map(|&k| ColumnDef::new(kind_column(k), I64)),
    );
    cols.extend(
        Channel::ALL
            .iter()
            .map(|&c| ColumnDef::new(channel_column(c), I64)),
    );
    cols.extend(
        Role::ALL
            .iter()
            .map(|&r| ColumnDef::new(role_column(r), I64)),
    );
    cols.extend([
        ColumnDef::new("n_ignored", I64),
        ColumnDef::new("n_ask", I64),
        ColumnDef::new("n_answered", I64),
        ColumnDef::new("n_unanswered", I64),
        ColumnDef::new("n_latency", I64),
        ColumnDef::nullable("latency_median_s", F64),
        ColumnDef::nullable("latency_mean_s", F64),
        ColumnDef::nullable("first_time", TimestampMs),
        ColumnDef::nullable("last_time", TimestampMs),
    ]);
    cols
});

/// How the `pairs` and `latencies` tables are written, by every engine (so that they write the
/// same bytes): mostly small counts and people indices, a few bits each when delta-encoded.
pub const TABLE_OPTIONS: TableOptions = TableOptions {
    delta_integers: true,
};

/// Columns of the `latencies` table: one row per paired reply.
pub const LATENCY_COLUMNS: &[ColumnDef] = &[
    ColumnDef::new("responder", ColumnType::I32),
    ColumnDef::new("requester", ColumnType::I32),
    ColumnDef::new("asked_time", ColumnType::TimestampMs),
    ColumnDef::new("answer_time", ColumnType::TimestampMs),
    ColumnDef::new("latency_s", ColumnType::F64),
    ColumnDef::new("asked_kind", ColumnType::Str),
    ColumnDef::new("answer_kind", ColumnType::Str),
    ColumnDef::new("pairing", ColumnType::Str),
];

/// Records a window's buffer holds (24 bytes each) before they are handed to the reducer to be
/// absorbed, so that memory stays bounded however long a window is.
const PART_RECORDS: usize = 1 << 24;

/// An open window: its update records not yet handed over.
struct Slot {
    window: Window,
    recs: Vec<Rec>,
    /// Rows may still change this window until this time (`None`: until the end).
    open_until: Option<i64>,
}

/// Where the windows of each spec stand: slot indices by window.
struct Windows {
    specs: Vec<WindowSpec>,
    slots: Vec<Option<Slot>>,
    by_window: FxHashMap<Window, usize>,
    /// Per spec: the last window seen and its slot, with its bounds (a cache for sorted input).
    last: Vec<Option<(Window, usize, i64, i64)>>,
    reply_window_ms: i64,
    /// When both `all` and a calendar partition (months or quarters) are asked for, dated rows
    /// go only to their partition window; each partition window, when it closes, is also written
    /// as a sorted run to disk, and `all` is the merge of the runs. Half the updates per row,
    /// and memory bounded by the open windows. (spec index of `all`, of the partition)
    fold: Option<(usize, usize)>,
    /// Partition windows spilled so far.
    spilled: usize,
    /// A window's buffer is handed over when it holds this many records.
    part_records: usize,
    /// Emptied buffers the reducer hands back, for new windows.
    spare: Receiver<Vec<Rec>>,
    reducer: SyncSender<ToReducer>,
}

fn reducer_stopped() -> StoreError {
    StoreError::internal("the pair reducer stopped")
}

impl Windows {
    fn slot_for(&mut self, window: Window) -> usize {
        if let Some(&i) = self.by_window.get(&window) {
            return i;
        }
        let open_until = window
            .bounds()
            .map(|(_, end)| end.saturating_add(self.reply_window_ms));
        let recs = self.spare.try_recv().unwrap_or_default();
        self.slots.push(Some(Slot {
            window,
            recs,
            open_until,
        }));
        let i = self.slots.len() - 1;
        self.by_window.insert(window, i);
        i
    }

    /// The slots a row at `time` belongs to.
    fn slots_of(&mut self, time: Option<i64>, out: &mut Vec<usize>) {
        out.clear();
        for s in 0..self.specs.len() {
            if time.is_some() && self.fold.is_some_and(|(all, _)| all == s) {
                continue;
            }
            if let (Some(t), Some((_, slot, lo, hi))) = (time, self.last[s])
                && lo <= t
                && t < hi
            {
                out.push(slot);
                continue;
            }
            let Some(w) = self.specs[s].window_of(time) else {
                continue;
            };
            let slot = self.slot_for(w);
            if let Some((lo, hi)) = w.bounds() {
                self.last[s] = Some((w, slot, lo, hi));
            }
            out.push(slot);
        }
    }

    /// Records an update in the window of `slot`, if it is still open.
    #[inline]
    fn push(&mut self, slot: usize, rec: Rec) {
        if let Some(s) = self.slots[slot].as_mut() {
            s.recs.push(rec);
        }
    }

    /// Records an update in each of `slots`.
    #[inline]
    fn push_all(&mut self, slots: &[usize], rec: Rec) {
        for &slot in slots {
            self.push(slot, rec);
        }
    }

    /// Whether `window` is one of the partition windows folded into `all`.
    fn folds(&self, window: &Window) -> bool {
        match self.fold {
            Some((_, part)) => matches!(
                (&self.specs[part], window),
                (WindowSpec::Months, Window::Month { .. })
                    | (WindowSpec::Quarters, Window::Quarter { .. })
            ),
            None => false,
        }
    }

    /// Hands the buffers that have grown full to the reducer.
    fn hand_over_full(&mut self) -> Result<(), StoreError> {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if let Some(s) = slot
                && s.recs.len() >= self.part_records
            {
                let fresh = self
                    .spare
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(s.recs.capacity()));
                let recs = std::mem::replace(&mut s.recs, fresh);
                self.reducer
                    .send(ToReducer::Part { slot: i, recs })
                    .map_err(|_| reducer_stopped())?;
            }
        }
        Ok(())
    }

    /// Hands every window that no row after `now` can change (all of them when `now` is
    /// `None`) to the reducer, partition windows first and `all` last.
    fn close(&mut self, now: Option<i64>) -> Result<(), StoreError> {
        let mut closing: Vec<usize> = (0..self.slots.len())
            .filter(|&i| match (&self.slots[i], now) {
                (Some(_), None) => true,
                (Some(s), Some(t)) => s.open_until.is_some_and(|u| t >= u),
                (None, _) => false,
            })
            .collect();
        // `all` goes last: partition windows are folded into it as they close.
        closing.sort_by_key(|&i| {
            self.slots[i]
                .as_ref()
                .map(|s| (s.window == Window::All, s.window))
        });
        for i in closing {
            let slot = self.slots[i].take().expect("open slot");
            let fate = if slot.window == Window::All && self.spilled > 0 {
                Fate::MergeSpills
            } else if self.folds(&slot.window) {
                self.spilled += 1;
                Fate::WriteAndSpill
            } else {
                Fate::Write
            };
            self.reducer
                .send(ToReducer::Close {
                    slot: i,
                    window: slot.window,
                    recs: slot.recs,
                    fate,
                })
                .map_err(|_| reducer_stopped())?;
        }
        Ok(())
    }
}

/// Next-message pairing: the earliest unanswered message of a directed pair, and its earliest
/// unanswered request.
#[derive(Clone, Copy)]
struct Open {
    first: i64,
    kind: Kind,
    request: Option<i64>,
}

/// The state of the one pass: windows, reply pairing, and what it has counted.
struct Pass<'o> {
    opts: &'o AggregateOptions,
    pairing: Pairing,
    windows: Windows,
    summary: AggregateSummary,
    /// Thread pairing: what was sent and who still owes it an answer, until it expires.
    sent: SentEvents,
    expired: Vec<Expired>,
    /// Next-message pairing: the earliest unanswered message of each directed pair.
    unanswered: FxHashMap<u64, Open>,
    latency_rows: Vec<LatencyRow>,
    row_slots: Vec<usize>,
    request_slots: Vec<usize>,
    participants: Vec<(u32, Role)>,
    to: Vec<u32>,
}

impl Pass<'_> {
    fn latencies_out(&mut self) -> Result<(), StoreError> {
        if self.latency_rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.latency_rows);
        self.windows
            .reducer
            .send(ToReducer::Latencies(rows))
            .map_err(|_| reducer_stopped())
    }

    /// One interaction: its rows (all with the same event id and time).
    fn group(&mut self, group: &[Interaction]) -> Result<(), StoreError> {
        let opts = self.opts;
        let first = group[0];
        self.summary.events += 1;
        let time = first.time_ms;
        let mut row_slots = std::mem::take(&mut self.row_slots);
        self.windows.slots_of(time, &mut row_slots);
        let is_meeting = group
            .iter()
            .any(|r| r.channel == Channel::Meeting || r.kind == Kind::Meeting);
        for r in group {
            let (a, b) = (r.actor.0, r.recipient.0);
            if a == b {
                continue;
            }
            self.windows
                .push_all(&row_slots, Rec::row(pair_key(a, b), r, is_meeting));
        }
        // Meetings: co-attendance between every two participants.
        if is_meeting {
            let participants = &mut self.participants;
            participants.clear();
            participants.push((first.actor.0, Role::Organizer));
            for r in group {
                if !participants.iter().any(|(p, _)| *p == r.recipient.0) {
                    participants.push((r.recipient.0, r.role));
                }
            }
            let k = participants.len();
            let duration = group.iter().filter_map(|r| r.duration_s).max().unwrap_or(0);
            if k >= 2 {
                let large = k > opts.max_meeting_size;
                if large {
                    self.summary.large_meetings += 1;
                }
                for i in 0..k {
                    for j in 0..k {
                        if i == j || (large && i != 0 && j != 0) {
                            continue;
                        }
                        let key = pair_key(participants[i].0, participants[j].0);
                        self.windows
                            .push_all(&row_slots, Rec::meeting(key, k as u32, duration));
                    }
                }
            }
        }
        let Some(t) = time else {
            self.row_slots = row_slots;
            return Ok(());
        };
        // Reply pairing.
        let mut request_slots = std::mem::take(&mut self.request_slots);
        for r in group {
            let (a, b) = (r.actor.0, r.recipient.0);
            if a == b || r.role == Role::Organizer {
                continue;
            }
            let mut answered: Option<(i64, Kind, bool)> = None;
            let mut fulfils = false;
            match self.pairing {
                Pairing::Thread | Pairing::Auto => {
                    if let Some(e) = r.in_reply_to
                        && let Some(s) = self.sent.answer(e, a, b, t)
                    {
                        if s.request || s.kind != Kind::Request {
                            answered = Some((s.time, s.kind, true));
                            fulfils = s.request;
                        }
                        if s.ask {
                            // Decided: counted in the ask's windows, both ways.
                            self.windows.slots_of(Some(s.time), &mut request_slots);
                            self.windows.push_all(
                                &request_slots,
                                Rec::count(pair_key(a, b), Count::Answered),
                            );
                            self.windows
                                .push_all(&request_slots, Rec::count(pair_key(b, a), Count::Ask));
                        }
                    }
                }
                Pairing::NextMessage => {
                    if let Some(open) = self.unanswered.remove(&pair_key(b, a)) {
                        let in_time = |t0: i64| t - t0 <= opts.reply_window_ms;
                        fulfils = open.request.is_some_and(in_time);
                        if in_time(open.first) {
                            answered = Some((open.first, open.kind, false));
                        } else if let Some(tr) = open.request.filter(|&tr| in_time(tr)) {
                            answered = Some((tr, Kind::Request, false));
                        }
                        if let Some(tr) = open.request.filter(|&tr| !in_time(tr)) {
                            // Too late to count: the earlier request was ignored.
                            self.windows.slots_of(Some(tr), &mut request_slots);
                            self.windows.push_all(
                                &request_slots,
                                Rec::count(pair_key(a, b), Count::Ignored),
                            );
                        }
                    }
                    let open = self.unanswered.entry(pair_key(a, b)).or_insert(Open {
                        first: t,
                        kind: r.kind,
                        request: None,
                    });
                    if r.kind == Kind::Request && open.request.is_none() {
                        open.request = Some(t);
                    }
                }
            }
            if let Some((asked, asked_kind, by_thread)) = answered {
                let latency_s = ((t - asked) as f64 / 1000.0) as f32;
                let help = fulfils && matches!(r.kind, Kind::Reply | Kind::Accept);
                self.windows
                    .push_all(&row_slots, Rec::latency(pair_key(a, b), latency_s, help));
                self.latency_rows
                    .push((a, b, asked, t, asked_kind, r.kind, by_thread));
                self.summary.latency_samples += 1;
                if self.latency_rows.len() >= 1 << 20 {
                    self.latencies_out()?;
                }
            } else if r.kind == Kind::Accept && self.pairing == Pairing::NextMessage {
                self.windows
                    .push_all(&row_slots, Rec::count(pair_key(a, b), Count::Help));
            }
        }
        if self.pairing != Pairing::NextMessage {
            let to: &mut Vec<u32> = &mut self.to;
            to.clear();
            to.extend(
                group
                    .iter()
                    .filter(|r| r.role == Role::To && r.recipient != r.actor)
                    .map(|r| r.recipient.0),
            );
            // An ask: a message that opens a thread, To a few people.
            let ask = first.in_reply_to.is_none()
                && !is_meeting
                && !matches!(
                    first.kind,
                    Kind::Reply | Kind::Accept | Kind::Decline | Kind::Meeting | Kind::Tie
                )
                && to.len() <= MAX_ASK_TO;
            let event = Event {
                id: first.event_id,
                time: t,
                actor: first.actor.0,
                kind: first.kind,
            };
            self.sent
                .remember(event, to, first.kind == Kind::Request, ask);
            // Expire what can no longer be answered; open requests among them were ignored.
            self.sent.expire(t, opts.reply_window_ms, &mut self.expired);
            self.count_expired(&mut request_slots);
        }
        self.row_slots = row_slots;
        self.request_slots = request_slots;
        Ok(())
    }

    /// Counts what expired events left open, in each event's windows.
    fn count_expired(&mut self, slots: &mut Vec<usize>) {
        for x in self.expired.drain(..) {
            self.windows.slots_of(Some(x.time), slots);
            self.windows
                .push_all(slots, Rec::count(pair_key(x.a, x.b), x.count));
        }
    }

    /// After the last row: requests still open were ignored only if they had the whole
    /// pairing window; then every window is handed over.
    fn finish(mut self, last_seen: Option<i64>) -> Result<AggregateSummary, StoreError> {
        let opts = self.opts;
        let mut request_slots = std::mem::take(&mut self.request_slots);
        if let Some(end) = self.sent.last_time() {
            self.sent
                .expire(end, opts.reply_window_ms, &mut self.expired);
            self.count_expired(&mut request_slots);
        }
        if self.pairing == Pairing::NextMessage {
            let mut leftovers: Vec<(u64, i64)> = std::mem::take(&mut self.unanswered)
                .into_iter()
                .filter_map(|(k, o)| o.request.map(|t| (k, t)))
                .collect();
            leftovers.sort_unstable_by_key(|(k, t)| (*t, *k));
            for (key, t0) in leftovers {
                if last_seen.is_some_and(|end| end - t0 > opts.reply_window_ms) {
                    let (asker, target) = ((key >> 32) as u32, key as u32);
                    self.windows.slots_of(Some(t0), &mut request_slots);
                    self.windows.push_all(
                        &request_slots,
                        Rec::count(pair_key(target, asker), Count::Ignored),
                    );
                }
            }
        }
        self.windows.close(None)?;
        self.latencies_out()?;
        Ok(self.summary)
    }
}

/// Aggregates every row of `reader` into `pairs_path` and `latencies_path` (Parquet).
/// `org` gives each pair its relation class; without it the class is `unknown`.
///
/// Four threads, each a stage: one decodes the segments, this one pairs replies and turns rows
/// into update records, one sorts and applies the records of each window ([`sink::reduce`]),
/// one encodes Parquet ([`sink::encode`]).
pub fn aggregate(
    reader: &mut EventReader,
    org: Option<&OrgChart>,
    opts: &AggregateOptions,
    pairs_path: &Path,
    latencies_path: &Path,
    progress: &dyn Fn(u64),
) -> Result<AggregateSummary, StoreError> {
    aggregate_with(
        reader,
        org,
        opts,
        pairs_path,
        latencies_path,
        progress,
        PART_RECORDS,
    )
}

/// [`aggregate`] with the size at which a window's records are handed over (tests make it
/// small to exercise absorbing in parts).
#[doc(hidden)]
pub fn aggregate_with(
    reader: &mut EventReader,
    org: Option<&OrgChart>,
    opts: &AggregateOptions,
    pairs_path: &Path,
    latencies_path: &Path,
    progress: &dyn Fn(u64),
    part_records: usize,
) -> Result<AggregateSummary, StoreError> {
    let paths = (pairs_path, latencies_path);
    aggregate_in_one_pass(reader, org, opts, paths, progress, part_records, None)
}

/// [`aggregate`], counting activity ([`crate::activity::Counter`]) in the same pass when a
/// counter is given: every decoded batch of rows goes to the pairing pass and to the counter,
/// which runs on a thread of its own, so the interactions are read and decoded once for both.
pub fn aggregate_counting(
    reader: &mut EventReader,
    org: Option<&OrgChart>,
    opts: &AggregateOptions,
    pairs_path: &Path,
    latencies_path: &Path,
    progress: &dyn Fn(u64),
    counter: Option<&mut Counter>,
) -> Result<AggregateSummary, StoreError> {
    let paths = (pairs_path, latencies_path);
    aggregate_in_one_pass(reader, org, opts, paths, progress, PART_RECORDS, counter)
}

fn aggregate_in_one_pass(
    reader: &mut EventReader,
    org: Option<&OrgChart>,
    opts: &AggregateOptions,
    (pairs_path, latencies_path): (&Path, &Path),
    progress: &dyn Fn(u64),
    part_records: usize,
    counter: Option<&mut Counter>,
) -> Result<AggregateSummary, StoreError> {
    let pairing = match opts.pairing {
        Pairing::Auto if reader.rows_with_reply_ids() > 0 => Pairing::Thread,
        Pairing::Auto => Pairing::NextMessage,
        other => other,
    };
    let compact = TABLE_OPTIONS;
    let pairs = TableWriter::create_with(pairs_path, "pairs", &PAIR_COLUMNS, &[], &compact)?;
    let latencies =
        TableWriter::create_with(latencies_path, "latencies", LATENCY_COLUMNS, &[], &compact)?;
    let (to_reducer, reducer_in) = sync_channel::<ToReducer>(2);
    let (spare_out, spare) = sync_channel::<Vec<Rec>>(1);
    let (to_encoder, encoder_in) = sync_channel::<ToEncoder>(2);
    let mut windows = Windows {
        specs: opts.windows.clone(),
        slots: Vec::new(),
        by_window: FxHashMap::default(),
        last: vec![None; opts.windows.len()],
        reply_window_ms: opts.reply_window_ms,
        fold: None,
        spilled: 0,
        part_records: part_records.max(1),
        spare,
        reducer: to_reducer,
    };
    let all = opts.windows.iter().position(|w| *w == WindowSpec::All);
    let part = opts
        .windows
        .iter()
        .position(|w| matches!(w, WindowSpec::Months | WindowSpec::Quarters));
    if let (Some(all), Some(part)) = (all, part) {
        windows.fold = Some((all, part));
        windows.slot_for(Window::All);
    }
    let pass = Pass {
        opts,
        pairing,
        windows,
        summary: AggregateSummary {
            rows: 0,
            events: 0,
            undated_rows: 0,
            pairing,
            latency_samples: 0,
            large_meetings: 0,
            windows: Vec::new(),
            pair_rows: 0,
        },
        sent: SentEvents::default(),
        expired: Vec::new(),
        to: Vec::new(),
        unanswered: FxHashMap::default(),
        latency_rows: Vec::new(),
        row_slots: Vec::new(),
        request_slots: Vec::new(),
        participants: Vec::new(),
    };
    let total = reader.total_rows();
    let spill_base = pairs_path.to_path_buf();
    let (tx, rx) = sync_channel::<Result<Batch, StoreError>>(4);
    let (to_counter, counter_in) = sync_channel::<Batch>(8);
    let to_counter = counter.is_some().then_some(to_counter);
    let (passed, reduced, encoded) = std::thread::scope(|scope| {
        scope.spawn(move || decode(reader, tx, to_counter));
        if let Some(counter) = counter {
            scope.spawn(move || {
                for batch in counter_in {
                    for row in batch.iter() {
                        counter.row(row);
                    }
                }
            });
        }
        let reducer =
            scope.spawn(move || sink::reduce(reducer_in, spare_out, to_encoder, org, spill_base));
        let encoder = scope.spawn(move || sink::encode(encoder_in, pairs, latencies));
        // The pass drops its end of every channel when it returns, so the stages finish.
        let passed = run_pass(pass, rx, progress);
        let reduced = reducer
            .join()
            .unwrap_or_else(|_| Err(StoreError::internal("the pair reducer panicked")));
        let encoded = encoder
            .join()
            .unwrap_or_else(|_| Err(StoreError::internal("the table encoder panicked")));
        (passed, reduced, encoded)
    });
    // A stage that failed is why the others stopped: its error comes first.
    let windows = reduced?;
    let (pair_rows, _) = encoded?;
    let mut summary = passed?;
    summary.windows = windows;
    summary.pair_rows = pair_rows;
    progress(total);
    Ok(summary)
}

/// Rows decoded together, shared by the pass and the activity counter.
type Batch = std::sync::Arc<Vec<Interaction>>;

/// The decoding stage: batches of rows in order, then the end (the channels close).
fn decode(
    reader: &mut EventReader,
    tx: SyncSender<Result<Batch, StoreError>>,
    counter: Option<SyncSender<Batch>>,
) {
    loop {
        let mut batch = Vec::with_capacity(1 << 16);
        while batch.len() < 1 << 16 {
            match reader.next_row() {
                Ok(Some(row)) => batch.push(row),
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
        if batch.is_empty() {
            return;
        }
        let batch = Batch::new(batch);
        if let Some(c) = &counter {
            // A counter that stopped only loses its own counts; the pass goes on.
            let _ = c.send(batch.clone());
        }
        if tx.send(Ok(batch)).is_err() {
            return;
        }
    }
}

/// The pass over all rows: groups them into interactions and closes windows as time moves on.
fn run_pass(
    mut pass: Pass,
    rx: Receiver<Result<Batch, StoreError>>,
    progress: &dyn Fn(u64),
) -> Result<AggregateSummary, StoreError> {
    let mut group: Vec<Interaction> = Vec::new();
    let mut last_seen: Option<i64> = None;
    let mut since_progress = 0u64;
    let mut next_close_check = i64::MIN;
    for batch in rx {
        for &row in batch?.iter() {
            pass.summary.rows += 1;
            if row.time_ms.is_some() {
                last_seen = row.time_ms;
            } else {
                pass.summary.undated_rows += 1;
            }
            since_progress += 1;
            if since_progress >= 1 << 20 {
                progress(pass.summary.rows);
                since_progress = 0;
            }
            if let Some(g) = group.first()
                && (g.event_id != row.event_id || g.time_ms != row.time_ms)
            {
                let done = g.time_ms;
                pass.group(&group)?;
                group.clear();
                // Close windows that no later row can change: up to the time of the group
                // just processed, whose expiry of unanswered requests and asks has run (a
                // later row's has not, and would find its window gone).
                if let Some(t) = done
                    && t >= next_close_check
                {
                    next_close_check = t + 3_600_000;
                    pass.windows.close(Some(t))?;
                    pass.windows.hand_over_full()?;
                }
            }
            group.push(row);
        }
    }
    if !group.is_empty() {
        pass.group(&group)?;
    }
    pass.finish(last_seen)
}
