//! The aggregation as one DataFusion plan, the same on one machine and on a Ballista cluster:
//!
//! 1. rows: the segment table in stream order (dated events repeated by an overlapping run
//!    dropped), each with whether its event is a meeting;
//! 2. deltas, the increments to pair accumulators: one per row (counts, weights, first/last
//!    time), the co-attendance of each meeting event (`om_meeting`), and reply pairing, per
//!    thread parent (`om_thread`) or per pair of people (`om_next_message`), each step over its
//!    key's rows gathered in stream order;
//! 3. every delta to its windows (`om_windows`), grouped by (window, a, b) into the pair
//!    accumulator `om_pair`; paired replies, in stream order, are the latency table.

use crate::acc::{Params, Trigger};
use crate::functions::{DELTA_NAMES, PAIR_ARGS, PairAggregate, Step, StepAggregate, WindowsOf};
use crate::segments::SegmentTable;
use datafusion::common::{JoinType, Result, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::functions::core::expr_fn::{get_field, greatest, least};
use datafusion::functions_aggregate::expr_fn::{count, count_distinct, max, min};
use datafusion::logical_expr::{AggregateUDF, Expr, ScalarUDF, col, lit, when};
use datafusion::prelude::{SessionConfig, SessionContext};
use std::ops::Not;
use std::sync::Arc;
use vocab::{Channel, Kind, Role};

/// The plan's functions (registered in every context that runs it, local or on a cluster).
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![Arc::new(WindowsOf::udf())]
}

pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(PairAggregate::udaf()),
        Arc::new(StepAggregate::udaf(Step::Meeting)),
        Arc::new(StepAggregate::udaf(Step::Thread)),
        Arc::new(StepAggregate::udaf(Step::NextMessage)),
        Arc::new(crate::functions::PreviousAggregate::udaf()),
    ]
}

/// The session options the plan needs wherever it runs. DataFusion stops pre-aggregating in a
/// partition whose groups are nearly as many as its rows (after 100,000 rows, at M's size) and
/// then turns each row into an aggregate state on its own; the plan's aggregates keep rows in
/// stream order per group and have no such state, so that switch is turned off (a ratio of 1
/// can never be exceeded).
pub fn configure(mut config: SessionConfig) -> SessionConfig {
    config
        .options_mut()
        .execution
        .skip_partial_aggregation_probe_ratio_threshold = 1.0;
    config
}

pub fn register(ctx: &SessionContext) {
    for f in scalar_functions() {
        ctx.register_udf(f.as_ref().clone());
    }
    for f in aggregate_functions() {
        ctx.register_udaf(f.as_ref().clone());
    }
}

fn udf(name: &str) -> Arc<ScalarUDF> {
    scalar_functions()
        .into_iter()
        .find(|f| f.name() == name)
        .expect("one of ours")
}

fn null_i64() -> Expr {
    lit(ScalarValue::Int64(None))
}

/// Rows of the segment table, in stream order when sorted by (t, eid, run, pos), with
/// `meeting`: whether the row's event (all its rows) is a meeting.
///
/// `shuffled`: on a cluster, the scan is one partition (Ballista's scheduler narrows a task to
/// its own partitions only for scans it knows, so a task over a scan of ours would read every
/// partition) and its rows are shuffled by event into this many partitions at once.
pub(crate) fn rows(
    ctx: &SessionContext,
    table: SegmentTable,
    overlapping: bool,
    shuffled: Option<usize>,
) -> Result<DataFrame> {
    let mut rows = ctx.read_table(Arc::new(table))?;
    if let Some(n) = shuffled {
        rows = rows.repartition(datafusion::logical_expr::Partitioning::Hash(
            vec![col("t"), col("eid")],
            n.max(1),
        ))?;
    }
    if overlapping {
        // The reader returns a dated event from the first run that has it and skips the rest.
        let firsts = rows
            .clone()
            .filter(col("dated"))?
            .aggregate(
                vec![col("t"), col("eid")],
                vec![min(col("run")).alias("first_run")],
            )?
            .select(vec![
                col("t").alias("ft_t"),
                col("eid").alias("ft_e"),
                col("first_run"),
            ])?;
        rows = rows
            .join(
                firsts,
                JoinType::Left,
                &["t", "eid"],
                &["ft_t", "ft_e"],
                None,
            )?
            .filter(col("dated").not().or(col("run").eq(col("first_run"))))?
            .drop_columns(&["ft_t", "ft_e", "first_run"])?;
    }
    let meetings = rows
        .clone()
        .filter(
            col("channel")
                .eq(lit(Channel::Meeting.code() as i32))
                .or(col("kind").eq(lit(Kind::Meeting.code() as i32))),
        )?
        .aggregate(vec![col("t"), col("eid")], vec![])?
        .select(vec![
            col("t").alias("m_t"),
            col("eid").alias("m_e"),
            lit(true).alias("m"),
        ])?;
    let rows = rows
        .join(
            meetings,
            JoinType::Left,
            &["t", "eid"],
            &["m_t", "m_e"],
            None,
        )?
        .with_column("meeting", col("m").is_not_null())?
        .drop_columns(&["m_t", "m_e", "m"])?;
    Ok(rows)
}

/// A row's arguments to a step aggregate ([`crate::functions::ROW_NAMES`], then the
/// parameters).
fn step_args(tprev: Expr, parent: bool, params: &str) -> Vec<Expr> {
    let mut args: Vec<Expr> = crate::functions::ROW_NAMES
        .iter()
        .map(|name| match *name {
            "tprev" => tprev.clone(),
            "parent" => lit(parent),
            other => col(other),
        })
        .collect();
    args.push(lit(params));
    args
}

fn udaf(name: &str) -> Arc<AggregateUDF> {
    aggregate_functions()
        .into_iter()
        .find(|f| f.name() == name)
        .expect("one of ours")
}

/// Expands a column `d` of delta lists into delta rows.
fn unnest_deltas(df: DataFrame) -> Result<DataFrame> {
    df.unnest_columns(&["d"])?.select(
        DELTA_NAMES
            .iter()
            .map(|n| get_field(col("d"), *n).alias(*n))
            .collect::<Vec<_>>(),
    )
}

fn order(names: &[&str]) -> Vec<datafusion::logical_expr::SortExpr> {
    names.iter().map(|n| col(*n).sort(true, false)).collect()
}

/// One delta per row that is not a self-loop: counts by kind, channel and role, weights,
/// requests, first and last time.
fn row_deltas(rows: DataFrame) -> Result<DataFrame> {
    let dated_t = when(col("dated"), col("t")).end()?;
    let zero = || lit(0i32);
    rows.filter(col("actor").not_eq(col("recipient")))?
        .select(vec![
            dated_t.clone().alias("wt"),
            null_i64().alias("at_t"),
            lit(ScalarValue::UInt64(None)).alias("at_e"),
            col("actor").alias("a"),
            col("recipient").alias("b"),
            col("t").alias("ot"),
            col("eid").alias("oe"),
            col("run"),
            col("pos"),
            lit(1i32).alias("n"),
            col("weight"),
            when(col("meeting"), lit(0f32))
                .otherwise(col("weight"))?
                .alias("comm"),
            lit(ScalarValue::Float64(None)).alias("meet"),
            lit(0f64).alias("meet_s"),
            col("kind"),
            col("channel"),
            col("role"),
            when(
                col("kind")
                    .eq(lit(Kind::Request.code() as i32))
                    .and(col("role").eq(lit(Role::To.code() as i32))),
                lit(1i32),
            )
            .otherwise(zero())?
            .alias("w_req"),
            zero().alias("w_help"),
            zero().alias("ign"),
            zero().alias("ask"),
            zero().alias("ans"),
            zero().alias("unans"),
            lit(ScalarValue::Float32(None)).alias("lat"),
            dated_t.alias("ft"),
            null_i64().alias("la"),
            lit(-1i32).alias("lk"),
            lit(-1i32).alias("rk"),
            lit(-1i32).alias("lp"),
        ])
}

/// Co-attendance of every meeting event.
fn meeting_deltas(rows: DataFrame, params: &str) -> Result<DataFrame> {
    let gathered = rows.filter(col("meeting"))?.aggregate(
        vec![col("t"), col("eid")],
        vec![
            udaf("om_meeting")
                .call(step_args(null_i64(), false, params))
                .alias("d"),
        ],
    )?;
    unnest_deltas(gathered.select(vec![col("d")])?)
}

/// Thread pairing: every dated event, with the rows that answer it.
fn thread_deltas(rows: DataFrame, params: &str) -> Result<DataFrame> {
    let dated = rows.filter(col("dated"))?;
    let names: Vec<String> = crate::functions::ROW_NAMES
        .iter()
        .map(|n| n.to_string())
        .collect();
    let columns = |key: Expr, tprev: Expr, parent: bool| -> Vec<Expr> {
        let mut out = vec![key.alias("key")];
        for n in &names {
            out.push(match n.as_str() {
                "tprev" => tprev.clone().alias("tprev"),
                "parent" => lit(parent).alias("parent"),
                other => col(other),
            });
        }
        out
    };
    // Every dated event may be answered, or open requests and asks that expire.
    let parents = dated
        .clone()
        .select(columns(col("eid"), null_i64(), true))?;
    // The time of the group before each event (the streaming path expires what it sent after
    // processing each group, so an answer pairs while that time is within the window).
    let previous = dated
        .clone()
        .aggregate(vec![col("t"), col("eid")], vec![])?
        .aggregate(
            vec![],
            vec![
                udaf("om_previous")
                    .call(vec![col("t"), col("eid")])
                    .alias("p"),
            ],
        )?
        .unnest_columns(&["p"])?
        .select(vec![
            get_field(col("p"), "p_t").alias("p_t"),
            get_field(col("p"), "p_e").alias("p_e"),
            get_field(col("p"), "tprev").alias("tprev"),
        ])?;
    let answers = dated
        .filter(col("irt").is_not_null())?
        .join(
            previous,
            JoinType::Inner,
            &["t", "eid"],
            &["p_t", "p_e"],
            None,
        )?
        .select(columns(col("irt"), col("tprev"), false))?;
    let mut args: Vec<Expr> = crate::functions::ROW_NAMES
        .iter()
        .map(|n| col(*n))
        .collect();
    args.push(lit(params));
    let gathered = parents.union(answers)?.aggregate(
        vec![col("key")],
        vec![udaf("om_thread").call(args).alias("d")],
    )?;
    unnest_deltas(gathered.select(vec![col("d")])?)
}

/// Next-message pairing: both directions of every pair of people.
fn next_message_deltas(rows: DataFrame, params: &str) -> Result<DataFrame> {
    let gathered = rows
        .filter(
            col("dated")
                .and(col("actor").not_eq(col("recipient")))
                .and(col("role").not_eq(lit(Role::Organizer.code() as i32))),
        )?
        .aggregate(
            vec![
                least(vec![col("actor"), col("recipient")]).alias("k1"),
                greatest(vec![col("actor"), col("recipient")]).alias("k2"),
            ],
            vec![
                udaf("om_next_message")
                    .call(step_args(null_i64(), false, params))
                    .alias("d"),
            ],
        )?;
    unnest_deltas(gathered.select(vec![col("d")])?)
}

/// The pairing step's deltas.
pub(crate) fn pairing_deltas(rows: DataFrame, thread: bool, params: &str) -> Result<DataFrame> {
    if thread {
        thread_deltas(rows, params)
    } else {
        next_message_deltas(rows, params)
    }
}

/// Pair rows: (win, a, b, row bytes).
///
/// `meetings`: whether any event is a meeting (without, the meeting step is left out: a branch
/// that is empty everywhere stalled a Ballista 55 job).
///
/// `pairing`: [`pairing_deltas`] (the same deltas give [`latencies`]).
pub(crate) fn pairs(
    rows: DataFrame,
    pairing: DataFrame,
    meetings: bool,
    params: &str,
) -> Result<DataFrame> {
    let mut deltas = row_deltas(rows.clone())?;
    if meetings {
        deltas = deltas.union(meeting_deltas(rows, params)?)?;
    }
    let deltas = deltas.union(pairing)?;
    let mut select = vec![
        udf("om_windows")
            .call(vec![col("wt"), col("at_t"), col("at_e"), lit(params)])
            .alias("win"),
        col("a"),
        col("b"),
    ];
    select.extend(PAIR_ARGS.iter().skip(1).map(|n| col(*n)));
    let windows = deltas.select(select)?.unnest_columns(&["win"])?;
    let mut args: Vec<Expr> = PAIR_ARGS.iter().map(|n| col(*n)).collect();
    args.push(lit(params));
    let om_pair = udaf("om_pair");
    windows.aggregate(
        vec![col("win"), col("a"), col("b")],
        vec![om_pair.call(args).alias("row")],
    )
}

/// Paired replies in stream order, (a, b, la, ot, lk, rk, lp), from [`pairing_deltas`].
pub(crate) fn latencies(pairing: DataFrame) -> Result<DataFrame> {
    pairing
        .filter(col("lat").is_not_null())?
        .sort(order(&["ot", "oe", "run", "pos"]))?
        .select(vec![
            col("a"),
            col("b"),
            col("la"),
            col("ot"),
            col("lk"),
            col("rk"),
            col("lp"),
        ])
}

/// Counts for the summary: rows, undated rows, the last dated time.
pub(crate) fn counts(rows: DataFrame) -> Result<DataFrame> {
    rows.aggregate(
        vec![],
        vec![
            count(lit(1i32)).alias("rows"),
            count(col("dated").not().then_some_one()).alias("undated"),
            max(when(col("dated"), col("t")).end()?).alias("max_t"),
        ],
    )
}

/// Events (groups), and meeting events over the size limit.
pub(crate) fn events(rows: DataFrame, max_meeting_size: usize) -> Result<DataFrame> {
    let per_event = rows.aggregate(
        vec![col("t"), col("eid")],
        vec![
            max(col("meeting").then_one()).alias("meeting"),
            count_distinct(col("recipient")).alias("recipients"),
            max(col("recipient").eq(col("actor")).then_one()).alias("self"),
        ],
    )?;
    per_event.aggregate(
        vec![],
        vec![
            count(lit(1i32)).alias("events"),
            count(when(col("meeting").eq(lit(1i32)), lit(1i32)).end()?).alias("meetings"),
            count(
                when(
                    col("meeting").eq(lit(1i32)).and(
                        (col("recipients") + lit(1i64) - col("self").cast_to_i64())
                            .gt(lit(max_meeting_size as i64)),
                    ),
                    lit(1i32),
                )
                .end()?,
            )
            .alias("large"),
        ],
    )
}

/// Distinct dated times with their first event and how many events they hold (for the close
/// checks of the streaming path).
pub(crate) fn times(rows: DataFrame) -> Result<DataFrame> {
    rows.filter(col("dated"))?
        .aggregate(
            vec![col("t")],
            vec![
                min(col("eid")).alias("first_eid"),
                count_distinct(col("eid")).alias("events"),
            ],
        )?
        .sort(order(&["t"]))
}

/// The streaming path's close checks: after the first group at a time at least an hour after
/// the previous check (never after the very last group), and each bounded window's trigger,
/// the first check at or past its end plus the reply window.
pub(crate) fn close_triggers(
    times: &[(i64, u64, u64)],
    windows: &[(i64, i64)],
    reply_window_ms: i64,
) -> Vec<(i64, Trigger)> {
    let mut checks: Vec<Trigger> = Vec::new();
    let mut next = i64::MIN;
    for (i, &(t, first, events)) in times.iter().enumerate() {
        let last_time = i + 1 == times.len();
        if last_time && events < 2 {
            break;
        }
        if t >= next {
            checks.push((t, first));
            next = t.saturating_add(3_600_000);
        }
    }
    let mut out = Vec::new();
    for &(code, end) in windows {
        let until = end.saturating_add(reply_window_ms);
        let k = checks.partition_point(|c| c.0 < until);
        if let Some(&c) = checks.get(k) {
            out.push((code, c));
        }
    }
    out
}

trait ThenOne {
    fn then_one(self) -> Expr;
    fn then_some_one(self) -> Expr;
    fn cast_to_i64(self) -> Expr;
}

impl ThenOne for Expr {
    /// 1 when true, else 0.
    fn then_one(self) -> Expr {
        when(self, lit(1i32)).otherwise(lit(0i32)).expect("case")
    }
    /// 1 when true, else null (for counting).
    fn then_some_one(self) -> Expr {
        when(self, lit(1i32)).end().expect("case")
    }
    fn cast_to_i64(self) -> Expr {
        datafusion::logical_expr::cast(self, datafusion::arrow::datatypes::DataType::Int64)
    }
}

impl Params {
    /// Window codes with their end, for every bounded window the data's time span touches.
    pub(crate) fn bounded_windows(&self, min_t: i64, max_t: i64) -> Vec<(i64, i64)> {
        use vocab::{Window, WindowSpec};
        let mut out = Vec::new();
        for spec in &self.specs {
            match spec {
                WindowSpec::All => {}
                WindowSpec::Fixed(w) => {
                    if let Some((_, end)) = w.bounds() {
                        out.push((self.code(w), end));
                    }
                }
                WindowSpec::Months | WindowSpec::Quarters => {
                    let mut t = min_t;
                    while let Some(w) = spec.window_of(Some(t)) {
                        let Some((_, end)) = w.bounds() else { break };
                        out.push((self.code(&w), end));
                        if end > max_t {
                            break;
                        }
                        t = end;
                    }
                    let _ = Window::All;
                }
            }
        }
        out
    }
}
