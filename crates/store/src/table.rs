//! A small typed columnar writer and reader over Parquet, for every table orgmirror stores or
//! writes (interaction segments, generated events, aggregates). Columns are written a row group
//! at a time, so memory is bounded by the row group, not the table.

use crate::StoreError;
use bytes::Bytes;
use parquet::basic::{Compression, Encoding};
use parquet::column::writer::{
    ColumnCloseResult, ColumnWriter, get_column_writer, get_typed_column_writer,
};
use parquet::data_type::{
    ByteArray, ByteArrayType, DataType, DoubleType, FloatType, Int32Type, Int64Type,
};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{WriterProperties, WriterPropertiesPtr};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnDescPtr;
use rayon::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Physical and logical type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    I32,
    I64,
    /// Milliseconds since the epoch, UTC.
    TimestampMs,
    F32,
    F64,
    Str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: &'static str,
    pub ty: ColumnType,
    pub nullable: bool,
}

impl ColumnDef {
    pub const fn new(name: &'static str, ty: ColumnType) -> ColumnDef {
        ColumnDef {
            name,
            ty,
            nullable: false,
        }
    }
    pub const fn nullable(name: &'static str, ty: ColumnType) -> ColumnDef {
        ColumnDef {
            name,
            ty,
            nullable: true,
        }
    }
}

/// Values of one column for one row group. `Opt*` variants are for nullable columns.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Str(Vec<String>),
    OptI32(Vec<Option<i32>>),
    OptI64(Vec<Option<i64>>),
    OptF32(Vec<Option<f32>>),
    OptF64(Vec<Option<f64>>),
    OptStr(Vec<Option<String>>),
    /// Text from a small dictionary: `codes[i]` indexes `values` (cheap for repeated ids and words).
    Dict {
        values: std::sync::Arc<Vec<String>>,
        codes: Vec<u32>,
    },
}

impl ColumnData {
    pub fn len(&self) -> usize {
        match self {
            ColumnData::I32(v) => v.len(),
            ColumnData::I64(v) => v.len(),
            ColumnData::F32(v) => v.len(),
            ColumnData::F64(v) => v.len(),
            ColumnData::Str(v) => v.len(),
            ColumnData::OptI32(v) => v.len(),
            ColumnData::OptI64(v) => v.len(),
            ColumnData::OptF32(v) => v.len(),
            ColumnData::OptF64(v) => v.len(),
            ColumnData::OptStr(v) => v.len(),
            ColumnData::Dict { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `more`, of the same kind (as read from one column of one table). Dictionary
    /// columns are not read back from files and are not appended.
    pub fn extend(&mut self, more: ColumnData) {
        match (self, more) {
            (ColumnData::I32(a), ColumnData::I32(b)) => a.extend(b),
            (ColumnData::I64(a), ColumnData::I64(b)) => a.extend(b),
            (ColumnData::F32(a), ColumnData::F32(b)) => a.extend(b),
            (ColumnData::F64(a), ColumnData::F64(b)) => a.extend(b),
            (ColumnData::Str(a), ColumnData::Str(b)) => a.extend(b),
            (ColumnData::OptI32(a), ColumnData::OptI32(b)) => a.extend(b),
            (ColumnData::OptI64(a), ColumnData::OptI64(b)) => a.extend(b),
            (ColumnData::OptF32(a), ColumnData::OptF32(b)) => a.extend(b),
            (ColumnData::OptF64(a), ColumnData::OptF64(b)) => a.extend(b),
            (ColumnData::OptStr(a), ColumnData::OptStr(b)) => a.extend(b),
            _ => unreachable!("one column read as two kinds of data"),
        }
    }
}

fn schema_text(name: &str, defs: &[ColumnDef]) -> String {
    let mut text = format!("message {name} {{\n");
    for def in defs {
        let rep = if def.nullable { "OPTIONAL" } else { "REQUIRED" };
        let ty = match def.ty {
            ColumnType::I32 => "INT32",
            ColumnType::I64 => "INT64",
            ColumnType::TimestampMs => "INT64 __NAME__ (TIMESTAMP(MILLIS,true))",
            ColumnType::F32 => "FLOAT",
            ColumnType::F64 => "DOUBLE",
            ColumnType::Str => "BYTE_ARRAY __NAME__ (UTF8)",
        };
        if ty.contains("__NAME__") {
            text += &format!("  {rep} {};\n", ty.replace("__NAME__", def.name));
        } else {
            text += &format!("  {rep} {ty} {};\n", def.name);
        }
    }
    text + "}\n"
}

/// How a table is laid out in its file; the values read back are the same either way.
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    /// Integer and time columns delta-encoded and bit-packed (Parquet's DELTA_BINARY_PACKED)
    /// instead of plain: counts, codes, people indices and sorted times take a few bits each,
    /// so the file is smaller and faster to write and read. For the workspace's own large
    /// tables; exports keep the plain encoding every Parquet reader knows.
    pub delta_integers: bool,
}

/// Writes a Parquet file row group by row group. The file appears under its final name only
/// when [`TableWriter::finish`] succeeds (written to `NAME.partial` first, then renamed), so a
/// reader never sees half a table.
pub struct TableWriter {
    writer: SerializedFileWriter<File>,
    defs: Vec<ColumnDef>,
    partial: PathBuf,
    path: PathBuf,
    rows: u64,
}

impl TableWriter {
    pub fn create(
        path: &Path,
        table_name: &str,
        defs: &[ColumnDef],
        metadata: &[(&str, String)],
    ) -> Result<TableWriter, StoreError> {
        TableWriter::create_with(path, table_name, defs, metadata, &TableOptions::default())
    }

    /// [`TableWriter::create`] with a layout other than the default.
    pub fn create_with(
        path: &Path,
        table_name: &str,
        defs: &[ColumnDef],
        metadata: &[(&str, String)],
        options: &TableOptions,
    ) -> Result<TableWriter, StoreError> {
        let schema = parse_message_type(&schema_text(table_name, defs))
            .map_err(|e| StoreError::internal(format!("schema of {table_name}: {e}")))?;
        let kv: Vec<KeyValue> = metadata
            .iter()
            .map(|(k, v)| KeyValue::new(k.to_string(), v.clone()))
            .collect();
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(false);
        // Dictionaries pay for repeated text (ids, words); numbers compress well enough plain.
        for def in defs.iter().filter(|d| d.ty == ColumnType::Str) {
            props = props.set_column_dictionary_enabled(
                parquet::schema::types::ColumnPath::from(def.name),
                true,
            );
        }
        if options.delta_integers {
            let integers = defs.iter().filter(|d| {
                matches!(
                    d.ty,
                    ColumnType::I32 | ColumnType::I64 | ColumnType::TimestampMs
                )
            });
            for def in integers {
                props = props.set_column_encoding(
                    parquet::schema::types::ColumnPath::from(def.name),
                    Encoding::DELTA_BINARY_PACKED,
                );
            }
        }
        let props = props
            .set_key_value_metadata(if kv.is_empty() { None } else { Some(kv) })
            .set_created_by("orgmirror".to_string())
            .build();
        let partial = path.with_extension("parquet.partial");
        // Private (0600) like everything in a workspace; the rename keeps the mode.
        let file = crate::files::create_private(&partial)?;
        let writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props))
            .map_err(|e| StoreError::parquet(&partial, e))?;
        Ok(TableWriter {
            writer,
            defs: defs.to_vec(),
            partial,
            path: path.to_path_buf(),
            rows: 0,
        })
    }

    /// Writes one row group; every column must have the same number of rows, in schema order.
    pub fn write_row_group(&mut self, columns: &[ColumnData]) -> Result<(), StoreError> {
        assert_eq!(columns.len(), self.defs.len(), "one ColumnData per column");
        let n = columns.first().map_or(0, ColumnData::len);
        if n == 0 {
            return Ok(());
        }
        assert!(columns.iter().all(|c| c.len() == n), "ragged row group");
        let err = |e| StoreError::parquet(&self.partial, e);
        // Columns are encoded and compressed side by side, as many at once as there are threads,
        // each into its own buffer, then appended to the row group in schema order: the file's
        // bytes are those of writing them one after the other, and memory holds at most one
        // encoded column chunk per thread.
        let descriptors = self.writer.schema_descr().columns().to_vec();
        let props = self.writer.properties().clone();
        let mut rg = self.writer.next_row_group().map_err(err)?;
        let width = rayon::current_num_threads().max(1);
        for (data, descr) in columns.chunks(width).zip(descriptors.chunks(width)) {
            let encoded: Vec<_> = data
                .par_iter()
                .zip(descr)
                .map(|(data, descr)| encode_column(data, descr.clone(), &props))
                .collect();
            for chunk in encoded {
                let (bytes, close) = chunk.map_err(err)?;
                rg.append_column(&bytes, close).map_err(err)?;
            }
        }
        rg.close().map_err(err)?;
        self.rows += n as u64;
        Ok(())
    }

    /// Closes the file and moves it to its final name. Returns the number of rows.
    pub fn finish(self) -> Result<u64, StoreError> {
        let partial = self.partial.clone();
        self.writer
            .close()
            .map_err(|e| StoreError::parquet(&partial, e))?;
        std::fs::rename(&partial, &self.path).map_err(|e| StoreError::io(&self.path, e))?;
        Ok(self.rows)
    }
}

/// One column chunk encoded and compressed into memory, with what closing its writer recorded.
fn encode_column(
    data: &ColumnData,
    descr: ColumnDescPtr,
    props: &WriterPropertiesPtr,
) -> parquet::errors::Result<(Bytes, ColumnCloseResult)> {
    let mut buf = TrackedWrite::new(Vec::new());
    let writer = get_column_writer(
        descr,
        props.clone(),
        Box::new(SerializedPageWriter::new(&mut buf)),
    );
    fn put<T: DataType>(
        writer: ColumnWriter<'_>,
        values: &[T::T],
        defs: Option<&[i16]>,
    ) -> parquet::errors::Result<ColumnCloseResult> {
        let mut w = get_typed_column_writer::<T>(writer);
        w.write_batch(values, defs, None)?;
        w.close()
    }
    let close = match data {
        ColumnData::I32(v) => put::<Int32Type>(writer, v, None),
        ColumnData::I64(v) => put::<Int64Type>(writer, v, None),
        ColumnData::F32(v) => put::<FloatType>(writer, v, None),
        ColumnData::F64(v) => put::<DoubleType>(writer, v, None),
        ColumnData::Str(v) => {
            let bytes: Vec<ByteArray> = v.iter().map(|s| ByteArray::from(s.as_str())).collect();
            put::<ByteArrayType>(writer, &bytes, None)
        }
        ColumnData::Dict { values, codes } => {
            let dict: Vec<ByteArray> = values.iter().map(|s| ByteArray::from(s.as_str())).collect();
            let bytes: Vec<ByteArray> = codes.iter().map(|&c| dict[c as usize].clone()).collect();
            put::<ByteArrayType>(writer, &bytes, None)
        }
        ColumnData::OptI32(v) => {
            let (vals, defs) = split_optional(v.iter().copied());
            put::<Int32Type>(writer, &vals, Some(&defs))
        }
        ColumnData::OptI64(v) => {
            let (vals, defs) = split_optional(v.iter().copied());
            put::<Int64Type>(writer, &vals, Some(&defs))
        }
        ColumnData::OptF32(v) => {
            let (vals, defs) = split_optional(v.iter().copied());
            put::<FloatType>(writer, &vals, Some(&defs))
        }
        ColumnData::OptF64(v) => {
            let (vals, defs) = split_optional(v.iter().copied());
            put::<DoubleType>(writer, &vals, Some(&defs))
        }
        ColumnData::OptStr(v) => {
            let (vals, defs) = split_optional(v.iter().map(|s| s.as_deref().map(ByteArray::from)));
            put::<ByteArrayType>(writer, &vals, Some(&defs))
        }
    }?;
    Ok((Bytes::from(buf.into_inner()?), close))
}

fn split_optional<T>(values: impl Iterator<Item = Option<T>>) -> (Vec<T>, Vec<i16>) {
    let mut vals = Vec::new();
    let mut defs = Vec::new();
    for v in values {
        match v {
            Some(x) => {
                vals.push(x);
                defs.push(1);
            }
            None => defs.push(0),
        }
    }
    (vals, defs)
}

/// Reads a whole table written by [`TableWriter`] into memory, column by column. For tests,
/// exports and small tables; large tables are read a row group at a time by [`RowGroups`].
pub fn read_table(path: &Path) -> Result<Vec<(String, ColumnData)>, StoreError> {
    let mut groups = RowGroups::open(path, None)?;
    let mut out: Vec<(String, ColumnData)> = Vec::new();
    while let Some(group) = groups.next_group()? {
        if out.is_empty() {
            out = group;
            continue;
        }
        for ((_, all), (_, more)) in out.iter_mut().zip(group) {
            all.extend(more);
        }
    }
    if out.is_empty() {
        out = groups
            .columns
            .iter()
            .map(|(_, name)| (name.clone(), ColumnData::I64(Vec::new())))
            .collect();
    }
    Ok(out)
}

/// A table read one row group at a time (memory bounded by the largest row group), optionally
/// only some of its columns.
pub struct RowGroups {
    path: std::path::PathBuf,
    reader: SerializedFileReader<File>,
    /// (index in the schema, name) of the columns read.
    columns: Vec<(usize, String)>,
    next: usize,
}

impl RowGroups {
    /// Opens `path`; `only` limits the columns read (in the table's order), all when `None`.
    /// A name in `only` that the table lacks is an error naming it.
    pub fn open(path: &Path, only: Option<&[&str]>) -> Result<RowGroups, StoreError> {
        let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
        let reader = SerializedFileReader::new(file).map_err(|e| StoreError::parquet(path, e))?;
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        let all: Vec<(usize, String)> = schema
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.name().to_string()))
            .collect();
        let columns = match only {
            None => all,
            Some(names) => {
                if let Some(missing) = names.iter().find(|n| !all.iter().any(|c| c.1 == **n)) {
                    return Err(StoreError::corrupt(path, &format!("no column {missing}")));
                }
                all.into_iter()
                    .filter(|c| names.contains(&c.1.as_str()))
                    .collect()
            }
        };
        Ok(RowGroups {
            path: path.to_path_buf(),
            reader,
            columns,
            next: 0,
        })
    }

    /// The next row group's columns, `None` after the last.
    pub fn next_group(&mut self) -> Result<Option<Vec<(String, ColumnData)>>, StoreError> {
        use parquet::column::reader::ColumnReader;
        if self.next >= self.reader.num_row_groups() {
            return Ok(None);
        }
        let path = self.path.as_path();
        let schema = self.reader.metadata().file_metadata().schema_descr_ptr();
        let rgr = self
            .reader
            .get_row_group(self.next)
            .map_err(|e| StoreError::parquet(path, e))?;
        self.next += 1;
        let n = rgr.metadata().num_rows() as usize;
        let mut out = Vec::with_capacity(self.columns.len());
        for (i, name) in &self.columns {
            let nullable = schema.column(*i).max_def_level() > 0;
            let cr = rgr
                .get_column_reader(*i)
                .map_err(|e| StoreError::parquet(path, e))?;
            let mut defs = Vec::new();
            macro_rules! read {
                ($r:expr, $plain:ident, $opt:ident, $conv:expr) => {{
                    let mut r = $r;
                    let mut vals = Vec::new();
                    r.read_records(n, nullable.then_some(&mut defs), None, &mut vals)
                        .map_err(|e| StoreError::parquet(path, e))?;
                    let vals: Vec<_> = vals.into_iter().map($conv).collect();
                    if nullable {
                        let mut it = vals.into_iter();
                        ColumnData::$opt(
                            defs.iter()
                                .map(|&d| if d > 0 { it.next() } else { None })
                                .collect(),
                        )
                    } else {
                        ColumnData::$plain(vals)
                    }
                }};
            }
            let data = match cr {
                ColumnReader::Int32ColumnReader(r) => read!(r, I32, OptI32, |x| x),
                ColumnReader::Int64ColumnReader(r) => read!(r, I64, OptI64, |x| x),
                ColumnReader::FloatColumnReader(r) => read!(r, F32, OptF32, |x| x),
                ColumnReader::DoubleColumnReader(r) => read!(r, F64, OptF64, |x| x),
                ColumnReader::ByteArrayColumnReader(r) => read!(r, Str, OptStr, |x: ByteArray| {
                    String::from_utf8_lossy(x.data()).into_owned()
                }),
                _ => {
                    return Err(StoreError::internal(format!(
                        "{}: column {name} has a type this reader does not handle",
                        path.display(),
                    )));
                }
            };
            out.push((name.clone(), data));
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Delta-encoded integers read back exactly as plain ones: extremes, nulls, unsorted and
    /// sorted values, several row groups.
    #[test]
    fn delta_encoded_integers_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let defs = [
            ColumnDef::new("a", ColumnType::I32),
            ColumnDef::new("b", ColumnType::I64),
            ColumnDef::nullable("t", ColumnType::TimestampMs),
            ColumnDef::new("x", ColumnType::F64),
            ColumnDef::new("s", ColumnType::Str),
        ];
        let mut state = 1u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        let groups: Vec<Vec<ColumnData>> = (0..3)
            .map(|g| {
                let n = 1000 + g * 77;
                vec![
                    ColumnData::I32(
                        (0..n)
                            .map(|i| match i % 5 {
                                0 => i32::MIN,
                                1 => i32::MAX,
                                _ => next() as i32,
                            })
                            .collect(),
                    ),
                    ColumnData::I64(
                        (0..n)
                            .map(|i| {
                                if i % 7 == 0 {
                                    i64::MIN
                                } else {
                                    next() as i64 - (1 << 52)
                                }
                            })
                            .collect(),
                    ),
                    ColumnData::OptI64(
                        (0..n)
                            .map(|i| (i % 3 != 0).then_some(1_700_000_000_000 + i as i64 * 13))
                            .collect(),
                    ),
                    ColumnData::F64((0..n).map(|i| i as f64 / 3.0).collect()),
                    ColumnData::Str((0..n).map(|i| format!("v{}", i % 4)).collect()),
                ]
            })
            .collect();
        let mut tables = Vec::new();
        for delta_integers in [false, true] {
            let path = dir.path().join(format!("t-{delta_integers}.parquet"));
            let options = TableOptions { delta_integers };
            let mut w = TableWriter::create_with(&path, "t", &defs, &[], &options).unwrap();
            for g in &groups {
                w.write_row_group(g).unwrap();
            }
            w.finish().unwrap();
            tables.push(read_table(&path).unwrap());
        }
        assert_eq!(tables[0], tables[1]);
        let mut want = groups[0].clone();
        for g in &groups[1..] {
            for (w, more) in want.iter_mut().zip(g.clone()) {
                w.extend(more);
            }
        }
        let got: Vec<ColumnData> = tables[1].iter().map(|(_, c)| c.clone()).collect();
        assert_eq!(got, want);
    }

    /// Columns encoded side by side land as written, in schema order, whatever the number of
    /// threads: every kind of column, more columns than threads, several row groups, and the
    /// same file bytes from one thread and from four.
    #[test]
    fn columns_encoded_side_by_side_read_back_in_order_and_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let defs = [
            ColumnDef::new("i32", ColumnType::I32),
            ColumnDef::new("i64", ColumnType::I64),
            ColumnDef::new("f32", ColumnType::F32),
            ColumnDef::new("f64", ColumnType::F64),
            ColumnDef::new("s", ColumnType::Str),
            ColumnDef::new("d", ColumnType::Str),
            ColumnDef::nullable("oi32", ColumnType::I32),
            ColumnDef::nullable("oi64", ColumnType::TimestampMs),
            ColumnDef::nullable("of32", ColumnType::F32),
            ColumnDef::nullable("of64", ColumnType::F64),
            ColumnDef::nullable("os", ColumnType::Str),
        ];
        let group = |g: usize| {
            let n = 20_000 + g * 313;
            let words = ["up", "down", "peer"];
            vec![
                ColumnData::I32((0..n).map(|i| (i * 7 + g) as i32).collect()),
                ColumnData::I64((0..n).map(|i| -(i as i64) << 20).collect()),
                ColumnData::F32((0..n).map(|i| i as f32 / 7.0).collect()),
                ColumnData::F64((0..n).map(|i| (i as f64).sqrt()).collect()),
                ColumnData::Str((0..n).map(|i| format!("p{}", i % 97)).collect()),
                ColumnData::Dict {
                    values: std::sync::Arc::new(words.iter().map(|w| w.to_string()).collect()),
                    codes: (0..n).map(|i| (i % 3) as u32).collect(),
                },
                ColumnData::OptI32((0..n).map(|i| (i % 4 != 0).then_some(i as i32)).collect()),
                ColumnData::OptI64(
                    (0..n)
                        .map(|i| (i % 5 != 0).then_some(1_700_000_000_000 + i as i64))
                        .collect(),
                ),
                ColumnData::OptF32((0..n).map(|i| (i % 2 == 0).then_some(i as f32)).collect()),
                ColumnData::OptF64(
                    (0..n)
                        .map(|i| (i % 3 == 0).then_some(-(i as f64)))
                        .collect(),
                ),
                ColumnData::OptStr(
                    (0..n)
                        .map(|i| (i % 6 != 0).then(|| format!("w{}", i % 11)))
                        .collect(),
                ),
            ]
        };
        let groups = [group(0), group(1)];
        let write = |threads: usize| {
            let path = dir.path().join(format!("t{threads}.parquet"));
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let mut w = TableWriter::create(&path, "t", &defs, &[]).unwrap();
                    for g in &groups {
                        w.write_row_group(g).unwrap();
                    }
                    assert_eq!(w.finish().unwrap(), 40_313);
                });
            path
        };
        let (one, four) = (write(1), write(4));
        assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&four).unwrap());
        let got = read_table(&four).unwrap();
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        let want_names: Vec<&str> = defs.iter().map(|d| d.name).collect();
        assert_eq!(names, want_names);
        for (at, (name, column)) in got.iter().enumerate() {
            let mut want = Vec::new();
            for g in &groups {
                let values = match &g[at] {
                    ColumnData::Dict { values, codes } => {
                        ColumnData::Str(codes.iter().map(|&c| values[c as usize].clone()).collect())
                    }
                    other => other.clone(),
                };
                want.push(values);
            }
            let mut want = want.into_iter();
            let mut all = want.next().unwrap();
            all.extend(want.next().unwrap());
            assert_eq!(column, &all, "column {name}");
        }
    }
}
