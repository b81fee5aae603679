//! `run.json`: what a dataset is — tool version, fingerprint and what it covers, and the plan
//! (selected genes and batches). Written once, atomically, before the first batch.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Error;
use super::fingerprint::Fingerprint;
use super::fsutil::write_atomic;
use super::shard::{self, Shard};

/// The file name inside a dataset.
pub const RUN_JSON: &str = "run.json";

/// The plan: which genes, in which batches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Genes per batch.
    pub batch_size: usize,
    /// Number of batches.
    pub batches: usize,
    /// Selected gene ids, in dataset order.
    pub genes: Vec<String>,
    /// Genes reserved for the built-in base model (never rows).
    pub reserved_genes: usize,
    /// What the base model is (`builtin` or `imported`).
    pub base_model: String,
}

impl Plan {
    /// The gene ids of batch `b` (from 1).
    pub fn batch_genes(&self, b: usize) -> &[String] {
        let lo = ((b - 1) * self.batch_size).min(self.genes.len());
        let hi = (b * self.batch_size).min(self.genes.len());
        &self.genes[lo..hi]
    }

    /// The batches (from 1) that `shard` builds: all of them without sharding.
    pub fn batches_of(&self, shard: Option<Shard>) -> Vec<usize> {
        shard::batches(self.batches, shard)
    }
}

/// The content of `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Always `spliceforge`.
    pub tool: String,
    /// The tool version that started the run.
    pub version: String,
    /// [`Fingerprint::digest`].
    pub fingerprint: String,
    /// What the fingerprint covers (config, inputs, schema).
    pub content: Fingerprint,
    /// The plan.
    pub plan: Plan,
    /// The shard this dataset holds (`builder --shard`), absent for a whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

impl RunInfo {
    /// Reads `DIR/run.json`; `None` if it does not exist.
    pub fn load(dir: &Path) -> Result<Option<Self>, Error> {
        let path = dir.join(RUN_JSON);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::Corrupt {
                    path,
                    message: format!("not a spliceforge run.json: {e}"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::read(&path, e)),
        }
    }

    /// Reads the run of the dataset `dir` given to read: it must exist and hold a run.json.
    pub fn load_dataset(dir: &Path) -> Result<Self, Error> {
        if !dir.exists() {
            return Err(Error::NotFound {
                dir: dir.to_path_buf(),
            });
        }
        Self::load(dir)?.ok_or_else(|| Error::NoDataset {
            dir: dir.to_path_buf(),
        })
    }

    /// The run of the whole build this shard belongs to: the same content without the shard,
    /// so the same fingerprint as a single-node build with the same arguments.
    pub fn whole(&self) -> Self {
        let mut content = self.content.clone();
        if let Some(config) = content.config.as_object_mut() {
            config.remove(shard::CONFIG_KEY);
        }
        RunInfo {
            fingerprint: content.digest(),
            content,
            shard: None,
            ..self.clone()
        }
    }

    /// Writes `DIR/run.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        let path = dir.join(RUN_JSON);
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| Error::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        write_atomic(&path, &dir.join(".tmp"), &bytes).map_err(|e| Error::write(&path, e))
    }
}
