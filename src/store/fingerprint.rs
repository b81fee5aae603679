//! The run fingerprint: what decides a dataset's content, hashed. The one place it is computed.
//!
//! It covers the content-affecting configuration (never threads or paths), the checksums of the
//! input files, the schema and the dataset format version. Resume refuses a directory whose
//! fingerprint differs, and says which part changed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Error;
use super::fsutil::{hex, sha256_file};
use crate::features::Schema;

/// Version of the on-disk layout (run.json, manifest, parts).
pub const DATASET_FORMAT: u32 = 1;

/// An input file identified by its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// What it is (`genome`, `annotation`, `gene_ids`, `base_scores`).
    pub role: String,
    /// The path as given (informational: not part of the fingerprint).
    pub path: PathBuf,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content.
    pub sha256: String,
}

impl InputFile {
    /// Checksums `path`.
    pub fn of(role: &str, path: &Path) -> Result<Self, Error> {
        let (sha256, bytes) = sha256_file(path).map_err(|e| Error::read(path, e))?;
        Ok(Self {
            role: role.into(),
            path: path.to_path_buf(),
            bytes,
            sha256,
        })
    }
}

/// Everything the fingerprint covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// [`DATASET_FORMAT`].
    pub format: u32,
    /// The content-affecting configuration, as JSON.
    pub config: serde_json::Value,
    /// Input files by content.
    pub inputs: Vec<InputFile>,
    /// The schema.
    pub schema: Schema,
}

/// The SHA-256 (hex) of `value`'s JSON text: canonical, as serde_json's maps are sorted by key.
/// Every fingerprint of a run's settings is this digest of what decides the run.
pub fn digest_json(value: &serde_json::Value) -> String {
    hex(&Sha256::digest(value.to_string().as_bytes()))
}

impl Fingerprint {
    /// The SHA-256 (hex) of the canonical JSON of everything but input paths.
    pub fn digest(&self) -> String {
        let inputs: Vec<_> = self
            .inputs
            .iter()
            .map(|i| serde_json::json!({"role": i.role, "bytes": i.bytes, "sha256": i.sha256}))
            .collect();
        let canonical = serde_json::json!({
            "format": self.format,
            "config": self.config,
            "inputs": inputs,
            "schema": self.schema,
        });
        digest_json(&canonical)
    }

    /// What differs between `self` (the stored run) and `new`, one line each.
    pub fn diff(&self, new: &Fingerprint) -> Vec<String> {
        let mut out = Vec::new();
        if self.format != new.format {
            out.push(format!("dataset format {} → {}", self.format, new.format));
        }
        if self.schema != new.schema {
            let say = |s: &crate::features::Schema| {
                format!(
                    "version {}, k-mers {:?}{}",
                    s.version,
                    s.kmer_sizes,
                    if s.structure {
                        ""
                    } else {
                        ", no structure features"
                    }
                )
            };
            out.push(format!(
                "schema ({}) → ({})",
                say(&self.schema),
                say(&new.schema)
            ));
        }
        diff_json("", &self.config, &new.config, &mut out);
        for n in &new.inputs {
            match self.inputs.iter().find(|o| o.role == n.role) {
                None => out.push(format!("input {} added ({})", n.role, n.path.display())),
                Some(o) if o.sha256 != n.sha256 => out.push(format!(
                    "input {} changed: {} (sha256 {}…) → {} (sha256 {}…)",
                    n.role,
                    o.path.display(),
                    &o.sha256[..12],
                    n.path.display(),
                    &n.sha256[..12]
                )),
                Some(_) => {}
            }
        }
        for o in &self.inputs {
            if !new.inputs.iter().any(|n| n.role == o.role) {
                out.push(format!(
                    "input {} removed (was {})",
                    o.role,
                    o.path.display()
                ));
            }
        }
        out
    }
}

fn diff_json(prefix: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                diff_json(
                    &p,
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ if a != b => out.push(format!("{prefix}: {a} → {b}")),
        _ => {}
    }
}
