//! Reading a VCF: the header first, then one record at a time, streaming (memory bounded by the
//! longest line, itself bounded by [`max_line`]).
//!
//! Why a small splitter and not noodles-vcf (measured 2026-12-07 on this 2-core machine):
//!
//! * The output must be the input byte for byte except INFO, so the raw line is needed.
//!   noodles-vcf 0.96's reader keeps a record's fields without their tab separators
//!   (`record::Fields`), so the line would be read by hand anyway and then parsed a second time.
//!   What scoring needs of a record is five columns (CHROM, POS, REF, ALT, INFO): locating the
//!   first eight tabs ([`Record::parse`]) is all the parsing there is.
//! * Its header parser is stricter than SpliceAI's reader (htslib through pysam). Fed the same
//!   files, noodles-vcf 0.96.0 refused, and pysam 0.24.1 read: an `##INFO` without Description
//!   (VCF 4.0 and 4.1 files), two `##INFO` lines of one ID, a meta line without `=`, a
//!   `##contig` without ID, an unquoted Description with a comma. Its messages have no line
//!   number (`invalid record`). A drop-in for SpliceAI must not refuse what SpliceAI annotates,
//!   so the header is checked as htslib checks it ([`super::Header::new`]) and passed through.
//! * Build cost: noodles-vcf 0.96.0 (the release on the noodles-core 0.21, noodles-csi 0.62 and
//!   noodles-bgzf 0.52 already in Cargo.lock) also brings noodles-tabix 0.68: 11.6 s and 2.6 s
//!   of release compilation (`cargo build --release --timings`), on a 4 min 44 s release test
//!   build. Small, but for nothing the splitter does not do.
//!
//! The format work that is worth a library is BGZF: noodles-bgzf (already built for
//! noodles-gff, so free) decompresses BGZF here and writes it ([`super::writer`]); gzip goes
//! through flate2. Both detect damage inside a block or member; a BGZF file cut at a block
//! boundary is caught by requiring its end-of-file block (`crate::variants::input`).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Header, Record};
use crate::variants::Error;
use crate::variants::error::shorten;
use crate::variants::input::{Compression, Lines};

/// The longest line read (without its line end): the one limit of every text input,
/// [`crate::genome::io::max_line`] (256 MiB unless `SPLICEFORGE_MAX_LINE_MB` says otherwise).
/// A longer one is refused ([`Error::LineTooLong`]); a VCF line that long (a record with a very
/// large number of samples) is still read.
pub fn max_line() -> usize {
    crate::genome::io::max_line()
}

/// Reads a VCF file (plain, gzip or BGZF; `-` for standard input) record by record.
pub struct Reader {
    lines: Lines,
    header: Header,
    /// The capacity the next line's buffer starts with: the last line's length.
    hint: usize,
}

impl Reader {
    /// Opens `path` (`-`: standard input) and reads its header.
    pub fn open(path: &Path) -> Result<Reader, Error> {
        Self::from_lines(Lines::open(path, max_line())?)
    }

    /// Reads the VCF `source`, called `name` in messages, and its header.
    pub fn from_reader(name: &Path, source: impl Read + Send + 'static) -> Result<Reader, Error> {
        Self::from_lines(Lines::from_reader(
            name.to_path_buf(),
            Box::new(source),
            max_line(),
        )?)
    }

    fn from_lines(mut lines: Lines) -> Result<Reader, Error> {
        let mut meta = Vec::new();
        let mut buf = Vec::new();
        loop {
            if !lines.next_line(&mut buf)? {
                let missing = if meta
                    .iter()
                    .any(|l: &String| l.starts_with("##fileformat=VCF"))
                {
                    "no #CHROM line"
                } else {
                    "no ##fileformat=VCF… line"
                };
                return Err(no_header(&lines, missing));
            }
            if is_blank(&buf) {
                continue;
            }
            if !buf.starts_with(b"#") {
                return Err(no_header(&lines, "a record before the #CHROM line"));
            }
            let line = utf8(&lines, std::mem::take(&mut buf))?;
            if line.starts_with("##") {
                meta.push(line);
            } else {
                let header = Header::new(meta, line, lines.path(), lines.line_no())?;
                return Ok(Reader {
                    lines,
                    header,
                    hint: 256,
                });
            }
        }
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The input's name in messages (`<stdin>` for standard input).
    pub fn path(&self) -> &Path {
        self.lines.path()
    }

    /// How the input is compressed.
    pub fn compression(&self) -> Compression {
        self.lines.compression()
    }

    /// The next record, or `None` at the end of the file. Blank lines are skipped.
    pub fn read_record(&mut self) -> Result<Option<Record>, Error> {
        let mut buf = Vec::with_capacity(self.hint);
        loop {
            if !self.lines.next_line(&mut buf)? {
                return Ok(None);
            }
            if !is_blank(&buf) {
                break;
            }
        }
        self.hint = buf.len() + 1;
        let line_no = self.lines.line_no();
        let line = utf8(&self.lines, buf)?;
        Record::parse(line_no, line)
            .map(Some)
            .map_err(|e| Error::Malformed {
                path: self.lines.path().to_path_buf(),
                line: line_no,
                expected: e.expected,
                found: e.found,
            })
    }

    /// The records, in file order; iteration stops after the first error.
    pub fn records(&mut self) -> impl Iterator<Item = Result<Record, Error>> + '_ {
        let mut failed = false;
        std::iter::from_fn(move || {
            if failed {
                return None;
            }
            let next = self.read_record().transpose();
            failed = matches!(next, Some(Err(_)));
            next
        })
    }
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

fn no_header(lines: &Lines, missing: &'static str) -> Error {
    Error::NoHeader {
        path: PathBuf::from(lines.path()),
        missing,
    }
}

/// The line just read as text; VCF is UTF-8.
fn utf8(lines: &Lines, buf: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(buf).map_err(|e| Error::Malformed {
        path: lines.path().to_path_buf(),
        line: lines.line_no(),
        expected: "UTF-8 text (VCF is UTF-8)",
        found: shorten(&String::from_utf8_lossy(e.as_bytes())),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::store::fsutil::TempDir;
    use crate::variants::input::tests::{bgzf, gzip};
    use crate::variants::vcf::COLUMNS;

    const VCF: &str = "##fileformat=VCFv4.2\n##contig=<ID=10,length=110000>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n10\t94077\t.\tA\tC\t.\t.\t.\n\n10\t94555\trs2\tC\tT,G\t.\tPASS\tDP=4\n";

    fn reader(bytes: impl AsRef<[u8]>) -> Result<Reader, Error> {
        Reader::from_reader(Path::new("in.vcf"), Cursor::new(bytes.as_ref().to_vec()))
    }

    fn records(r: &mut Reader) -> Result<Vec<Record>, Error> {
        r.records().collect()
    }

    #[test]
    fn plain_gzip_and_bgzf_files_read_alike() {
        let dir = TempDir::new("spliceforge-vcf-").unwrap();
        for (name, bytes, c) in [
            ("a.vcf", VCF.as_bytes().to_vec(), Compression::None),
            // Names that lie: the content decides.
            ("b.vcf", gzip(VCF.as_bytes()), Compression::Gzip),
            ("c.vcf.gz", bgzf(VCF.as_bytes()), Compression::Bgzf),
        ] {
            let path = dir.file(name, &bytes).unwrap();
            let mut r = Reader::open(&path).unwrap();
            assert_eq!(r.compression(), c, "{name}");
            assert_eq!(r.path(), path);
            assert_eq!(r.header().meta().len(), 2);
            assert_eq!(r.header().columns(), COLUMNS);
            let recs = records(&mut r).unwrap();
            let got: Vec<_> = recs
                .iter()
                .map(|r| {
                    (
                        r.line_no(),
                        r.chrom(),
                        r.pos(),
                        r.alts().collect::<Vec<_>>(),
                    )
                })
                .collect();
            assert_eq!(
                got,
                [
                    (4, "10", 94077, vec!["C"]),
                    (6, "10", 94555, vec!["T", "G"])
                ],
                "{name}"
            );
            assert_eq!(recs[1].line(), "10\t94555\trs2\tC\tT,G\t.\tPASS\tDP=4");
        }
    }

    #[test]
    fn crlf_lines_lose_their_line_end_only() {
        let crlf = VCF.replace('\n', "\r\n");
        let mut r = reader(crlf).unwrap();
        assert_eq!(r.header().meta()[0], "##fileformat=VCFv4.2");
        let recs = records(&mut r).unwrap();
        assert_eq!(recs[0].line(), "10\t94077\t.\tA\tC\t.\t.\t.");
        assert_eq!(recs[1].info(), "DP=4");
        assert_eq!(
            recs[1].with_info("K", "v"),
            "10\t94555\trs2\tC\tT,G\t.\tPASS\tDP=4;K=v"
        );
    }

    #[test]
    fn a_truncated_bgzf_vcf_is_an_error() {
        let many: String = (1..5000)
            .map(|i| format!("10\t{i}\t.\tA\tC\t.\t.\tX={}\n", i * 7919 % 1000))
            .collect();
        let bytes = bgzf(format!("{}{many}", &VCF[..VCF.find("10\t").unwrap()]).as_bytes());
        let mut r = reader(&bytes[..bytes.len() - 28]).unwrap();
        let e = records(&mut r).unwrap_err();
        assert!(matches!(e, Error::Corrupt { format: "BGZF", .. }), "{e}");
        assert_eq!(records(&mut reader(&bytes).unwrap()).unwrap().len(), 4999);
    }

    #[test]
    fn files_without_a_header_are_refused() {
        for (text, missing) in [
            ("", "no ##fileformat=VCF… line"),
            (
                "10\t1\t.\tA\tC\t.\t.\t.\n",
                "a record before the #CHROM line",
            ),
            (
                "##fileformat=VCFv4.2\n10\t1\t.\tA\tC\t.\t.\t.\n",
                "a record before the #CHROM line",
            ),
            ("##fileformat=VCFv4.2\n##source=x\n", "no #CHROM line"),
            ("##source=x\n#CHROM\n", "no ##fileformat=VCF… line"),
        ] {
            match reader(text) {
                Err(Error::NoHeader { missing: m, path }) => {
                    assert_eq!(
                        (m, path.as_path()),
                        (missing, Path::new("in.vcf")),
                        "{text:?}"
                    )
                }
                Err(e) => panic!("{text:?}: {e}"),
                Ok(_) => panic!("{text:?} read"),
            }
        }
        let e = reader("##fileformat=VCFv4.2\n#CHROM POS ID REF ALT QUAL FILTER INFO\n")
            .err()
            .unwrap();
        assert!(matches!(e, Error::Malformed { line: 2, .. }), "{e}");
        // Lenient where htslib is: blank lines, fileformat not first, unparsed meta lines.
        let ok = "\n##source=x\n##fileformat=VCFv4.0\n##INFO=<ID=DP,Number=1,Type=Integer>\n##hello\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
        assert_eq!(reader(ok).unwrap().header().meta().len(), 4);
    }

    #[test]
    fn malformed_records_name_their_line() {
        let head = &VCF[..VCF.find("10\t").unwrap()];
        for (body, line, expected) in [
            (
                "10\t5\t.\tA\tC\t.\t.\t.\n\n10\t6\t.\tA\tC\t.\t.\n",
                6,
                "8 or more",
            ),
            ("10\t0\t.\tA\tC\t.\t.\t.\n", 4, "a positive whole number"),
            ("10\t5\t.\t\tC\t.\t.\t.\n", 4, "reference bases"),
            ("10\t5\t.\tA\tC\t.\t.\t.\n#CHROM\tPOS\n", 5, "a record"),
        ] {
            let mut r = reader(format!("{head}{body}")).unwrap();
            match records(&mut r) {
                Err(Error::Malformed {
                    line: l,
                    expected: x,
                    path,
                    ..
                }) => {
                    assert_eq!((l, path.as_path()), (line, Path::new("in.vcf")), "{body:?}");
                    assert!(x.starts_with(expected), "{body:?}: {x}");
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
        let mut bytes = head.as_bytes().to_vec();
        bytes.extend_from_slice(b"10\t5\t.\tA\tC\t.\t.\tX=caf\xe9\n");
        let e = records(&mut reader(bytes).unwrap()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { line: 4, expected, .. } if expected.starts_with("UTF-8")),
            "{e}"
        );
        let text = e.to_string();
        assert!(text.starts_with("in.vcf:4: expected UTF-8 text"), "{text}");
    }

    #[test]
    fn iteration_stops_after_an_error() {
        let head = &VCF[..VCF.find("10\t").unwrap()];
        let mut r = reader(format!("{head}x\n10\t1\t.\tA\tC\t.\t.\t.\n")).unwrap();
        let all: Vec<_> = r.records().collect();
        assert_eq!(all.len(), 1);
        assert!(all[0].is_err());
    }
}
