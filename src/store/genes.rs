//! `genes.parquet`: the per-gene table of a finished dataset.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field};
use parquet::arrow::ArrowWriter;

use super::Error;
use super::fsutil::{HashingWriter, fsync_dir};
use super::manifest::FileEntry;
use super::part::write_error;
use crate::genome::Gene;

/// The file name inside a dataset.
pub const GENES_PARQUET: &str = "genes.parquet";

/// One gene's row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneRecord<'a> {
    /// The gene.
    pub gene: &'a Gene,
    /// Annotated splice sites.
    pub sites: u64,
    /// Rows in the dataset.
    pub rows: u64,
    /// Batch number.
    pub batch: u64,
}

/// Writes the table to `DIR/genes.parquet` atomically.
pub fn write(dir: &Path, records: &[GeneRecord<'_>]) -> Result<FileEntry, Error> {
    let s = |f: &dyn Fn(&GeneRecord<'_>) -> String| -> ArrayRef {
        Arc::new(StringArray::from(records.iter().map(f).collect::<Vec<_>>()))
    };
    let i = |f: &dyn Fn(&GeneRecord<'_>) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from(records.iter().map(f).collect::<Vec<_>>()))
    };
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("gene_id", s(&|r| r.gene.id.clone())),
        ("gene_name", s(&|r| r.gene.name.clone())),
        (
            "biotype",
            s(&|r| r.gene.biotype.clone().unwrap_or_default()),
        ),
        ("chrom", s(&|r| r.gene.contig.clone())),
        ("strand", s(&|r| r.gene.strand.symbol().to_string())),
        ("start", i(&|r| r.gene.start as i64)),
        ("end", i(&|r| r.gene.end as i64)),
        ("sites", i(&|r| r.sites as i64)),
        ("rows", i(&|r| r.rows as i64)),
        ("batch", i(&|r| r.batch as i64)),
    ];
    let schema = Arc::new(arrow_schema::Schema::new(
        cols.iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), false))
            .collect::<Vec<_>>(),
    ));
    debug_assert!(
        schema
            .fields()
            .iter()
            .all(|f| f.data_type() != &DataType::Null)
    );
    let batch = RecordBatch::try_new(schema.clone(), cols.into_iter().map(|c| c.1).collect())
        .map_err(|e| Error::parquet(dir, e))?;
    let tmp_dir = dir.join(".tmp");
    std::fs::create_dir_all(&tmp_dir).map_err(|e| Error::io(&tmp_dir, e))?;
    let tmp = tmp_dir.join(GENES_PARQUET);
    let file = HashingWriter::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let mut w = ArrowWriter::try_new(file, schema, None).map_err(|e| Error::parquet(&tmp, e))?;
    w.write(&batch).map_err(|e| write_error(&tmp, e))?;
    let inner = w.into_inner().map_err(|e| write_error(&tmp, e))?;
    let (sha256, bytes) = inner.finish().map_err(|e| Error::io(&tmp, e))?;
    let dest = dir.join(GENES_PARQUET);
    std::fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))?;
    fsync_dir(dir).map_err(|e| Error::io(dir, e))?;
    Ok(FileEntry {
        file: GENES_PARQUET.into(),
        rows: records.len() as u64,
        bytes,
        sha256,
    })
}
