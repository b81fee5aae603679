//! Reading an every-base prediction table forward, in record batches of [`BATCH_ROWS`] rows,
//! keeping per row only what the metrics need: the four scores (base donor, base acceptor,
//! meta donor, meta acceptor; `f32` each) and the true class (one byte), 17 bytes a row. The
//! calls (the table's `predicted`, the base model's at the threshold) are counted as the rows
//! pass; genes are kept as spans of rows (a gene's rows are consecutive in the table).

use std::path::Path;

use arrow_array::{Array, Float32Array, Int64Array, RecordBatch, StringArray};

use crate::Error;
use crate::store::{self, Part};
use crate::train::eval::metrics::base_call;

use super::metrics::Calls;
use super::truth::{Class, Sites};

/// Rows per record batch read.
pub const BATCH_ROWS: usize = 65_536;

/// The columns read, in the table's order.
pub const COLUMNS: [&str; 10] = [
    "chrom",
    "position",
    "strand",
    "gene_id",
    "splice_type",
    "base_donor",
    "base_acceptor",
    "p_donor",
    "p_acceptor",
    "predicted",
];

/// The models compared: the base model's scores and the meta-model's probabilities.
pub const MODELS: [&str; 2] = ["base", "meta"];
/// The site types judged, with their class codes.
pub const TYPES: [(&str, Class); 2] = [("donor", 1), ("acceptor", 2)];

/// Per row, what the metrics need.
#[derive(Debug, Default)]
pub struct Rows {
    /// `scores[model][type]`: base / meta × donor / acceptor.
    pub scores: [[Vec<f32>; 2]; 2],
    /// The true class (0 neither, 1 donor, 2 acceptor).
    pub truth: Vec<Class>,
}

impl Rows {
    /// Rows held.
    pub fn len(&self) -> usize {
        self.truth.len()
    }

    /// No row held.
    pub fn is_empty(&self) -> bool {
        self.truth.is_empty()
    }
}

/// A gene: its consecutive rows `start..end` of the table.
#[derive(Debug, Clone)]
pub struct Span {
    /// The gene id.
    pub gene_id: String,
    /// Its contig.
    pub chrom: String,
    /// `+` or `-`.
    pub strand: String,
    /// First row.
    pub start: usize,
    /// One past its last row.
    pub end: usize,
}

/// The table as the metrics see it.
#[derive(Debug, Default)]
pub struct Table {
    /// Per-row scores and truth.
    pub rows: Rows,
    /// The genes, in table order.
    pub genes: Vec<Span>,
    /// `calls[model][type]`: the meta-model's `predicted` and the base model's calls at the
    /// threshold, against the truth.
    pub calls: [[Calls; 2]; 2],
}

/// Reads `path` (a prediction table), the truth from its `splice_type` column or, given,
/// from `sites`; the base model calls at `threshold`.
pub fn read(path: &Path, sites: Option<&Sites>, threshold: f32) -> Result<Table, Error> {
    let part = Part::open(path)?;
    let mut t = Table::default();
    for batch in part.read(&COLUMNS, None, BATCH_ROWS)? {
        let batch = batch.map_err(|e| store::Error::damaged_parquet(path, e))?;
        add_batch(&mut t, &batch, path, sites, threshold)?;
    }
    Ok(t)
}

/// A column of `batch` as array type `A`, or the error naming it.
fn col<'b, A: 'static>(batch: &'b RecordBatch, name: &str, path: &Path) -> Result<&'b A, Error> {
    batch
        .schema()
        .index_of(name)
        .ok()
        .and_then(|i| batch.column(i).as_any().downcast_ref::<A>())
        .ok_or_else(|| {
            store::Error::Corrupt {
                path: path.to_path_buf(),
                message: format!(
                    "column {name} is missing or of another type than `spliceforge predict` writes; predict the table again"
                ),
            }
            .into()
        })
}

/// The class a `splice_type` or `predicted` value names.
fn class_of(value: &str, path: &Path, column: &str) -> Result<Class, Error> {
    match value {
        "neither" => Ok(0),
        "donor" => Ok(1),
        "acceptor" => Ok(2),
        other => Err(store::Error::Corrupt {
            path: path.to_path_buf(),
            message: format!("column {column} holds {other:?}, not neither/donor/acceptor"),
        }
        .into()),
    }
}

fn add_batch(
    t: &mut Table,
    batch: &RecordBatch,
    path: &Path,
    sites: Option<&Sites>,
    threshold: f32,
) -> Result<(), Error> {
    let chrom = col::<StringArray>(batch, "chrom", path)?;
    let position = col::<Int64Array>(batch, "position", path)?;
    let strand = col::<StringArray>(batch, "strand", path)?;
    let gene = col::<StringArray>(batch, "gene_id", path)?;
    let splice = col::<StringArray>(batch, "splice_type", path)?;
    let predicted = col::<StringArray>(batch, "predicted", path)?;
    let scores = [
        [
            col::<Float32Array>(batch, "base_donor", path)?,
            col::<Float32Array>(batch, "base_acceptor", path)?,
        ],
        [
            col::<Float32Array>(batch, "p_donor", path)?,
            col::<Float32Array>(batch, "p_acceptor", path)?,
        ],
    ];
    for i in 0..batch.num_rows() {
        let row = t.rows.len();
        let (c, s, g) = (chrom.value(i), strand.value(i), gene.value(i));
        match t.genes.last_mut() {
            Some(span) if span.gene_id == g && span.chrom == c && span.strand == s => {
                span.end = row + 1;
            }
            _ => t.genes.push(Span {
                gene_id: g.to_string(),
                chrom: c.to_string(),
                strand: s.to_string(),
                start: row,
                end: row + 1,
            }),
        }
        let truth = match sites {
            Some(sites) => sites.class(c, s == "+", position.value(i)),
            None if splice.is_null(i) => 0,
            None => class_of(splice.value(i), path, "splice_type")?,
        };
        let meta = class_of(predicted.value(i), path, "predicted")?;
        let v = |m: usize, k: usize| scores[m][k].value(i);
        let base = base_call(v(0, 0), v(0, 1), threshold);
        for (k, &(_, class)) in TYPES.iter().enumerate() {
            t.calls[0][k].add(base == class, truth == class);
            t.calls[1][k].add(meta == class, truth == class);
            for m in 0..2 {
                t.rows.scores[m][k].push(v(m, k));
            }
        }
        t.rows.truth.push(truth);
    }
    Ok(())
}
