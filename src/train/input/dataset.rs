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
            genes,
            gene_index,
            parts,
        })
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
