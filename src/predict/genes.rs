//! Every-base `predict`: a trained model applied to every base of the selected genes of any
//! genome and annotation, without building a dataset. For each gene (in genome order, in
//! batches): the base model the model was trained with scores the gene ± the dataset's flank;
//! the builder's own row code ([`gene_rows`], every position kept) computes the features of
//! every base of the gene; the meta-model gives the calibrated probabilities and its call.
//!
//! What the features need comes from the model directory: the dataset's `run.json`, kept there
//! by `train` as `dataset.json` (flank, call threshold, k-mers, schema, base model) and, for the
//! built-in base model, its `basemodel.json`. The output is resumable like `score`'s
//! (`store::output`: committed batches in `OUT.work/`, assembled at the end).
//!
//! Memory: one batch of genes' output columns (about 50 bytes a base) plus, one gene at a time,
//! its sequence, scores and features (4 bytes × features per base: about 0.5 kB a base with the
//! default 3-mers), so the largest gene bounds it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{ArrayRef, Float32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema as ArrowSchema};

use crate::Error;
use crate::basemodel::builtin::{BASEMODEL_JSON, BuiltinModel};
use crate::basemodel::imported::ImportedScores;
use crate::basemodel::spliceai::SpliceAi;
use crate::basemodel::{self, ScoreSource};
use crate::builder::BuiltWith;
use crate::builder::score::{regions, score_parallel};
use crate::features::{GeneRows, Schema, SpliceType, gene_rows};
use crate::genome::fasta::{self, ContigInfo};
use crate::genome::{Format, Gene, GeneRegion, Region, Selection, Strand, annotation, select};
use crate::store::manifest::GeneEntry;
use crate::store::shard::CONFIG_KEY;
use crate::store::{self, Fingerprint, InputFile, RunInfo, Shard, output};
use crate::train::fit::model::Model;
use crate::train::modeldir::{self, DATASET_JSON};
use crate::xgb::Batch;

use super::tracks::{self, Tracks, Written};

/// Everything every-base `predict` runs on.
#[derive(Debug, Clone)]
pub struct GenesConfig {
    /// The model directory (`train --out-dir`).
    pub model: PathBuf,
    /// Genome FASTA.
    pub genome: PathBuf,
    /// What to predict: the genes of an annotation, or regions.
    pub targets: Targets,
    /// SpliceAI's weights, for a model trained on SpliceAI's scores.
    pub spliceai_weights: Option<PathBuf>,
    /// Imported scores, for a model trained on imported scores.
    pub base_scores: Option<PathBuf>,
    /// The Parquet file written.
    pub out: PathBuf,
    /// Genes per committed batch.
    pub batch_size: usize,
    /// Threads.
    pub threads: usize,
    /// Start over, discarding what `out` holds.
    pub overwrite: bool,
    /// Genome-browser tracks written from the finished table.
    pub tracks: Tracks,
    /// Predict only this shard's batches (batch b with (b − 1) mod N = I); `merge` joins the
    /// shards' tables into the table one unsharded run writes.
    pub shard: Option<Shard>,
    /// Per called site, the features with the largest SHAP contributions (`explain` column);
    /// 0: no column.
    pub explain: usize,
}

/// What every-base `predict` predicts.
#[derive(Debug, Clone)]
pub enum Targets {
    /// The genes an annotation gives, as selected.
    Genes {
        /// Annotation GTF/GFF3.
        annotation: PathBuf,
        /// Annotation format, if forced.
        annotation_format: Option<Format>,
        /// Which genes.
        selection: Selection,
    },
    /// Regions of the genome (for a model trained without the gene-structure features).
    Regions {
        /// The regions.
        regions: Vec<Region>,
        /// The BED file they came from, if any (fingerprinted).
        file: Option<PathBuf>,
    },
}

/// What an every-base `predict` run did.
#[derive(Debug, Clone)]
pub struct GenesReport {
    /// The output was already complete; nothing was done.
    pub already_complete: bool,
    /// Batches found committed from an earlier run.
    pub resumed_from: usize,
    /// Genes predicted by this run.
    pub genes: usize,
    /// Bases predicted by this run.
    pub bases: u64,
    /// Seconds this run spent predicting.
    pub secs: f64,
    /// Rows in the output file.
    pub rows: u64,
    /// The base model's name.
    pub base_model: &'static str,
    /// What the tracks hold, when asked for.
    pub tracks: Option<Written>,
    /// Where the time went: seconds in the base model, the features and the meta-model.
    pub split: Split,
    /// Regions clipped to their contig's end.
    pub clipped: Vec<String>,
    /// What was predicted: "genes", or "region strands" (a region predicted on both strands
    /// counts twice).
    pub targets: &'static str,
}

/// Seconds spent in each step of every-base prediction (wall time; the base model runs on the
/// threads, features and the meta-model batch by batch).
#[derive(Debug, Clone, Copy, Default)]
pub struct Split {
    /// The base model scoring the genes.
    pub base_model: f64,
    /// The builder's row code (features).
    pub features: f64,
    /// XGBoost, calibration and the output columns.
    pub meta_model: f64,
}

/// `format` of an every-base prediction run's fingerprint.
pub const PREDICT_FORMAT: u32 = 2001;

/// Parquet metadata key holding the fingerprint of the run that wrote the file.
const FINGERPRINT_KEY: &str = "spliceforge.predict.fingerprint";
/// Metadata key: the whole run's fingerprint (without a shard), as JSON. Every table of an
/// every-base run carries it (`evaluate` tells a prediction table by it).
pub(crate) const RUN_KEY: &str = "spliceforge.predict.run";
/// Metadata key: the run's batches (`{"total": B, "batches": [[b, rows], …]}`).
const BATCHES_KEY: &str = "spliceforge.predict.batches";
/// Metadata key: the shard a table holds (`I/N`), absent for a whole run.
const SHARD_KEY: &str = "spliceforge.predict.shard";

/// The columns of the table (with `explain`: the column of SHAP explanations).
fn kind(explain: bool) -> output::Kind {
    let f = |name: &str, t: DataType| Field::new(name, t, false);
    let mut fields = vec![
        f("chrom", DataType::Utf8),
        f("position", DataType::Int64),
        f("strand", DataType::Utf8),
        f("gene_id", DataType::Utf8),
        Field::new("splice_type", DataType::Utf8, true),
        f("base_donor", DataType::Float32),
        f("base_acceptor", DataType::Float32),
        f("p_neither", DataType::Float32),
        f("p_donor", DataType::Float32),
        f("p_acceptor", DataType::Float32),
        f("predicted", DataType::Utf8),
    ];
    if explain {
        fields.push(Field::new(EXPLAIN, DataType::Utf8, true));
    }
    output::Kind {
        schema: Arc::new(ArrowSchema::new(fields)),
        fingerprint_key: FINGERPRINT_KEY,
        dictionary: &["chrom", "strand", "gene_id", "splice_type", "predicted"],
        what: "a prediction table written by `spliceforge predict --genome`",
    }
}

/// The column of SHAP explanations (`predict --explain K`).
const EXPLAIN: &str = "explain";

/// The model and what its features need.
pub(crate) struct Applied {
    pub(crate) models: Vec<Model>,
    pub(crate) weights: Vec<f64>,
    pub(crate) built: BuiltWith,
    pub(crate) schema: Schema,
    /// The model directory's files, hashed (they decide the predictions).
    pub(crate) files: Vec<InputFile>,
}

impl Applied {
    /// The calibrated probabilities (`n × 3`: neither, donor, acceptor) of `n` rows of
    /// features (row-major, in schema order).
    pub(crate) fn probabilities(&self, features: &[f32], n: usize) -> Result<Vec<f32>, Error> {
        let cols = self.schema.n_features();
        debug_assert_eq!(features.len(), n * cols);
        let labels = vec![0f32; n];
        let batch = Batch::new(features, cols, &labels);
        Ok(super::mean_and_calls(&self.models, &self.weights, &batch)?.0)
    }
}

/// Predicts every base of the genes `cfg` selects into `cfg.out`, resuming a killed run.
pub fn predict_genes(cfg: &GenesConfig, progress: bool) -> Result<GenesReport, Error> {
    let applied = open_model(&cfg.model)?;
    if matches!(cfg.targets, Targets::Regions { .. }) && applied.built.structure_features {
        return Err(crate::train::Error::Incompatible {
            dataset: cfg.model.join(DATASET_JSON),
            model: cfg.model.clone(),
            message: "the model was trained with the gene-structure features, which only an annotated gene has; to predict regions, build the dataset with `builder --no-structure-features`, train on it and use that model (or give --annotation)".into(),
        }
        .into());
    }
    if cfg.base_scores.is_some() && applied.built.base_model.kind != "imported" {
        return Err(crate::train::Error::Incompatible {
            dataset: cfg.model.join(DATASET_JSON),
            model: cfg.model.clone(),
            message: format!(
                "the model was trained on the {} base model's scores, so --base-scores would give it other features; leave --base-scores out (the model brings its base model)",
                base_model_name(&applied.built)
            ),
        }
        .into());
    }
    let kind = kind(cfg.explain > 0);
    let whole = fingerprint(cfg, &applied)?;
    let fp = with_shard(&whole, cfg.shard);
    let base_model = base_model_name(&applied.built);
    if !cfg.overwrite
        && let Some(rows) = output::finished(&kind, &cfg.out, &fp)?
    {
        return Ok(GenesReport {
            already_complete: true,
            resumed_from: 0,
            genes: 0,
            bases: 0,
            secs: 0.0,
            rows,
            base_model,
            tracks: write_tracks(cfg)?,
            split: Split::default(),
            clipped: Vec::new(),
            targets: targets_word(cfg),
        });
    }
    // Inputs are read and checked before anything is written.
    let contigs = fasta::scan(&cfg.genome)?;
    let source = base_model_source(cfg, &applied, &contigs)?;
    let (genes, clipped) = match &cfg.targets {
        Targets::Genes {
            annotation,
            annotation_format,
            selection,
        } => {
            let ann = annotation::read(annotation, *annotation_format)?;
            let selected = select::select(ann.genes, annotation, &contigs, &cfg.genome, selection)?;
            (selected.genes, Vec::new())
        }
        Targets::Regions { regions, .. } => {
            crate::genome::regions::targets(regions, &contigs, &cfg.genome)?
        }
    };
    let mut out = output::Output::open(&kind, &cfg.out, &fp, cfg.overwrite)?;
    let resumed_from = out.committed();
    let all: Vec<&[Gene]> = genes.chunks(cfg.batch_size.max(1)).collect();
    let total = all.len();
    // Batches numbered from 1; a shard's are those it owns.
    let batches: Vec<(usize, &[Gene])> = (1..=total)
        .zip(all)
        .filter(|(n, _)| cfg.shard.is_none_or(|s| s.owns(*n)))
        .collect();
    let todo: usize = batches.iter().skip(resumed_from).map(|b| b.1.len()).sum();
    let bar = crate::progress::genes(progress, todo);
    let t = Instant::now();
    let mut genome = fasta::Cursor::open(&cfg.genome)?;
    let mut bases = 0u64;
    let mut split = Split::default();
    for &(n, genes) in batches.iter().skip(resumed_from) {
        let regions = regions(&mut genome, genes, applied.built.flank, source.context())?;
        let step = Instant::now();
        let scores = score_parallel(
            &*source,
            genes,
            &regions,
            applied.built.flank,
            cfg.threads,
            &crate::progress::genes(false, 0),
        );
        split.base_model += step.elapsed().as_secs_f64();
        let mut table = Table::default();
        let mut entries = Vec::with_capacity(genes.len());
        for ((gene, region), scores) in genes.iter().zip(&regions).zip(&scores) {
            let step = Instant::now();
            let rows = gene_rows(
                gene,
                region,
                scores,
                &applied.schema,
                &applied.built.every_row(),
            );
            split.features += step.elapsed().as_secs_f64();
            let step = Instant::now();
            let n = rows.len();
            table.push(&rows, region, scores, &applied, cfg.explain)?;
            split.meta_model += step.elapsed().as_secs_f64();
            entries.push(GeneEntry {
                id: gene.id.clone(),
                rows: n as u64,
                sites: rows.sites(),
            });
            bases += n as u64;
            bar.inc(1);
            bar.set_message(format!(
                "{:.0} bases/s",
                bases as f64 / t.elapsed().as_secs_f64().max(1e-9)
            ));
        }
        out.commit(n, entries, &table.batch(&kind)?)?;
    }
    bar.finish_and_clear();
    let secs = t.elapsed().as_secs_f64();
    let extra = table_metadata(&whole, cfg.shard, total, &out.batches()?)?;
    let rows = out.finish(&extra)?;
    Ok(GenesReport {
        already_complete: false,
        resumed_from,
        genes: todo,
        bases,
        secs,
        rows,
        base_model,
        tracks: write_tracks(cfg)?,
        split,
        clipped,
        targets: targets_word(cfg),
    })
}

/// What `cfg` predicts, in words.
fn targets_word(cfg: &GenesConfig) -> &'static str {
    match cfg.targets {
        Targets::Genes { .. } => "genes",
        Targets::Regions { .. } => "region strands",
    }
}

/// The tracks `cfg` asks for, from its finished table.
fn write_tracks(cfg: &GenesConfig) -> Result<Option<Written>, Error> {
    if !cfg.tracks.any() {
        return Ok(None);
    }
    tracks::write(&cfg.out, &cfg.tracks).map(Some)
}

/// Opens the model directory with the record of the dataset it was trained on, refusing a model
/// whose features are not the ones that record gives (exit 13).
pub(crate) fn open_model(dir: &Path) -> Result<Applied, Error> {
    let trained = modeldir::open(dir)?;
    let incompatible = |message: String| crate::train::Error::Incompatible {
        dataset: dir.join(DATASET_JSON),
        model: dir.to_path_buf(),
        message,
    };
    let run: RunInfo = match std::fs::read(dir.join(DATASET_JSON)) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| crate::train::Error::ModelDamaged {
                path: dir.join(DATASET_JSON),
                message: e.to_string(),
            })?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(incompatible(
                "the model has no record of the dataset it was trained on (trained by an earlier spliceforge); train it again to predict every base of new genes, or use --dataset".into(),
            )
            .into());
        }
        Err(e) => return Err(store::Error::read(&dir.join(DATASET_JSON), e).into()),
    };
    let built = BuiltWith::of(&run.content.config).ok_or_else(|| {
        incompatible("the dataset record is not a builder dataset's settings".into())
    })?;
    let schema = built.every_row().schema();
    if schema != run.content.schema {
        return Err(incompatible(format!(
            "its dataset was built with schema version {}, this spliceforge computes version {}; train the model again on a dataset built by this version",
            run.content.schema.version, schema.version
        ))
        .into());
    }
    let names: Vec<String> = schema.features().map(|c| c.name.clone()).collect();
    if names != trained.features.features {
        return Err(incompatible(format!(
            "its features ({} columns) are not those of the dataset it records ({} columns); the model directory was altered: train it again",
            trained.features.features.len(),
            names.len()
        ))
        .into());
    }
    Ok(Applied {
        models: trained.models,
        weights: trained.weights,
        built,
        schema,
        files: model_files(dir)?,
    })
}

/// Every file of the model directory (sub-models too), hashed, in name order; the lock and the
/// figures of the training report are left out (they do not change a prediction).
fn model_files(dir: &Path) -> Result<Vec<InputFile>, Error> {
    let mut paths = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| store::Error::read(&d, e))?;
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                todo.push(p);
            } else if name.ends_with(".json") && name != "metrics.json" && name != "memory.json" {
                paths.push(p);
            }
        }
    }
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap_or(p).display().to_string();
            Ok(InputFile::of(&format!("model:{rel}"), p)?)
        })
        .collect()
}

/// The base model's name as the dataset records it.
pub(crate) fn base_model_name(built: &BuiltWith) -> &'static str {
    match built.base_model.kind.as_str() {
        "spliceai" => "spliceai",
        "imported" => "imported",
        _ => "builtin",
    }
}

/// The base model the model was trained with: its built-in model, SpliceAI with the networks
/// it averaged (from `--spliceai-weights`), or imported scores (from `--base-scores`).
fn base_model_source(
    cfg: &GenesConfig,
    applied: &Applied,
    contigs: &[ContigInfo],
) -> Result<Arc<dyn ScoreSource>, Error> {
    let usage = |m: &str| Error::Usage(m.to_string());
    match applied.built.base_model.kind.as_str() {
        "spliceai" => {
            let weights = cfg.spliceai_weights.as_ref().ok_or_else(|| {
                usage("the model was trained on SpliceAI's scores: give --spliceai-weights DIR (or SPLICEFORGE_SPLICEAI_WEIGHTS; scripts/fetch-spliceai.sh fetches them)")
            })?;
            let models = applied.built.base_model.models.unwrap_or(5);
            let model = SpliceAi::load(weights, models)
                .map_err(basemodel::Error::from)?
                .with_threads(cfg.threads);
            Ok(Arc::new(model))
        }
        "imported" => {
            let path = cfg.base_scores.as_ref().ok_or_else(|| {
                usage("the model was trained on imported base-model scores: give --base-scores FILE with scores for every base of the genes (e.g. from `spliceforge score`)")
            })?;
            Ok(Arc::new(ImportedScores::load(path, contigs)?))
        }
        _ => {
            let path = cfg.model.join(BASEMODEL_JSON);
            let bytes = std::fs::read(&path).map_err(|e| store::Error::read(&path, e))?;
            let model: BuiltinModel =
                serde_json::from_slice(&bytes).map_err(|e| crate::train::Error::ModelDamaged {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            Ok(Arc::new(model))
        }
    }
}

/// The fingerprint of the run: the model's files, the inputs and the settings that decide the
/// table's bytes.
fn fingerprint(cfg: &GenesConfig, applied: &Applied) -> Result<Fingerprint, Error> {
    let mut inputs = vec![InputFile::of("genome", &cfg.genome)?];
    let targets = match &cfg.targets {
        Targets::Genes {
            annotation,
            annotation_format,
            selection: s,
        } => {
            inputs.push(InputFile::of("annotation", annotation)?);
            if let Some(p) = &s.gene_ids {
                inputs.push(InputFile::of("gene_ids", p)?);
            }
            serde_json::json!({
                "annotation_format": annotation_format,
                "selection": s.content(),
                "seed": s.seed,
            })
        }
        Targets::Regions { regions, file } => {
            if let Some(p) = file {
                inputs.push(InputFile::of("regions", p)?);
            }
            let list: Vec<_> = (regions.iter())
                .map(|r| {
                    let strand = r.strand.map(|s| match s {
                        Strand::Forward => "+",
                        Strand::Reverse => "-",
                    });
                    serde_json::json!([r.name, r.chrom, r.start, r.end, strand])
                })
                .collect();
            serde_json::json!({ "regions": list })
        }
    };
    match applied.built.base_model.kind.as_str() {
        "spliceai" => {
            if let Some(w) = &cfg.spliceai_weights {
                let models = applied.built.base_model.models.unwrap_or(5);
                let files = basemodel::spliceai::weight_files(w, models);
                for p in files.map_err(basemodel::Error::from)? {
                    inputs.push(InputFile::of("spliceai_weights", &p)?);
                }
            }
        }
        "imported" => {
            if let Some(p) = &cfg.base_scores {
                inputs.push(InputFile::of("base_scores", p)?);
            }
        }
        _ => {}
    }
    inputs.extend(applied.files.iter().cloned());
    let mut config = serde_json::json!({
        "command": "predict",
        "batch_size": cfg.batch_size,
    });
    // Only a run that explains says so: every other table's fingerprint is what it was.
    if let (true, Some(map)) = (cfg.explain > 0, config.as_object_mut()) {
        map.insert(EXPLAIN.into(), cfg.explain.into());
    }
    if let (Some(map), Some(t)) = (config.as_object_mut(), targets.as_object()) {
        map.extend(t.clone());
    }
    Ok(Fingerprint {
        format: PREDICT_FORMAT,
        config,
        inputs,
        schema: applied.schema.clone(),
    })
}

/// `whole` with the shard in its settings (a shard's own run), or `whole` itself.
fn with_shard(whole: &Fingerprint, shard: Option<Shard>) -> Fingerprint {
    let mut fp = whole.clone();
    if let (Some(s), Some(map)) = (shard, fp.config.as_object_mut()) {
        map.insert(CONFIG_KEY.into(), serde_json::json!(s));
    }
    fp
}

/// A table's metadata after its fingerprint: the whole run's fingerprint, its batches (how
/// many the whole run has; this table's, with their rows), and its shard.
fn table_metadata(
    whole: &Fingerprint,
    shard: Option<Shard>,
    total: usize,
    batches: &[(usize, u64)],
) -> Result<Vec<(String, String)>, Error> {
    let json = |v: &dyn erased::Json| v.to_json();
    let mut m = vec![
        (RUN_KEY.to_string(), json(whole)?),
        (
            BATCHES_KEY.to_string(),
            json(&serde_json::json!({"total": total, "batches": batches}))?,
        ),
    ];
    if let Some(s) = shard {
        m.push((SHARD_KEY.to_string(), s.to_string()));
    }
    Ok(m)
}

mod erased {
    //! Compact JSON of a metadata value.
    pub(super) trait Json {
        fn to_json(&self) -> Result<String, crate::Error>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> Result<String, crate::Error> {
            serde_json::to_string(self).map_err(|e| crate::Error::Internal(e.to_string()))
        }
    }
}

/// A shard's table, as `merge` reads it.
struct ShardTable {
    path: PathBuf,
    shard: Shard,
    run: String,
    total: usize,
    batches: Vec<(usize, u64)>,
}

/// What `merge` of prediction tables did.
#[derive(Debug, Clone, Copy)]
pub struct Merged {
    /// The table was already complete.
    pub already_complete: bool,
    /// Rows of the table.
    pub rows: u64,
    /// Shards joined.
    pub shards: usize,
}

/// Joins the tables of a sharded every-base run (`predict --shard I/N`, all N) into `out`: the
/// table one unsharded run with the same arguments writes, byte for byte. Refuses (exit 14,
/// nothing written) shards that are missing, given twice, or of another run.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<Merged, Error> {
    let mut problems = Vec::new();
    let mut tables = Vec::new();
    for path in shards {
        match read_shard(path) {
            Ok(t) => tables.push(t),
            Err(why) => problems.push(format!("{}: {why}", path.display())),
        }
    }
    if let Some(first) = tables.first() {
        let n = first.shard.count;
        let mut seen = vec![0usize; n];
        for t in &tables {
            if t.run != first.run || t.shard.count != n || t.total != first.total {
                problems.push(format!(
                    "{} is a shard of another run than {} (other model, inputs or settings)",
                    t.path.display(),
                    first.path.display()
                ));
            } else {
                seen[t.shard.index] += 1;
            }
        }
        for (i, k) in seen.iter().enumerate() {
            match k {
                1 => {}
                0 => problems.push(format!("shard {i}/{n} is missing")),
                _ => problems.push(format!("shard {i}/{n} is given {k} times")),
            }
        }
    }
    if !problems.is_empty() || tables.is_empty() {
        return Err(store::Error::Shards { problems }.into());
    }
    let whole: Fingerprint =
        serde_json::from_str(&tables[0].run).map_err(|e| store::Error::Shards {
            problems: vec![format!("{}: its run record: {e}", tables[0].path.display())],
        })?;
    let kind = kind(whole.config.get(EXPLAIN).is_some());
    if let Some(rows) = output::finished(&kind, out, &whole)? {
        return Ok(Merged {
            already_complete: true,
            rows,
            shards: tables.len(),
        });
    }
    let total = tables[0].total;
    let mut owner = vec![None; total + 1];
    for (k, t) in tables.iter().enumerate() {
        for &(b, rows) in &t.batches {
            owner[b] = Some((k, rows));
        }
    }
    let mut all = Vec::with_capacity(total);
    for (b, o) in owner.iter().enumerate().skip(1) {
        let Some((k, rows)) = *o else {
            return Err(store::Error::Shards {
                problems: vec![format!("batch {b} is in no shard (an unfinished shard?)")],
            }
            .into());
        };
        all.push((b, k, rows));
    }
    let mut readers = (tables.iter())
        .map(|t| Rows::open(&t.path))
        .collect::<Result<Vec<_>, _>>()?;
    let chunks = all.iter().flat_map(|&(_, k, rows)| {
        let sizes = (0..rows.div_ceil(output::CHUNK_ROWS as u64)).map(move |c| {
            (rows - c * output::CHUNK_ROWS as u64).min(output::CHUNK_ROWS as u64) as usize
        });
        sizes.map(move |n| (k, n))
    });
    let schema = kind.schema.clone();
    let batches = chunks.map(|(k, n)| readers[k].take(n, &schema));
    let extra = table_metadata(
        &whole,
        None,
        total,
        &(all.iter().map(|a| (a.0, a.2))).collect::<Vec<_>>(),
    )?;
    let tmp_dir = output::work_dir(out).with_extension("tmp");
    let rows = kind.write_table(out, &tmp_dir, &whole.digest(), &extra, batches)?;
    let _ = std::fs::remove_dir_all(&tmp_dir);
    Ok(Merged {
        already_complete: false,
        rows,
        shards: tables.len(),
    })
}

/// A shard's table and its record, or why it is not one.
fn read_shard(path: &Path) -> Result<ShardTable, String> {
    let get = |key: &str| output::metadata(path, key);
    let run = get(RUN_KEY).ok_or("not a table of `spliceforge predict --genome`")?;
    let shard: Shard = get(SHARD_KEY)
        .ok_or("a whole run's table, not a shard's (predict --shard I/N)")?
        .parse()
        .map_err(|e| format!("its shard: {e}"))?;
    let b: serde_json::Value = get(BATCHES_KEY)
        .and_then(|s| serde_json::from_str(&s).ok())
        .ok_or("its batch record is missing or damaged")?;
    let total = b["total"].as_u64().ok_or("its batch record has no total")? as usize;
    let batches: Vec<(usize, u64)> =
        serde_json::from_value(b["batches"].clone()).map_err(|e| format!("its batches: {e}"))?;
    Ok(ShardTable {
        path: path.to_path_buf(),
        shard,
        run,
        total,
        batches,
    })
}

/// A table read forward, `n` rows at a time.
struct Rows {
    path: PathBuf,
    reader: crate::genome::safe_parquet::Batches,
    held: Option<RecordBatch>,
}

impl Rows {
    fn open(path: &Path) -> Result<Self, Error> {
        let file = std::fs::File::open(path).map_err(|e| store::Error::read(path, e))?;
        let reader = crate::genome::safe_parquet::open(file)
            .map(|r| r.with_batch_size(output::CHUNK_ROWS))
            .and_then(crate::genome::safe_parquet::build)
            .map_err(|e| store::Error::damaged_parquet(path, e))?;
        Ok(Rows {
            path: path.to_path_buf(),
            reader,
            held: None,
        })
    }

    /// The next `n` rows as one batch.
    fn take(&mut self, n: usize, schema: &Arc<ArrowSchema>) -> Result<RecordBatch, store::Error> {
        let mut parts = Vec::new();
        let mut need = n;
        while need > 0 {
            let b = match self.held.take() {
                Some(b) => b,
                None => match self.reader.next() {
                    Some(b) => b.map_err(|e| store::Error::damaged_parquet(&self.path, e))?,
                    None => {
                        return Err(store::Error::Corrupt {
                            path: self.path.clone(),
                            message: "has fewer rows than its batch record says".into(),
                        });
                    }
                },
            };
            if b.num_rows() > need {
                parts.push(b.slice(0, need));
                self.held = Some(b.slice(need, b.num_rows() - need));
                need = 0;
            } else {
                need -= b.num_rows();
                parts.push(b);
            }
        }
        arrow_select::concat::concat_batches(schema, &parts).map_err(|e| store::Error::Corrupt {
            path: self.path.clone(),
            message: format!("its rows do not join into the table's columns: {e}"),
        })
    }
}

/// One batch's output columns.
#[derive(Default)]
struct Table {
    chrom: Vec<String>,
    position: Vec<i64>,
    strand: Vec<&'static str>,
    gene_id: Vec<String>,
    splice_type: Vec<Option<&'static str>>,
    base_donor: Vec<f32>,
    base_acceptor: Vec<f32>,
    probs: Vec<f32>,
    predicted: Vec<&'static str>,
    explain: Vec<Option<String>>,
}

impl Table {
    /// Adds a gene's rows: the model applied to their features, in ascending position.
    fn push(
        &mut self,
        rows: &GeneRows,
        region: &GeneRegion,
        scores: &basemodel::Scores,
        applied: &Applied,
        explain: usize,
    ) -> Result<(), Error> {
        let n = rows.len();
        let cols = rows.n_features;
        // Row-major for XGBoost.
        let mut features = vec![0f32; n * cols];
        for f in 0..cols {
            for (r, &v) in rows.feature(f).iter().enumerate() {
                features[r * cols + f] = v;
            }
        }
        let labels = vec![0f32; n];
        let batch = Batch::new(&features, cols, &labels);
        let (probs, calls) = super::mean_and_calls(&applied.models, &applied.weights, &batch)?;
        if explain > 0 {
            let names: Vec<&str> = applied.schema.features().map(|c| c.name.as_str()).collect();
            let why = super::explain::called_sites(
                &applied.models,
                &applied.weights,
                &batch,
                &calls,
                &names,
                explain,
            )?;
            self.explain.extend(why);
        }
        let strand = match rows.strand {
            Strand::Forward => "+",
            Strand::Reverse => "-",
        };
        for (r, &pos) in rows.positions.iter().enumerate() {
            let j = region.local(pos as u64).ok_or_else(|| {
                Error::Internal(format!("position {pos} outside gene {}", rows.gene_id))
            })?;
            self.chrom.push(rows.chrom.clone());
            self.position.push(pos);
            self.strand.push(strand);
            self.gene_id.push(rows.gene_id.clone());
            self.splice_type.push(match rows.splice[r] {
                SpliceType::Neither => None,
                t => Some(t.as_str()),
            });
            self.base_donor.push(scores.donor[j]);
            self.base_acceptor.push(scores.acceptor[j]);
            self.predicted.push(SpliceType::of_index(calls[r]).as_str());
        }
        self.probs.extend(probs);
        Ok(())
    }

    /// The batch, as the table's columns.
    fn batch(self, kind: &output::Kind) -> Result<RecordBatch, Error> {
        let p = |c: usize| -> ArrayRef {
            Arc::new(Float32Array::from(
                self.probs
                    .iter()
                    .skip(c)
                    .step_by(3)
                    .copied()
                    .collect::<Vec<_>>(),
            ))
        };
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(self.chrom)),
            Arc::new(Int64Array::from(self.position)),
            Arc::new(StringArray::from(self.strand)),
            Arc::new(StringArray::from(self.gene_id)),
            Arc::new(StringArray::from(self.splice_type)),
            Arc::new(Float32Array::from(self.base_donor)),
            Arc::new(Float32Array::from(self.base_acceptor)),
            p(0),
            p(1),
            p(2),
            Arc::new(StringArray::from(self.predicted)),
        ];
        let mut cols = cols;
        if kind.schema.column_with_name(EXPLAIN).is_some() {
            cols.push(Arc::new(StringArray::from(self.explain)));
        }
        RecordBatch::try_new(kind.schema.clone(), cols)
            .map_err(|e| Error::Internal(format!("the prediction table's batch: {e}")))
    }
}
