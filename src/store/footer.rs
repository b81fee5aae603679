//! Opening a Parquet file for reading: its footer read, then checked, so that a damaged file is
//! an error, never a panic inside the `parquet` crate.
//!
//! The crate trusts a footer's column-chunk offsets and sizes: a negative one panics when the
//! row group is read (`ColumnChunkMetaData::byte_range`), found by fuzzing (`docs/reliability.md`).
//! Every reader of Parquet in spliceforge opens its files here.

use std::fs::File;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{FileReader, SerializedFileReader};

/// Opens `file` as an Arrow record-batch reader whose footer has been checked.
pub fn open(file: File) -> Result<ParquetRecordBatchReaderBuilder<File>, ParquetError> {
    let len = file
        .metadata()
        .map_err(|e| ParquetError::External(Box::new(e)))?
        .len();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    check(builder.metadata(), len)?;
    Ok(builder)
}

/// Opens `file` as a low-level reader (footer only: row counts, key-value metadata), checked.
pub fn open_serialized(file: File) -> Result<SerializedFileReader<File>, ParquetError> {
    let len = file
        .metadata()
        .map_err(|e| ParquetError::External(Box::new(e)))?
        .len();
    let reader = SerializedFileReader::new(file)?;
    check(reader.metadata(), len)?;
    Ok(reader)
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
}
