//! Row sources: CSV (any delimiter), whitespace-separated edge lists, JSON Lines and Parquet, all
//! behind one reader that yields rows of typed cells by column, one row at a time.

use crate::error::{IngestError, RowError};
use parquet::basic::{LogicalType, TimeUnit};
use parquet::column::reader::ColumnReader;
use parquet::data_type::ByteArray;
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// A value as the file gave it, before it is checked against its field.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cell {
    #[default]
    Null,
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A timestamp column of a typed format, in milliseconds UTC.
    TimeMs(i64),
    /// A JSON array, e.g. a list of recipients: (id, optional role).
    List(Vec<(String, Option<String>)>),
    /// Text that a Parquet column repeats (ids, words): the `u32`th entry of that column's
    /// symbol table, which the row carries ([`Row::symbol_text`]). Only a reader asked for
    /// symbols ([`SourceOptions::symbols`]) makes them, and only [`crate::mapping::Slot`]
    /// reads them: on its own a symbol has no text.
    Sym(u32),
}

/// A text value as a cell would read: trimmed, with empty, `na` and `null` meaning no value.
pub(crate) fn text_value(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    // Fast path: nothing to trim and too long to be a null marker.
    if b.len() > 4 && !b[0].is_ascii_whitespace() && !b[b.len() - 1].is_ascii_whitespace() {
        return Some(s);
    }
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("na") || t.eq_ignore_ascii_case("null") {
        None
    } else {
        Some(t)
    }
}

impl Cell {
    /// The cell as text, for parsing and for error messages.
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self {
            Cell::Null | Cell::Sym(_) => None,
            Cell::Str(s) => text_value(s).map(Cow::Borrowed),
            Cell::Int(v) | Cell::TimeMs(v) => Some(Cow::Owned(v.to_string())),
            Cell::Float(v) => Some(Cow::Owned(v.to_string())),
            Cell::Bool(v) => Some(Cow::Owned(v.to_string())),
            Cell::List(items) => Some(Cow::Owned(
                items
                    .iter()
                    .map(|(id, _)| id.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
            )),
        }
    }

    /// Whether [`Cell::text`] would give text, without making it.
    pub fn has_text(&self) -> bool {
        match self {
            Cell::Null | Cell::Sym(_) => false,
            Cell::Str(s) => text_value(s).is_some(),
            Cell::Int(_) | Cell::TimeMs(_) | Cell::Float(_) | Cell::Bool(_) | Cell::List(_) => true,
        }
    }

    fn set_str(&mut self, value: &str) {
        if let Cell::Str(s) = self {
            s.clear();
            s.push_str(value);
        } else {
            *self = Cell::Str(value.to_string());
        }
    }
}

/// How a file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Tsv,
    /// Fields separated by runs of spaces or tabs (SNAP-style edge lists).
    Whitespace,
    Jsonl,
    Parquet,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        Some(match name.rsplit('.').next()? {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "txt" | "edges" | "edgelist" => Format::Whitespace,
            "jsonl" | "ndjson" | "json" => Format::Jsonl,
            "parquet" | "pq" => Format::Parquet,
            _ => return None,
        })
    }

    pub fn parse(text: &str) -> Option<Format> {
        Some(match text.to_ascii_lowercase().as_str() {
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "whitespace" | "txt" | "edgelist" => Format::Whitespace,
            "jsonl" | "ndjson" | "json" => Format::Jsonl,
            "parquet" => Format::Parquet,
            _ => return None,
        })
    }
}

/// Layout options of a delimited or line file.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    pub format: Format,
    /// Whether the first line names the columns; without one, columns are named "0", "1", ...
    pub header: bool,
    pub delimiter: Option<u8>,
    /// Lines longer than this are rejected (and skipped) rather than held in memory.
    pub max_line_bytes: usize,
    /// Parquet text columns give [`Cell::Sym`] cells (each distinct value decoded once, and a
    /// caller can remember what it made of a symbol); for readers whose every cell goes
    /// through [`crate::mapping::Slot`].
    pub symbols: bool,
}

/// One row: the 1-based line (or row) number and the cells of the requested columns.
#[derive(Debug, Default)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<Cell>,
    /// Per requested column, the raw text of its symbols so far ([`Cell::Sym`]).
    pub symbols: Vec<Vec<String>>,
    /// The same symbols as [`Cell::text`] reads them (trimmed; `None` for a null marker), made
    /// once per symbol: rows whose symbols are remembered then never touch the text's bytes
    /// (at 10 M rows, reading each row's first byte was a tenth of ingest's time, cache misses).
    pub texts: Vec<Vec<Option<String>>>,
}

impl Row {
    /// The text of symbol `sym` of column `column`, as [`Cell::text`] reads text.
    pub fn symbol_text(&self, column: usize, sym: u32) -> Option<&str> {
        self.texts.get(column)?.get(sym as usize)?.as_deref()
    }
}

enum Inner {
    Csv {
        reader: csv::Reader<CountingRead<File>>,
        record: csv::ByteRecord,
        indices: Vec<Option<usize>>,
        n_fields: usize,
    },
    Lines {
        reader: BufReader<CountingRead<File>>,
        buf: Vec<u8>,
        json: bool,
        indices: Vec<Option<usize>>,
        wanted: Vec<String>,
        first_data_line: Option<Vec<u8>>,
    },
    Parquet(Box<ParquetStream>),
    Records {
        source: Box<dyn RecordSource>,
        indices: Vec<Option<usize>>,
        scratch: Vec<Cell>,
    },
}

/// Interactions from a connector (mail, calendar, chat exports): records in orgmirror's own
/// event columns (`event_id`, `time`, `actor`, `recipient`, `role`, `channel`, `kind`,
/// `thread_id`, `in_reply_to`, `duration_s`, `weight`, ...), fed to the same validation,
/// people resolution, grouping and all-or-nothing commit as a file of rows
/// ([`crate::ingest_records`]).
pub trait RecordSource {
    /// The columns every record fills, in order.
    fn columns(&self) -> Vec<String>;
    /// The next record's cells, in [`RecordSource::columns`] order, and where it is in the input
    /// (a line, or a message's number); `Ok(None)` at the end. A record that cannot be read at
    /// all, or is left out on purpose (a mailing list, a bot), is an `Err(Problem)` naming file,
    /// position, field and reason; reading goes on.
    fn next_record(&mut self, cells: &mut Vec<Cell>) -> Result<Option<u64>, Problem>;
    /// Bytes to read in all, for progress.
    fn total_bytes(&self) -> u64;
    /// Bytes read so far.
    fn bytes_read(&self) -> u64;
}

/// Why a connector's record is not a row.
#[derive(Debug)]
pub enum Problem {
    /// Bad input: counted and listed as rejected.
    Reject(RowError),
    /// Fine but left out on purpose (automated mail, a list, a bot, an external address):
    /// counted and listed as skipped.
    Skip(RowError),
}

/// Counts bytes read, for progress.
pub struct CountingRead<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for CountingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads rows from one file, yielding the requested columns in the requested order.
pub struct RowReader {
    path: PathBuf,
    inner: Inner,
    line: u64,
    header: Vec<String>,
    bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    total_bytes: u64,
    max_line_bytes: usize,
    /// Records a connector left out on purpose, for the run's diagnostics.
    skipped: Vec<RowError>,
}

impl RowReader {
    /// Opens `path` and prepares to yield the `wanted` columns. A wanted column the file does
    /// not have is reported by [`RowReader::missing`], not here, so that the caller can name
    /// the field that needed it.
    pub fn open(
        path: &Path,
        opts: &SourceOptions,
        wanted: &[String],
    ) -> Result<RowReader, IngestError> {
        let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
        let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        if total_bytes == 0 {
            return Err(IngestError::Empty {
                file: path.to_path_buf(),
            });
        }
        let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counting = CountingRead {
            inner: file,
            count: bytes_read.clone(),
        };
        let mut line = 0;
        let (inner, header) = match opts.format {
            Format::Csv | Format::Tsv => {
                let delimiter = opts.delimiter.unwrap_or(if opts.format == Format::Tsv {
                    b'\t'
                } else {
                    b','
                });
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(counting);
                let mut record = csv::ByteRecord::new();
                let header: Vec<String> = if opts.header {
                    let has =
                        reader
                            .read_byte_record(&mut record)
                            .map_err(|e| IngestError::Csv {
                                file: path.to_path_buf(),
                                line: 1,
                                reason: e.to_string(),
                            })?;
                    if !has {
                        return Err(IngestError::Empty {
                            file: path.to_path_buf(),
                        });
                    }
                    line = 1;
                    record
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            let name = String::from_utf8_lossy(f).trim().to_string();
                            if i == 0 {
                                name.trim_start_matches('\u{feff}').to_string()
                            } else {
                                name
                            }
                        })
                        .collect()
                } else {
                    // Peek the width from the first record without consuming it as a header.
                    Vec::new()
                };
                let n_fields = header.len();
                (
                    Inner::Csv {
                        reader,
                        record,
                        indices: Vec::new(),
                        n_fields,
                    },
                    header,
                )
            }
            Format::Whitespace | Format::Jsonl => {
                let mut reader = BufReader::with_capacity(1 << 16, counting);
                let json = opts.format == Format::Jsonl;
                let mut header = Vec::new();
                let mut first_data_line = None;
                if !json {
                    let mut buf = Vec::new();
                    // Skip comment lines (# ...) before the first data line.
                    loop {
                        buf.clear();
                        let n = read_capped_line(&mut reader, &mut buf, opts.max_line_bytes)
                            .map_err(|e| IngestError::io(path, e))?;
                        if n.is_none() {
                            return Err(IngestError::Empty {
                                file: path.to_path_buf(),
                            });
                        }
                        line += 1;
                        let text = String::from_utf8_lossy(&buf);
                        if text.trim().is_empty() || text.trim_start().starts_with('#') {
                            continue;
                        }
                        let fields: Vec<String> =
                            text.split_whitespace().map(String::from).collect();
                        if opts.header {
                            header = fields;
                        } else {
                            header = (0..fields.len()).map(|i| i.to_string()).collect();
                            first_data_line = Some(buf.clone());
                            line -= 1;
                        }
                        break;
                    }
                }
                (
                    Inner::Lines {
                        reader,
                        buf: Vec::new(),
                        json,
                        indices: Vec::new(),
                        wanted: wanted.to_vec(),
                        first_data_line,
                    },
                    header,
                )
            }
            Format::Parquet => {
                let rows = ParquetStream::open(path, wanted, opts.symbols)?;
                let header = rows.names.clone();
                (Inner::Parquet(Box::new(rows)), header)
            }
        };
        let mut reader = RowReader {
            path: path.to_path_buf(),
            inner,
            line,
            header,
            bytes_read,
            total_bytes,
            max_line_bytes: opts.max_line_bytes,
            skipped: Vec::new(),
        };
        reader.resolve(wanted, opts.header);
        Ok(reader)
    }

    /// Rows from a connector's records, as if `path` were a file in orgmirror's own columns.
    pub fn from_records(
        path: &Path,
        source: Box<dyn RecordSource>,
        wanted: &[String],
    ) -> RowReader {
        let header = source.columns();
        let total_bytes = source.total_bytes();
        let mut reader = RowReader {
            path: path.to_path_buf(),
            inner: Inner::Records {
                source,
                indices: Vec::new(),
                scratch: Vec::new(),
            },
            line: 0,
            header,
            bytes_read: Default::default(),
            total_bytes,
            max_line_bytes: usize::MAX,
            skipped: Vec::new(),
        };
        reader.resolve(wanted, true);
        reader
    }

    /// Changes the columns to yield (before the first row is read), e.g. once the header shows
    /// which columns are left over for free attributes.
    pub fn set_wanted(&mut self, wanted: &[String], has_header: bool) -> Result<(), IngestError> {
        if let Inner::Parquet(p) = &mut self.inner {
            let path = self.path.clone();
            let symbols = p.symbols.is_some();
            **p = ParquetStream::open(&path, wanted, symbols)?;
        }
        if let Inner::Lines { wanted: w, .. } = &mut self.inner {
            *w = wanted.to_vec();
        }
        self.resolve(wanted, has_header);
        Ok(())
    }

    fn resolve(&mut self, wanted: &[String], has_header: bool) {
        let header = &self.header;
        let find = |name: &String| -> Option<usize> {
            if let Some(i) = header.iter().position(|h| h == name) {
                return Some(i);
            }
            if let Some(i) = header.iter().position(|h| h.eq_ignore_ascii_case(name)) {
                return Some(i);
            }
            // Without a header, columns are addressed by position.
            if !has_header {
                name.parse::<usize>().ok()
            } else {
                None
            }
        };
        match &mut self.inner {
            Inner::Csv { indices, .. }
            | Inner::Lines { indices, .. }
            | Inner::Records { indices, .. } => {
                *indices = wanted.iter().map(find).collect();
            }
            Inner::Parquet(_) => {}
        }
    }

    /// The column names of the file (positions "0", "1", ... when it has no header).
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Whether the file has a column (always true for JSON Lines, whose keys vary by row).
    pub fn has_column(&self, name: &str) -> bool {
        match &self.inner {
            Inner::Lines { json: true, .. } => true,
            Inner::Csv { n_fields: 0, .. } => name.parse::<usize>().is_ok(),
            Inner::Parquet(p) => p
                .names
                .iter()
                .any(|n| n == name || n.eq_ignore_ascii_case(name)),
            _ => self
                .header
                .iter()
                .any(|h| h == name || h.eq_ignore_ascii_case(name)),
        }
    }

    /// Records left out on purpose since the last call.
    pub fn take_skipped(&mut self) -> Vec<RowError> {
        std::mem::take(&mut self.skipped)
    }

    pub fn bytes_read(&self) -> u64 {
        match &self.inner {
            Inner::Parquet(p) => p.rows_done * self.total_bytes / p.total_rows.max(1),
            Inner::Records { source, .. } => source.bytes_read(),
            _ => self.bytes_read.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the next row into `row`. `Ok(false)` at the end. A row that cannot be read at all
    /// (bad JSON, invalid UTF-8, too long) is an `Err(RowError)`; reading can go on after it.
    pub fn next_row(&mut self, row: &mut Row) -> Result<bool, Result<RowError, IngestError>> {
        let path = self.path.clone();
        match &mut self.inner {
            Inner::Records {
                source,
                indices,
                scratch,
            } => loop {
                match source.next_record(scratch) {
                    Ok(None) => return Ok(false),
                    Ok(Some(line)) => {
                        self.line = line;
                        row.line = line;
                        row.cells.resize(indices.len(), Cell::Null);
                        for (slot, index) in row.cells.iter_mut().zip(indices.iter()) {
                            *slot = index
                                .and_then(|i| scratch.get(i).cloned())
                                .unwrap_or(Cell::Null);
                        }
                        return Ok(true);
                    }
                    Err(Problem::Reject(e)) => return Err(Ok(e)),
                    // Left out on purpose: listed, and the next record is read.
                    Err(Problem::Skip(e)) => self.skipped.push(e),
                }
            },
            Inner::Csv {
                reader,
                record,
                indices,
                ..
            } => {
                match reader.read_byte_record(record) {
                    Ok(false) => return Ok(false),
                    Ok(true) => {}
                    Err(e) => {
                        self.line += 1;
                        return Err(Err(IngestError::Csv {
                            file: path,
                            line: self.line,
                            reason: e.to_string(),
                        }));
                    }
                }
                self.line = record.position().map_or(self.line + 1, |p| p.line());
                row.line = self.line;
                let len: usize = record.as_slice().len();
                if len > self.max_line_bytes {
                    return Err(Ok(RowError::new(
                        &path,
                        self.line,
                        "",
                        "line_too_long",
                        format!(
                            "line is {len} bytes, more than the limit of {}",
                            self.max_line_bytes
                        ),
                    )));
                }
                row.cells.resize(indices.len(), Cell::Null);
                for (slot, index) in row.cells.iter_mut().zip(indices.iter()) {
                    match index.and_then(|i| record.get(i)) {
                        None => *slot = Cell::Null,
                        Some(bytes) => match std::str::from_utf8(bytes) {
                            Ok(text) => slot.set_str(text),
                            Err(_) => {
                                let field = index.map(|i| i.to_string()).unwrap_or_default();
                                return Err(Ok(RowError::new(
                                    &path,
                                    self.line,
                                    &field,
                                    "invalid_utf8",
                                    "the value is not valid UTF-8".into(),
                                )));
                            }
                        },
                    }
                }
                Ok(true)
            }
            Inner::Lines {
                reader,
                buf,
                json,
                indices,
                wanted,
                first_data_line,
            } => loop {
                buf.clear();
                if let Some(first) = first_data_line.take() {
                    *buf = first;
                } else {
                    match read_capped_line(reader, buf, self.max_line_bytes) {
                        Ok(None) => return Ok(false),
                        Ok(Some(true)) => {}
                        Ok(Some(false)) => {
                            self.line += 1;
                            return Err(Ok(RowError::new(
                                &path,
                                self.line,
                                "",
                                "line_too_long",
                                format!(
                                    "line is longer than the limit of {} bytes",
                                    self.max_line_bytes
                                ),
                            )));
                        }
                        Err(e) => return Err(Err(IngestError::io(&path, e))),
                    }
                }
                self.line += 1;
                row.line = self.line;
                let Ok(text) = std::str::from_utf8(buf) else {
                    return Err(Ok(RowError::new(
                        &path,
                        self.line,
                        "",
                        "invalid_utf8",
                        "the line is not valid UTF-8".into(),
                    )));
                };
                let trimmed = text.trim();
                if trimmed.is_empty() || (!*json && trimmed.starts_with('#')) {
                    continue;
                }
                row.cells.resize(wanted.len(), Cell::Null);
                if *json {
                    let value: serde_json::Value = match serde_json::from_str(trimmed) {
                        Ok(v) => v,
                        Err(e) => {
                            return Err(Ok(RowError::new(
                                &path,
                                self.line,
                                "",
                                "bad_json",
                                e.to_string(),
                            )));
                        }
                    };
                    let Some(object) = value.as_object() else {
                        return Err(Ok(RowError::new(
                            &path,
                            self.line,
                            "",
                            "bad_json",
                            "each line must be a JSON object".into(),
                        )));
                    };
                    for (slot, name) in row.cells.iter_mut().zip(wanted.iter()) {
                        *slot = json_cell(object.get(name.as_str()));
                    }
                } else {
                    let fields: Vec<&str> = trimmed.split_whitespace().collect();
                    for (slot, index) in row.cells.iter_mut().zip(indices.iter()) {
                        match index.and_then(|i| fields.get(i)) {
                            Some(f) => slot.set_str(f),
                            None => *slot = Cell::Null,
                        }
                    }
                }
                return Ok(true);
            },
            Inner::Parquet(p) => match p.next_row(row) {
                Ok(has) => Ok(has),
                Err(e) => Err(Err(e)),
            },
        }
    }
}

fn json_cell(value: Option<&serde_json::Value>) -> Cell {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => Cell::Null,
        Some(Value::Bool(b)) => Cell::Bool(*b),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => Cell::Int(i),
            None => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Some(Value::String(s)) => Cell::Str(s.clone()),
        Some(Value::Array(items)) => Cell::List(
            items
                .iter()
                .filter_map(|item| match item {
                    Value::String(s) => Some((s.clone(), None)),
                    Value::Number(n) => Some((n.to_string(), None)),
                    Value::Object(o) => {
                        let id = o.get("id").or_else(|| o.get("person"))?;
                        let id = match id {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let role = o.get("role").and_then(|r| r.as_str()).map(String::from);
                        Some((id, role))
                    }
                    _ => None,
                })
                .collect(),
        ),
        Some(other) => Cell::Str(other.to_string()),
    }
}

/// Reads one line (without its end) into `buf`, keeping at most `cap` bytes.
/// `None` at the end of input; `Some(false)` when the line was longer than `cap` (its remainder
/// is consumed and dropped).
fn read_capped_line<R: BufRead>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Option<bool>> {
    let mut any = false;
    let mut fits = true;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(if any { Some(fits) } else { None });
        }
        any = true;
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if fits {
            if buf.len() + chunk.len() > cap {
                fits = false;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let consumed = done.unwrap_or(available.len());
        reader.consume(consumed);
        if done.is_some() {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some(fits));
        }
    }
}

/// Column-at-a-time Parquet reading, handed out row by row.
struct ParquetRows {
    path: PathBuf,
    reader: SerializedFileReader<File>,
    names: Vec<String>,
    /// For each wanted column: its leaf index in the file and whether it is a timestamp (and its unit).
    wanted: Vec<Option<(usize, Option<TimeUnit>)>>,
    row_group: usize,
    columns: Vec<Option<ColumnReader>>,
    remaining_in_group: usize,
    batch: Vec<Vec<Cell>>,
    /// The batch row by row (`width` cells a row), as it is handed out.
    rows: Vec<Cell>,
    /// Text cells handed back by rows, reused for the next batch.
    spare: Vec<Vec<Cell>>,
    total_rows: u64,
    /// Per wanted column, its symbols by text, when text columns give symbols.
    interners: Option<Vec<Interner>>,
    /// Per wanted column, whether the current row group's chunk has a dictionary page.
    dictionary: Vec<bool>,
}

/// The distinct values of one text column, each numbered once. A column with more distinct
/// values than [`Interner::MAX`] (an id per row) stops numbering and gives plain text.
#[derive(Default)]
struct Interner {
    ids: rustc_hash::FxHashMap<Box<[u8]>, u32>,
    /// Symbols numbered since the last batch was sent, in number order.
    new: Vec<String>,
    /// Symbols by the address and length of a value of the current column chunk's dictionary.
    /// A dictionary-encoded page hands out slices of its dictionary page, so a value seen
    /// before is found without hashing or comparing its bytes (which are rarely in cache).
    by_address: rustc_hash::FxHashMap<(usize, usize), u32>,
    /// One value per address remembered: they keep the buffers alive, so that no address is
    /// reused for other bytes while it is remembered.
    alive: Vec<ByteArray>,
}

impl Interner {
    const MAX: usize = 1 << 20;
    /// Addresses remembered at most (dictionaries are per column chunk, rarely this large).
    const MAX_ADDRESSES: usize = 1 << 18;

    /// Forgets the addresses: a new column chunk (another dictionary) begins.
    fn new_chunk(&mut self) {
        self.by_address.clear();
        self.alive.clear();
    }

    /// [`Interner::symbol`] of a value decoded from a dictionary-encoded column chunk.
    fn symbol_of_dictionary_value(&mut self, value: &ByteArray) -> Option<Result<u32, ()>> {
        let bytes = value.data();
        let address = (bytes.as_ptr() as usize, bytes.len());
        if let Some(&id) = self.by_address.get(&address) {
            return Some(Ok(id));
        }
        let found = self.symbol(bytes);
        if let Some(Ok(id)) = found {
            if self.by_address.len() >= Self::MAX_ADDRESSES {
                self.new_chunk();
            }
            self.by_address.insert(address, id);
            self.alive.push(value.clone());
        }
        found
    }

    /// The symbol of `bytes`, numbering it if new; `None` for text that is not UTF-8, or when
    /// the column has too many distinct values.
    fn symbol(&mut self, bytes: &[u8]) -> Option<Result<u32, ()>> {
        if let Some(&id) = self.ids.get(bytes) {
            return Some(Ok(id));
        }
        if self.ids.len() >= Self::MAX {
            return None;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Some(Err(()));
        };
        let id = self.ids.len() as u32;
        self.ids.insert(bytes.into(), id);
        self.new.push(text.to_string());
        Some(Ok(id))
    }
}

/// One batch of decoded rows, row by row, with the symbols first used in it.
struct Batch {
    rows: Vec<Cell>,
    symbols: Vec<Vec<String>>,
}

impl ParquetRows {
    fn open(path: &Path, wanted: &[String], symbols: bool) -> Result<ParquetRows, IngestError> {
        let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
        let reader = SerializedFileReader::new(file).map_err(|e| IngestError::Format {
            file: path.to_path_buf(),
            reason: format!("not a readable Parquet file: {e}"),
        })?;
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        let names: Vec<String> = schema
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let wanted_cols = wanted
            .iter()
            .map(|w| {
                let i = names
                    .iter()
                    .position(|n| n == w)
                    .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(w)))?;
                let unit = match schema.column(i).logical_type_ref() {
                    Some(LogicalType::Timestamp(t)) => Some(t.unit),
                    _ => None,
                };
                Some((i, unit))
            })
            .collect();
        let total_rows = reader.metadata().file_metadata().num_rows() as u64;
        Ok(ParquetRows {
            path: path.to_path_buf(),
            reader,
            names,
            wanted: wanted_cols,
            row_group: 0,
            columns: Vec::new(),
            remaining_in_group: 0,
            batch: Vec::new(),
            rows: Vec::new(),
            spare: Vec::new(),
            total_rows,
            interners: symbols.then(|| (0..wanted.len()).map(|_| Interner::default()).collect()),
            dictionary: Vec::new(),
        })
    }

    /// The symbols numbered since the last call, per wanted column.
    fn take_symbols(&mut self) -> Vec<Vec<String>> {
        match &mut self.interners {
            Some(interners) => interners
                .iter_mut()
                .map(|i| std::mem::take(&mut i.new))
                .collect(),
            None => Vec::new(),
        }
    }

    fn refill(&mut self) -> Result<bool, IngestError> {
        let err = |e: parquet::errors::ParquetError| IngestError::Format {
            file: self.path.clone(),
            reason: e.to_string(),
        };
        while self.remaining_in_group == 0 {
            if self.row_group >= self.reader.num_row_groups() {
                return Ok(false);
            }
            let rg = self.reader.get_row_group(self.row_group).map_err(err)?;
            self.remaining_in_group = rg.metadata().num_rows() as usize;
            self.columns = self
                .wanted
                .iter()
                .map(|w| match w {
                    Some((i, _)) => rg.get_column_reader(*i).map(Some),
                    None => Ok(None),
                })
                .collect::<Result<_, _>>()
                .map_err(err)?;
            self.dictionary = self
                .wanted
                .iter()
                .map(|w| {
                    w.is_some_and(|(i, _)| {
                        rg.metadata().column(i).dictionary_page_offset().is_some()
                    })
                })
                .collect();
            if let Some(interners) = &mut self.interners {
                interners.iter_mut().for_each(Interner::new_chunk);
            }
            self.row_group += 1;
        }
        let n = self.remaining_in_group.min(8192);
        self.batch.resize_with(self.wanted.len(), Vec::new);
        self.spare.resize_with(self.wanted.len(), Vec::new);
        for (k, column) in self.columns.iter_mut().enumerate() {
            let out = &mut self.batch[k];
            out.clear();
            let unit = self.wanted[k].and_then(|(_, u)| u);
            let Some(column) = column else {
                out.resize(n, Cell::Null);
                continue;
            };
            let mut defs: Vec<i16> = Vec::new();
            macro_rules! read {
                ($r:expr, $conv:expr) => {{
                    let mut vals = Vec::new();
                    $r.read_records(n, Some(&mut defs), None, &mut vals)
                        .map_err(err)?;
                    let mut it = vals.into_iter();
                    if defs.is_empty() {
                        // A required column: no definition levels are written.
                        out.extend(it.map($conv));
                    } else {
                        for &d in &defs {
                            out.push(if d > 0 {
                                it.next().map($conv).unwrap_or(Cell::Null)
                            } else {
                                Cell::Null
                            });
                        }
                    }
                }};
            }
            if let ColumnReader::ByteArrayColumnReader(r) = column {
                // Text goes into cells that rows handed back, reusing their buffers.
                let spare = &mut self.spare[k];
                let mut vals: Vec<ByteArray> = Vec::new();
                r.read_records(n, Some(&mut defs), None, &mut vals)
                    .map_err(err)?;
                let mut values = vals.iter();
                let mut interner = self.interners.as_mut().map(|i| &mut i[k]);
                let dictionary = self.dictionary.get(k).copied().unwrap_or(false);
                for i in 0..n {
                    let present = defs.is_empty() || defs[i] > 0;
                    let value = if present { values.next() } else { None };
                    if let Some(interner) = interner.as_deref_mut() {
                        let symbol = |v: &ByteArray| match dictionary {
                            true => interner.symbol_of_dictionary_value(v),
                            false => interner.symbol(v.data()),
                        };
                        match value.map(symbol) {
                            None => {
                                out.push(Cell::Null);
                                continue;
                            }
                            Some(Some(Ok(id))) => {
                                out.push(Cell::Sym(id));
                                continue;
                            }
                            Some(Some(Err(()))) => {
                                out.push(Cell::Null);
                                continue;
                            }
                            // Too many distinct values: plain text from here on.
                            Some(None) => {}
                        }
                    }
                    let mut cell = spare.pop().unwrap_or_default();
                    match value.map(|v| std::str::from_utf8(v.data())) {
                        Some(Ok(text)) => cell.set_str(text),
                        _ => cell = Cell::Null,
                    }
                    out.push(cell);
                }
                continue;
            }
            let to_ms = move |v: i64| match unit {
                Some(TimeUnit::MILLIS) => Cell::TimeMs(v),
                Some(TimeUnit::MICROS) => Cell::TimeMs(v.div_euclid(1000)),
                Some(TimeUnit::NANOS) => Cell::TimeMs(v.div_euclid(1_000_000)),
                None => Cell::Int(v),
            };
            match column {
                ColumnReader::BoolColumnReader(r) => read!(r, Cell::Bool),
                ColumnReader::Int32ColumnReader(r) => read!(r, |v: i32| Cell::Int(v as i64)),
                ColumnReader::Int64ColumnReader(r) => read!(r, to_ms),
                ColumnReader::FloatColumnReader(r) => read!(r, |v: f32| Cell::Float(v as f64)),
                ColumnReader::DoubleColumnReader(r) => read!(r, Cell::Float),
                ColumnReader::ByteArrayColumnReader(r) => read!(r, |v: ByteArray| {
                    match std::str::from_utf8(v.data()) {
                        Ok(s) => Cell::Str(s.to_string()),
                        Err(_) => Cell::Null,
                    }
                }),
                _ => {
                    return Err(IngestError::Format {
                        file: self.path.clone(),
                        reason: format!(
                            "column `{}` has a type orgmirror does not read",
                            self.names[self.wanted[k].map_or(0, |w| w.0)]
                        ),
                    });
                }
            }
            if out.len() != n {
                return Err(IngestError::Format {
                    file: self.path.clone(),
                    reason: "columns of a row group differ in length".into(),
                });
            }
        }
        // Row-major, so that a row's cells are next to each other for the reader.
        let width = self.batch.len();
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        rows.reserve(n * width);
        let mut columns: Vec<_> = self.batch.iter_mut().map(|c| c.drain(..)).collect();
        for _ in 0..n {
            for column in columns.iter_mut() {
                rows.push(column.next().unwrap_or(Cell::Null));
            }
        }
        drop(columns);
        self.rows = rows;
        self.remaining_in_group -= n;
        Ok(true)
    }
}

/// Parquet rows decoded on a thread of their own: batches of cells come in column-major, and
/// spent batches (holding the rows' previous text cells) go back to be written over.
struct ParquetStream {
    path: std::path::PathBuf,
    names: Vec<String>,
    incoming: std::sync::mpsc::Receiver<Result<Batch, IngestError>>,
    spent: std::sync::mpsc::SyncSender<Vec<Cell>>,
    /// The current batch, row by row.
    batch: Vec<Cell>,
    /// Cells a row.
    width: usize,
    /// Per wanted column, the text of every symbol so far (when text columns give symbols),
    /// raw and as read ([`Row::texts`]).
    symbols: Option<Vec<Vec<String>>>,
    texts: Vec<Vec<Option<String>>>,
    batch_pos: usize,
    line: u64,
    rows_done: u64,
    total_rows: u64,
}

impl ParquetStream {
    fn open(path: &Path, wanted: &[String], symbols: bool) -> Result<ParquetStream, IngestError> {
        // The parquet crate can panic on damaged metadata (e.g. negative column offsets): a
        // damaged file is the user's input, reported as one, never a crash.
        let file = path.to_path_buf();
        let damaged = move |what: &str| IngestError::Format {
            file: file.clone(),
            reason: format!("not a readable Parquet file ({what})"),
        };
        let mut decoder = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ParquetRows::open(path, wanted, symbols)
        }))
        .map_err(|_| damaged("its metadata is damaged"))??;
        let names = decoder.names.clone();
        let total_rows = decoder.total_rows;
        let width = wanted.len();
        let (send, incoming) = std::sync::mpsc::sync_channel(4);
        let (spent, returned) = std::sync::mpsc::sync_channel::<Vec<Cell>>(8);
        std::thread::spawn(move || {
            loop {
                while let Ok(old) = returned.try_recv() {
                    decoder.spare.resize_with(width, Vec::new);
                    for (i, cell) in old.into_iter().enumerate() {
                        let spare = &mut decoder.spare[i % width];
                        if matches!(cell, Cell::Str(_)) && spare.len() < 16_384 {
                            spare.push(cell);
                        }
                    }
                }
                let refilled =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decoder.refill()))
                        .unwrap_or_else(|_| Err(damaged("a column chunk is damaged")));
                match refilled {
                    Ok(false) => {
                        // The end, said explicitly: a decoder that stops without saying so
                        // is an error, never a short file.
                        let _ = send.send(Ok(Batch {
                            rows: Vec::new(),
                            symbols: Vec::new(),
                        }));
                        return;
                    }
                    Ok(true) => {
                        let batch = Batch {
                            rows: std::mem::take(&mut decoder.rows),
                            symbols: decoder.take_symbols(),
                        };
                        if send.send(Ok(batch)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return;
                    }
                }
            }
        });
        Ok(ParquetStream {
            path: path.to_path_buf(),
            names,
            incoming,
            spent,
            batch: Vec::new(),
            width,
            symbols: symbols.then(|| vec![Vec::new(); wanted.len()]),
            texts: vec![Vec::new(); if symbols { wanted.len() } else { 0 }],
            batch_pos: 0,
            line: 0,
            rows_done: 0,
            total_rows,
        })
    }

    fn next_row(&mut self, row: &mut Row) -> Result<bool, IngestError> {
        let have = self.batch.len() / self.width.max(1);
        if self.batch_pos >= have {
            let old = std::mem::take(&mut self.batch);
            if !old.is_empty() {
                let _ = self.spent.try_send(old);
            }
            match self.incoming.recv() {
                Ok(Ok(batch)) => {
                    self.batch = batch.rows;
                    if let Some(tables) = &mut self.symbols {
                        for ((table, texts), new) in
                            tables.iter_mut().zip(&mut self.texts).zip(batch.symbols)
                        {
                            texts.extend(new.iter().map(|s| text_value(s).map(str::to_string)));
                            table.extend(new);
                        }
                    }
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    return Err(IngestError::Format {
                        file: self.path.clone(),
                        reason: "not a readable Parquet file (its decoder stopped before the end)"
                            .into(),
                    });
                }
            }
            self.batch_pos = 0;
            if self.batch.is_empty() || self.width == 0 {
                return Ok(false);
            }
        }
        self.line += 1;
        self.rows_done += 1;
        row.line = self.line;
        row.cells.resize(self.width, Cell::Null);
        let start = self.batch_pos * self.width;
        row.cells
            .swap_with_slice(&mut self.batch[start..start + self.width]);
        self.batch_pos += 1;
        if let Some(tables) = &self.symbols {
            // The row carries the symbol tables as they grow (new entries only).
            row.symbols.resize_with(tables.len(), Vec::new);
            row.texts.resize_with(tables.len(), Vec::new);
            for (mine, table) in row.symbols.iter_mut().zip(tables) {
                if mine.len() < table.len() {
                    mine.extend_from_slice(&table[mine.len()..]);
                }
            }
            for (mine, table) in row.texts.iter_mut().zip(&self.texts) {
                if mine.len() < table.len() {
                    mine.extend_from_slice(&table[mine.len()..]);
                }
            }
        }
        Ok(true)
    }
}
