//! The build pipeline: a reader thread (genome → gene regions), scoring workers (the base model),
//! feature workers (labels, sampling, features) and the writer (this thread: ordered rows →
//! Parquet parts → manifest commits), joined by bounded channels so that memory stays bounded
//! whatever the number of genes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use arrow_schema::Schema as ArrowSchema;
use indicatif::{ProgressBar, ProgressStyle};

use super::plan::Prepared;
use crate::Error;
use crate::basemodel::{ScoreSource, Scores};
use crate::features::{GeneRows, PredType, Quality, RowConfig, Schema, SpliceType, gene_rows};
use crate::genome::{GeneRegion, fasta};
use crate::mem;
use crate::store::manifest::{self, BatchEntry, ClassCounts, Entry, GeneEntry, MANIFEST};
use crate::store::part::{PartWriter, gene_batch, phase};
use crate::store::part_name;

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
struct Built {
    seq: usize,
    rows: GeneRows,
    batch: RecordBatch,
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
struct Flow {
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
    fn mark_written(&self, next: usize) {
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
    /// First batch to build (1-based).
    pub first_batch: usize,
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
        let first_gene = (s.first_batch - 1) * prep.plan.batch_size;
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

/// What the writer did.
#[derive(Debug, Clone, Copy, Default)]
struct Written {
    busy: Duration,
    batches: usize,
    genes: u64,
    rows: u64,
    bytes: u64,
}

/// Builds batches `first_batch..` of `prep`, committing each.
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
    let bar = progress_bar(s.progress, shape.pending);

    std::thread::scope(|scope| {
        let reader = scope.spawn(|| read_stage(s, prep, first_gene, job_tx, &flow, shape.window));
        let mut scorers = Vec::new();
        for _ in 0..shape.score_threads {
            let rx = Arc::clone(&job_rx);
            let tx = scored_tx.clone();
            let source = Arc::clone(&prep.source);
            scorers.push(scope.spawn(move || score_worker(rx, tx, source, prep, first_gene)));
        }
        drop(scored_tx);
        let mut workers = Vec::new();
        for _ in 0..shape.threads {
            let rx = Arc::clone(&scored_rx);
            let tx = row_tx.clone();
            let arrow = Arc::clone(&arrow);
            let features = Features {
                s,
                prep,
                schema,
                arrow,
                first_gene,
            };
            workers.push(scope.spawn(move || feature_worker(rx, tx, features)));
        }
        // Only the workers may keep the job queue open: if they all stop (the writer failed),
        // the reader's next send fails instead of blocking forever.
        drop(job_rx);
        drop(scored_rx);
        drop(row_tx);
        let written = write_stage(s, prep, &shape, row_rx, &flow, &bar);
        if written.is_err() {
            flow.abort_run();
        }
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("reader thread panicked".into())));
        let scored: ScoreTally = scorers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .sum();
        let compute_busy: Duration = workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .sum();
        bar.finish_and_clear();
        let written = written?;
        let read = read?;
        if written.genes < shape.pending as u64 {
            return Err(Error::Internal(format!(
                "the pipeline stopped after {} of {} genes",
                written.genes, shape.pending
            )));
        }
        let stages = stage_stats(&shape, read, scored, compute_busy, &written);
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

/// The progress bar of a run with `pending` genes to build (hidden when not shown).
fn progress_bar(show: bool, pending: usize) -> ProgressBar {
    if !(show && pending > 0) {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(pending as u64);
    b.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} genes · {per_sec} · ETA {eta} · {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b
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
    let mut reader = fasta::Reader::open(s.genome)?;
    let mut t = Instant::now();
    while next < genes.len() {
        let Some(contig) = reader.next_contig()? else {
            break;
        };
        let mut cluster: Vec<Job> = Vec::new();
        let mut cluster_hi = 0u64;
        while next < genes.len() && genes[next].contig == contig.name {
            let region = GeneRegion::with_context(&genes[next], &contig, s.flank, context);
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
struct Features<'a> {
    s: &'a Settings<'a>,
    prep: &'a Prepared,
    schema: &'a Schema,
    arrow: Arc<ArrowSchema>,
    first_gene: usize,
}

/// One feature thread: turns scored genes into rows and Arrow batches until the scorers are
/// done or the writer is gone; returns its busy time.
fn feature_worker(
    rx: Arc<Mutex<Receiver<Scored>>>,
    tx: SyncSender<Built>,
    f: Features<'_>,
) -> Duration {
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
            Err(_) => break,
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
    busy
}

/// The batch being written: its part, its manifest entry, its quality figures.
struct OpenPart {
    writer: PartWriter,
    entry: BatchEntry,
    quality: Quality,
}

/// The writer's state: genes come in any order and are written in gene order, each batch
/// committed (part finished, manifest entry appended) as soon as its last gene is written.
struct Writer<'a> {
    s: &'a Settings<'a>,
    /// Genes in the whole dataset.
    total_genes: usize,
    batch_size: usize,
    first_gene: usize,
    schema: Schema,
    manifest_path: PathBuf,
    part: Option<OpenPart>,
    /// Genes of this run written so far.
    next: usize,
    written: Written,
}

impl<'a> Writer<'a> {
    fn new(s: &'a Settings<'a>, prep: &Prepared, first_gene: usize) -> Self {
        Writer {
            s,
            total_genes: prep.genes.len(),
            batch_size: prep.plan.batch_size,
            first_gene,
            schema: Schema::new(&s.rows.kmer_sizes),
            manifest_path: s.dir.join(MANIFEST),
            part: None,
            next: 0,
            written: Written::default(),
        }
    }

    /// Writes the next gene, committing its batch when it is the batch's last.
    fn write_gene(&mut self, rows: GeneRows, batch: RecordBatch) -> Result<(), Error> {
        let gene_no = self.first_gene + self.next;
        let batch_no = gene_no / self.batch_size + 1;
        if self.part.is_none() {
            self.part = Some(self.open_part(batch_no)?);
        }
        let Some(part) = self.part.as_mut() else {
            unreachable!("a part was just opened")
        };
        part.writer.push(&batch)?;
        part.entry.genes.push(GeneEntry {
            id: rows.gene_id.clone(),
            rows: rows.len() as u64,
            sites: rows.sites(),
        });
        part.entry.rows += rows.len() as u64;
        count_classes(&rows, &mut part.entry.classes);
        part.quality.merge(&rows.quality);
        self.written.rows += rows.len() as u64;
        self.written.genes += 1;
        self.next += 1;
        let batch_done =
            (gene_no + 1).is_multiple_of(self.batch_size) || gene_no + 1 == self.total_genes;
        if batch_done && let Some(part) = self.part.take() {
            self.commit(part)?;
        }
        Ok(())
    }

    /// Starts the part of batch `batch_no`.
    fn open_part(&self, batch_no: usize) -> Result<OpenPart, Error> {
        let s = self.s;
        let writer = PartWriter::create(s.dir, &part_name(batch_no), &self.schema, s.batch_rows)?;
        let entry = BatchEntry {
            batch: batch_no,
            genes: Vec::new(),
            parts: Vec::new(),
            rows: 0,
            classes: ClassCounts::default(),
            quality: Default::default(),
        };
        Ok(OpenPart {
            writer,
            entry,
            quality: Default::default(),
        })
    }

    /// Finishes the part and records the batch in the manifest: from then on it is committed.
    fn commit(&mut self, part: OpenPart) -> Result<(), Error> {
        let OpenPart {
            writer,
            mut entry,
            quality,
        } = part;
        entry.quality = (&quality).into();
        let file = writer.finish()?;
        self.written.bytes += file.bytes;
        entry.parts.push(file);
        manifest::append(&self.manifest_path, &Entry::Batch(entry))?;
        phase("recorded");
        self.written.batches += 1;
        Ok(())
    }
}

/// Writes the rows the feature workers send, in gene order, and commits each batch when done.
fn write_stage(
    s: &Settings<'_>,
    prep: &Prepared,
    shape: &Shape,
    rx: Receiver<Built>,
    flow: &Flow,
    bar: &ProgressBar,
) -> Result<Written, Error> {
    let pending = shape.pending;
    let mut w = Writer::new(s, prep, shape.first_gene);
    let mut waiting: BTreeMap<usize, (GeneRows, RecordBatch)> = BTreeMap::new();
    while w.next < pending {
        let Ok(Built { seq, rows, batch }) = rx.recv() else {
            break;
        };
        waiting.insert(seq, (rows, batch));
        while let Some((rows, batch)) = waiting.remove(&w.next) {
            let t = Instant::now();
            w.write_gene(rows, batch)?;
            flow.mark_written(w.next);
            w.written.busy += t.elapsed();
            bar.inc(1);
            if w.next.is_multiple_of(16) || w.next == pending {
                bar.set_message(format!(
                    "{} rows · RSS {}",
                    w.written.rows,
                    mem::human(mem::rss_bytes())
                ));
            }
        }
    }
    Ok(w.written)
}

/// Adds the rows' prediction classes and site types to `c`.
fn count_classes(rows: &GeneRows, c: &mut ClassCounts) {
    for p in &rows.pred {
        match p {
            PredType::TP => c.tp += 1,
            PredType::FP => c.fp += 1,
            PredType::FN => c.fn_ += 1,
            PredType::TN => c.tn += 1,
        }
    }
    for t in &rows.splice {
        match t {
            SpliceType::Donor => c.donor += 1,
            SpliceType::Acceptor => c.acceptor += 1,
            SpliceType::Neither => c.neither += 1,
        }
    }
}
