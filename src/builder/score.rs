//! `spliceforge score`: per-position base-model probabilities for every base of the selected
//! genes (± `flank`), in the format `builder --base-scores` imports, so that scores computed once
//! (SpliceAI: the expensive part) feed later builds with other sampling or feature settings.
//!
//! A run works in `OUT.work/` with the builder's rules: a lock, a fingerprint of inputs and
//! settings, one part per batch of genes written under a temporary name, fsynced, renamed, then
//! recorded in a manifest; the same command again resumes after the last recorded batch. When all
//! batches are in, the parts are concatenated into `OUT` (temporary name, fsync, rename) and the
//! work directory is removed. `OUT` carries the fingerprint in its Parquet metadata, so a finished
//! run is recognised and a changed one refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use arrow_array::{Float32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema as ArrowSchema};
use indicatif::ProgressBar;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::FileReader;
use serde_json::json;

use super::config::ScoreConfig;
use super::prepare;
use crate::Error;
use crate::genome::{Gene, GeneRegion, Strand, fasta};
use crate::store::fsutil::AtomicFile;
use crate::store::manifest::{self, BatchEntry, Entry, FileEntry, GeneEntry, MANIFEST};
use crate::store::part::PartWriter;
use crate::store::{self, lock::Lock};

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

fn work_dir(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".work");
    PathBuf::from(s)
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

fn properties(fingerprint: Option<&str>) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_dictionary_enabled(false)
        .set_column_dictionary_enabled("chrom".into(), true)
        .set_column_dictionary_enabled("strand".into(), true)
        .set_column_dictionary_enabled("gene_id".into(), true)
        .set_max_row_group_row_count(Some(1 << 20))
        .set_key_value_metadata(
            fingerprint.map(|f| vec![KeyValue::new(FINGERPRINT_KEY.to_string(), f.to_string())]),
        )
        .build()
}

/// The fingerprint a finished output file carries, if it is one of ours.
fn file_fingerprint(path: &Path) -> Option<String> {
    let f = fs::File::open(path).ok()?;
    let reader = parquet::file::reader::SerializedFileReader::new(f).ok()?;
    reader
        .metadata()
        .file_metadata()
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == FINGERPRINT_KEY)
        .and_then(|kv| kv.value.clone())
}

/// Scores the genes `cfg` selects into `cfg.out` (a Parquet file), resuming a killed run.
pub fn score(cfg: &ScoreConfig, progress: bool) -> Result<ScoreReport, Error> {
    let out = cfg.out.as_path();
    let id = run_id(cfg)?;
    let work = work_dir(out);
    if out.exists() && !cfg.overwrite {
        return existing_output(out, &work, &id.digest);
    }
    // Inputs are read and checked before anything is written.
    let prep = prepare::prepare(&cfg.scoring, cfg.batch_size)?;
    let _lock = open_work(&work, cfg.overwrite)?;
    check_fingerprint(&work, &id)?;
    let m = manifest::load(&work.join(MANIFEST), true)?;
    super::tidy(&work, &m)?;

    let resumed_from = m.batches.len();
    let batches: Vec<&[Gene]> = prep.genes.chunks(cfg.batch_size).collect();
    let todo_genes: usize = batches.iter().skip(resumed_from).map(|b| b.len()).sum();
    let bar = crate::progress::genes(progress, todo_genes);
    let t = Instant::now();
    let positions = score_batches(cfg, &prep, &work, &batches, resumed_from, &bar)?;
    bar.finish_and_clear();
    let score_secs = t.elapsed().as_secs_f64();
    let rows = assemble(&work, out, &id.digest)?;
    fs::remove_dir_all(&work).map_err(|e| store::Error::write(&work, e))?;
    Ok(ScoreReport {
        already_complete: false,
        resumed_from,
        genes: todo_genes,
        positions,
        score_secs,
        rows,
    })
}

/// A run's fingerprint and its digest.
struct RunId {
    fp: store::Fingerprint,
    digest: String,
}

/// The fingerprint of the scores run `cfg` describes.
fn run_id(cfg: &ScoreConfig) -> Result<RunId, Error> {
    let fp = store::Fingerprint {
        format: SCORES_FORMAT,
        config: content(cfg),
        inputs: prepare::input_files(&cfg.scoring)?,
        // A scores file has no dataset schema; its fingerprint has recorded the default
        // (k = 3) one since the first version, and keeps it so that existing files stay valid.
        schema: crate::features::Schema::new(&[3]),
    };
    let digest = fp.digest();
    Ok(RunId { fp, digest })
}

/// The answer when `out` already exists (and `--overwrite` is not given): the run is complete
/// if `out` carries this run's fingerprint and no work directory is left; otherwise an error.
fn existing_output(out: &Path, work: &Path, digest: &str) -> Result<ScoreReport, Error> {
    match file_fingerprint(out) {
        Some(f) if f == digest && !work.exists() => {
            let rows = count_rows(out)?;
            Ok(ScoreReport {
                already_complete: true,
                resumed_from: 0,
                genes: 0,
                positions: 0,
                score_secs: 0.0,
                rows,
            })
        }
        Some(_) => Err(store::Error::FingerprintMismatch {
            dir: out.to_path_buf(),
            changes: vec!["the inputs or settings differ from the run that wrote it".into()],
        }
        .into()),
        None => Err(store::Error::Corrupt {
            path: out.to_path_buf(),
            message: "exists and is not a scores file written by `spliceforge score`; move it away, or pass --overwrite to replace it".into(),
        }
        .into()),
    }
}

/// Creates the work directory (cleared first with `overwrite`) and locks it.
fn open_work(work: &Path, overwrite: bool) -> Result<Lock, Error> {
    if overwrite && work.exists() {
        fs::remove_dir_all(work).map_err(|e| store::Error::write(work, e))?;
    }
    fs::create_dir_all(work.join("parts")).map_err(|e| store::Error::write(work, e))?;
    Ok(Lock::acquire(work)?)
}

/// Refuses a work directory left by a run of other inputs or settings; records the fingerprint
/// in a new one.
fn check_fingerprint(work: &Path, id: &RunId) -> Result<(), Error> {
    let fp_path = work.join("fingerprint");
    match fs::read_to_string(&fp_path) {
        Ok(old) if old.trim() != id.digest => Err(store::Error::FingerprintMismatch {
            dir: work.to_path_buf(),
            changes: fp_changes(work, &id.fp),
        }
        .into()),
        Ok(_) => Ok(()),
        Err(_) => {
            let text =
                serde_json::to_vec_pretty(&id.fp).map_err(|e| Error::Internal(e.to_string()))?;
            store::fsutil::write_atomic(&work.join("run.json"), &work.join(".tmp"), &text)
                .map_err(|e| store::Error::write(work, e))?;
            store::fsutil::write_atomic(&fp_path, &work.join(".tmp"), id.digest.as_bytes())
                .map_err(|e| store::Error::write(&fp_path, e))?;
            Ok(())
        }
    }
}

/// Scores the batches after the `resumed_from` committed ones, writing and committing each in
/// turn; returns the positions written.
fn score_batches(
    cfg: &ScoreConfig,
    prep: &prepare::Prepared,
    work: &Path,
    batches: &[&[Gene]],
    resumed_from: usize,
    bar: &ProgressBar,
) -> Result<u64, Error> {
    let manifest_path = work.join(MANIFEST);
    let mut positions = 0u64;
    let sc = &cfg.scoring;
    let mut genome = fasta::Cursor::open(&sc.genome)?;
    for (i, genes) in batches.iter().enumerate().skip(resumed_from) {
        let regions = regions(&mut genome, genes, sc.flank, prep.source.context())?;
        let scores = score_parallel(&*prep.source, genes, &regions, sc.flank, sc.threads, bar);
        let batch = to_batch(genes, &regions, &scores)?;
        positions += batch.num_rows() as u64;
        let file = write_part(work, i + 1, &batch)?;
        let entry = batch_entry(i + 1, genes, &regions, file);
        manifest::append(&manifest_path, &Entry::Batch(entry))?;
    }
    Ok(positions)
}

/// The regions of `genes` (in genome order; ± `flank`, with `context` bases cut around each),
/// reading `genome` on to their contigs.
fn regions(
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

/// The manifest entry of batch `batch_no`, written to `file`.
fn batch_entry(
    batch_no: usize,
    genes: &[Gene],
    regions: &[GeneRegion],
    file: FileEntry,
) -> BatchEntry {
    BatchEntry {
        batch: batch_no,
        genes: genes
            .iter()
            .zip(regions)
            .map(|(g, r)| GeneEntry {
                id: g.id.clone(),
                rows: r.len() as u64,
                sites: 0,
            })
            .collect(),
        rows: file.rows,
        parts: vec![file],
        classes: Default::default(),
        quality: Default::default(),
    }
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

fn fp_changes(work: &Path, new: &store::Fingerprint) -> Vec<String> {
    fs::read(work.join("run.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<store::Fingerprint>(&b).ok())
        .map(|old| old.diff(new))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| vec!["the run fingerprint".into()])
}

/// Scores `genes` on `threads` threads; each takes the next group of genes close enough to share
/// a scoring window.
fn score_parallel(
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

/// Writes `parts/batch-NNNNN.parquet` under a temporary name, fsyncs and renames it.
fn write_part(work: &Path, batch_no: usize, batch: &RecordBatch) -> Result<FileEntry, Error> {
    let name = store::part_name(batch_no);
    let mut w = PartWriter::with_properties(work, &name, arrow_schema(), properties(None))?;
    w.push(batch)?;
    Ok(w.finish()?)
}

/// Concatenates the committed parts, in batch order, into `out` (atomically).
fn assemble(work: &Path, out: &Path, digest: &str) -> Result<u64, Error> {
    let m = manifest::load(&work.join(MANIFEST), false)?;
    let tmp_dir = work.join(".tmp");
    let file = AtomicFile::create(out, &tmp_dir).map_err(|e| store::Error::write(&tmp_dir, e))?;
    let tmp = file.tmp().to_path_buf();
    let mut w = ArrowWriter::try_new(file, arrow_schema(), Some(properties(Some(digest))))
        .map_err(|e| store::part::write_error(&tmp, e))?;
    let mut rows = 0u64;
    for b in &m.batches {
        for f in &b.parts {
            let path = work.join(&f.file);
            let file = fs::File::open(&path).map_err(|e| store::Error::read(&path, e))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .and_then(|r| r.build())
                .map_err(|e| store::Error::damaged_parquet(&path, e))?;
            for batch in reader {
                let batch = batch.map_err(|e| store::Error::damaged_parquet(&path, e))?;
                rows += batch.num_rows() as u64;
                w.write(&batch)
                    .map_err(|e| store::part::write_error(&tmp, e))?;
            }
        }
    }
    let file = w
        .into_inner()
        .map_err(|e| store::part::write_error(&tmp, e))?;
    file.commit().map_err(|e| store::Error::write(out, e))?;
    Ok(rows)
}

fn count_rows(path: &Path) -> Result<u64, Error> {
    let f = fs::File::open(path).map_err(|e| store::Error::read(path, e))?;
    let reader = parquet::file::reader::SerializedFileReader::new(f)
        .map_err(|e| store::Error::damaged_parquet(path, e))?;
    Ok(reader.metadata().file_metadata().num_rows() as u64)
}
