//! Ballista: the client (a context whose plans go to a scheduler), and the codecs that carry the
//! plan's own parts over the wire — the segment scan (as its list of runs) and the plan's
//! functions (by name) — wrapped around Ballista's codecs. `orgmirror-scheduler` and
//! `orgmirror-executor` start with the same codecs; a stock Ballista scheduler cannot decode
//! the plan.

use crate::EngineError;
use crate::plan;
use crate::segments::{Run, SegmentScan, SegmentTable, row_schema};
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::FunctionRegistry;
use datafusion::execution::TaskContext;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use std::sync::Arc;
use std::time::Duration;

const TABLE_MAGIC: &[u8] = b"orgmirror-segments-v2\n";
const SCAN_MAGIC: &[u8] = b"orgmirror-scan-v2\n";

fn encode_runs(runs: &[Run], out: &mut Vec<u8>) {
    for r in runs {
        out.extend_from_slice(
            format!("{}\t{}\t{}\t{}\n", r.run, r.row_group, r.size, r.path).as_bytes(),
        );
    }
}

fn decode_runs(text: &str) -> Result<Vec<Run>> {
    let mut runs = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(4, '\t');
        let bad = || DataFusionError::Internal(format!("bad segment run `{line}`"));
        let run = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let row_group = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let size = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let path = parts.next().ok_or_else(bad)?.to_string();
        runs.push(Run {
            path,
            row_group,
            run,
            size,
        });
    }
    Ok(runs)
}

fn ours_udf(name: &str) -> Option<Arc<ScalarUDF>> {
    plan::scalar_functions()
        .into_iter()
        .find(|f| f.name() == name)
}

fn ours_udaf(name: &str) -> Option<Arc<AggregateUDF>> {
    plan::aggregate_functions()
        .into_iter()
        .find(|f| f.name() == name)
}

/// Ballista's logical codec, plus the segment table and the plan's functions.
#[derive(Debug, Default)]
pub struct LogicalCodec {
    inner: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for LogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }
    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }
    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: datafusion::arrow::datatypes::SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match buf.strip_prefix(TABLE_MAGIC) {
            Some(rest) => {
                let text = String::from_utf8_lossy(rest);
                let (single, runs) = text.split_once('\n').unwrap_or((&text, ""));
                Ok(Arc::new(SegmentTable {
                    runs: decode_runs(runs)?,
                    single: single == "single",
                }))
            }
            None => self
                .inner
                .try_decode_table_provider(buf, table_ref, schema, ctx),
        }
    }
    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        match node.downcast_ref::<SegmentTable>() {
            Some(t) => {
                buf.extend_from_slice(TABLE_MAGIC);
                buf.extend_from_slice(if t.single { b"single\n" } else { b"spread\n" });
                encode_runs(&t.runs, buf);
                Ok(())
            }
            None => self.inner.try_encode_table_provider(table_ref, node, buf),
        }
    }
    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }
    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }
    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        match ours_udf(name) {
            Some(f) => Ok(f),
            None => self.inner.try_decode_udf(name, buf),
        }
    }
    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udf(node, buf)
    }
    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        match ours_udaf(name) {
            Some(f) => Ok(f),
            None => self.inner.try_decode_udaf(name, buf),
        }
    }
    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }
}

/// Ballista's physical codec, plus the segment scan and the plan's functions.
#[derive(Debug, Default)]
pub struct PhysicalCodec {
    inner: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for PhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(rest) = buf.strip_prefix(SCAN_MAGIC) else {
            return self.inner.try_decode(buf, inputs, ctx, proto_converter);
        };
        let text = String::from_utf8_lossy(rest);
        let (head, runs) = text.split_once('\n').unwrap_or((&text, ""));
        let (partitions, projection) = head.split_once(';').unwrap_or((head, ""));
        let partitions: usize = partitions
            .parse()
            .map_err(|_| DataFusionError::Internal(format!("bad segment scan header `{head}`")))?;
        let projection = if projection == "*" {
            None
        } else {
            Some(
                projection
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(|p| p.parse::<usize>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| {
                        DataFusionError::Internal(format!("bad projection `{projection}`"))
                    })?,
            )
        };
        if let Some(p) = &projection
            && p.iter().any(|&i| i >= row_schema().fields().len())
        {
            return Err(DataFusionError::Internal("projection out of range".into()));
        }
        Ok(Arc::new(SegmentScan::new(
            decode_runs(runs)?,
            partitions,
            projection,
        )?))
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        match node.downcast_ref::<SegmentScan>() {
            Some(scan) => {
                buf.extend_from_slice(SCAN_MAGIC);
                let projection = match &scan.projection {
                    None => "*".to_string(),
                    Some(p) => p
                        .iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                };
                buf.extend_from_slice(format!("{};{}\n", scan.partitions, projection).as_bytes());
                encode_runs(&scan.runs, buf);
                Ok(())
            }
            None => self.inner.try_encode(node, buf, proto_converter),
        }
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        match ours_udf(name) {
            Some(f) => Ok(f),
            None => self.inner.try_decode_udf(name, buf),
        }
    }
    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udf(node, buf)
    }
    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        match ours_udaf(name) {
            Some(f) => Ok(f),
            None => self.inner.try_decode_udaf(name, buf),
        }
    }
    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }
}

/// A session configuration with our codecs (the client's, the scheduler's and the executors').
///
/// Ballista 55's adaptive planner (on by default) replans a stage after each of its tasks
/// completes; on the pair plan it keeps superseding stages and the job never ends (thousands
/// of one-task stages on a 34,000-row Enron workspace). The static distributed planner runs
/// the plan as written. The plan's own options ([`crate::plan::configure`]) go with it.
pub fn session_config() -> SessionConfig {
    crate::plan::configure(SessionConfig::new_with_ballista())
        .with_ballista_adaptive_query_planner(false)
        .with_ballista_logical_extension_codec(Arc::new(LogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(PhysicalCodec::default()))
}

/// A session state with our codecs and functions.
pub fn session_state(config: SessionConfig) -> datafusion::execution::SessionState {
    let mut state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    for f in plan::scalar_functions() {
        let _ = state.register_udf(f);
    }
    for f in plan::aggregate_functions() {
        let _ = state.register_udaf(f);
    }
    state
}

/// A context whose plans run on the Ballista cluster at `host:port`.
pub(crate) async fn connect(host: &str, port: u16) -> Result<SessionContext, EngineError> {
    // Say plainly when nothing listens there, before Ballista's own retries and messages.
    let addr = format!("{host}:{port}");
    let reachable = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(addr.clone()),
    )
    .await;
    match reachable {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            return Err(EngineError::Cluster(format!(
                "cannot reach the Ballista scheduler at {addr}: {e} (start one with `orgmirror-scheduler --bind {addr}`)"
            )));
        }
        Err(_) => {
            return Err(EngineError::Cluster(format!(
                "cannot reach the Ballista scheduler at {addr}: no answer in 5 s"
            )));
        }
    }
    let state = session_state(session_config());
    let url = format!("df://{host}:{port}");
    let ctx = SessionContext::remote_with_state(&url, state)
        .await
        .map_err(|e| EngineError::Cluster(format!("Ballista scheduler at {addr}: {e}")))?;
    plan::register(&ctx);
    Ok(ctx)
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Runs a scheduler with our codecs on `addr` until the process ends.
pub fn run_scheduler(addr: std::net::SocketAddr) -> Result<(), String> {
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    runtime()?.block_on(async move {
        let config = SchedulerConfig {
            bind_host: addr.ip().to_string(),
            bind_port: addr.port(),
            external_host: addr.ip().to_string(),
            override_logical_codec: Some(Arc::new(LogicalCodec::default())),
            override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
            ..SchedulerConfig::default()
        }
        .with_override_config_producer(Arc::new(session_config))
        .with_override_session_builder(Arc::new(|config| Ok(session_state(config))));
        let cluster = BallistaCluster::new_from_config(&config)
            .await
            .map_err(|e| e.to_string())?;
        ballista_scheduler::scheduler_process::start_server(cluster, addr, Arc::new(config))
            .await
            .map_err(|e| e.to_string())
    })
}

/// Where an executor listens and whom it serves.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// Host and port of the Arrow Flight service (shuffle data).
    pub bind_host: String,
    pub port: u16,
    /// Port of the executor's gRPC service.
    pub grpc_port: u16,
    pub scheduler_host: String,
    pub scheduler_port: u16,
    /// Tasks at once (default: the cores).
    pub concurrent_tasks: Option<usize>,
    /// Where shuffle files go (default: a temporary folder).
    pub work_dir: Option<String>,
}

/// Runs an executor with our codecs until the process ends.
pub fn run_executor(opts: ExecutorOptions) -> Result<(), String> {
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let mut config = ExecutorProcessConfig {
        bind_host: opts.bind_host.clone(),
        external_host: Some(opts.bind_host),
        port: opts.port,
        grpc_port: opts.grpc_port,
        scheduler_host: opts.scheduler_host,
        scheduler_port: opts.scheduler_port,
        work_dir: opts.work_dir,
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        override_config_producer: Some(Arc::new(session_config)),
        ..ExecutorProcessConfig::default()
    };
    if let Some(n) = opts.concurrent_tasks {
        config.vcores = n;
    }
    runtime()?
        .block_on(start_executor_process(Arc::new(config)))
        .map_err(|e| e.to_string())
}

/// Ballista's own log lines (it logs through the `log` facade) on standard error, at the level
/// named by `ORGMIRROR_LOG` (`error`, `warn`, `info`, `debug`, `trace`; default `warn`), each
/// prefixed with the process name: what an operator reads when a job stalls or fails.
pub fn init_logging(process: &'static str) {
    struct Stderr {
        process: &'static str,
        level: log::LevelFilter,
    }
    impl log::Log for Stderr {
        fn enabled(&self, meta: &log::Metadata) -> bool {
            meta.level() <= self.level
        }
        fn log(&self, record: &log::Record) {
            if self.enabled(record.metadata()) {
                eprintln!(
                    "{} {} {}: {}",
                    self.process,
                    record.level(),
                    record.target(),
                    record.args()
                );
            }
        }
        fn flush(&self) {}
    }
    let level = std::env::var("ORGMIRROR_LOG")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(log::LevelFilter::Warn);
    let logger: &'static Stderr = Box::leak(Box::new(Stderr { process, level }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}
