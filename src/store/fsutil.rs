//! Crash-safe file primitives: write under a temporary name, fsync, rename, fsync the directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Environment variable: fail part writes with "No space left on device" once this many bytes
/// have been written by the process (fault injection for tests; never set it otherwise).
pub const FAULT_ENV: &str = "SPLICEFORGE_FAULT_WRITE_AFTER_BYTES";

/// Fsyncs a directory so that renames and creations inside it are durable.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes the directory `dir` and everything in it so that a kill at any instant leaves it
/// either whole or gone, never half-removed under its own name (where a rerun would find a
/// directory without its marker and refuse it): `dir` is renamed to a hidden sibling
/// (`.NAME.removing`) first, then deleted. A sibling left by a kill during an earlier removal
/// is deleted first. A missing `dir` is not an error.
pub fn remove_dir(dir: &Path) -> io::Result<()> {
    let Some(name) = dir.file_name() else {
        return fs::remove_dir_all(dir);
    };
    let trash = dir.with_file_name(format!(".{}.removing", name.to_string_lossy()));
    let gone = |r: io::Result<()>| match r {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        other => other.map(|()| true),
    };
    gone(fs::remove_dir_all(&trash))?;
    if !gone(fs::rename(dir, &trash))? {
        return Ok(());
    }
    fs::remove_dir_all(&trash)
}

/// The one way spliceforge writes a file: under a temporary name in a scratch directory,
/// hashed as it goes; [`AtomicFile::commit`] fsyncs it, renames it to its destination and
/// fsyncs the destination's directory. Until then the destination is untouched; a file never
/// committed is left in the scratch directory, which resume clears.
pub struct AtomicFile {
    writer: HashingWriter,
    tmp: std::path::PathBuf,
    dest: std::path::PathBuf,
}

impl AtomicFile {
    /// Starts `dest`, written as `tmp_dir/<dest's name>` (the directory is created).
    pub fn create(dest: &Path, tmp_dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(tmp_dir)?;
        let tmp = tmp_dir.join(dest.file_name().unwrap_or_default());
        Ok(Self {
            writer: HashingWriter::create(&tmp)?,
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    /// Starts `dest`, written as `.<dest's name>.<pid>.tmp` beside it (the same directory, so
    /// the rename is atomic), for a file that lives outside a run's directory (an annotated
    /// VCF). The directory must exist.
    pub fn beside(dest: &Path) -> io::Result<Self> {
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
        let tmp = dest.with_file_name(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        Ok(Self {
            writer: HashingWriter::create(&tmp)?,
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    /// The temporary file being written.
    pub fn tmp(&self) -> &Path {
        &self.tmp
    }

    /// Fsyncs, renames to the destination (creating its directory), fsyncs that directory;
    /// returns the file's SHA-256 (hex) and size.
    pub fn commit(self) -> io::Result<(String, u64)> {
        self.commit_after(|| {})
    }

    /// [`commit`](AtomicFile::commit), calling `between` once the file is fsynced and before
    /// it is renamed (the kill tests widen that window).
    pub fn commit_after(self, between: impl FnOnce()) -> io::Result<(String, u64)> {
        let digest = self.writer.finish()?;
        between();
        let dir = self
            .dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        fs::rename(&self.tmp, &self.dest)?;
        fsync_dir(dir)?;
        Ok(digest)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Writes `bytes` to `path` atomically (an [`AtomicFile`] in `tmp_dir`).
pub fn write_atomic(path: &Path, tmp_dir: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path, tmp_dir)?;
    f.write_all(bytes)?;
    f.commit().map(|_| ())
}

/// The SHA-256 of a file, as lower-case hex, with its size.
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        n_total += n as u64;
    }
    Ok((hex(&h.finalize()), n_total))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file writer that hashes and counts what passes through, and can inject a disk-full fault.
pub struct HashingWriter {
    file: File,
    hasher: Sha256,
    bytes: u64,
    fault_after: Option<u64>,
}

static WRITTEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl HashingWriter {
    /// Creates (truncating) `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(Self {
            file,
            hasher: Sha256::new(),
            bytes: 0,
            fault_after: std::env::var(FAULT_ENV).ok().and_then(|v| v.parse().ok()),
        })
    }

    /// Fsyncs and returns the SHA-256 (hex) and size of what was written.
    pub fn finish(self) -> io::Result<(String, u64)> {
        self.file.sync_all()?;
        Ok((hex(&self.hasher.finalize()), self.bytes))
    }
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(limit) = self.fault_after {
            let total = WRITTEN.fetch_add(buf.len() as u64, std::sync::atomic::Ordering::SeqCst);
            if total + buf.len() as u64 > limit {
                return Err(io::Error::from_raw_os_error(28)); // ENOSPC
            }
        }
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A fresh directory under the system's temporary directory, removed (with its content) when
/// dropped. For tests and scratch work; names never collide within or across processes.
#[derive(Debug)]
pub struct TempDir {
    path: std::path::PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/<prefix><pid>-<n>-<nanos>`.
    pub fn new(prefix: &str) -> io::Result<Self> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let n = N.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("{prefix}{}-{n}-{nanos}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to the file `name` inside the directory; returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> io::Result<std::path::PathBuf> {
        let p = self.path.join(name);
        fs::write(&p, bytes)?;
        Ok(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
/// One file in its own [`TempDir`], removed when dropped.
#[derive(Debug)]
pub struct TempFile {
    _dir: TempDir,
    path: std::path::PathBuf,
}

#[cfg(test)]
impl TempFile {
    /// A temporary file holding `bytes`.
    pub fn new(bytes: &[u8]) -> io::Result<Self> {
        let dir = TempDir::new("spliceforge-")?;
        let path = dir.file("file", bytes)?;
        Ok(Self { _dir: dir, path })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A removed directory is gone whole, and what a kill left of an earlier removal (the
    /// hidden sibling) goes with it; a missing directory is no error.
    #[test]
    fn remove_dir_leaves_nothing_and_clears_a_killed_removal() {
        let root = TempDir::new("spliceforge-rm-").unwrap();
        let dir = root.path().join("model.rank-1");
        fs::create_dir_all(dir.join("folds")).unwrap();
        fs::write(dir.join(".spliceforge-train"), b"").unwrap();
        fs::write(dir.join("folds/fold-1.parquet"), b"x").unwrap();
        // A removal killed half-way: the renamed copy is all that is left of it.
        let left = root.path().join(".model.rank-1.removing");
        fs::create_dir_all(left.join("folds")).unwrap();
        fs::write(left.join("folds/fold-2.parquet"), b"y").unwrap();
        remove_dir(&dir).unwrap();
        assert!(!dir.exists() && !left.exists());
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
        remove_dir(&dir).unwrap();
    }
}
