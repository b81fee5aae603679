//! The `spliceforge` binary: parse flags, resolve them into the library's configuration, run,
//! and map the outcome to a documented exit code (see `spliceforge --help`).

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{
    AnnotationFormat, BaseModelArgs, BaseModelKind, BuilderArgs, Cli, Command, EstimateArgs,
    InspectArgs, ObjectiveArg, PlanArgs, ScoreArgs, SelectionArgs, SingleModelArg, TnSampling,
    TrainArgs,
};
use spliceforge::builder::{BuildConfig, SpliceAiSettings};
use spliceforge::error::exit;
use spliceforge::features::{LabelConfig, RowConfig, Schema};
use spliceforge::genome::{Format, Selection};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), spliceforge::Error> {
    match cli.command {
        Command::Inspect(args) => inspect(args),
        Command::Builder(args) => builder(args),
        Command::Verify(args) => verify(&args.dir),
        Command::Train(args) => train(args),
        Command::Estimate(args) => estimate(args),
        Command::Predict(args) => {
            let n = spliceforge::train::modeldir::predict::predict(
                &args.model,
                &args.dataset,
                &args.out,
            )?;
            println!("{n} rows predicted into {}", args.out.display());
            Ok(())
        }
        Command::Score(args) => score(args),
        Command::Schema(args) => {
            let s = Schema::new(&args.kmer_sizes);
            let text = if args.markdown {
                s.markdown()
            } else {
                serde_json::to_string_pretty(&s).unwrap_or_default() + "\n"
            };
            let _ = std::io::stdout().write_all(text.as_bytes());
            Ok(())
        }
    }
}

fn usage(msg: &str) -> ! {
    use clap::CommandFactory;
    Cli::command()
        .error(clap::error::ErrorKind::InvalidValue, msg)
        .exit()
}

/// The checks `builder` and `score` share.
fn check_batches_and_reserve(batch_size: usize, reserve_fraction: f64) {
    if batch_size == 0 {
        usage("--batch-size must be at least 1");
    }
    if !(0.0..1.0).contains(&reserve_fraction) {
        usage("--reserve-fraction must be in [0, 1)");
    }
}

fn resolve_builder(a: BuilderArgs) -> BuildConfig {
    check_batches_and_reserve(a.batch_size, a.reserve_fraction);
    if a.batch_rows == 0 {
        usage("--batch-rows must be at least 1");
    }
    if a.kmer_sizes.is_empty() || a.kmer_sizes.iter().any(|k| !(1..=6).contains(k)) {
        usage("--kmer-sizes takes sizes from 1 to 6");
    }
    let mut kmer_sizes = a.kmer_sizes.clone();
    kmer_sizes.sort_unstable();
    kmer_sizes.dedup();
    if !(0.0..=1.0).contains(&a.threshold) || !(0.0..=1.0).contains(&a.hard_prob) {
        usage("--threshold and --hard-prob are probabilities in [0, 1]");
    }
    if a.easy_ratio < 0.0 {
        usage("--easy-ratio cannot be negative");
    }
    let threads = resolve_threads(a.threads);
    let selection = resolve_selection(a.selection);
    BuildConfig {
        genome: a.inputs.genome,
        annotation: a.inputs.annotation,
        annotation_format: resolve_format(a.inputs.annotation_format),
        out: a.out,
        rows: RowConfig {
            label: LabelConfig {
                threshold: a.threshold,
                consensus_window: a.consensus_window,
                hard_prob: a.hard_prob,
                window: a.window,
                easy_ratio: a.easy_ratio,
                keep_all: matches!(a.tn_sampling, TnSampling::None),
            },
            kmer_sizes,
            seed: selection.seed,
        },
        selection,
        batch_size: a.batch_size,
        batch_rows: a.batch_rows,
        flank: a.flank,
        reserve_fraction: a.reserve_fraction,
        base_scores: a.base_scores,
        spliceai: resolve_spliceai(&a.model),
        threads,
        overwrite: a.overwrite,
    }
}

/// `--threads`, or all cores.
fn resolve_threads(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

fn resolve_spliceai(m: &BaseModelArgs) -> Option<SpliceAiSettings> {
    if m.base_model != BaseModelKind::Spliceai {
        return None;
    }
    let Some(weights) = m.spliceai_weights.clone() else {
        usage(
            "--base-model spliceai needs --spliceai-weights DIR (or SPLICEFORGE_SPLICEAI_WEIGHTS); scripts/fetch-spliceai.sh fetches the weights and prints the directory",
        );
    };
    Some(SpliceAiSettings {
        weights,
        models: usize::from(m.spliceai_models),
    })
}

fn score(a: ScoreArgs) -> Result<(), spliceforge::Error> {
    check_batches_and_reserve(a.batch_size, a.reserve_fraction);
    let threads = resolve_threads(a.threads);
    let selection = resolve_selection(a.selection);
    let cfg = BuildConfig {
        genome: a.inputs.genome,
        annotation: a.inputs.annotation,
        annotation_format: resolve_format(a.inputs.annotation_format),
        out: a.out,
        rows: RowConfig {
            label: LabelConfig::default(),
            kmer_sizes: vec![3],
            seed: selection.seed,
        },
        selection,
        batch_size: a.batch_size,
        batch_rows: 10_000,
        flank: a.flank,
        reserve_fraction: a.reserve_fraction,
        base_scores: None,
        spliceai: resolve_spliceai(&a.model),
        threads,
        overwrite: a.overwrite,
    };
    if cfg.spliceai.is_some() && !a.quiet {
        eprintln!("note: {}", spliceforge::basemodel::spliceai::LICENCE);
    }
    let r = spliceforge::builder::score::score(&cfg, !a.quiet)?;
    if r.already_complete {
        println!(
            "{} is already complete ({} positions); nothing to do (--overwrite starts over)",
            cfg.out.display(),
            r.rows
        );
        return Ok(());
    }
    if r.resumed_from > 0 {
        println!("resumed after {} committed batches", r.resumed_from);
    }
    println!(
        "scored {} genes, {} positions in {:.1} s ({:.0} nt/s, {} base model{}, {} threads); {} rows in {}; peak RSS {}",
        r.genes,
        r.positions,
        r.score_secs,
        r.positions as f64 / r.score_secs.max(1e-9),
        cfg.base_model_name(),
        cfg.spliceai
            .as_ref()
            .map(|s| format!(" × {} networks", s.models))
            .unwrap_or_default(),
        cfg.threads,
        r.rows,
        cfg.out.display(),
        spliceforge::mem::human(spliceforge::mem::peak_rss_bytes())
    );
    Ok(())
}

fn builder(args: BuilderArgs) -> Result<(), spliceforge::Error> {
    let quiet = args.quiet;
    let cfg = resolve_builder(args);
    let report = spliceforge::builder::build(&cfg, !quiet)?;
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
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(())
}

/// What `train` and `estimate` share: the memory-relevant settings, validated.
struct Planned {
    n_folds: usize,
    max_bin: u32,
    objective: spliceforge::train::fit::model::Objective,
    train_weights: bool,
    sample_genes: Option<usize>,
    ensemble_size: usize,
    ensemble_overlap: f64,
    holdout_fraction: f64,
    single_model: spliceforge::train::SingleModel,
    external_memory: bool,
    memory_budget: Option<u64>,
    fixed: spliceforge::train::memory::Fixed,
}

fn resolve_plan(a: &PlanArgs) -> Planned {
    use spliceforge::train::SingleModel;
    use spliceforge::train::fit::model::Objective;
    use spliceforge::train::memory::{Fixed, parse_size};
    let ensemble_size = a.ensemble_size.unwrap_or(1);
    if ensemble_size == 0 || !(0.0..=1.0).contains(&a.ensemble_overlap) {
        usage("--ensemble-size must be at least 1 and --ensemble-overlap within [0, 1]");
    }
    if !(0.0..1.0).contains(&a.holdout_fraction) || a.holdout_fraction == 0.0 {
        usage("--holdout-fraction must be in (0, 1)");
    }
    if a.sample_genes == Some(0) {
        usage("--sample-genes must be at least 1");
    }
    if a.max_bin < 2 {
        usage("--max-bin must be at least 2");
    }
    let single_model = match a.single_model {
        _ if a.no_single_model => SingleModel::None,
        SingleModelArg::SameMemory => SingleModel::SameMemory,
        SingleModelArg::All => SingleModel::All,
        SingleModelArg::None => SingleModel::None,
    };
    let memory_budget = a
        .memory_budget
        .as_deref()
        .map(|t| parse_size(t).unwrap_or_else(|e| usage(&format!("--memory-budget: {e}"))));
    Planned {
        n_folds: a.n_folds,
        max_bin: a.max_bin,
        objective: match a.objective {
            ObjectiveArg::Ovr => Objective::Ovr,
            ObjectiveArg::Softprob => Objective::Softprob,
        },
        train_weights: a.train_weights,
        sample_genes: a.sample_genes,
        ensemble_size,
        ensemble_overlap: a.ensemble_overlap,
        holdout_fraction: a.holdout_fraction,
        single_model,
        external_memory: a.external_memory,
        memory_budget,
        fixed: Fixed {
            ensemble: a.ensemble_size.is_some(),
            sample: a.sample_genes.is_some(),
            external: a.external_memory,
            compare_single: single_model != SingleModel::SameMemory,
        },
    }
}

fn train(a: TrainArgs) -> Result<(), spliceforge::Error> {
    use spliceforge::train::fit::model::Params;
    if !(0.0..=1.0).contains(&a.subsample)
        || a.subsample == 0.0
        || !(0.0..=1.0).contains(&a.colsample)
        || a.colsample == 0.0
    {
        usage("--subsample and --colsample are fractions in (0, 1]");
    }
    if !(a.max_delta_step >= 0.0 && a.max_delta_step.is_finite()) {
        usage("--max-delta-step must be 0 (no limit) or a positive number");
    }
    if a.n_estimators == 0 {
        usage("--n-estimators must be at least 1");
    }
    let pl = resolve_plan(&a.plan);
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let cfg = spliceforge::train::TrainConfig {
        dataset: a.dataset,
        out: a.out_dir,
        n_folds: pl.n_folds,
        params: Params {
            objective: pl.objective,
            n_estimators: a.n_estimators,
            learning_rate: a.learning_rate,
            max_depth: a.max_depth,
            subsample: a.subsample,
            colsample: a.colsample,
            max_bin: pl.max_bin,
            max_delta_step: a.max_delta_step,
            seed: a.seed,
            threads,
        },
        calibrate: !a.no_calibrate || a.calibrate_per_class,
        calibrate_population: a.calibrate_population,
        train_weights: pl.train_weights,
        threshold: a.threshold,
        sample_genes: pl.sample_genes,
        ensemble_size: pl.ensemble_size,
        ensemble_overlap: pl.ensemble_overlap,
        holdout_fraction: pl.holdout_fraction,
        single_model: pl.single_model,
        overwrite: a.overwrite,
        external_memory: pl.external_memory,
        memory_budget: pl.memory_budget,
        fixed: pl.fixed,
    };
    let summary = spliceforge::train::train(&cfg)?;
    print!("{summary}");
    Ok(())
}

fn estimate(a: EstimateArgs) -> Result<(), spliceforge::Error> {
    use spliceforge::train::memory::estimate::{Request, render};
    use spliceforge::train::memory::{Settings, Shape};
    let pl = resolve_plan(&a.plan);
    let (shape, dataset_genes, source) = match &a.dataset {
        Some(dir) => {
            let ds = spliceforge::train::input::dataset::Dataset::open_unverified(dir)?;
            let universe = spliceforge::train::input::sample_genes(&ds, pl.sample_genes, 42);
            (
                spliceforge::train::memory::shape(&ds, &universe),
                ds.genes.len() as u64,
                format!("dataset {}", dir.display()),
            )
        }
        None => {
            let (Some(genes), Some(rpg)) = (a.genes, a.rows_per_gene) else {
                usage("give --dataset DIR, or --genes N --rows-per-gene R [--features F]")
            };
            if genes == 0 || rpg <= 0.0 || a.features == 0 {
                usage("--genes, --rows-per-gene and --features must be positive");
            }
            (
                Shape {
                    genes,
                    rows: (genes as f64 * rpg).round() as u64,
                    features: a.features,
                },
                genes,
                "the shape given".to_string(),
            )
        }
    };
    let req = Request {
        shape,
        dataset_genes,
        source,
        settings: Settings {
            max_bin: pl.max_bin,
            objective: pl.objective,
            n_folds: pl.n_folds,
            ensemble_size: pl.ensemble_size,
            ensemble_overlap: pl.ensemble_overlap,
            holdout_fraction: pl.holdout_fraction,
            compare_single: pl.single_model == spliceforge::train::SingleModel::All,
            external_memory: pl.external_memory,
            train_weights: pl.train_weights,
        },
        budget: pl.memory_budget,
        fixed: pl.fixed,
    };
    let (text, json) = render(&req);
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    } else {
        print!("{text}");
    }
    Ok(())
}

fn verify(dir: &std::path::Path) -> Result<(), spliceforge::Error> {
    let r = spliceforge::store::verify::verify(dir)?;
    if !r.problems.is_empty() {
        return Err(spliceforge::store::Error::Verify {
            problems: r.problems,
        }
        .into());
    }
    println!(
        "{}: OK — {} batches, {} part files, {} genes, {} rows; checksums, schema, row counts and uniqueness hold",
        dir.display(),
        r.batches,
        r.parts,
        r.genes,
        r.rows
    );
    Ok(())
}

fn resolve_format(f: Option<AnnotationFormat>) -> Option<Format> {
    f.map(|f| match f {
        AnnotationFormat::Gtf => Format::Gtf,
        AnnotationFormat::Gff3 => Format::Gff3,
    })
}

fn resolve_selection(a: SelectionArgs) -> Selection {
    Selection {
        gene_types: a.gene_types.into_iter().filter(|t| !t.is_empty()).collect(),
        gene_ids: a.gene_ids,
        n_genes: a.n_genes,
        seed: a.seed,
        require_introns: !a.no_require_introns || a.require_introns,
        skip_missing_contigs: a.skip_missing_contigs,
    }
}

fn inspect(args: InspectArgs) -> Result<(), spliceforge::Error> {
    let selection = resolve_selection(args.selection);
    let report = spliceforge::inspect::inspect(
        &args.inputs.genome,
        &args.inputs.annotation,
        resolve_format(args.inputs.annotation_format),
        &selection,
    )?;
    let text = if args.json {
        serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
    } else {
        report.to_string()
    };
    // A closed pipe (`| head`) is not an error.
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(())
}
