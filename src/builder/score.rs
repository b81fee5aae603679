//! `spliceforge score`: per-position base-model probabilities for every base of the selected
//! genes (± `flank`), in the format `builder --base-scores` imports, so that scores computed once
//! (SpliceAI: the expensive part) feed later builds with other sampling or feature settings.
//!
//! A run is resumable with the builder's rules: `store::output` (a work directory beside `OUT`
//! with committed parts, assembled into `OUT` when every batch is in).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use arrow_array::{Float32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema as ArrowSchema};
use indicatif::ProgressBar;
use serde_json::json;

use super::config::ScoreConfig;
use super::prepare;
use crate::Error;
use crate::genome::{Gene, GeneRegion, Strand, fasta};
use crate::store::manifest::GeneEntry;
use crate::store::{self, output};

/// Parquet metadata key holding the run's fingerprint.
const FINGERPRINT_KEY: &str = "spliceforge.scores.fingerprint";

/// What a `score` run did.
#[derive(Debug, Clone)]
pub struct ScoreReport {
    /// The output was already complete; nothing was done.
    pub already_complete: bool,
    /// Batches found committed from an earlier run.
    pub resumed_from: usize,
    /// Genes scored by this run.
    pub genes: usize,
    /// Positions written by this run.
    pub positions: u64,
    /// Seconds spent scoring (wall).
    pub score_secs: f64,
    /// Rows in the output file.
    pub rows: u64,
}

/// A scores file: its columns, fingerprint key and name.
fn kind() -> output::Kind {
    output::Kind {
        schema: arrow_schema(),
        fingerprint_key: FINGERPRINT_KEY,
        dictionary: &["chrom", "strand", "gene_id"],
        what: "a scores file written by `spliceforge score`",
    }
}

fn arrow_schema() -> Arc<ArrowSchema> {
    Arc::new(ArrowSchema::new(vec![
        Field::new("chrom", DataType::Utf8, false),
        Field::new("position", DataType::Int64, false),
        Field::new("strand", DataType::Utf8, false),
        Field::new("gene_id", DataType::Utf8, false),
        Field::new("donor", DataType::Float32, false),
        Field::new("acceptor", DataType::Float32, false),
    ]))
}

/// Scores the genes `cfg` selects into `cfg.out` (a Parquet file), resuming a killed run.
pub fn score(cfg: &ScoreConfig, progress: bool) -> Result<ScoreReport, Error> {
    let out = cfg.out.as_path();
    let fp = fingerprint(cfg)?;
    let kind = kind();
    if !cfg.overwrite
        && let Some(rows) = output::finished(&kind, out, &fp)?
    {
        return Ok(ScoreReport {
            already_complete: true,
            resumed_from: 0,
            genes: 0,
            positions: 0,
            score_secs: 0.0,
            rows,
        });
    }
    // Inputs are read and checked before anything is written.
    let prep = prepare::prepare(&cfg.scoring, cfg.batch_size)?;
    let mut output = output::Output::open(&kind, out, &fp, cfg.overwrite)?;
    let resumed_from = output.committed();
    let batches: Vec<&[Gene]> = prep.genes.chunks(cfg.batch_size).collect();
    let todo_genes: usize = batches.iter().skip(resumed_from).map(|b| b.len()).sum();
    let bar = crate::progress::genes(progress, todo_genes);
    let t = Instant::now();
    let positions = score_batches(cfg, &prep, &mut output, &batches, &bar)?;
    bar.finish_and_clear();
    let score_secs = t.elapsed().as_secs_f64();
    let rows = output.finish(&[])?;
    Ok(ScoreReport {
        already_complete: false,
        resumed_from,
        genes: todo_genes,
        positions,
        score_secs,
        rows,
    })
}

/// The fingerprint of the scores run `cfg` describes.
fn fingerprint(cfg: &ScoreConfig) -> Result<store::Fingerprint, Error> {
    Ok(store::Fingerprint {
        format: SCORES_FORMAT,
        config: content(cfg),
        inputs: prepare::input_files(&cfg.scoring)?,
        // A scores file has no dataset schema; its fingerprint has recorded the default
        // (k = 3) one since the first version, and keeps it so that existing files stay valid.
        schema: crate::features::Schema::new(&[3]),
    })
}

/// Scores the batches after the committed ones, committing each in turn; returns the positions
/// written.
fn score_batches(
    cfg: &ScoreConfig,
    prep: &prepare::Prepared,
    output: &mut output::Output<'_>,
    batches: &[&[Gene]],
    bar: &ProgressBar,
) -> Result<u64, Error> {
    let resumed_from = output.committed();
    let mut positions = 0u64;
    let sc = &cfg.scoring;
    let mut genome = fasta::Cursor::open(&sc.genome)?;
    for (i, genes) in batches.iter().enumerate().skip(resumed_from) {
        let regions = regions(&mut genome, genes, sc.flank, prep.source.context())?;
        let scores = score_parallel(&*prep.source, genes, &regions, sc.flank, sc.threads, bar);
        let batch = to_batch(genes, &regions, &scores)?;
        positions += batch.num_rows() as u64;
        output.commit(i + 1, gene_entries(genes, &regions), &batch)?;
    }
    Ok(positions)
}

/// The regions of `genes` (in genome order; ± `flank`, with `context` bases cut around each),
/// reading `genome` on to their contigs.
pub(crate) fn regions(
    genome: &mut fasta::Cursor,
    genes: &[Gene],
    flank: u64,
    context: usize,
) -> Result<Vec<GeneRegion>, Error> {
    let mut regions = Vec::with_capacity(genes.len());
    for g in genes {
        let c = genome.seek(&g.contig)?.ok_or_else(|| {
            Error::Internal(format!(
                "contig {} of gene {} not found while reading the genome in order",
                g.contig, g.id
            ))
        })?;
        regions.push(GeneRegion::with_context(g, c, flank, context));
    }
    Ok(regions)
}

/// The manifest's record of a batch's genes: each with its region's positions as rows.
fn gene_entries(genes: &[Gene], regions: &[GeneRegion]) -> Vec<GeneEntry> {
    (genes.iter().zip(regions))
        .map(|(g, r)| GeneEntry {
            id: g.id.clone(),
            rows: r.len() as u64,
            sites: 0,
        })
        .collect()
}

/// `format` of a scores run's fingerprint (distinct from the dataset format).
pub const SCORES_FORMAT: u32 = 1001;

/// The settings that decide a scores file's bytes.
fn content(cfg: &ScoreConfig) -> serde_json::Value {
    let sc = &cfg.scoring;
    json!({
        "command": "score",
        "annotation_format": sc.annotation_format,
        "selection": sc.selection_content(),
        "seed": sc.selection.seed,
        "flank": sc.flank,
        "batch_size": cfg.batch_size,
        "base_model": sc.base_model.content(),
    })
}

/// Scores `genes` on `threads` threads; each takes the next group of genes close enough to share
/// a scoring window.
pub(crate) fn score_parallel(
    source: &dyn crate::basemodel::ScoreSource,
    genes: &[Gene],
    regions: &[GeneRegion],
    flank: u64,
    threads: usize,
    bar: &ProgressBar,
) -> Vec<crate::basemodel::Scores> {
    let groups = groups(source.context(), genes, regions, flank);
    let next = AtomicUsize::new(0);
    let done = std::sync::Mutex::new(vec![None; genes.len()]);
    let started = Instant::now();
    let nt_done = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    let Some(range) = groups.get(k).cloned() else {
                        break;
                    };
                    let g: Vec<&Gene> = genes[range.clone()].iter().collect();
                    let r: Vec<&GeneRegion> = regions[range.clone()].iter().collect();
                    let scores = source.score_many(&g, &r);
                    let len: u64 = r.iter().map(|x| x.len() as u64).sum();
                    let nt = nt_done.fetch_add(len, Ordering::SeqCst) + len;
                    if let Ok(mut d) = done.lock() {
                        for (i, sc) in range.clone().zip(scores) {
                            d[i] = Some(sc);
                        }
                    }
                    bar.inc(range.len() as u64);
                    bar.set_message(format!(
                        "{:.0} nt/s",
                        nt as f64 / started.elapsed().as_secs_f64().max(1e-9)
                    ));
                }
            });
        }
    });
    done.into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.expect("every gene was scored"))
        .collect()
}

/// Consecutive genes close enough to share a scoring window, as index ranges (one gene each for
/// a model without a receptive field).
fn groups(
    context: usize,
    genes: &[Gene],
    regions: &[GeneRegion],
    flank: u64,
) -> Vec<std::ops::Range<usize>> {
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    let mut hi = 0;
    for i in 0..genes.len() {
        hi = hi.max(regions[i].hi);
        let joins = context > 0
            && genes.get(i + 1).is_some_and(|g| {
                super::pipeline::joins_cluster(i + 1 - start, hi, &genes[i].contig, g, flank)
            });
        if !joins {
            groups.push(start..i + 1);
            start = i + 1;
            hi = 0;
        }
    }
    groups
}

/// One row per base of each region, in ascending genomic position per gene.
fn to_batch(
    genes: &[Gene],
    regions: &[GeneRegion],
    scores: &[crate::basemodel::Scores],
) -> Result<RecordBatch, Error> {
    let n: usize = regions.iter().map(GeneRegion::len).sum();
    let mut chrom = Vec::with_capacity(n);
    let mut pos = Vec::with_capacity(n);
    let mut strand = Vec::with_capacity(n);
    let mut gene = Vec::with_capacity(n);
    let mut donor = Vec::with_capacity(n);
    let mut acceptor = Vec::with_capacity(n);
    for ((g, r), s) in genes.iter().zip(regions).zip(scores) {
        let st = match r.strand {
            Strand::Forward => "+",
            Strand::Reverse => "-",
        };
        for p in r.lo..=r.hi {
            let j = r.local(p).expect("inside the region");
            chrom.push(g.contig.as_str());
            pos.push(p as i64);
            strand.push(st);
            gene.push(g.id.as_str());
            donor.push(s.donor[j]);
            acceptor.push(s.acceptor[j]);
        }
    }
    RecordBatch::try_new(
        arrow_schema(),
        vec![
            Arc::new(StringArray::from(chrom)),
            Arc::new(Int64Array::from(pos)),
            Arc::new(StringArray::from(strand)),
            Arc::new(StringArray::from(gene)),
            Arc::new(Float32Array::from(donor)),
            Arc::new(Float32Array::from(acceptor)),
        ],
    )
    .map_err(|e| Error::Internal(e.to_string()))
}
