//! The dataset lock: one builder per output directory, released by the OS if the holder dies.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use super::Error;

/// Holds the exclusive lock on `DIR/.lock` while alive.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock, or fails at once if another process holds it.
    pub fn acquire(dir: &Path) -> Result<Self, Error> {
        Self::acquire_named(dir, ".lock")
    }

    /// [`acquire`](Lock::acquire) on the lock file `name` of `dir` (one per shard of a run
    /// whose shards share a directory).
    pub fn acquire_named(dir: &Path, name: &str) -> Result<Self, Error> {
        let (file, path) = Self::open(dir, name)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::Locked {
                dir: dir.to_path_buf(),
            }),
            Err(TryLockError::Error(e)) => Err(Error::write(&path, e)),
        }
    }

    /// Whether another process (a builder, a merge) holds the lock of `dir` now. Asked by
    /// taking a shared lock and letting it go at once: a builder starting in that instant is
    /// refused as if another held the directory (exit 5), the one thing this costs.
    pub fn held_elsewhere(dir: &Path) -> bool {
        let Ok(file) = File::open(dir.join(".lock")) else {
            return false;
        };
        matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
    }

    /// Takes the lock, waiting while another process holds it (for short shared steps).
    pub fn wait(dir: &Path) -> Result<Self, Error> {
        let (file, path) = Self::open(dir, ".lock")?;
        file.lock().map_err(|e| Error::write(&path, e))?;
        Ok(Self { _file: file })
    }

    fn open(dir: &Path, name: &str) -> Result<(File, std::path::PathBuf), Error> {
        let path = dir.join(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::write(&path, e))?;
        Ok((file, path))
    }
}
