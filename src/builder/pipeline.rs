//! The build pipeline: a reader thread (genome → gene regions), scoring workers (the base model),
//! feature workers (labels, sampling, features) and the writer (this thread, in `write.rs`:
//! ordered rows → Parquet parts → manifest commits), joined by bounded channels so that memory
//! stays bounded whatever the number of genes.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use arrow_schema::Schema as ArrowSchema;

use super::prepare::Prepared;
use super::write::{Written, write_stage};
use crate::Error;
use crate::basemodel::{ScoreSource, Scores};
use crate::features::{GeneRows, RowConfig, Schema, gene_rows};
use crate::genome::{GeneRegion, fasta};
use crate::store::part::gene_batch;

/// Busy time and throughput of one stage.
#[derive(Debug, Clone)]
pub struct StageStats {
    /// Stage name.
    pub name: &'static str,
    /// Threads in the stage.
    pub threads: usize,
    /// Genes it handled.
    pub genes: u64,
    /// Bases it handled (gene regions, flanks included).
    pub nt: u64,
    /// Summed busy time of its threads.
    pub busy: Duration,
}

/// What a pipeline run did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Stages: read, compute, write.
    pub stages: Vec<StageStats>,
    /// Wall time of the pipeline.
    pub wall: Duration,
    /// Batches committed by this run.
    pub batches: usize,
    /// Genes written by this run.
    pub genes: u64,
    /// Rows written by this run.
    pub rows: u64,
    /// Bytes of Parquet written by this run.
    pub bytes: u64,
}

struct Job {
    seq: usize,
    region: GeneRegion,
}

/// A job and its base-model scores, on their way to the feature workers.
struct Scored {
    job: Job,
    scores: Scores,
}

/// A gene's rows and their Arrow batch, on their way to the writer.
pub(super) struct Built {
    pub(super) seq: usize,
    pub(super) rows: GeneRows,
    pub(super) batch: RecordBatch,
}

/// Most genes scored as one group (bounded so the reader stays within its window).
const MAX_CLUSTER: usize = 16;
/// A gene joins the group when its region starts at most this far after the group's end.
const CLUSTER_GAP: u64 = 5_000;

/// Whether `next` joins a group of `len` genes on `contig` whose regions end at `hi`.
pub(super) fn joins_cluster(
    len: usize,
    hi: u64,
    contig: &str,
    next: &crate::genome::Gene,
    flank: u64,
) -> bool {
    len < MAX_CLUSTER
        && next.contig == contig
        && next.start.saturating_sub(flank) <= hi + CLUSTER_GAP
}

/// Shared flow control: the reader may run at most `window` genes ahead of the writer.
pub(super) struct Flow {
    written: Mutex<usize>,
    cond: Condvar,
    abort: AtomicBool,
}

impl Flow {
    fn new() -> Self {
        Flow {
            written: Mutex::new(0),
            cond: Condvar::new(),
            abort: AtomicBool::new(false),
        }
    }

    /// Stops the reader: it sends nothing more and stops waiting for the writer.
    fn abort_run(&self) {
        self.abort.store(true, Ordering::SeqCst);
        self.cond.notify_all();
    }

    fn aborted(&self) -> bool {
        self.abort.load(Ordering::SeqCst)
    }

    /// Blocks until the writer is close enough for gene `last` to be sent, or the run aborts.
    fn wait_for_room(&self, last: usize, window: usize) -> Result<(), Error> {
        let mut w = self
            .written
            .lock()
            .map_err(|_| Error::Internal("lock".into()))?;
        while last >= *w + window && !self.aborted() {
            w = self
                .cond
                .wait(w)
                .map_err(|_| Error::Internal("lock".into()))?;
        }
        Ok(())
    }

    /// Records that the writer has written `next` genes and wakes the reader.
    pub(super) fn mark_written(&self, next: usize) {
        if let Ok(mut w) = self.written.lock() {
            *w = next;
        }
        self.cond.notify_all();
    }
}

/// Settings of one pipeline run.
pub struct Settings<'a> {
    /// The dataset directory.
    pub dir: &'a Path,
    /// Genome FASTA.
    pub genome: &'a Path,
    /// Bases around each gene.
    pub flank: u64,
    /// Row settings.
    pub rows: &'a RowConfig,
    /// Rows per row group.
    pub batch_rows: usize,
    /// Feature threads.
    pub threads: usize,
    /// Scoring threads.
    pub score_threads: usize,
    /// The numbers (from 1) of the batches `prep.genes` falls into, in order: every batch of
    /// the plan, or a shard's share of them.
    pub batches: &'a [usize],
    /// How many of `batches` are committed already (the run resumes after them).
    pub committed: usize,
    /// Show a progress bar.
    pub progress: bool,
}

/// Where a run starts, how much it has to do and with how many threads.
#[derive(Clone, Copy)]
struct Shape {
    /// Index of the first gene to build.
    first_gene: usize,
    /// Genes left to build.
    pending: usize,
    /// Feature threads.
    threads: usize,
    /// Scoring threads.
    score_threads: usize,
    /// Genes the reader may run ahead of the writer.
    window: usize,
}

impl Shape {
    fn new(s: &Settings<'_>, prep: &Prepared) -> Self {
        // Every batch may be committed already (a run killed before it finished the
        // dataset): nothing is left to build then.
        let first_gene = (s.committed * prep.plan.batch_size).min(prep.genes.len());
        let threads = s.threads.max(1);
        Shape {
            first_gene,
            pending: prep.genes.len().saturating_sub(first_gene),
            threads,
            score_threads: s.score_threads.max(1),
            window: 8 * threads + 16 + MAX_CLUSTER,
        }
    }
}

/// What the reader did.
#[derive(Debug, Clone, Copy)]
struct ReadTally {
    busy: Duration,
    /// Genes sent to the scorers.
    genes: u64,
    nt: u64,
}

/// What the scorers did.
#[derive(Debug, Clone, Copy, Default)]
struct ScoreTally {
    busy: Duration,
    nt: u64,
}

impl std::iter::Sum for ScoreTally {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(ScoreTally::default(), |a, b| ScoreTally {
            busy: a.busy + b.busy,
            nt: a.nt + b.nt,
        })
    }
}

/// Builds the batches of `prep` after the committed ones, committing each.
pub fn run(s: &Settings<'_>, prep: &Prepared, schema: &Schema) -> Result<Outcome, Error> {
    let start = Instant::now();
    let shape = Shape::new(s, prep);
    let first_gene = shape.first_gene;
    let flow = Flow::new();
    let (job_tx, job_rx) = sync_channel::<Vec<Job>>(2 * shape.score_threads);
    let (scored_tx, scored_rx) = sync_channel::<Scored>(2 * shape.threads);
    let (row_tx, row_rx) = sync_channel::<Built>(2 * shape.threads);
    let arrow = Arc::new(schema.arrow());
    let job_rx = Arc::new(Mutex::new(job_rx));
    let scored_rx = Arc::new(Mutex::new(scored_rx));
    let bar = crate::progress::genes(s.progress, shape.pending);

    std::thread::scope(|scope| {
        let reader = scope.spawn(|| read_stage(s, prep, first_gene, job_tx, &flow, shape.window));
        let scorers = spawn_scorers(scope, &shape, &job_rx, &scored_tx, prep);
        drop(scored_tx);
        let features = Features {
            s,
            prep,
            schema,
            arrow,
            first_gene,
            flow: &flow,
        };
        let workers = spawn_feature_workers(scope, shape.threads, &scored_rx, &row_tx, &features);
        // Only the workers may keep the job queue open: if they all stop (the writer failed),
        // the reader's next send fails instead of blocking forever.
        drop(job_rx);
        drop(scored_rx);
        drop(row_tx);
        let written = write_stage(s, prep, first_gene, shape.pending, row_rx, &flow, &bar);
        if written.is_err() {
            flow.abort_run();
        }
        let joined = join_stages(reader, scorers, workers);
        bar.finish_and_clear();
        let written = written?;
        let read = joined.read?;
        // A feature worker's failure is the cause of the writer's shortfall: reported first.
        joined.compute?;
        if written.genes < shape.pending as u64 {
            return Err(Error::Internal(format!(
                "the pipeline stopped after {} of {} genes",
                written.genes, shape.pending
            )));
        }
        let stages = stage_stats(&shape, read, joined.scored, joined.compute_busy, &written);
        Ok(Outcome {
            stages,
            wall: start.elapsed(),
            batches: written.batches,
            genes: written.genes,
            rows: written.rows,
            bytes: written.bytes,
        })
    })
}

/// Starts the scoring threads.
fn spawn_scorers<'scope>(
    scope: &'scope Scope<'scope, '_>,
    shape: &Shape,
    rx: &Arc<Mutex<Receiver<Vec<Job>>>>,
    tx: &SyncSender<Scored>,
    prep: &'scope Prepared,
) -> Vec<ScopedJoinHandle<'scope, ScoreTally>> {
    let first_gene = shape.first_gene;
    let mut scorers = Vec::new();
    for _ in 0..shape.score_threads {
        let rx = Arc::clone(rx);
        let tx = tx.clone();
        let source = Arc::clone(&prep.source);
        scorers.push(scope.spawn(move || score_worker(rx, tx, source, prep, first_gene)));
    }
    scorers
}

/// Starts the `threads` feature threads.
fn spawn_feature_workers<'scope>(
    scope: &'scope Scope<'scope, '_>,
    threads: usize,
    rx: &Arc<Mutex<Receiver<Scored>>>,
    tx: &SyncSender<Built>,
    features: &Features<'scope>,
) -> Vec<ScopedJoinHandle<'scope, Result<Duration, Error>>> {
    let mut workers = Vec::new();
    for _ in 0..threads {
        let rx = Arc::clone(rx);
        let tx = tx.clone();
        let features = features.clone();
        workers.push(scope.spawn(move || feature_worker(rx, tx, features)));
    }
    workers
}

/// What the stage threads report once joined.
struct Joined {
    read: Result<ReadTally, Error>,
    scored: ScoreTally,
    /// The first failure of a feature thread, if any.
    compute: Result<(), Error>,
    /// Summed busy time of the feature threads.
    compute_busy: Duration,
}

/// Waits for the stage threads, in order: reader, scorers, feature workers.
fn join_stages(
    reader: ScopedJoinHandle<'_, Result<ReadTally, Error>>,
    scorers: Vec<ScopedJoinHandle<'_, ScoreTally>>,
    workers: Vec<ScopedJoinHandle<'_, Result<Duration, Error>>>,
) -> Joined {
    let read = reader
        .join()
        .unwrap_or_else(|_| Err(Error::Internal("reader thread panicked".into())));
    let scored: ScoreTally = scorers
        .into_iter()
        .map(|w| w.join().unwrap_or_default())
        .sum();
    let mut compute = Ok(());
    let mut compute_busy = Duration::ZERO;
    for w in workers {
        match w.join() {
            Ok(Ok(busy)) => compute_busy += busy,
            Ok(Err(e)) => compute = compute.and(Err(e)),
            Err(_) => {
                let panicked = Error::Internal("feature thread panicked".into());
                compute = compute.and(Err(panicked));
            }
        }
    }
    Joined {
        read,
        scored,
        compute,
        compute_busy,
    }
}

/// The closing figures of each stage: read, base model, features, write.
fn stage_stats(
    shape: &Shape,
    read: ReadTally,
    scored: ScoreTally,
    compute_busy: Duration,
    written: &Written,
) -> Vec<StageStats> {
    vec![
        StageStats {
            name: "read genome",
            threads: 1,
            genes: read.genes,
            nt: read.nt,
            busy: read.busy,
        },
        StageStats {
            name: "base model",
            threads: shape.score_threads,
            genes: written.genes,
            nt: scored.nt,
            busy: scored.busy,
        },
        StageStats {
            name: "features",
            threads: shape.threads,
            genes: written.genes,
            nt: scored.nt,
            busy: compute_busy,
        },
        StageStats {
            name: "write + commit",
            threads: 1,
            genes: written.genes,
            nt: scored.nt,
            busy: written.busy,
        },
    ]
}

/// Reads the genome contig by contig and sends the genes' regions to the scorers, genes close
/// enough to share a scoring window together, never more than `window` genes ahead of the writer.
fn read_stage(
    s: &Settings<'_>,
    prep: &Prepared,
    first_gene: usize,
    tx: SyncSender<Vec<Job>>,
    flow: &Flow,
    window: usize,
) -> Result<ReadTally, Error> {
    let mut busy = Duration::ZERO;
    let mut nt = 0u64;
    let context = prep.source.context();
    let genes = &prep.genes[first_gene..];
    let mut next = 0usize;
    let mut genome = fasta::Cursor::open(s.genome)?;
    let mut t = Instant::now();
    while next < genes.len() {
        let Some(contig) = genome.seek(&genes[next].contig)? else {
            break;
        };
        let mut cluster: Vec<Job> = Vec::new();
        let mut cluster_hi = 0u64;
        while next < genes.len() && genes[next].contig == contig.name {
            let region = GeneRegion::with_context(&genes[next], contig, s.flank, context);
            nt += region.len() as u64;
            cluster_hi = cluster_hi.max(region.hi);
            cluster.push(Job { seq: next, region });
            next += 1;
            // Genes close enough to share a scoring window travel together (only for a model
            // with a receptive field; the scores do not depend on the grouping).
            if context > 0
                && genes.get(next).is_some_and(|g| {
                    joins_cluster(cluster.len(), cluster_hi, &contig.name, g, s.flank)
                })
            {
                continue;
            }
            busy += t.elapsed();
            flow.wait_for_room(next - 1, window)?;
            let jobs = std::mem::take(&mut cluster);
            let sent_before = jobs[0].seq as u64;
            cluster_hi = 0;
            if flow.aborted() || tx.send(jobs).is_err() {
                return Ok(ReadTally {
                    busy,
                    genes: sent_before,
                    nt,
                });
            }
            t = Instant::now();
        }
    }
    busy += t.elapsed();
    Ok(ReadTally {
        busy,
        genes: next as u64,
        nt,
    })
}

/// One scoring thread: takes groups of jobs until the reader is done or the feature workers
/// are gone, and passes each job on with its scores.
fn score_worker(
    rx: Arc<Mutex<Receiver<Vec<Job>>>>,
    tx: SyncSender<Scored>,
    source: Arc<dyn ScoreSource>,
    prep: &Prepared,
    first_gene: usize,
) -> ScoreTally {
    let mut tally = ScoreTally::default();
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => break,
        };
        let Ok(jobs) = job else { break };
        let t = Instant::now();
        let genes: Vec<&crate::genome::Gene> = jobs
            .iter()
            .map(|j| &prep.genes[first_gene + j.seq])
            .collect();
        let regions: Vec<&GeneRegion> = jobs.iter().map(|j| &j.region).collect();
        let scores = source.score_many(&genes, &regions);
        tally.nt += regions.iter().map(|r| r.len() as u64).sum::<u64>();
        tally.busy += t.elapsed();
        for (job, scores) in jobs.into_iter().zip(scores) {
            if tx.send(Scored { job, scores }).is_err() {
                return tally;
            }
        }
    }
    tally
}

/// What a feature worker needs besides its channels.
#[derive(Clone)]
struct Features<'a> {
    s: &'a Settings<'a>,
    prep: &'a Prepared,
    schema: &'a Schema,
    arrow: Arc<ArrowSchema>,
    first_gene: usize,
    /// Aborted when this worker fails, so that the reader stops waiting for the writer.
    flow: &'a Flow,
}

/// One feature thread: turns scored genes into rows and Arrow batches until the scorers are
/// done or the writer is gone; returns its busy time. A gene whose rows do not assemble into
/// the dataset's Arrow schema stops the run with Arrow's message (a bug, never lost).
fn feature_worker(
    rx: Arc<Mutex<Receiver<Scored>>>,
    tx: SyncSender<Built>,
    f: Features<'_>,
) -> Result<Duration, Error> {
    let mut busy = Duration::ZERO;
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => break,
        };
        let Ok(Scored { job, scores }) = job else {
            break;
        };
        let t = Instant::now();
        let gene = &f.prep.genes[f.first_gene + job.seq];
        let mut rows = gene_rows(gene, &job.region, &scores, f.schema, f.s.rows);
        let batch = match gene_batch(&f.arrow, &mut rows) {
            Ok(b) => b,
            Err(e) => {
                f.flow.abort_run();
                return Err(Error::Internal(format!(
                    "the rows of gene {} do not assemble into the dataset's Arrow schema: {e}",
                    gene.id
                )));
            }
        };
        busy += t.elapsed();
        let built = Built {
            seq: job.seq,
            rows,
            batch,
        };
        if tx.send(built).is_err() {
            break;
        }
    }
    Ok(busy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::BuildConfig;

    /// A gene whose rows do not fit the Arrow schema stops its feature worker with Arrow's
    /// message (it used to stop silently, and the run failed as "the pipeline stopped after N
    /// of M genes") and aborts the flow, so that the reader does not wait for the writer.
    #[test]
    fn a_feature_worker_reports_rows_that_do_not_fit_the_arrow_schema() {
        let cfg = BuildConfig::fly(Path::new("unused"), 1);
        let sc = &cfg.scoring;
        let prep = crate::builder::prepare::prepare(sc, cfg.batch_size).unwrap();
        let gene = &prep.genes[0];
        let mut fasta = fasta::Reader::open(&sc.genome).unwrap();
        let contig = loop {
            let c = fasta.next_contig().unwrap().unwrap();
            if c.name == gene.contig {
                break c;
            }
        };
        let region = GeneRegion::with_context(gene, &contig, sc.flank, 0);
        let scores = prep.source.score(gene, &region);
        let schema = cfg.rows.schema();
        let flow = Flow::new();
        let batches = [1];
        let s = Settings {
            dir: Path::new("unused"),
            genome: &sc.genome,
            flank: sc.flank,
            rows: &cfg.rows,
            batch_rows: cfg.batch_rows,
            threads: 1,
            score_threads: 1,
            batches: &batches,
            committed: 0,
            progress: false,
        };
        let (job_tx, job_rx) = sync_channel::<Scored>(1);
        let (row_tx, _row_rx) = sync_channel::<Built>(1);
        let job = Job { seq: 0, region };
        job_tx.send(Scored { job, scores }).unwrap();
        drop(job_tx);
        let features = Features {
            s: &s,
            prep: &prep,
            schema: &schema,
            arrow: Arc::new(ArrowSchema::empty()),
            first_gene: 0,
            flow: &flow,
        };
        let err = feature_worker(Arc::new(Mutex::new(job_rx)), row_tx, features).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&gene.id) && msg.contains("Arrow schema"),
            "{msg}"
        );
        assert!(flow.aborted());
    }
}
