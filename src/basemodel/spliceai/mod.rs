//! SpliceAI-10k (Jaganathan et al., Cell 2019) as a base model, computed natively on the CPU.
//!
//! The weights are Illumina's, licensed **CC BY-NC 4.0** (non-commercial use only). They are never
//! shipped with spliceforge: `scripts/fetch-spliceai.sh` fetches them from PyPI (`spliceai==1.3.1`)
//! into a cache directory, and the user points `--spliceai-weights` at it.
//!
//! Conventions (see `docs/spliceai.md`):
//! - input is one-hot A, C, G, T; every other letter (N, IUPAC codes) is all zeros;
//! - each position is scored with 5,000 nt of the genome's own sequence on each side, N beyond a
//!   contig's ends; minus-strand genes are scored on the reverse complement;
//! - one to five models (`spliceai1.h5` … `spliceaiN.h5`), their softmax outputs averaged;
//! - a long sequence is cut into tiles of at most [`DEFAULT_TILE`] outputs, each with its own
//!   flanks; every output is computed in the same order whatever the tile or thread, so scores are
//!   bit-identical for any tile length and thread count.
//!
//! Memory per scoring thread is bounded by the tile, not the gene: about
//! `5 × (tile + 10,000) × 32 × 4` bytes of activations (≈ 38 MB at the default tile), plus the
//! gene's own sequence and scores.

mod conv;
mod error;
mod model;
mod program;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use conv::Conv;
pub use error::{Error, Problem};
pub use model::{Network, Node, Op, fold_batch_norm};
pub use program::Scratch;

use super::{ScoreSource, Scores};
use crate::genome::{Gene, GeneRegion};

/// Where users meet the weights, this is said.
pub const LICENCE: &str = "SpliceAI's weights (Illumina; Jaganathan et al., Cell 2019) are licensed CC BY-NC 4.0: non-commercial use only";

/// The weight files, in the order `--spliceai-models N` takes them.
pub const FILES: [&str; 5] = [
    "spliceai1.h5",
    "spliceai2.h5",
    "spliceai3.h5",
    "spliceai4.h5",
    "spliceai5.h5",
];

/// Output positions per tile by default: long enough that the 10 kb of flank costs little,
/// short enough to bound memory.
pub const DEFAULT_TILE: usize = 50_000;

/// The weight files to use: the first `models` of [`FILES`] in `dir`, checked to exist.
pub fn weight_files(dir: &Path, models: usize) -> Result<Vec<PathBuf>, Error> {
    if !dir.is_dir() {
        return Err(Error::MissingDir {
            dir: dir.to_path_buf(),
        });
    }
    FILES[..models.clamp(1, FILES.len())]
        .iter()
        .map(|f| {
            let path = dir.join(f);
            if path.is_file() {
                Ok(path)
            } else {
                Err(Error::MissingFile { path })
            }
        })
        .collect()
}

/// SpliceAI: one to five networks whose outputs are averaged.
pub struct SpliceAi {
    nets: Vec<(Network, Vec<usize>)>,
    tile: usize,
    pool: Mutex<Vec<Scratch>>,
}

impl std::fmt::Debug for SpliceAi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpliceAi")
            .field("models", &self.nets.len())
            .field("tile", &self.tile)
            .finish()
    }
}

impl SpliceAi {
    /// Loads the first `models` networks from `dir`.
    pub fn load(dir: &Path, models: usize) -> Result<Self, Error> {
        let nets = weight_files(dir, models)?
            .iter()
            .map(|p| Network::load(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_networks(nets))
    }

    /// Wraps already loaded networks.
    pub fn from_networks(nets: Vec<Network>) -> Self {
        Self {
            nets: nets
                .into_iter()
                .map(|n| {
                    let e = program::extents(&n.nodes);
                    (n, e)
                })
                .collect(),
            tile: DEFAULT_TILE,
            pool: Mutex::new(Vec::new()),
        }
    }

    /// Sets the tile length (outputs per forward pass); results do not depend on it.
    pub fn with_tile(mut self, tile: usize) -> Self {
        self.tile = tile.max(1);
        self
    }

    /// Networks averaged.
    pub fn models(&self) -> usize {
        self.nets.len()
    }

    /// Bases of context each side of a scored position (5,000).
    pub fn flank(&self) -> usize {
        self.nets.iter().map(|(n, _)| n.context).max().unwrap_or(0)
    }

    /// Multiply-adds per scored position over all networks, flanks not counted.
    pub fn flops_per_position(&self) -> u64 {
        self.nets.iter().map(|(n, _)| n.flops_per_position()).sum()
    }

    /// Scores the middle `padded.len() − 2·flank()` bases of `padded` (already oriented; the
    /// flanks are context only). Returns P(donor) and P(acceptor) per scored base.
    pub fn score_padded(&self, padded: &[u8]) -> Scores {
        let ctx = self.flank();
        let len = padded.len().saturating_sub(2 * ctx);
        let mut scores = Scores::zeros(len);
        if len == 0 || self.nets.is_empty() {
            return scores;
        }
        let mut scratch = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        let tiles = len.div_ceil(self.tile);
        let step = len.div_ceil(tiles);
        let mut onehot = Vec::new();
        let mut probs = Vec::new();
        let mut sum = Vec::new();
        for start in (0..len).step_by(step) {
            let n = step.min(len - start);
            encode(&padded[start..start + n + 2 * ctx], &mut onehot);
            sum.clear();
            sum.resize(n * 3, 0.0f32);
            for (net, ext) in &self.nets {
                probs.clear();
                probs.resize(n * 3, 0.0f32);
                // Networks with a smaller context read the middle of the one-hot rows.
                let skip = (ctx - net.context) * 4;
                program::run(net, ext, &onehot[skip..], n, &mut probs, &mut scratch);
                for (s, p) in sum.iter_mut().zip(&probs) {
                    *s += p;
                }
            }
            let k = self.nets.len() as f32;
            for j in 0..n {
                scores.acceptor[start + j] = sum[j * 3 + 1] / k;
                scores.donor[start + j] = sum[j * 3 + 2] / k;
            }
        }
        if let Ok(mut p) = self.pool.lock() {
            p.push(scratch);
        }
        scores
    }
}

/// One-hot rows (A, C, G, T); anything else is all zeros.
fn encode(seq: &[u8], out: &mut Vec<f32>) {
    out.clear();
    out.resize(seq.len() * 4, 0.0);
    for (row, &b) in out.chunks_exact_mut(4).zip(seq) {
        match b {
            b'A' | b'a' => row[0] = 1.0,
            b'C' | b'c' => row[1] = 1.0,
            b'G' | b'g' => row[2] = 1.0,
            b'T' | b't' => row[3] = 1.0,
            _ => {}
        }
    }
}

impl ScoreSource for SpliceAi {
    fn context(&self) -> usize {
        self.flank()
    }

    fn score(&self, _gene: &Gene, region: &GeneRegion) -> Scores {
        let ctx = self.flank();
        if region.outer.len() == region.len() + 2 * ctx {
            self.score_padded(&region.outer)
        } else {
            // No genomic context was cut for this region: treat it as N.
            let mut padded = vec![b'N'; region.len() + 2 * ctx];
            padded[ctx..ctx + region.len()].copy_from_slice(&region.seq);
            self.score_padded(&padded)
        }
    }
}
