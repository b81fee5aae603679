//! The build pipeline: a reader thread (genome → gene regions), scoring workers (the base model),
//! feature workers (labels, sampling, features) and the writer (this thread: ordered rows →
//! Parquet parts → manifest commits), joined by bounded channels so that memory stays bounded
//! whatever the number of genes.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use indicatif::{ProgressBar, ProgressStyle};

use super::plan::Prepared;
use crate::Error;
use crate::basemodel::Scores;
use crate::features::{GeneRows, PredType, RowConfig, Schema, SpliceType, gene_rows};
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

/// Builds batches `first_batch..` of `prep`, committing each.
pub fn run(s: &Settings<'_>, prep: &Prepared, schema: &Schema) -> Result<Outcome, Error> {
    let start = Instant::now();
    let bs = prep.plan.batch_size;
    let first_gene = (s.first_batch - 1) * bs;
    let pending = prep.genes.len().saturating_sub(first_gene);
    let threads = s.threads.max(1);
    let window = 8 * threads + 16 + MAX_CLUSTER;
    let flow = Flow {
        written: Mutex::new(0),
        cond: Condvar::new(),
        abort: AtomicBool::new(false),
    };
    let score_threads = s.score_threads.max(1);
    let (job_tx, job_rx) = sync_channel::<Vec<Job>>(2 * score_threads);
    let (scored_tx, scored_rx) = sync_channel::<(Job, Scores)>(2 * threads);
    let (row_tx, row_rx) = sync_channel::<(usize, GeneRows, RecordBatch)>(2 * threads);
    let arrow = Arc::new(schema.arrow());
    let job_rx = Arc::new(Mutex::new(job_rx));
    let scored_rx = Arc::new(Mutex::new(scored_rx));

    let bar = if s.progress && pending > 0 {
        let b = ProgressBar::new(pending as u64);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} genes · {per_sec} · ETA {eta} · {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };

    std::thread::scope(|scope| {
        let reader = scope.spawn(|| read_stage(s, prep, first_gene, job_tx, &flow, window));
        let mut scorers = Vec::new();
        for _ in 0..score_threads {
            let rx = Arc::clone(&job_rx);
            let tx = scored_tx.clone();
            let source = Arc::clone(&prep.source);
            scorers.push(scope.spawn(move || {
                let mut busy = Duration::ZERO;
                let mut nt = 0u64;
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
                    nt += regions.iter().map(|r| r.len() as u64).sum::<u64>();
                    busy += t.elapsed();
                    let mut stop = false;
                    for (job, sc) in jobs.into_iter().zip(scores) {
                        if tx.send((job, sc)).is_err() {
                            stop = true;
                            break;
                        }
                    }
                    if stop {
                        break;
                    }
                }
                (busy, nt)
            }));
        }
        drop(scored_tx);
        let mut workers = Vec::new();
        for _ in 0..threads {
            let rx = Arc::clone(&scored_rx);
            let tx = row_tx.clone();
            let arrow = Arc::clone(&arrow);
            workers.push(scope.spawn(move || {
                let mut busy = Duration::ZERO;
                loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => break,
                    };
                    let Ok((job, scores)) = job else { break };
                    let t = Instant::now();
                    let gene = &prep.genes[first_gene + job.seq];
                    let mut rows = gene_rows(gene, &job.region, &scores, schema, s.rows);
                    let batch = match gene_batch(&arrow, &mut rows) {
                        Ok(b) => b,
                        Err(_) => break,
                    };
                    busy += t.elapsed();
                    if tx.send((job.seq, rows, batch)).is_err() {
                        break;
                    }
                }
                busy
            }));
        }
        // Only the workers may keep the job queue open: if they all stop (the writer failed),
        // the reader's next send fails instead of blocking forever.
        drop(job_rx);
        drop(scored_rx);
        drop(row_tx);
        let written = write_stage(s, prep, first_gene, pending, row_rx, &flow, &bar);
        if written.is_err() {
            flow.abort.store(true, Ordering::SeqCst);
            flow.cond.notify_all();
        }
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("reader thread panicked".into())));
        let (score_busy, score_nt) = scorers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .fold((Duration::ZERO, 0u64), |(b, n), (b2, n2)| (b + b2, n + n2));
        let compute_busy: Duration = workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .sum();
        bar.finish_and_clear();
        let (w, write_busy) = written?;
        let (read_busy, read_genes, read_nt) = read?;
        if w.genes < pending as u64 {
            return Err(Error::Internal(format!(
                "the pipeline stopped after {} of {pending} genes",
                w.genes
            )));
        }
        Ok(Outcome {
            stages: vec![
                StageStats {
                    name: "read genome",
                    threads: 1,
                    genes: read_genes,
                    nt: read_nt,
                    busy: read_busy,
                },
                StageStats {
                    name: "base model",
                    threads: score_threads,
                    genes: w.genes,
                    nt: score_nt,
                    busy: score_busy,
                },
                StageStats {
                    name: "features",
                    threads,
                    genes: w.genes,
                    nt: score_nt,
                    busy: compute_busy,
                },
                StageStats {
                    name: "write + commit",
                    threads: 1,
                    genes: w.genes,
                    nt: score_nt,
                    busy: write_busy,
                },
            ],
            wall: start.elapsed(),
            batches: w.batches,
            genes: w.genes,
            rows: w.rows,
            bytes: w.bytes,
        })
    })
}

fn read_stage(
    s: &Settings<'_>,
    prep: &Prepared,
    first_gene: usize,
    tx: SyncSender<Vec<Job>>,
    flow: &Flow,
    window: usize,
) -> Result<(Duration, u64, u64), Error> {
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
            let last = next - 1;
            {
                let mut w = flow
                    .written
                    .lock()
                    .map_err(|_| Error::Internal("lock".into()))?;
                while last >= *w + window && !flow.abort.load(Ordering::SeqCst) {
                    w = flow
                        .cond
                        .wait(w)
                        .map_err(|_| Error::Internal("lock".into()))?;
                }
            }
            let jobs = std::mem::take(&mut cluster);
            let sent_before = jobs[0].seq as u64;
            cluster_hi = 0;
            if flow.abort.load(Ordering::SeqCst) || tx.send(jobs).is_err() {
                return Ok((busy, sent_before, nt));
            }
            t = Instant::now();
        }
    }
    busy += t.elapsed();
    Ok((busy, next as u64, nt))
}

fn write_stage(
    s: &Settings<'_>,
    prep: &Prepared,
    first_gene: usize,
    pending: usize,
    rx: Receiver<(usize, GeneRows, RecordBatch)>,
    flow: &Flow,
    bar: &ProgressBar,
) -> Result<(Outcome, Duration), Error> {
    let bs = prep.plan.batch_size;
    let mut busy = Duration::ZERO;
    let mut out = Outcome {
        stages: Vec::new(),
        wall: Duration::ZERO,
        batches: 0,
        genes: 0,
        rows: 0,
        bytes: 0,
    };
    let mut waiting: BTreeMap<usize, (GeneRows, RecordBatch)> = BTreeMap::new();
    let mut next = 0usize;
    let mut part: Option<(PartWriter, BatchEntry, crate::features::Quality)> = None;
    let manifest_path = s.dir.join(MANIFEST);
    let schema = Schema::new(&s.rows.kmer_sizes);
    while next < pending {
        let Ok((seq, rows, batch)) = rx.recv() else {
            break;
        };
        waiting.insert(seq, (rows, batch));
        while let Some((rows, batch)) = waiting.remove(&next) {
            let t = Instant::now();
            let gene_no = first_gene + next;
            let batch_no = gene_no / bs + 1;
            if part.is_none() {
                let writer =
                    PartWriter::create(s.dir, &part_name(batch_no), &schema, s.batch_rows)?;
                let entry = BatchEntry {
                    batch: batch_no,
                    genes: Vec::new(),
                    parts: Vec::new(),
                    rows: 0,
                    classes: ClassCounts::default(),
                    quality: Default::default(),
                };
                part = Some((writer, entry, Default::default()));
            }
            let Some((writer, entry, quality)) = part.as_mut() else {
                unreachable!("a part was just opened")
            };
            writer.push(&batch)?;
            entry.genes.push(GeneEntry {
                id: rows.gene_id.clone(),
                rows: rows.len() as u64,
                sites: rows.sites(),
            });
            entry.rows += rows.len() as u64;
            count_classes(&rows, &mut entry.classes);
            quality.merge(&rows.quality);
            out.rows += rows.len() as u64;
            out.genes += 1;
            next += 1;
            let batch_done = (gene_no + 1).is_multiple_of(bs) || gene_no + 1 == prep.genes.len();
            if batch_done && let Some((writer, mut entry, quality)) = part.take() {
                entry.quality = (&quality).into();
                let file = writer.finish()?;
                out.bytes += file.bytes;
                entry.parts.push(file);
                manifest::append(&manifest_path, &Entry::Batch(entry))?;
                phase("recorded");
                out.batches += 1;
            }
            {
                if let Ok(mut w) = flow.written.lock() {
                    *w = next;
                }
                flow.cond.notify_all();
            }
            busy += t.elapsed();
            bar.inc(1);
            if next.is_multiple_of(16) || next == pending {
                bar.set_message(format!(
                    "{} rows · RSS {}",
                    out.rows,
                    mem::human(mem::rss_bytes())
                ));
            }
        }
    }
    Ok((out, busy))
}

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
