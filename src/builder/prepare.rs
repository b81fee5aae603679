//! Preparing a build: fingerprint the inputs, read the annotation, fit (or load) the base model
//! on reserved genes, select the genes and cut them into batches.

use std::path::Path;
use std::sync::Arc;

use super::config::{BaseModel, BuildConfig, Scoring};
use crate::Error;
use crate::basemodel::builtin::{BuiltinModel, Trainer, is_reserved};
use crate::basemodel::imported::ImportedScores;
use crate::basemodel::{self, ScoreSource, spliceai};
use crate::genome::fasta::{self, ContigInfo};
use crate::genome::{Gene, GeneRegion, annotation, select};
use crate::store::{DATASET_FORMAT, Fingerprint, InputFile, Plan};

/// The fingerprint of the build `cfg` describes (hashes the input files; reads nothing else).
pub fn fingerprint(cfg: &BuildConfig) -> Result<Fingerprint, Error> {
    Ok(Fingerprint {
        format: DATASET_FORMAT,
        config: cfg.content(),
        inputs: input_files(&cfg.scoring)?,
        schema: cfg.rows.schema(),
    })
}

/// Every input file `sc` reads, hashed: genome, annotation, gene list, imported scores or
/// SpliceAI's weights.
pub fn input_files(sc: &Scoring) -> Result<Vec<InputFile>, Error> {
    let mut inputs = vec![
        InputFile::of("genome", &sc.genome)?,
        InputFile::of("annotation", &sc.annotation)?,
    ];
    if let Some(p) = &sc.selection.gene_ids {
        inputs.push(InputFile::of("gene_ids", p)?);
    }
    match &sc.base_model {
        BaseModel::Imported(p) => inputs.push(InputFile::of("base_scores", p)?),
        BaseModel::SpliceAi(sa) => {
            let files = spliceai::weight_files(&sa.weights, sa.models);
            for p in files.map_err(basemodel::Error::from)? {
                inputs.push(InputFile::of("spliceai_weights", &p)?);
            }
        }
        BaseModel::Builtin { .. } => {}
    }
    Ok(inputs)
}

/// A build ready to run.
pub struct Prepared {
    /// Selected genes in dataset order.
    pub genes: Vec<Gene>,
    /// The base model.
    pub source: Arc<dyn ScoreSource>,
    /// The built-in model, when used (saved with the dataset).
    pub builtin: Option<BuiltinModel>,
    /// The plan.
    pub plan: Plan,
}

/// Reads the inputs, fits or loads the base model and selects the genes, in batches of
/// `batch_size`.
pub fn prepare(cfg: &Scoring, batch_size: usize) -> Result<Prepared, Error> {
    let mut ann = annotation::read(&cfg.annotation, cfg.annotation_format)?;
    // The chosen transcripts are the only ones anything sees, the built-in model's training
    // genes included (selection chooses again, which changes nothing, and counts the genes).
    ann.genes = (cfg.selection.transcripts)
        .choose(ann.genes, &cfg.annotation)?
        .genes;
    let (source, builtin, candidates, reserved_count, contigs): (
        Arc<dyn ScoreSource>,
        _,
        Vec<Gene>,
        usize,
        _,
    ) = match &cfg.base_model {
        BaseModel::Imported(path) => {
            let contigs = fasta::scan(&cfg.genome)?;
            let scores = ImportedScores::load(path, &contigs)?;
            (Arc::new(scores), None, ann.genes, 0, contigs)
        }
        BaseModel::SpliceAi(sa) => {
            let model = spliceai::SpliceAi::load(&sa.weights, sa.models)
                .map_err(basemodel::Error::from)?
                .with_threads(cfg.threads);
            let contigs = fasta::scan(&cfg.genome)?;
            (Arc::new(model), None, ann.genes, 0, contigs)
        }
        &BaseModel::Builtin { reserve_fraction } => {
            // Reserved genes are drawn among intron-containing genes; those on contigs the
            // FASTA lacks are never seen by the trainer (and selection reports the contig).
            let (reserved, rest): (Vec<Gene>, Vec<Gene>) = ann
                .genes
                .into_iter()
                .partition(|g| g.has_introns() && is_reserved(&g.id, reserve_fraction));
            let (model, contigs) =
                train_builtin(&cfg.genome, &reserved, cfg.flank, reserve_fraction)?;
            let n = reserved.len();
            (Arc::new(model.clone()), Some(model), rest, n, contigs)
        }
    };

    let selected = select::select(
        candidates,
        &cfg.annotation,
        &contigs,
        &cfg.genome,
        &cfg.selection,
    )?;
    let ids: Vec<String> = selected.genes.iter().map(|g| g.id.clone()).collect();
    let batches = ids.len().div_ceil(batch_size);
    let plan = Plan {
        batch_size,
        batches,
        genes: ids,
        reserved_genes: reserved_count,
        base_model: cfg.base_model.name().into(),
    };
    Ok(Prepared {
        genes: selected.genes,
        source,
        builtin,
        plan,
    })
}

/// Fits the built-in model on `reserved` genes, reading the genome one contig at a time; also
/// lists the genome's contigs (one pass serves both).
pub fn train_builtin(
    genome: &Path,
    reserved: &[Gene],
    flank: u64,
    fraction: f64,
) -> Result<(BuiltinModel, Vec<ContigInfo>), Error> {
    let mut trainer = Trainer::new(fraction);
    let by_contig = crate::genome::gene::by_contig(reserved);
    let want = |name: &str| by_contig.contains_key(name);
    let contigs = fasta::each_contig(genome, want, |contig| -> Result<(), Error> {
        for g in &by_contig[contig.name.as_str()] {
            if g.transcripts
                .iter()
                .flat_map(|t| &t.exons)
                .all(|e| e.end <= contig.seq.len() as u64)
            {
                trainer.add_gene(g, &GeneRegion::new(g, contig, flank));
            }
        }
        Ok(())
    })?;
    Ok((trainer.finish()?, contigs))
}
