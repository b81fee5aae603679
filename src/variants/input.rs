//! Text inputs of variant scoring (the VCF, the gene table), line by line: a file or standard
//! input (`-`), plain, gzip or BGZF (told apart by their first bytes, never by the name), with
//! line numbers for messages and a bound on the length of one line.
//!
//! Damage is never silent. flate2's `MultiGzDecoder` reports a gzip stream cut anywhere inside a
//! member as `UnexpectedEof`; noodles-bgzf 0.52's reader, measured on a file cut at a block
//! boundary or inside a block header, returns the blocks before the cut as a complete file. So a
//! BGZF input must end with BGZF's 28-byte end-of-file block (bgzip, htslib and noodles all write
//! it), or it is reported as truncated.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::Error;

/// How an input is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (one member or several), not BGZF.
    Gzip,
    /// BGZF (bgzip, htslib): gzip members of at most 64 KiB with a `BC` extra field.
    Bgzf,
}

impl Compression {
    /// The name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Bgzf => "BGZF",
        }
    }

    /// The compression whose data starts with `head` (the first 18 bytes, or all of a shorter
    /// input).
    pub fn sniff(head: &[u8]) -> Compression {
        const FEXTRA: u8 = 0x04;
        if head.len() < 2 || head[..2] != [0x1f, 0x8b] {
            return Compression::None;
        }
        // BGZF: deflate, FEXTRA set, the first extra subfield `BC` of length 2 (SAM spec, 4.1).
        let bgzf = head.len() >= 18
            && head[2] == 8
            && head[3] & FEXTRA != 0
            && head[12..14] == *b"BC"
            && head[14..16] == [2, 0];
        if bgzf {
            Compression::Bgzf
        } else {
            Compression::Gzip
        }
    }
}

/// The name an input is called in messages: its path, or `<stdin>` for `-`.
pub fn display_path(path: &Path) -> PathBuf {
    if is_stdin(path) {
        PathBuf::from("<stdin>")
    } else {
        path.to_path_buf()
    }
}

/// Whether `path` means standard input (or, for an output, standard output).
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A text input read line by line.
pub struct Lines {
    path: PathBuf,
    inner: Box<dyn BufRead + Send>,
    compression: Compression,
    line_no: u64,
    max_line: usize,
}

impl Lines {
    /// Opens `path` (`-`: standard input), detecting its compression; lines longer than
    /// `max_line` bytes (without the line end) are refused.
    pub fn open(path: &Path, max_line: usize) -> Result<Self, Error> {
        let shown = display_path(path);
        let source: Box<dyn Read + Send> = if is_stdin(path) {
            Box::new(io::stdin())
        } else {
            let file = File::open(path).map_err(|source| Error::Open {
                path: shown.clone(),
                source,
            })?;
            Box::new(file)
        };
        Self::from_reader(shown, source, max_line)
    }

    /// Reads `source`, called `path` in messages.
    pub fn from_reader(
        path: PathBuf,
        mut source: Box<dyn Read + Send>,
        max_line: usize,
    ) -> Result<Self, Error> {
        let mut head = Vec::with_capacity(18);
        (&mut source)
            .take(18)
            .read_to_end(&mut head)
            .map_err(|source| Error::Read {
                path: path.clone(),
                line: 1,
                source,
            })?;
        let compression = Compression::sniff(&head);
        let raw: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(source));
        let inner: Box<dyn BufRead + Send> = match compression {
            Compression::None => Box::new(BufReader::with_capacity(1 << 16, raw)),
            Compression::Gzip => Box::new(BufReader::with_capacity(
                1 << 16,
                MultiGzDecoder::new(BufReader::with_capacity(1 << 16, raw)),
            )),
            Compression::Bgzf => Box::new(Bgzf::new(raw)),
        };
        Ok(Self {
            path,
            inner,
            compression,
            line_no: 0,
            max_line,
        })
    }

    /// The input's name in messages (`<stdin>` for `-`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the input is compressed.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The 1-based number of the last line read (0 before the first).
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// Reads the next line into `buf` (cleared first), without its `\n` or `\r\n`; `false` at
    /// the end of the input. A final line without a line end is a line.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> Result<bool, Error> {
        buf.clear();
        // Two bytes more than the limit: a line of exactly `max_line` bytes with its `\r\n`.
        let bound = self.max_line as u64 + 2;
        let n = (&mut self.inner)
            .take(bound)
            .read_until(b'\n', buf)
            .map_err(|e| self.read_error(e))?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        let ended = buf.last() == Some(&b'\n');
        if ended {
            buf.pop();
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        if buf.len() > self.max_line || (!ended && n as u64 == bound) {
            return Err(Error::LineTooLong {
                path: self.path.clone(),
                line: self.line_no,
                limit: self.max_line,
            });
        }
        Ok(true)
    }

    /// An error of the decoder or the file while reading the next line: damaged compressed
    /// data is the file's fault ([`Error::Corrupt`]), anything else the system's.
    fn read_error(&self, e: io::Error) -> Error {
        let line = self.line_no + 1;
        let damaged = matches!(
            e.kind(),
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
        );
        if damaged && self.compression != Compression::None {
            Error::Corrupt {
                path: self.path.clone(),
                line,
                format: self.compression.name(),
                detail: e.to_string(),
            }
        } else {
            Error::Read {
                path: self.path.clone(),
                line,
                source: e,
            }
        }
    }
}

/// BGZF's end-of-file marker: an empty block (SAM spec, 4.1.2).
pub(crate) const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// A reader that remembers the last 28 bytes that passed through it.
struct Tail<R> {
    inner: R,
    last: [u8; 28],
    seen: usize,
}

impl<R: Read> Read for Tail<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let new = &buf[..n];
        let keep = self.last.len();
        if n >= keep {
            self.last.copy_from_slice(&new[n - keep..]);
        } else {
            self.last.rotate_left(n);
            self.last[keep - n..].copy_from_slice(new);
        }
        self.seen += n;
        Ok(n)
    }
}

impl<R> Tail<R> {
    fn ends_with_eof_block(&self) -> bool {
        self.seen >= BGZF_EOF.len() && self.last == BGZF_EOF
    }
}

/// noodles-bgzf's reader, with the end-of-file block required at the end.
struct Bgzf {
    reader: noodles_bgzf::io::Reader<Tail<Box<dyn Read + Send>>>,
}

impl Bgzf {
    fn new(raw: Box<dyn Read + Send>) -> Self {
        let tail = Tail {
            inner: raw,
            last: [0; 28],
            seen: 0,
        };
        Self {
            reader: noodles_bgzf::io::Reader::new(tail),
        }
    }
}

impl Read for Bgzf {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let src = self.fill_buf()?;
            let n = src.len().min(buf.len());
            buf[..n].copy_from_slice(&src[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Bgzf {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.reader.fill_buf()?.is_empty() && !self.reader.get_ref().ends_with_eof_block() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file ends without BGZF's end-of-file block, so it was cut short",
            ));
        }
        self.reader.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.reader.consume(amt);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;

    /// `text` compressed as gzip in two members (what `cat a.gz b.gz` gives).
    pub(crate) fn gzip(text: &[u8]) -> Vec<u8> {
        use flate2::{Compression, write::GzEncoder};
        let mut out = Vec::new();
        let (a, b) = text.split_at(text.len() / 2);
        for part in [a, b] {
            let mut e = GzEncoder::new(Vec::new(), Compression::default());
            e.write_all(part).unwrap();
            out.extend(e.finish().unwrap());
        }
        out
    }

    /// `text` compressed as BGZF by noodles-bgzf, with its end-of-file block.
    pub(crate) fn bgzf(text: &[u8]) -> Vec<u8> {
        let mut w = noodles_bgzf::io::Writer::new(Vec::new());
        w.write_all(text).unwrap();
        w.finish().unwrap()
    }

    fn lines(bytes: Vec<u8>, max: usize) -> Lines {
        Lines::from_reader(PathBuf::from("x"), Box::new(io::Cursor::new(bytes)), max).unwrap()
    }

    fn read_all(mut l: Lines) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while l.next_line(&mut buf)? {
            out.push(String::from_utf8(buf.clone()).unwrap());
        }
        Ok(out)
    }

    /// Enough lines that BGZF needs several blocks.
    fn many_lines() -> Vec<u8> {
        (0..20_000)
            .flat_map(|i| format!("line {i}\tsome text {}\n", i * 7919 % 1000).into_bytes())
            .collect()
    }

    #[test]
    fn plain_gzip_and_bgzf_read_alike_and_are_told_by_content() {
        let text = b"a\r\nb\n\nlast".to_vec();
        for (bytes, c) in [
            (text.clone(), Compression::None),
            (gzip(&text), Compression::Gzip),
            (bgzf(&text), Compression::Bgzf),
        ] {
            let l = lines(bytes, 100);
            assert_eq!(l.compression(), c);
            assert_eq!(read_all(l).unwrap(), ["a", "b", "", "last"], "{c:?}");
        }
        assert!(read_all(lines(Vec::new(), 10)).unwrap().is_empty());
    }

    #[test]
    fn truncated_or_damaged_compressed_input_is_an_error_never_short_input() {
        let text = many_lines();
        let bg = bgzf(&text);
        // Block boundaries, from each block's BSIZE.
        let mut blocks = vec![0];
        while *blocks.last().unwrap() < bg.len() {
            let p = *blocks.last().unwrap();
            blocks.push(p + usize::from(u16::from_le_bytes([bg[p + 16], bg[p + 17]])) + 1);
        }
        assert!(blocks.len() > 4, "several blocks: {blocks:?}");
        let b1 = blocks[1];
        for (what, cut) in [
            ("without the EOF block", bg.len() - 28),
            ("at a block boundary", b1),
            ("inside a block header", b1 + 7),
            ("inside a block", b1 + 100),
            ("inside the EOF block", bg.len() - 1),
        ] {
            let e = read_all(lines(bg[..cut].to_vec(), 1000)).unwrap_err();
            assert!(
                matches!(e, Error::Corrupt { format: "BGZF", .. }),
                "{what}: {e}"
            );
        }
        let mut bad = bg.clone();
        bad[b1 + 200] ^= 0xff;
        let e = read_all(lines(bad, 1000)).unwrap_err();
        assert!(matches!(e, Error::Corrupt { line, .. } if line > 1), "{e}");

        let gz = gzip(&text);
        for cut in [gz.len() - 1, gz.len() - 8, gz.len() / 4, 12] {
            let e = read_all(lines(gz[..cut].to_vec(), 1000)).unwrap_err();
            assert!(matches!(e, Error::Corrupt { format: "gzip", .. }), "{e}");
            assert!(e.to_string().contains("gzip -t"), "{e}");
        }
    }

    #[test]
    fn a_line_over_the_limit_is_refused_naming_it() {
        let ok = read_all(lines(b"12345\r\n123\n".to_vec(), 5)).unwrap();
        assert_eq!(ok, ["12345", "123"]);
        for text in [&b"1\n123456\n"[..], b"1\n123456", b"1\n1234567890123\n"] {
            let e = read_all(lines(text.to_vec(), 5)).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::LineTooLong {
                        line: 2,
                        limit: 5,
                        ..
                    }
                ),
                "{e}"
            );
        }
    }

    #[test]
    fn a_missing_file_is_an_open_error_of_kind_not_found() {
        let e = match Lines::open(Path::new("/nonexistent/x.vcf"), 10) {
            Err(e) => e,
            Ok(_) => panic!("opened a missing file"),
        };
        assert!(
            matches!(&e, Error::Open { source, .. } if source.kind() == io::ErrorKind::NotFound),
            "{e}"
        );
    }
}
