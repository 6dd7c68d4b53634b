//! The workspace's interaction segments as a DataFusion table: each row group is a sorted run,
//! numbered in the order the streaming reader merges them, and each row carries its run and
//! position, so that the plan can order rows exactly as `store::EventReader` yields them (and
//! drop a dated event that an overlapping export repeats in a later run, as the reader does).

use crate::objects;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int32Array, Int64Array, RecordBatch, UInt64Array,
};
use datafusion::arrow::datatypes::{
    DataType, Field, Float32Type, Int32Type, Int64Type, Schema, SchemaRef, TimestampMillisecondType,
};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result, project_schema};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::file::metadata::ParquetMetaData;
use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
use datafusion::parquet::file::statistics::Statistics;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::StreamExt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One sorted run: a row group of a segment file, and its number in merge order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub(crate) path: String,
    pub(crate) row_group: usize,
    pub(crate) run: i32,
    /// For an object in a store, its size when the client checked it (the executors read only
    /// an object of that size); 0 for a file.
    pub(crate) size: u64,
}

/// What the files' metadata tells before any row is read.
#[derive(Debug, Clone)]
pub(crate) struct Segments {
    pub(crate) runs: Vec<Run>,
    /// Runs overlap in time: the reader merges them (and skips repeated dated events).
    pub(crate) overlapping: bool,
    pub(crate) reply_ids: u64,
}

const SEGMENT_COLUMNS: [&str; 12] = [
    "event_id",
    "time",
    "actor",
    "recipient",
    "role",
    "channel",
    "kind",
    "thread_id",
    "in_reply_to",
    "duration_s",
    "speaking_s",
    "weight",
];

impl Segments {
    /// Reads the segments' footers: runs in the order `store::EventReader` merges them (by
    /// their (min, max) time, undated first), whether they overlap, and how many rows carry a
    /// reply id. With `at` (an object store's URL, `--segments`), each segment is read there by
    /// its file name instead, and must have the workspace's file's size.
    pub(crate) async fn open(paths: &[PathBuf], at: Option<&str>) -> Result<Segments, String> {
        let mut spans = Vec::new();
        let mut reply_ids = 0u64;
        for path in paths {
            match at {
                None => {
                    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
                    let reader = SerializedFileReader::new(file)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let location = path.to_string_lossy().into_owned();
                    footer(reader.metadata(), &location, 0, &mut spans, &mut reply_ids)?;
                }
                Some(base) => {
                    let name = path
                        .file_name()
                        .ok_or_else(|| format!("{}: not a segment file", path.display()))?
                        .to_string_lossy();
                    let location = objects::join(base, &name);
                    let want = std::fs::metadata(path)
                        .map_err(|e| format!("{}: {e}", path.display()))?
                        .len();
                    let size = objects::size(&location).await?.ok_or_else(|| {
                        format!(
                            "{location}: no such object; copy the workspace's segments there (its folder events/, {} files)",
                            paths.len()
                        )
                    })?;
                    let checked = if size == want {
                        objects::checked_footer(&location, size, path).await?
                    } else {
                        None
                    };
                    let Some(meta) = checked else {
                        return Err(format!(
                            "{location}: {size} bytes, where the workspace's {name} has {want}{}: not the same segment; copy the workspace's segments there again",
                            if size == want {
                                ", and another footer"
                            } else {
                                ""
                            }
                        ));
                    };
                    footer(&meta, &location, size, &mut spans, &mut reply_ids)?;
                }
            }
        }
        spans.sort_by_key(|s| (s.0, s.1));
        let disjoint = spans.windows(2).all(|w| w[0].1 < w[1].0);
        Ok(Segments {
            runs: spans
                .into_iter()
                .enumerate()
                .map(|(i, (_, _, path, size, row_group))| Run {
                    path,
                    row_group,
                    run: i as i32,
                    size,
                })
                .collect(),
            overlapping: !disjoint,
            reply_ids,
        })
    }
}

/// One segment's row groups as (min time, max time, location, object size or 0, row group), and
/// its rows with a reply id counted.
fn footer(
    meta: &ParquetMetaData,
    location: &str,
    size: u64,
    spans: &mut Vec<(i64, i64, String, u64, usize)>,
    reply_ids: &mut u64,
) -> Result<(), String> {
    let schema = meta.file_metadata().schema_descr();
    let names: Vec<&str> = schema.columns().iter().map(|c| c.name()).collect();
    if names != SEGMENT_COLUMNS {
        return Err(format!("{location}: not an orgmirror interaction segment"));
    }
    for rg in 0..meta.num_row_groups() {
        let meta = meta.row_group(rg);
        let rows = meta.num_rows() as u64;
        if let Some(stats) = meta.column(8).statistics() {
            let nulls = stats.null_count_opt().unwrap_or(rows);
            *reply_ids += rows.saturating_sub(nulls);
        }
        let (min, max) = match meta.column(1).statistics() {
            Some(Statistics::Int64(s)) => {
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
        spans.push((min, max, location.to_string(), size, rg));
    }
    Ok(())
}

/// Columns of the segment table.
pub(crate) fn row_schema() -> SchemaRef {
    use DataType::*;
    Arc::new(Schema::new(vec![
        // Time, or i64::MIN for undated rows (they come first, as in the reader).
        Field::new("t", Int64, false),
        Field::new("dated", Boolean, false),
        Field::new("eid", UInt64, false),
        Field::new("run", Int32, false),
        Field::new("pos", Int32, false),
        Field::new("actor", Int32, false),
        Field::new("recipient", Int32, false),
        Field::new("role", Int32, false),
        Field::new("channel", Int32, false),
        Field::new("kind", Int32, false),
        Field::new("irt", UInt64, true),
        Field::new("dur", Int32, true),
        Field::new("weight", Float32, false),
    ]))
}

/// The segments as a table (a list of runs; read where the plan runs).
#[derive(Debug, Clone)]
pub struct SegmentTable {
    pub(crate) runs: Vec<Run>,
    /// One partition (on a cluster; see `plan::rows`), else one per core.
    pub(crate) single: bool,
}

#[async_trait::async_trait]
impl TableProvider for SegmentTable {
    fn schema(&self) -> SchemaRef {
        row_schema()
    }
    fn table_type(&self) -> TableType {
        TableType::Base
    }
    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let partitions = if self.single {
            1
        } else {
            state
                .config()
                .target_partitions()
                .clamp(1, self.runs.len().max(1))
        };
        Ok(Arc::new(SegmentScan::new(
            self.runs.clone(),
            partitions,
            projection.cloned(),
        )?))
    }
}

/// Reads runs, contiguous slices of them per partition, with each row's run and position.
#[derive(Debug, Clone)]
pub struct SegmentScan {
    pub(crate) runs: Vec<Run>,
    pub(crate) partitions: usize,
    pub(crate) projection: Option<Vec<usize>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl SegmentScan {
    pub(crate) fn new(
        runs: Vec<Run>,
        partitions: usize,
        projection: Option<Vec<usize>>,
    ) -> Result<SegmentScan> {
        let schema = project_schema(&row_schema(), projection.as_ref())?;
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(partitions.max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(SegmentScan {
            runs,
            partitions: partitions.max(1),
            projection,
            schema,
            properties,
        })
    }

    fn runs_of(&self, partition: usize) -> Vec<Run> {
        let n = self.runs.len();
        let (lo, hi) = (
            partition * n / self.partitions,
            (partition + 1) * n / self.partitions,
        );
        self.runs[lo..hi].to_vec()
    }
}

impl DisplayAs for SegmentScan {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "SegmentScan: {} runs in {} partitions",
            self.runs.len(),
            self.partitions
        )
    }
}

impl ExecutionPlan for SegmentScan {
    fn name(&self) -> &str {
        "SegmentScan"
    }
    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }
    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(
            &Arc<dyn datafusion::physical_expr::PhysicalExpr>,
        ) -> Result<datafusion::common::tree_node::TreeNodeRecursion>,
    ) -> Result<datafusion::common::tree_node::TreeNodeRecursion> {
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    }
    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }
    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let runs = self.runs_of(partition);
        let projection = self.projection.clone();
        let batches = futures::stream::iter(runs)
            .then(|run| async move { read_run(&run).await })
            .flat_map(move |read| {
                let projection = projection.clone();
                let batches = match read {
                    Ok(batches) => batches
                        .into_iter()
                        .map(move |b| match &projection {
                            Some(p) => b.project(p).map_err(DataFusionError::from),
                            None => Ok(b),
                        })
                        .collect::<Vec<_>>(),
                    Err(e) => vec![Err(e)],
                };
                futures::stream::iter(batches)
            });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            batches,
        )))
    }
}

/// One run's rows, in stored order, as batches of the segment table: from its file, or from its
/// object store.
async fn read_run(run: &Run) -> Result<Vec<RecordBatch>> {
    let stored = if objects::is_url(&run.path) {
        objects::row_group(&run.path, run.size, run.row_group, 65_536)
            .await
            .map_err(|e| DataFusionError::Execution(format!("cannot read segment {e}")))?
    } else {
        let path = Path::new(&run.path);
        let file = File::open(path).map_err(|e| {
            DataFusionError::Execution(format!("cannot open segment {}: {e}", path.display()))
        })?;
        ParquetRecordBatchReaderBuilder::try_new(file)?
            .with_row_groups(vec![run.row_group])
            .with_batch_size(65_536)
            .build()?
            .collect::<std::result::Result<Vec<_>, _>>()?
    };
    let mut pos = 0i32;
    let mut out = Vec::new();
    for batch in stored {
        let n = batch.num_rows();
        let time = batch.column(1).as_primitive::<TimestampMillisecondType>();
        let t: Int64Array = (0..n)
            .map(|i| {
                if time.is_valid(i) {
                    time.value(i)
                } else {
                    i64::MIN
                }
            })
            .collect::<Vec<_>>()
            .into();
        let dated: BooleanArray = (0..n).map(|i| Some(time.is_valid(i))).collect();
        let eid: UInt64Array = batch
            .column(0)
            .as_primitive::<Int64Type>()
            .values()
            .iter()
            .map(|&v| v as u64)
            .collect::<Vec<_>>()
            .into();
        let irt_col = batch.column(8).as_primitive::<Int64Type>();
        let irt: UInt64Array = (0..n)
            .map(|i| irt_col.is_valid(i).then(|| irt_col.value(i) as u64))
            .collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(t),
            Arc::new(dated),
            Arc::new(eid),
            Arc::new(Int32Array::from(vec![run.run; n])),
            Arc::new(Int32Array::from_iter_values(pos..pos + n as i32)),
            int32(&batch, 2),
            int32(&batch, 3),
            int32(&batch, 4),
            int32(&batch, 5),
            int32(&batch, 6),
            Arc::new(irt),
            int32(&batch, 9),
            Arc::new(batch.column(11).as_primitive::<Float32Type>().clone()),
        ];
        pos += n as i32;
        out.push(RecordBatch::try_new(row_schema(), columns)?);
    }
    Ok(out)
}

fn int32(batch: &RecordBatch, i: usize) -> ArrayRef {
    Arc::new(batch.column(i).as_primitive::<Int32Type>().clone())
}
