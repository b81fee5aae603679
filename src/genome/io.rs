//! Opening genome and annotation files: plain, gzip or bgzip, with line counting for errors,
//! and the one limit on a text line's length ([`max_line`]).

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

/// The default of [`max_line`]: 256 MiB.
pub const DEFAULT_MAX_LINE_MB: usize = 256;

/// The setting that raises (or lowers) [`max_line`]: a whole number of MiB.
pub const MAX_LINE_ENV: &str = "SPLICEFORGE_MAX_LINE_MB";

/// The longest line, in bytes, spliceforge reads from a text input: annotations (GTF, GFF3,
/// GFF2), BED region lists, gene-id lists, base-score tables, VCFs and gene tables. Memory holds
/// one line, so a damaged or binary file stops with an error (exit 3) instead of filling memory.
/// FASTA sequence lines are not limited (a chromosome may be one line). `SPLICEFORGE_MAX_LINE_MB`
/// sets it; an unset, empty, zero or unreadable value gives the default, 256 MiB.
pub fn max_line() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let mb = std::env::var(MAX_LINE_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_MAX_LINE_MB);
        mb.saturating_mul(1 << 20)
    })
}

/// `n` bytes said as a person would: `256 MiB`, or `100 bytes` below one MiB.
pub fn describe_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// Opens a line-oriented text input like [`open`], with lines limited to [`max_line`] bytes:
/// reading past the limit fails with an error that [`read_error`] reports as
/// [`Error::LineTooLong`].
pub fn open_text(path: &Path) -> Result<Box<dyn BufRead + Send>, Error> {
    Ok(Box::new(LineLimit::new(open(path)?, max_line())))
}

/// The payload of the `io::Error` a [`LineLimit`] returns.
#[derive(Debug)]
struct LineTooLong {
    line: u64,
    limit: usize,
}

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} is longer than {} bytes", self.line, self.limit)
    }
}

impl std::error::Error for LineTooLong {}

/// A reader that fails once the line being read grows past `limit` bytes (within one buffer's
/// length of it: memory stays bounded by the limit and the buffer).
pub struct LineLimit<R> {
    inner: R,
    limit: usize,
    /// Bytes consumed since the last newline.
    run: usize,
    /// Newlines consumed.
    newlines: u64,
}

impl<R: BufRead> LineLimit<R> {
    /// Wraps `inner`, limiting lines to `limit` bytes.
    pub fn new(inner: R, limit: usize) -> Self {
        Self {
            inner,
            limit,
            run: 0,
            newlines: 0,
        }
    }

    fn over(&self) -> io::Result<()> {
        if self.run > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                LineTooLong {
                    line: self.newlines + 1,
                    limit: self.limit,
                },
            ));
        }
        Ok(())
    }
}

/// Advances a line's byte count `run` and the `newlines` seen over `bytes`.
fn advance(run: &mut usize, newlines: &mut u64, bytes: &[u8]) {
    match bytes.iter().rposition(|&b| b == b'\n') {
        Some(i) => {
            *newlines += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            *run = bytes.len() - i - 1;
        }
        None => *run = run.saturating_add(bytes.len()),
    }
}

impl<R: BufRead> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.over()?;
        let n = self.inner.read(buf)?;
        advance(&mut self.run, &mut self.newlines, &buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineLimit<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.over()?;
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            advance(
                &mut self.run,
                &mut self.newlines,
                &buf[..amt.min(buf.len())],
            );
        }
        self.inner.consume(amt);
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

/// A read error for `path`, phrased for the user: a line past [`max_line`] is
/// [`Error::LineTooLong`].
pub(crate) fn read_error(path: &Path, source: io::Error) -> Error {
    if let Some(t) = source
        .get_ref()
        .and_then(|e| e.downcast_ref::<LineTooLong>())
    {
        return Error::LineTooLong {
            path: PathBuf::from(path),
            line: t.line,
            limit: t.limit,
        };
    }
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

    #[test]
    fn a_line_past_the_limit_is_an_error_naming_its_line_and_the_setting() {
        let text = format!("short\n{}\nafter\n", "x".repeat(100));
        // A small buffer, as a big file gives many: the limit holds across refills.
        let inner = BufReader::with_capacity(8, text.as_bytes());
        let mut r = LineLimit::new(inner, 50);
        let mut buf = Vec::new();
        r.read_until(b'\n', &mut buf).unwrap();
        buf.clear();
        let e = r.read_until(b'\n', &mut buf).unwrap_err();
        assert!(buf.len() <= 50 + 8, "{} bytes held", buf.len());
        let e = read_error(Path::new("a.gtf"), e);
        assert!(
            matches!(
                e,
                Error::LineTooLong {
                    line: 2,
                    limit: 50,
                    ..
                }
            ),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.starts_with("a.gtf:2: ") && msg.contains(MAX_LINE_ENV),
            "{msg}"
        );
        // Lines within the limit read as without it, through lines() as well.
        let ok = LineLimit::new(BufReader::with_capacity(8, text.as_bytes()), 100);
        assert_eq!(ok.lines().count(), 3);
    }
}
