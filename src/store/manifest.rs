//! The manifest: one JSON line per committed batch, then one `complete` line. The one place its
//! format is defined.
//!
//! A batch exists if and only if its line exists and parses. A torn last line (a kill during
//! the append) is dropped on resume; a damaged line before the last is corruption.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Error;
use crate::features::quality::{QUALITY_BINS, Quality, TypeQuality};

/// The manifest's file name inside a dataset.
pub const MANIFEST: &str = "manifest.jsonl";

/// A file of the dataset as committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the dataset directory.
    pub file: String,
    /// Rows (0 for non-row files).
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 (hex).
    pub sha256: String,
}

/// One gene of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneEntry {
    /// Gene id.
    pub id: String,
    /// Rows written.
    pub rows: u64,
    /// Annotated splice sites.
    pub sites: u64,
}

/// Rows per `pred_type` and per `splice_type`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCounts {
    /// TP rows.
    pub tp: u64,
    /// FP rows.
    pub fp: u64,
    /// FN rows.
    pub fn_: u64,
    /// TN rows.
    pub tn: u64,
    /// Donor rows.
    pub donor: u64,
    /// Acceptor rows.
    pub acceptor: u64,
    /// Neither rows.
    pub neither: u64,
}

impl ClassCounts {
    /// Adds another count.
    pub fn merge(&mut self, o: &ClassCounts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.tn += o.tn;
        self.donor += o.donor;
        self.acceptor += o.acceptor;
        self.neither += o.neither;
    }
}

/// Base-model quality with sparse histograms (non-zero bins only), for compact lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SparseTypeQuality {
    /// See [`TypeQuality`].
    pub sites: u64,
    /// See [`TypeQuality`].
    pub calls: u64,
    /// See [`TypeQuality`].
    pub true_calls: u64,
    /// See [`TypeQuality`].
    pub found_sites: u64,
    /// `(bin, count)` of true-site positions.
    pub pos: Vec<(u16, u64)>,
    /// `(bin, count)` of other positions.
    pub neg: Vec<(u16, u64)>,
}

fn sparse(h: &[u64]) -> Vec<(u16, u64)> {
    h.iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, c)| (i as u16, *c))
        .collect()
}

fn dense(s: &[(u16, u64)]) -> Vec<u64> {
    let mut h = vec![0; QUALITY_BINS];
    for &(i, c) in s {
        if let Some(slot) = h.get_mut(i as usize) {
            *slot += c;
        }
    }
    h
}

impl From<&TypeQuality> for SparseTypeQuality {
    fn from(q: &TypeQuality) -> Self {
        Self {
            sites: q.sites,
            calls: q.calls,
            true_calls: q.true_calls,
            found_sites: q.found_sites,
            pos: sparse(&q.hist_pos),
            neg: sparse(&q.hist_neg),
        }
    }
}

impl From<&SparseTypeQuality> for TypeQuality {
    fn from(s: &SparseTypeQuality) -> Self {
        Self {
            sites: s.sites,
            calls: s.calls,
            true_calls: s.true_calls,
            found_sites: s.found_sites,
            hist_pos: dense(&s.pos),
            hist_neg: dense(&s.neg),
        }
    }
}

/// [`Quality`] in manifest form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SparseQuality {
    /// Donor.
    pub donor: SparseTypeQuality,
    /// Acceptor.
    pub acceptor: SparseTypeQuality,
}

impl From<&Quality> for SparseQuality {
    fn from(q: &Quality) -> Self {
        Self {
            donor: (&q.donor).into(),
            acceptor: (&q.acceptor).into(),
        }
    }
}

impl From<&SparseQuality> for Quality {
    fn from(s: &SparseQuality) -> Self {
        Self {
            donor: (&s.donor).into(),
            acceptor: (&s.acceptor).into(),
        }
    }
}

/// A committed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchEntry {
    /// Batch number, from 1.
    pub batch: usize,
    /// Its genes, in order.
    pub genes: Vec<GeneEntry>,
    /// Its part files.
    pub parts: Vec<FileEntry>,
    /// Rows in the batch.
    pub rows: u64,
    /// Class mix of the batch.
    pub classes: ClassCounts,
    /// Base-model quality over every position of the batch's genes.
    pub quality: SparseQuality,
}

/// The last line of a finished run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteEntry {
    /// Batches committed.
    pub batches: usize,
    /// Rows in all.
    pub rows: u64,
    /// The per-gene table.
    pub genes_table: FileEntry,
    /// The summary.
    pub summary: FileEntry,
}

/// One manifest line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Entry {
    /// A committed batch.
    Batch(BatchEntry),
    /// The run is complete.
    Complete(CompleteEntry),
}

/// The parsed manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Committed batches, in order.
    pub batches: Vec<BatchEntry>,
    /// The completion record, if the run finished.
    pub complete: Option<CompleteEntry>,
    /// Bytes of a torn last line found (dropped by [`load`] with `repair`).
    pub torn_bytes: usize,
}

impl Manifest {
    /// The files in `dir/parts/` that no committed batch names (left by an interrupted run),
    /// in directory order, each as its path relative to `dir` (`parts/NAME`) and in full. None
    /// when `parts/` cannot be read.
    pub fn stray_parts(&self, dir: &Path) -> Vec<(String, PathBuf)> {
        let named: HashSet<&str> = (self.batches.iter())
            .flat_map(|b| b.parts.iter().map(|f| f.file.as_str()))
            .collect();
        let Ok(entries) = std::fs::read_dir(dir.join("parts")) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| {
                (
                    format!("parts/{}", e.file_name().to_string_lossy()),
                    e.path(),
                )
            })
            .filter(|(rel, _)| !named.contains(rel.as_str()))
            .collect()
    }

    /// Where the committed batches stop being the first of `batches` (the plan's, or a
    /// shard's share), said in words; `None` if they are.
    pub fn off_plan(&self, batches: &[usize]) -> Option<String> {
        let (k, b) = self
            .batches
            .iter()
            .enumerate()
            .find(|(k, b)| batches.get(*k) != Some(&b.batch))?;
        Some(format!(
            "batch {} is committed where the plan has {}",
            b.batch,
            batches
                .get(k)
                .map_or("no more batches".to_string(), |x| format!("batch {x}"))
        ))
    }
}

/// Checks that every part file the manifest names exists with its recorded size and, with
/// `checksums`, its recorded SHA-256: a file is never trusted because it exists. The first that
/// differs is the error (nothing is changed).
pub fn check_parts(dir: &Path, m: &Manifest, checksums: bool) -> Result<(), Error> {
    for b in &m.batches {
        for f in &b.parts {
            let p = dir.join(&f.file);
            let len = std::fs::metadata(&p).map(|md| md.len()).ok();
            let found = if len != Some(f.bytes) {
                Some(len.map_or("missing".to_string(), |l| format!("{l} bytes")))
            } else if checksums {
                let (sha, _) =
                    crate::store::fsutil::sha256_file(&p).map_err(|e| Error::read(&p, e))?;
                (sha != f.sha256).then(|| "other bytes (its SHA-256 differs)".to_string())
            } else {
                None
            };
            if let Some(found) = found {
                return Err(Error::Corrupt {
                    path: p,
                    message: format!(
                        "committed in batch {} with {} bytes but {found}; the output was modified or damaged after commit (start over with --overwrite; for a dataset, `spliceforge verify` says what else changed)",
                        b.batch, f.bytes,
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Removes `.tmp/` and any part file the manifest does not name; checks the named ones exist
/// with their recorded sizes (a dataset, or `score`'s work directory).
pub fn tidy(dir: &Path, m: &Manifest) -> Result<(), Error> {
    let tmp = dir.join(".tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::write(&tmp, e))?;
    }
    check_parts(dir, m, false)?;
    for (_, path) in m.stray_parts(dir) {
        std::fs::remove_file(&path).map_err(|e| Error::write(&path, e))?;
    }
    Ok(())
}

/// Reads the manifest at `path` (missing = empty). With `repair`, a torn last line is truncated
/// away on disk (and the file fsynced); without, it is only reported in `torn_bytes`.
pub fn load(path: &Path, repair: bool) -> Result<Manifest, Error> {
    let mut text = Vec::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut text).map_err(|e| Error::read(path, e))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
        Err(e) => return Err(Error::read(path, e)),
    }
    let mut m = Manifest::default();
    let mut good_end = 0usize;
    let mut pos = 0usize;
    let mut line_no = 0;
    while pos < text.len() {
        line_no += 1;
        let end = text[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| pos + i);
        let (line, next) = match end {
            Some(e) => (&text[pos..e], e + 1),
            None => (&text[pos..], text.len()),
        };
        let parsed = if end.is_some() {
            serde_json::from_slice::<Entry>(line).ok()
        } else {
            None // a line without its newline was never fully appended
        };
        match parsed {
            Some(entry) => {
                match entry {
                    Entry::Batch(b) => {
                        if m.complete.is_some() {
                            return Err(corrupt(
                                path,
                                line_no,
                                "a batch after the completion line",
                            ));
                        }
                        // Batches come in order; a shard's skip the other shards' batches.
                        let last = m.batches.last().map_or(0, |l| l.batch);
                        if b.batch <= last {
                            return Err(corrupt(
                                path,
                                line_no,
                                &format!("batch {} after batch {last}", b.batch),
                            ));
                        }
                        m.batches.push(b)
                    }
                    Entry::Complete(c) => m.complete = Some(c),
                }
                good_end = next;
            }
            None if next == text.len() => {
                m.torn_bytes = text.len() - good_end;
            }
            None => return Err(corrupt(path, line_no, "line does not parse")),
        }
        pos = next;
    }
    if repair && m.torn_bytes > 0 {
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::write(path, e))?;
        f.set_len(good_end as u64)
            .map_err(|e| Error::write(path, e))?;
        f.sync_all().map_err(|e| Error::write(path, e))?;
    }
    Ok(m)
}

fn corrupt(path: &Path, line: usize, what: &str) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        message: format!(
            "line {line}: {what}; the manifest is damaged beyond repair (start over with --overwrite)"
        ),
    }
}

/// Appends one entry as a line and fsyncs the manifest (and its directory when it is new).
pub fn append(path: &Path, entry: &Entry) -> Result<(), Error> {
    let existed = path.exists();
    let mut line = serde_json::to_vec(entry).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    line.push(b'\n');
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::write(path, e))?;
    f.write_all(&line).map_err(|e| Error::write(path, e))?;
    f.sync_all().map_err(|e| Error::write(path, e))?;
    if !existed && let Some(dir) = path.parent() {
        super::fsutil::fsync_dir(dir).map_err(|e| Error::write(dir, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(n: usize) -> Entry {
        Entry::Batch(BatchEntry {
            batch: n,
            genes: vec![GeneEntry {
                id: format!("g{n}"),
                rows: 3,
                sites: 2,
            }],
            parts: vec![],
            rows: 3,
            classes: ClassCounts::default(),
            quality: SparseQuality::default(),
        })
    }

    #[test]
    fn torn_last_line_is_dropped_and_repaired() {
        let dir = crate::store::fsutil::TempDir::new("spliceforge-").unwrap();
        let p = dir.path().join(MANIFEST);
        append(&p, &batch(1)).unwrap();
        append(&p, &batch(2)).unwrap();
        let whole = std::fs::read(&p).unwrap();
        let mut torn = whole.clone();
        torn.extend_from_slice(br#"{"kind":"batch","batch":3,"ge"#);
        std::fs::write(&p, &torn).unwrap();
        let m = load(&p, false).unwrap();
        assert_eq!((m.batches.len(), m.torn_bytes > 0), (2, true));
        assert_eq!(std::fs::read(&p).unwrap(), torn, "no repair without repair");
        load(&p, true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), whole);
        // A complete line without its newline was never committed either.
        let mut no_nl = whole.clone();
        no_nl.extend_from_slice(&serde_json::to_vec(&batch(3)).unwrap());
        std::fs::write(&p, &no_nl).unwrap();
        assert_eq!(load(&p, true).unwrap().batches.len(), 2);
    }

    #[test]
    fn damage_before_the_last_line_is_corruption() {
        let dir = crate::store::fsutil::TempDir::new("spliceforge-").unwrap();
        let p = dir.path().join(MANIFEST);
        std::fs::write(&p, b"{oops}\n").unwrap();
        append(&p, &batch(1)).unwrap();
        assert!(matches!(load(&p, true), Err(Error::Corrupt { .. })));
    }
}
