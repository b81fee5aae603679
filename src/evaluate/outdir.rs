//! The output directory of `evaluate`: locked while a run writes it (`store::lock`), every file
//! written atomically (`store::fsutil`: temporary name in `.tmp/`, fsync, rename), and
//! `evaluation.json` (the run's fingerprint: the table's and annotation's checksums and the
//! settings) written last, so a directory holding it is complete. The same run again finds it
//! complete and changes nothing; another run is refused (exit 4) unless `--overwrite`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::store::fsutil::{fsync_dir, write_atomic};
use crate::store::lock::Lock;
use crate::store::{self, Fingerprint};

/// The record of a complete evaluation: its fingerprint, written last.
pub const RECORD: &str = "evaluation.json";

/// Every name `evaluate` writes in its directory.
pub const FILES: [&str; 8] = [
    "metrics.json",
    "report.md",
    "genes.tsv",
    "pr-donor.svg",
    "pr-acceptor.svg",
    RECORD,
    ".lock",
    ".tmp",
];

/// An output directory opened for one run, locked while this lives.
pub struct OutDir {
    dir: PathBuf,
    _lock: Lock,
    /// The same run's evaluation is already complete there.
    pub complete: bool,
}

impl OutDir {
    /// Creates or opens `dir`, refusing one that holds files not of `evaluate` (exit 8), locks
    /// it (exit 5 when another run holds it), and compares its record with `fp`: the same is
    /// complete; another is refused (exit 4) unless `overwrite`, which removes the record first
    /// (a run killed after that leaves no record of a complete run).
    pub fn open(dir: &Path, fp: &Fingerprint, overwrite: bool) -> Result<Self, Error> {
        fs::create_dir_all(dir).map_err(|e| store::Error::write(dir, e))?;
        let entries = fs::read_dir(dir).map_err(|e| store::Error::read(dir, e))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !FILES.contains(&name.as_str()) {
                return Err(super::Error::NotAnEvaluationDir {
                    dir: dir.to_path_buf(),
                    found: name,
                }
                .into());
            }
        }
        let lock = Lock::acquire(dir)?;
        let record = dir.join(RECORD);
        let mut complete = false;
        match fs::read(&record) {
            Ok(bytes) => {
                let old = serde_json::from_slice::<Fingerprint>(&bytes).ok();
                let same = old.as_ref().is_some_and(|o| o.digest() == fp.digest());
                if overwrite {
                    fs::remove_file(&record).map_err(|e| store::Error::write(&record, e))?;
                    fsync_dir(dir).map_err(|e| store::Error::write(dir, e))?;
                } else if same {
                    complete = true;
                } else {
                    let changes = old
                        .map(|o| o.diff(fp))
                        .filter(|d| !d.is_empty())
                        .unwrap_or_else(|| vec!["the evaluation's record".into()]);
                    return Err(store::Error::FingerprintMismatch {
                        dir: dir.to_path_buf(),
                        changes,
                    }
                    .into());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(store::Error::read(&record, e).into()),
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            _lock: lock,
            complete,
        })
    }

    /// The path of `name` in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `name` atomically.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.dir.join(name);
        write_atomic(&path, &self.dir.join(".tmp"), bytes)
            .map_err(|e| store::Error::write(&path, e))?;
        Ok(())
    }

    /// Writes the record (last: the directory is then complete) and removes the scratch
    /// directory.
    pub fn finish(&self, fp: &Fingerprint) -> Result<(), Error> {
        let bytes = serde_json::to_vec_pretty(fp)
            .map_err(|e| Error::Internal(format!("the evaluation's record: {e}")))?;
        self.write(RECORD, &bytes)?;
        let _ = fs::remove_dir(self.dir.join(".tmp"));
        Ok(())
    }
}
