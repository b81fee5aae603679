//! Training one model with several processes through XGBoost's collective.
//!
//! * `train --workers N` ([`run_local`]): this process starts a tracker on loopback and N worker
//!   processes (the same command, each joining as one rank, with the threads split between
//!   them), watches them, and stops them all as soon as one fails.
//! * `train --tracker HOST:PORT --rank I --world N` ([`train_as_worker`]): this process is rank
//!   I, e.g. one `srun` task per host with `spliceforge tracker` running beside rank 0.
//!
//! Every rank runs the same job in the same order (folds, calibration, final model, report);
//! only the quantile matrices differ: rank r streams the training rows of the genes whose part
//! file p has p mod N = r, so it reads and bins about 1/N of them, and XGBoost all-reduces the
//! sketches and histograms. Held-out rows are predicted by every rank (predictions stream in
//! batches), so the metrics and the calibration are the same everywhere. Rank 0 writes
//! `--out-dir`; rank r > 0 writes its own copy to `--out-dir` + `.rank-r` (its checkpoints, for a
//! resume), checks that its model bytes equal rank 0's, and removes it when the run is done.

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::train::Error;
use crate::train::config::{Collective, TrainConfig};
use crate::train::fit::model::{Model, xgb_error};
use crate::train::fit::share::Share;
use crate::train::log::{self, log};
use crate::xgb::collective::{self, Communicator, Op, Tracker};

/// Runs `cfg` as one worker of the tracker's group: joins it, trains (rank 0 into `cfg.out`,
/// the others into their own directory), checks that every rank ends with the same model bytes,
/// and leaves. Returns the console summary.
pub fn train_as_worker(cfg: &TrainConfig, c: &Collective) -> Result<String, Error> {
    watch_parent();
    let mut mine = cfg.clone();
    mine.collective = None;
    if c.rank > 0 {
        mine.out = rank_dir(cfg, c.rank);
    }
    // This worker's directory is its own for the run: a worker of a killed run that has not
    // noticed yet (it looks every 200 ms) finishes its last write first.
    let (mut lock, mut created) = own(&mine.out)?;
    if c.rank > 0 && mine.out.join("train.json").exists() {
        // A finished copy is a run killed between its last steps: rank 0 decides whether the
        // model is done (it refuses a finished --out-dir); this worker starts its copy again.
        drop(lock);
        let _ = crate::store::fsutil::remove_dir(&mine.out);
        lock = own(&mine.out)?.0;
        created = true;
    }
    let _lock = lock;
    // Everything that may refuse the run (dataset, plan, output directory) before joining, so a
    // refusal never leaves the other workers waiting inside a collective step.
    let opened = super::open(&mine)?;
    let created = super::outdir::prepare(opened.cfg())? || created;
    let comm = Communicator::join(&c.host, c.port, c.rank, cfg.worker_timeout).map_err(|e| {
        Error::Usage(format!(
            "cannot join the tracker at {}:{} as rank {} of {}: {e}; is `spliceforge tracker` (or train --workers) running there?",
            c.host, c.port, c.rank, c.world
        ))
    })?;
    let result = joined(opened, created, &mine, c, &comm);
    match result {
        Ok(text) => {
            drop(comm);
            if c.rank == 0 {
                return Ok(text);
            }
            let _ = crate::store::fsutil::remove_dir(&mine.out);
            Ok(format!(
                "worker {} of {}: done; the model (the same bytes on every worker) is in {}, written by worker 0\n",
                c.rank,
                c.world,
                cfg.out.display()
            ))
        }
        Err(e) => {
            // Leaving the group waits for the others, who may be waiting for this worker: exit
            // without it (the peers see the connection close).
            std::mem::forget(comm);
            Err(e)
        }
    }
}

/// Creates `dir` if needed and locks it, waiting for a process that holds it; returns the lock
/// and whether the directory was created here.
fn own(dir: &std::path::Path) -> Result<(crate::store::lock::Lock, bool), Error> {
    let created = !dir.exists();
    std::fs::create_dir_all(dir).map_err(|e| crate::store::Error::write(dir, e))?;
    Ok((crate::store::lock::Lock::wait(dir)?, created))
}

/// The run once this worker is in the group: train, then check that every rank holds the same
/// model bytes.
fn joined(
    opened: super::Opened,
    created: bool,
    mine: &TrainConfig,
    c: &Collective,
    comm: &Communicator,
) -> Result<String, Error> {
    if comm.rank() != c.rank || comm.world() != c.world {
        return Err(Error::Usage(format!(
            "the tracker made this worker rank {} of {}, not {} of {}: give every worker its own --rank from 0 to N-1 and the tracker's --workers as --world",
            comm.rank(),
            comm.world(),
            c.rank,
            c.world
        )));
    }
    log::set_rank(c.rank, c.world);
    let share = Share {
        rank: c.rank,
        world: c.world,
    };
    let text = super::run_opened(opened, created, Some(share))?;
    let digest = model_digest(mine)?;
    let (mut lo, mut hi) = (digest, digest);
    collective::allreduce(&mut lo, Op::Min).map_err(xgb_error)?;
    collective::allreduce(&mut hi, Op::Max).map_err(xgb_error)?;
    if lo != hi {
        return Err(Error::Internal(format!(
            "the {} workers ended with different models (rank {} kept its copy in {})",
            c.world,
            c.rank,
            mine.out.display()
        )));
    }
    log(&format!(
        "all {} workers hold the same model bytes (sha256 {:016x}…); this worker's peak RSS {}",
        c.world,
        digest[0],
        crate::rss::human(crate::rss::peak_rss_bytes())
    ));
    Ok(text)
}

/// Environment variable: the process id of the `train --workers` that started this worker.
const PARENT_ENV: &str = "SPLICEFORGE_WORKER_PARENT";

/// A worker started by `train --workers` ends when that process does (killed, say), instead
/// of training on alone; its next run resumes from the checkpoints.
fn watch_parent() {
    let Some(parent) = std::env::var(PARENT_ENV)
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
    else {
        return;
    };
    std::thread::spawn(move || {
        loop {
            if std::os::unix::process::parent_id() != parent {
                eprintln!(
                    "{}train --workers (process {parent}) is gone: stopping",
                    log::prefix()
                );
                std::process::exit(1);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
}

/// Where rank `rank` > 0 writes its copy of the run.
pub fn rank_dir(cfg: &TrainConfig, rank: usize) -> PathBuf {
    let mut name = cfg.out.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".rank-{rank}"));
    cfg.out.with_file_name(name)
}

/// The SHA-256 of the model's booster files, as four words.
fn model_digest(cfg: &TrainConfig) -> Result<[u64; 4], Error> {
    let mut h = Sha256::new();
    for name in Model::file_names(cfg.params.objective) {
        let path = cfg.out.join(&name);
        let bytes = std::fs::read(&path).map_err(|e| crate::store::Error::read(&path, e))?;
        h.update(&bytes);
    }
    let d = h.finalize();
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&d[8 * i..8 * i + 8]);
        u64::from_be_bytes(b)
    };
    Ok([word(0), word(1), word(2), word(3)])
}

/// `train --workers N`: a tracker on loopback and N worker processes running `args` (this
/// command without `--workers` and `--threads`) as ranks 0..N, `threads` split between them.
/// Rank 0's output is returned; if any worker fails, the others are stopped and its failure
/// is returned.
pub fn run_local(cfg: &TrainConfig, args: &[OsString], threads: usize) -> Result<String, Error> {
    if let Some(done) = super::already_complete(cfg)? {
        return Ok(done);
    }
    let n = cfg.memory.workers;
    // What the manifest alone can refuse (a missing dataset, a budget no worker fits) is
    // refused here, once, before any worker starts.
    let ds = super::open_dataset(cfg)?;
    super::plan(cfg, &ds)?;
    drop(ds);
    let tracker = Tracker::start(n, "127.0.0.1", 0, cfg.worker_timeout).map_err(xgb_error)?;
    let (host, port) = tracker.address().map_err(xgb_error)?;
    let exe = std::env::current_exe().map_err(|e| Error::Internal(e.to_string()))?;
    let per_worker = (threads / n).max(1);
    log(&format!(
        "{n} workers, {per_worker} thread(s) each, tracker on {host}:{port}"
    ));
    let mut children: Vec<Child> = Vec::new();
    for rank in 0..n {
        let mut cmd = Command::new(&exe);
        cmd.args(args)
            .args(["--tracker", &format!("{host}:{port}")])
            .args(["--rank", &rank.to_string(), "--world", &n.to_string()])
            .args(["--threads", &per_worker.to_string()])
            .env(PARENT_ENV, std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(if rank == 0 {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        match cmd.spawn() {
            Ok(child) => children.push(child),
            Err(e) => {
                stop(&mut children);
                return Err(Error::Internal(format!("cannot start worker {rank}: {e}")));
            }
        }
    }
    let mut out = children[0].stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(o) = out.as_mut() {
            let _ = o.read_to_string(&mut text);
        }
        text
    });
    let result = watch(&mut children);
    let text = reader.join().unwrap_or_default();
    // Once the model is complete (now, or by an earlier run a kill cut short after its last
    // write), the other ranks' copies are of no use.
    if cfg.out.join("train.json").exists() {
        for rank in 1..n {
            let _ = crate::store::fsutil::remove_dir(&rank_dir(cfg, rank));
        }
    }
    result?;
    tracker.wait(60).map_err(xgb_error)?;
    Ok(text)
}

/// Waits for every worker; a failure stops the others and is returned. A worker that dies
/// makes its peers fail within moments (their connections break), so the workers that end in
/// the second after the first failure are collected too, and one killed by a signal (the cause,
/// not a consequence) is the one reported.
fn watch(children: &mut [Child]) -> Result<(), Error> {
    let n = children.len();
    let mut done = vec![false; n];
    let start = Instant::now();
    let mut failed: Vec<(usize, Option<i32>)> = Vec::new();
    let mut first_failure: Option<Instant> = None;
    while done.iter().any(|d| !d) {
        for (rank, child) in children.iter_mut().enumerate() {
            if done[rank] {
                continue;
            }
            match child.try_wait() {
                Ok(Some(status)) => {
                    done[rank] = true;
                    if !status.success() {
                        failed.push((rank, status.code()));
                        first_failure.get_or_insert_with(Instant::now);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    stop(children);
                    return Err(Error::Internal(format!("cannot watch worker {rank}: {e}")));
                }
            }
        }
        if first_failure.is_some_and(|t| t.elapsed() > Duration::from_secs(1)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop(children);
    let cause = failed
        .iter()
        .find(|(_, code)| code.is_none())
        .or(failed.first());
    match cause {
        None => Ok(()),
        Some(&(rank, code)) => Err(Error::Worker {
            rank,
            workers: n,
            code,
            after_secs: start.elapsed().as_secs_f64(),
        }),
    }
}

/// Kills and reaps every worker still running.
fn stop(children: &mut [Child]) {
    for c in children.iter_mut() {
        let _ = c.kill();
    }
    for c in children.iter_mut() {
        let _ = c.wait();
    }
}

/// `spliceforge tracker`: a tracker for `workers` workers on `host:port`; `announce` is called
/// with its address once it listens; returns when every worker has finished.
pub fn run_tracker(
    workers: usize,
    host: &str,
    port: u16,
    timeout_secs: u64,
    announce: impl FnOnce(&str, u16) -> Result<(), Error>,
) -> Result<(), Error> {
    let tracker = Tracker::start(workers, host, port, timeout_secs).map_err(xgb_error)?;
    let (h, p) = tracker.address().map_err(xgb_error)?;
    announce(&h, p)?;
    tracker.wait(0).map_err(xgb_error)
}
