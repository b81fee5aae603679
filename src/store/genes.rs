//! `genes.parquet`: the per-gene table of a finished dataset.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, StringArray};

use super::Error;
use super::manifest::FileEntry;
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
    let (sha256, bytes) = super::table::write(&dir.join(GENES_PARQUET), &dir.join(".tmp"), cols)?;
    Ok(FileEntry {
        file: GENES_PARQUET.into(),
        rows: records.len() as u64,
        bytes,
        sha256,
    })
}
