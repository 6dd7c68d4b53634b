//! Integrity at the door: every Parquet codec reads, numbers out of range are rejected with their
//! line and field, unmapped people columns are dropped and listed, and event ids are stable.

use super::{Fixture, base, reasons};
use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::sync::Arc;
use store::Store;

/// Every row of every segment of the workspace, in the reader's order.
fn stored_rows(f: &Fixture) -> Vec<vocab::Interaction> {
    let paths: Vec<_> = f
        .store
        .segments()
        .unwrap()
        .iter()
        .map(|s| s.path.clone())
        .collect();
    let mut reader = store::EventReader::open(&paths).unwrap();
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row().unwrap() {
        rows.push(row);
    }
    rows
}

/// A small events file in Parquet, compressed with `codec`.
fn events_parquet(codec: Compression) -> Vec<u8> {
    let schema = parse_message_type(
        "message events {
            required int64 event_id;
            required int64 time (TIMESTAMP(MILLIS,true));
            required binary actor (UTF8);
            required binary recipient (UTF8);
            required binary kind (UTF8);
            required double weight;
        }",
    )
    .unwrap();
    let props = WriterProperties::builder()
        .set_compression(codec)
        .set_dictionary_enabled(false)
        .build();
    let mut out = Vec::new();
    let mut writer =
        SerializedFileWriter::new(&mut out, Arc::new(schema), Arc::new(props)).unwrap();
    let people = ["ceo", "vp", "rep"];
    let n = 200i64;
    let ids: Vec<i64> = (0..n).map(|i| 1000 + i).collect();
    let times: Vec<i64> = (0..n).map(|i| 1_704_186_000_000 + i * 60_000).collect();
    let text = |v: Vec<&str>| v.into_iter().map(ByteArray::from).collect::<Vec<_>>();
    let actors = text((0..n).map(|i| people[i as usize % 3]).collect());
    let recipients = text((0..n).map(|i| people[(i as usize + 1) % 3]).collect());
    let kinds = text(
        (0..n)
            .map(|i| ["message", "request", "fyi"][i as usize % 3])
            .collect(),
    );
    let weights: Vec<f64> = (0..n).map(|i| 1.0 + (i % 4) as f64 / 2.0).collect();
    let mut rg = writer.next_row_group().unwrap();
    let mut col = rg.next_column().unwrap().unwrap();
    col.typed::<Int64Type>()
        .write_batch(&ids, None, None)
        .unwrap();
    col.close().unwrap();
    let mut col = rg.next_column().unwrap().unwrap();
    col.typed::<Int64Type>()
        .write_batch(&times, None, None)
        .unwrap();
    col.close().unwrap();
    for values in [&actors, &recipients, &kinds] {
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>()
            .write_batch(values, None, None)
            .unwrap();
        col.close().unwrap();
    }
    let mut col = rg.next_column().unwrap().unwrap();
    col.typed::<DoubleType>()
        .write_batch(&weights, None, None)
        .unwrap();
    col.close().unwrap();
    rg.close().unwrap();
    writer.close().unwrap();
    out
}

#[test]
fn parquet_inputs_with_every_standard_codec_are_read_alike() {
    let codecs = [
        ("uncompressed", Compression::UNCOMPRESSED),
        ("snappy", Compression::SNAPPY),
        ("gzip", Compression::GZIP(GzipLevel::default())),
        ("zstd", Compression::ZSTD(ZstdLevel::default())),
        ("brotli", Compression::BROTLI(BrotliLevel::default())),
        ("lz4", Compression::LZ4),
        ("lz4_raw", Compression::LZ4_RAW),
    ];
    let mut first: Option<Vec<vocab::Interaction>> = None;
    for (name, codec) in codecs {
        let mut f = base();
        let r = f
            .events(
                &format!("events-{name}.parquet"),
                &events_parquet(codec),
                "",
                false,
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((r.rows_read, r.rows_stored), (200, 200), "{name}");
        let rows = stored_rows(&f);
        assert_eq!(rows.len(), 200, "{name}");
        match &first {
            None => first = Some(rows),
            Some(expected) => assert_eq!(&rows, expected, "{name} differs from uncompressed"),
        }
    }
}
