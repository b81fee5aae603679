//! Small whole-file Parquet tables (the genes table, prediction files), written atomically.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::Field;
use parquet::arrow::ArrowWriter;

use super::Error;
use super::fsutil::AtomicFile;
use super::part::write_error;

/// Writes named columns as one Parquet file at `dest`: under `tmp_dir`, fsynced, renamed, the
/// directory fsynced. Returns the SHA-256 (hex) and size of the file.
pub fn write(
    dest: &Path,
    tmp_dir: &Path,
    cols: Vec<(&str, ArrayRef)>,
) -> Result<(String, u64), Error> {
    write_with_metadata(dest, tmp_dir, cols, None)
}

/// [`write`], with Parquet key-value metadata.
pub fn write_with_metadata(
    dest: &Path,
    tmp_dir: &Path,
    cols: Vec<(&str, ArrayRef)>,
    metadata: Option<Vec<parquet::file::metadata::KeyValue>>,
) -> Result<(String, u64), Error> {
    let props = metadata.map(|m| {
        parquet::file::properties::WriterProperties::builder()
            .set_key_value_metadata(Some(m))
            .build()
    });
    let schema = Arc::new(arrow_schema::Schema::new(
        cols.iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), false))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), cols.into_iter().map(|c| c.1).collect())
        .map_err(|e| Error::parquet(dest, e))?;
    let file = AtomicFile::create(dest, tmp_dir).map_err(|e| Error::write(tmp_dir, e))?;
    let tmp = file.tmp().to_path_buf();
    let mut w = ArrowWriter::try_new(file, schema, props).map_err(|e| Error::parquet(&tmp, e))?;
    w.write(&batch).map_err(|e| write_error(&tmp, e))?;
    let file = w.into_inner().map_err(|e| write_error(&tmp, e))?;
    file.commit().map_err(|e| Error::write(dest, e))
}
