//! Segments in an object store: `s3://BUCKET/PREFIX` (Amazon S3 or an S3-compatible store that
//! answers range requests with 206: MinIO, Ceph, Cloudflare R2, SeaweedFS) or `file:///PATH`, for a cluster whose executors
//! do not share the workspace's file system.
//!
//! A store is opened from its URL and the process's environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, ...: every `AWS_*`
//! variable `object_store` knows), once per bucket and process: the client and each executor
//! read with their own credentials.

use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::ParquetRecordBatchStreamBuilder;
use datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions;
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::parquet::errors::ParquetError;
use datafusion::parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use futures::future::BoxFuture;
use futures::{FutureExt, TryFutureExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use rustc_hash::FxHashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

/// Whether a segment's location is an object's URL rather than a file's path.
pub(crate) fn is_url(location: &str) -> bool {
    location.contains("://")
}

/// The location of `file_name` under the store URL `base` (a "folder": a bucket and a prefix).
pub(crate) fn join(base: &str, file_name: &str) -> String {
    format!("{}/{file_name}", base.trim_end_matches('/'))
}

/// Checks a store URL as typed (`--segments`): its scheme and that it names a bucket or path.
pub fn check_url(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`{text}`: a store URL names a folder, without `?` or `#`"
        ));
    }
    if url.scheme() == "file"
        && url
            .host_str()
            .is_some_and(|h| !h.is_empty() && h != "localhost")
    {
        return Err(format!(
            "`{text}`: a file URL has no host (file:///PATH, three slashes)"
        ));
    }
    match url.scheme() {
        "s3" | "s3a" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        "s3" | "s3a" => Err(format!(
            "`{text}`: the bucket is missing (s3://BUCKET/PREFIX)"
        )),
        "file" => Ok(()),
        other => Err(format!(
            "`{text}`: object stores of scheme `{other}` are not supported (s3://BUCKET/PREFIX or file:///PATH)"
        )),
    }
}

/// The store holding `location` (opened once per bucket and process) and the object's path in it.
fn open(location: &str) -> Result<(Arc<dyn ObjectStore>, ObjectPath), String> {
    check_url(location)?;
    let url = url::Url::parse(location).map_err(|e| format!("{location}: {e}"))?;
    let path = ObjectPath::from_url_path(url.path()).map_err(|e| format!("{location}: {e}"))?;
    let key = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    static STORES: OnceLock<Mutex<FxHashMap<String, Arc<dyn ObjectStore>>>> = OnceLock::new();
    let mut stores = STORES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(store) = stores.get(&key) {
        return Ok((store.clone(), path));
    }
    let store: Arc<dyn ObjectStore> = match url.scheme() {
        "file" => Arc::new(object_store::local::LocalFileSystem::new()),
        _ => Arc::new(
            object_store::aws::AmazonS3Builder::from_env()
                .with_url(key.clone())
                .build()
                .map_err(|e| format!("{key}: cannot open the store: {e}"))?,
        ),
    };
    stores.insert(key, store.clone());
    Ok((store, path))
}

/// The object's size in bytes (`None` when there is no such object).
pub(crate) async fn size(location: &str) -> Result<Option<u64>, String> {
    let (store, path) = open(location)?;
    match store.head(&path).await {
        Ok(meta) => Ok(Some(meta.size)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(format!("{location}: {e}")),
    }
}

/// A Parquet object of known size, read by bounded range requests (the footer once per reader).
struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    size: u64,
}

fn external(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for ObjectReader {
    fn get_bytes(
        &mut self,
        range: Range<u64>,
    ) -> BoxFuture<'_, datafusion::parquet::errors::Result<bytes::Bytes>> {
        self.store
            .get_range(&self.path, range)
            .map_err(external)
            .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, datafusion::parquet::errors::Result<Vec<bytes::Bytes>>> {
        async move {
            self.store
                .get_ranges(&self.path, &ranges)
                .await
                .map_err(external)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, datafusion::parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

async fn builder(
    location: &str,
    size: u64,
) -> Result<ParquetRecordBatchStreamBuilder<ObjectReader>, String> {
    let (store, path) = open(location)?;
    let reader = ObjectReader { store, path, size };
    ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(|e| format!("{location}: {e}"))
}

/// The object's Parquet footer, decoded, when it is byte for byte the local file's (both `size`
/// bytes long: the metadata and the 8 bytes after it); `None` when it is not.
pub(crate) async fn checked_footer(
    location: &str,
    size: u64,
    file: &std::path::Path,
) -> Result<Option<ParquetMetaData>, String> {
    use std::io::{Read, Seek, SeekFrom};
    let local = |len: u64| -> Result<Vec<u8>, String> {
        let mut f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut buf = vec![0u8; len as usize];
        f.seek(SeekFrom::Start(size - len))
            .and_then(|_| f.read_exact(&mut buf))
            .map_err(|e| format!("{}: {e}", file.display()))?;
        Ok(buf)
    };
    if size < 12 {
        return Ok(None);
    }
    let tail = local(8)?;
    let meta_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    let len = (meta_len + 8).min(size);
    let (store, path) = open(location)?;
    let theirs = store
        .get_range(&path, size - len..size)
        .await
        .map_err(|e| format!("{location}: {e}"))?;
    if theirs.as_ref() != local(len)?.as_slice() {
        return Ok(None);
    }
    ParquetMetaDataReader::decode_metadata(&theirs[..theirs.len() - 8])
        .map(Some)
        .map_err(|e| format!("{location}: {e}"))
}

/// One row group of the object, every column, in batches of up to `batch_size` rows. The
/// object must still be `size` bytes long, as when the client checked it.
pub(crate) async fn row_group(
    location: &str,
    size: u64,
    row_group: usize,
    batch_size: usize,
) -> Result<Vec<RecordBatch>, String> {
    match self::size(location).await? {
        None => return Err(format!("{location}: no such object")),
        Some(now) if now != size => {
            return Err(format!(
                "{location}: {now} bytes, {size} when the run began: the segment changed"
            ));
        }
        Some(_) => {}
    }
    builder(location, size)
        .await?
        .with_row_groups(vec![row_group])
        .with_batch_size(batch_size)
        .build()
        .map_err(|e| format!("{location}: {e}"))?
        .try_collect()
        .await
        .map_err(|e| format!("{location}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_are_checked_as_typed() {
        assert!(check_url("s3://bucket/prefix/segments").is_ok());
        assert!(check_url("s3://bucket").is_ok());
        assert!(check_url("file:///var/ws/segments").is_ok());
        let e = check_url("s3:///segments").unwrap_err();
        assert!(e.contains("bucket is missing"), "{e}");
        let e = check_url("gs://bucket/segments").unwrap_err();
        assert!(e.contains("`gs` are not supported"), "{e}");
        let e = check_url("segments").unwrap_err();
        assert!(e.contains("is not a URL"), "{e}");
        let e = check_url("file://srv/ws/segments").unwrap_err();
        assert!(e.contains("three slashes"), "{e}");
        assert!(check_url("file://localhost/srv/ws/segments").is_ok());
        let e = check_url("s3://bucket/segments?versionId=1").unwrap_err();
        assert!(e.contains("without `?`"), "{e}");
        assert_eq!(join("s3://b/p/", "x.parquet"), "s3://b/p/x.parquet");
        assert_eq!(join("s3://b/p", "x.parquet"), "s3://b/p/x.parquet");
    }

    /// A `file://` store reads what the file system holds: sizes, a missing object, a footer
    /// and a row group.
    #[test]
    fn a_file_store_reads_footers_and_row_groups() {
        use datafusion::arrow::array::Int64Array;
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        use datafusion::parquet::arrow::ArrowWriter;
        use datafusion::parquet::file::properties::WriterProperties;
        // (No tempfile here: the crate is outside the workspace, where dev-dependencies cannot
        // be tested.)
        let dir = std::env::temp_dir().join(format!("orgmirror-objects-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("seg.parquet");
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(4))
            .build();
        let mut w = ArrowWriter::try_new(
            std::fs::File::create(&file).unwrap(),
            schema.clone(),
            Some(props),
        )
        .unwrap();
        let batch =
            RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..10))])
                .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let url = url::Url::from_file_path(&file).unwrap().to_string();
        let missing = url::Url::from_file_path(dir.join("none.parquet"))
            .unwrap()
            .to_string();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let n = size(&url).await.unwrap().unwrap();
            assert_eq!(n, std::fs::metadata(&file).unwrap().len());
            assert_eq!(size(&missing).await.unwrap(), None);
            let meta = checked_footer(&url, n, &file).await.unwrap().unwrap();
            assert_eq!(meta.num_row_groups(), 3);
            let batches = row_group(&url, n, 1, 3).await.unwrap();
            let values: Vec<i64> = batches
                .iter()
                .flat_map(|b| {
                    b.column(0)
                        .as_any()
                        .downcast_ref::<Int64Array>()
                        .unwrap()
                        .values()
                        .to_vec()
                })
                .collect();
            assert_eq!(values, vec![4, 5, 6, 7]);
            assert!(row_group(&missing, n, 0, 3).await.is_err());
            let e = row_group(&url, n + 1, 0, 3).await.unwrap_err();
            assert!(e.contains("the segment changed"), "{e}");
            let other = dir.join("other.parquet");
            let mut bytes = std::fs::read(&file).unwrap();
            let at = bytes.len() - 20;
            bytes[at] ^= 1;
            std::fs::write(&other, bytes).unwrap();
            assert!(checked_footer(&url, n, &other).await.unwrap().is_none());
        });
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
