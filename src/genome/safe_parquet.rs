//! Reading Parquet files that may be damaged (imported base scores, and the dataset's own parts
//! and tables once they are on disk), so that a damaged file is an error, never a panic inside
//! the `parquet` crate. Every reader of Parquet in spliceforge opens its files and reads its
//! batches here; it sits with the inputs so that every layer above may use it.
//!
//! Two defences, both found needed by fuzzing (`docs/reliability.md`):
//! - the footer is checked before the crate uses it: the crate trusts a column chunk's offset
//!   and size, and a negative one panicked (`ColumnChunkMetaData::byte_range`);
//! - the crate's work runs under [`contain`]: some damaged pages still panic inside it (a
//!   dictionary-encoded page without its dictionary: "Decoder for dict should have been set"),
//!   and that panic becomes a [`ParquetError`], silently (no panic message on stderr).

use std::cell::Cell;
use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{FileReader, SerializedFileReader};

thread_local! {
    /// Set while [`contain`] runs: a panic then is the crate's, reported as an error.
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, work of the `parquet` crate on a file from elsewhere; a panic inside it is
/// returned as an error saying the file is damaged.
pub fn contain<T>(f: impl FnOnce() -> Result<T, ParquetError>) -> Result<T, ParquetError> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        // The hook in place (Rust's, or a fuzzer's that aborts) is kept for every other panic.
        let earlier = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(Cell::get) {
                earlier(info);
            }
        }));
    });
    let was = CONTAINED.with(|c| c.replace(true));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(was));
    outcome.unwrap_or_else(|panic| {
        let what = (panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(ParquetError::General(format!(
            "damaged data: the parquet reader gave up ({what})"
        )))
    })
}

/// Record batches read under [`contain`]; after an error, nothing more.
pub struct Batches {
    inner: Option<ParquetRecordBatchReader>,
}

impl Iterator for Batches {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let reader = self.inner.as_mut()?;
        let next = contain(|| Ok(reader.next())).unwrap_or_else(|e| Some(Err(e.into())));
        if !matches!(next, Some(Ok(_))) {
            self.inner = None;
        }
        next
    }
}

/// Builds the reader of `builder` (projection, row groups, batch size set) as [`Batches`].
pub fn build(builder: ParquetRecordBatchReaderBuilder<File>) -> Result<Batches, ParquetError> {
    let reader = contain(|| builder.build())?;
    Ok(Batches {
        inner: Some(reader),
    })
}

/// Opens `file` as an Arrow record-batch reader whose footer has been checked.
pub fn open(file: File) -> Result<ParquetRecordBatchReaderBuilder<File>, ParquetError> {
    let len = length(&file)?;
    let builder = contain(|| ParquetRecordBatchReaderBuilder::try_new(file))?;
    check(builder.metadata(), len)?;
    Ok(builder)
}

/// Opens `file` as a low-level reader (footer only: row counts, key-value metadata), checked.
pub fn open_serialized(file: File) -> Result<SerializedFileReader<File>, ParquetError> {
    let len = length(&file)?;
    let reader = contain(|| SerializedFileReader::new(file))?;
    check(reader.metadata(), len)?;
    Ok(reader)
}

/// The file's length, which its footer's offsets must stay within.
fn length(file: &File) -> Result<u64, ParquetError> {
    Ok(file
        .metadata()
        .map_err(|e| ParquetError::External(Box::new(e)))?
        .len())
}

/// Every row group's row count is non-negative and every column chunk lies inside the file.
pub fn check(meta: &ParquetMetaData, file_len: u64) -> Result<(), ParquetError> {
    let bad = |what: String| Err(ParquetError::General(format!("damaged footer: {what}")));
    if meta.file_metadata().num_rows() < 0 {
        return bad(format!("{} rows", meta.file_metadata().num_rows()));
    }
    for (g, group) in meta.row_groups().iter().enumerate() {
        if group.num_rows() < 0 {
            return bad(format!("row group {g} has {} rows", group.num_rows()));
        }
        for (c, col) in group.columns().iter().enumerate() {
            let start = col
                .dictionary_page_offset()
                .unwrap_or(col.data_page_offset());
            let size = col.compressed_size();
            let end = u64::try_from(start)
                .ok()
                .zip(u64::try_from(size).ok())
                .and_then(|(s, n)| s.checked_add(n));
            if col.data_page_offset() < 0 || end.is_none_or(|e| e > file_len) {
                return bad(format!(
                    "row group {g}, column {c}: {size} bytes at offset {start} do not lie in the \
                     file's {file_len} bytes"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{Int64Array, RecordBatch};
    use parquet::arrow::ArrowWriter;

    fn table() -> Vec<u8> {
        let a = Arc::new(Int64Array::from(vec![1i64, 2, 3])) as _;
        let batch = RecordBatch::try_from_iter([("x", a)]).unwrap();
        let mut w = ArrowWriter::try_new(Vec::new(), batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.into_inner().unwrap()
    }

    fn file_of(bytes: &[u8]) -> (crate::store::TempDir, File) {
        let dir = crate::store::TempDir::new("spliceforge-footer-").unwrap();
        let file = File::open(dir.file("t.parquet", bytes).unwrap()).unwrap();
        (dir, file)
    }

    #[test]
    fn a_sound_file_opens_and_reads() {
        let (_keep, file) = file_of(&table());
        let rows: usize = open(file)
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap().num_rows())
            .sum();
        assert_eq!(rows, 3);
    }

    #[test]
    fn a_column_chunk_beyond_the_file_is_an_error() {
        let bytes = table();
        let (_keep, file) = file_of(&bytes);
        let meta = open(file).unwrap().metadata().clone();
        // The same footer judged against a file shorter than its one column chunk.
        let short = meta.row_groups()[0].columns()[0].data_page_offset() as u64;
        let err = check(&meta, short).unwrap_err().to_string();
        assert!(
            err.contains("damaged footer") && err.contains("row group 0"),
            "{err}"
        );
        assert!(check(&meta, bytes.len() as u64).is_ok());
    }

    #[test]
    fn a_panic_of_the_parquet_crate_is_an_error_and_other_panics_stay_panics() {
        let e = contain::<()>(|| panic!("Decoder for dict should have been set")).unwrap_err();
        assert!(e.to_string().contains("Decoder for dict"), "{e}");
        assert!(contain(|| Ok(3)).unwrap() == 3);
        // Outside `contain`, a panic is still one (a bug of spliceforge is never hidden).
        assert!(std::panic::catch_unwind(|| panic!("ours")).is_err());
    }
}
