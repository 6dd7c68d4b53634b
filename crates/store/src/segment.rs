//! Interaction segments: one Parquet file per ingest run, one row per actor–recipient pair,
//! each row group sorted by (time, event_id). Readers merge all row groups of all segments into
//! one stream in time order while holding only a small batch of each in memory.

use crate::StoreError;
use crate::table::{ColumnData, ColumnDef, ColumnType, TableOptions, TableWriter};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{DataType, FloatType, Int32Type, Int64Type};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::statistics::Statistics;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::path::{Path, PathBuf};
use vocab::{Channel, Interaction, Kind, PersonIdx, Role};

/// Columns of an interaction segment. Role, channel and kind are stored as small integer codes
/// (their order in `vocab`); the code tables are in each file's key-value metadata.
pub const SEGMENT_COLUMNS: &[ColumnDef] = &[
    ColumnDef::new("event_id", ColumnType::I64),
    ColumnDef::nullable("time", ColumnType::TimestampMs),
    ColumnDef::new("actor", ColumnType::I32),
    ColumnDef::new("recipient", ColumnType::I32),
    ColumnDef::new("role", ColumnType::I32),
    ColumnDef::new("channel", ColumnType::I32),
    ColumnDef::new("kind", ColumnType::I32),
    ColumnDef::nullable("thread_id", ColumnType::I64),
    ColumnDef::nullable("in_reply_to", ColumnType::I64),
    ColumnDef::nullable("duration_s", ColumnType::I32),
    ColumnDef::nullable("speaking_s", ColumnType::I32),
    ColumnDef::new("weight", ColumnType::F32),
];

/// Rows per row group: large enough for good compression, small enough to sort in memory.
pub const SEGMENT_ROW_GROUP: usize = 1 << 20;

fn code_table<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter()
        .enumerate()
        .map(|(i, &v)| format!("{i}={}", name(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// What a finished segment holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentStats {
    pub rows: u64,
    pub events: u64,
    pub min_time_ms: Option<i64>,
    pub max_time_ms: Option<i64>,
    /// Whether the input arrived in time order (if not, row groups overlap and readers merge).
    pub arrived_sorted: bool,
}

/// Writes one interaction segment. Rows of one event must be pushed one after the other.
/// Row groups are sorted, encoded and compressed on a writer thread while the caller goes on.
pub struct SegmentWriter {
    /// Set when the writer is dropped unfinished: the worker then leaves the file unfinished
    /// (its `.partial` name), so a failed run never leaves a finished segment behind.
    abandoned: std::sync::Arc<std::sync::atomic::AtomicBool>,
    sender: Option<std::sync::mpsc::SyncSender<Vec<Interaction>>>,
    /// Buffers the worker has written, emptied, to be filled again (fresh memory costs a page
    /// fault per page).
    spare: std::sync::mpsc::Receiver<Vec<Interaction>>,
    worker: Option<std::thread::JoinHandle<Result<(), StoreError>>>,
    buffer: Vec<Interaction>,
    stats: SegmentStats,
    last_key: Option<(i64, u64)>,
    row_group: usize,
}

fn sort_key(row: &Interaction) -> (i64, u64) {
    (row.time_ms.unwrap_or(i64::MIN), row.event_id)
}

impl SegmentWriter {
    pub fn create(path: &Path) -> Result<SegmentWriter, StoreError> {
        SegmentWriter::with_row_group(path, SEGMENT_ROW_GROUP)
    }

    pub fn with_row_group(path: &Path, row_group: usize) -> Result<SegmentWriter, StoreError> {
        let metadata = [
            ("orgmirror.role_codes", code_table(Role::ALL, Role::as_str)),
            (
                "orgmirror.channel_codes",
                code_table(Channel::ALL, Channel::as_str),
            ),
            ("orgmirror.kind_codes", code_table(Kind::ALL, Kind::as_str)),
            (
                "orgmirror.people",
                "actor and recipient are person indices of the workspace's people table".into(),
            ),
        ];
        let compact = TableOptions {
            delta_integers: true,
        };
        let mut table =
            TableWriter::create_with(path, "interactions", SEGMENT_COLUMNS, &metadata, &compact)?;
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Interaction>>(1);
        let (spare_out, spare) = std::sync::mpsc::sync_channel::<Vec<Interaction>>(1);
        let abandoned = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = abandoned.clone();
        let worker = std::thread::spawn(move || -> Result<(), StoreError> {
            for mut rows in receiver {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                rows.sort_by_key(sort_key);
                table.write_row_group(&interactions_to_columns(&rows))?;
                rows.clear();
                let _ = spare_out.try_send(rows);
            }
            if !stop.load(std::sync::atomic::Ordering::SeqCst) {
                table.finish()?;
            }
            Ok(())
        });
        Ok(SegmentWriter {
            abandoned,
            sender: Some(sender),
            spare,
            worker: Some(worker),
            buffer: Vec::with_capacity(row_group.min(1 << 16)),
            stats: SegmentStats {
                rows: 0,
                events: 0,
                min_time_ms: None,
                max_time_ms: None,
                arrived_sorted: true,
            },
            last_key: None,
            row_group,
        })
    }

    pub fn push(&mut self, row: Interaction) -> Result<(), StoreError> {
        let key = sort_key(&row);
        match self.last_key {
            Some(last) if last == key => {}
            Some(last) => {
                if key < last {
                    self.stats.arrived_sorted = false;
                }
                self.stats.events += 1;
            }
            None => self.stats.events += 1,
        }
        self.last_key = Some(key);
        if let Some(t) = row.time_ms {
            self.stats.min_time_ms = Some(self.stats.min_time_ms.map_or(t, |m| m.min(t)));
            self.stats.max_time_ms = Some(self.stats.max_time_ms.map_or(t, |m| m.max(t)));
        }
        self.stats.rows += 1;
        self.buffer.push(row);
        // Never split an event across row groups: flush only between events.
        if self.buffer.len() >= self.row_group {
            let last = sort_key(self.buffer.last().expect("non-empty"));
            if self.buffer.len() >= 2 && sort_key(&self.buffer[self.buffer.len() - 2]) != last {
                let tail = self.buffer.pop().expect("non-empty");
                self.flush()?;
                self.buffer.push(tail);
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let fresh = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(self.row_group.min(1 << 20)));
        let rows = std::mem::replace(&mut self.buffer, fresh);
        let sent = self.sender.as_ref().is_some_and(|s| s.send(rows).is_ok());
        if !sent {
            // The writer thread stopped: its error says why.
            return self
                .join()
                .and_then(|()| Err(StoreError::internal("segment writer stopped")));
        }
        Ok(())
    }

    fn join(&mut self) -> Result<(), StoreError> {
        self.sender = None;
        match self.worker.take() {
            Some(worker) => worker
                .join()
                .map_err(|_| StoreError::internal("segment writer panicked"))?,
            None => Ok(()),
        }
    }

    pub fn finish(mut self) -> Result<SegmentStats, StoreError> {
        self.flush()?;
        self.join()?;
        Ok(self.stats.clone())
    }
}

impl Drop for SegmentWriter {
    /// Dropped unfinished (a failed run): the worker stops without finishing the file, and is
    /// waited for, so nothing is written after the run has cleaned up.
    fn drop(&mut self) {
        if self.worker.is_some() {
            self.abandoned
                .store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = self.join();
        }
    }
}

/// Turns rows into the columns of [`SEGMENT_COLUMNS`].
pub fn interactions_to_columns(rows: &[Interaction]) -> Vec<ColumnData> {
    let map_i64 = |f: fn(&Interaction) -> i64| rows.iter().map(f).collect::<Vec<_>>();
    let map_i32 = |f: fn(&Interaction) -> i32| rows.iter().map(f).collect::<Vec<_>>();
    vec![
        ColumnData::I64(map_i64(|r| r.event_id as i64)),
        ColumnData::OptI64(rows.iter().map(|r| r.time_ms).collect()),
        ColumnData::I32(map_i32(|r| r.actor.0 as i32)),
        ColumnData::I32(map_i32(|r| r.recipient.0 as i32)),
        ColumnData::I32(map_i32(|r| r.role.code() as i32)),
        ColumnData::I32(map_i32(|r| r.channel.code() as i32)),
        ColumnData::I32(map_i32(|r| r.kind.code() as i32)),
        ColumnData::OptI64(rows.iter().map(|r| r.thread_id.map(|v| v as i64)).collect()),
        ColumnData::OptI64(
            rows.iter()
                .map(|r| r.in_reply_to.map(|v| v as i64))
                .collect(),
        ),
        ColumnData::OptI32(
            rows.iter()
                .map(|r| r.duration_s.map(|v| v as i32))
                .collect(),
        ),
        ColumnData::OptI32(
            rows.iter()
                .map(|r| r.speaking_s.map(|v| v as i32))
                .collect(),
        ),
        ColumnData::F32(rows.iter().map(|r| r.weight).collect()),
    ]
}

/// A sorted run: one row group of one segment, read lazily in batches.
struct Run {
    path: PathBuf,
    readers: RunReaders,
    remaining: usize,
    batch: Vec<Interaction>,
    pos: usize,
}

struct RunReaders {
    event_id: ColumnReaderImpl<Int64Type>,
    time: ColumnReaderImpl<Int64Type>,
    actor: ColumnReaderImpl<Int32Type>,
    recipient: ColumnReaderImpl<Int32Type>,
    role: ColumnReaderImpl<Int32Type>,
    channel: ColumnReaderImpl<Int32Type>,
    kind: ColumnReaderImpl<Int32Type>,
    thread_id: ColumnReaderImpl<Int64Type>,
    in_reply_to: ColumnReaderImpl<Int64Type>,
    duration_s: ColumnReaderImpl<Int32Type>,
    speaking_s: ColumnReaderImpl<Int32Type>,
    weight: ColumnReaderImpl<FloatType>,
}

const BATCH: usize = 8192;

fn typed<T: DataType>(r: ColumnReader) -> ColumnReaderImpl<T> {
    parquet::column::reader::get_typed_column_reader::<T>(r)
}

/// Reads `n` values of a nullable column into `out` as options.
fn read_opt<T: DataType>(
    r: &mut ColumnReaderImpl<T>,
    n: usize,
    vals: &mut Vec<T::T>,
    defs: &mut Vec<i16>,
    out: &mut Vec<Option<T::T>>,
) -> parquet::errors::Result<()>
where
    T::T: Copy,
{
    vals.clear();
    defs.clear();
    out.clear();
    r.read_records(n, Some(defs), None, vals)?;
    let mut it = vals.iter().copied();
    out.extend(defs.iter().map(|&d| if d > 0 { it.next() } else { None }));
    Ok(())
}

fn read_req<T: DataType>(
    r: &mut ColumnReaderImpl<T>,
    n: usize,
    vals: &mut Vec<T::T>,
) -> parquet::errors::Result<()> {
    vals.clear();
    r.read_records(n, None, None, vals)?;
    Ok(())
}

impl Run {
    fn refill(&mut self) -> Result<(), StoreError> {
        let n = self.remaining.min(BATCH);
        self.batch.clear();
        self.pos = 0;
        if n == 0 {
            return Ok(());
        }
        let err = |e| StoreError::parquet(&self.path, e);
        let r = &mut self.readers;
        let (mut ev, mut tm, mut th, mut ir) = (vec![], vec![], vec![], vec![]);
        let (mut ac, mut rc, mut ro, mut ch, mut ki, mut du, mut sp) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        let mut we = vec![];
        let (mut v64, mut v32, mut defs) = (vec![], vec![], vec![]);
        read_req(&mut r.event_id, n, &mut ev).map_err(err)?;
        read_opt(&mut r.time, n, &mut v64, &mut defs, &mut tm).map_err(err)?;
        read_req(&mut r.actor, n, &mut ac).map_err(err)?;
        read_req(&mut r.recipient, n, &mut rc).map_err(err)?;
        read_req(&mut r.role, n, &mut ro).map_err(err)?;
        read_req(&mut r.channel, n, &mut ch).map_err(err)?;
        read_req(&mut r.kind, n, &mut ki).map_err(err)?;
        read_opt(&mut r.thread_id, n, &mut v64, &mut defs, &mut th).map_err(err)?;
        read_opt(&mut r.in_reply_to, n, &mut v64, &mut defs, &mut ir).map_err(err)?;
        read_opt(&mut r.duration_s, n, &mut v32, &mut defs, &mut du).map_err(err)?;
        read_opt(&mut r.speaking_s, n, &mut v32, &mut defs, &mut sp).map_err(err)?;
        read_req(&mut r.weight, n, &mut we).map_err(err)?;
        let lens = [ev.len(), tm.len(), ac.len(), rc.len(), we.len(), sp.len()];
        if lens.iter().any(|&l| l != n) {
            return Err(StoreError::corrupt(
                &self.path,
                "columns of a row group differ in length",
            ));
        }
        for i in 0..n {
            let code = |v: i32| u8::try_from(v).ok();
            let (Some(role), Some(channel), Some(kind)) = (
                code(ro[i]).and_then(Role::from_code),
                code(ch[i]).and_then(Channel::from_code),
                code(ki[i]).and_then(Kind::from_code),
            ) else {
                return Err(StoreError::corrupt(
                    &self.path,
                    "unknown role/channel/kind code",
                ));
            };
            self.batch.push(Interaction {
                event_id: ev[i] as u64,
                time_ms: tm[i],
                actor: PersonIdx(ac[i] as u32),
                recipient: PersonIdx(rc[i] as u32),
                role,
                channel,
                kind,
                thread_id: th[i].map(|v| v as u64),
                in_reply_to: ir[i].map(|v| v as u64),
                duration_s: du[i].map(|v| v as u32),
                speaking_s: sp[i].map(|v| v as u32),
                weight: we[i],
            });
        }
        self.remaining -= n;
        Ok(())
    }

    fn peek(&mut self) -> Result<Option<&Interaction>, StoreError> {
        if self.pos >= self.batch.len() {
            self.refill()?;
        }
        Ok(self.batch.get(self.pos))
    }
}

/// Key range of a run, for the no-overlap fast path.
struct RunSpan {
    run: Run,
    min: i64,
    max: i64,
}

/// Streams every row of the given segments in (time, event_id) order; undated rows first.
pub struct EventReader {
    runs: Vec<Run>,
    /// Index of the next run to read when runs do not overlap; `None` when merging.
    sequential: Option<usize>,
    heap: BinaryHeap<Reverse<((i64, u64), usize)>>,
    primed: bool,
    /// The key of the event being returned and the run it comes from: the same key from another
    /// run is the same event in an overlapping export, skipped.
    current: Option<((i64, u64), usize)>,
    total_rows: u64,
    reply_ids: u64,
}

impl EventReader {
    pub fn open(paths: &[PathBuf]) -> Result<EventReader, StoreError> {
        let mut spans = Vec::new();
        let mut reply_ids = 0u64;
        for path in paths {
            let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
            let reader =
                SerializedFileReader::new(file).map_err(|e| StoreError::parquet(path, e))?;
            let schema = reader.metadata().file_metadata().schema_descr();
            let names: Vec<&str> = schema.columns().iter().map(|c| c.name()).collect();
            let want: Vec<&str> = SEGMENT_COLUMNS.iter().map(|c| c.name).collect();
            if names != want {
                return Err(StoreError::corrupt(
                    path,
                    "not an orgmirror interaction segment",
                ));
            }
            for rg in 0..reader.num_row_groups() {
                let rgr = reader
                    .get_row_group(rg)
                    .map_err(|e| StoreError::parquet(path, e))?;
                let meta = rgr.metadata();
                if let Some(stats) = meta.column(8).statistics() {
                    let nulls = stats.null_count_opt().unwrap_or(meta.num_rows() as u64);
                    reply_ids += (meta.num_rows() as u64).saturating_sub(nulls);
                }
                let time_col = meta.column(1);
                let (min, max) = match time_col.statistics() {
                    Some(Statistics::Int64(s)) if time_col.statistics().is_some() => {
                        let has_nulls = s.null_count_opt().unwrap_or(1) > 0;
                        let lo = if has_nulls {
                            i64::MIN
                        } else {
                            s.min_opt().copied().unwrap_or(i64::MIN)
                        };
                        (lo, s.max_opt().copied().unwrap_or(i64::MIN))
                    }
                    _ => (i64::MIN, i64::MAX),
                };
                let col = |i| {
                    rgr.get_column_reader(i)
                        .map_err(|e| StoreError::parquet(path, e))
                };
                let readers = RunReaders {
                    event_id: typed(col(0)?),
                    time: typed(col(1)?),
                    actor: typed(col(2)?),
                    recipient: typed(col(3)?),
                    role: typed(col(4)?),
                    channel: typed(col(5)?),
                    kind: typed(col(6)?),
                    thread_id: typed(col(7)?),
                    in_reply_to: typed(col(8)?),
                    duration_s: typed(col(9)?),
                    speaking_s: typed(col(10)?),
                    weight: typed(col(11)?),
                };
                spans.push(RunSpan {
                    run: Run {
                        path: path.clone(),
                        readers,
                        remaining: meta.num_rows() as usize,
                        batch: Vec::new(),
                        pos: 0,
                    },
                    min,
                    max,
                });
            }
        }
        spans.sort_by_key(|s| (s.min, s.max));
        // Runs that touch at a boundary time could hold rows of one timestamp on both sides;
        // that is still in (time, event_id) order only if they do not overlap strictly.
        let disjoint = spans.windows(2).all(|w| w[0].max < w[1].min);
        let total_rows = spans.iter().map(|s| s.run.remaining as u64).sum();
        Ok(EventReader {
            runs: spans.into_iter().map(|s| s.run).collect(),
            sequential: disjoint.then_some(0),
            heap: BinaryHeap::new(),
            primed: false,
            current: None,
            total_rows,
            reply_ids,
        })
    }

    /// Number of rows the reader will yield.
    pub fn total_rows(&self) -> u64 {
        self.total_rows
    }

    /// Number of rows that name the interaction they answer (`in_reply_to`), from the files'
    /// statistics: zero means replies can only be paired by the next message back.
    pub fn rows_with_reply_ids(&self) -> u64 {
        self.reply_ids
    }

    /// The next row in order, or `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<Interaction>, StoreError> {
        if let Some(i) = self.sequential.as_mut() {
            while *i < self.runs.len() {
                let run = &mut self.runs[*i];
                if run.peek()?.is_some() {
                    let row = run.batch[run.pos];
                    run.pos += 1;
                    return Ok(Some(row));
                }
                *i += 1;
            }
            return Ok(None);
        }
        if !self.primed {
            self.primed = true;
            for (i, run) in self.runs.iter_mut().enumerate() {
                if let Some(row) = run.peek()? {
                    self.heap.push(Reverse((sort_key(row), i)));
                }
            }
        }
        loop {
            let Some(Reverse((key, i))) = self.heap.pop() else {
                return Ok(None);
            };
            let run = &mut self.runs[i];
            let row = run.batch[run.pos];
            run.pos += 1;
            // Keep the rows of one event together: drain the run while the key is unchanged
            // (ties go to the lower run index, so one run's rows of an event all come first).
            if let Some(next) = run.peek()? {
                let next_key = sort_key(next);
                self.heap.push(Reverse((next_key, i)));
                debug_assert!(next_key >= key);
            }
            // Dated events have stable ids (from the export's id or the event's content): the
            // same key from a second run is the same event ingested from an overlapping export.
            match self.current {
                Some((k, r)) if k == key && r != i && key.0 != i64::MIN => continue,
                _ => self.current = Some((key, i)),
            }
            return Ok(Some(row));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vocab::{PersonIdx, Role};

    /// A writer dropped unfinished (a failed run) never finishes its file later, behind the
    /// run's back (the fuzzer found a failed ingest leaving a finished segment in staging/).
    #[test]
    fn a_writer_dropped_unfinished_leaves_no_segment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seg.parquet");
        let mut w = SegmentWriter::create(&path).unwrap();
        for i in 0..10u64 {
            w.push(Interaction {
                event_id: i,
                time_ms: Some(i as i64),
                actor: PersonIdx(0),
                recipient: PersonIdx(1),
                role: Role::To,
                channel: Channel::Email,
                kind: Kind::Message,
                thread_id: None,
                in_reply_to: None,
                duration_s: None,
                speaking_s: None,
                weight: 1.0,
            })
            .unwrap();
        }
        drop(w);
        // Whatever the writer thread does, it has done it by now.
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(!path.exists(), "a finished segment appeared after the drop");
    }
}
