//! A builder dataset opened for training: verified, with its feature columns (from run.json's
//! schema, never from names), its genes and the part file that holds each.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::features::{Role, Schema};
use crate::store::manifest::{self, MANIFEST};
use crate::store::{self, RunInfo};
use crate::train::Error;

/// One gene of the dataset.
#[derive(Debug, Clone)]
pub struct GeneInfo {
    /// Gene id.
    pub id: String,
    /// Rows in the dataset.
    pub rows: u64,
    /// Annotated splice sites.
    pub sites: u64,
    /// Index of the part file holding its rows.
    pub part: usize,
    /// The contig it lies on.
    pub contig: String,
}

/// A verified dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Its directory.
    pub dir: PathBuf,
    /// Its run.json.
    pub run: RunInfo,
    /// The schema.
    pub schema: Schema,
    /// Feature column names, in schema order.
    pub features: Vec<String>,
    /// Genes in dataset order.
    pub genes: Vec<GeneInfo>,
    /// Gene id → index in `genes`.
    pub gene_index: HashMap<String, u32>,
    /// Part files in batch order, with their row counts.
    pub parts: Vec<(PathBuf, u64)>,
    /// Genes (by index) on a contig held out of training (`train --holdout-contigs`): no model
    /// of the run sees their rows.
    pub held_out: Vec<bool>,
}

impl Dataset {
    /// Opens `dir`, refusing a dataset that does not pass `verify`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let ds = Self::open_unverified(dir)?;
        ds.verify()?;
        Ok(ds)
    }

    /// Runs `verify` on the dataset (checksums included); its problems are an error.
    pub fn verify(&self) -> Result<(), Error> {
        let report = store::verify::verify(&self.dir)?;
        if !report.problems.is_empty() {
            return Err(store::Error::Verify {
                problems: report.problems,
            }
            .into());
        }
        Ok(())
    }

    /// Opens `dir` trusting its manifest (for callers that verified it already).
    pub fn open_unverified(dir: &Path) -> Result<Self, Error> {
        let run = RunInfo::load_dataset(dir)?;
        let schema = run.content.schema.clone();
        let features = schema
            .columns
            .iter()
            .filter(|c| c.role == Role::Feature)
            .map(|c| c.name.clone())
            .collect();
        let m = manifest::load(&dir.join(MANIFEST), false)?;
        // A dataset still being built or merged has no genes table yet: said as such (exit 6),
        // not as a missing file.
        if m.complete.is_none() {
            return Err(store::Error::Verify {
                problems: vec![format!(
                    "the run is not complete ({} of {} batches committed): a builder or merge may still be writing it; wait for it, or resume it with the same command",
                    m.batches.len(),
                    run.plan.batches_of(run.shard).len()
                )],
            }
            .into());
        }
        let contigs: HashMap<String, String> = store::genes::read(dir)?
            .into_iter()
            .map(|g| (g.id, g.chrom))
            .collect();
        let mut genes = Vec::new();
        let mut parts = Vec::new();
        for b in &m.batches {
            for f in &b.parts {
                parts.push((dir.join(&f.file), f.rows));
            }
            let part = parts.len().saturating_sub(1);
            for g in &b.genes {
                genes.push(GeneInfo {
                    id: g.id.clone(),
                    rows: g.rows,
                    sites: g.sites,
                    part,
                    contig: contigs.get(&g.id).cloned().unwrap_or_default(),
                });
            }
        }
        let gene_index = genes
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.clone(), i as u32))
            .collect();
        Ok(Self {
            dir: dir.to_path_buf(),
            run,
            schema,
            features,
            held_out: vec![false; genes.len()],
            genes,
            gene_index,
            parts,
        })
    }

    /// The dataset's contigs that have genes, in dataset order.
    pub fn contigs(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        for g in &self.genes {
            if !seen.contains(&g.contig.as_str()) {
                seen.push(g.contig.as_str());
            }
        }
        seen
    }

    /// Holds the genes of `contigs` out of training (`--holdout-contigs`); a contig without a
    /// gene in the dataset is refused, naming those it has.
    pub fn hold_out_contigs(&mut self, contigs: &[String]) -> Result<(), Error> {
        let have = self.contigs();
        if let Some(c) = contigs.iter().find(|c| !have.contains(&c.as_str())) {
            return Err(Error::Usage(format!(
                "--holdout-contigs names {c}, on which the dataset has no gene; its contigs with genes are {}",
                have.join(", ")
            )));
        }
        if contigs.len() == have.len() {
            return Err(Error::Usage(format!(
                "--holdout-contigs holds out every contig of the dataset ({}): nothing is left to train on",
                have.join(", ")
            )));
        }
        self.held_out = (self.genes.iter())
            .map(|g| contigs.contains(&g.contig))
            .collect();
        Ok(())
    }

    /// Total rows.
    pub fn rows(&self) -> u64 {
        self.genes.iter().map(|g| g.rows).sum()
    }

    /// Index of a feature column.
    pub fn feature(&self, name: &str) -> Option<usize> {
        self.features.iter().position(|f| f == name)
    }
}
