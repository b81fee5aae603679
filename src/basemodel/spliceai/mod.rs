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
//!   flanks, spread over threads; every output is computed in the same order whatever the tile or
//!   thread, so scores are bit-identical for any tile length and thread count;
//! - neighbouring genes of one strand share one window ([`ScoreSource::score_many`]).
//!
//! Memory per scoring thread is bounded by the tile, not the gene: about
//! `5 × (tile + 10,000) × 32 × 4` bytes of activations (≈ 38 MB at the default tile), plus the
//! gene's own sequence and scores.

mod conv;
mod error;
mod keras;
mod program;
#[allow(unsafe_code)]
mod simd;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use conv::Conv;
pub use error::{Error, Problem};
pub use keras::{Network, Node, Op, fold_batch_norm};
pub use program::Change;

use super::{ScoreSource, Scores};
use crate::genome::{Gene, GeneRegion, Strand};

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
    threads: usize,
    pool: Mutex<Vec<program::Scratch>>,
}

impl std::fmt::Debug for SpliceAi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpliceAi")
            .field("models", &self.nets.len())
            .field("tile", &self.tile)
            .finish()
    }
}

/// Reads and checks one weight file (`spliceaiN.h5`) as [`SpliceAi::load`] does, and the
/// extents of its layers: `Ok` if it is a SpliceAI network spliceforge can run.
pub fn check_weight_file(path: &Path) -> Result<(), Error> {
    let n = Network::load(path)?;
    let _ = program::extents(&n.nodes);
    Ok(())
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
            threads: crate::cluster::default_threads(),
            pool: Mutex::new(Vec::new()),
        }
    }

    /// Sets the tile length (outputs per forward pass); results do not depend on it.
    pub fn with_tile(mut self, tile: usize) -> Self {
        self.tile = tile.max(1);
        self
    }

    /// Bases of context each side of a scored position (5,000).
    pub fn flank(&self) -> usize {
        self.nets.iter().map(|(n, _)| n.context).max().unwrap_or(0)
    }

    /// Multiply-adds per scored position over all networks, flanks not counted.
    pub fn flops_per_position(&self) -> u64 {
        self.nets.iter().map(|(n, _)| n.flops_per_position()).sum()
    }

    /// Sets the most threads one long window's tiles are spread over (default: the cores).
    /// Results do not depend on it.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Scores the middle `padded.len() − 2·flank()` bases of `padded` (already oriented; the
    /// flanks are context only). Returns P(donor) and P(acceptor) per scored base. A window of
    /// several tiles spreads them over up to `with_threads` threads.
    pub fn score_padded(&self, padded: &[u8]) -> Scores {
        let ctx = self.flank();
        let len = padded.len().saturating_sub(2 * ctx);
        let mut scores = Scores::zeros(len);
        if len == 0 || self.nets.is_empty() {
            return scores;
        }
        let tiles = len.div_ceil(self.tile);
        let step = len.div_ceil(tiles);
        let starts: Vec<usize> = (0..len).step_by(step).collect();
        let mut parts: Vec<Option<Vec<f32>>> = vec![None; starts.len()];
        let workers = self.threads.min(starts.len());
        if workers <= 1 {
            for (k, &start) in starts.iter().enumerate() {
                parts[k] = Some(self.score_tile(padded, start, step.min(len - start)));
            }
        } else {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let done = Mutex::new(&mut parts);
            std::thread::scope(|s| {
                for _ in 0..workers {
                    s.spawn(|| {
                        loop {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let Some(&start) = starts.get(k) else { break };
                            let t = self.score_tile(padded, start, step.min(len - start));
                            if let Ok(mut d) = done.lock() {
                                d[k] = Some(t);
                            }
                        }
                    });
                }
            });
        }
        for (&start, part) in starts.iter().zip(parts) {
            let sum = part.expect("every tile was scored");
            let k = self.nets.len() as f32;
            for (j, p) in sum.chunks_exact(3).enumerate() {
                scores.acceptor[start + j] = p[1] / k;
                scores.donor[start + j] = p[2] / k;
            }
        }
        scores
    }

    /// A thread's buffers: one left by an earlier pass, or new.
    fn scratch(&self) -> program::Scratch {
        (self.pool.lock().ok())
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    /// Gives a pass's buffers back for the next one.
    fn recycle(&self, scratch: program::Scratch) {
        if let Ok(mut p) = self.pool.lock() {
            p.push(scratch);
        }
    }

    /// The summed class probabilities of every network (in file order) for `n` outputs from
    /// `start`: 3 per position.
    fn score_tile(&self, padded: &[u8], start: usize, n: usize) -> Vec<f32> {
        let ctx = self.flank();
        let mut scratch = self.scratch();
        let mut onehot = Vec::new();
        encode(&padded[start..start + n + 2 * ctx], &mut onehot);
        let mut sum = vec![0.0f32; n * 3];
        let mut probs = vec![0.0f32; n * 3];
        for (net, ext) in &self.nets {
            // Networks with a smaller context read the middle of the one-hot rows.
            let skip = (ctx - net.context) * 4;
            program::run(net, ext, &onehot[skip..], n, &mut probs, &mut scratch);
            for (s, p) in sum.iter_mut().zip(&probs) {
                *s += p;
            }
        }
        self.recycle(scratch);
        sum
    }
}

impl SpliceAi {
    /// Number of networks loaded.
    pub fn networks(&self) -> usize {
        self.nets.len()
    }

    /// Class probabilities (neither, acceptor, donor; 3 per output) that network `net` gives a
    /// window already encoded as one-hot rows (`n + 2·flank()` of them, 4 channels each); and
    /// the same for each change applied alone, over its outputs (see [`Change`]): computed only
    /// where it differs from the reference, to the same bits as a full pass over the changed
    /// window. Runs on the calling thread; [`SpliceAi::average`] combines the networks.
    pub fn predict_net(
        &self,
        net: usize,
        onehot: &[f32],
        n: usize,
        changes: &[Change],
    ) -> (Vec<f32>, Vec<Vec<f32>>) {
        let ctx = self.flank();
        debug_assert_eq!(onehot.len(), (n + 2 * ctx) * 4);
        let mut scratch = self.scratch();
        let (net, ext) = &self.nets[net];
        let mut probs = vec![0.0f32; n * 3];
        let mut alt: Vec<Vec<f32>> = vec![Vec::new(); changes.len()];
        let skip = (ctx - net.context) * 4;
        program::run_changes(
            net,
            ext,
            &onehot[skip..],
            n,
            changes,
            &mut probs,
            &mut alt,
            &mut scratch,
        );
        self.recycle(scratch);
        (probs, alt)
    }

    /// The networks' outputs averaged as SpliceAI averages them (NumPy's mean over the
    /// networks: summed in file order, then divided by their number).
    pub fn average<'a>(parts: impl ExactSizeIterator<Item = &'a [f32]>) -> Vec<f32> {
        let k = parts.len() as f32;
        let mut sum: Vec<f32> = Vec::new();
        for p in parts {
            if sum.is_empty() {
                sum = vec![0.0; p.len()];
            }
            for (s, v) in sum.iter_mut().zip(p) {
                *s += v;
            }
        }
        sum.iter_mut().for_each(|v| *v /= k);
        sum
    }
}

impl SpliceAi {
    /// Scores the window spanning the regions of `chain` (same strand, overlapping contexts) once
    /// and gives each region its part.
    fn score_chain(&self, regions: &[&GeneRegion], chain: &[usize], out: &mut [Option<Scores>]) {
        if let [i] = chain {
            // A window of one: its own context, already oriented.
            out[*i] = Some(self.score_padded(&regions[*i].outer));
            return;
        }
        let ctx = self.flank() as u64;
        let lo = chain.iter().map(|&i| regions[i].lo).min().unwrap_or(0);
        let hi = chain.iter().map(|&i| regions[i].hi).max().unwrap_or(0);
        // The window's bases lo − ctx ..= hi + ctx in the chain's orientation, from the regions'
        // contexts (already in that orientation; their union covers the window, and where they
        // overlap they hold the same bases). `first` is a region's first local base in it.
        let strand = regions[chain[0]].strand;
        let first = |r: &GeneRegion| match strand {
            Strand::Forward => (r.lo - lo) as usize,
            Strand::Reverse => (hi - r.hi) as usize,
        };
        let span = (hi - lo + 1 + 2 * ctx) as usize;
        let mut padded = vec![b'N'; span];
        for &i in chain {
            let r = regions[i];
            padded[first(r)..][..r.outer.len()].copy_from_slice(&r.outer);
        }
        let all = self.score_padded(&padded);
        for &i in chain {
            let r = regions[i];
            let first = first(r);
            out[i] = Some(Scores {
                donor: all.donor[first..first + r.len()].to_vec(),
                acceptor: all.acceptor[first..first + r.len()].to_vec(),
            });
        }
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

/// Regions whose gaps are at most this many bases are scored as one window: below it the bases
/// between them cost less than the second window's flanks would.
const MERGE_GAP: u64 = 5_000;

impl ScoreSource for SpliceAi {
    fn context(&self) -> usize {
        self.flank()
    }

    fn score_many(&self, genes: &[&Gene], regions: &[&GeneRegion]) -> Vec<Scores> {
        let ctx = self.flank();
        let mut out: Vec<Option<Scores>> = vec![None; regions.len()];
        for strand in [Strand::Forward, Strand::Reverse] {
            // Chains of same-strand regions, in genomic order, with small gaps and context cut.
            let mut chain: Vec<usize> = Vec::new();
            let mut hi = 0;
            let idx: Vec<usize> = (0..regions.len())
                .filter(|&i| {
                    regions[i].strand == strand
                        && regions[i].outer.len() == regions[i].len() + 2 * ctx
                })
                .collect();
            for (n, &i) in idx.iter().enumerate() {
                chain.push(i);
                hi = hi.max(regions[i].hi);
                let next_close = idx
                    .get(n + 1)
                    .is_some_and(|&k| regions[k].lo <= hi + MERGE_GAP + 1);
                if !next_close {
                    self.score_chain(regions, &chain, &mut out);
                    chain.clear();
                    hi = 0;
                }
            }
        }
        out.into_iter()
            .enumerate()
            .map(|(i, s)| s.unwrap_or_else(|| self.score(genes[i], regions[i])))
            .collect()
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
