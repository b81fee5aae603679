//! `spliceforge merge`: the shards of a sharded build (`builder --shard I/N`) joined into the one
//! dataset an unsharded build with the same arguments writes, byte for byte.
//!
//! Every shard is checked before anything is written: all N present once, each finished and
//! intact, all of one run. Then the merge commits batch by batch like the builder does (part
//! linked or copied under `.tmp/`, renamed, then its manifest line appended), so a merge killed
//! at any instant is finished by running it again.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{check_file, clear_new, complete};
use crate::Error;
use crate::store::fsutil::{AtomicFile, fsync_dir, write_atomic};
use crate::store::genes::{self, GeneRow};
use crate::store::lock::Lock;
use crate::store::manifest::tidy;
use crate::store::manifest::{self, BatchEntry, Entry, FileEntry, MANIFEST, Manifest};
use crate::store::part::phase;
use crate::store::{self, RunInfo, Shard};

/// How the parts reach the merged dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// Hard links where the filesystem allows, else copies.
    Link,
    /// Always copies (checksummed).
    Copy,
}

/// What a merge did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The shards joined.
    pub shards: usize,
    /// Batches in the merged dataset.
    pub batches: usize,
    /// Rows in the merged dataset.
    pub rows: u64,
    /// Part files hard-linked by this call.
    pub linked: usize,
    /// Part files copied by this call.
    pub copied: usize,
    /// Batches an earlier, interrupted merge had committed.
    pub resumed_from: usize,
    /// The merge was already complete: nothing was written.
    pub already_complete: bool,
}

/// A finished shard, read and checked.
struct Finished {
    dir: PathBuf,
    run: RunInfo,
    shard: Shard,
    manifest: Manifest,
}

/// Joins the shard directories `dirs` into `out`.
pub fn merge(out: &Path, dirs: &[PathBuf], transfer: Transfer) -> Result<Report, Error> {
    let shards = check_shards(out, dirs)?;
    let whole = shards[0].run.whole();
    fs::create_dir_all(out).map_err(|e| store::Error::write(out, e))?;
    let _lock = Lock::acquire(out)?;
    open_out(out, &whole)?;
    let manifest_path = out.join(MANIFEST);
    let m = manifest::load(&manifest_path, true)?;
    let mut report = Report {
        shards: shards.len(),
        batches: whole.plan.batches,
        resumed_from: m.batches.len(),
        ..Report::default()
    };
    if m.complete.is_some() {
        report.already_complete = true;
        report.rows = m.batches.iter().map(|b| b.rows).sum();
        return Ok(report);
    }
    tidy(out, &m)?;
    if let Some(bytes) = read_base_model(&shards[0].dir)? {
        let path = out.join("basemodel.json");
        write_atomic(&path, &out.join(".tmp"), &bytes)
            .map_err(|e| store::Error::write(&path, e))?;
    }
    let by_batch: BTreeMap<usize, (&Finished, &BatchEntry)> = shards
        .iter()
        .flat_map(|s| s.manifest.batches.iter().map(move |b| (b.batch, (s, b))))
        .collect();
    for (_, (shard, entry)) in by_batch.range(m.batches.len() + 1..) {
        for part in &entry.parts {
            match place(&shard.dir, out, part, transfer)? {
                Transfer::Link => report.linked += 1,
                Transfer::Copy => report.copied += 1,
            }
        }
        let parts = out.join("parts");
        fsync_dir(&parts).map_err(|e| store::Error::write(&parts, e))?;
        manifest::append(&manifest_path, &Entry::Batch((*entry).clone()))?;
        phase("recorded");
    }
    let rows = gene_rows(&shards, &whole)?;
    complete(out, &rows, &whole)?;
    report.rows = by_batch.values().map(|(_, b)| b.rows).sum();
    Ok(report)
}

/// Reads every shard and checks that together they are one whole, finished run; names every
/// shard that is not (all problems at once).
fn check_shards(out: &Path, dirs: &[PathBuf]) -> Result<Vec<Finished>, Error> {
    let mut problems = Vec::new();
    let mut shards: Vec<Finished> = Vec::new();
    for dir in dirs {
        if same_dir(dir, out) {
            problems.push(format!(
                "{}: is also --out; merge into a new directory",
                dir.display()
            ));
            continue;
        }
        let run = RunInfo::load_dataset(dir)?;
        let Some(shard) = run.shard else {
            problems.push(format!(
                "{}: not a shard (built without --shard); merge joins the outputs of `builder --shard I/N`",
                dir.display()
            ));
            continue;
        };
        let manifest = manifest::load(&dir.join(MANIFEST), false)?;
        if let Some(p) = unfinished(dir, &run, shard, &manifest) {
            problems.push(p);
            continue;
        }
        shards.push(Finished {
            dir: dir.clone(),
            run,
            shard,
            manifest,
        });
    }
    if let Some(first) = shards.first() {
        problems.extend(foreign(first, &shards[1..]));
        problems.extend(coverage(first.shard.count, &shards));
    }
    if problems.is_empty() {
        Ok(shards)
    } else {
        Err(store::Error::Shards { problems }.into())
    }
}

/// Whether two paths name the same directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Why a shard is not finished and intact, if it is not.
fn unfinished(dir: &Path, run: &RunInfo, shard: Shard, m: &Manifest) -> Option<String> {
    let want = run.plan.batches_of(Some(shard));
    let done: Vec<usize> = m.batches.iter().map(|b| b.batch).collect();
    let name = format!("{} (shard {shard})", dir.display());
    if m.complete.is_none() || done != want {
        let state = if done == want {
            "all its batches are committed but it was not completed".to_string()
        } else {
            format!("{} of its {} batches are committed", done.len(), want.len())
        };
        return Some(format!(
            "{name}: not finished ({state}); run its builder command again to finish it"
        ));
    }
    let files = m.batches.iter().flat_map(|b| &b.parts);
    let c = m.complete.as_ref()?;
    for f in files.chain([&c.genes_table, &c.summary]) {
        if !check_file(dir, f) {
            return Some(format!(
                "{name}: {} is missing or changed since it was committed; run `spliceforge verify {}`, and rebuild the shard if it fails",
                f.file,
                dir.display()
            ));
        }
    }
    None
}

/// The shards that are not of `first`'s run (other content, inputs, plan, shard count or base
/// model).
fn foreign(first: &Finished, rest: &[Finished]) -> Vec<String> {
    let whole = first.run.whole();
    let model = read_base_model(&first.dir).ok().flatten();
    let mut out = Vec::new();
    for s in rest {
        let name = format!("{} (shard {})", s.dir.display(), s.shard);
        let other = s.run.whole();
        let mut changes = whole.content.diff(&other.content);
        if s.shard.count != first.shard.count {
            changes.push(format!(
                "split into {} shards, not {}",
                s.shard.count, first.shard.count
            ));
        }
        if changes.is_empty() && other.plan != whole.plan {
            changes.push("its plan (genes and batches) differs".into());
        }
        if changes.is_empty() && read_base_model(&s.dir).ok().flatten() != model {
            changes.push("its basemodel.json differs".into());
        }
        if !changes.is_empty() {
            out.push(format!(
                "{name}: of another run than {} (shard {}): {}",
                first.dir.display(),
                first.shard,
                changes.join("; ")
            ));
        }
    }
    out
}

/// Shards given twice, and shards of `0..count` not given.
fn coverage(count: usize, shards: &[Finished]) -> Vec<String> {
    let mut by_index: BTreeMap<usize, Vec<&Path>> = BTreeMap::new();
    for s in shards.iter().filter(|s| s.shard.count == count) {
        by_index.entry(s.shard.index).or_default().push(&s.dir);
    }
    let mut out = Vec::new();
    for (index, dirs) in &by_index {
        if dirs.len() > 1 {
            let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            out.push(format!(
                "shard {index}/{count} is given {} times: {}",
                dirs.len(),
                names.join(", ")
            ));
        }
    }
    for index in (0..count).filter(|i| !by_index.contains_key(i)) {
        out.push(format!(
            "shard {index}/{count} is missing; build it with `builder --shard {index}/{count}` and the same arguments"
        ));
    }
    out
}

/// A shard's `basemodel.json`, if it has one.
fn read_base_model(dir: &Path) -> Result<Option<Vec<u8>>, Error> {
    let path = dir.join("basemodel.json");
    match fs::read(&path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(store::Error::read(&path, e).into()),
    }
}

/// Makes `out` ready: a new or empty directory gets the whole run's run.json; an interrupted
/// merge of the same run is resumed; anything else is refused.
fn open_out(out: &Path, whole: &RunInfo) -> Result<(), Error> {
    match RunInfo::load(out)? {
        Some(found) if found.fingerprint != whole.fingerprint || found.plan != whole.plan => {
            let changes = found.content.diff(&whole.content);
            Err(store::Error::FingerprintMismatch {
                dir: out.to_path_buf(),
                changes: if changes.is_empty() {
                    vec!["its plan (genes and batches)".into()]
                } else {
                    changes
                },
            }
            .into())
        }
        Some(_) => Ok(()),
        None => {
            clear_new(out)?;
            whole.save(out)?;
            Ok(())
        }
    }
}

/// Puts a shard's part file into `out` under its name: hard-linked (when allowed and possible)
/// or copied and checked against its checksum; returns which.
fn place(shard: &Path, out: &Path, f: &FileEntry, transfer: Transfer) -> Result<Transfer, Error> {
    let src = shard.join(&f.file);
    let dest = out.join(&f.file);
    let tmp_dir = out.join(".tmp");
    if transfer == Transfer::Link {
        fs::create_dir_all(&tmp_dir).map_err(|e| store::Error::write(&tmp_dir, e))?;
        let tmp = tmp_dir.join(dest.file_name().unwrap_or_default());
        let _ = fs::remove_file(&tmp);
        if fs::hard_link(&src, &tmp).is_ok() {
            if let Some(dir) = dest.parent() {
                fs::create_dir_all(dir).map_err(|e| store::Error::write(dir, e))?;
            }
            fs::rename(&tmp, &dest).map_err(|e| store::Error::write(&dest, e))?;
            return Ok(Transfer::Link);
        }
    }
    let mut from = fs::File::open(&src).map_err(|e| store::Error::read(&src, e))?;
    let mut to = AtomicFile::create(&dest, &tmp_dir).map_err(|e| store::Error::write(&dest, e))?;
    io::copy(&mut from, &mut to).map_err(|e| store::Error::write(&dest, e))?;
    let (sha256, _) = to.commit().map_err(|e| store::Error::write(&dest, e))?;
    if sha256 != f.sha256 {
        let _ = fs::remove_file(&dest);
        return Err(store::Error::Corrupt {
            path: src,
            message: "its checksum differs from the one its manifest recorded; the shard is damaged: run `spliceforge verify` on it and rebuild it".into(),
        }
        .into());
    }
    Ok(Transfer::Copy)
}

/// The genes tables of the shards as one, in the plan's gene order.
fn gene_rows(shards: &[Finished], whole: &RunInfo) -> Result<Vec<GeneRow>, Error> {
    let mut by_id: HashMap<String, GeneRow> = HashMap::new();
    for s in shards {
        for row in genes::read(&s.dir)? {
            by_id.insert(row.id.clone(), row);
        }
    }
    whole
        .plan
        .genes
        .iter()
        .map(|id| {
            by_id.remove(id).ok_or_else(|| {
                store::Error::Shards {
                    problems: vec![format!(
                        "gene {id} of the plan is in no shard's genes.parquet; a shard is damaged (run `spliceforge verify` on each)"
                    )],
                }
                .into()
            })
        })
        .collect()
}
