//! The command line as clap parses it: structs whose doc comments are the help text. Nothing
//! here knows an algorithm; [`super::resolve`] turns these into the library's configurations.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::examples;
use spliceforge::genome::Region;
use spliceforge::store::Shard;

/// The top level's workflow, shown after its usage line.
const WORKFLOW: &str = "\
Workflow (each command has --help with an example that pastes and runs from the repository):
  spliceforge inspect --genome G --annotation A           what the genome and annotation hold
  spliceforge builder --genome G --annotation A --out DS  the training dataset (resumable)
  spliceforge train --dataset DS --out-dir M              the meta-model, its report and figures
  spliceforge predict --model M --dataset DS --out P      per-row probabilities and calls
  spliceforge evaluate --predictions T --out E           an every-base table's top-k, AP, F1";

/// Build splice-site training sets from a genome and its annotation, and train meta-models.
#[derive(Debug, Parser)]
#[command(
    name = "spliceforge",
    version,
    propagate_version = true,
    max_term_width = 100,
    help_template = "{about-with-newline}\n{usage-heading} {usage}\n\n{before-help}{all-args}{after-help}",
    before_help = WORKFLOW,
    after_help = "Exit codes: `spliceforge --help` lists them.",
    after_long_help = spliceforge::error::exit::help()
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarise a genome + annotation: contigs, genes per biotype, transcripts, introns and
    /// splice dinucleotides, the gene selection, and any problem found.
    #[command(after_help = examples::INSPECT)]
    Inspect(InspectArgs),
    /// Build a training dataset: select genes, score them with a base model, label and sample
    /// rows, compute the features, and write Parquet parts, committing batch by batch.
    ///
    /// Killed at any instant, the same command resumes where it stopped, with nothing lost and
    /// nothing duplicated; the result is byte-identical to an uninterrupted run whatever
    /// --threads is. Changing a content setting or an input is refused (exit 4); --overwrite
    /// starts over.
    #[command(after_help = examples::BUILDER)]
    Builder(BuilderArgs),
    /// Join the shards of a sharded build (`builder --shard I/N`) into one dataset, the one an
    /// unsharded build with the same arguments writes, byte for byte.
    ///
    /// Refuses (exit 14, nothing written) shards that are missing, given twice, unfinished, or
    /// of another run. Parts are hard-linked when --out is on the shards' filesystem, else
    /// copied and checksummed; killed half-way, the same command finishes the merge.
    #[command(after_help = examples::MERGE)]
    Merge(MergeArgs),
    /// Check a dataset: manifest against files (rows, checksums, schema), no (gene, position,
    /// strand) twice, every selected gene committed once, run.json consistent. Exit 0 only if
    /// all holds.
    #[command(after_help = examples::VERIFY)]
    Verify(VerifyArgs),
    /// Print the dataset schema (columns, types, roles, meanings).
    #[command(after_help = examples::SCHEMA)]
    Schema(SchemaArgs),
    /// Score every position of the selected genes with a base model (SpliceAI or the built-in
    /// one) into one Parquet file: chrom, position (1-based), strand, gene_id, donor, acceptor.
    ///
    /// It is exactly the format `builder --base-scores` imports: compute SpliceAI once, then build
    /// datasets with other sampling or feature settings from its scores. Long runs commit each
    /// batch of genes; the same command again resumes after a kill.
    #[command(after_help = examples::SCORE)]
    Score(ScoreArgs),
    /// Train the meta-model on a builder dataset: rows stream from Parquet straight into
    /// XGBoost, gene-level cross-validation gives held-out predictions, per-class calibration is
    /// fitted on them, and a final model is trained on all genes.
    ///
    /// Writes to --out-dir: the model (XGBoost JSON: model.json, or model-{neither,donor,acceptor}.json
    /// for ovr), calibration.json, features.json, folds.json, train.json, metrics.json, and
    /// report.md with PR curves and feature importance.
    #[command(after_help = examples::TRAIN)]
    Train(TrainArgs),
    /// Score the variants of a VCF with SpliceAI: a drop-in for SpliceAI 1.3.1's CLI
    /// (`spliceai -I -O -R -A -D -M`) whose `SpliceAI=` field is identical to SpliceAI's, many
    /// times faster.
    ///
    /// Every record is written, in input order; records SpliceAI leaves without annotation
    /// (no gene at POS, REF not the genome's, too near a contig end, REF longer than 2·D) are
    /// written unchanged and counted in the summary. The reference prediction is shared by
    /// nearby alleles of a gene and an SNV recomputes only what it changes; results are
    /// bit-identical for any --threads. Resumable after a kill (committed chunks of records),
    /// shardable (--shard I/N, then --merge). docs/variants.md has every rule.
    #[command(
        after_help = examples::VARIANTS,
        override_usage = "spliceforge variants --vcf VCF --genome FASTA --annotation GTF|GFF3|TABLE\n       \
                          --spliceai-weights DIR --out VCF [OPTIONS]"
    )]
    Variants(VariantsArgs),
    /// Run the meeting point of a distributed `train`: prints (and with --address-file writes)
    /// the address the workers join with `train … --tracker HOST:PORT --rank I --world N`, and
    /// exits when they have all finished. `train --workers N` runs one itself on loopback.
    #[command(after_help = examples::TRACKER)]
    Tracker(TrackerArgs),
    /// Predict the peak memory of `train` from a dataset's manifest (or from a shape you give),
    /// and what to do about it: a table of dataset sizes, the RAM each needs, and the strategy
    /// `train --memory-budget` would pick.
    ///
    /// The model counts XGBoost's binned matrix (about 2 bytes per value in memory: XGBoost keeps
    /// a row-major and a column-major copy), boosting buffers, held-out predictions and a fixed
    /// part; docs/memory.md compares it with measured peaks.
    #[command(after_help = examples::ESTIMATE)]
    Estimate(EstimateArgs),
    /// Apply a trained model: to the rows of a dataset with the same features (--dataset), or to
    /// every base of the genes of any genome and annotation (--genome --annotation, no dataset
    /// needed); writes calibrated probabilities (p_neither, p_donor, p_acceptor) and the
    /// predicted class per row to a Parquet file.
    ///
    /// Every base: the base model the model was trained with scores each gene (± the dataset's
    /// flank), the builder's feature code computes the features of every base of the gene, the
    /// meta-model predicts them; rows also carry the base model's scores (base_donor,
    /// base_acceptor) and the annotated site type (splice_type, null where none). Resumable: a
    /// killed run continues after its committed batches (in OUT.work/).
    ///
    /// The predicted class is the model's own call, its argmax before calibration (the call the
    /// training report scores against the base model); for an ensemble, the argmax of the
    /// sub-models' mean probabilities before calibration.
    #[command(after_help = examples::PREDICT)]
    Predict(PredictArgs),
    /// Judge an every-base prediction table (`predict --genome … --out T`): per site type, the
    /// base model (base_donor, base_acceptor) beside the meta-model (p_donor, p_acceptor) on the
    /// same rows, every base of the predicted genes.
    ///
    /// top-k accuracy (SpliceAI's headline figure): with k the number of true sites of the type
    /// among the rows, the fraction of the k highest-scoring rows that are true sites. Rows are
    /// ranked by score, highest first; tied scores keep the table's order (a stable sort), so
    /// among tied rows the earlier ones in the table are taken first. PR-AUC: the average
    /// precision of the scores over every row (scikit-learn's average_precision_score: tied
    /// scores grouped, no tie rule needed). Precision, recall and F1 of each model's calls: the
    /// meta-model's are the table's `predicted` column; the base model calls the higher of its
    /// donor and acceptor scores where it reaches --threshold.
    ///
    /// The true sites are the table's `splice_type` column (the transcripts the predict run
    /// chose), or with --annotation the sites of its chosen transcripts (--transcripts), all
    /// genes, matched on contig, strand, position and type: one table judged against canonical
    /// or MANE labels. Writes to --out: metrics.json, report.md, genes.tsv (top-k within each
    /// gene), pr-donor.svg and pr-acceptor.svg; the same command again finds it complete and
    /// changes nothing, other inputs or settings are refused (exit 4) unless --overwrite.
    #[command(after_help = examples::EVALUATE)]
    Evaluate(EvaluateArgs),
    /// Check this installation: spliceforge's version, the XGBoost library it loads (version
    /// and path) or why none loads (exit 15), every place it searched, SpliceAI's weights, and
    /// the threads commands use by default.
    ///
    /// XGBoost's C library is found at run time, in this order: SPLICEFORGE_XGBOOST_LIB (the
    /// file, or a directory holding libxgboost.so; when set, the only place); the xgboost or
    /// xgboost-cpu Python package of the environment spliceforge is installed in
    /// (<prefix>/lib/python3*/site-packages/xgboost/lib/ beside <prefix>/bin/spliceforge, or
    /// <T>/xgboost/lib/ for pip --target T); $CONDA_PREFIX/lib, then the binary's ../lib; a
    /// development checkout's .deps/xgboost/lib (off with SPLICEFORGE_XGBOOST_NO_DEV=1); the
    /// system loader (libxgboost.so.3, libxgboost.so). It must be XGBoost 3.x, at least 3.2.0.
    #[command(after_help = examples::DOCTOR)]
    Doctor(DoctorArgs),
}

/// Arguments of `evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The every-base prediction table (`spliceforge predict --genome … --out FILE`); any other
    /// file is refused (exit 8).
    #[arg(long, value_name = "FILE")]
    pub predictions: PathBuf,
    /// Where the figures go: a new or empty directory, or one of an earlier evaluation.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Take the true sites from this annotation (GTF or GFF3, plain or gzip) instead of the
    /// table's splice_type column: the sites of the --transcripts choice of every gene.
    #[arg(long, value_name = "GTF|GFF3")]
    pub annotation: Option<PathBuf>,
    /// Force GTF or GFF3 for --annotation; by default the file's content decides.
    #[arg(long, value_enum, value_name = "FORMAT", requires = "annotation")]
    pub annotation_format: Option<AnnotationFormat>,
    /// With --annotation: which transcripts' sites are true (all, canonical, mane, longest;
    /// default all). Without it the table's splice_type holds the predict run's choice.
    #[arg(long, value_enum, value_name = "WHICH", requires = "annotation")]
    pub transcripts: Option<TranscriptsArg>,
    /// The base model calls a site where its higher score (donor or acceptor) reaches this:
    /// train's --threshold default (the table does not record the threshold of the model's
    /// dataset; give it when that was another).
    #[arg(long, default_value_t = 0.5, value_name = "P")]
    pub threshold: f32,
    /// Replace another evaluation found in --out.
    #[arg(long)]
    pub overwrite: bool,
}

/// Model objectives.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ObjectiveArg {
    /// Three one-vs-rest binary boosters (neither / donor / acceptor), like the Python system.
    Ovr,
    /// Two one-vs-rest binary boosters (donor / acceptor); "neither" is implied by them:
    /// P(neither) = (1 − P(donor))(1 − P(acceptor)) before renormalising. A third less boosting
    /// than ovr.
    Ovr2,
    /// One multi-class booster (multi:softprob).
    Softprob,
}

/// Where the quantile cuts of the binned matrices come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CutsArg {
    /// One sketch per run, on every gene trained on; every matrix is binned with it.
    Shared,
    /// Every matrix sketches its own rows.
    PerMatrix,
}

/// An ensemble's single comparison model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SingleModelArg {
    /// On a gene sample as large as a sub-model's (no more memory than a sub-model).
    SameMemory,
    /// On every non-hold-out gene.
    All,
    /// None.
    None,
}

/// Arguments of `train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The builder dataset (its --out). It must pass `spliceforge verify`.
    #[arg(long, value_name = "DIR")]
    pub dataset: PathBuf,
    /// Where the model and its report go: a new or empty directory (an unfinished ensemble there
    /// is resumed; a trained model is never overwritten without --overwrite).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Replace a trained model (or unfinished ensemble) found in --out-dir.
    #[arg(long)]
    pub overwrite: bool,
    /// Memory-relevant settings, shared with `estimate`.
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Boosting rounds.
    #[arg(long, default_value_t = 800)]
    pub n_estimators: u32,
    /// Learning rate (eta).
    #[arg(long, default_value_t = 0.1)]
    pub learning_rate: f64,
    /// Maximum tree depth.
    #[arg(long, default_value_t = 6)]
    pub max_depth: u32,
    /// Row subsample per tree.
    #[arg(long, default_value_t = 0.8)]
    pub subsample: f64,
    /// Column subsample per tree.
    #[arg(long, default_value_t = 0.8)]
    pub colsample: f64,
    /// Cap on each leaf's step in the ovr boosters (XGBoost's max_delta_step; 0 = no cap).
    /// Splice sites are rare, so the binary:logistic hessians are tiny and, uncapped, leaves can
    /// jump by tens of logits and a booster collapses; docs/training.md has the measurements
    /// behind the default. Lower it if a class's false positives explode. Ignored by softprob.
    #[arg(long, default_value_t = 5.0)]
    pub max_delta_step: f64,
    /// Stop each fold's boosting once the loss on a validation slice (10 % of the fold's
    /// training genes, held out from its training) has not improved for R rounds, keeping the
    /// best round's trees; the final model then boosts the folds' median best rounds instead of
    /// --n-estimators. report.md says where each fold stopped. Needs --n-folds 2 or more.
    #[arg(long, value_name = "R")]
    pub early_stopping_rounds: Option<u32>,
    /// Where the histogram bins' cuts come from. shared: sketched once, on the feature values
    /// (never the labels) of the genes trained on — above 500,000 rows, those of a seeded sample
    /// of the part files holding about that many — and every matrix (each fold's, the
    /// validation slices', the final model's) is binned with them, which saves a sketch per
    /// matrix; when every gene is sketched, the final model is the same as with per-matrix.
    /// per-matrix: each matrix sketches its own rows. Default: shared for a single model from 1,000,000 rows, else
    /// per-matrix (with --workers or --tracker each matrix's sketch is merged across the
    /// workers; on the 82 fly genes of data/ the folds did worse with shared cuts).
    #[arg(long, value_enum, value_name = "HOW")]
    pub cuts: Option<CutsArg>,
    /// Fit per-class Platt calibration on out-of-fold margins (the default).
    #[arg(long, overrides_with = "no_calibrate")]
    pub calibrate_per_class: bool,
    /// Do not calibrate.
    #[arg(long)]
    pub no_calibrate: bool,
    /// Calibrate to the whole-gene population (rows weighted by sample_weight: probabilities mean
    /// "at any position of a gene") instead of to the dataset's rows (the default, which keeps
    /// argmax decisions at the recall the model was trained for).
    #[arg(long)]
    pub calibrate_population: bool,
    /// The base model's call threshold, for base-vs-meta figures.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f32,
    /// How cross-validation deals genes to folds. genes: seeded, balanced by sites (the
    /// default). chromosome: leave-one-contig-out, as published splice models are judged
    /// (SpliceAI tested on chromosomes it never trained on): each fold's held-out genes are whole
    /// contigs, contigs grouped (balanced by sites) when there are more than --n-folds;
    /// folds.json lists each fold's contigs.
    #[arg(long, value_enum, default_value = "genes", value_name = "HOW")]
    pub cv: CvArg,
    /// Contigs no model of the run trains on (comma-separated, as the dataset names them; not in
    /// any fold, nor in the final model). After training, every base of the dataset's genes on
    /// them is predicted and judged (top-k, PR-AUC, base vs meta) into --out-dir/holdout/; the
    /// model records them.
    #[arg(long, value_delimiter = ',', value_name = "CONTIGS")]
    pub holdout_contigs: Vec<String>,
    /// Join a distributed run as one worker: the address `spliceforge tracker` printed. Start
    /// one `train` per worker with the same arguments and its own --rank (e.g. under srun:
    /// --rank $SLURM_PROCID --world $SLURM_NTASKS); rank 0 writes --out-dir, which must be on a
    /// filesystem every worker sees when a run is to be resumed.
    #[arg(long, value_name = "HOST:PORT", requires_all = ["rank", "world"], conflicts_with = "workers")]
    pub tracker: Option<String>,
    /// This worker's rank (0 … N-1) with --tracker.
    #[arg(long, value_name = "I", requires = "tracker")]
    pub rank: Option<usize>,
    /// The number of workers with --tracker (the tracker's --workers).
    #[arg(long, value_name = "N", requires = "tracker")]
    pub world: Option<usize>,
    /// Train only sub-model I (1 … K) of an --ensemble-size K ensemble into --out-dir, e.g. one
    /// Slurm array task each (--member $SLURM_ARRAY_TASK_ID with --array=1-K). Members may run
    /// at the same time on one --out-dir. The same command without --member afterwards finds
    /// the finished sub-models, trains any missing, and completes the ensemble.
    #[arg(long, value_name = "I")]
    pub member: Option<usize>,
    /// Seconds a worker waits for the others (to connect, or in a collective step) before the
    /// run fails: a worker that dies never leaves the others hanging longer than this.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub worker_timeout: u64,
}

/// Arguments of `tracker`.
#[derive(Debug, Args)]
pub struct TrackerArgs {
    /// How many workers will join.
    #[arg(long, value_name = "N")]
    pub workers: usize,
    /// The address the workers reach this host at (e.g. $(hostname -i) under Slurm).
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub host: String,
    /// The port (0: any free port).
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    pub port: u16,
    /// Also write `HOST:PORT` to this file (atomically), for scripts that start the workers.
    #[arg(long, value_name = "FILE")]
    pub address_file: Option<PathBuf>,
    /// Seconds to wait for the workers to connect (0: no limit).
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub timeout: u64,
}

/// Settings that decide how much memory `train` needs (shared by `train` and `estimate`).
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Seed of folds, gene samples, ensemble subsets and boosting.
    #[arg(long, default_value_t = 42, env = "SPLICEFORGE_SEED")]
    pub seed: u64,
    /// Gene-level cross-validation folds (below 2: no cross-validation, final model only).
    #[arg(long, default_value_t = 5)]
    pub n_folds: usize,
    /// Histogram bins per feature (up to 256: one byte per value in the binned matrix, two above).
    #[arg(long, default_value_t = 256)]
    pub max_bin: u32,
    /// Threads (default: all cores). With --workers they are split between the workers. With a
    /// thread for each binary booster (ovr2 from 2 threads, ovr from 3) the boosters boost at
    /// the same time, sharing the threads: sooner, and their training state is held at once.
    #[arg(long, env = "SPLICEFORGE_THREADS")]
    pub threads: Option<usize>,
    /// How the three classes are modelled. Default: by the rows a model trains on — ovr2 from
    /// 1,000,000 rows (a third less boosting; on held-out A. thaliana genes its AP is within a
    /// few thousandths of ovr's, inside the spread between seeds), ovr below (the third booster
    /// costs seconds there, and on the 82 fly genes of data/ ovr2 lost to the base model);
    /// docs/training.md has the tables.
    #[arg(long, value_enum)]
    pub objective: Option<ObjectiveArg>,
    /// Use sample_weight as training instance weights (default: only in metrics).
    #[arg(long)]
    pub train_weights: bool,
    /// Train on a seeded sample of N genes drawn from all genes of the dataset (only their rows
    /// are read: part files without any are skipped, rows of other genes filtered out).
    #[arg(long, value_name = "N")]
    pub sample_genes: Option<usize>,
    /// Train K sub-models on disjoint gene subsets (or overlapping, see --ensemble-overlap),
    /// each calibrated and checkpointed (a killed train resumes, skipping finished sub-models);
    /// predictions average their calibrated probabilities. Each trains on about 1/K of the
    /// non-hold-out genes (0.8/K of all genes with the default --holdout-fraction), so its
    /// boosting memory shrinks with K (the fixed cost of the process
    /// does not; `estimate` shows both).
    /// Default 1 (a single model with cross-validation).
    #[arg(long, value_name = "K")]
    pub ensemble_size: Option<usize>,
    /// Each sub-model also trains on this fraction of the next subset's genes (0: disjoint).
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub ensemble_overlap: f64,
    /// With --ensemble-size > 1: fraction of genes no sub-model sees, to compare the ensemble with a
    /// single model and with the base model.
    #[arg(long, default_value_t = 0.2, value_name = "F")]
    pub holdout_fraction: f64,
    /// With --ensemble-size > 1: the single model the ensemble is compared with on the hold-out.
    /// same-memory (default) trains it on a seeded gene sample as large as a sub-model's, so it
    /// needs no more memory than a sub-model and shows what the ensemble gains at that memory;
    /// all trains it on every non-hold-out gene (the memory of one model on all of them);
    /// none skips it.
    #[arg(long, value_enum, default_value = "same-memory", value_name = "WHICH")]
    pub single_model: SingleModelArg,
    /// The same as --single-model none.
    #[arg(long, hide = true)]
    pub no_single_model: bool,
    /// Build XGBoost external-memory matrices: bins go to cache files under --out-dir instead
    /// of RAM (much less memory, slower boosting; docs/memory.md has the measurements).
    #[arg(long)]
    pub external_memory: bool,
    /// Plan to fit this much RAM (e.g. 16G, 2G, 512M; units of 1000): if the run as asked
    /// does not fit, use external memory, then K sub-models (in memory, then on external
    /// memory), then a gene sample, whichever fits first (settings you give explicitly are
    /// kept). Refused (exit 9) before any work if nothing fits.
    #[arg(long, value_name = "SIZE", env = "SPLICEFORGE_MEMORY_BUDGET")]
    pub memory_budget: Option<String>,
    /// Train one model with N worker processes on this machine, through XGBoost's collective:
    /// each worker bins only its share of the training rows (about 1/N of the memory of the
    /// matrices), the threads are split between them, and they all end with the same model.
    /// Single models only (no --ensemble-size, --cuts shared or --external-memory); with
    /// --memory-budget, each worker's predicted peak must fit it (exit 9 otherwise). For
    /// `estimate`: the peak of each worker.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub workers: usize,
}

/// Arguments of `estimate`.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// A builder dataset: its manifest gives genes, rows and features (nothing is loaded).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["genes", "rows_per_gene", "features"])]
    pub dataset: Option<PathBuf>,
    /// Without --dataset: the number of genes.
    #[arg(long, requires = "rows_per_gene")]
    pub genes: Option<u64>,
    /// Without --dataset: mean rows per gene (about 1,400–1,600 with the builder's defaults).
    #[arg(long)]
    pub rows_per_gene: Option<f64>,
    /// Without --dataset: feature columns (131 with the default schema).
    #[arg(long, default_value_t = 131)]
    pub features: u64,
    /// The training settings to estimate for.
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `predict`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("rows").required(true).args(["dataset", "genome"])))]
pub struct PredictArgs {
    /// A `train --out-dir`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// A builder dataset with the same features: predict its rows.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["genome", "annotation"]
    )]
    pub dataset: Option<PathBuf>,
    /// Genome FASTA (plain, gzip or bgzip): predict every base of the genes --annotation gives,
    /// or of the regions --regions/--region give.
    #[arg(help_heading = "Every base", long, value_name = "FASTA")]
    pub genome: Option<PathBuf>,
    /// Annotation, GTF or GFF3 (plain or gzip), of the genes to predict.
    #[arg(
        help_heading = "Every base",
        long,
        value_name = "GTF|GFF3",
        requires = "genome",
        conflicts_with_all = ["regions", "region"]
    )]
    pub annotation: Option<PathBuf>,
    /// Regions to predict without an annotation: a BED file (0-based half-open; chrom start end
    /// [name [score [strand]]]), each on its strand or, without one, on both. Needs a model
    /// trained without the gene-structure features (builder --no-structure-features).
    #[arg(
        help_heading = "Every base",
        long,
        value_name = "BED",
        requires = "genome"
    )]
    pub regions: Option<PathBuf>,
    /// A region to predict without an annotation, CHROM:START-END (1-based, inclusive; commas
    /// allowed); repeatable. Regions past a contig's end are clipped to it (and said).
    #[arg(
        help_heading = "Every base",
        long,
        value_name = "CHROM:START-END",
        requires = "genome"
    )]
    pub region: Vec<Region>,
    /// The strand of --region regions (and of BED lines without one): both (default), + or -.
    #[arg(help_heading = "Every base", long, value_enum, default_value_t = StrandArg::Both)]
    pub strand: StrandArg,
    /// Force GTF or GFF3; by default the file's content decides.
    #[arg(help_heading = "Every base", long, value_enum, value_name = "FORMAT")]
    pub annotation_format: Option<AnnotationFormat>,
    /// Which genes (with --genome).
    #[command(flatten, next_help_heading = "Gene selection (every base)")]
    pub selection: SelectionArgs,
    /// SpliceAI's weights (spliceai1.h5 …), for a model trained on SpliceAI's scores. The
    /// weights are Illumina's, licensed CC BY-NC 4.0 (non-commercial use).
    #[arg(
        help_heading = "Every base",
        long,
        env = "SPLICEFORGE_SPLICEAI_WEIGHTS",
        value_name = "DIR"
    )]
    pub spliceai_weights: Option<PathBuf>,
    /// Base-model scores for every base of the genes, for a model trained on imported scores
    /// (the format `builder --base-scores` reads, e.g. from `spliceforge score`).
    #[arg(help_heading = "Every base", long, value_name = "FILE")]
    pub base_scores: Option<PathBuf>,
    /// Genes per committed batch (every base).
    #[arg(
        help_heading = "Every base",
        long,
        default_value_t = 20,
        value_name = "N"
    )]
    pub batch_size: usize,
    /// Threads (default: all cores). Does not change the output.
    #[arg(
        help_heading = "Every base",
        long,
        env = "SPLICEFORGE_THREADS",
        value_name = "N"
    )]
    pub threads: Option<usize>,
    /// Replace an existing --out: a finished or partial every-base output, or a --dataset table
    /// of another model or dataset (the same command again finds its own finished output and
    /// does nothing; another one is refused, exit 4).
    #[arg(long)]
    pub overwrite: bool,
    /// Predict only shard I of N (I from 0): the batches b with (b − 1) mod N = I, into --out
    /// as an ordinary resumable table; `spliceforge merge --out FILE SHARD_FILE...` joins the N
    /// tables into exactly the one an unsharded run writes. Inside a Slurm array task the task's
    /// shard is the default; --shard 0/1 turns sharding off.
    #[arg(help_heading = "Every base", long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Why each site was called: for every base called donor or acceptor, the K features with
    /// the largest SHAP contributions (XGBoost's TreeSHAP) to that class's margin, in an
    /// `explain` column: `feature=+0.1234;feature=-0.0567;…`, largest |contribution| first.
    /// Contributions are in margin (log-odds) units, before calibration; for an ensemble, the
    /// weighted mean of its sub-models'. Other bases get null. 0 (default): no column.
    #[arg(
        help_heading = "Every base",
        long,
        default_value_t = 0,
        value_name = "K"
    )]
    pub explain: usize,
    /// Also write the called sites (the call is donor or acceptor) as BED6: 0-based start, name
    /// donor/acceptor, score = the probability × 1000 (docs/coordinates.md).
    #[arg(help_heading = "Tracks (every base)", long, value_name = "FILE")]
    pub bed: Option<PathBuf>,
    /// Also write per-base probabilities as bedGraph, one file per class and strand:
    /// P.donor.fwd.bedgraph, P.donor.rev.bedgraph, P.acceptor.fwd.bedgraph, P.acceptor.rev.bedgraph.
    #[arg(help_heading = "Tracks (every base)", long, value_name = "P")]
    pub bedgraph_prefix: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Output Parquet file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Arguments of `variants`.
#[derive(Debug, Args)]
pub struct VariantsArgs {
    /// Input VCF: plain, gzip or BGZF (`-` reads standard input, which cannot be resumed).
    #[arg(long, short = 'I', value_name = "VCF")]
    pub vcf: PathBuf,
    /// Genome FASTA (plain, gzip or bgzip). Contig names match the VCF's as they are, or with a
    /// `chr` prefix added or removed.
    #[arg(long, short = 'R', value_name = "FASTA")]
    pub genome: PathBuf,
    /// The genes: a GTF/GFF3 (each gene's transcripts chosen by --transcripts give its span and
    /// exon boundaries), or a gene table in SpliceAI's own format (grch37.txt / grch38.txt from
    /// PyPI spliceai, which scripts/fetch-spliceai.sh --gene-tables fetches).
    #[arg(long, short = 'A', value_name = "GTF|GFF3|TABLE")]
    pub annotation: PathBuf,
    /// With a GTF/GFF3: which transcripts of each gene define it (all, canonical, mane,
    /// longest). SpliceAI's tables hold one transcript per gene.
    #[arg(long, value_enum, default_value = "all", value_name = "WHICH")]
    pub transcripts: TranscriptsArg,
    /// Output VCF; a name ending in .gz or .bgz is written BGZF-compressed.
    #[arg(long, short = 'O', value_name = "VCF")]
    pub out: PathBuf,
    /// Maximum distance between the variant and the gained/lost splice site (SpliceAI's -D,
    /// 0 to 4999).
    #[arg(long, short = 'D', default_value_t = 50, value_name = "D")]
    pub distance: u32,
    /// Mask scores of annotated sites: acceptor/donor gains at an annotated exon boundary and
    /// losses away from one are set to 0 (SpliceAI's -M 1).
    #[arg(long, short = 'M')]
    pub mask: bool,
    /// SpliceAI's weights (spliceai1.h5 … spliceai5.h5), Illumina's, licensed CC BY-NC 4.0
    /// (non-commercial use): `scripts/fetch-spliceai.sh` fetches them into a cache.
    #[arg(long, env = "SPLICEFORGE_SPLICEAI_WEIGHTS", value_name = "DIR")]
    pub spliceai_weights: PathBuf,
    /// A meta-model (`train --out-dir`, trained on a dataset built with `builder --base-model
    /// spliceai`): adds a second INFO field, SpliceForge=, with the same layout as SpliceAI=,
    /// from the meta-model's probabilities on the reference and ALT sequences (features
    /// recomputed on each, ±500 nt around the scored window). A model of another base model or
    /// other features is refused (exit 13).
    #[arg(long, short = 'm', value_name = "MODEL_DIR")]
    pub model: Option<PathBuf>,
    /// Threads (default: all cores). Does not change the output.
    #[arg(long, env = "SPLICEFORGE_THREADS", value_name = "N")]
    pub threads: Option<usize>,
    /// Score only shard I of N (I from 0): the chunks k of 1,000 records with (k − 1) mod N = I,
    /// into --out's work directory (shared by the shards). Inside a Slurm array task the
    /// task's shard is the default; --shard 0/1 turns sharding off.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Records per committed chunk: the unit of resume and of sharding (the output does not
    /// depend on it).
    #[arg(long, default_value_t = 1_000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub chunk_records: u64,
    /// The longest ALT allele to score, in bases. SpliceAI scores an insertion over 10,000 +
    /// 2·D bases plus the insertion itself, so time and memory grow with it; a record with a
    /// longer ALT in a gene stops the run (exit 3; committed chunks are kept: raise the limit
    /// and rerun to resume). Symbolic alleles (<INS>) are skipped whatever their size.
    #[arg(long, env = "SPLICEFORGE_MAX_ALT_LENGTH", default_value_t = 100_000, value_name = "BASES",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_alt_length: u64,
    /// Assemble --out from the chunks the shards committed (the same arguments as the shards,
    /// without --shard); refuses (exit 14) while any chunk is missing.
    #[arg(long, conflicts_with = "shard")]
    pub merge: bool,
    /// Start over: discard an earlier partial run and replace --out.
    #[arg(long)]
    pub overwrite: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The dataset directory (builder --out).
    pub dir: PathBuf,
}

/// Arguments of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {}

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// k-mer sizes (as builder --kmer-sizes).
    #[arg(long, value_delimiter = ',', default_value = "3")]
    pub kmer_sizes: Vec<usize>,
    /// Print Markdown (what docs/dataset-schema.md holds) instead of JSON.
    #[arg(long)]
    pub markdown: bool,
}

/// How TNs are sampled.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TnSampling {
    /// Keep hard TNs, TNs near non-TN rows and a ratio of easy TNs (weighted).
    Sampled,
    /// Keep every position of every gene.
    None,
}

/// Arguments of `builder`.
#[derive(Debug, Args)]
pub struct BuilderArgs {
    /// The genome and annotation.
    #[command(flatten, next_help_heading = "Inputs")]
    pub inputs: InputArgs,
    /// Which genes become rows.
    #[command(flatten, next_help_heading = "Gene selection")]
    pub selection: SelectionArgs,
    /// Output directory (created if needed). Running again with the same arguments resumes.
    #[arg(
        help_heading = "Output",
        long,
        env = "SPLICEFORGE_OUT",
        value_name = "DIR"
    )]
    pub out: PathBuf,
    /// Genes per batch: the unit of commit and of resume.
    #[arg(help_heading = "Output", long, default_value_t = 50, value_name = "N")]
    pub batch_size: usize,
    /// Rows per Parquet row group: buffered rows never exceed this, so it bounds memory.
    #[arg(
        help_heading = "Output",
        long,
        default_value_t = 10_000,
        value_name = "N"
    )]
    pub batch_rows: usize,
    /// Compute threads (default: all cores). Does not change the output.
    #[arg(
        help_heading = "Output",
        long,
        env = "SPLICEFORGE_THREADS",
        value_name = "N"
    )]
    pub threads: Option<usize>,
    /// Imported base-model scores (Parquet or TSV: chrom, position (1-based), strand, donor,
    /// acceptor[, neither]), e.g. from `spliceforge score`. Replaces --base-model.
    #[arg(
        help_heading = "Base model",
        long,
        value_name = "FILE",
        conflicts_with = "base_model"
    )]
    pub base_scores: Option<PathBuf>,
    /// The base model.
    #[command(flatten, next_help_heading = "Base model")]
    pub model: BaseModelArgs,
    /// Fraction of intron-containing genes reserved (by a hash of the gene id) to fit the
    /// built-in base model; they never become rows.
    #[arg(
        help_heading = "Labels and sampling",
        long,
        default_value_t = 0.1,
        value_name = "F"
    )]
    pub reserve_fraction: f64,
    /// A position is a call when its donor or acceptor score is at least this.
    #[arg(help_heading = "Labels and sampling", long, default_value_t = 0.5)]
    pub threshold: f32,
    /// A call within this many nt of a true site of its type is a TP.
    #[arg(
        help_heading = "Labels and sampling",
        long,
        default_value_t = 2,
        value_name = "NT"
    )]
    pub consensus_window: usize,
    /// TNs scoring at least this (either type) are kept as hard negatives.
    #[arg(
        help_heading = "Labels and sampling",
        long,
        default_value_t = 0.15,
        value_name = "P"
    )]
    pub hard_prob: f32,
    /// TNs within this many nt of a TP/FP/FN row of the same gene are kept.
    #[arg(
        help_heading = "Labels and sampling",
        long,
        default_value_t = 75,
        value_name = "NT"
    )]
    pub window: usize,
    /// Easy TNs kept per TP/FP/FN row (seeded per gene; weighted by inverse keep-probability).
    #[arg(
        help_heading = "Labels and sampling",
        long,
        default_value_t = 0.5,
        value_name = "R"
    )]
    pub easy_ratio: f64,
    /// TN sampling: sampled, or none (keep every position).
    #[arg(
        help_heading = "Labels and sampling",
        long,
        value_enum,
        default_value = "sampled"
    )]
    pub tn_sampling: TnSampling,
    /// k-mer sizes counted in the ±250 nt window (comma-separated, each 1..=6).
    #[arg(
        help_heading = "Features",
        long,
        value_delimiter = ',',
        default_value = "3",
        value_name = "K"
    )]
    pub kmer_sizes: Vec<usize>,
    /// Leave out the gene-structure features (gene length, exon and intron counts and lengths,
    /// GC content, relative position: what the annotated gene model gives). A model trained on
    /// such a dataset can predict any region of a genome, annotated or not
    /// (`predict --region`/`--regions`); the dataset and the model record it.
    #[arg(help_heading = "Features", long)]
    pub no_structure_features: bool,
    /// Bases scored on each side of a gene (context for features near its ends).
    #[arg(
        help_heading = "Features",
        long,
        default_value_t = 250,
        value_name = "NT"
    )]
    pub flank: u64,
    /// Discard what --out holds and start over.
    #[arg(help_heading = "Output", long)]
    pub overwrite: bool,
    /// Build only shard I of N (I from 0): the batches b with (b − 1) mod N = I, into --out as
    /// an ordinary resumable dataset. `spliceforge merge` joins the N shard directories into
    /// exactly the dataset one unsharded run writes. Inside a Slurm array task
    /// (SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT set) the task's shard is the default;
    /// --shard 0/1 turns sharding off.
    #[arg(help_heading = "Output", long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// No progress bar.
    #[arg(help_heading = "Output", long, short)]
    pub quiet: bool,
}

/// Arguments of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The merged dataset's directory (new, empty, or an interrupted merge to finish).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The shard directories (`builder --shard I/N --out …`), all N of them, in any order; or
    /// the N tables of `predict --genome … --shard I/N` (then --out is the merged table).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Copy the parts (checksummed) instead of hard-linking them, e.g. when the shards' storage
    /// is scratch space to be cleared. Parts are copied anyway across filesystems.
    #[arg(long)]
    pub copy: bool,
}

/// Arguments of `score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The genome and annotation.
    #[command(flatten, next_help_heading = "Inputs")]
    pub inputs: InputArgs,
    /// Which genes are scored.
    #[command(flatten, next_help_heading = "Gene selection")]
    pub selection: SelectionArgs,
    /// The base model.
    #[command(flatten, next_help_heading = "Base model")]
    pub model: BaseModelArgs,
    /// The Parquet file to write. Its work directory (OUT.work/) holds committed batches until
    /// the run completes.
    #[arg(help_heading = "Output", long, value_name = "FILE")]
    pub out: PathBuf,
    /// Bases scored on each side of a gene (match the builder's --flank so that every position
    /// it looks up has a score).
    #[arg(
        help_heading = "Output",
        long,
        default_value_t = 250,
        value_name = "NT"
    )]
    pub flank: u64,
    /// Genes per committed batch.
    #[arg(help_heading = "Output", long, default_value_t = 50, value_name = "N")]
    pub batch_size: usize,
    /// Scoring threads (default: all cores). Does not change the output.
    #[arg(
        help_heading = "Output",
        long,
        env = "SPLICEFORGE_THREADS",
        value_name = "N"
    )]
    pub threads: Option<usize>,
    /// Fraction of intron-containing genes reserved to fit the built-in base model.
    #[arg(help_heading = "Output", long, default_value_t = 0.1, value_name = "F")]
    pub reserve_fraction: f64,
    /// Discard a finished or partial output and start over.
    #[arg(help_heading = "Output", long)]
    pub overwrite: bool,
    /// No progress bar.
    #[arg(help_heading = "Output", long, short)]
    pub quiet: bool,
}

/// Which base model scores the positions.
#[derive(Debug, Args)]
pub struct BaseModelArgs {
    /// The base model that scores every position: `builtin` (fitted on reserved genes, no
    /// download) or `spliceai` (SpliceAI-10k computed natively; needs --spliceai-weights).
    #[arg(long, value_enum, default_value = "builtin")]
    pub base_model: BaseModelKind,
    /// Directory holding SpliceAI's spliceai1.h5 … spliceai5.h5, as fetched by
    /// `scripts/fetch-spliceai.sh` (which prints it). The weights are Illumina's, licensed
    /// CC BY-NC 4.0: non-commercial use only.
    #[arg(long, env = "SPLICEFORGE_SPLICEAI_WEIGHTS", value_name = "DIR")]
    pub spliceai_weights: Option<PathBuf>,
    /// How many of SpliceAI's five networks to average (1–5; fewer is faster, five is the
    /// published model).
    #[arg(long, default_value_t = 5, value_name = "N",
          value_parser = clap::value_parser!(u8).range(1..=5))]
    pub spliceai_models: u8,
}

/// Base models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BaseModelKind {
    /// The built-in weight-array model, fitted on reserved genes of the annotation.
    Builtin,
    /// SpliceAI-10k (five networks averaged), from weights fetched by scripts/fetch-spliceai.sh.
    Spliceai,
}

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The genome and annotation.
    #[command(flatten, next_help_heading = "Inputs")]
    pub inputs: InputArgs,
    /// Which genes to select (the report shows how many each filter keeps).
    #[command(flatten, next_help_heading = "Gene selection")]
    pub selection: SelectionArgs,
    /// Print the report as JSON instead of a table.
    #[arg(help_heading = "Output", long)]
    pub json: bool,
}

/// The genome and its annotation.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Genome FASTA (plain, gzip or bgzip). Lower-case (soft-masked) bases count as normal bases;
    /// IUPAC codes other than ACGT become N.
    #[arg(long, env = "SPLICEFORGE_GENOME", value_name = "FASTA")]
    pub genome: PathBuf,
    /// Annotation, GTF or GFF3 (plain or gzip). Contig names must match the FASTA's.
    #[arg(long, env = "SPLICEFORGE_ANNOTATION", value_name = "GTF|GFF3")]
    pub annotation: PathBuf,
    /// Force GTF or GFF3; by default the file's content decides, never its name.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub annotation_format: Option<AnnotationFormat>,
}

/// The strands a region is predicted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrandArg {
    /// Both strands: each base twice, once read as the forward strand's gene, once as the reverse's.
    Both,
    /// The forward strand.
    #[value(name = "+")]
    Plus,
    /// The reverse strand.
    #[value(name = "-")]
    Minus,
}

/// Annotation formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AnnotationFormat {
    /// GTF (gene_id / transcript_id attributes).
    Gtf,
    /// GFF3 (ID / Parent attributes).
    Gff3,
}

/// Gene selection. Selected genes are ordered by the FASTA's contig order, then start, then id.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Keep genes of these biotypes (comma-separated, e.g. protein_coding,lncRNA). Genes whose
    /// annotation has no biotype are always kept.
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    pub gene_types: Vec<String>,
    /// Keep only the genes listed in FILE: one gene id per line, '#' starts a comment. An id
    /// that is not in the annotation is an error.
    #[arg(long, value_name = "FILE")]
    pub gene_ids: Option<PathBuf>,
    /// Keep a seeded random sample of N genes (all genes if fewer are left).
    #[arg(long, value_name = "N")]
    pub n_genes: Option<usize>,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 42, env = "SPLICEFORGE_SEED")]
    pub seed: u64,
    /// Keep only genes with at least one intron (the default).
    #[arg(long, overrides_with = "no_require_introns")]
    pub require_introns: bool,
    /// Keep single-exon genes too.
    #[arg(long)]
    pub no_require_introns: bool,
    /// Skip, with a warning, genes on contigs missing from the FASTA instead of failing.
    #[arg(long)]
    pub skip_missing_contigs: bool,
    /// Keep only the genes on these contigs (comma-separated, as the FASTA names them), e.g.
    /// held-out chromosomes.
    #[arg(long, value_delimiter = ',', value_name = "CONTIGS")]
    pub contigs: Vec<String>,
    /// Which transcripts' splice sites count as true sites (labels, gene-structure features,
    /// evaluation). SpliceAI used one canonical transcript per gene, OpenSpliceAI MANE Select.
    /// With canonical or mane, genes without such a transcript are left out, and an annotation
    /// that tags none is refused (exit 3).
    #[arg(long, value_enum, default_value = "all", value_name = "WHICH")]
    pub transcripts: TranscriptsArg,
}

/// `--cv`: how cross-validation deals genes to folds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CvArg {
    /// Genes shuffled (seeded) and dealt to folds balanced by sites.
    Genes,
    /// Leave-one-contig-out: whole contigs per fold.
    Chromosome,
}

/// `--transcripts`: which transcripts of a gene make its splice sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TranscriptsArg {
    /// Every transcript (every annotated site is true).
    All,
    /// The transcript tagged Ensembl_canonical (or canonical, RefSeq Select).
    Canonical,
    /// The transcript tagged MANE_Select (RefSeq: "MANE Select").
    Mane,
    /// The longest transcript (most exonic bases; ties: more exons, then the smaller id).
    Longest,
}
