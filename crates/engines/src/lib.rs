//! The pair aggregation (`aggregate::aggregate`'s tables, the same bytes) expressed once as a
//! DataFusion plan ([`plan`]) that runs in this process (`--engine datafusion`) or on a Ballista
//! cluster (`--engine ballista://HOST:PORT`, with `orgmirror-scheduler` and
//! `orgmirror-executor`, which carry the plan's functions and the segment scan).
//!
//! Outside the root workspace: the default build and `cargo test --workspace` never compile
//! DataFusion; the CLI's `datafusion` and `ballista` features bring it in.

mod acc;
#[cfg(feature = "ballista")]
pub mod cluster;
mod functions;
pub mod objects;
pub mod plan;
pub mod segments;
mod write;

use acc::{PairRow, Params};
use aggregate::{AggregateOptions, AggregateSummary, Pairing};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Int32Type, Int64Type, UInt64Type};
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use vocab::{Kind, OrgChart, Window, WindowSpec};

/// Where the plan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// In this process, on every core.
    DataFusion,
    /// On a Ballista cluster: its scheduler's host and gRPC port.
    Ballista { host: String, port: u16 },
}

impl std::str::FromStr for Engine {
    type Err = String;

    /// `datafusion` or `ballista://HOST:PORT`.
    fn from_str(text: &str) -> Result<Engine, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("datafusion") {
            return Ok(Engine::DataFusion);
        }
        let Some(rest) = t.strip_prefix("ballista://") else {
            return Err(format!(
                "unknown engine `{t}`: expected local, datafusion or ballista://HOST:PORT"
            ));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| {
            format!("engine `{t}`: the scheduler's port is missing (ballista://HOST:PORT, e.g. ballista://127.0.0.1:50050)")
        })?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains('/') || host.contains('@') {
            return Err(format!(
                "engine `{t}`: `{host}` is not a host name (ballista://HOST:PORT)"
            ));
        }
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("engine `{t}`: `{port}` is not a port number (1-65535)"))?;
        Ok(Engine::Ballista {
            host: host.to_string(),
            port,
        })
    }
}

/// Why an engine run failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The segments could not be read as segments.
    #[error("{0}")]
    Segments(String),
    /// The cluster could not be reached or refused the plan.
    #[error("{0}")]
    Cluster(String),
    /// The plan failed while it ran.
    #[error("the {engine} engine failed: {message}")]
    Plan {
        engine: &'static str,
        message: String,
    },
    /// Writing the tables failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Runs the aggregation of `segments` on `engine` and writes `pairs_path` and
/// `latencies_path` as `aggregate::aggregate` does. With `at` (an object store's URL: `s3://…`,
/// `file://…`), the segments are read there, each by its file name, where the plan runs; the
/// store must hold each with the workspace's file's size.
pub fn aggregate(
    engine: &Engine,
    segments: &[PathBuf],
    at: Option<&str>,
    org: Option<&OrgChart>,
    opts: &AggregateOptions,
    pairs_path: &Path,
    latencies_path: &Path,
) -> Result<AggregateSummary, EngineError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| EngineError::Cluster(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(run(
        engine,
        segments,
        at,
        org,
        opts,
        pairs_path,
        latencies_path,
    ))
}

/// The context that runs the plan: in process, or a Ballista client.
async fn context(engine: &Engine) -> Result<SessionContext, EngineError> {
    match engine {
        Engine::DataFusion => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let config = plan::configure(SessionConfig::new().with_target_partitions(cores));
            let ctx = SessionContext::new_with_config(config);
            plan::register(&ctx);
            Ok(ctx)
        }
        #[cfg(feature = "ballista")]
        Engine::Ballista { host, port } => cluster::connect(host, *port).await,
        #[cfg(not(feature = "ballista"))]
        Engine::Ballista { .. } => Err(EngineError::Cluster(
            "this orgmirror was built without Ballista: build it with `cargo build --release -p cli --features ballista`".into(),
        )),
    }
}

fn engine_name(engine: &Engine) -> &'static str {
    match engine {
        Engine::DataFusion => "DataFusion",
        Engine::Ballista { .. } => "Ballista",
    }
}

async fn collect(df: DataFrame, engine: &Engine) -> Result<Vec<RecordBatch>, EngineError> {
    let failed = |e: datafusion::error::DataFusionError| EngineError::Plan {
        engine: engine_name(engine),
        message: e.to_string().lines().next().unwrap_or_default().to_string(),
    };
    // `OM_TRACE`: each query's logical plan, then its physical plan with the operators'
    // metrics (rows, compute time, memory) and the query's wall time, on standard error.
    let trace = std::env::var_os("OM_TRACE").is_some();
    if trace {
        eprintln!("query: {}", df.logical_plan().display_indent());
    }
    let started = std::time::Instant::now();
    let task = std::sync::Arc::new(df.task_ctx());
    let physical = df.create_physical_plan().await.map_err(failed)?;
    let mut stream =
        datafusion::physical_plan::execute_stream(physical.clone(), task).map_err(failed)?;
    let mut out = Vec::new();
    while let Some(batch) = stream.next().await {
        out.push(batch.map_err(failed)?);
    }
    if trace {
        eprintln!(
            "ran in {:.2} s:\n{}",
            started.elapsed().as_secs_f64(),
            datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(
                physical.as_ref()
            )
            .indent(true)
        );
    }
    Ok(out)
}

fn i64_at(b: &RecordBatch, name: &str, row: usize) -> Option<i64> {
    let c = b.column_by_name(name)?;
    if c.is_null(row) {
        return None;
    }
    match c.data_type() {
        datafusion::arrow::datatypes::DataType::Int64 => {
            Some(c.as_primitive::<Int64Type>().value(row))
        }
        datafusion::arrow::datatypes::DataType::UInt64 => {
            Some(c.as_primitive::<UInt64Type>().value(row) as i64)
        }
        datafusion::arrow::datatypes::DataType::Int32 => {
            Some(c.as_primitive::<Int32Type>().value(row) as i64)
        }
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    engine: &Engine,
    paths: &[PathBuf],
    at: Option<&str>,
    org: Option<&OrgChart>,
    opts: &AggregateOptions,
    pairs_path: &Path,
    latencies_path: &Path,
) -> Result<AggregateSummary, EngineError> {
    let segments = segments::Segments::open(paths, at)
        .await
        .map_err(EngineError::Segments)?;
    let pairing = match opts.pairing {
        Pairing::Auto if segments.reply_ids > 0 => Pairing::Thread,
        Pairing::Auto => Pairing::NextMessage,
        other => other,
    };
    let thread = pairing != Pairing::NextMessage;
    let ctx = context(engine).await?;
    let table = segments::SegmentTable {
        runs: segments.runs.clone(),
        single: matches!(engine, Engine::Ballista { .. }),
    };
    let failed = |e: datafusion::error::DataFusionError| EngineError::Plan {
        engine: engine_name(engine),
        message: e.to_string(),
    };
    let shuffled = match engine {
        Engine::DataFusion => None,
        Engine::Ballista { .. } => Some(ctx.copied_config().target_partitions()),
    };
    let rows = plan::rows(&ctx, table, segments.overlapping, shuffled).map_err(failed)?;

    // Counts and the data's time span.
    let counts = collect(plan::counts(rows.clone()).map_err(failed)?, engine).await?;
    let (n_rows, undated, max_t) = counts
        .iter()
        .find(|b| b.num_rows() > 0)
        .map(|b| {
            (
                i64_at(b, "rows", 0).unwrap_or(0) as u64,
                i64_at(b, "undated", 0).unwrap_or(0) as u64,
                i64_at(b, "max_t", 0),
            )
        })
        .unwrap_or((0, 0, None));
    let mut params = Params {
        specs: opts.windows.clone(),
        reply_window_ms: opts.reply_window_ms,
        max_meeting_size: opts.max_meeting_size,
        max_time: max_t,
        triggers: Vec::new(),
    };
    // When windows can close before the end in a way the output shows (dropped late
    // increments in next-message pairing, the order of windows of two partitions), replay the
    // streaming path's close checks from the distinct times.
    let bounded = opts
        .windows
        .iter()
        .filter(|w| !matches!(w, WindowSpec::All))
        .count();
    if !thread || bounded >= 2 {
        let batches = collect(plan::times(rows.clone()).map_err(failed)?, engine).await?;
        let mut times = Vec::new();
        for b in &batches {
            for r in 0..b.num_rows() {
                times.push((
                    i64_at(b, "t", r).unwrap_or(0),
                    i64_at(b, "first_eid", r).unwrap_or(0) as u64,
                    i64_at(b, "events", r).unwrap_or(0) as u64,
                ));
            }
        }
        if let (Some(&(min_t, _, _)), Some(max_t)) = (times.first(), max_t) {
            let windows = params.bounded_windows(min_t, max_t);
            params.triggers = plan::close_triggers(&times, &windows, opts.reply_window_ms);
        }
    }
    let text = params.encode();

    let events = collect(
        plan::events(rows.clone(), opts.max_meeting_size).map_err(failed)?,
        engine,
    )
    .await?;
    let (n_events, large, n_meetings) = events
        .iter()
        .find(|b| b.num_rows() > 0)
        .map(|b| {
            (
                i64_at(b, "events", 0).unwrap_or(0) as u64,
                i64_at(b, "large", 0).unwrap_or(0) as u64,
                i64_at(b, "meetings", 0).unwrap_or(0) as u64,
            )
        })
        .unwrap_or((0, 0, 0));
    // The pairing step's deltas feed both tables. In process they are computed once and held
    // (at M, 9.6 M rows; the latencies query redid the pairing, 18 s of wall time); a cluster
    // computes them in each query, where they are made. `OM_TRACE` does not show this step.
    let mut replies = plan::pairing_deltas(rows.clone(), thread, &text).map_err(failed)?;
    if *engine == Engine::DataFusion {
        replies = replies.cache().await.map_err(failed)?;
    }
    // Pairs, by window.
    let batches = collect(
        plan::pairs(rows.clone(), replies.clone(), n_meetings > 0, &text).map_err(failed)?,
        engine,
    )
    .await?;
    let mut by_window: FxHashMap<i64, Vec<(u32, u32, PairRow)>> = FxHashMap::default();
    for b in &batches {
        let win = b.column(0).as_primitive::<Int64Type>();
        let a = b.column(1).as_primitive::<Int32Type>();
        let bb = b.column(2).as_primitive::<Int32Type>();
        let row = b.column(3).as_binary::<i32>();
        for r in 0..b.num_rows() {
            by_window.entry(win.value(r)).or_default().push((
                a.value(r) as u32,
                bb.value(r) as u32,
                PairRow::decode(row.value(r)),
            ));
        }
    }
    drop(batches);
    // The streaming path writes windows as they close: by close check, then `all` last, then
    // by window.
    let mut windows: Vec<(Window, Vec<(u32, u32, PairRow)>)> = Vec::new();
    for (code, rows) in by_window {
        let w = params.window(code).ok_or_else(|| EngineError::Plan {
            engine: engine_name(engine),
            message: format!("unknown window code {code}"),
        })?;
        windows.push((w, rows));
    }
    let trigger = |w: &Window| {
        params
            .triggers
            .iter()
            .find(|(c, _)| *c == params.code(w))
            .map(|(_, t)| *t)
            .unwrap_or((i64::MAX, u64::MAX))
    };
    windows.sort_by_key(|(w, _)| (trigger(w), *w == Window::All, *w));
    let pair_windows = write::write_pairs(pairs_path, windows, org)?;
    let pair_rows = pair_windows.iter().map(|(_, n)| n).sum();

    // Paired replies, in stream order.
    let batches = collect(plan::latencies(replies).map_err(failed)?, engine).await?;
    let mut latencies = Vec::new();
    let kind = |code: i64| Kind::from_code(code as u8).unwrap_or(Kind::Message);
    for b in &batches {
        for r in 0..b.num_rows() {
            latencies.push((
                i64_at(b, "a", r).unwrap_or(0) as u32,
                i64_at(b, "b", r).unwrap_or(0) as u32,
                i64_at(b, "la", r).unwrap_or(0),
                i64_at(b, "ot", r).unwrap_or(0),
                kind(i64_at(b, "lk", r).unwrap_or(0)),
                kind(i64_at(b, "rk", r).unwrap_or(0)),
                // `lp` is 1 for a reply paired by next message; the row says whether by thread.
                i64_at(b, "lp", r).unwrap_or(0) != 1,
            ));
        }
    }
    drop(batches);
    let latency_samples = write::write_latencies(latencies_path, &latencies)?;

    Ok(AggregateSummary {
        rows: n_rows,
        events: n_events,
        undated_rows: undated,
        pairing,
        latency_samples,
        large_meetings: large,
        windows: pair_windows,
        pair_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::Engine;

    #[test]
    fn engine_names_parse_and_bad_urls_say_why() {
        assert_eq!("datafusion".parse::<Engine>(), Ok(Engine::DataFusion));
        assert_eq!(
            "ballista://127.0.0.1:50050".parse::<Engine>(),
            Ok(Engine::Ballista {
                host: "127.0.0.1".into(),
                port: 50050
            })
        );
        for (bad, says) in [
            ("spark", "unknown engine"),
            ("ballista://host", "port is missing"),
            ("ballista://host:0", "not a port number"),
            ("ballista://host:99999", "not a port number"),
            ("ballista://:50050", "not a host name"),
        ] {
            let e = bad.parse::<Engine>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
