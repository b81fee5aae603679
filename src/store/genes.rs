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
pub struct GeneRow {
    /// Gene id.
    pub id: String,
    /// Gene name.
    pub name: String,
    /// Biotype (empty when the annotation gives none).
    pub biotype: String,
    /// Contig.
    pub chrom: String,
    /// `+` or `-`.
    pub strand: String,
    /// Start (1-based, inclusive).
    pub start: i64,
    /// End (inclusive).
    pub end: i64,
    /// Annotated splice sites.
    pub sites: u64,
    /// Rows in the dataset.
    pub rows: u64,
    /// Batch number.
    pub batch: u64,
}

impl GeneRow {
    /// The row of `gene`, committed in `batch` with `sites` sites and `rows` rows.
    pub fn new(gene: &Gene, sites: u64, rows: u64, batch: u64) -> Self {
        GeneRow {
            id: gene.id.clone(),
            name: gene.name.clone(),
            biotype: gene.biotype.clone().unwrap_or_default(),
            chrom: gene.contig.clone(),
            strand: gene.strand.symbol().to_string(),
            start: gene.start as i64,
            end: gene.end as i64,
            sites,
            rows,
            batch,
        }
    }
}

/// Writes the table to `DIR/genes.parquet` atomically.
pub fn write(dir: &Path, records: &[GeneRow]) -> Result<FileEntry, Error> {
    let s = |f: &dyn Fn(&GeneRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from(records.iter().map(f).collect::<Vec<_>>()))
    };
    let i = |f: &dyn Fn(&GeneRow) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from(records.iter().map(f).collect::<Vec<_>>()))
    };
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("gene_id", s(&|r| &r.id)),
        ("gene_name", s(&|r| &r.name)),
        ("biotype", s(&|r| &r.biotype)),
        ("chrom", s(&|r| &r.chrom)),
        ("strand", s(&|r| &r.strand)),
        ("start", i(&|r| r.start)),
        ("end", i(&|r| r.end)),
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

/// Reads every row of `DIR/genes.parquet`, in table order.
pub fn read(dir: &Path) -> Result<Vec<GeneRow>, Error> {
    let path = dir.join(GENES_PARQUET);
    let file = std::fs::File::open(&path).map_err(|e| Error::read(&path, e))?;
    let corrupt = |message: String| Error::Corrupt {
        path: path.clone(),
        message,
    };
    let reader = crate::genome::safe_parquet::open(file)
        .and_then(crate::genome::safe_parquet::build)
        .map_err(|e| corrupt(format!("not a readable Parquet file: {e}")))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| corrupt(e.to_string()))?;
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                .ok_or_else(|| corrupt(format!("has no text column {name}")))
        };
        let int = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
                .ok_or_else(|| corrupt(format!("has no integer column {name}")))
        };
        let (id, name, biotype) = (text("gene_id")?, text("gene_name")?, text("biotype")?);
        let (chrom, strand) = (text("chrom")?, text("strand")?);
        let (start, end, sites) = (int("start")?, int("end")?, int("sites")?);
        let (rows, batch_no) = (int("rows")?, int("batch")?);
        for i in 0..batch.num_rows() {
            out.push(GeneRow {
                id: id.value(i).to_string(),
                name: name.value(i).to_string(),
                biotype: biotype.value(i).to_string(),
                chrom: chrom.value(i).to_string(),
                strand: strand.value(i).to_string(),
                start: start.value(i),
                end: end.value(i),
                sites: sites.value(i) as u64,
                rows: rows.value(i) as u64,
                batch: batch_no.value(i) as u64,
            });
        }
    }
    Ok(out)
}
