//! The pair tables: one pass over time-ordered interactions, window accumulators that are
//! written and dropped as soon as no later row can change them, and reply pairing.

use crate::spill::{SpillReader, SpillWriter};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use store::table::{ColumnData, ColumnDef, ColumnType, TableWriter};
use store::{EventReader, StoreError};
use vocab::{Channel, Interaction, Kind, OrgChart, Role, Window, WindowSpec};

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

const N_KINDS: usize = 13;
const N_CHANNELS: usize = 8;
const N_ROLES: usize = 5;

fn kind_column(k: Kind) -> &'static str {
    match k {
        Kind::Message => "n_message",
        Kind::Request => "n_request",
        Kind::Reply => "n_reply",
        Kind::Fyi => "n_fyi",
        Kind::Decline => "n_decline",
        Kind::Accept => "n_accept",
        Kind::Introduction => "n_introduction",
        Kind::FeedbackGiven => "n_feedback_given",
        Kind::FeedbackAsked => "n_feedback_asked",
        Kind::Praise => "n_praise",
        Kind::Decision => "n_decision",
        Kind::Meeting => "n_meeting",
        Kind::Tie => "n_tie",
    }
}

fn channel_column(c: Channel) -> &'static str {
    match c {
        Channel::Email => "ch_email",
        Channel::Chat => "ch_chat",
        Channel::Meeting => "ch_meeting",
        Channel::Call => "ch_call",
        Channel::Ticket => "ch_ticket",
        Channel::Review => "ch_review",
        Channel::Collaboration => "ch_collaboration",
        Channel::Other => "ch_other",
    }
}

fn role_column(r: Role) -> &'static str {
    match r {
        Role::To => "n_to",
        Role::Cc => "n_cc",
        Role::Bcc => "n_bcc",
        Role::Attendee => "n_attendee",
        Role::Organizer => "n_organizer",
    }
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

#[derive(Debug, Clone)]
pub(crate) struct PairAcc {
    pub(crate) n: u32,
    weight: f64,
    w_communication: f64,
    w_meetings: f64,
    meeting_s: f64,
    w_requests: u32,
    w_help: u32,
    kinds: [u32; N_KINDS],
    channels: [u32; N_CHANNELS],
    roles: [u32; N_ROLES],
    n_ignored: u32,
    /// Asks a made of b that were decided (answered, or left unanswered for the reply window),
    /// counted in the ask's windows: messages that opened a thread, To at most `MAX_ASK_TO`
    /// people. Asks still open when the data ends count nowhere.
    n_ask: u32,
    /// Asks of b that a answered in the thread.
    n_answered: u32,
    /// Asks of b that a left without an answer in the thread for the reply window.
    n_unanswered: u32,
    pub(crate) first: i64,
    pub(crate) last: i64,
}

use vocab::MAX_ASK_TO;

/// Where the counters after the roles start in [`PairAcc::ints`].
const TAIL: usize = 3 + N_KINDS + N_CHANNELS + N_ROLES;

impl PairAcc {
    pub(crate) const N_INTS: usize = TAIL + 4;

    /// The integer fields, in a fixed order (for spilling).
    pub(crate) fn ints(&self) -> [u32; Self::N_INTS] {
        let mut out = [0u32; Self::N_INTS];
        out[0] = self.n;
        out[1] = self.w_requests;
        out[2] = self.w_help;
        out[3..3 + N_KINDS].copy_from_slice(&self.kinds);
        out[3 + N_KINDS..3 + N_KINDS + N_CHANNELS].copy_from_slice(&self.channels);
        out[3 + N_KINDS + N_CHANNELS..TAIL].copy_from_slice(&self.roles);
        out[TAIL] = self.n_ignored;
        out[TAIL + 1] = self.n_ask;
        out[TAIL + 2] = self.n_answered;
        out[TAIL + 3] = self.n_unanswered;
        out
    }

    pub(crate) fn floats(&self) -> [f64; 4] {
        [
            self.weight,
            self.w_communication,
            self.w_meetings,
            self.meeting_s,
        ]
    }

    pub(crate) fn from_parts(
        ints: [u32; Self::N_INTS],
        floats: [f64; 4],
        first: i64,
        last: i64,
    ) -> PairAcc {
        let mut p = PairAcc {
            n: ints[0],
            w_requests: ints[1],
            w_help: ints[2],
            n_ignored: ints[TAIL],
            n_ask: ints[TAIL + 1],
            n_answered: ints[TAIL + 2],
            n_unanswered: ints[TAIL + 3],
            weight: floats[0],
            w_communication: floats[1],
            w_meetings: floats[2],
            meeting_s: floats[3],
            first,
            last,
            ..PairAcc::default()
        };
        p.kinds.copy_from_slice(&ints[3..3 + N_KINDS]);
        p.channels
            .copy_from_slice(&ints[3 + N_KINDS..3 + N_KINDS + N_CHANNELS]);
        p.roles
            .copy_from_slice(&ints[3 + N_KINDS + N_CHANNELS..TAIL]);
        p
    }

    fn merge(&mut self, o: &PairAcc) {
        self.n += o.n;
        self.weight += o.weight;
        self.w_communication += o.w_communication;
        self.w_meetings += o.w_meetings;
        self.meeting_s += o.meeting_s;
        self.w_requests += o.w_requests;
        self.w_help += o.w_help;
        for (a, b) in self.kinds.iter_mut().zip(o.kinds) {
            *a += b;
        }
        for (a, b) in self.channels.iter_mut().zip(o.channels) {
            *a += b;
        }
        for (a, b) in self.roles.iter_mut().zip(o.roles) {
            *a += b;
        }
        self.n_ignored += o.n_ignored;
        self.n_ask += o.n_ask;
        self.n_answered += o.n_answered;
        self.n_unanswered += o.n_unanswered;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }
}

impl Default for PairAcc {
    fn default() -> Self {
        PairAcc {
            n: 0,
            weight: 0.0,
            w_communication: 0.0,
            w_meetings: 0.0,
            meeting_s: 0.0,
            w_requests: 0,
            w_help: 0,
            kinds: [0; N_KINDS],
            channels: [0; N_CHANNELS],
            roles: [0; N_ROLES],
            n_ignored: 0,
            n_ask: 0,
            n_answered: 0,
            n_unanswered: 0,
            first: i64::MAX,
            last: i64::MIN,
        }
    }
}

fn pair_key(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

type PairMap = FxHashMap<u64, PairAcc>;
type LatencyMap = FxHashMap<u64, Vec<f32>>;

struct Slot {
    window: Window,
    pairs: PairMap,
    /// Reply latencies (seconds) by pair; most pairs have none.
    latencies: LatencyMap,
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
    /// as a sorted run to disk, and `all` is the merge of the runs. Half the random updates per
    /// row, and memory bounded by the open windows. (spec index of `all`, of the partition)
    fold: Option<(usize, usize)>,
    /// Emptied tables of the last closed window, with their capacity.
    spare: Option<(PairMap, LatencyMap)>,
    /// Sorted runs of closed partition windows, merged into `all` at the end.
    spills: Vec<PathBuf>,
}

impl Windows {
    fn slot_for(&mut self, window: Window) -> usize {
        if let Some(&i) = self.by_window.get(&window) {
            return i;
        }
        let open_until = window
            .bounds()
            .map(|(_, end)| end.saturating_add(self.reply_window_ms));
        let (pairs, latencies) = self.spare.take().unwrap_or_default();
        self.slots.push(Some(Slot {
            window,
            pairs,
            latencies,
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

    fn latencies(&mut self, slot: usize, a: u32, b: u32) -> Option<&mut Vec<f32>> {
        self.slots[slot]
            .as_mut()
            .map(|s| s.latencies.entry(pair_key(a, b)).or_default())
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

    fn pair(&mut self, slot: usize, a: u32, b: u32) -> Option<&mut PairAcc> {
        self.slots[slot]
            .as_mut()
            .map(|s| s.pairs.entry(pair_key(a, b)).or_default())
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

/// What the reply pairing remembers about a sent interaction.
#[derive(Clone, Copy)]
struct Sent {
    time: i64,
    actor: u32,
    kind: Kind,
}

struct Writers {
    pairs: TableWriter,
    latencies: TableWriter,
    lat_buf: Vec<(u32, u32, i64, i64, Kind, Kind, &'static str)>,
    pair_rows: u64,
    latency_rows: u64,
    /// Spilled runs are written next to this path.
    spill_base: PathBuf,
}

impl Writers {
    fn flush_latencies(&mut self) -> Result<(), StoreError> {
        if self.lat_buf.is_empty() {
            return Ok(());
        }
        let b = &self.lat_buf;
        let kinds: std::sync::Arc<Vec<String>> =
            std::sync::Arc::new(Kind::ALL.iter().map(|k| k.as_str().to_string()).collect());
        let pairings: std::sync::Arc<Vec<String>> =
            std::sync::Arc::new(vec!["thread".into(), "next_message".into()]);
        self.latencies.write_row_group(&[
            ColumnData::I32(b.iter().map(|r| r.0 as i32).collect()),
            ColumnData::I32(b.iter().map(|r| r.1 as i32).collect()),
            ColumnData::I64(b.iter().map(|r| r.2).collect()),
            ColumnData::I64(b.iter().map(|r| r.3).collect()),
            ColumnData::F64(b.iter().map(|r| (r.3 - r.2) as f64 / 1000.0).collect()),
            ColumnData::Dict {
                values: kinds.clone(),
                codes: b.iter().map(|r| r.4.code() as u32).collect(),
            },
            ColumnData::Dict {
                values: kinds,
                codes: b.iter().map(|r| r.5.code() as u32).collect(),
            },
            ColumnData::Dict {
                values: pairings,
                codes: b.iter().map(|r| u32::from(r.6 != "thread")).collect(),
            },
        ])?;
        self.latency_rows += b.len() as u64;
        self.lat_buf.clear();
        Ok(())
    }

    /// Writes one window, sorted by pair; when `spill` is given, also appends every entry to it.
    fn write_slot(
        &mut self,
        slot: &mut Slot,
        org: Option<&OrgChart>,
        mut spill: Option<&mut SpillWriter>,
    ) -> Result<u64, StoreError> {
        let label = slot.window.label();
        let Slot {
            pairs, latencies, ..
        } = slot;
        // Sort references, not the accumulators themselves; write modest row groups so that
        // column buffers are reused rather than mapped afresh.
        let mut entries: Vec<(u64, &PairAcc)> = pairs.iter().map(|(k, p)| (*k, p)).collect();
        entries.sort_unstable_by_key(|(k, _)| *k);
        let n = entries.len() as u64;
        for chunk in entries.chunks(1 << 17) {
            let lats: Vec<Option<Vec<f32>>> =
                chunk.iter().map(|(k, _)| latencies.remove(k)).collect();
            if let Some(spill) = spill.as_deref_mut() {
                for ((key, acc), l) in chunk.iter().zip(&lats) {
                    spill.write(*key, acc, l.as_deref().unwrap_or(&[]))?;
                }
            }
            self.write_chunk(&label, chunk, lats, org)?;
        }
        self.pair_rows += n;
        Ok(n)
    }

    /// Writes the window `all` as the merge of the spilled runs and what `slot` holds itself
    /// (undated rows), streaming: one entry of each run in memory at a time.
    fn write_merged(
        &mut self,
        slot: &mut Slot,
        runs: Vec<PathBuf>,
        org: Option<&OrgChart>,
    ) -> Result<u64, StoreError> {
        let label = slot.window.label();
        let Slot {
            pairs, latencies, ..
        } = slot;
        let mut own: Vec<(u64, &PairAcc)> = pairs.iter().map(|(k, p)| (*k, p)).collect();
        own.sort_unstable_by_key(|(k, _)| *k);
        let mut own = own.into_iter().peekable();
        let mut readers = runs
            .iter()
            .map(|p| SpillReader::open(p))
            .collect::<Result<Vec<_>, _>>()?;
        let mut heads = readers
            .iter_mut()
            .map(|r| r.next_entry())
            .collect::<Result<Vec<_>, _>>()?;
        let mut buffer: Vec<(u64, PairAcc)> = Vec::with_capacity(1 << 17);
        let mut lats: Vec<Option<Vec<f32>>> = Vec::with_capacity(1 << 17);
        let mut n = 0u64;
        loop {
            let run_min = heads.iter().flatten().map(|(k, _, _)| *k).min();
            let own_min = own.peek().map(|(k, _)| *k);
            let key = match (run_min, own_min) {
                (None, None) => break,
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
            };
            let mut acc = PairAcc::default();
            let mut samples: Vec<f32> = Vec::new();
            if own_min == Some(key) {
                let (_, p) = own.next().expect("peeked");
                acc.merge(p);
                samples.extend(latencies.remove(&key).unwrap_or_default());
            }
            for (head, reader) in heads.iter_mut().zip(readers.iter_mut()) {
                if head.as_ref().is_some_and(|(k, _, _)| *k == key) {
                    let (_, p, l) = head.take().expect("checked");
                    acc.merge(&p);
                    samples.extend(l);
                    *head = reader.next_entry()?;
                }
            }
            buffer.push((key, acc));
            lats.push((!samples.is_empty()).then_some(samples));
            if buffer.len() == 1 << 17 {
                let refs: Vec<(u64, &PairAcc)> = buffer.iter().map(|(k, p)| (*k, p)).collect();
                self.write_chunk(&label, &refs, std::mem::take(&mut lats), org)?;
                n += buffer.len() as u64;
                buffer.clear();
            }
        }
        if !buffer.is_empty() {
            let refs: Vec<(u64, &PairAcc)> = buffer.iter().map(|(k, p)| (*k, p)).collect();
            self.write_chunk(&label, &refs, lats, org)?;
            n += buffer.len() as u64;
        }
        for run in runs {
            let _ = std::fs::remove_file(run);
        }
        self.pair_rows += n;
        Ok(n)
    }

    fn write_chunk(
        &mut self,
        label: &str,
        chunk: &[(u64, &PairAcc)],
        lats: Vec<Option<Vec<f32>>>,
        org: Option<&OrgChart>,
    ) -> Result<(), StoreError> {
        {
            let label_dict = std::sync::Arc::new(vec![label.to_string()]);
            let relations: std::sync::Arc<Vec<String>> = std::sync::Arc::new(
                vocab::RelationClass::ALL
                    .iter()
                    .map(|r| r.as_str().to_string())
                    .chain(["self".to_string(), "unknown".to_string()])
                    .collect(),
            );
            let relation_code = |a: u32, b: u32| -> u32 {
                match org {
                    Some(o) if (a as usize) < o.len() && (b as usize) < o.len() => {
                        let r = o.relation(a as usize, b as usize);
                        vocab::RelationClass::ALL
                            .iter()
                            .position(|x| *x == r)
                            .unwrap_or(7) as u32
                    }
                    _ => 8,
                }
            };
            let a_of = |k: u64| (k >> 32) as u32;
            let b_of = |k: u64| (k & 0xFFFF_FFFF) as u32;
            let mut columns = vec![
                ColumnData::Dict {
                    values: label_dict,
                    codes: vec![0; chunk.len()],
                },
                ColumnData::I32(chunk.iter().map(|(k, _)| a_of(*k) as i32).collect()),
                ColumnData::I32(chunk.iter().map(|(k, _)| b_of(*k) as i32).collect()),
                ColumnData::Dict {
                    values: relations,
                    codes: chunk
                        .iter()
                        .map(|(k, _)| relation_code(a_of(*k), b_of(*k)))
                        .collect(),
                },
                ColumnData::I64(chunk.iter().map(|(_, p)| p.n as i64).collect()),
                ColumnData::F64(chunk.iter().map(|(_, p)| p.weight).collect()),
                ColumnData::F64(chunk.iter().map(|(_, p)| p.w_communication).collect()),
                ColumnData::F64(chunk.iter().map(|(_, p)| p.w_meetings).collect()),
                ColumnData::F64(chunk.iter().map(|(_, p)| p.w_requests as f64).collect()),
                ColumnData::F64(chunk.iter().map(|(_, p)| p.w_help as f64).collect()),
                ColumnData::F64(
                    chunk
                        .iter()
                        .map(|(_, p)| p.kinds[Kind::Introduction.code() as usize] as f64)
                        .collect(),
                ),
                ColumnData::F64(
                    chunk
                        .iter()
                        .map(|(_, p)| {
                            (p.kinds[Kind::FeedbackGiven.code() as usize]
                                + p.kinds[Kind::FeedbackAsked.code() as usize])
                                as f64
                        })
                        .collect(),
                ),
                ColumnData::F64(chunk.iter().map(|(_, p)| p.meeting_s).collect()),
            ];
            for k in 0..N_KINDS {
                columns.push(ColumnData::I64(
                    chunk.iter().map(|(_, p)| p.kinds[k] as i64).collect(),
                ));
            }
            for c in 0..N_CHANNELS {
                columns.push(ColumnData::I64(
                    chunk.iter().map(|(_, p)| p.channels[c] as i64).collect(),
                ));
            }
            for r in 0..N_ROLES {
                columns.push(ColumnData::I64(
                    chunk.iter().map(|(_, p)| p.roles[r] as i64).collect(),
                ));
            }
            let mut medians = Vec::with_capacity(chunk.len());
            let mut means = Vec::with_capacity(chunk.len());
            let mut counts = Vec::with_capacity(chunk.len());
            for l in lats {
                let Some(mut l) = l else {
                    medians.push(None);
                    means.push(None);
                    counts.push(0);
                    continue;
                };
                {
                    l.sort_unstable_by(f32::total_cmp);
                    let m = l.len();
                    counts.push(m as i64);
                    let median = if m % 2 == 1 {
                        l[m / 2] as f64
                    } else {
                        (l[m / 2 - 1] as f64 + l[m / 2] as f64) / 2.0
                    };
                    medians.push(Some(median));
                    means.push(Some(l.iter().map(|&x| x as f64).sum::<f64>() / m as f64));
                }
            }
            columns.push(ColumnData::I64(
                chunk.iter().map(|(_, p)| p.n_ignored as i64).collect(),
            ));
            columns.push(ColumnData::I64(
                chunk.iter().map(|(_, p)| p.n_ask as i64).collect(),
            ));
            columns.push(ColumnData::I64(
                chunk.iter().map(|(_, p)| p.n_answered as i64).collect(),
            ));
            columns.push(ColumnData::I64(
                chunk.iter().map(|(_, p)| p.n_unanswered as i64).collect(),
            ));
            columns.push(ColumnData::I64(counts));
            columns.push(ColumnData::OptF64(medians));
            columns.push(ColumnData::OptF64(means));
            columns.push(ColumnData::OptI64(
                chunk
                    .iter()
                    .map(|(_, p)| (p.first != i64::MAX).then_some(p.first))
                    .collect(),
            ));
            columns.push(ColumnData::OptI64(
                chunk
                    .iter()
                    .map(|(_, p)| (p.last != i64::MIN).then_some(p.last))
                    .collect(),
            ));
            self.pairs.write_row_group(&columns)?;
        }
        Ok(())
    }
}

/// Aggregates every row of `reader` into `pairs_path` and `latencies_path` (Parquet).
/// `org` gives each pair its relation class; without it the class is `unknown`.
pub fn aggregate(
    reader: &mut EventReader,
    org: Option<&OrgChart>,
    opts: &AggregateOptions,
    pairs_path: &Path,
    latencies_path: &Path,
    progress: &dyn Fn(u64),
) -> Result<AggregateSummary, StoreError> {
    let pairing = match opts.pairing {
        Pairing::Auto if reader.rows_with_reply_ids() > 0 => Pairing::Thread,
        Pairing::Auto => Pairing::NextMessage,
        other => other,
    };
    let mut windows = Windows {
        specs: opts.windows.clone(),
        slots: Vec::new(),
        by_window: FxHashMap::default(),
        last: vec![None; opts.windows.len()],
        reply_window_ms: opts.reply_window_ms,
        fold: None,
        spare: None,
        spills: Vec::new(),
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
    let mut writers = Writers {
        pairs: TableWriter::create(pairs_path, "pairs", &PAIR_COLUMNS, &[])?,
        latencies: TableWriter::create(latencies_path, "latencies", LATENCY_COLUMNS, &[])?,
        lat_buf: Vec::new(),
        pair_rows: 0,
        latency_rows: 0,
        spill_base: pairs_path.to_path_buf(),
    };
    let mut summary = AggregateSummary {
        rows: 0,
        events: 0,
        undated_rows: 0,
        pairing,
        latency_samples: 0,
        large_meetings: 0,
        windows: Vec::new(),
        pair_rows: 0,
    };
    // Thread pairing: what was sent (by event), which requests are still open (event, recipient),
    // and the order in which they expire.
    let mut sent: FxHashMap<u64, Sent> = FxHashMap::default();
    let mut open_requests: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    let mut open_asks: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    let mut expiry: VecDeque<(i64, u64)> = VecDeque::new();
    // Next-message pairing: the earliest unanswered message of each directed pair.
    let mut unanswered: FxHashMap<u64, Open> = FxHashMap::default();

    let mut group: Vec<Interaction> = Vec::new();
    let mut row_slots = Vec::new();
    let mut request_slots = Vec::new();
    let mut participants: Vec<(u32, Role)> = Vec::new();
    let mut next_close_check = i64::MIN;

    let mut process_group = |group: &[Interaction],
                             windows: &mut Windows,
                             writers: &mut Writers,
                             summary: &mut AggregateSummary|
     -> Result<(), StoreError> {
        let first = group[0];
        summary.events += 1;
        let time = first.time_ms;
        windows.slots_of(time, &mut row_slots);
        let is_meeting = group
            .iter()
            .any(|r| r.channel == Channel::Meeting || r.kind == Kind::Meeting);
        for r in group {
            let (a, b) = (r.actor.0, r.recipient.0);
            if a == b {
                continue;
            }
            for &slot in &row_slots {
                let Some(p) = windows.pair(slot, a, b) else {
                    continue;
                };
                p.n += 1;
                p.weight += r.weight as f64;
                p.kinds[r.kind.code() as usize] += 1;
                p.channels[r.channel.code() as usize] += 1;
                p.roles[r.role.code() as usize] += 1;
                if let Some(t) = time {
                    p.first = p.first.min(t);
                    p.last = p.last.max(t);
                }
                if !is_meeting {
                    p.w_communication += r.weight as f64;
                }
                match r.kind {
                    Kind::Request if r.role == Role::To => p.w_requests += 1,
                    _ => {}
                }
            }
        }
        // Meetings: co-attendance between every two participants.
        if is_meeting {
            participants.clear();
            participants.push((first.actor.0, Role::Organizer));
            for r in group {
                if !participants.iter().any(|(p, _)| *p == r.recipient.0) {
                    participants.push((r.recipient.0, r.role));
                }
            }
            let k = participants.len();
            let duration = group.iter().filter_map(|r| r.duration_s).max().unwrap_or(0) as f64;
            if k >= 2 {
                let w = 1.0 / (k as f64 - 1.0);
                let large = k > opts.max_meeting_size;
                if large {
                    summary.large_meetings += 1;
                }
                for i in 0..k {
                    for j in 0..k {
                        if i == j || (large && i != 0 && j != 0) {
                            continue;
                        }
                        let (a, b) = (participants[i].0, participants[j].0);
                        for &slot in &row_slots {
                            if let Some(p) = windows.pair(slot, a, b) {
                                p.w_meetings += w;
                                p.meeting_s += duration;
                            }
                        }
                    }
                }
            }
        }
        let Some(t) = time else { return Ok(()) };
        // Reply pairing.
        for r in group {
            let (a, b) = (r.actor.0, r.recipient.0);
            if a == b || r.role == Role::Organizer {
                continue;
            }
            let mut answered: Option<(i64, Kind, &'static str)> = None;
            let mut fulfils = false;
            match pairing {
                Pairing::Thread | Pairing::Auto => {
                    if let Some(e) = r.in_reply_to
                        && let Some(s) = sent.get(&e)
                        && s.actor == b
                        && s.time <= t
                    {
                        let was_open = match open_requests.get_mut(&e) {
                            Some(open) => match open.iter().position(|&x| x == a) {
                                Some(i) => {
                                    open.swap_remove(i);
                                    true
                                }
                                None => false,
                            },
                            None => false,
                        };
                        if was_open || s.kind != Kind::Request {
                            answered = Some((s.time, s.kind, "thread"));
                            fulfils = was_open;
                        }
                        if let Some(open) = open_asks.get_mut(&e)
                            && let Some(i) = open.iter().position(|&x| x == a)
                        {
                            // Decided: counted in the ask's windows, both ways.
                            open.swap_remove(i);
                            windows.slots_of(Some(s.time), &mut request_slots);
                            for &slot in &request_slots {
                                if let Some(p) = windows.pair(slot, a, b) {
                                    p.n_answered += 1;
                                }
                                if let Some(p) = windows.pair(slot, b, a) {
                                    p.n_ask += 1;
                                }
                            }
                        }
                    }
                }
                Pairing::NextMessage => {
                    if let Some(open) = unanswered.remove(&pair_key(b, a)) {
                        let in_time = |t0: i64| t - t0 <= opts.reply_window_ms;
                        fulfils = open.request.is_some_and(in_time);
                        if in_time(open.first) {
                            answered = Some((open.first, open.kind, "next_message"));
                        } else if let Some(tr) = open.request.filter(|&tr| in_time(tr)) {
                            answered = Some((tr, Kind::Request, "next_message"));
                        }
                        if let Some(tr) = open.request.filter(|&tr| !in_time(tr)) {
                            // Too late to count: the earlier request was ignored.
                            windows.slots_of(Some(tr), &mut request_slots);
                            for &slot in &request_slots {
                                if let Some(p) = windows.pair(slot, a, b) {
                                    p.n_ignored += 1;
                                }
                            }
                        }
                    }
                    let open = unanswered.entry(pair_key(a, b)).or_insert(Open {
                        first: t,
                        kind: r.kind,
                        request: None,
                    });
                    if r.kind == Kind::Request && open.request.is_none() {
                        open.request = Some(t);
                    }
                }
            }
            if let Some((asked, asked_kind, how)) = answered {
                let latency_s = ((t - asked) as f64 / 1000.0) as f32;
                for &slot in &row_slots {
                    if let Some(l) = windows.latencies(slot, a, b) {
                        l.push(latency_s);
                    }
                    if let Some(p) = windows.pair(slot, a, b)
                        && fulfils
                        && matches!(r.kind, Kind::Reply | Kind::Accept)
                    {
                        p.w_help += 1;
                    }
                }
                writers
                    .lat_buf
                    .push((a, b, asked, t, asked_kind, r.kind, how));
                summary.latency_samples += 1;
                if writers.lat_buf.len() >= 1 << 20 {
                    writers.flush_latencies()?;
                }
            } else if r.kind == Kind::Accept && pairing == Pairing::NextMessage {
                for &slot in &row_slots {
                    if let Some(p) = windows.pair(slot, a, b) {
                        p.w_help += 1;
                    }
                }
            }
        }
        if pairing != Pairing::NextMessage {
            sent.insert(
                first.event_id,
                Sent {
                    time: t,
                    actor: first.actor.0,
                    kind: first.kind,
                },
            );
            expiry.push_back((t, first.event_id));
            if first.kind == Kind::Request {
                let open: Vec<u32> = group
                    .iter()
                    .filter(|r| r.role == Role::To && r.recipient != r.actor)
                    .map(|r| r.recipient.0)
                    .collect();
                if !open.is_empty() {
                    open_requests.insert(first.event_id, open);
                }
            }
            // An ask: a message that opens a thread, To a few people.
            if first.in_reply_to.is_none()
                && !is_meeting
                && !matches!(
                    first.kind,
                    Kind::Reply | Kind::Accept | Kind::Decline | Kind::Meeting | Kind::Tie
                )
            {
                let to: Vec<u32> = group
                    .iter()
                    .filter(|r| r.role == Role::To && r.recipient != r.actor)
                    .map(|r| r.recipient.0)
                    .collect();
                if !to.is_empty() && to.len() <= MAX_ASK_TO {
                    open_asks.insert(first.event_id, to);
                }
            }
            // Expire what can no longer be answered; open requests among them were ignored.
            while let Some(&(t0, e)) = expiry.front() {
                if t - t0 <= opts.reply_window_ms {
                    break;
                }
                expiry.pop_front();
                if let Some(s) = sent.remove(&e) {
                    expire(
                        e,
                        s,
                        [&mut open_requests, &mut open_asks],
                        windows,
                        &mut request_slots,
                    );
                }
            }
        }
        Ok(())
    };

    let total = reader.total_rows();
    let mut last_seen: Option<i64> = None;
    let mut since_progress = 0u64;
    // One thread decodes the Parquet segments, this one aggregates.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Interaction>, StoreError>>(4);
    std::thread::scope(|scope| -> Result<(), StoreError> {
        scope.spawn(move || {
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
                if batch.is_empty() || tx.send(Ok(batch)).is_err() {
                    return;
                }
            }
        });
        for batch in rx {
            for row in batch? {
                summary.rows += 1;
                if row.time_ms.is_some() {
                    last_seen = row.time_ms;
                }
                if row.time_ms.is_none() {
                    summary.undated_rows += 1;
                }
                since_progress += 1;
                if since_progress >= 1 << 20 {
                    progress(summary.rows);
                    since_progress = 0;
                }
                if let Some(g) = group.first()
                    && (g.event_id != row.event_id || g.time_ms != row.time_ms)
                {
                    let done = g.time_ms;
                    process_group(&group, &mut windows, &mut writers, &mut summary)?;
                    group.clear();
                    // Close windows that no later row can change: up to the time of the group
                    // just processed, whose expiry of unanswered requests and asks has run (a
                    // later row's has not, and would find its window gone).
                    if let Some(t) = done
                        && t >= next_close_check
                    {
                        next_close_check = t + 3_600_000;
                        close_windows(&mut windows, &mut writers, org, Some(t), &mut summary)?;
                    }
                }
                group.push(row);
            }
        }
        Ok(())
    })?;
    if !group.is_empty() {
        process_group(&group, &mut windows, &mut writers, &mut summary)?;
    }
    // Requests still open at the end were ignored only if they had the whole pairing window.
    let end = windows_end(&expiry);
    if let Some(end) = end {
        while let Some((t0, e)) = expiry.pop_front() {
            if end - t0 <= opts.reply_window_ms {
                break;
            }
            if let Some(s) = sent.remove(&e) {
                expire(
                    e,
                    s,
                    [&mut open_requests, &mut open_asks],
                    &mut windows,
                    &mut request_slots,
                );
            }
        }
    }
    if pairing == Pairing::NextMessage {
        let last_time = last_seen;
        let mut leftovers: Vec<(u64, i64)> = unanswered
            .into_iter()
            .filter_map(|(k, o)| o.request.map(|t| (k, t)))
            .collect();
        leftovers.sort_unstable_by_key(|(k, t)| (*t, *k));
        for (key, t0) in leftovers {
            if last_time.is_some_and(|end| end - t0 > opts.reply_window_ms) {
                let (asker, target) = ((key >> 32) as u32, (key & 0xFFFF_FFFF) as u32);
                windows.slots_of(Some(t0), &mut request_slots);
                for &slot in &request_slots {
                    if let Some(p) = windows.pair(slot, target, asker) {
                        p.n_ignored += 1;
                    }
                }
            }
        }
    }
    close_windows(&mut windows, &mut writers, org, None, &mut summary)?;
    writers.flush_latencies()?;
    writers.pairs.finish()?;
    writers.latencies.finish()?;
    summary.pair_rows = writers.pair_rows;
    progress(total);
    Ok(summary)
}

fn windows_end(expiry: &VecDeque<(i64, u64)>) -> Option<i64> {
    expiry.back().map(|(t, _)| *t)
}

/// What is still open of an event when its reply window closes, in the event's windows: each
/// recipient still open on a request ignored it (`n_ignored`), and each still open on an ask left
/// it unanswered (`n_unanswered`; the ask, now decided, counts in `n_ask`).
fn expire(
    event: u64,
    sent: Sent,
    [requests, asks]: [&mut FxHashMap<u64, Vec<u32>>; 2],
    windows: &mut Windows,
    slots: &mut Vec<usize>,
) {
    let ignored = requests.remove(&event).unwrap_or_default();
    let unanswered = asks.remove(&event).unwrap_or_default();
    if ignored.is_empty() && unanswered.is_empty() {
        return;
    }
    windows.slots_of(Some(sent.time), slots);
    for &slot in slots.iter() {
        for &recipient in &ignored {
            if let Some(p) = windows.pair(slot, recipient, sent.actor) {
                p.n_ignored += 1;
            }
        }
        for &recipient in &unanswered {
            if let Some(p) = windows.pair(slot, recipient, sent.actor) {
                p.n_unanswered += 1;
            }
            if let Some(p) = windows.pair(slot, sent.actor, recipient) {
                p.n_ask += 1;
            }
        }
    }
}

fn close_windows(
    windows: &mut Windows,
    writers: &mut Writers,
    org: Option<&OrgChart>,
    now: Option<i64>,
    summary: &mut AggregateSummary,
) -> Result<(), StoreError> {
    let mut closing: Vec<usize> = (0..windows.slots.len())
        .filter(|&i| match (&windows.slots[i], now) {
            (Some(_), None) => true,
            (Some(s), Some(t)) => s.open_until.is_some_and(|u| t >= u),
            (None, _) => false,
        })
        .collect();
    // `all` goes last: partition windows are folded into it as they close.
    closing.sort_by_key(|&i| {
        windows.slots[i]
            .as_ref()
            .map(|s| (s.window == Window::All, s.window))
    });
    for i in closing {
        let mut slot = windows.slots[i].take().expect("open slot");
        let label = slot.window.label();
        let n = if slot.window == Window::All && !windows.spills.is_empty() {
            let runs = std::mem::take(&mut windows.spills);
            writers.write_merged(&mut slot, runs, org)?
        } else if windows.folds(&slot.window) {
            let path = writers
                .spill_base
                .with_extension(format!("spill-{}", windows.spills.len()));
            let mut spill = SpillWriter::create(&path)?;
            let n = writers.write_slot(&mut slot, org, Some(&mut spill))?;
            windows.spills.push(spill.finish()?);
            n
        } else {
            writers.write_slot(&mut slot, org, None)?
        };
        // The next window reuses the tables' memory.
        slot.pairs.clear();
        slot.latencies.clear();
        windows.spare = Some((slot.pairs, slot.latencies));
        summary.windows.push((label, n));
    }
    Ok(())
}
