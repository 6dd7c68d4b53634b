//! Where a window's update records go once the pass hands them over: a reducer thread sorts
//! them by pair and applies them ([`Reduced::absorb`]), writes each closed window's rows (and,
//! for a month folded into `all`, a sorted run on disk), and builds `all` by merging the runs;
//! an encoder thread turns the rows into Parquet row groups. Both work in the order the pass
//! sends, so the files do not depend on thread timing.

use crate::acc::{
    N_CHANNELS, N_KINDS, N_ROLES, PairAcc, Rec, Reduced, latency_stats, sort_by_pair,
};
use crate::spill::{SpillReader, SpillWriter};
use rustc_hash::FxHashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};
use store::StoreError;
use store::table::{ColumnData, TableWriter};
use vocab::{Kind, OrgChart, Window};

/// Rows of the pairs table per row group.
pub(crate) const CHUNK: usize = 1 << 17;

/// What happens to a window when it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Written.
    Write,
    /// Written, and kept as a sorted run to be merged into `all`.
    WriteAndSpill,
    /// `all`: its own records (undated rows) merged with every run spilled so far.
    MergeSpills,
}

pub(crate) enum ToReducer {
    /// Records of a window still open, absorbed now so that the pass's buffer stays bounded.
    Part { slot: usize, recs: Vec<Rec> },
    /// The last records of a window that no later row can change.
    Close {
        slot: usize,
        window: Window,
        recs: Vec<Rec>,
        fate: Fate,
    },
    /// Rows of the latencies table, in the order they were paired.
    Latencies(Vec<LatencyRow>),
}

/// (responder, requester, asked time, answer time, asked kind, answer kind, paired by thread)
pub type LatencyRow = (u32, u32, i64, i64, Kind, Kind, bool);

/// One row group of the `latencies` table (`LATENCY_COLUMNS`), the one definition of its
/// columns for every engine that writes it.
pub fn latency_columns(b: &[LatencyRow]) -> Vec<ColumnData> {
    let kinds: Arc<Vec<String>> =
        Arc::new(Kind::ALL.iter().map(|k| k.as_str().to_string()).collect());
    let pairings: Arc<Vec<String>> = Arc::new(vec!["thread".into(), "next_message".into()]);
    vec![
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
            codes: b.iter().map(|r| u32::from(!r.6)).collect(),
        },
    ]
}

pub(crate) enum ToEncoder {
    Pairs(Vec<ColumnData>),
    Latencies(Vec<LatencyRow>),
}

/// The reducer: runs until the pass drops its sender. Returns (window label, pairs written)
/// in the order the windows closed. Emptied record buffers go back through `spare`.
pub(crate) fn reduce(
    incoming: Receiver<ToReducer>,
    spare: SyncSender<Vec<Rec>>,
    encoder: SyncSender<ToEncoder>,
    org: Option<&OrgChart>,
    spill_base: PathBuf,
) -> Result<Vec<(String, u64)>, StoreError> {
    let mut states: FxHashMap<usize, Reduced> = FxHashMap::default();
    let mut spills: Vec<PathBuf> = Vec::new();
    let mut written = Vec::new();
    // Working memory of a sort, as large as the records: given back as soon as it is done.
    let sort = |recs: &mut Vec<Rec>| sort_by_pair(recs, &mut Vec::new());
    let out = Output {
        encoder: &encoder,
        org,
        relations: relation_names(),
    };
    let result = (|| {
        for message in incoming {
            match message {
                ToReducer::Latencies(rows) => out.send(ToEncoder::Latencies(rows))?,
                ToReducer::Part { slot, mut recs } => {
                    sort(&mut recs);
                    let state = states.remove(&slot).unwrap_or_default().absorb(&recs);
                    states.insert(slot, state);
                    recs.clear();
                    let _ = spare.try_send(recs);
                }
                ToReducer::Close {
                    slot,
                    window,
                    mut recs,
                    fate,
                } => {
                    sort(&mut recs);
                    // What earlier parts of the window left, if any; the rest is applied as
                    // it is written.
                    let state = states.remove(&slot).unwrap_or_default();
                    let label = window.label();
                    let n = match fate {
                        Fate::Write => out.write(&label, state, &recs, None)?,
                        Fate::WriteAndSpill => {
                            let path = spill_base.with_extension(format!("spill-{}", spills.len()));
                            let mut run = SpillWriter::create(&path)?;
                            spills.push(path);
                            let n = out.write(&label, state, &recs, Some(&mut run))?;
                            run.finish()?;
                            n
                        }
                        Fate::MergeSpills => out.merge(&label, state.absorb(&recs), &spills)?,
                    };
                    recs.clear();
                    let _ = spare.try_send(recs);
                    written.push((label, n));
                }
            }
        }
        Ok(written)
    })();
    for path in &spills {
        let _ = std::fs::remove_file(path);
    }
    result
}

struct Output<'a> {
    encoder: &'a SyncSender<ToEncoder>,
    org: Option<&'a OrgChart>,
    relations: Arc<Vec<String>>,
}

impl Output<'_> {
    fn send(&self, message: ToEncoder) -> Result<(), StoreError> {
        self.encoder
            .send(message)
            .map_err(|_| StoreError::internal("the table encoder stopped"))
    }

    /// Writes one window's rows in pair order, `recs` (sorted) applied to what `state` holds;
    /// when `run` is given, also spills every entry.
    fn write(
        &self,
        label: &str,
        state: Reduced,
        recs: &[Rec],
        mut run: Option<&mut SpillWriter>,
    ) -> Result<u64, StoreError> {
        let mut rows = Rows::new(label, self);
        let mut sorted: Vec<f32> = Vec::new();
        let mut n = 0u64;
        state.sweep(recs, |key, acc, samples| {
            if let Some(run) = run.as_deref_mut() {
                run.write(key, &acc, samples)?;
            }
            sorted.clear();
            sorted.extend_from_slice(samples);
            rows.push(key, &acc, &mut sorted);
            n += 1;
            if rows.len() == CHUNK {
                self.send(ToEncoder::Pairs(rows.take()))?;
            }
            Ok::<(), StoreError>(())
        })?;
        if rows.len() > 0 {
            self.send(ToEncoder::Pairs(rows.take()))?;
        }
        Ok(n)
    }

    /// Writes `all` as the merge of what it holds itself (undated rows) and the spilled runs,
    /// in that order, streaming: one entry of each run in memory at a time.
    fn merge(&self, label: &str, own: Reduced, runs: &[PathBuf]) -> Result<u64, StoreError> {
        let mut readers = runs
            .iter()
            .map(|p| SpillReader::open(p))
            .collect::<Result<Vec<_>, _>>()?;
        let mut heads = readers
            .iter_mut()
            .map(|r| r.next_entry())
            .collect::<Result<Vec<_>, _>>()?;
        let mut own_lat = own.latencies.into_iter().peekable();
        let mut own = own.accs.into_iter().peekable();
        let mut rows = Rows::new(label, self);
        let mut samples: Vec<f32> = Vec::new();
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
            samples.clear();
            if own_min == Some(key) {
                let (_, p) = own.next().expect("peeked");
                acc.merge(&p);
                while let Some((k, l)) = own_lat.peek()
                    && *k <= key
                {
                    if *k == key {
                        samples.push(*l);
                    }
                    own_lat.next();
                }
            }
            for (head, reader) in heads.iter_mut().zip(readers.iter_mut()) {
                if head.as_ref().is_some_and(|(k, _, _)| *k == key) {
                    let (_, p, l) = head.take().expect("checked");
                    acc.merge(&p);
                    samples.extend(l);
                    *head = reader.next_entry()?;
                }
            }
            rows.push(key, &acc, &mut samples);
            n += 1;
            if rows.len() == CHUNK {
                self.send(ToEncoder::Pairs(rows.take()))?;
            }
        }
        if rows.len() > 0 {
            self.send(ToEncoder::Pairs(rows.take()))?;
        }
        Ok(n)
    }
}

fn relation_names() -> Arc<Vec<String>> {
    Arc::new(
        vocab::RelationClass::ALL
            .iter()
            .map(|r| r.as_str().to_string())
            .chain(["self".to_string(), "unknown".to_string()])
            .collect(),
    )
}

/// The columns of `PAIR_COLUMNS` for up to [`CHUNK`] rows, filled a row at a time.
struct Rows<'a> {
    label: Arc<Vec<String>>,
    out: &'a Output<'a>,
    a: Vec<i32>,
    b: Vec<i32>,
    relation: Vec<u32>,
    n: Vec<i64>,
    /// weight, w_communication, w_meetings, w_requests, w_help, w_introductions, w_feedback,
    /// meeting_s
    layers: [Vec<f64>; 8],
    kinds: [Vec<i64>; N_KINDS],
    channels: [Vec<i64>; N_CHANNELS],
    roles: [Vec<i64>; N_ROLES],
    /// n_ignored, n_ask, n_answered, n_unanswered, n_latency
    counts: [Vec<i64>; 5],
    median: Vec<Option<f64>>,
    mean: Vec<Option<f64>>,
    first: Vec<Option<i64>>,
    last: Vec<Option<i64>>,
}

impl<'a> Rows<'a> {
    fn new(label: &str, out: &'a Output<'a>) -> Rows<'a> {
        Rows {
            label: Arc::new(vec![label.to_string()]),
            out,
            a: Vec::with_capacity(CHUNK),
            b: Vec::with_capacity(CHUNK),
            relation: Vec::with_capacity(CHUNK),
            n: Vec::with_capacity(CHUNK),
            layers: std::array::from_fn(|_| Vec::with_capacity(CHUNK)),
            kinds: std::array::from_fn(|_| Vec::with_capacity(CHUNK)),
            channels: std::array::from_fn(|_| Vec::with_capacity(CHUNK)),
            roles: std::array::from_fn(|_| Vec::with_capacity(CHUNK)),
            counts: std::array::from_fn(|_| Vec::with_capacity(CHUNK)),
            median: Vec::with_capacity(CHUNK),
            mean: Vec::with_capacity(CHUNK),
            first: Vec::with_capacity(CHUNK),
            last: Vec::with_capacity(CHUNK),
        }
    }

    fn len(&self) -> usize {
        self.a.len()
    }

    fn relation_code(&self, a: u32, b: u32) -> u32 {
        match self.out.org {
            Some(o) if (a as usize) < o.len() && (b as usize) < o.len() => {
                let r = o.relation(a as usize, b as usize);
                vocab::RelationClass::ALL
                    .iter()
                    .position(|x| *x == r)
                    .unwrap_or(7) as u32
            }
            _ => 8,
        }
    }

    fn push(&mut self, key: u64, p: &PairAcc, samples: &mut [f32]) {
        let (a, b) = ((key >> 32) as u32, key as u32);
        self.a.push(a as i32);
        self.b.push(b as i32);
        self.relation.push(self.relation_code(a, b));
        self.n.push(p.n as i64);
        let intro = p.kinds[Kind::Introduction.code() as usize];
        let feedback = p.kinds[Kind::FeedbackGiven.code() as usize] as u64
            + p.kinds[Kind::FeedbackAsked.code() as usize] as u64;
        for (column, v) in self.layers.iter_mut().zip([
            p.weight,
            p.w_communication,
            p.w_meetings,
            p.w_requests as f64,
            p.w_help as f64,
            intro as f64,
            feedback as f64,
            p.meeting_s,
        ]) {
            column.push(v);
        }
        for (column, &v) in self.kinds.iter_mut().zip(&p.kinds) {
            column.push(v as i64);
        }
        for (column, &v) in self.channels.iter_mut().zip(&p.channels) {
            column.push(v as i64);
        }
        for (column, &v) in self.roles.iter_mut().zip(&p.roles) {
            column.push(v as i64);
        }
        let (n_latency, median, mean) = latency_stats(samples);
        for (column, v) in self.counts.iter_mut().zip([
            p.n_ignored as i64,
            p.n_ask as i64,
            p.n_answered as i64,
            p.n_unanswered as i64,
            n_latency,
        ]) {
            column.push(v);
        }
        self.median.push(median);
        self.mean.push(mean);
        self.first.push((p.first != i64::MAX).then_some(p.first));
        self.last.push((p.last != i64::MIN).then_some(p.last));
    }

    /// The row group so far, in `PAIR_COLUMNS` order; the builder is left empty.
    fn take(&mut self) -> Vec<ColumnData> {
        let n = self.len();
        let mut fresh = Rows::new("", self.out);
        fresh.label = self.label.clone();
        let full = std::mem::replace(self, fresh);
        let mut columns = vec![
            ColumnData::Dict {
                values: full.label,
                codes: vec![0; n],
            },
            ColumnData::I32(full.a),
            ColumnData::I32(full.b),
            ColumnData::Dict {
                values: self.out.relations.clone(),
                codes: full.relation,
            },
            ColumnData::I64(full.n),
        ];
        columns.extend(full.layers.into_iter().map(ColumnData::F64));
        columns.extend(full.kinds.into_iter().map(ColumnData::I64));
        columns.extend(full.channels.into_iter().map(ColumnData::I64));
        columns.extend(full.roles.into_iter().map(ColumnData::I64));
        columns.extend(full.counts.into_iter().map(ColumnData::I64));
        columns.push(ColumnData::OptF64(full.median));
        columns.push(ColumnData::OptF64(full.mean));
        columns.push(ColumnData::OptI64(full.first));
        columns.push(ColumnData::OptI64(full.last));
        columns
    }
}

/// The encoder: writes row groups of both tables as they come, and finishes both files when
/// the reducer is done. Returns (pair rows, latency rows).
pub(crate) fn encode(
    incoming: Receiver<ToEncoder>,
    mut pairs: TableWriter,
    mut latencies: TableWriter,
) -> Result<(u64, u64), StoreError> {
    let (mut pair_rows, mut latency_rows) = (0u64, 0u64);
    for message in incoming {
        match message {
            ToEncoder::Pairs(columns) => {
                pair_rows += columns.first().map_or(0, ColumnData::len) as u64;
                pairs.write_row_group(&columns)?;
            }
            ToEncoder::Latencies(b) => {
                latencies.write_row_group(&latency_columns(&b))?;
                latency_rows += b.len() as u64;
            }
        }
    }
    pairs.finish()?;
    latencies.finish()?;
    Ok((pair_rows, latency_rows))
}
