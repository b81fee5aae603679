//! Flags → configurations: every check of what clap cannot check alone (ranges, combinations,
//! input files that must exist), done once per command before any work. A problem is an
//! error (usage, exit 2; a missing input, exit 10), never an exit from inside a helper.

use std::path::{Path, PathBuf};

use spliceforge::Error;
use spliceforge::builder::{BaseModel, BuildConfig, ScoreConfig, Scoring, SpliceAiSettings};
use spliceforge::features::{LabelConfig, RowConfig};
use spliceforge::genome::{Format, Selection, Transcripts};
use spliceforge::genome::{Region, Strand};
use spliceforge::predict::{GenesConfig, Targets, Tracks};
use spliceforge::store::Shard;
use spliceforge::train::memory::{Fixed, Settings, Shape, parse_size};
use spliceforge::train::{Auto, Cv, SingleModel, TrainConfig};
use spliceforge::train::{Objective, Params};

use super::args::{
    AnnotationFormat, BaseModelArgs, BaseModelKind, BuilderArgs, CutsArg, CvArg, EstimateArgs,
    EvaluateArgs, InputArgs, InspectArgs, ObjectiveArg, PlanArgs, PredictArgs, ScoreArgs,
    SelectionArgs, SingleModelArg, StrandArg, TnSampling, TrainArgs, TranscriptsArg, VariantsArgs,
};

/// A usage error with `msg`.
fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

/// Fails with exit 10 when an input named by `flag` does not exist.
fn must_exist(flag: &str, path: &Path) -> Result<(), Error> {
    if path.exists() {
        Ok(())
    } else {
        Err(Error::MissingInput {
            flag: flag.into(),
            path: path.to_path_buf(),
        })
    }
}

/// `inspect`: the inputs and the gene selection.
pub struct Inspect {
    /// The FASTA.
    pub genome: PathBuf,
    /// The annotation.
    pub annotation: PathBuf,
    /// `--annotation-format`, if given.
    pub format: Option<Format>,
    /// The gene selection.
    pub selection: Selection,
    /// Print JSON.
    pub json: bool,
}

/// Resolves `inspect`.
pub fn inspect(a: InspectArgs) -> Result<Inspect, Error> {
    inputs(&a.inputs)?;
    Ok(Inspect {
        genome: a.inputs.genome,
        annotation: a.inputs.annotation,
        format: format(a.inputs.annotation_format),
        selection: selection(a.selection),
        json: a.json,
    })
}

/// The genome and annotation must exist.
fn inputs(a: &InputArgs) -> Result<(), Error> {
    must_exist("--genome", &a.genome)?;
    must_exist("--annotation", &a.annotation)
}

/// The checks `builder` and `score` share.
fn batches_and_reserve(batch_size: usize, reserve_fraction: f64) -> Result<(), Error> {
    if batch_size == 0 {
        return Err(usage("--batch-size must be at least 1"));
    }
    if !(0.0..1.0).contains(&reserve_fraction) {
        return Err(usage("--reserve-fraction must be in [0, 1)"));
    }
    Ok(())
}

/// The row settings of `builder`: labels, sampling and k-mer sizes.
fn rows(a: &BuilderArgs, seed: u64) -> Result<RowConfig, Error> {
    if a.kmer_sizes.is_empty() || a.kmer_sizes.iter().any(|k| !(1..=6).contains(k)) {
        return Err(usage("--kmer-sizes takes sizes from 1 to 6"));
    }
    let mut kmer_sizes = a.kmer_sizes.clone();
    kmer_sizes.sort_unstable();
    kmer_sizes.dedup();
    if !(0.0..=1.0).contains(&a.threshold) || !(0.0..=1.0).contains(&a.hard_prob) {
        return Err(usage(
            "--threshold and --hard-prob are probabilities in [0, 1]",
        ));
    }
    if a.easy_ratio < 0.0 {
        return Err(usage("--easy-ratio cannot be negative"));
    }
    Ok(RowConfig {
        label: LabelConfig {
            threshold: a.threshold,
            consensus_window: a.consensus_window,
            hard_prob: a.hard_prob,
            window: a.window,
            easy_ratio: a.easy_ratio,
            keep_all: matches!(a.tn_sampling, TnSampling::None),
        },
        kmer_sizes,
        seed,
        structure: !a.no_structure_features,
    })
}

/// The shard to build: `--shard`, else the Slurm array task's, else none; with a line saying
/// where a shard came from.
fn shard(arg: Option<Shard>) -> Result<(Option<Shard>, Option<String>), Error> {
    if let Some(s) = arg {
        let shard = Shard::new(s.index, s.count).map_err(usage)?;
        return Ok((shard, shard.map(|s| format!("shard {s} (--shard)"))));
    }
    let Some(task) = spliceforge::cluster::ArrayTask::from_env().map_err(usage)? else {
        return Ok((None, None));
    };
    let (id, count) = (task.id, task.count);
    let index = task.index();
    let shard = Shard::new(index, count).map_err(|_| {
        usage(format!(
            "Slurm array task {id} of {count} does not map to a shard: submit with --array=0-{} (or give --shard I/N)",
            count.saturating_sub(1)
        ))
    })?;
    let note = shard.map(|s| {
        format!("shard {s} (from Slurm: SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_COUNT={count}; --shard 0/1 turns this off)")
    });
    Ok((shard, note))
}

/// Resolves `builder`: its configuration, and a line saying which shard it builds (if any).
pub fn builder(a: BuilderArgs) -> Result<(BuildConfig, Option<String>), Error> {
    inputs(&a.inputs)?;
    batches_and_reserve(a.batch_size, a.reserve_fraction)?;
    if a.batch_rows == 0 {
        return Err(usage("--batch-rows must be at least 1"));
    }
    if let Some(p) = &a.base_scores {
        must_exist("--base-scores", p)?;
    }
    let rows = rows(&a, a.selection.seed)?;
    let (shard, shard_note) = shard(a.shard)?;
    let base_model = match a.base_scores {
        // Imported scores replace --base-model (its help says so).
        Some(path) => BaseModel::Imported(path),
        None => base_model(&a.model, a.reserve_fraction)?,
    };
    let cfg = BuildConfig {
        scoring: Scoring {
            genome: a.inputs.genome,
            annotation: a.inputs.annotation,
            annotation_format: format(a.inputs.annotation_format),
            selection: selection(a.selection),
            base_model,
            flank: a.flank,
            threads: threads(a.threads),
        },
        rows,
        out: a.out,
        batch_size: a.batch_size,
        batch_rows: a.batch_rows,
        overwrite: a.overwrite,
        shard,
    };
    Ok((cfg, shard_note))
}

/// Resolves `score`.
pub fn score(a: ScoreArgs) -> Result<ScoreConfig, Error> {
    inputs(&a.inputs)?;
    batches_and_reserve(a.batch_size, a.reserve_fraction)?;
    Ok(ScoreConfig {
        scoring: Scoring {
            genome: a.inputs.genome,
            annotation: a.inputs.annotation,
            annotation_format: format(a.inputs.annotation_format),
            selection: selection(a.selection),
            base_model: base_model(&a.model, a.reserve_fraction)?,
            flank: a.flank,
            threads: threads(a.threads),
        },
        out: a.out,
        batch_size: a.batch_size,
        overwrite: a.overwrite,
    })
}

/// `--threads`, or all cores.
fn threads(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(spliceforge::cluster::default_threads)
        .max(1)
}

/// The base model `--base-model` chooses (the built-in one reserves `reserve_fraction` of the
/// genes to train on).
fn base_model(m: &BaseModelArgs, reserve_fraction: f64) -> Result<BaseModel, Error> {
    if m.base_model != BaseModelKind::Spliceai {
        return Ok(BaseModel::Builtin { reserve_fraction });
    }
    let Some(weights) = m.spliceai_weights.clone() else {
        return Err(usage(
            "--base-model spliceai needs --spliceai-weights DIR (or SPLICEFORGE_SPLICEAI_WEIGHTS); scripts/fetch-spliceai.sh fetches the weights and prints the directory",
        ));
    };
    Ok(BaseModel::SpliceAi(SpliceAiSettings {
        weights,
        models: usize::from(m.spliceai_models),
    }))
}

/// What `train` and `estimate` share: the memory-relevant settings, validated.
pub struct Plan {
    /// What the memory model needs.
    pub settings: Settings,
    /// `--sample-genes`.
    pub sample_genes: Option<usize>,
    /// The comparison model of an ensemble.
    pub single_model: SingleModel,
    /// `--memory-budget` in bytes.
    pub memory_budget: Option<u64>,
    /// What the user fixed.
    pub fixed: Fixed,
    /// `--seed`.
    pub seed: u64,
}

fn plan(a: &PlanArgs) -> Result<Plan, Error> {
    let ensemble_size = a.ensemble_size.unwrap_or(1);
    if ensemble_size == 0 || !(0.0..=1.0).contains(&a.ensemble_overlap) {
        return Err(usage(
            "--ensemble-size must be at least 1 and --ensemble-overlap within [0, 1]",
        ));
    }
    if !(0.0..1.0).contains(&a.holdout_fraction) || a.holdout_fraction == 0.0 {
        return Err(usage("--holdout-fraction must be in (0, 1)"));
    }
    if a.sample_genes == Some(0) {
        return Err(usage("--sample-genes must be at least 1"));
    }
    if a.max_bin < 2 {
        return Err(usage("--max-bin must be at least 2"));
    }
    let single_model = match a.single_model {
        _ if a.no_single_model => SingleModel::None,
        SingleModelArg::SameMemory => SingleModel::SameMemory,
        SingleModelArg::All => SingleModel::All,
        SingleModelArg::None => SingleModel::None,
    };
    let memory_budget = match a.memory_budget.as_deref() {
        Some(t) => Some(parse_size(t).map_err(|e| usage(format!("--memory-budget: {e}")))?),
        None => None,
    };
    Ok(Plan {
        settings: Settings {
            max_bin: a.max_bin,
            // Without --objective, settled by the data's size (`objective_by_size`).
            objective: match a.objective {
                None | Some(ObjectiveArg::Ovr) => Objective::Ovr,
                Some(ObjectiveArg::Ovr2) => Objective::Ovr2,
                Some(ObjectiveArg::Softprob) => Objective::Softprob,
            },
            n_folds: a.n_folds,
            ensemble_size,
            ensemble_overlap: a.ensemble_overlap,
            holdout_fraction: a.holdout_fraction,
            compare_single: single_model == SingleModel::All,
            external_memory: a.external_memory,
            train_weights: a.train_weights,
            workers: a.workers,
            threads: threads(a.threads),
            objective_by_size: a.objective.is_none(),
        },
        sample_genes: a.sample_genes,
        single_model,
        memory_budget,
        fixed: Fixed {
            ensemble: a.ensemble_size.is_some(),
            sample: a.sample_genes.is_some(),
            external: a.external_memory,
        },
        seed: a.seed,
    })
}

/// Resolves `train`.
pub fn train(a: TrainArgs) -> Result<TrainConfig, Error> {
    let fraction = |f: f64| f > 0.0 && f <= 1.0;
    if !fraction(a.subsample) || !fraction(a.colsample) {
        return Err(usage("--subsample and --colsample are fractions in (0, 1]"));
    }
    if !(a.max_delta_step >= 0.0 && a.max_delta_step.is_finite()) {
        return Err(usage(
            "--max-delta-step must be 0 (no limit) or a positive number",
        ));
    }
    if a.n_estimators == 0 {
        return Err(usage("--n-estimators must be at least 1"));
    }
    must_exist("--dataset", &a.dataset)?;
    let pl = plan(&a.plan)?;
    let s = &pl.settings;
    if let Some(r) = a.early_stopping_rounds {
        if r == 0 {
            return Err(usage("--early-stopping-rounds must be at least 1"));
        }
        if s.n_folds < 2 || s.ensemble_size > 1 {
            return Err(usage(
                "--early-stopping-rounds needs cross-validation folds (--n-folds 2 or more) and a single model (no --ensemble-size): the final model boosts the folds' median best rounds",
            ));
        }
    }
    let collective = workers(&a, s)?;
    // Without --cuts, settled by the data's size once the dataset is open.
    if a.cuts == Some(CutsArg::Shared) && s.ensemble_size > 1 {
        return Err(usage(
            "--cuts shared is for single models: ensemble sub-models sketch their own genes (leave --cuts out)",
        ));
    }
    let member = match a.member {
        None => None,
        Some(i) if s.ensemble_size >= 2 && (1..=s.ensemble_size).contains(&i) => {
            if a.plan.memory_budget.is_some() {
                return Err(usage(
                    "--member needs a fixed plan: give --ensemble-size without --memory-budget",
                ));
            }
            Some(i - 1)
        }
        Some(i) => {
            return Err(usage(format!(
                "--member {i}: sub-models are numbered 1 to --ensemble-size ({}), and --member needs --ensemble-size 2 or more",
                s.ensemble_size
            )));
        }
    };
    let mut holdout_contigs: Vec<String> = a
        .holdout_contigs
        .into_iter()
        .filter(|c| !c.is_empty())
        .collect();
    holdout_contigs.sort();
    holdout_contigs.dedup();
    let memory = Settings {
        workers: collective.as_ref().map_or(a.plan.workers, |c| c.world),
        ..pl.settings.clone()
    };
    Ok(TrainConfig {
        member,
        collective,
        worker_timeout: a.worker_timeout,
        dataset: a.dataset,
        out: a.out_dir,
        params: Params {
            objective: memory.objective,
            n_estimators: a.n_estimators,
            learning_rate: a.learning_rate,
            max_depth: a.max_depth,
            subsample: a.subsample,
            colsample: a.colsample,
            max_bin: memory.max_bin,
            max_delta_step: a.max_delta_step,
            early_stopping_rounds: a.early_stopping_rounds,
            shared_cuts: a.cuts == Some(CutsArg::Shared),
            seed: pl.seed,
            threads: memory.threads,
        },
        memory,
        calibrate: !a.no_calibrate || a.calibrate_per_class,
        calibrate_population: a.calibrate_population,
        threshold: a.threshold,
        sample_genes: pl.sample_genes,
        single_model: pl.single_model,
        overwrite: a.overwrite,
        memory_budget: pl.memory_budget,
        fixed: pl.fixed,
        auto: Auto {
            objective: a.plan.objective.is_none(),
            cuts: a.cuts.is_none(),
            settled: None,
        },
        cv: match a.cv {
            CvArg::Genes => Cv::Genes,
            CvArg::Chromosome => Cv::Chromosome,
        },
        holdout_contigs,
    })
}

/// `--workers` / `--tracker`: the worker this process is, if any; refuses what workers do not
/// support yet.
fn workers(
    a: &TrainArgs,
    s: &spliceforge::train::memory::Settings,
) -> Result<Option<spliceforge::train::Collective>, Error> {
    if a.plan.workers == 0 {
        return Err(usage("--workers must be at least 1"));
    }
    let collective = match (&a.tracker, a.rank, a.world) {
        (Some(t), Some(rank), Some(world)) => {
            let bad = || {
                usage(format!(
                    "--tracker {t:?}: expected HOST:PORT, e.g. 10.0.0.5:9091"
                ))
            };
            let (host, port) = spliceforge::cluster::host_port(t).ok_or_else(bad)?;
            if world == 0 || rank >= world {
                return Err(usage(format!(
                    "--rank {rank} --world {world}: ranks go from 0 to --world - 1"
                )));
            }
            Some(spliceforge::train::Collective {
                host,
                port,
                rank,
                world,
            })
        }
        _ => None,
    };
    if a.plan.workers > 1 || collective.is_some() {
        let unsupported = [
            (s.ensemble_size > 1, "--ensemble-size"),
            (a.cuts == Some(CutsArg::Shared), "--cuts shared"),
            (s.external_memory, "--external-memory"),
        ];
        if let Some((_, flag)) = unsupported.iter().find(|(on, _)| *on) {
            return Err(usage(format!(
                "{flag} does not work with --workers or --tracker yet: distributed training makes one single model (use `spliceforge estimate --workers N` for its memory)"
            )));
        }
    }
    Ok(collective)
}

/// Where `estimate` takes the data's shape from.
pub enum ShapeFrom {
    /// A dataset's manifest.
    Dataset(PathBuf),
    /// The shape given by flags.
    Given(Shape),
}

/// `estimate`: the shape's source, the settings, and the output form.
pub struct Estimate {
    /// The data.
    pub shape: ShapeFrom,
    /// The settings to estimate for.
    pub plan: Plan,
    /// Print JSON.
    pub json: bool,
}

/// Resolves `estimate`.
pub fn estimate(a: EstimateArgs) -> Result<Estimate, Error> {
    let shape = match a.dataset {
        Some(dir) => {
            must_exist("--dataset", &dir)?;
            ShapeFrom::Dataset(dir)
        }
        None => {
            let (Some(genes), Some(rpg)) = (a.genes, a.rows_per_gene) else {
                return Err(usage(
                    "give --dataset DIR, or --genes N --rows-per-gene R [--features F]",
                ));
            };
            if genes == 0 || rpg <= 0.0 || a.features == 0 {
                return Err(usage(
                    "--genes, --rows-per-gene and --features must be positive",
                ));
            }
            ShapeFrom::Given(Shape {
                genes,
                rows: (genes as f64 * rpg).round() as u64,
                features: a.features,
            })
        }
    };
    Ok(Estimate {
        shape,
        plan: plan(&a.plan)?,
        json: a.json,
    })
}

fn format(f: Option<AnnotationFormat>) -> Option<Format> {
    f.map(|f| match f {
        AnnotationFormat::Gtf => Format::Gtf,
        AnnotationFormat::Gff3 => Format::Gff3,
    })
}

fn selection(a: SelectionArgs) -> Selection {
    Selection {
        gene_types: a.gene_types.into_iter().filter(|t| !t.is_empty()).collect(),
        gene_ids: a.gene_ids,
        n_genes: a.n_genes,
        seed: a.seed,
        require_introns: !a.no_require_introns || a.require_introns,
        skip_missing_contigs: a.skip_missing_contigs,
        transcripts: transcripts(a.transcripts),
        contigs: a.contigs.into_iter().filter(|c| !c.is_empty()).collect(),
    }
}

/// The library's transcript choice for the flag's value.
pub(super) fn transcripts(a: TranscriptsArg) -> Transcripts {
    match a {
        TranscriptsArg::All => Transcripts::All,
        TranscriptsArg::Canonical => Transcripts::Canonical,
        TranscriptsArg::Mane => Transcripts::Mane,
        TranscriptsArg::Longest => Transcripts::Longest,
    }
}

/// What `predict` is asked to do.
pub enum Predict {
    /// The rows of a dataset.
    Dataset {
        /// The model directory.
        model: PathBuf,
        /// The dataset.
        dataset: PathBuf,
        /// The Parquet file written.
        out: PathBuf,
        /// Replace an existing `out` of another model or dataset.
        overwrite: bool,
    },
    /// Every base of the selected genes.
    Genes(Box<GenesConfig>),
}

/// Resolves `predict`.
pub fn predict(a: PredictArgs) -> Result<Predict, Error> {
    // A missing --model is the model directory's own error (exit 10, "model directory … does
    // not exist").
    if let Some(dataset) = a.dataset {
        if a.explain > 0 {
            return Err(usage(
                "--explain is for every-base predict (--genome): it explains the called sites of the genes or regions predicted",
            ));
        }
        return Ok(Predict::Dataset {
            model: a.model,
            dataset,
            out: a.out,
            overwrite: a.overwrite,
        });
    }
    let Some(genome) = a.genome else {
        return Err(usage(
            "predict needs --dataset DIR, or --genome FASTA with --annotation FILE (or --regions/--region)",
        ));
    };
    must_exist("--genome", &genome)?;
    let targets = match a.annotation {
        Some(annotation) => {
            must_exist("--annotation", &annotation)?;
            Targets::Genes {
                annotation,
                annotation_format: format(a.annotation_format),
                selection: selection(a.selection),
            }
        }
        None => {
            let strand = match a.strand {
                StrandArg::Both => None,
                StrandArg::Plus => Some(Strand::Forward),
                StrandArg::Minus => Some(Strand::Reverse),
            };
            let mut regions = Vec::new();
            if let Some(p) = &a.regions {
                must_exist("--regions", p)?;
                let mut from_bed = spliceforge::genome::regions::read_bed(p)?;
                for r in &mut from_bed {
                    r.strand = r.strand.or(strand);
                }
                regions.extend(from_bed);
            }
            regions.extend(a.region.into_iter().map(|r| Region { strand, ..r }));
            if regions.is_empty() {
                return Err(usage(
                    "--genome needs --annotation FILE (the genes to predict), or --regions BED / --region CHROM:START-END",
                ));
            }
            Targets::Regions {
                regions,
                file: a.regions,
            }
        }
    };
    if let Some(p) = &a.base_scores {
        must_exist("--base-scores", p)?;
    }
    if a.batch_size == 0 {
        return Err(usage("--batch-size must be at least 1"));
    }
    let (shard, _) = shard(a.shard)?;
    Ok(Predict::Genes(Box::new(GenesConfig {
        shard,
        model: a.model,
        genome,
        targets,
        spliceai_weights: a.spliceai_weights,
        base_scores: a.base_scores,
        out: a.out,
        batch_size: a.batch_size,
        threads: threads(a.threads),
        overwrite: a.overwrite,
        tracks: Tracks {
            bed: a.bed,
            bedgraph_prefix: a.bedgraph_prefix,
        },
        explain: a.explain,
    })))
}

/// Resolves `evaluate`: the table must exist (exit 10), and so must --annotation.
pub fn evaluate(a: EvaluateArgs) -> Result<spliceforge::evaluate::EvaluateConfig, Error> {
    use spliceforge::evaluate::{EvaluateConfig, Truth};
    must_exist("--predictions", &a.predictions)?;
    if !(0.0..=1.0).contains(&a.threshold) {
        return Err(usage("--threshold is a probability in [0, 1]"));
    }
    let truth = match a.annotation {
        Some(path) => {
            must_exist("--annotation", &path)?;
            Truth::Annotation {
                path,
                format: format(a.annotation_format),
                transcripts: transcripts(a.transcripts.unwrap_or(TranscriptsArg::All)),
            }
        }
        None => Truth::Table,
    };
    Ok(EvaluateConfig {
        predictions: a.predictions,
        out: a.out,
        truth,
        threshold: a.threshold,
        overwrite: a.overwrite,
    })
}

/// Resolves `variants`: its configuration, and a line saying which shard it scores (if any).
pub fn variants(a: VariantsArgs) -> Result<(spliceforge::variants::Config, Option<String>), Error> {
    let (shard, note) = if a.merge {
        (None, None)
    } else {
        shard(a.shard)?
    };
    for (what, p) in [("--genome", &a.genome), ("--annotation", &a.annotation)] {
        must_exist(what, p)?;
    }
    if a.vcf.as_os_str() != "-" {
        must_exist("--vcf", &a.vcf)?;
    }
    if let Some(m) = &a.model {
        must_exist("--model", m)?;
    }
    Ok((
        spliceforge::variants::Config {
            vcf: a.vcf,
            genome: a.genome,
            annotation: a.annotation,
            transcripts: transcripts(a.transcripts),
            out: a.out,
            distance: a.distance,
            mask: a.mask,
            weights: a.spliceai_weights,
            model: a.model,
            threads: a
                .threads
                .unwrap_or_else(spliceforge::cluster::default_threads)
                .max(1),
            chunk_records: a.chunk_records as usize,
            max_alt_length: a.max_alt_length as usize,
            shard,
            merge: a.merge,
            overwrite: a.overwrite,
        },
        note,
    ))
}
