//! Opening genome and annotation files: plain, gzip or bgzip, with line counting for errors.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::Error;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens `path` for buffered reading, decompressing gzip and bgzip (multi-member gzip) transparently.
///
/// Compression is detected from the file's first bytes, not from its name.
pub fn open(path: &Path) -> Result<Box<dyn BufRead + Send>, Error> {
    let file = File::open(path).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let head = reader.fill_buf().map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if head.is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    if head.starts_with(&GZIP_MAGIC) {
        let decoder = MultiGzDecoder::new(reader);
        Ok(Box::new(BufReader::with_capacity(1 << 16, decoder)))
    } else {
        Ok(Box::new(reader))
    }
}

/// Wraps a reader so that the number of newlines consumed so far is known: the line number of
/// the line just read, even when the parser on top skips blank lines by itself.
pub struct LineCounter<R> {
    inner: R,
    newlines: u64,
    ends_line: bool,
}

impl<R: BufRead> LineCounter<R> {
    /// Wraps `inner`; no line has been read yet.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            newlines: 0,
            ends_line: true,
        }
    }

    /// The 1-based number of the last line read (completely, or up to an unterminated end of file).
    pub fn line(&self) -> u64 {
        if self.ends_line {
            self.newlines.max(1)
        } else {
            self.newlines + 1
        }
    }

    fn count(&mut self, bytes: &[u8]) {
        if let Some(&last) = bytes.last() {
            self.newlines += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            self.ends_line = last == b'\n';
        }
    }
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        let (newlines, last) = match self.inner.fill_buf() {
            Ok(buf) => {
                let buf = &buf[..amt.min(buf.len())];
                (
                    buf.iter().filter(|&&b| b == b'\n').count() as u64,
                    buf.last().copied(),
                )
            }
            Err(_) => (0, None),
        };
        if let Some(last) = last {
            self.newlines += newlines;
            self.ends_line = last == b'\n';
        }
        self.inner.consume(amt);
    }
}

/// A read error for `path`, phrased for the user.
pub(crate) fn read_error(path: &Path, source: io::Error) -> Error {
    Error::Read {
        path: PathBuf::from(path),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_through_read_until() {
        let mut r = LineCounter::new(&b"a\n\nb\nc"[..]);
        let mut buf = Vec::new();
        r.read_until(b'\n', &mut buf).unwrap();
        assert_eq!(r.line(), 1);
        buf.clear();
        r.read_until(b'\n', &mut buf).unwrap();
        r.read_until(b'\n', &mut buf).unwrap();
        assert_eq!(r.line(), 3);
        r.read_until(b'\n', &mut buf).unwrap();
        assert_eq!(r.line(), 4);
    }
}
