//! FASTA input, one contig at a time: memory holds the contig being worked on, never the genome.
//!
//! Sequences are normalised to upper-case `A C G T N`: soft-masked (lower-case) bases are normal
//! bases, and every other IUPAC code becomes `N`. [`Reader::keep_letters`] keeps each letter as
//! written, upper-cased (SpliceAI's view: pyfaidx gives the letters, SpliceAI upper-cases them and
//! encodes the IUPAC codes by their byte value).

use std::collections::{HashMap, HashSet};
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
    /// Upper-case `ACGTN` bytes (with [`Reader::keep_letters`], every letter as written,
    /// upper-cased).
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
    keep_letters: bool,
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
            keep_letters: false,
        })
    }

    /// The reader in the mode that keeps every letter as written, upper-cased, instead of
    /// normalising to `ACGTN` (`-`, `.` and `*` are kept as they are too): the sequence SpliceAI
    /// scores. Letters that are no IUPAC code are accepted in this mode.
    pub fn keep_letters(mut self) -> Self {
        self.keep_letters = true;
        self
    }

    fn parse_error(&self, kind: ParseErrorKind) -> Error {
        Error::Parse {
            path: self.path.clone(),
            line: self.line_no,
            kind,
        }
    }

    /// Reads a whole line (a header, or what comes before the first one), within
    /// [`super::io::max_line`]: sequence lines are read in pieces by [`Self::read_body`].
    fn read_line(&mut self) -> Result<bool, Error> {
        self.line.clear();
        let limit = super::io::max_line();
        let n = std::io::Read::take(&mut self.inner, limit as u64 + 2)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| read_error(&self.path, e))?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        let ended = self.line.last() == Some(&b'\n');
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        if self.line.len() > limit || (!ended && n as u64 == limit as u64 + 2) {
            return Err(Error::LineTooLong {
                path: self.path.clone(),
                line: self.line_no,
                limit,
            });
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

    /// Reads the sequence lines of the current contig, handing their normalised bases to `sink`
    /// a buffer at a time: a chromosome written as one line of gigabytes costs no more memory
    /// than its sequence (and nothing when the contig is only counted).
    fn read_body(&mut self, mut sink: impl FnMut(&[u8])) -> Result<(), Error> {
        let mut norm = Vec::with_capacity(1 << 16);
        let base = if self.keep_letters { keep } else { normalise };
        let mut line_start = true;
        loop {
            let buf = self
                .inner
                .fill_buf()
                .map_err(|e| read_error(&self.path, e))?;
            if buf.is_empty() {
                return Ok(());
            }
            if line_start && buf[0] == b'>' {
                self.read_line()?;
                self.pending_header = Some(self.header_name()?);
                return Ok(());
            }
            let (piece, ends) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], true),
                None => (buf, false),
            };
            norm.clear();
            let mut bad = None;
            for &b in piece {
                match base(b) {
                    Some(Base::Keep(n)) => norm.push(n),
                    Some(Base::Skip) => {}
                    None => {
                        bad = Some(b);
                        break;
                    }
                }
            }
            let used = piece.len() + usize::from(ends);
            if line_start {
                self.line_no += 1;
            }
            if let Some(byte) = bad {
                return Err(self.parse_error(ParseErrorKind::InvalidBase { byte }));
            }
            self.inner.consume(used);
            sink(&norm);
            line_start = ends;
        }
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
///
/// [`rewinding`](Cursor::rewinding) lets a seek go back to a contig already passed, by reading
/// the file again from its start (for inputs not in genome order, such as an unsorted VCF): each
/// step back costs a read of the file up to that contig. The contigs met so far, with their
/// lengths, are known ([`length`](Cursor::length)); [`contigs`](Cursor::contigs) lists them all.
pub struct Cursor {
    path: PathBuf,
    reader: Reader,
    current: Option<Contig>,
    keep_letters: bool,
    rewind: bool,
    /// Contigs met so far, in file order (every one once `complete`).
    known: Vec<ContigInfo>,
    index: HashMap<String, usize>,
    complete: bool,
    /// The file-order index of the contig the reader gives next.
    next: usize,
    /// How many times the file was opened (for the tests).
    opened: usize,
}

impl Cursor {
    /// A cursor before the first contig of `path`.
    pub fn open(path: &Path) -> Result<Self, Error> {
        Ok(Cursor {
            path: path.to_path_buf(),
            reader: Reader::open(path)?,
            current: None,
            keep_letters: false,
            rewind: false,
            known: Vec::new(),
            index: HashMap::new(),
            complete: false,
            next: 0,
            opened: 1,
        })
    }

    /// The cursor reading in [`Reader::keep_letters`] mode (call it before the first seek).
    pub fn keep_letters(mut self) -> Self {
        self.keep_letters = true;
        self.reader.keep_letters = true;
        self
    }

    /// The cursor that can go back: a contig not found further on is looked for again from the
    /// file's start.
    pub fn rewinding(mut self) -> Self {
        self.rewind = true;
        self
    }

    /// Contig `name`: the one held, or the next one of that name further on; when rewinding,
    /// also one passed already (the file is read again from its start, up to it). `None` when
    /// the rest of the file (rewinding: the file) has none; a rewinding cursor that knows every
    /// contig answers that without reading.
    pub fn seek(&mut self, name: &str) -> Result<Option<&Contig>, Error> {
        if self.current.as_ref().is_some_and(|c| c.name == name) {
            return Ok(self.current.as_ref());
        }
        self.current = None;
        if self.rewind {
            // Contig names are unique in a FASTA: one met before lies behind.
            match self.index.get(name) {
                Some(&i) if i < self.next => self.reopen()?,
                None if self.complete => return Ok(None),
                _ => {}
            }
        }
        self.current = self.read_on_to(name)?;
        Ok(self.current.as_ref())
    }

    /// The length of contig `name`, if it has been met.
    pub fn length(&self, name: &str) -> Option<u64> {
        self.index.get(name).map(|&i| self.known[i].length)
    }

    /// Every contig of the file with its length, in file order. The first call reads the whole
    /// file once (counting, holding nothing) unless the cursor has already reached its end; the
    /// cursor's position is not moved.
    pub fn contigs(&mut self) -> Result<&[ContigInfo], Error> {
        if !self.complete {
            let mut reader = self.new_reader()?;
            let mut all = Vec::new();
            while let Some(info) = reader.next_info()? {
                all.push(info);
            }
            self.index = (all.iter().enumerate())
                .map(|(i, c)| (c.name.clone(), i))
                .collect();
            self.known = all;
            self.complete = true;
        }
        Ok(&self.known)
    }

    /// The FASTA file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads on to contig `name`, noting every contig met; `None` at the end of the file.
    fn read_on_to(&mut self, name: &str) -> Result<Option<Contig>, Error> {
        while let Some(next) = self.reader.next_if(|n| n == name)? {
            if self.next == self.known.len() {
                let info = next.info();
                self.index.insert(info.name.clone(), self.known.len());
                self.known.push(info);
            }
            self.next += 1;
            if let Next::Read(contig) = next {
                return Ok(Some(contig));
            }
        }
        self.complete = true;
        Ok(None)
    }

    fn new_reader(&self) -> Result<Reader, Error> {
        let reader = Reader::open(&self.path)?;
        Ok(if self.keep_letters {
            reader.keep_letters()
        } else {
            reader
        })
    }

    fn reopen(&mut self) -> Result<(), Error> {
        self.reader = self.new_reader()?;
        self.next = 0;
        self.opened += 1;
        Ok(())
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

/// The ACGTN base a letter stands for, as the builder's sequences hold it: A, C, G, T (either
/// case) as they are, U as T, every other letter N.
pub fn acgtn(b: u8) -> u8 {
    match normalise(b) {
        Some(Base::Keep(x)) => x,
        _ => b'N',
    }
}

enum Base {
    Keep(u8),
    Skip,
}

/// [`Reader::keep_letters`]'s rule: letters upper-cased, the gap and stop symbols as they are.
fn keep(b: u8) -> Option<Base> {
    match b {
        b if b.is_ascii_alphabetic() => Some(Base::Keep(b.to_ascii_uppercase())),
        b'-' | b'.' | b'*' => Some(Base::Keep(b)),
        b' ' | b'\t' | b'\r' => Some(Base::Skip),
        _ => None,
    }
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
    fn keep_letters_keeps_every_letter_upper_cased_and_the_default_is_unchanged() {
        let f = write_tmp(b">a\nacgtNRYumx-.*\n>b\nEjAc\n");
        let mut r = Reader::open(f.path()).unwrap().keep_letters();
        assert_eq!(r.next_contig().unwrap().unwrap().seq, b"ACGTNRYUMX-.*");
        assert_eq!(r.next_contig().unwrap().unwrap().seq, b"EJAC");
        let mut r = Reader::open(f.path()).unwrap();
        assert_eq!(r.next_contig().unwrap().unwrap().seq, b"ACGTNNNTNNNNN");
        // E and J are no IUPAC codes: the default refuses them.
        assert!(matches!(
            r.next_contig().unwrap_err(),
            Error::Parse {
                line: 4,
                kind: ParseErrorKind::InvalidBase { byte: b'E' },
                ..
            }
        ));
        let f = write_tmp(b">a\nAC7\n");
        let mut r = Reader::open(f.path()).unwrap().keep_letters();
        assert!(r.next_contig().is_err(), "digits are no letters");
    }

    const THREE: &[u8] = b">a\nAAAA\n>b\nCCrrCC\n>c\nGG\n";

    #[test]
    fn a_forward_cursor_does_not_go_back() {
        let f = write_tmp(THREE);
        let mut c = Cursor::open(f.path()).unwrap();
        assert_eq!(c.seek("b").unwrap().unwrap().seq, b"CCNNCC");
        assert_eq!(c.seek("b").unwrap().unwrap().name, "b", "held");
        assert_eq!(c.length("a"), Some(4));
        assert!(c.seek("a").unwrap().is_none());
        assert!(
            c.seek("c").unwrap().is_none(),
            "the file was read to its end"
        );
        assert_eq!(c.opened, 1);
    }

    #[test]
    fn a_rewinding_cursor_goes_back_by_reopening_and_knows_lengths() {
        let f = write_tmp(THREE);
        let mut c = Cursor::open(f.path()).unwrap().rewinding().keep_letters();
        assert_eq!(c.seek("c").unwrap().unwrap().seq, b"GG");
        assert_eq!((c.length("a"), c.length("b")), (Some(4), Some(6)));
        assert_eq!(c.seek("b").unwrap().unwrap().seq, b"CCRRCC");
        assert_eq!(c.opened, 2);
        assert_eq!(
            c.seek("c").unwrap().unwrap().seq,
            b"GG",
            "ahead: no reopening"
        );
        assert_eq!(c.opened, 2);
        assert_eq!(c.seek("a").unwrap().unwrap().seq, b"AAAA");
        assert_eq!(c.opened, 3);
        // Every contig is known by now: a missing one costs no reading.
        assert!(c.seek("zz").unwrap().is_none());
        assert_eq!(c.opened, 3);
        assert_eq!(c.seek("b").unwrap().unwrap().seq, b"CCRRCC");

        // A fresh cursor lists every contig without moving.
        let mut c = Cursor::open(f.path()).unwrap().rewinding();
        let all: Vec<_> = c
            .contigs()
            .unwrap()
            .iter()
            .map(|i| (i.name.clone(), i.length))
            .collect();
        assert_eq!(all, [("a".into(), 4), ("b".into(), 6), ("c".into(), 2)]);
        assert!(c.seek("nope").unwrap().is_none());
        assert_eq!(c.seek("a").unwrap().unwrap().seq, b"AAAA");
        assert_eq!(c.opened, 1);
        let mut c = Cursor::open(f.path()).unwrap();
        c.contigs().unwrap();
        assert_eq!(
            c.seek("b").unwrap().unwrap().seq,
            b"CCNNCC",
            "a forward cursor too"
        );
        assert_eq!(c.path(), f.path());
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
