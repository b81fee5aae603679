//! Part files: the rows of one batch as Parquet, written under `.tmp/`, flushed as row groups of
//! at most `batch_rows` rows, then closed, fsynced and renamed into `parts/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, Float32Array, Int64Array, RecordBatch, StringArray};
use arrow_buffer::ScalarBuffer;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::Error;
use super::fsutil::AtomicFile;
use super::manifest::FileEntry;
use crate::features::GeneRows;
use crate::features::schema::{ColumnType, Role, Schema};

/// Environment variable: sleep this many milliseconds at each commit step and announce it on
/// stderr (`commit-phase: …`), so that kill tests can land inside each step.
pub const PAUSE_ENV: &str = "SPLICEFORGE_TEST_PAUSE_MS";

/// Announces a commit phase and pauses, when [`PAUSE_ENV`] is set.
pub fn phase(name: &str) {
    if let Some(ms) = std::env::var(PAUSE_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        eprintln!("commit-phase: {name}");
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// Writer properties shared by every Parquet file we write: zstd; dictionaries only for the
/// string columns (on floats they cost 4× the time for nothing).
pub fn writer_properties(schema: &Schema, batch_rows: usize) -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(-1).unwrap_or_default(),
        ))
        .set_max_row_group_row_count(Some(batch_rows.max(1)))
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None);
    for c in &schema.columns {
        let path = ColumnPath::from(c.name.as_str());
        if c.dtype == ColumnType::Utf8 {
            b = b.set_column_dictionary_enabled(path.clone(), true);
        }
        if c.role != Role::Feature {
            // Id and label columns keep row-group statistics, for readers that filter on them.
            b = b.set_column_statistics_enabled(path, EnabledStatistics::Chunk);
        }
    }
    b.build()
}

/// An I/O error (disk full…) surfaced through the Parquet writer stays an I/O error.
pub fn write_error(path: &Path, e: parquet::errors::ParquetError) -> Error {
    match e {
        parquet::errors::ParquetError::External(inner) => {
            match inner.downcast::<std::io::Error>() {
                Ok(io) => Error::write(path, *io),
                Err(other) => Error::parquet(path, other),
            }
        }
        other => Error::parquet(path, other),
    }
}

/// One gene's rows as an Arrow batch of the dataset schema. Features are moved out of `g`
/// (left empty) and sliced without copying; this runs in the compute workers.
pub fn gene_batch(
    schema: &Arc<arrow_schema::Schema>,
    g: &mut GeneRows,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = g.len();
    let strand = if g.strand == crate::genome::Strand::Forward {
        "+"
    } else {
        "-"
    };
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(7 + g.n_features);
    let repeat = |s: &str| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, n * s.len());
        for _ in 0..n {
            b.append_value(s);
        }
        Arc::new(b.finish())
    };
    cols.push(repeat(&g.gene_id));
    cols.push(repeat(&g.chrom));
    cols.push(Arc::new(Int64Array::from(g.positions.clone())));
    cols.push(repeat(strand));
    cols.push(Arc::new(StringArray::from_iter_values(
        g.splice.iter().map(|t| t.as_str()),
    )));
    cols.push(Arc::new(StringArray::from_iter_values(
        g.pred.iter().map(|t| t.as_str()),
    )));
    cols.push(Arc::new(Float32Array::from(g.weights.clone())));
    let all = ScalarBuffer::<f32>::from(std::mem::take(&mut g.features));
    for f in 0..g.n_features {
        cols.push(Arc::new(Float32Array::new(all.slice(f * n, n), None)));
    }
    RecordBatch::try_new(schema.clone(), cols)
}

/// Writes one part file.
pub struct PartWriter {
    tmp: PathBuf,
    rel: String,
    writer: ArrowWriter<AtomicFile>,
    rows: u64,
}

impl PartWriter {
    /// Starts `parts/NAME` of the dataset at `dir`, writing to `.tmp/NAME` until [`finish`].
    ///
    /// [`finish`]: PartWriter::finish
    pub fn create(
        dir: &Path,
        name: &str,
        schema: &Schema,
        batch_rows: usize,
    ) -> Result<Self, Error> {
        Self::with_properties(
            dir,
            name,
            Arc::new(schema.arrow()),
            writer_properties(schema, batch_rows),
        )
    }

    /// Like [`create`](PartWriter::create) for any Arrow schema and Parquet settings (the
    /// `score` command's per-position parts).
    pub fn with_properties(
        dir: &Path,
        name: &str,
        arrow: Arc<arrow_schema::Schema>,
        properties: WriterProperties,
    ) -> Result<Self, Error> {
        let tmp_dir = dir.join(".tmp");
        let dest = dir.join("parts").join(name);
        let file = AtomicFile::create(&dest, &tmp_dir).map_err(|e| Error::write(&tmp_dir, e))?;
        let tmp = file.tmp().to_path_buf();
        let writer = ArrowWriter::try_new(file, arrow, Some(properties))
            .map_err(|e| Error::parquet(&tmp, e))?;
        Ok(Self {
            tmp,
            rel: format!("parts/{name}"),
            writer,
            rows: 0,
        })
    }

    /// Adds a gene's rows (from [`gene_batch`]); the writer closes a row group each time
    /// `batch_rows` rows are in, splitting batches as needed, so no more are ever buffered.
    pub fn push(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let before = self.writer.flushed_row_groups().len();
        self.writer.write(batch).map_err(|e| self.write_error(e))?;
        self.rows += batch.num_rows() as u64;
        if self.writer.flushed_row_groups().len() > before {
            phase("flush");
        }
        Ok(())
    }

    fn write_error(&self, e: parquet::errors::ParquetError) -> Error {
        write_error(&self.tmp, e)
    }

    /// Flushes, writes the footer, fsyncs, renames into `parts/` and fsyncs the directory.
    pub fn finish(self) -> Result<FileEntry, Error> {
        let tmp = self.tmp.clone();
        let file = self.writer.into_inner().map_err(|e| write_error(&tmp, e))?;
        let (sha256, bytes) = file
            .commit_after(|| phase("closed"))
            .map_err(|e| Error::write(&tmp, e))?;
        phase("renamed");
        Ok(FileEntry {
            file: self.rel,
            rows: self.rows,
            bytes,
            sha256,
        })
    }
}
