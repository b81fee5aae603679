//! Each command run with its resolved configuration, and what it prints on success.

use std::io::Write;
use std::path::Path;

use spliceforge::Error;
use spliceforge::builder::{BuildConfig, ScoreConfig};
use spliceforge::features::Schema;
use spliceforge::train::Dataset;
use spliceforge::train::TrainConfig;
use spliceforge::train::memory::{Request, render};

use super::resolve::{Estimate, Inspect, ShapeFrom};

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}

/// A line on standard output, like `println!`, but a closed pipe (`| head`) is not a panic.
macro_rules! say {
    ($($t:tt)*) => {
        print(&(format!($($t)*) + "\n"))
    };
}

/// `inspect`: the report, as text or JSON.
pub fn inspect(c: Inspect) -> Result<(), Error> {
    let report = spliceforge::inspect::inspect(&c.genome, &c.annotation, c.format, &c.selection)?;
    if c.json {
        print(&(serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"));
    } else {
        print(&report.to_string());
    }
    Ok(())
}

/// `builder`: the closing tables (or that the run was already complete).
pub fn builder(cfg: &BuildConfig, shard_note: Option<&str>, quiet: bool) -> Result<(), Error> {
    if let Some(note) = shard_note {
        print(&format!(
            "building {note} into {}; `spliceforge merge` joins the shards\n",
            cfg.out.display()
        ));
    }
    let report = spliceforge::builder::build(cfg, !quiet)?;
    let mut out = String::new();
    if report.already_complete {
        out.push_str(&format!(
            "{} is already complete ({} batches); nothing to do. `spliceforge verify {}` checks it in full.\n",
            cfg.out.display(),
            report.resumed_from,
            cfg.out.display()
        ));
    } else if report.resumed_from > 0 {
        out.push_str(&format!(
            "resumed after {} committed batches\n",
            report.resumed_from
        ));
    }
    out.push_str(&report.table);
    out.push_str(&report.summary.table());
    print(&out);
    Ok(())
}

/// `score`: one line of figures.
pub fn score(cfg: &ScoreConfig, quiet: bool) -> Result<(), Error> {
    let base_model = &cfg.scoring.base_model;
    if base_model.spliceai().is_some() && !quiet {
        eprintln!("note: {}", spliceforge::basemodel::spliceai::LICENCE);
    }
    let r = spliceforge::builder::score(cfg, !quiet)?;
    if r.already_complete {
        say!(
            "{} is already complete ({} positions); nothing to do (--overwrite starts over)",
            cfg.out.display(),
            r.rows
        );
        return Ok(());
    }
    if r.resumed_from > 0 {
        say!("resumed after {} committed batches", r.resumed_from);
    }
    say!(
        "scored {} genes, {} positions in {:.1} s ({:.0} nt/s, {} base model{}, {} threads); {} rows in {}; peak RSS {}",
        r.genes,
        r.positions,
        r.score_secs,
        r.positions as f64 / r.score_secs.max(1e-9),
        base_model.name(),
        base_model
            .spliceai()
            .map(|s| format!(" × {} networks", s.models))
            .unwrap_or_default(),
        cfg.scoring.threads,
        r.rows,
        cfg.out.display(),
        spliceforge::rss::human(spliceforge::rss::peak_rss_bytes())
    );
    Ok(())
}

/// `merge`: what was joined, and how.
pub fn merge(out: &Path, shards: &[std::path::PathBuf], copy: bool) -> Result<(), Error> {
    use spliceforge::builder::{Transfer, merge as merge_shards};
    if shards.iter().all(|p| p.is_file()) {
        return merge_tables(out, shards);
    }
    let transfer = if copy { Transfer::Copy } else { Transfer::Link };
    let r = merge_shards(out, shards, transfer)?;
    if r.already_complete {
        print(&format!(
            "{} is already merged ({} batches, {} rows); nothing to do\n",
            out.display(),
            r.batches,
            r.rows
        ));
        return Ok(());
    }
    if r.resumed_from > 0 {
        print(&format!(
            "resumed after {} committed batches\n",
            r.resumed_from
        ));
    }
    print(&format!(
        "merged {} shards into {}: {} batches, {} rows; {} parts hard-linked, {} copied. `spliceforge verify {}` checks it in full\n",
        r.shards,
        out.display(),
        r.batches,
        r.rows,
        r.linked,
        r.copied,
        out.display()
    ));
    Ok(())
}

/// `verify`: OK with the dataset's figures, or the problems (exit 6).
pub fn verify(dir: &Path) -> Result<(), Error> {
    let r = spliceforge::store::verify(dir)?;
    if !r.problems.is_empty() {
        return Err(spliceforge::store::Error::Verify {
            problems: r.problems,
        }
        .into());
    }
    say!(
        "{}: OK — {} batches, {} part files, {} genes, {} rows; checksums, schema, row counts and uniqueness hold",
        dir.display(),
        r.batches,
        r.parts,
        r.genes,
        r.rows
    );
    Ok(())
}

/// `train`: the result summary.
pub fn train(cfg: &TrainConfig) -> Result<(), Error> {
    let summary = if cfg.memory.workers > 1 && cfg.collective.is_none() {
        // The workers run this same command line, each as one rank, with its share of threads.
        let args = without_flags(std::env::args_os().skip(1), &["--workers", "--threads"]);
        spliceforge::train::run_local(cfg, &args, cfg.params.threads)?
    } else {
        spliceforge::train::train(cfg)?
    };
    print(&summary);
    // Rank 0 (or the only process) owns --out-dir: once the model is complete (not after one
    // ensemble member), it judges the held-out contigs.
    if !cfg.holdout_contigs.is_empty()
        && cfg.member.is_none()
        && cfg.collective.as_ref().is_none_or(|c| c.rank == 0)
    {
        // The bar shows on a terminal only (indicatif hides it elsewhere).
        if let Some(h) = spliceforge::evaluate::held_out_contigs(
            &cfg.out,
            &cfg.dataset,
            cfg.params.threads,
            true,
        )? {
            print(&format!(
                "held-out contigs {} ({} genes, every base, never trained on):\n{}",
                h.contigs.join(","),
                h.genes,
                h.report.summary
            ));
        }
    }
    Ok(())
}

/// `args` without the value flags `flags` (given as `--flag V` or `--flag=V`).
fn without_flags(
    args: impl Iterator<Item = std::ffi::OsString>,
    flags: &[&str],
) -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    let mut skip_value = false;
    for a in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let text = a.to_string_lossy();
        if flags.contains(&text.as_ref()) {
            skip_value = true;
        } else if !flags.iter().any(|f| text.starts_with(&format!("{f}="))) {
            out.push(a);
        }
    }
    out
}

/// `tracker`: says where the workers join, then waits for them.
pub fn tracker(a: &super::args::TrackerArgs) -> Result<(), Error> {
    if a.workers == 0 {
        return Err(Error::Usage("--workers must be at least 1".into()));
    }
    let announce = |host: &str, port: u16| {
        if let Some(f) = &a.address_file {
            let tmp = f.with_extension("tmp");
            std::fs::write(&tmp, format!("{host}:{port}\n"))
                .and_then(|()| std::fs::rename(&tmp, f))
                .map_err(|e| spliceforge::store::Error::write(f, e))?;
        }
        print(&format!(
            "tracker for {} workers on {host}:{port}; start each with: spliceforge train … --tracker {host}:{port} --rank I --world {}\n",
            a.workers, a.workers
        ));
        let _ = std::io::stdout().flush();
        Ok(())
    };
    spliceforge::train::run_tracker(a.workers, &a.host, a.port, a.timeout, announce)?;
    print("every worker finished\n");
    Ok(())
}

/// `estimate`: the tables, or JSON.
pub fn estimate(e: Estimate) -> Result<(), Error> {
    let pl = &e.plan;
    let (shape, dataset_genes, source) = match &e.shape {
        ShapeFrom::Dataset(dir) => {
            let ds = Dataset::open_unverified(dir)?;
            (
                spliceforge::train::memory::sample_shape(&ds, pl.sample_genes, pl.seed),
                ds.genes.len() as u64,
                format!("dataset {}", dir.display()),
            )
        }
        ShapeFrom::Given(s) => (*s, s.genes, "the shape given".to_string()),
    };
    let req = Request {
        shape,
        dataset_genes,
        source,
        settings: pl.settings.clone(),
        budget: pl.memory_budget,
        fixed: pl.fixed,
    };
    let report = render(&req);
    if e.json {
        print(&(serde_json::to_string_pretty(&report.json).unwrap_or_default() + "\n"));
    } else {
        print(&report.text);
    }
    Ok(())
}

/// `merge` of every-base prediction tables (`predict --shard I/N`).
fn merge_tables(out: &Path, shards: &[std::path::PathBuf]) -> Result<(), Error> {
    let r = spliceforge::predict::merge(out, shards)?;
    if r.already_complete {
        say!(
            "{} is already merged ({} rows); nothing to do",
            out.display(),
            r.rows
        );
    } else {
        say!(
            "merged {} prediction tables into {}: {} rows, the table one unsharded run writes",
            r.shards,
            out.display(),
            r.rows
        );
    }
    Ok(())
}

/// Every-base `predict`: one line of figures.
pub fn predict_genes(cfg: &spliceforge::predict::GenesConfig, quiet: bool) -> Result<(), Error> {
    let r = spliceforge::predict::predict_genes(cfg, !quiet)?;
    if r.already_complete {
        say!(
            "{} is already complete ({} rows); nothing to do (--overwrite starts over)",
            cfg.out.display(),
            r.rows
        );
        print_tracks(cfg, &r);
        return Ok(());
    }
    if r.resumed_from > 0 {
        say!("resumed after {} committed batches", r.resumed_from);
    }
    say!(
        "predicted every base of {} {}: {} bases in {:.1} s ({:.0} bases/s, {} base model, {} threads); {} rows in {}; peak RSS {}",
        r.genes,
        r.targets,
        r.bases,
        r.secs,
        r.bases as f64 / r.secs.max(1e-9),
        r.base_model,
        cfg.threads,
        r.rows,
        cfg.out.display(),
        spliceforge::rss::human(spliceforge::rss::peak_rss_bytes())
    );
    if !r.clipped.is_empty() {
        say!(
            "{} region(s) clipped to their contig's end: {}",
            r.clipped.len(),
            r.clipped.join(", ")
        );
    }
    let sp = r.split;
    say!(
        "time: base model {:.1} s, features {:.1} s, meta-model and table {:.1} s",
        sp.base_model,
        sp.features,
        sp.meta_model
    );
    print_tracks(cfg, &r);
    Ok(())
}

/// Where the tracks went.
fn print_tracks(cfg: &spliceforge::predict::GenesConfig, r: &spliceforge::predict::GenesReport) {
    let Some(w) = r.tracks else { return };
    if let Some(bed) = &cfg.tracks.bed {
        say!("{} called sites in {} (BED6)", w.sites, bed.display());
    }
    if let Some(p) = &cfg.tracks.bedgraph_prefix {
        say!(
            "{} intervals in {}.{{donor,acceptor}}.{{fwd,rev}}.bedgraph",
            w.intervals,
            p.display()
        );
    }
}

/// `predict --dataset`: how many rows went where.
pub fn predict(model: &Path, dataset: &Path, out: &Path, overwrite: bool) -> Result<(), Error> {
    match spliceforge::predict::predict(model, dataset, out, overwrite)? {
        Some(n) => say!("{n} rows predicted into {}", out.display()),
        None => say!(
            "{} is already complete: this model's predictions of this dataset; nothing to do (--overwrite predicts again)",
            out.display()
        ),
    }
    Ok(())
}

/// `schema`: the dataset schema as JSON or Markdown.
pub fn schema(kmer_sizes: &[usize], markdown: bool) -> Result<(), Error> {
    let s = Schema::new(kmer_sizes);
    print(&if markdown {
        s.markdown()
    } else {
        serde_json::to_string_pretty(&s).unwrap_or_default() + "\n"
    });
    Ok(())
}

/// `evaluate`: the first table (or that the evaluation was already complete, and its figures).
pub fn evaluate(cfg: &spliceforge::evaluate::EvaluateConfig) -> Result<(), Error> {
    let r = spliceforge::evaluate::evaluate(cfg)?;
    if r.already_complete {
        say!(
            "{} is already complete; nothing to do (--overwrite starts over)",
            cfg.out.display()
        );
    }
    print(&r.summary);
    Ok(())
}

/// The SpliceAI weights directory `doctor` reports: `SPLICEFORGE_SPLICEAI_WEIGHTS`, else the cache
/// `scripts/fetch-spliceai.sh` fills.
fn spliceai_weights_dir() -> (std::path::PathBuf, &'static str) {
    if let Some(d) = std::env::var_os("SPLICEFORGE_SPLICEAI_WEIGHTS").filter(|v| !v.is_empty()) {
        return (d.into(), "SPLICEFORGE_SPLICEAI_WEIGHTS");
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(|| std::path::PathBuf::from(".cache"));
    (
        cache.join("spliceforge/spliceai-1.3.1"),
        "the default cache of scripts/fetch-spliceai.sh",
    )
}

/// `doctor`: what this installation uses; the loader's error (exit 15) when XGBoost is unusable.
pub fn doctor() -> Result<(), Error> {
    use spliceforge::xgboost;
    say!("spliceforge {}", env!("CARGO_PKG_VERSION"));
    let loaded = xgboost::load();
    let places = match &loaded {
        Ok(lib) => {
            say!(
                "XGBoost {} loaded from {}",
                lib.version_string(),
                lib.path.display()
            );
            lib.places.clone()
        }
        Err(_) => {
            say!(
                "XGBoost: no usable library (needs XGBoost 3.x, at least {}); train, predict and tracker cannot run",
                xgboost::dotted(xgboost::MIN_VERSION)
            );
            match spliceforge::xgboost::load_error() {
                Some(e) => e.places.clone(),
                None => Vec::new(),
            }
        }
    };
    say!("Where spliceforge looks for XGBoost's library, in order:");
    print(&xgboost::render_places(&places));
    let (dir, from) = spliceai_weights_dir();
    let found: Vec<&str> = spliceforge::basemodel::spliceai::FILES
        .iter()
        .copied()
        .filter(|f| dir.join(f).is_file())
        .collect();
    say!(
        "SpliceAI weights ({from}): {} — {}",
        dir.display(),
        match found.len() {
            0 => "not found; scripts/fetch-spliceai.sh fetches them (only --base-model spliceai needs them)".to_string(),
            n => format!("{n} of 5 networks found"),
        }
    );
    say!("  {}", spliceforge::basemodel::spliceai::LICENCE);
    let threads = std::env::var("SPLICEFORGE_THREADS")
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
        .filter(|&t| t > 0);
    say!(
        "threads: {} ({})",
        threads.unwrap_or_else(spliceforge::cluster::default_threads),
        if threads.is_some() {
            "SPLICEFORGE_THREADS"
        } else {
            "every core this process may use; --threads or SPLICEFORGE_THREADS sets it"
        }
    );
    loaded.map(|_| ())
}

/// `--version`: ours, and XGBoost's when its library loads.
pub fn version() -> String {
    let mut s = format!("spliceforge {}\n", env!("CARGO_PKG_VERSION"));
    match spliceforge::xgboost::load() {
        Ok(lib) => s.push_str(&format!(
            "XGBoost {} ({})\n",
            lib.version_string(),
            lib.path.display()
        )),
        Err(_) => s.push_str(
            "XGBoost: no usable library found (`spliceforge doctor` says where it looked)\n",
        ),
    }
    s
}

/// `variants`: the summary of a run (records, scored alleles, skips by reason with examples,
/// speed), or of one shard.
pub fn variants(
    cfg: &spliceforge::variants::Config,
    shard_note: Option<&str>,
    quiet: bool,
) -> Result<(), Error> {
    if !quiet {
        eprintln!("note: {}", spliceforge::basemodel::spliceai::LICENCE);
    }
    if let Some(n) = shard_note {
        say!("scoring {n}");
    }
    let r = spliceforge::variants::run(cfg, !quiet)?;
    if r.already_complete {
        say!(
            "{} is already complete; nothing to do (--overwrite starts over)",
            cfg.out.display()
        );
        return Ok(());
    }
    if r.resumed_chunks > 0 {
        say!(
            "resumed: {} chunk(s) of records were already committed",
            r.resumed_chunks
        );
    }
    if let Some(u) = &r.unsorted {
        say!(
            "warning: the VCF is not sorted ({u}); it works, but contigs may be read from the FASTA more than once"
        );
    }
    let t = &r.tally;
    say!(
        "{} records: {} annotated, {} allele×gene entries scored, {} written as '.' (MNV/complex); {} records scored now in {:.1} s ({:.1} variants/s, {} threads); peak RSS {}",
        t.records,
        t.annotated,
        t.scored,
        t.unscored,
        r.records_now,
        r.secs,
        r.records_now as f64 / r.secs.max(1e-9),
        cfg.threads,
        spliceforge::rss::human(spliceforge::rss::peak_rss_bytes())
    );
    for (reason, x) in &t.skipped {
        say!(
            "left without annotation, {}: {} record(s), e.g. {}",
            reason.say(),
            x.count,
            x.examples.join("; ")
        );
    }
    if let Some(m) = &cfg.model {
        say!(
            "meta-model {}: {} allele×gene entries corrected (SpliceForge=)",
            m.display(),
            t.meta_scored
        );
        if t.meta_no_model.count > 0 {
            say!(
                "warning: {} scored entries have '.' in SpliceForge= because their gene has no gene model (a gene table row whose exon starts and ends do not pair up), e.g. {}",
                t.meta_no_model.count,
                t.meta_no_model.examples.join("; ")
            );
        }
    }
    if t.alleles_skipped.count > 0 {
        say!(
            "alleles skipped (symbolic, '*', '.' or '-'): {}, e.g. {}",
            t.alleles_skipped.count,
            t.alleles_skipped.examples.join("; ")
        );
    }
    match (&r.written, r.shard) {
        (Some(out), _) => say!("wrote {}", out.display()),
        (None, Some(s)) => say!(
            "shard {s} done; when every shard is done, run the same command with --merge (instead of --shard) to write {}",
            cfg.out.display()
        ),
        (None, None) => {}
    }
    Ok(())
}
