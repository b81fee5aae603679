//! Reading part files back: metadata, and chosen columns row group by row group.

use std::fs::File;
use std::path::Path;

use arrow_array::{Array, RecordBatch};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::Error;

/// Column `i` of `batch` as the Arrow array type `T`; `None` if it has another type.
pub fn column<T: 'static>(batch: &RecordBatch, i: usize) -> Option<&T> {
    batch.column(i).as_any().downcast_ref::<T>()
}

/// A part file opened for reading.
pub struct Part {
    builder: ParquetRecordBatchReaderBuilder<File>,
    path: std::path::PathBuf,
}

impl Part {
    /// Opens `path` and reads its footer.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let file = File::open(path).map_err(|e| Error::read(path, e))?;
        let builder =
            crate::genome::safe_parquet::open(file).map_err(|e| Error::damaged_parquet(path, e))?;
        Ok(Self {
            builder,
            path: path.to_path_buf(),
        })
    }

    /// Rows in the file.
    pub fn rows(&self) -> u64 {
        self.builder.metadata().file_metadata().num_rows() as u64
    }

    /// Row groups in the file.
    pub fn row_groups(&self) -> usize {
        self.builder.metadata().num_row_groups()
    }

    /// Rows of each row group.
    pub fn row_group_rows(&self) -> Vec<u64> {
        self.builder
            .metadata()
            .row_groups()
            .iter()
            .map(|rg| rg.num_rows() as u64)
            .collect()
    }

    /// The Arrow schema of the file.
    pub fn schema(&self) -> &arrow_schema::SchemaRef {
        self.builder.schema()
    }

    /// Reads the named columns (in file order) of the given row groups (all if `None`), in
    /// batches of at most `batch_size` rows.
    pub fn read(
        self,
        columns: &[&str],
        row_groups: Option<Vec<usize>>,
        batch_size: usize,
    ) -> Result<crate::genome::safe_parquet::Batches, Error> {
        let schema = self.builder.schema().clone();
        let mut idx = Vec::with_capacity(columns.len());
        for c in columns {
            match schema.index_of(c) {
                Ok(i) => idx.push(i),
                Err(_) => {
                    return Err(Error::Corrupt {
                        path: self.path.clone(),
                        message: format!("column {c} is missing"),
                    });
                }
            }
        }
        let mask = ProjectionMask::roots(self.builder.parquet_schema(), idx);
        let mut b = self
            .builder
            .with_projection(mask)
            .with_batch_size(batch_size.max(1));
        if let Some(rg) = row_groups {
            b = b.with_row_groups(rg);
        }
        crate::genome::safe_parquet::build(b).map_err(|e| Error::damaged_parquet(&self.path, e))
    }
}
