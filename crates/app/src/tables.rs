//! The workspace's result tables read back (only this crate reads them): stored tables as
//! frames, the `pairs` table one window at a time, and the model's tables written out.

use mirror::input::{PAIR_FIELDS, PackedPair, Pair, PairList};
use report::Frame;
use std::path::Path;
use store::StoreError;
use store::table::{ColumnData, RowGroups, TableWriter, read_table};

/// A whole stored table.
pub fn read(path: &Path) -> Result<Frame, StoreError> {
    Ok(Frame(read_table(path)?))
}

/// Only some columns (all when `None`), and only the rows of `window` when given; read a
/// row group at a time, so memory holds what is kept plus one group.
pub fn read_some(
    path: &Path,
    columns: Option<&[&str]>,
    window: Option<&str>,
) -> Result<Frame, StoreError> {
    read_where(path, columns, window, |_, _| true)
}

/// As [`read_some`], keeping only the rows for which `keep(group, row)` holds as well.
pub fn read_where(
    path: &Path,
    columns: Option<&[&str]>,
    window: Option<&str>,
    keep: impl Fn(&Frame, usize) -> bool,
) -> Result<Frame, StoreError> {
    let mut groups = RowGroups::open(path, columns)?;
    let mut out: Vec<(String, ColumnData)> = Vec::new();
    while let Some(group) = groups.next_group()? {
        let group = Frame(group);
        let in_window =
            |i: usize| window.is_none_or(|w| !group.has("window") || group.str("window", i) == w);
        let rows: Vec<bool> = (0..group.rows())
            .map(|i| in_window(i) && keep(&group, i))
            .collect();
        let kept: Vec<(String, ColumnData)> = group
            .0
            .into_iter()
            .map(|(n, d)| (n, report::frame::filter(d, &rows)))
            .collect();
        if out.is_empty() {
            out = kept;
        } else {
            for ((_, all), (_, more)) in out.iter_mut().zip(kept) {
                all.extend(more);
            }
        }
    }
    Ok(Frame(out))
}

/// Writes one of the model's tables; returns its rows.
pub fn write(table: &mirror::tables::Table, path: &Path) -> Result<u64, StoreError> {
    let mut w = TableWriter::create(path, table.name, &table.defs, &[])?;
    if table.rows() > 0 {
        w.write_row_group(&table.cols)?;
    }
    w.finish()
}

/// The `pairs` table one window at a time, in table order (the aggregator writes each window's
/// rows together): memory holds one window's pairs and one row group, not the table.
pub struct PairWindows {
    path: std::path::PathBuf,
    groups: RowGroups,
    /// Rows read but not yet handed out, with their window label (an index into `labels`).
    pending: std::collections::VecDeque<(usize, Pair)>,
    labels: Vec<String>,
    done: bool,
}

impl PairWindows {
    pub fn open(path: &Path) -> Result<PairWindows, StoreError> {
        let mut only: Vec<&str> = vec!["window", "latency_median_s"];
        only.extend(PAIR_FIELDS);
        Ok(PairWindows {
            path: path.to_path_buf(),
            groups: RowGroups::open(path, Some(&only))?,
            pending: Default::default(),
            labels: Vec::new(),
            done: false,
        })
    }

    /// Reads one more row group into `pending`; false at the end of the table.
    fn fill(&mut self) -> Result<bool, StoreError> {
        if self.done {
            return Ok(false);
        }
        let Some(cols) = self.groups.next_group()? else {
            self.done = true;
            return Ok(false);
        };
        let path = self.path.as_path();
        let get = |name: &str| -> Result<&ColumnData, StoreError> {
            cols.iter()
                .find(|(n, _)| n == name)
                .map(|(_, c)| c)
                .ok_or_else(|| StoreError::corrupt(path, &format!("no column {name}")))
        };
        let num = |name: &str| -> Result<Vec<f64>, StoreError> {
            Ok(match get(name)? {
                ColumnData::I32(v) => v.iter().map(|&x| x as f64).collect(),
                ColumnData::I64(v) => v.iter().map(|&x| x as f64).collect(),
                ColumnData::F64(v) => v.clone(),
                ColumnData::F32(v) => v.iter().map(|&x| x as f64).collect(),
                _ => return Err(StoreError::corrupt(path, &format!("{name} is not numeric"))),
            })
        };
        let windows = match get("window")? {
            ColumnData::Str(v) => v,
            _ => return Err(StoreError::corrupt(path, "window is not text")),
        };
        let latency: Vec<Option<f64>> = match get("latency_median_s")? {
            ColumnData::OptF64(v) => v.clone(),
            ColumnData::F64(v) => v.iter().map(|&x| Some(x)).collect(),
            _ => {
                return Err(StoreError::corrupt(
                    path,
                    "latency_median_s is not a number",
                ));
            }
        };
        let v: Vec<Vec<f64>> = PAIR_FIELDS
            .iter()
            .map(|n| num(n))
            .collect::<Result<_, _>>()?;
        for (i, w) in windows.iter().enumerate() {
            let x = |k: usize| v[k][i];
            let label = match self.labels.iter().rposition(|l| l == w) {
                Some(at) => at,
                None => {
                    self.labels.push(w.clone());
                    self.labels.len() - 1
                }
            };
            self.pending.push_back((
                label,
                Pair {
                    a: x(0) as u32,
                    b: x(1) as u32,
                    n: x(2),
                    w_communication: x(3),
                    w_meetings: x(4),
                    meeting_s: x(5),
                    request: x(6),
                    reply: x(7),
                    message: x(8),
                    fyi: x(9),
                    decline: x(10),
                    accept: x(11),
                    introduction: x(12),
                    feedback_given: x(13),
                    feedback_asked: x(14),
                    praise: x(15),
                    decision: x(16),
                    meeting: x(17),
                    to: x(18),
                    cc: x(19),
                    bcc: x(20),
                    help: x(21),
                    ignored: x(22),
                    n_latency: x(23),
                    ask: x(24),
                    answered: x(25),
                    unanswered: x(26),
                    latency_median_s: latency[i],
                },
            ));
        }
        Ok(true)
    }

    /// The next window's label and pairs, `None` after the last. The pairs come packed
    /// (half the memory) unless one of them cannot be.
    pub fn next_window(&mut self) -> Result<Option<(String, PairList)>, StoreError> {
        while self.pending.is_empty() {
            if !self.fill()? {
                return Ok(None);
            }
        }
        let label = self.pending[0].0;
        let mut packed: Vec<PackedPair> = Vec::new();
        let mut plain: Option<Vec<Pair>> = None;
        loop {
            while let Some((w, _)) = self.pending.front() {
                if *w != label {
                    return Ok(Some((self.labels[label].clone(), done(packed, plain))));
                }
                let p = self.pending.pop_front().expect("front").1;
                match (&mut plain, PackedPair::pack(&p)) {
                    (None, Some(q)) => packed.push(q),
                    (None, None) => {
                        let mut all: Vec<Pair> = std::mem::take(&mut packed)
                            .iter()
                            .map(PackedPair::unpack)
                            .collect();
                        all.push(p);
                        plain = Some(all);
                    }
                    (Some(all), _) => all.push(p),
                }
            }
            if !self.fill()? {
                return Ok(Some((self.labels[label].clone(), done(packed, plain))));
            }
        }
        fn done(packed: Vec<PackedPair>, plain: Option<Vec<Pair>>) -> PairList {
            match plain {
                Some(v) => PairList::Plain(v),
                None => PairList::Packed(packed),
            }
        }
    }

    /// Every window's label, reading only the `window` column.
    pub fn labels(path: &Path) -> Result<Vec<String>, StoreError> {
        let mut groups = RowGroups::open(path, Some(&["window"]))?;
        let mut out: Vec<String> = Vec::new();
        while let Some(cols) = groups.next_group()? {
            let Some((_, ColumnData::Str(v))) = cols.into_iter().next() else {
                return Err(StoreError::corrupt(path, "window is not text"));
            };
            for w in v {
                if out.last() != Some(&w) {
                    out.push(w);
                }
            }
        }
        Ok(out)
    }
}

/// What [`PairWindows::next_window`] gives.
type NextWindow = Result<Option<(String, PairList)>, StoreError>;

/// The windows of a [`PairWindows`], each read on a thread of its own while the caller works
/// on the one before: the caller's wait for a window is only what that reading did not overlap.
/// At most two windows are held, the caller's and the next (read, then waiting to be taken).
pub struct PairWindowsAhead {
    next: Option<std::sync::mpsc::Receiver<NextWindow>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl PairWindowsAhead {
    pub fn start(mut windows: PairWindows) -> std::io::Result<PairWindowsAhead> {
        // A channel without room: the reader holds the window it read until it is taken.
        let (tx, rx) = std::sync::mpsc::sync_channel::<NextWindow>(0);
        let reader = std::thread::Builder::new()
            .name("pairs reader".into())
            .spawn(move || {
                loop {
                    let w = windows.next_window();
                    let last = !matches!(w, Ok(Some(_)));
                    if tx.send(w).is_err() || last {
                        break;
                    }
                }
            })?;
        Ok(PairWindowsAhead {
            next: Some(rx),
            reader: Some(reader),
        })
    }

    /// The next window, in table order; `None` after the last.
    pub fn next_window(&mut self) -> NextWindow {
        match self.next.as_ref().map(|rx| rx.recv()) {
            Some(Ok(w)) => w,
            // The reader stopped: after the end or an error it already gave, or in a panic.
            Some(Err(_)) | None => match self.reader.take().map(|r| r.join()) {
                Some(Err(_)) => Err(StoreError::internal("the pairs table's reader panicked")),
                _ => Ok(None),
            },
        }
    }
}

impl Drop for PairWindowsAhead {
    fn drop(&mut self) {
        // Without a receiver the reader's next send fails and it stops.
        self.next = None;
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}
