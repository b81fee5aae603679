//! FASTA input, one contig at a time: memory holds the contig being worked on, never the genome.
//!
//! Sequences are normalised to upper-case `A C G T N`: soft-masked (lower-case) bases are normal
//! bases, and every other IUPAC code becomes `N`.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::io::{open, read_error};
use super::{Error, ParseErrorKind};

/// One contig's name and length, as listed by [`scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContigInfo {
    /// The name: the header up to the first white space.
    pub name: String,
    /// Length in bases.
    pub length: u64,
}

/// A contig with its normalised sequence (`seq[0]` is position 1).
#[derive(Debug, Clone)]
pub struct Contig {
    /// The name: the header up to the first white space.
    pub name: String,
    /// Upper-case `ACGTN` bytes.
    pub seq: Vec<u8>,
}

impl Contig {
    /// The bases from `start` to `end` (1-based, inclusive), clipped to the contig.
    pub fn slice(&self, start: u64, end: u64) -> &[u8] {
        let len = self.seq.len() as u64;
        let s = start.saturating_sub(1).min(len) as usize;
        let e = end.min(len) as usize;
        if s >= e { &[] } else { &self.seq[s..e] }
    }
}

/// Streams the contigs of a FASTA file (plain, gzip or bgzip) in file order.
pub struct Reader {
    path: PathBuf,
    inner: Box<dyn BufRead + Send>,
    line_no: u64,
    pending_header: Option<String>,
    seen: HashSet<String>,
    line: Vec<u8>,
    started: bool,
}

impl Reader {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<Self, Error> {
        Ok(Self {
            path: path.to_path_buf(),
            inner: open(path)?,
            line_no: 0,
            pending_header: None,
            seen: HashSet::new(),
            line: Vec::with_capacity(256),
            started: false,
        })
    }

    fn parse_error(&self, kind: ParseErrorKind) -> Error {
        Error::Parse {
            path: self.path.clone(),
            line: self.line_no,
            kind,
        }
    }

    fn read_line(&mut self) -> Result<bool, Error> {
        self.line.clear();
        let n = self
            .inner
            .read_until(b'\n', &mut self.line)
            .map_err(|e| read_error(&self.path, e))?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        Ok(true)
    }

    fn header_name(&mut self) -> Result<String, Error> {
        let name = self.line[1..]
            .split(|b| b.is_ascii_whitespace())
            .next()
            .unwrap_or_default();
        if name.is_empty() {
            return Err(self.parse_error(ParseErrorKind::EmptyContigName));
        }
        let name = String::from_utf8_lossy(name).into_owned();
        if self.seen.contains(&name) {
            return Err(self.parse_error(ParseErrorKind::DuplicateContig { name }));
        }
        self.seen.insert(name.clone());
        Ok(name)
    }

    /// Finds the next header; returns its name.
    fn next_header(&mut self) -> Result<Option<String>, Error> {
        if let Some(name) = self.pending_header.take() {
            return Ok(Some(name));
        }
        while self.read_line()? {
            if self.line.first() == Some(&b'>') {
                return self.header_name().map(Some);
            }
            if self.line.iter().any(|b| !b.is_ascii_whitespace()) {
                return Err(self.parse_error(ParseErrorKind::SequenceBeforeHeader));
            }
        }
        Ok(None)
    }

    /// Reads the sequence lines of the current contig, handing each normalised line to `sink`.
    fn read_body(&mut self, mut sink: impl FnMut(&[u8])) -> Result<(), Error> {
        let mut norm = Vec::with_capacity(256);
        while self.read_line()? {
            if self.line.first() == Some(&b'>') {
                self.pending_header = Some(self.header_name()?);
                return Ok(());
            }
            norm.clear();
            for &b in &self.line {
                match normalise(b) {
                    Some(Base::Keep(n)) => norm.push(n),
                    Some(Base::Skip) => {}
                    None => {
                        return Err(self.parse_error(ParseErrorKind::InvalidBase { byte: b }));
                    }
                }
            }
            sink(&norm);
        }
        Ok(())
    }

    /// The next contig, its sequence read only when `want(name)` (else only counted; the same
    /// checks either way), or `None` at the end of the file.
    pub fn next_if(&mut self, want: impl FnOnce(&str) -> bool) -> Result<Option<Next>, Error> {
        let Some(name) = self.next_header()? else {
            return self.finish().map(|_| None);
        };
        self.started = true;
        if want(&name) {
            let mut seq = Vec::new();
            self.read_body(|line| seq.extend_from_slice(line))?;
            seq.shrink_to_fit();
            Ok(Some(Next::Read(Contig { name, seq })))
        } else {
            let mut length = 0u64;
            self.read_body(|line| length += line.len() as u64)?;
            Ok(Some(Next::Counted(ContigInfo { name, length })))
        }
    }

    /// The next contig with its sequence, or `None` at the end of the file.
    pub fn next_contig(&mut self) -> Result<Option<Contig>, Error> {
        Ok(self.next_if(|_| true)?.map(|next| match next {
            Next::Read(contig) => contig,
            Next::Counted(_) => unreachable!("every contig is wanted"),
        }))
    }

    /// The next contig's name and length, without keeping its sequence.
    pub fn next_info(&mut self) -> Result<Option<ContigInfo>, Error> {
        Ok(self.next_if(|_| false)?.map(|next| next.info()))
    }

    fn finish(&self) -> Result<(), Error> {
        if self.started {
            Ok(())
        } else {
            Err(Error::Empty {
                path: self.path.clone(),
            })
        }
    }
}

/// A contig as [`Reader::next_if`] returns it: read whole, or only counted.
pub enum Next {
    /// Wanted: its sequence.
    Read(Contig),
    /// Not wanted: its name and length (its bases checked all the same).
    Counted(ContigInfo),
}

impl Next {
    /// The contig's name and length.
    pub fn info(&self) -> ContigInfo {
        match self {
            Next::Read(c) => ContigInfo {
                name: c.name.clone(),
                length: c.seq.len() as u64,
            },
            Next::Counted(info) => info.clone(),
        }
    }
}

/// Reads the whole genome at `path` once, contig by contig: `f` gets every contig `want` keeps
/// (by name; the others are only counted, never held); returns every contig's name and length,
/// in file order. Only one contig's sequence is in memory at a time.
pub fn each_contig<E: From<Error>>(
    path: &Path,
    want: impl Fn(&str) -> bool,
    mut f: impl FnMut(&Contig) -> Result<(), E>,
) -> Result<Vec<ContigInfo>, E> {
    let mut reader = Reader::open(path)?;
    let mut contigs = Vec::new();
    while let Some(next) = reader.next_if(&want)? {
        contigs.push(next.info());
        if let Next::Read(contig) = &next {
            f(contig)?;
        }
    }
    Ok(contigs)
}

/// The genome read forward for genes in genome order: [`seek`](Cursor::seek) reads on to a
/// contig, passing the others by (counted, not held); one contig is held at a time.
pub struct Cursor {
    reader: Reader,
    current: Option<Contig>,
}

impl Cursor {
    /// A cursor before the first contig of `path`.
    pub fn open(path: &Path) -> Result<Self, Error> {
        Ok(Cursor {
            reader: Reader::open(path)?,
            current: None,
        })
    }

    /// Contig `name`: the one held, or the next one of that name further on; `None` when the
    /// file ends first.
    pub fn seek(&mut self, name: &str) -> Result<Option<&Contig>, Error> {
        if self.current.as_ref().is_none_or(|c| c.name != name) {
            self.current = None;
            while let Some(next) = self.reader.next_if(|n| n == name)? {
                if let Next::Read(contig) = next {
                    self.current = Some(contig);
                    break;
                }
            }
        }
        Ok(self.current.as_ref())
    }
}

/// Lists the contigs of a FASTA file with their lengths, in file order (one streaming pass).
pub fn scan(path: &Path) -> Result<Vec<ContigInfo>, Error> {
    let mut reader = Reader::open(path)?;
    let mut out = Vec::new();
    while let Some(info) = reader.next_info()? {
        out.push(info);
    }
    Ok(out)
}

/// The reverse complement of `seq` (bases other than ACGT become N).
pub fn reverse_complement(seq: &[u8]) -> Vec<u8> {
    seq.iter().rev().map(|&b| complement(b)).collect()
}

/// The complement of an upper-case base (`N` stays `N`).
pub fn complement(b: u8) -> u8 {
    match b {
        b'A' => b'T',
        b'C' => b'G',
        b'G' => b'C',
        b'T' => b'A',
        _ => b'N',
    }
}

enum Base {
    Keep(u8),
    Skip,
}

fn normalise(b: u8) -> Option<Base> {
    match b {
        b'A' | b'C' | b'G' | b'T' => Some(Base::Keep(b)),
        b'a' | b'c' | b'g' | b't' => Some(Base::Keep(b.to_ascii_uppercase())),
        b'U' | b'u' => Some(Base::Keep(b'T')),
        b'N' | b'n' | b'R' | b'Y' | b'S' | b'W' | b'K' | b'M' | b'B' | b'D' | b'H' | b'V'
        | b'r' | b'y' | b's' | b'w' | b'k' | b'm' | b'b' | b'd' | b'h' | b'v' | b'-' | b'.'
        | b'X' | b'x' | b'*' => Some(Base::Keep(b'N')),
        b' ' | b'\t' | b'\r' => Some(Base::Skip),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_tmp(content: &[u8]) -> crate::store::fsutil::TempFile {
        crate::store::fsutil::TempFile::new(content).unwrap()
    }

    #[test]
    fn reads_contigs_and_normalises_bases() {
        let f = write_tmp(b">chr1 desc\nacgtN\nRYac\n>chr2\nGG\n");
        let mut r = Reader::open(f.path()).unwrap();
        let c = r.next_contig().unwrap().unwrap();
        assert_eq!(c.name, "chr1");
        assert_eq!(c.seq, b"ACGTNNNAC");
        assert_eq!(c.slice(2, 4), b"CGT");
        assert_eq!(c.slice(8, 100), b"AC");
        let c = r.next_contig().unwrap().unwrap();
        assert_eq!((c.name.as_str(), c.seq.as_slice()), ("chr2", &b"GG"[..]));
        assert!(r.next_contig().unwrap().is_none());
    }

    #[test]
    fn reads_multi_member_gzip_as_bgzip_writes_it() {
        use flate2::{Compression, write::GzEncoder};
        let mut bytes = Vec::new();
        for part in [&b">a\nACGT\nAC"[..], &b"GT\n>b\nTTTT\n"[..]] {
            let mut e = GzEncoder::new(Vec::new(), Compression::default());
            e.write_all(part).unwrap();
            bytes.extend(e.finish().unwrap());
        }
        let f = write_tmp(&bytes);
        let infos = scan(f.path()).unwrap();
        let lens: Vec<_> = infos.iter().map(|i| (i.name.as_str(), i.length)).collect();
        assert_eq!(lens, vec![("a", 8), ("b", 4)]);
    }

    #[test]
    fn scan_lists_lengths() {
        let f = write_tmp(b">a\nAC\nGT\n>b\n\n>c\nA");
        let infos = scan(f.path()).unwrap();
        let lens: Vec<_> = infos.iter().map(|i| (i.name.as_str(), i.length)).collect();
        assert_eq!(lens, vec![("a", 4), ("b", 0), ("c", 1)]);
    }

    #[test]
    fn errors_name_the_line() {
        let f = write_tmp(b">a\nAC\nA7G\n");
        let err = scan(f.path()).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Parse {
                    line: 3,
                    kind: ParseErrorKind::InvalidBase { byte: b'7' },
                    ..
                }
            ),
            "{err}"
        );
        let f = write_tmp(b"ACGT\n>a\n");
        assert!(matches!(
            scan(f.path()).unwrap_err(),
            Error::Parse {
                line: 1,
                kind: ParseErrorKind::SequenceBeforeHeader,
                ..
            }
        ));
        let f = write_tmp(b">a\nA\n>a\nC\n");
        assert!(matches!(
            scan(f.path()).unwrap_err(),
            Error::Parse {
                line: 3,
                kind: ParseErrorKind::DuplicateContig { .. },
                ..
            }
        ));
        let f = write_tmp(b"\n\n");
        assert!(matches!(scan(f.path()).unwrap_err(), Error::Empty { .. }));
    }
}
