//! Part files: the rows of one batch as Parquet, written under `.tmp/`, flushed as row groups of
//! at most `batch_rows` rows, then closed, fsynced and renamed into `parts/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, Float32Array, Int64Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::fsutil::{HashingWriter, fsync_dir};
use super::manifest::FileEntry;
use super::Error;
use crate::features::schema::{ColumnType, Role, Schema};
use crate::features::GeneRows;

/// Environment variable: sleep this many milliseconds at each commit step and announce it on
/// stderr (`commit-phase: …`), so that kill tests can land inside each step.
pub const PAUSE_ENV: &str = "SPLICEFORGE_TEST_PAUSE_MS";

/// Announces a commit phase and pauses, when [`PAUSE_ENV`] is set.
pub fn phase(name: &str) {
    if let Some(ms) = std::env::var(PAUSE_ENV).ok().and_then(|v| v.parse::<u64>().ok()) {
        eprintln!("commit-phase: {name}");
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// Writer properties shared by every Parquet file we write: zstd; dictionaries only for the
/// string columns (on floats they cost 4× the time for nothing).
pub fn writer_properties(schema: &Schema, batch_rows: usize) -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
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
        parquet::errors::ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => Error::io(path, *io),
            Err(other) => Error::parquet(path, other),
        },
        other => Error::parquet(path, other),
    }
}

/// Rows waiting to become the next row group.
struct Buffer {
    gene_id: StringBuilder,
    chrom: StringBuilder,
    position: Vec<i64>,
    strand: Vec<&'static str>,
    splice: Vec<&'static str>,
    pred: Vec<&'static str>,
    weight: Vec<f32>,
    features: Vec<Vec<f32>>,
}

impl Buffer {
    fn new(n_features: usize, cap: usize) -> Self {
        Self {
            gene_id: StringBuilder::with_capacity(cap, cap * 16),
            chrom: StringBuilder::with_capacity(cap, cap * 12),
            position: Vec::with_capacity(cap),
            strand: Vec::with_capacity(cap),
            splice: Vec::with_capacity(cap),
            pred: Vec::with_capacity(cap),
            weight: Vec::with_capacity(cap),
            features: (0..n_features).map(|_| Vec::with_capacity(cap)).collect(),
        }
    }

    fn len(&self) -> usize {
        self.position.len()
    }

    fn push(&mut self, g: &GeneRows, range: std::ops::Range<usize>) {
        let strand = if g.strand == crate::genome::Strand::Forward { "+" } else { "-" };
        for r in range.clone() {
            self.gene_id.append_value(&g.gene_id);
            self.chrom.append_value(&g.chrom);
            self.position.push(g.positions[r]);
            self.strand.push(strand);
            self.splice.push(g.splice[r].as_str());
            self.pred.push(g.pred[r].as_str());
            self.weight.push(g.weights[r]);
        }
        // Features are column-major in GeneRows: one copy per column.
        let n = g.len();
        for (f, col) in self.features.iter_mut().enumerate() {
            col.extend_from_slice(&g.features[f * n + range.start..f * n + range.end]);
        }
    }

    fn take(&mut self, schema: &Arc<arrow_schema::Schema>) -> Result<RecordBatch, arrow_schema::ArrowError> {
        let n_features = self.features.len();
        let mut old = std::mem::replace(self, Buffer::new(n_features, self.len()));
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(old.gene_id.finish()),
            Arc::new(old.chrom.finish()),
            Arc::new(Int64Array::from(old.position)),
            Arc::new(StringArray::from(old.strand)),
            Arc::new(StringArray::from(old.splice)),
            Arc::new(StringArray::from(old.pred)),
            Arc::new(Float32Array::from(old.weight)),
        ];
        cols.extend(old.features.into_iter().map(|c| Arc::new(Float32Array::from(c)) as ArrayRef));
        RecordBatch::try_new(schema.clone(), cols)
    }
}

/// Writes one part file.
pub struct PartWriter {
    tmp: PathBuf,
    dest: PathBuf,
    rel: String,
    schema: Arc<arrow_schema::Schema>,
    writer: ArrowWriter<HashingWriter>,
    buffer: Buffer,
    batch_rows: usize,
    rows: u64,
}

impl PartWriter {
    /// Starts `parts/NAME` of the dataset at `dir`, writing to `.tmp/NAME` until [`finish`].
    ///
    /// [`finish`]: PartWriter::finish
    pub fn create(dir: &Path, name: &str, schema: &Schema, batch_rows: usize) -> Result<Self, Error> {
        let tmp_dir = dir.join(".tmp");
        fs::create_dir_all(&tmp_dir).map_err(|e| Error::io(&tmp_dir, e))?;
        let tmp = tmp_dir.join(name);
        let dest = dir.join("parts").join(name);
        let arrow = Arc::new(schema.arrow());
        let file = HashingWriter::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let writer = ArrowWriter::try_new(file, arrow.clone(), Some(writer_properties(schema, batch_rows)))
            .map_err(|e| Error::parquet(&tmp, e))?;
        Ok(Self {
            tmp,
            dest,
            rel: format!("parts/{name}"),
            schema: arrow,
            writer,
            buffer: Buffer::new(schema.n_features(), batch_rows.min(1 << 16)),
            batch_rows: batch_rows.max(1),
            rows: 0,
        })
    }

    /// Adds a gene's rows, flushing a row group each time `batch_rows` rows are buffered.
    pub fn push(&mut self, g: &GeneRows) -> Result<(), Error> {
        let mut start = 0;
        while start < g.len() {
            let take = (self.batch_rows - self.buffer.len()).min(g.len() - start);
            self.buffer.push(g, start..start + take);
            start += take;
            if self.buffer.len() == self.batch_rows {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        if self.buffer.len() == 0 {
            return Ok(());
        }
        self.rows += self.buffer.len() as u64;
        let batch = self.buffer.take(&self.schema).map_err(|e| Error::parquet(&self.tmp, e))?;
        self.writer.write(&batch).map_err(|e| self.write_error(e))?;
        self.writer.flush().map_err(|e| self.write_error(e))?;
        phase("flush");
        Ok(())
    }

    fn write_error(&self, e: parquet::errors::ParquetError) -> Error {
        write_error(&self.tmp, e)
    }

    /// Flushes, writes the footer, fsyncs, renames into `parts/` and fsyncs the directory.
    pub fn finish(mut self) -> Result<FileEntry, Error> {
        self.flush()?;
        let tmp = self.tmp.clone();
        let inner = self.writer.into_inner().map_err(|e| write_error(&tmp, e))?;
        let (sha256, bytes) = inner.finish().map_err(|e| Error::io(&self.tmp, e))?;
        phase("closed");
        let parts = self.dest.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(parts).map_err(|e| Error::io(parts, e))?;
        fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io(&self.dest, e))?;
        fsync_dir(parts).map_err(|e| Error::io(parts, e))?;
        phase("renamed");
        Ok(FileEntry {
            file: self.rel,
            rows: self.rows,
            bytes,
            sha256,
        })
    }
}
