//! Small whole-file Parquet tables (the genes table, prediction files), written atomically.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::Field;
use parquet::arrow::ArrowWriter;

use super::Error;
use super::fsutil::{HashingWriter, fsync_dir};
use super::part::write_error;

/// Writes named columns as one Parquet file at `dest`: under `tmp_dir`, fsynced, renamed, the
/// directory fsynced. Returns the SHA-256 (hex) and size of the file.
pub fn write(
    dest: &Path,
    tmp_dir: &Path,
    cols: Vec<(&str, ArrayRef)>,
) -> Result<(String, u64), Error> {
    let schema = Arc::new(arrow_schema::Schema::new(
        cols.iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), false))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), cols.into_iter().map(|c| c.1).collect())
        .map_err(|e| Error::parquet(dest, e))?;
    std::fs::create_dir_all(tmp_dir).map_err(|e| Error::write(tmp_dir, e))?;
    let tmp = tmp_dir.join(dest.file_name().unwrap_or_default());
    let file = HashingWriter::create(&tmp).map_err(|e| Error::write(&tmp, e))?;
    let mut w = ArrowWriter::try_new(file, schema, None).map_err(|e| Error::parquet(&tmp, e))?;
    w.write(&batch).map_err(|e| write_error(&tmp, e))?;
    let inner = w.into_inner().map_err(|e| write_error(&tmp, e))?;
    let (sha256, bytes) = inner.finish().map_err(|e| Error::write(&tmp, e))?;
    std::fs::rename(&tmp, dest).map_err(|e| Error::write(dest, e))?;
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fsync_dir(dir).map_err(|e| Error::write(dir, e))?;
    Ok((sha256, bytes))
}
