//! A resumable one-file Parquet output (`score`'s scores file; `predict`'s every-base table):
//! the builder's rules for a single file. A run works in `OUT.work/`: a lock, the run's
//! fingerprint, one part per batch of genes written under a temporary name, fsynced, renamed,
//! then recorded in a manifest; the same command again resumes after the last recorded batch.
//! When every batch is in, the parts are concatenated in batch order into `OUT` (temporary name,
//! fsync, rename) and the work directory goes. `OUT` carries the fingerprint in its Parquet
//! metadata, so a finished run is recognised and a changed one refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::Schema as ArrowSchema;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::FileReader;

use super::fsutil::{AtomicFile, write_atomic};
use super::lock::Lock;
use super::manifest::{self, BatchEntry, Entry, GeneEntry, MANIFEST};
use super::part::{PartWriter, write_error};
use super::{Error, Fingerprint, part_name};

/// What a kind of output is: its columns, the metadata key of its fingerprint, and how users
/// call it in messages.
pub struct Kind {
    /// The columns.
    pub schema: Arc<ArrowSchema>,
    /// Parquet metadata key holding the fingerprint of the run that wrote the file.
    pub fingerprint_key: &'static str,
    /// Columns stored with a dictionary (few distinct values: chrom, strand, gene id).
    pub dictionary: &'static [&'static str],
    /// The file in words, e.g. "a scores file written by `spliceforge score`".
    pub what: &'static str,
}

/// Rows per record batch when a table is assembled from its parts (the Parquet reader's
/// default): a merge that writes the same rows in the same chunks writes the same bytes.
pub const CHUNK_ROWS: usize = 1024;

impl Kind {
    fn properties(&self, metadata: Option<Vec<KeyValue>>) -> WriterProperties {
        let mut b = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_dictionary_enabled(false);
        for c in self.dictionary {
            b = b.set_column_dictionary_enabled((*c).into(), true);
        }
        b.set_max_row_group_row_count(Some(1 << 20))
            .set_key_value_metadata(metadata)
            .build()
    }

    /// Writes the table `out` atomically (scratch in `tmp_dir`) from `batches`, with the digest
    /// of the run that wrote it and `extra` key-value metadata; returns its rows.
    pub fn write_table(
        &self,
        out: &Path,
        tmp_dir: &Path,
        digest: &str,
        extra: &[(String, String)],
        batches: impl Iterator<Item = Result<RecordBatch, Error>>,
    ) -> Result<u64, Error> {
        let file = AtomicFile::create(out, tmp_dir).map_err(|e| Error::write(tmp_dir, e))?;
        let tmp = file.tmp().to_path_buf();
        let mut metadata = vec![KeyValue::new(
            self.fingerprint_key.to_string(),
            digest.to_string(),
        )];
        metadata.extend(
            extra
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
        );
        let props = self.properties(Some(metadata));
        let mut w = ArrowWriter::try_new(file, self.schema.clone(), Some(props))
            .map_err(|e| write_error(&tmp, e))?;
        let mut rows = 0u64;
        for batch in batches {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            w.write(&batch).map_err(|e| write_error(&tmp, e))?;
        }
        let file = w.into_inner().map_err(|e| write_error(&tmp, e))?;
        file.commit().map_err(|e| Error::write(out, e))?;
        Ok(rows)
    }
}

/// A table's key-value metadata entry `key`, if the file is a Parquet file that has it.
pub fn metadata(path: &Path, key: &str) -> Option<String> {
    let f = fs::File::open(path).ok()?;
    let reader = crate::genome::safe_parquet::open_serialized(f).ok()?;
    reader
        .metadata()
        .file_metadata()
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone())
}

/// The work directory of output `out`: `OUT.work`.
pub fn work_dir(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".work");
    PathBuf::from(s)
}

/// When `out` exists: its rows if it is this run's finished file (the same fingerprint, no work
/// directory left), else the error that refuses it (another run's file, or not ours). `None`
/// when `out` does not exist.
pub fn finished(kind: &Kind, out: &Path, fp: &Fingerprint) -> Result<Option<u64>, Error> {
    if !out.exists() {
        return Ok(None);
    }
    match file_fingerprint(kind, out) {
        Some(f) if f == fp.digest() && !work_dir(out).exists() => Ok(Some(count_rows(out)?)),
        Some(_) => Err(Error::FingerprintMismatch {
            dir: out.to_path_buf(),
            changes: vec!["the inputs or settings differ from the run that wrote it".into()],
        }),
        None => Err(Error::Corrupt {
            path: out.to_path_buf(),
            message: format!(
                "exists and is not {}; move it away, or pass --overwrite to replace it",
                kind.what
            ),
        }),
    }
}

/// An output being written: its work directory, locked, with the batches committed so far.
pub struct Output<'k> {
    kind: &'k Kind,
    out: PathBuf,
    work: PathBuf,
    digest: String,
    committed: usize,
    _lock: Lock,
}

impl<'k> Output<'k> {
    /// Opens (or, with `overwrite`, clears) the work directory of `out`, locks it, refuses one
    /// left by a run of another fingerprint, removes what an interrupted run left uncommitted,
    /// and finds the committed batches.
    pub fn open(
        kind: &'k Kind,
        out: &Path,
        fp: &Fingerprint,
        overwrite: bool,
    ) -> Result<Self, Error> {
        let work = work_dir(out);
        if overwrite && work.exists() {
            fs::remove_dir_all(&work).map_err(|e| Error::write(&work, e))?;
        }
        fs::create_dir_all(work.join("parts")).map_err(|e| Error::write(&work, e))?;
        let lock = Lock::acquire(&work)?;
        check_fingerprint(&work, fp)?;
        let m = manifest::load(&work.join(MANIFEST), true)?;
        manifest::tidy(&work, &m)?;
        Ok(Output {
            kind,
            out: out.to_path_buf(),
            work,
            digest: fp.digest(),
            committed: m.batches.len(),
            _lock: lock,
        })
    }

    /// Batches committed (by earlier runs, then this one); the next is batch `committed() + 1`.
    pub fn committed(&self) -> usize {
        self.committed
    }

    /// Writes `batch` as the next committed batch's part (temporary name, fsync, rename) and
    /// records it, as batch number `n` with its genes, in the manifest.
    pub fn commit(
        &mut self,
        n: usize,
        genes: Vec<GeneEntry>,
        batch: &RecordBatch,
    ) -> Result<(), Error> {
        let props = self.kind.properties(None);
        let mut w = PartWriter::with_properties(
            &self.work,
            &part_name(n),
            self.kind.schema.clone(),
            props,
        )?;
        w.push(batch)?;
        let file = w.finish()?;
        let entry = BatchEntry {
            batch: n,
            genes,
            rows: file.rows,
            parts: vec![file],
            classes: Default::default(),
            quality: Default::default(),
        };
        manifest::append(&self.work.join(MANIFEST), &Entry::Batch(entry))?;
        self.committed += 1;
        Ok(())
    }

    /// The committed batches, in order: each batch's number and rows.
    pub fn batches(&self) -> Result<Vec<(usize, u64)>, Error> {
        let m = manifest::load(&self.work.join(MANIFEST), false)?;
        Ok(m.batches.iter().map(|b| (b.batch, b.rows)).collect())
    }

    /// Concatenates the committed parts, in commit order and [`CHUNK_ROWS`] rows at a time,
    /// into the output file (atomically, with `extra` key-value metadata after the
    /// fingerprint), removes the work directory and returns the rows written.
    pub fn finish(self, extra: &[(String, String)]) -> Result<u64, Error> {
        let m = manifest::load(&self.work.join(MANIFEST), false)?;
        let paths: Vec<PathBuf> = (m.batches.iter())
            .flat_map(|b| b.parts.iter().map(|f| self.work.join(&f.file)))
            .collect();
        let batches = paths.iter().flat_map(|path| {
            let reader = fs::File::open(path)
                .map_err(|e| Error::read(path, e))
                .and_then(|file| {
                    crate::genome::safe_parquet::open(file)
                        .map(|r| r.with_batch_size(CHUNK_ROWS))
                        .and_then(crate::genome::safe_parquet::build)
                        .map_err(|e| Error::damaged_parquet(path, e))
                });
            let (ok, err) = match reader {
                Ok(r) => (Some(r), None),
                Err(e) => (None, Some(Err(e))),
            };
            (ok.into_iter().flatten())
                .map(move |b| b.map_err(|e| Error::damaged_parquet(path, e)))
                .chain(err)
        });
        let tmp_dir = self.work.join(".tmp");
        let rows = self
            .kind
            .write_table(&self.out, &tmp_dir, &self.digest, extra, batches)?;
        fs::remove_dir_all(&self.work).map_err(|e| Error::write(&self.work, e))?;
        Ok(rows)
    }
}

/// Refuses a work directory left by a run of another fingerprint; records the fingerprint in a
/// new one (`run.json`, and its digest in `fingerprint`).
fn check_fingerprint(work: &Path, fp: &Fingerprint) -> Result<(), Error> {
    let fp_path = work.join("fingerprint");
    let digest = fp.digest();
    match fs::read_to_string(&fp_path) {
        Ok(old) if old.trim() != digest => Err(Error::FingerprintMismatch {
            dir: work.to_path_buf(),
            changes: changes(work, fp),
        }),
        Ok(_) => Ok(()),
        Err(_) => {
            let text = serde_json::to_vec_pretty(fp).map_err(|e| Error::Corrupt {
                path: work.join("run.json"),
                message: format!("cannot serialise the run's fingerprint: {e}"),
            })?;
            write_atomic(&work.join("run.json"), &work.join(".tmp"), &text)
                .map_err(|e| Error::write(work, e))?;
            write_atomic(&fp_path, &work.join(".tmp"), digest.as_bytes())
                .map_err(|e| Error::write(&fp_path, e))?;
            Ok(())
        }
    }
}

/// What differs between the run recorded in `work` and `new`, in words.
fn changes(work: &Path, new: &Fingerprint) -> Vec<String> {
    fs::read(work.join("run.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Fingerprint>(&b).ok())
        .map(|old| old.diff(new))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| vec!["the run fingerprint".into()])
}

/// The fingerprint a finished output file carries, if it is one of this kind.
fn file_fingerprint(kind: &Kind, path: &Path) -> Option<String> {
    metadata(path, kind.fingerprint_key)
}

fn count_rows(path: &Path) -> Result<u64, Error> {
    let f = fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let reader = crate::genome::safe_parquet::open_serialized(f)
        .map_err(|e| Error::damaged_parquet(path, e))?;
    Ok(reader.metadata().file_metadata().num_rows() as u64)
}
