//! `spliceforge variants`: a VCF in, the same VCF out with SpliceAI's `SpliceAI=` field added,
//! with the builder's habits.
//!
//! Records are cut into chunks of [`CHUNK_RECORDS`] in input order. Each chunk is scored, its
//! output lines written to `OUT.work/chunk-NNNNNN.vcf` (temporary name, fsync, rename) and
//! recorded with its checksum and tally in a manifest; a rerun after a kill verifies the
//! committed chunks and scores the rest. When every chunk is in, the header and the chunks are
//! concatenated into `OUT` (plain or BGZF, atomically) and the work directory goes. Output
//! bytes never depend on the chunking, the threads or the sharding.
//!
//! `--shard I/N` scores the chunks `k` with `(k − 1) mod N = I`, in the same work directory
//! (each shard has its own lock and manifest); the same command with `--merge` then checks that
//! every chunk is committed and assembles `OUT`, byte for byte the single run's file.
//!
//! Memory: one chunk's records and results, one contig's letters, and the engine's tasks
//! (about 60 MB each at most, one per thread) — whatever the VCF's size.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::delta::{self, Allele, CONTEXT};
use super::engine::{Engine, Job, Pair, Span};
use super::genes::GeneTable;
use super::meta::{self, Meta, MetaJob};
use super::vcf;
use crate::Error;
use crate::basemodel::spliceai::{self, SpliceAi};
use crate::genome::Transcripts;
use crate::genome::fasta::{self, ContigInfo};
use crate::store::fsutil::{AtomicFile, sha256_file, write_atomic};
use crate::store::{self, InputFile, Shard, digest_json};

/// Records per committed chunk by default.
pub const CHUNK_RECORDS: usize = 1_000;

/// Version of the work directory's layout and of the output's header lines.
pub const FORMAT: u32 = 1;

/// The `SpliceAI` INFO header line spliceforge writes: SpliceAI's ID, Number, Type and
/// `Format: …`, its description saying who computed it and with which settings.
pub fn info_header(distance: u32, mask: bool) -> String {
    format!(
        "##INFO=<ID=SpliceAI,Number=.,Type=String,Description=\"SpliceAIv1.3.1 variant annotation computed by spliceforge {} (SpliceAI-10k weights, CC BY-NC 4.0; -D {distance} -M {}). These include delta scores (DS) and delta positions (DP) for acceptor gain (AG), acceptor loss (AL), donor gain (DG), and donor loss (DL). Format: ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL\">",
        env!("CARGO_PKG_VERSION"),
        u8::from(mask)
    )
}

/// The header line that records which run wrote the file (recognised by a rerun).
const RUN_LINE: &str = "##spliceforge_variants=";

/// Everything `variants` runs on.
#[derive(Debug, Clone)]
pub struct Config {
    /// Input VCF (plain, gzip or BGZF; `-` = standard input).
    pub vcf: PathBuf,
    /// Genome FASTA.
    pub genome: PathBuf,
    /// Genes: a GTF/GFF3 or a SpliceAI gene table.
    pub annotation: PathBuf,
    /// Transcripts of a GTF/GFF3 that define a gene's span and exon boundaries.
    pub transcripts: Transcripts,
    /// Output VCF (`.gz`/`.bgz` = BGZF).
    pub out: PathBuf,
    /// SpliceAI's `-D`.
    pub distance: u32,
    /// SpliceAI's `-M 1`.
    pub mask: bool,
    /// The directory of `spliceai1.h5` … `spliceai5.h5`.
    pub weights: PathBuf,
    /// A meta-model directory (`train --out-dir`): adds the `SpliceForge` field.
    pub model: Option<PathBuf>,
    /// Threads.
    pub threads: usize,
    /// Records per committed chunk (the unit of resume and of sharding).
    pub chunk_records: usize,
    /// The longest ALT allele scored; a longer one stops the run (exit 3).
    pub max_alt_length: usize,
    /// This process's shard.
    pub shard: Option<Shard>,
    /// Only assemble the shards' chunks (refuse if any is missing).
    pub merge: bool,
    /// Start over, discarding earlier work and output.
    pub overwrite: bool,
}

/// Why a record got no `SpliceAI` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// ALT is `.`.
    NoAlt,
    /// No gene of the annotation covers POS.
    NoGene,
    /// The contig is not in the FASTA (under its name, or with `chr` added or removed).
    NoContig,
    /// REF is not the genome's sequence at POS.
    RefMismatch,
    /// The window (POS ± 5,000 + D) crosses a contig end.
    NearContigEnd,
    /// REF is longer than 2·D.
    RefTooLong,
}

impl Skip {
    /// The reason in words.
    pub fn say(self) -> &'static str {
        match self {
            Skip::NoAlt => "no ALT allele (ALT is '.')",
            Skip::NoGene => "no gene of the annotation at POS",
            Skip::NoContig => "contig not in the FASTA",
            Skip::RefMismatch => "REF differs from the genome",
            Skip::NearContigEnd => "within 5,000 + D nt of a contig end",
            Skip::RefTooLong => "REF longer than 2·D",
        }
    }
}

/// Examples kept per skip reason.
const EXAMPLES: usize = 3;

/// Counts of one reason with its first examples.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Records (or alleles) skipped for it.
    pub count: u64,
    /// The first few, as `line N: CHROM:POS REF>ALT`.
    pub examples: Vec<String>,
}

impl Reason {
    fn add(&mut self, example: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(example());
        }
    }

    fn merge(&mut self, o: &Reason) {
        self.count += o.count;
        for e in &o.examples {
            if self.examples.len() < EXAMPLES {
                self.examples.push(e.clone());
            }
        }
    }
}

/// What happened to the records of a chunk (or of the whole run).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Records read.
    pub records: u64,
    /// Records given a `SpliceAI` field.
    pub annotated: u64,
    /// Entries with scores (allele × gene).
    pub scored: u64,
    /// Entries written as `ALT|GENE|.|.|…` (MNVs, complex alleles).
    pub unscored: u64,
    /// Alleles skipped (symbolic, `*`, `.`, `-`).
    pub alleles_skipped: Reason,
    /// Records left without annotation, by reason.
    pub skipped: BTreeMap<Skip, Reason>,
    /// With a meta-model: entries with its scores in `SpliceForge`.
    #[serde(default)]
    pub meta_scored: u64,
    /// With a meta-model: scored entries written as `.` in `SpliceForge` because their gene
    /// has no gene model for the structure features (a SpliceAI table row whose exon start and
    /// end lists do not pair up).
    #[serde(default)]
    pub meta_no_model: Reason,
}

impl Tally {
    fn merge(&mut self, o: &Tally) {
        self.records += o.records;
        self.annotated += o.annotated;
        self.scored += o.scored;
        self.unscored += o.unscored;
        self.alleles_skipped.merge(&o.alleles_skipped);
        self.meta_scored += o.meta_scored;
        self.meta_no_model.merge(&o.meta_no_model);
        for (k, r) in &o.skipped {
            self.skipped.entry(*k).or_default().merge(r);
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The output existed, written by this same run: nothing was done.
    pub already_complete: bool,
    /// Chunks found committed by earlier runs (or other shards).
    pub resumed_chunks: usize,
    /// Chunks scored now.
    pub scored_chunks: usize,
    /// Everything the output holds (or, for a shard, its chunks).
    pub tally: Tally,
    /// Records scored now and the seconds it took.
    pub records_now: u64,
    /// Seconds spent scoring.
    pub secs: f64,
    /// Where the input was first found out of order, if it was.
    pub unsorted: Option<String>,
    /// `Some` when this run was one shard (the output is assembled by `--merge`).
    pub shard: Option<Shard>,
    /// The output written (`None` for a shard).
    pub written: Option<PathBuf>,
}

/// One committed chunk, a manifest line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum Line {
    Chunk {
        chunk: usize,
        file: String,
        sha256: String,
        bytes: u64,
        tally: Tally,
    },
    /// The shard read the whole input: it has this many chunks.
    Complete { chunks: usize },
}

/// What decides the output's bytes, hashed into the run's fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RunRecord {
    format: u32,
    config: serde_json::Value,
    inputs: Vec<InputFile>,
}

impl RunRecord {
    fn digest(&self) -> String {
        let inputs: Vec<_> = (self.inputs.iter())
            .map(|i| serde_json::json!({"role": i.role, "bytes": i.bytes, "sha256": i.sha256}))
            .collect();
        digest_json(&serde_json::json!({
            "format": self.format, "config": self.config, "inputs": inputs
        }))
    }
}

fn stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn fingerprint(cfg: &Config, meta: Option<&Meta>) -> Result<RunRecord, Error> {
    let mut inputs = Vec::new();
    if !stdin(&cfg.vcf) {
        inputs.push(InputFile::of("vcf", &cfg.vcf)?);
    }
    inputs.push(InputFile::of("genome", &cfg.genome)?);
    inputs.push(InputFile::of("annotation", &cfg.annotation)?);
    for p in spliceai::weight_files(&cfg.weights, spliceai::FILES.len())
        .map_err(crate::basemodel::Error::from)?
    {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        inputs.push(InputFile::of(&format!("weights:{name}"), &p)?);
    }
    let mut config = serde_json::json!({
        "distance": cfg.distance,
        "mask": cfg.mask,
        "transcripts": cfg.transcripts.name(),
        "chunk_records": cfg.chunk_records,
        "stdin": stdin(&cfg.vcf),
    });
    // Only a run with a meta-model says so: every other run's fingerprint is what it was.
    if let (Some(m), Some(map)) = (meta, config.as_object_mut()) {
        map.insert("meta_reach".into(), meta::REACH.into());
        inputs.extend(m.files().iter().cloned());
    }
    Ok(RunRecord {
        format: FORMAT,
        config,
        inputs,
    })
}

/// The work directory's files for one shard (or the whole run).
struct Names {
    lock: String,
    manifest: String,
    tmp: String,
}

impl Names {
    fn of(shard: Option<Shard>) -> Self {
        match shard {
            Some(s) => {
                let tag = format!("{}-of-{}", s.index, s.count);
                Names {
                    lock: format!(".lock-{tag}"),
                    manifest: format!("manifest-{tag}.jsonl"),
                    tmp: format!(".tmp-{tag}"),
                }
            }
            None => Names {
                lock: ".lock".into(),
                manifest: "manifest.jsonl".into(),
                tmp: ".tmp".into(),
            },
        }
    }
}

fn chunk_name(n: usize) -> String {
    format!("chunk-{n:06}.vcf")
}

/// Runs `variants`.
pub fn run(cfg: &Config, progress: bool) -> Result<Report, Error> {
    if cfg.distance > delta::MAX_DISTANCE {
        return Err(Error::Usage(format!(
            "--distance {} is beyond SpliceAI's range (0 to {})",
            cfg.distance,
            delta::MAX_DISTANCE
        )));
    }
    // The meta-model is checked before anything else is read or written.
    let meta = cfg.model.as_deref().map(Meta::open).transpose()?;
    let record = fingerprint(cfg, meta.as_ref())?;
    let digest = record.digest();
    let work = store::output::work_dir(&cfg.out);
    if cfg.overwrite {
        for p in [&work, &cfg.out] {
            if p.is_dir() {
                fs::remove_dir_all(p).map_err(|e| store::Error::write(p, e))?;
            } else if p.exists() {
                fs::remove_file(p).map_err(|e| store::Error::write(p, e))?;
            }
        }
    }
    if cfg.out.exists() && !work.exists() {
        return match written_by(&cfg.out) {
            Some(d) if d == digest && !stdin(&cfg.vcf) => Ok(Report {
                already_complete: true,
                written: Some(cfg.out.clone()),
                ..Report::default()
            }),
            _ => Err(store::Error::FingerprintMismatch {
                dir: cfg.out.clone(),
                changes: vec![
                    "the file exists and was not written by this command with these inputs and settings; pass --overwrite to replace it".into(),
                ],
            }
            .into()),
        };
    }
    // Inputs are read and checked before anything is written.
    let genes = GeneTable::load(&cfg.annotation, cfg.transcripts)?;
    let contigs = fasta::scan(&cfg.genome)?;
    let model = SpliceAi::load(&cfg.weights, spliceai::FILES.len())
        .map_err(crate::basemodel::Error::from)?;
    // The meta-model's features read the networks its dataset averaged.
    let meta_model = match &meta {
        Some(m) if m.networks() != spliceai::FILES.len() => Some(
            SpliceAi::load(&cfg.weights, m.networks()).map_err(crate::basemodel::Error::from)?,
        ),
        _ => None,
    };
    let mut reader = vcf::Reader::open(&cfg.vcf)?;

    fs::create_dir_all(&work).map_err(|e| store::Error::write(&work, e))?;
    let names = Names::of(cfg.shard);
    let _lock = store::Lock::acquire_named(&work, &names.lock)?;
    if stdin(&cfg.vcf) && !cfg.merge {
        // Standard input cannot be checked against an earlier run: start afresh.
        clear_work(&work, &names)?;
    }
    check_run(&work, &record, &digest, &names)?;
    repair_manifest(&work.join(&names.manifest))?;
    let (mut committed, mut total) = committed_chunks(&work)?;
    let resumed = committed.len();

    let header = assembled_header(reader.header(), cfg, meta.as_ref(), &digest);
    let mut report = Report {
        resumed_chunks: resumed,
        shard: cfg.shard,
        ..Report::default()
    };
    if !cfg.merge {
        let engine = Engine::new(&model, cfg.distance, cfg.threads);
        let meta_engine = meta.as_ref().map(|_| {
            Engine::new(
                meta_model.as_ref().unwrap_or(&model),
                cfg.distance + meta::REACH,
                cfg.threads,
            )
            .unaligned()
        });
        let mut genome = fasta::Cursor::open(&cfg.genome)?.keep_letters().rewinding();
        let scorer = Scorer {
            cfg,
            genes: &genes,
            contigs: &contigs,
            engine: &engine,
            meta: meta.as_ref().zip(meta_engine.as_ref()),
        };
        let bar = records_bar(progress);
        let t = Instant::now();
        let mut order = Order::default();
        let per = cfg.chunk_records.max(1);
        let mut chunk: Vec<vcf::Record> = Vec::with_capacity(per);
        let mut n_chunk = 0usize;
        let mut seen = 0usize;
        let wanted = |n: usize, committed: &HashMap<usize, Line>| {
            !committed.contains_key(&n) && cfg.shard.is_none_or(|s| s.owns(n))
        };
        loop {
            let rec = reader.read_record()?;
            let Some(rec) = rec else { break };
            let n = seen / per + 1;
            seen += 1;
            order.see(&rec, &contigs);
            if wanted(n, &committed) {
                chunk.push(rec);
                n_chunk = n;
                if chunk.len() == per {
                    let line = scorer.commit(&work, &names, n, &chunk, &mut genome)?;
                    report.records_now += chunk.len() as u64;
                    report.scored_chunks += 1;
                    committed.insert(n, line);
                    chunk.clear();
                }
            }
            bar.set_position(seen as u64);
            bar.set_message(format!(
                "{:.0} variants/s",
                report.records_now as f64 / t.elapsed().as_secs_f64().max(1e-9)
            ));
        }
        if !chunk.is_empty() {
            let line = scorer.commit(&work, &names, n_chunk, &chunk, &mut genome)?;
            report.records_now += chunk.len() as u64;
            report.scored_chunks += 1;
            committed.insert(n_chunk, line);
        }
        bar.finish_and_clear();
        report.secs = t.elapsed().as_secs_f64();
        report.unsorted = order.unsorted;
        let chunks = seen.div_ceil(per);
        total = Some(chunks);
        append_line(&work.join(&names.manifest), &Line::Complete { chunks })?;
    }
    let total = total.ok_or_else(|| {
        store::Error::Shards {
            problems: vec![format!(
                "no shard has read the whole input yet (no finished shard in {}); run the shards first (`--shard I/N`), then --merge",
                work.display()
            )],
        }
    })?;
    let mine = |n: &usize| cfg.shard.is_none_or(|s| s.owns(*n));
    for n in (1..=total).filter(mine) {
        if let Some(Line::Chunk { tally, .. }) = committed.get(&n) {
            report.tally.merge(tally);
        }
    }
    if cfg.shard.is_some() {
        return Ok(report);
    }
    let missing: Vec<usize> = (1..=total).filter(|n| !committed.contains_key(n)).collect();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().take(10).map(|n| n.to_string()).collect();
        return Err(store::Error::Shards {
            problems: vec![format!(
                "{} of {total} chunks are not committed yet (chunks {}{}); finish every shard (the same command with its --shard I/N), then --merge again",
                missing.len(),
                list.join(", "),
                if missing.len() > 10 { ", …" } else { "" }
            )],
        }
        .into());
    }
    let parts: Vec<PathBuf> = (1..=total).map(|n| work.join(chunk_name(n))).collect();
    vcf::write_vcf(&cfg.out, &header, parts.iter().map(fs::File::open))?;
    fs::remove_dir_all(&work).map_err(|e| store::Error::write(&work, e))?;
    report.written = Some(cfg.out.clone());
    Ok(report)
}

/// The output's header: the input's, with the `SpliceAI` INFO line (and the `SpliceForge` one)
/// and the run's line.
fn assembled_header(h: &vcf::Header, cfg: &Config, meta: Option<&Meta>, digest: &str) -> String {
    let mut lines = vec![info_header(cfg.distance, cfg.mask)];
    if let Some(m) = meta {
        lines.push(m.info_header(cfg.distance, cfg.mask));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mut text = h.with_info_lines(&refs);
    // The run line goes just before #CHROM.
    let at = text.rfind("\n#CHROM").map_or(0, |i| i + 1);
    text.insert_str(
        at,
        &format!(
            "{RUN_LINE}<Version=\"{}\",Fingerprint=\"{digest}\">\n",
            env!("CARGO_PKG_VERSION")
        ),
    );
    text
}

/// The fingerprint recorded in an existing output's header, if it is one of ours.
fn written_by(out: &Path) -> Option<String> {
    let reader = vcf::Reader::open(out).ok()?;
    let text = reader.header().text();
    let line = text.lines().find(|l| l.starts_with(RUN_LINE))?;
    let f = line.split("Fingerprint=\"").nth(1)?;
    Some(f.split('"').next()?.to_string())
}

/// Removes this shard's manifest and every chunk (standard input: nothing can be resumed).
fn clear_work(work: &Path, names: &Names) -> Result<(), Error> {
    for e in fs::read_dir(work)
        .map_err(|e| store::Error::read(work, e))?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("chunk-") || name.starts_with("manifest") || name == "run.json" {
            fs::remove_file(e.path()).map_err(|err| store::Error::write(&e.path(), err))?;
        }
    }
    let _ = names;
    Ok(())
}

/// Records the run in a new work directory, or refuses one left by another run.
fn check_run(work: &Path, record: &RunRecord, digest: &str, names: &Names) -> Result<(), Error> {
    let path = work.join("run.json");
    match fs::read(&path) {
        Ok(bytes) => {
            let old: Option<RunRecord> = serde_json::from_slice(&bytes).ok();
            match old {
                Some(old) if old.digest() == digest => Ok(()),
                // Nothing committed: nothing to lose (a run that stopped on a bad input, say).
                _ if committed_chunks(work)?.0.is_empty() => {
                    fs::remove_file(&path).map_err(|e| store::Error::write(&path, e))?;
                    check_run(work, record, digest, names)
                }
                Some(old) => Err(store::Error::FingerprintMismatch {
                    dir: work.to_path_buf(),
                    changes: differences(&old, record),
                }
                .into()),
                None => Err(store::Error::Corrupt {
                    path,
                    message:
                        "is not a run record of `spliceforge variants`; start over with --overwrite"
                            .into(),
                }
                .into()),
            }
        }
        Err(_) => {
            let text =
                serde_json::to_vec_pretty(record).map_err(|e| Error::Internal(e.to_string()))?;
            write_atomic(&path, &work.join(&names.tmp), &text)
                .map_err(|e| store::Error::write(&path, e))?;
            Ok(())
        }
    }
}

/// What differs between two run records, in words.
fn differences(old: &RunRecord, new: &RunRecord) -> Vec<String> {
    let mut out = Vec::new();
    if old.config != new.config {
        out.push(format!("settings {} → {}", old.config, new.config));
    }
    for n in &new.inputs {
        match old.inputs.iter().find(|o| o.role == n.role) {
            Some(o) if o.sha256 != n.sha256 => {
                out.push(format!("{} {} changed", n.role, n.path.display()))
            }
            None => out.push(format!("{} {} is new", n.role, n.path.display())),
            _ => {}
        }
    }
    if out.is_empty() {
        out.push("the run format".into());
    }
    out.push("pass --overwrite to start over".into());
    out
}

/// Drops a torn last line (a kill during an append) from a manifest.
fn repair_manifest(path: &Path) -> Result<(), Error> {
    let Ok(bytes) = fs::read(path) else {
        return Ok(());
    };
    let mut good = 0usize;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if !line.ends_with(b"\n") || serde_json::from_slice::<Line>(line).is_err() {
            break;
        }
        good += line.len();
    }
    if good < bytes.len() {
        let f = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| store::Error::write(path, e))?;
        f.set_len(good as u64)
            .and_then(|_| f.sync_all())
            .map_err(|e| store::Error::write(path, e))?;
    }
    Ok(())
}

/// Appends one manifest line and fsyncs it.
fn append_line(path: &Path, line: &Line) -> Result<(), Error> {
    let mut text = serde_json::to_vec(line).map_err(|e| Error::Internal(e.to_string()))?;
    text.push(b'\n');
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| store::Error::write(path, e))?;
    f.write_all(&text)
        .and_then(|_| f.sync_all())
        .map_err(|e| store::Error::write(path, e))?;
    if let Some(dir) = path.parent() {
        store::fsutil::fsync_dir(dir).map_err(|e| store::Error::write(dir, e))?;
    }
    Ok(())
}

/// Every chunk committed in the work directory (by any shard), checked against its recorded
/// checksum (a chunk whose file is missing or differs is scored again), and the number of
/// chunks, if a shard has read the whole input.
pub(crate) fn committed_chunks(
    work: &Path,
) -> Result<(HashMap<usize, Line>, Option<usize>), Error> {
    let mut chunks = HashMap::new();
    let mut total = None;
    let mut manifests: Vec<PathBuf> = fs::read_dir(work)
        .map_err(|e| store::Error::read(work, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("manifest"))
        })
        .collect();
    manifests.sort();
    for m in manifests {
        let f = fs::File::open(&m).map_err(|e| store::Error::read(&m, e))?;
        for line in BufReader::new(f).lines() {
            let Ok(line) = line else { break };
            // Another shard's torn last line is its own to repair.
            let Ok(entry) = serde_json::from_str::<Line>(&line) else {
                break;
            };
            match entry {
                Line::Complete { chunks } => total = Some(chunks),
                Line::Chunk {
                    chunk,
                    ref file,
                    ref sha256,
                    ..
                } => {
                    if chunks.contains_key(&chunk) {
                        continue;
                    }
                    let ok = sha256_file(&work.join(file)).is_ok_and(|(s, _)| &s == sha256);
                    if ok {
                        chunks.insert(chunk, entry);
                    }
                }
            }
        }
    }
    Ok((chunks, total))
}

/// The progress bar over records.
fn records_bar(show: bool) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new_spinner();
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {pos} records · {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    b
}

/// Notices input that is not sorted (by contig blocks and position).
#[derive(Default)]
struct Order {
    done: Vec<String>,
    last: Option<(String, u64)>,
    unsorted: Option<String>,
}

impl Order {
    fn see(&mut self, r: &vcf::Record, _contigs: &[ContigInfo]) {
        if self.unsorted.is_some() {
            return;
        }
        let (c, p) = (r.chrom(), r.pos());
        if let Some((lc, lp)) = &self.last {
            if lc == c && p < *lp {
                self.unsorted = Some(format!("line {}: {c}:{p} after {lc}:{lp}", r.line_no()));
            } else if lc != c {
                if self.done.iter().any(|d| d == c) {
                    self.unsorted =
                        Some(format!("line {}: contig {c} again after {lc}", r.line_no()));
                }
                self.done.push(lc.clone());
            }
        }
        self.last = Some((c.to_string(), p));
    }
}

/// Scores chunks.
struct Scorer<'a> {
    cfg: &'a Config,
    genes: &'a GeneTable,
    contigs: &'a [ContigInfo],
    engine: &'a Engine<'a>,
    /// The meta-model and its engine (distance D + [`meta::REACH`], ALT unaligned).
    meta: Option<(&'a Meta, &'a Engine<'a>)>,
}

/// What a record becomes before scoring.
enum Plan {
    Skip(Skip),
    /// Entries to write, in SpliceAI's order: a job to score, or a fixed text.
    Entries(Vec<Slot>),
}

enum Slot {
    Job {
        job: usize,
        alt: String,
        gene: usize,
    },
    Text(String),
}

impl Scorer<'_> {
    /// Scores `records` (chunk `n`) and commits the chunk.
    fn commit(
        &self,
        work: &Path,
        names: &Names,
        n: usize,
        records: &[vcf::Record],
        genome: &mut fasta::Cursor,
    ) -> Result<Line, Error> {
        let (lines, tally) = self.score(records, genome)?;
        let file = chunk_name(n);
        let mut f = AtomicFile::create(&work.join(&file), &work.join(&names.tmp))
            .map_err(|e| store::Error::write(work, e))?;
        for l in &lines {
            f.write_all(l.as_bytes())
                .and_then(|_| f.write_all(b"\n"))
                .map_err(|e| store::Error::write(work, e))?;
        }
        let (sha256, bytes) = f.commit().map_err(|e| store::Error::write(work, e))?;
        let line = Line::Chunk {
            chunk: n,
            file,
            sha256,
            bytes,
            tally,
        };
        append_line(&work.join(&names.manifest), &line)?;
        Ok(line)
    }

    /// The output lines of `records` and their tally.
    fn score(
        &self,
        records: &[vcf::Record],
        genome: &mut fasta::Cursor,
    ) -> Result<(Vec<String>, Tally), Error> {
        let d = self.cfg.distance as u64;
        let mut tally = Tally::default();
        let mut plans: Vec<Plan> = Vec::with_capacity(records.len());
        let mut jobs: Vec<(String, Job, usize)> = Vec::new(); // (FASTA contig, job, gene)
        let names: Vec<String> = self.contigs.iter().map(|c| c.name.clone()).collect();
        // Records in input order, grouped by contig as they come.
        let mut i = 0;
        while i < records.len() {
            let chrom = records[i].chrom().to_string();
            let mut j = i;
            while j < records.len() && records[j].chrom() == chrom {
                j += 1;
            }
            let fasta_name = super::match_contig(&chrom, &names).map(str::to_string);
            let contig = match &fasta_name {
                Some(name) => genome.seek(name)?,
                None => None,
            };
            for r in &records[i..j] {
                tally.records += 1;
                let first_job = jobs.len();
                let plan = self.plan(
                    r,
                    contig.map(|c| &c.seq[..]),
                    d,
                    &mut jobs,
                    fasta_name.as_deref(),
                    &mut tally,
                );
                // An allele SpliceAI would score with a window as long as itself: refused
                // past the limit rather than run for hours.
                if let Some((_, job, _)) = (jobs[first_job..].iter())
                    .find(|(_, job, _)| job.alt.len() > self.cfg.max_alt_length)
                {
                    return Err(super::Error::AlleleTooLong {
                        path: self.cfg.vcf.clone(),
                        line: r.line_no(),
                        length: job.alt.len(),
                        limit: self.cfg.max_alt_length,
                    }
                    .into());
                }
                plans.push(plan);
            }
            i = j;
        }
        // Score the jobs, contig by contig.
        let mut pairs = vec![None; jobs.len()];
        let mut meta_deltas: Vec<Option<delta::Delta>> = vec![None; jobs.len()];
        let mut k = 0;
        while k < jobs.len() {
            let name = jobs[k].0.clone();
            let mut e = k;
            while e < jobs.len() && jobs[e].0 == name {
                e += 1;
            }
            let contig = genome
                .seek(&name)?
                .ok_or_else(|| Error::Internal(format!("contig {name} vanished from the FASTA")))?;
            let batch: Vec<Job> = jobs[k..e].iter().map(|(_, j, _)| j.clone()).collect();
            let wide = self
                .meta
                .map(|(_, engine)| engine.score(&contig.seq, &batch));
            let spliceai = match (&wide, self.meta) {
                // The meta-model reads all five networks: SpliceAI's own window is the middle
                // of its wider one, so one run gives both.
                (Some(wide), Some((m, _))) if m.networks() == spliceai::FILES.len() => {
                    (wide.iter().zip(&batch))
                        .map(|(p, job)| p.narrow(job, meta::REACH, self.cfg.distance))
                        .collect()
                }
                _ => self.engine.score(&contig.seq, &batch),
            };
            for (slot, p) in pairs[k..e].iter_mut().zip(spliceai) {
                *slot = Some(p);
            }
            if let (Some((m, _)), Some(wide)) = (self.meta, &wide) {
                let genes: Vec<usize> = jobs[k..e].iter().map(|j| j.2).collect();
                for (slot, dl) in meta_deltas[k..e]
                    .iter_mut()
                    .zip(self.meta_deltas(m, contig, &batch, &genes, wide)?)
                {
                    *slot = dl;
                }
            }
            k = e;
        }
        let mut lines = Vec::with_capacity(records.len());
        for (r, plan) in records.iter().zip(plans) {
            match plan {
                Plan::Skip(s) => {
                    tally.skipped.entry(s).or_default().add(|| example(r));
                    lines.push(r.line().to_string());
                }
                Plan::Entries(slots) if slots.is_empty() => lines.push(r.line().to_string()),
                Plan::Entries(slots) => {
                    let mut corrected = Vec::new();
                    let entries: Vec<String> = slots
                        .into_iter()
                        .map(|s| match s {
                            Slot::Text(t) => {
                                tally.unscored += 1;
                                corrected.push(t.clone());
                                t
                            }
                            Slot::Job { job, alt, gene } => {
                                tally.scored += 1;
                                let g = &self.genes.gene(gene);
                                let pair = pairs[job].as_ref().expect("every job was scored");
                                let boundary = self.genes.dist_to_boundary(gene, r.pos());
                                let dl = pair.delta(self.cfg.distance, boundary, self.cfg.mask);
                                if self.meta.is_some() {
                                    corrected.push(match &meta_deltas[job] {
                                        Some(m) => {
                                            tally.meta_scored += 1;
                                            delta::entry(&alt, &g.name, m)
                                        }
                                        None => {
                                            tally.meta_no_model.add(|| example(r));
                                            delta::unscored_entry(&alt, &g.name)
                                        }
                                    });
                                }
                                delta::entry(&alt, &g.name, &dl)
                            }
                        })
                        .collect();
                    tally.annotated += 1;
                    let mut fields = vec![("SpliceAI", entries.join(","))];
                    if self.meta.is_some() {
                        fields.push(("SpliceForge", corrected.join(",")));
                    }
                    lines.push(r.with_infos(&fields));
                }
            }
        }
        Ok((lines, tally))
    }

    /// The meta-model's delta scores of `jobs` (on `contig`; `genes`: each job's gene), `None`
    /// for a job whose gene has no gene model when the features need one.
    fn meta_deltas(
        &self,
        m: &Meta,
        contig: &fasta::Contig,
        jobs: &[Job],
        genes: &[usize],
        pairs: &[Pair],
    ) -> Result<Vec<Option<delta::Delta>>, Error> {
        let mut contexts = HashMap::new();
        if m.needs_gene_model() {
            for &g in genes {
                if let (Some(model), std::collections::hash_map::Entry::Vacant(v)) =
                    (&self.genes.gene(g).model, contexts.entry(g))
                {
                    v.insert(m.gene_context(model, contig));
                }
            }
        }
        let mut which = Vec::new();
        let mut meta_jobs = Vec::new();
        for (k, (job, pair)) in jobs.iter().zip(pairs).enumerate() {
            let structure = match contexts.get(&genes[k]) {
                Some((s, r)) => Some((s, r)),
                None if m.needs_gene_model() => continue,
                None => None,
            };
            which.push(k);
            meta_jobs.push(MetaJob {
                job,
                pair,
                structure,
            });
        }
        let deltas = m.deltas(
            &contig.seq,
            &meta_jobs,
            self.cfg.distance,
            self.cfg.mask,
            |i| {
                let k = which[i];
                self.genes.dist_to_boundary(genes[k], jobs[k].pos)
            },
        )?;
        let mut out = vec![None; jobs.len()];
        for (k, dl) in which.into_iter().zip(deltas) {
            out[k] = Some(dl);
        }
        Ok(out)
    }

    /// SpliceAI's record checks, in its order, and the jobs of a record that passes them.
    fn plan(
        &self,
        r: &vcf::Record,
        contig: Option<&[u8]>,
        d: u64,
        jobs: &mut Vec<(String, Job, usize)>,
        fasta_name: Option<&str>,
        tally: &mut Tally,
    ) -> Plan {
        let alts: Vec<&str> = r.alts().collect();
        if alts.is_empty() {
            return Plan::Skip(Skip::NoAlt);
        }
        let pos = r.pos();
        let genes: Vec<usize> = self.genes.genes_at(r.chrom(), pos).collect();
        if genes.is_empty() {
            return Plan::Skip(Skip::NoGene);
        }
        let (Some(seq), Some(fasta_name)) = (contig, fasta_name) else {
            return Plan::Skip(Skip::NoContig);
        };
        let reference = r.reference();
        let at = (pos - 1) as usize;
        let genome_ref = seq
            .get(at..(at + reference.len()).min(seq.len()))
            .unwrap_or(&[]);
        if !genome_ref.eq_ignore_ascii_case(reference.as_bytes())
            || genome_ref.len() != reference.len()
            || reference.bytes().any(|b| b.is_ascii_lowercase())
        {
            return Plan::Skip(Skip::RefMismatch);
        }
        let half = CONTEXT + d;
        if pos <= half || pos + half > seq.len() as u64 {
            return Plan::Skip(Skip::NearContigEnd);
        }
        if reference.len() as u64 > 2 * d {
            return Plan::Skip(Skip::RefTooLong);
        }
        let mut slots = Vec::new();
        for alt in alts {
            let kind = delta::allele(reference, alt);
            if kind == Allele::Skipped {
                tally.alleles_skipped.add(|| example(r));
                continue;
            }
            for &g in &genes {
                let gene = &self.genes.gene(g);
                if kind == Allele::Unscored {
                    slots.push(Slot::Text(delta::unscored_entry(alt, &gene.name)));
                    continue;
                }
                jobs.push((
                    fasta_name.to_string(),
                    Job {
                        gene: Span {
                            tx_start: gene.tx_start,
                            tx_end: gene.tx_end,
                            strand: gene.strand,
                        },
                        pos,
                        reference: reference.to_string(),
                        alt: alt.to_string(),
                    },
                    g,
                ));
                slots.push(Slot::Job {
                    job: jobs.len() - 1,
                    alt: alt.to_string(),
                    gene: g,
                });
            }
        }
        Plan::Entries(slots)
    }
}

/// `line N: CHROM:POS REF>ALT` for warnings.
fn example(r: &vcf::Record) -> String {
    let alts: Vec<&str> = r.alts().collect();
    let alt = if alts.is_empty() {
        ".".to_string()
    } else {
        alts.join(",")
    };
    let mut s = format!(
        "line {}: {}:{} {}>{}",
        r.line_no(),
        r.chrom(),
        r.pos(),
        r.reference(),
        alt
    );
    if s.len() > 80 {
        s.truncate(77);
        s.push('…');
    }
    s
}
