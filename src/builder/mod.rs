//! `spliceforge builder`: genome + annotation → a Parquet dataset, batch by batch, each batch
//! committed atomically so that a run killed at any instant resumes with nothing lost and
//! nothing duplicated.

pub(crate) mod config;
pub(crate) mod merge;
pub(crate) mod pipeline;
pub(crate) mod prepare;
pub(crate) mod score;
pub(crate) mod summary;
mod write;

use std::fs;
use std::path::Path;
use std::time::Instant;

pub use config::{BaseModel, BuildConfig, BuiltWith, ScoreConfig, Scoring, SpliceAiSettings};
pub use merge::{Transfer, merge};
pub use prepare::train_builtin;
pub use score::score;
pub use summary::Summary;

use crate::Error;
use crate::store::fsutil::write_atomic;
use crate::store::genes::{self, GENES_PARQUET, GeneRow};
use crate::store::lock::Lock;
use crate::store::manifest::{self, CompleteEntry, Entry, FileEntry, MANIFEST};
use crate::store::{self, RUN_JSON, RunInfo};

/// Files and directories a dataset may hold; anything else means the directory is not ours.
const OWNED: &[&str] = &[
    RUN_JSON,
    MANIFEST,
    "basemodel.json",
    GENES_PARQUET,
    "summary.json",
    "parts",
    ".tmp",
    ".lock",
];

/// What a call to [`build`] did.
#[derive(Debug)]
pub struct Report {
    /// The run was already complete: nothing was built.
    pub already_complete: bool,
    /// Batches committed before this call (resume point).
    pub resumed_from: usize,
    /// The dataset summary.
    pub summary: Summary,
    /// The closing table (pipeline figures), empty if nothing was built.
    pub table: String,
}

fn clean(dir: &Path, keep_run: bool) -> Result<(), Error> {
    for name in OWNED {
        if *name == ".lock" || (keep_run && *name == RUN_JSON) {
            continue;
        }
        let p = dir.join(name);
        let r = if p.is_dir() {
            fs::remove_dir_all(&p)
        } else {
            fs::remove_file(&p)
        };
        match r {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(store::Error::write(&p, e).into()),
        }
    }
    Ok(())
}

pub(crate) fn check_file(dir: &Path, f: &FileEntry) -> bool {
    fs::metadata(dir.join(&f.file))
        .map(|m| m.len() == f.bytes)
        .unwrap_or(false)
}

/// Builds (or resumes, or confirms) the dataset described by `cfg`.
pub fn build(cfg: &BuildConfig, progress: bool) -> Result<Report, Error> {
    let t0 = Instant::now();
    let dir = cfg.out.as_path();
    // Inputs are found and hashed before anything is created: a missing input leaves no trace.
    let fp = prepare::fingerprint(cfg)?;
    fs::create_dir_all(dir).map_err(|e| store::Error::write(dir, e))?;
    let _lock = Lock::acquire(dir)?;
    let existing = open_existing(cfg, dir, &fp)?;
    let manifest_path = dir.join(MANIFEST);
    let m = manifest::load(&manifest_path, true)?;
    if let (Some(run), Some(c)) = (&existing, &m.complete)
        && check_file(dir, &c.genes_table)
        && check_file(dir, &c.summary)
    {
        // Complete, by the manifest: its parts must still be what was committed (a damaged
        // part is refused, exit 12, and nothing is touched).
        manifest::check_parts(dir, &m, true)?;
        return Ok(Report {
            already_complete: true,
            resumed_from: m.batches.len(),
            summary: Summary::of(&m.batches, run.plan.reserved_genes, &run.plan.base_model),
            table: String::new(),
        });
    }
    manifest::tidy(dir, &m)?;

    let prep_t = Instant::now();
    let mut prep = prepare::prepare(&cfg.scoring, cfg.batch_size)?;
    let batches = prep.plan.batches_of(cfg.shard);
    if let Some(shard) = cfg.shard {
        keep_shard(&mut prep, shard);
    }
    check_committed(dir, &m, &batches)?;
    let schema = cfg.rows.schema();
    if let Some(model) = &prep.builtin {
        write_base_model(dir, model)?;
    }
    let run = record_run(dir, existing, fp, &prep, cfg.shard)?;
    let prepare_secs = prep_t.elapsed().as_secs_f64();

    let resumed_from = m.batches.len();
    let settings = pipeline::Settings {
        dir,
        genome: &cfg.scoring.genome,
        flank: cfg.scoring.flank,
        rows: &cfg.rows,
        batch_rows: cfg.batch_rows,
        threads: cfg.scoring.threads,
        score_threads: cfg.scoring.threads,
        batches: &batches,
        committed: resumed_from,
        progress,
    };
    let outcome = pipeline::run(&settings, &prep, &schema)?;
    let summary = finish(dir, &prep, &run)?;
    let table = summary::pipeline_table(&outcome, prepare_secs, t0.elapsed().as_secs_f64());
    Ok(Report {
        already_complete: false,
        resumed_from,
        summary,
        table,
    })
}

/// Keeps the genes of `shard`'s batches only, in plan order.
fn keep_shard(prep: &mut prepare::Prepared, shard: store::Shard) {
    let size = prep.plan.batch_size;
    let mut i = 0;
    prep.genes.retain(|_| {
        i += 1;
        shard.owns((i - 1) / size + 1)
    });
}

/// Checks that the committed batches are the first ones of `batches`, in order.
fn check_committed(dir: &Path, m: &manifest::Manifest, batches: &[usize]) -> Result<(), Error> {
    match m.off_plan(batches) {
        None => Ok(()),
        Some(what) => Err(store::Error::Corrupt {
            path: dir.join(MANIFEST),
            message: format!("{what}; start over with --overwrite"),
        }
        .into()),
    }
}

/// The run already in `dir`, if any, once `--overwrite` has cleared it; refuses a run of other
/// content settings and a directory that is not ours.
fn open_existing(
    cfg: &BuildConfig,
    dir: &Path,
    fp: &store::Fingerprint,
) -> Result<Option<RunInfo>, Error> {
    if cfg.overwrite {
        clean(dir, false)?;
    }
    let existing = RunInfo::load(dir)?;
    match &existing {
        Some(run) if run.fingerprint != fp.digest() => {
            let d = run.content.diff(fp);
            let changes = if d.is_empty() {
                vec!["the run fingerprint (tool version)".into()]
            } else {
                d
            };
            return Err(store::Error::FingerprintMismatch {
                dir: dir.to_path_buf(),
                changes,
            }
            .into());
        }
        Some(_) => {}
        None => clear_new(dir)?,
    }
    Ok(existing)
}

/// Readies a directory that holds no run yet: refuses one holding anything that is not ours,
/// else clears what an unfinished start left.
fn clear_new(dir: &Path) -> Result<(), Error> {
    let foreign = fs::read_dir(dir)
        .map_err(|e| store::Error::read(dir, e))?
        .flatten()
        .any(|e| !OWNED.contains(&e.file_name().to_string_lossy().as_ref()));
    if foreign {
        return Err(store::Error::NotADataset {
            dir: dir.to_path_buf(),
        }
        .into());
    }
    clean(dir, false)
}

/// `basemodel.json`: the built-in model trained for this run (rewritten only if it changed).
fn write_base_model(dir: &Path, model: &impl serde::Serialize) -> Result<(), Error> {
    let bytes = serde_json::to_vec_pretty(model).map_err(|e| Error::Internal(e.to_string()))?;
    let path = dir.join("basemodel.json");
    if fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
        write_atomic(&path, &dir.join(".tmp"), &bytes)
            .map_err(|e| store::Error::write(&path, e))?;
    }
    Ok(())
}

/// The run's `run.json`: the one found (its plan must be the one these inputs give), or a new
/// one written now.
fn record_run(
    dir: &Path,
    existing: Option<RunInfo>,
    fp: store::Fingerprint,
    prep: &prepare::Prepared,
    shard: Option<store::Shard>,
) -> Result<RunInfo, Error> {
    if let Some(run) = existing {
        if run.plan != prep.plan {
            return Err(store::Error::Corrupt {
                path: dir.join(RUN_JSON),
                message:
                    "its plan differs from the one these inputs give; start over with --overwrite"
                        .into(),
            }
            .into());
        }
        return Ok(run);
    }
    let run = RunInfo {
        tool: "spliceforge".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        fingerprint: fp.digest(),
        content: fp,
        plan: prep.plan.clone(),
        shard,
    };
    run.save(dir)?;
    Ok(run)
}

/// Finishes a built dataset: the per-gene table, the summary, then the completion line.
fn finish(dir: &Path, prep: &prepare::Prepared, run: &RunInfo) -> Result<Summary, Error> {
    let manifest_path = dir.join(MANIFEST);
    let m = manifest::load(&manifest_path, true)?;
    let by_id: std::collections::HashMap<&str, (u64, u64, u64)> = m
        .batches
        .iter()
        .flat_map(|b| {
            b.genes
                .iter()
                .map(move |g| (g.id.as_str(), (g.sites, g.rows, b.batch as u64)))
        })
        .collect();
    let records: Vec<GeneRow> = prep
        .genes
        .iter()
        .map(|g| {
            let (sites, rows, batch) = by_id.get(g.id.as_str()).copied().unwrap_or_default();
            GeneRow::new(g, sites, rows, batch)
        })
        .collect();
    complete(dir, &records, run)
}

/// Completes a dataset whose batches are all committed: the per-gene table, the summary, then
/// the completion line (the builder's last step, and the merge's).
fn complete(dir: &Path, records: &[GeneRow], run: &RunInfo) -> Result<Summary, Error> {
    let manifest_path = dir.join(MANIFEST);
    let m = manifest::load(&manifest_path, true)?;
    let genes_table = genes::write(dir, records)?;
    let summary = Summary::of(&m.batches, run.plan.reserved_genes, &run.plan.base_model);
    let summary_file = write_summary(dir, &summary)?;
    // The scratch directory goes before the completion line: a complete dataset has none.
    let tmp = dir.join(".tmp");
    match fs::remove_dir_all(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(store::Error::write(&tmp, e).into());
        }
        _ => {}
    }
    manifest::append(
        &manifest_path,
        &Entry::Complete(CompleteEntry {
            batches: m.batches.len(),
            rows: m.batches.iter().map(|b| b.rows).sum(),
            genes_table,
            summary: summary_file,
        }),
    )?;
    Ok(summary)
}

/// Writes `summary.json` atomically; returns its manifest entry.
fn write_summary(dir: &Path, summary: &Summary) -> Result<FileEntry, Error> {
    let mut bytes =
        serde_json::to_vec_pretty(summary).map_err(|e| Error::Internal(e.to_string()))?;
    bytes.push(b'\n');
    let path = dir.join("summary.json");
    write_atomic(&path, &dir.join(".tmp"), &bytes).map_err(|e| store::Error::write(&path, e))?;
    let (sha256, len) =
        store::fsutil::sha256_file(&path).map_err(|e| store::Error::read(&path, e))?;
    Ok(FileEntry {
        file: "summary.json".into(),
        rows: 0,
        bytes: len,
        sha256,
    })
}
