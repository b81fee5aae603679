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

/// Where a gene lies: its contig and strand, as `genes.parquet` records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locus {
    /// Gene id.
    pub id: String,
    /// Contig name.
    pub chrom: String,
    /// `+` or `-`.
    pub strand: String,
}

/// Reads the contig and strand of every gene from `DIR/genes.parquet`, in table order.
pub fn read_loci(dir: &Path) -> Result<Vec<Locus>, Error> {
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let path = dir.join(GENES_PARQUET);
    let file = std::fs::File::open(&path).map_err(|e| Error::read(&path, e))?;
    let corrupt = |message: String| Error::Corrupt {
        path: path.clone(),
        message,
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| corrupt(format!("not a readable Parquet file: {e}")))?;
    let wanted = ["gene_id", "chrom", "strand"];
    let fields = builder.parquet_schema().columns();
    let idx: Vec<usize> = wanted
        .iter()
        .map(|w| {
            fields
                .iter()
                .position(|c| c.name() == *w)
                .ok_or_else(|| corrupt(format!("has no column {w}")))
        })
        .collect::<Result<_, _>>()?;
    let mask = ProjectionMask::leaves(builder.parquet_schema(), idx);
    let reader = builder
        .with_projection(mask)
        .build()
        .map_err(|e| corrupt(e.to_string()))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| corrupt(e.to_string()))?;
        let col = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                .ok_or_else(|| corrupt(format!("column {name} is not text")))
        };
        let (id, chrom, strand) = (col("gene_id")?, col("chrom")?, col("strand")?);
        for i in 0..batch.num_rows() {
            out.push(Locus {
                id: id.value(i).to_string(),
                chrom: chrom.value(i).to_string(),
                strand: strand.value(i).to_string(),
            });
        }
    }
    Ok(out)
}
