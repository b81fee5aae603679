//! Scoring the variants of one contig with SpliceAI, sharing work the CLI repeats.
//!
//! SpliceAI's CLI runs, for every allele and gene, five networks over a 10,000 + 2D + 1 nt
//! reference window and again over the ALT window. Here:
//! - the **reference** is computed once per *cluster*: the alleles of one gene whose scored
//!   spans (±D) lie close together share one window (the gene's sequence with N outside its
//!   transcript, exactly SpliceAI's padding, so every position sees the same input as in its
//!   own window);
//! - an **SNV** costs only its cone ([`crate::basemodel::spliceai::Change`]): the positions of
//!   each layer that differ from the reference and that its 2D+1 outputs still need;
//! - an **indel** gets a full ALT window, as in SpliceAI;
//! - every (window, network) pair is one task for the thread pool, and the networks are
//!   averaged in file order afterwards, so results are bit-identical for any thread count.
//!
//! Memory: a cluster spans at most [`MAX_SPAN`] outputs and holds at most [`MAX_CHANGES`]
//! SNVs, which bounds a task's activations (about 60 MB at the limits); a batch's results are
//! a few floats per scored position.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::delta::{self, Allele, CONTEXT, Delta};
use crate::basemodel::spliceai::{Change, SpliceAi};
use crate::genome::Strand;

/// The most outputs a shared reference window covers.
pub const MAX_SPAN: u64 = 50_000;

/// The most SNVs computed on one reference window at once.
pub const MAX_CHANGES: usize = 32;

/// Scored spans further apart than this get separate windows: below it, the positions between
/// them cost less than a second window's flanks.
const MERGE_GAP: u64 = 5_000;

/// A gene as the engine needs it: its transcript span (1-based, inclusive) and strand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First base of the transcript.
    pub tx_start: u64,
    /// Last base of the transcript.
    pub tx_end: u64,
    /// Strand the gene is read on.
    pub strand: Strand,
}

/// One allele of one variant to score against one gene.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The gene.
    pub gene: Span,
    /// The variant's position (1-based).
    pub pos: u64,
    /// REF, as in the VCF (it matches the genome).
    pub reference: String,
    /// The ALT allele (scored: an SNV or a simple indel).
    pub alt: String,
}

/// The probabilities SpliceAI's delta scores compare, genome order, `cov` rows of 3.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// Reference.
    pub y_ref: Vec<f32>,
    /// ALT, aligned to the reference (see [`delta::align_alt`]), or as the ALT window yields
    /// it from an [`Engine::unaligned`] engine.
    pub y_alt: Vec<f32>,
}

impl Pair {
    /// The delta scores of this pair.
    pub fn delta(&self, distance: u32, boundary: i64, mask: bool) -> Delta {
        delta::delta(
            &self.y_ref,
            &self.y_alt,
            2 * distance as usize + 1,
            boundary,
            mask,
        )
    }
}

impl Pair {
    /// The pair an engine at distance `distance` gives for `job`, cut from this pair of an
    /// [`Engine::unaligned`] engine at distance `distance + reach` (each output depends only
    /// on its own 10,001 nt of input, computed alike in any window, so the rows are the same
    /// bits).
    pub fn narrow(&self, job: &Job, reach: u32, distance: u32) -> Pair {
        let (r, cov) = (reach as usize, 2 * distance as usize + 1);
        let (ref_len, alt_len) = (job.reference.len(), job.alt.len());
        let alt_rows = cov + alt_len - ref_len;
        let y_alt = self.y_alt[r * 3..(r + alt_rows) * 3].to_vec();
        Pair {
            y_ref: self.y_ref[r * 3..(r + cov) * 3].to_vec(),
            y_alt: if ref_len == 1 && alt_len == 1 {
                y_alt
            } else {
                delta::align_alt(y_alt, cov, ref_len, alt_len)
            },
        }
    }
}

/// The scorer: SpliceAI's networks, the distance D and a thread count.
pub struct Engine<'a> {
    model: &'a SpliceAi,
    distance: u64,
    threads: usize,
    unaligned: bool,
}

/// A shared reference window and the SNVs computed on it.
struct Window {
    gene: Span,
    /// First and last output (genome positions).
    first: u64,
    last: u64,
    /// Jobs (indices) that are SNVs on this window, and the jobs that only read its reference.
    snvs: Vec<usize>,
    readers: Vec<usize>,
}

/// One unit of work for a thread: network `net` over a window (with its SNVs) or over an
/// indel's ALT window.
#[derive(Clone, Copy)]
enum Task {
    Window { window: usize, net: usize },
    Indel { job: usize, net: usize },
}

/// One network's reference probabilities over a window and its SNVs' ALT probabilities.
type WindowPart = (Vec<f32>, Vec<Vec<f32>>);

/// What a task gives back.
enum Output {
    Window(Vec<f32>, Vec<Vec<f32>>),
    Indel(Vec<f32>),
}

impl<'a> Engine<'a> {
    /// An engine for distance `distance` (SpliceAI's `-D`).
    pub fn new(model: &'a SpliceAi, distance: u32, threads: usize) -> Self {
        Self {
            model,
            distance: distance as u64,
            threads: threads.max(1),
            unaligned: false,
        }
    }

    /// The same engine giving an indel's ALT probabilities as the ALT window yields them
    /// (2D + 1 + len(ALT) − len(REF) rows, genome order), not aligned to the reference: what
    /// the meta-model's features are computed on.
    pub fn unaligned(mut self) -> Self {
        self.unaligned = true;
        self
    }

    /// Scores `jobs` on `contig` (its letters, `contig[0]` = position 1). Every job's window
    /// (position ± (5,000 + D)) must lie inside the contig. Returns one [`Pair`] per job, in
    /// order.
    pub fn score(&self, contig: &[u8], jobs: &[Job]) -> Vec<Pair> {
        let windows = self.windows(jobs);
        let nets = self.model.networks();
        let mut tasks = Vec::new();
        for w in 0..windows.len() {
            tasks.extend((0..nets).map(|net| Task::Window { window: w, net }));
        }
        for (j, job) in jobs.iter().enumerate() {
            if job.reference.len() != 1 || job.alt.len() != 1 {
                tasks.extend((0..nets).map(|net| Task::Indel { job: j, net }));
            }
        }
        // Work estimates in positions computed: a window's outputs plus its flank cone (about
        // 7,000 positions' worth) and a quarter of that per SNV cone; an indel's full window.
        let cost = |task: Task| match task {
            Task::Window { window, .. } => {
                let w = &windows[window];
                (w.last - w.first + 1) + 7_000 + 1_750 * w.snvs.len() as u64
            }
            Task::Indel { .. } => 7_000 + 2 * self.distance,
        };
        let outputs = self.run(&tasks, cost, |task| match task {
            Task::Window { window, net } => {
                let w = &windows[window];
                let (onehot, n) = self.window_input(contig, w);
                let changes: Vec<Change> =
                    w.snvs.iter().map(|&j| self.change(w, &jobs[j])).collect();
                let (r, a) = self.model.predict_net(net, &onehot, n, &changes);
                Output::Window(r, a)
            }
            Task::Indel { job, net } => {
                let (onehot, n) = self.alt_input(contig, &jobs[job]);
                Output::Indel(self.model.predict_net(net, &onehot, n, &[]).0)
            }
        });
        self.assemble(jobs, &windows, &tasks, outputs)
    }

    /// Groups the jobs by gene into shared reference windows.
    fn windows(&self, jobs: &[Job]) -> Vec<Window> {
        let d = self.distance;
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&j| {
            let g = &jobs[j].gene;
            (
                g.tx_start,
                g.tx_end,
                g.strand == Strand::Reverse,
                jobs[j].pos,
                j,
            )
        });
        let mut windows: Vec<Window> = Vec::new();
        for j in order {
            let job = &jobs[j];
            let snv = job.reference.len() == 1 && job.alt.len() == 1;
            let (first, last) = (job.pos - d, job.pos + d);
            let fits = windows.last().is_some_and(|w| {
                w.gene == job.gene
                    && first <= w.last + MERGE_GAP
                    && last.max(w.last) - w.first < MAX_SPAN
                    && (!snv || w.snvs.len() < MAX_CHANGES)
            });
            if !fits {
                windows.push(Window {
                    gene: job.gene,
                    first,
                    last,
                    snvs: Vec::new(),
                    readers: Vec::new(),
                });
            }
            let w = windows.last_mut().expect("a window was just pushed");
            w.last = w.last.max(last);
            if snv {
                w.snvs.push(j);
            }
            w.readers.push(j);
        }
        windows
    }

    /// The letters of genome positions `lo..=hi` as SpliceAI pads them for `gene`: N outside
    /// its transcript (and so outside the contig).
    fn letters(contig: &[u8], gene: &Span, lo: i64, hi: i64) -> Vec<u8> {
        (lo..=hi)
            .map(|q| {
                if q < gene.tx_start as i64 || q > gene.tx_end as i64 || q < 1 {
                    b'N'
                } else {
                    contig.get(q as usize - 1).copied().unwrap_or(b'N')
                }
            })
            .collect()
    }

    /// A window's one-hot input (oriented) and its number of outputs.
    fn window_input(&self, contig: &[u8], w: &Window) -> (Vec<f32>, usize) {
        let letters = Self::letters(
            contig,
            &w.gene,
            w.first as i64 - CONTEXT as i64,
            (w.last + CONTEXT) as i64,
        );
        let mut onehot = Vec::new();
        delta::onehot(&letters, w.gene.strand == Strand::Reverse, &mut onehot);
        (onehot, (w.last - w.first + 1) as usize)
    }

    /// Where an SNV sits in its window's orientation.
    fn oriented(w: &Window, pos: u64) -> isize {
        match w.gene.strand {
            Strand::Forward => (pos - w.first) as isize,
            Strand::Reverse => (w.last - pos) as isize,
        }
    }

    fn change(&self, w: &Window, job: &Job) -> Change {
        let at = Self::oriented(w, job.pos);
        let mut code = delta::code(job.alt.as_bytes()[0]);
        if w.gene.strand == Strand::Reverse {
            code = delta::complement(code);
        }
        let d = self.distance as isize;
        Change {
            at,
            row: delta::row(code),
            outputs: (at - d) as usize..(at + d + 1) as usize,
        }
    }

    /// An indel's ALT window (SpliceAI's `x_alt`), oriented, and its number of outputs.
    fn alt_input(&self, contig: &[u8], job: &Job) -> (Vec<f32>, usize) {
        let half = CONTEXT + self.distance;
        let (pos, half_i) = (job.pos as i64, half as i64);
        let x_ref = Self::letters(contig, &job.gene, pos - half_i, pos + half_i);
        let centre = half as usize;
        let mut x_alt = Vec::with_capacity(x_ref.len() + job.alt.len());
        x_alt.extend_from_slice(&x_ref[..centre]);
        x_alt.extend_from_slice(job.alt.as_bytes());
        x_alt.extend_from_slice(&x_ref[centre + job.reference.len()..]);
        let mut onehot = Vec::new();
        delta::onehot(&x_alt, job.gene.strand == Strand::Reverse, &mut onehot);
        (onehot, x_alt.len() - 2 * CONTEXT as usize)
    }

    /// Runs `tasks` on up to `threads` threads, the costliest first (`cost` estimates each) so
    /// that no thread is left with a long task at the end; outputs in task order.
    fn run(
        &self,
        tasks: &[Task],
        cost: impl Fn(Task) -> u64,
        f: impl Fn(Task) -> Output + Sync,
    ) -> Vec<Output> {
        let slots: Vec<Mutex<Option<Output>>> = tasks.iter().map(|_| Mutex::new(None)).collect();
        let mut order: Vec<usize> = (0..tasks.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(cost(tasks[i])));
        let next = AtomicUsize::new(0);
        let work = || {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let task = tasks[i];
                let out = f(task);
                if let Ok(mut s) = slots[i].lock() {
                    *s = Some(out);
                }
            }
        };
        let workers = self.threads.min(tasks.len());
        if workers <= 1 {
            work();
        } else {
            std::thread::scope(|s| {
                for _ in 0..workers {
                    s.spawn(work);
                }
            });
        }
        slots
            .into_iter()
            .map(|s| s.into_inner().ok().flatten().expect("every task was run"))
            .collect()
    }

    /// Averages the networks and cuts each job's `cov` rows, in genome order.
    fn assemble(
        &self,
        jobs: &[Job],
        windows: &[Window],
        tasks: &[Task],
        outputs: Vec<Output>,
    ) -> Vec<Pair> {
        let nets = self.model.networks();
        let d = self.distance as usize;
        let cov = 2 * d + 1;
        let mut win_parts: Vec<Vec<WindowPart>> =
            windows.iter().map(|_| Vec::with_capacity(nets)).collect();
        let mut indel_parts: Vec<Vec<Vec<f32>>> = jobs.iter().map(|_| Vec::new()).collect();
        // Tasks were made network by network in file order, so the parts arrive in that order.
        for (task, out) in tasks.iter().zip(outputs) {
            match (task, out) {
                (Task::Window { window, .. }, Output::Window(r, a)) => {
                    win_parts[*window].push((r, a))
                }
                (Task::Indel { job, .. }, Output::Indel(p)) => indel_parts[*job].push(p),
                _ => unreachable!("a task's output is of its kind"),
            }
        }
        let mut pairs: Vec<Option<Pair>> = jobs.iter().map(|_| None).collect();
        for (w, parts) in windows.iter().zip(&win_parts) {
            let y_ref = SpliceAi::average(parts.iter().map(|p| &p.0[..]));
            let reverse = w.gene.strand == Strand::Reverse;
            // A job's cov rows of a window-oriented vector starting at oriented index `from`.
            let cut =
                |v: &[f32], from: usize| genome_order(&v[from * 3..(from + cov) * 3], reverse);
            for &j in &w.readers {
                let from = Self::oriented(w, jobs[j].pos) as usize - d;
                let y_alt = if let Some(k) = w.snvs.iter().position(|&s| s == j) {
                    let alt = SpliceAi::average(parts.iter().map(|p| &p.1[k][..]));
                    genome_order(&alt, reverse)
                } else {
                    let alt = SpliceAi::average(indel_parts[j].iter().map(|p| &p[..]));
                    let job = &jobs[j];
                    if self.unaligned {
                        genome_order(&alt, reverse)
                    } else {
                        delta::align_alt(
                            genome_order(&alt, reverse),
                            cov,
                            job.reference.len(),
                            job.alt.len(),
                        )
                    }
                };
                pairs[j] = Some(Pair {
                    y_ref: cut(&y_ref, from),
                    y_alt,
                });
            }
        }
        pairs
            .into_iter()
            .map(|p| p.expect("every job is read from a window"))
            .collect()
    }
}

/// Rows of 3 in genome order: reversed for a minus-strand window.
fn genome_order(v: &[f32], reverse: bool) -> Vec<f32> {
    if reverse {
        v.chunks_exact(3).rev().flatten().copied().collect()
    } else {
        v.to_vec()
    }
}

/// Whether SpliceAI scores `alt` (an SNV or a simple indel) — see [`delta::allele`].
pub fn is_scored(reference: &str, alt: &str) -> bool {
    delta::allele(reference, alt) == Allele::Scored
}
