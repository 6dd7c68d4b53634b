//! Writes the plan's results as the `pairs` and `latencies` tables, through the same
//! `store::table::TableWriter`, in the same row groups and order as the streaming path, so
//! that the files are the same bytes.

use crate::acc::{
    I_HELP, I_IGNORED, I_KIND, I_N, I_REQ, N_CHANNELS, N_INTS, N_KINDS, N_ROLES, PairRow,
};
use aggregate::{LATENCY_COLUMNS, LatencyRow, PAIR_COLUMNS};
use std::path::Path;
use std::sync::Arc;
use store::StoreError;
use store::table::{ColumnData, TableWriter};
use vocab::{Kind, OrgChart, RelationClass, Window};

/// Rows per row group of the pairs table (the streaming path's chunk).
const PAIR_CHUNK: usize = 1 << 17;
/// Rows per row group of the latency table (the streaming path's buffer).
const LATENCY_CHUNK: usize = 1 << 20;

/// Writes the windows in order, each sorted by pair; returns (label, rows) per window.
pub(crate) fn write_pairs(
    path: &Path,
    windows: Vec<(Window, Vec<(u32, u32, PairRow)>)>,
    org: Option<&OrgChart>,
) -> Result<Vec<(String, u64)>, StoreError> {
    let mut writer =
        TableWriter::create_with(path, "pairs", &PAIR_COLUMNS, &[], &aggregate::TABLE_OPTIONS)?;
    let mut out = Vec::new();
    for (window, mut rows) in windows {
        rows.sort_unstable_by_key(|(a, b, _)| (*a, *b));
        let label = window.label();
        for chunk in rows.chunks(PAIR_CHUNK) {
            writer.write_row_group(&pair_columns(&label, chunk, org))?;
        }
        out.push((label, rows.len() as u64));
    }
    writer.finish()?;
    Ok(out)
}

fn pair_columns(
    label: &str,
    chunk: &[(u32, u32, PairRow)],
    org: Option<&OrgChart>,
) -> Vec<ColumnData> {
    let relations: Arc<Vec<String>> = Arc::new(
        RelationClass::ALL
            .iter()
            .map(|r| r.as_str().to_string())
            .chain(["self".to_string(), "unknown".to_string()])
            .collect(),
    );
    let relation_code = |a: u32, b: u32| -> u32 {
        match org {
            Some(o) if (a as usize) < o.len() && (b as usize) < o.len() => {
                let r = o.relation(a as usize, b as usize);
                RelationClass::ALL.iter().position(|x| *x == r).unwrap_or(7) as u32
            }
            _ => 8,
        }
    };
    let f64s =
        |f: &dyn Fn(&PairRow) -> f64| ColumnData::F64(chunk.iter().map(|(_, _, p)| f(p)).collect());
    let i64s = |i: usize| ColumnData::I64(chunk.iter().map(|(_, _, p)| p.ints[i] as i64).collect());
    let kind = |k: Kind| I_KIND + k.code() as usize;
    let mut columns = vec![
        ColumnData::Dict {
            values: Arc::new(vec![label.to_string()]),
            codes: vec![0; chunk.len()],
        },
        ColumnData::I32(chunk.iter().map(|(a, _, _)| *a as i32).collect()),
        ColumnData::I32(chunk.iter().map(|(_, b, _)| *b as i32).collect()),
        ColumnData::Dict {
            values: relations,
            codes: chunk
                .iter()
                .map(|(a, b, _)| relation_code(*a, *b))
                .collect(),
        },
        i64s(I_N),
        f64s(&|p| p.weight),
        f64s(&|p| p.communication),
        f64s(&|p| p.meetings),
        f64s(&|p| p.ints[I_REQ] as f64),
        f64s(&|p| p.ints[I_HELP] as f64),
        f64s(&|p| p.ints[kind(Kind::Introduction)] as f64),
        f64s(&|p| (p.ints[kind(Kind::FeedbackGiven)] + p.ints[kind(Kind::FeedbackAsked)]) as f64),
        f64s(&|p| p.meeting_s),
    ];
    for i in I_KIND..I_KIND + N_KINDS + N_CHANNELS + N_ROLES {
        columns.push(i64s(i));
    }
    for i in I_IGNORED..N_INTS {
        columns.push(i64s(i));
    }
    columns.push(ColumnData::I64(
        chunk.iter().map(|(_, _, p)| p.n_latency as i64).collect(),
    ));
    columns.push(ColumnData::OptF64(
        chunk.iter().map(|(_, _, p)| p.median).collect(),
    ));
    columns.push(ColumnData::OptF64(
        chunk.iter().map(|(_, _, p)| p.mean).collect(),
    ));
    columns.push(ColumnData::OptI64(
        chunk.iter().map(|(_, _, p)| p.first).collect(),
    ));
    columns.push(ColumnData::OptI64(
        chunk.iter().map(|(_, _, p)| p.last).collect(),
    ));
    columns
}

pub(crate) fn write_latencies(path: &Path, rows: &[LatencyRow]) -> Result<u64, StoreError> {
    let mut writer = TableWriter::create_with(
        path,
        "latencies",
        LATENCY_COLUMNS,
        &[],
        &aggregate::TABLE_OPTIONS,
    )?;
    for b in rows.chunks(LATENCY_CHUNK) {
        writer.write_row_group(&aggregate::latency_columns(b))?;
    }
    writer.finish()?;
    Ok(rows.len() as u64)
}
