//! Writing the annotated VCF: plain, or BGZF (with its end-of-file block) for a name ending in
//! `.gz` or `.bgz`, under a temporary name beside the output that is fsynced and renamed when
//! complete, so the output is whole or absent; `-` writes plain text to standard output.

use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::store::fsutil::AtomicFile;
use crate::variants::Error;
use crate::variants::input::is_stdin;

/// How an output is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Plain text.
    Plain,
    /// BGZF, as bgzip writes it (tabix can index it).
    Bgzf,
}

impl OutputFormat {
    /// BGZF for a name ending in `.gz` or `.bgz`, plain otherwise (and for `-`).
    pub fn for_path(path: &Path) -> OutputFormat {
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase());
        match name {
            Some(n) if n.ends_with(".gz") || n.ends_with(".bgz") => OutputFormat::Bgzf,
            _ => OutputFormat::Plain,
        }
    }
}

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    Plain(BufWriter<AtomicFile>),
    Bgzf(noodles_bgzf::io::Writer<AtomicFile>),
}

/// An output VCF being written; [`finish`](Writer::finish) makes it appear under its name.
/// Dropped unfinished, it leaves nothing (the temporary file is removed).
pub struct Writer {
    path: PathBuf,
    tmp: Option<PathBuf>,
    sink: Option<Sink>,
}

impl Writer {
    /// Starts writing `path` (`-`: standard output), in the [`OutputFormat`] its name says.
    pub fn create(path: &Path) -> Result<Writer, Error> {
        let failed = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        let (sink, tmp) = if is_stdin(path) {
            (Sink::Stdout(BufWriter::new(io::stdout())), None)
        } else {
            let file = AtomicFile::beside(path).map_err(failed)?;
            let tmp = file.tmp().to_path_buf();
            let sink = match OutputFormat::for_path(path) {
                OutputFormat::Plain => Sink::Plain(BufWriter::with_capacity(1 << 20, file)),
                OutputFormat::Bgzf => Sink::Bgzf(noodles_bgzf::io::Writer::new(file)),
            };
            (sink, Some(tmp))
        };
        Ok(Writer {
            path: path.to_path_buf(),
            tmp,
            sink: Some(sink),
        })
    }

    /// The output's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` as they are.
    pub fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.write_all(bytes).map_err(|source| Error::Write {
            path: self.path.clone(),
            source,
        })
    }

    /// Completes the file: flushes, writes BGZF's end-of-file block, fsyncs, renames it to its
    /// name and fsyncs the directory.
    pub fn finish(mut self) -> Result<(), Error> {
        let sink = self.sink.take().expect("a writer is finished once");
        let done = match sink {
            Sink::Stdout(mut w) => w.flush(),
            Sink::Plain(w) => w
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.commit().map(|_| ())),
            Sink::Bgzf(w) => w.finish().and_then(|f| f.commit().map(|_| ())),
        };
        done.map_err(|source| Error::Write {
            path: self.path.clone(),
            source,
        })?;
        self.tmp = None;
        Ok(())
    }
}

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.sink.as_mut() {
            Some(Sink::Stdout(w)) => w.write(buf),
            Some(Sink::Plain(w)) => w.write(buf),
            Some(Sink::Bgzf(w)) => w.write(buf),
            None => Err(io::Error::other("write after finish")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.sink.as_mut() {
            Some(Sink::Stdout(w)) => w.flush(),
            Some(Sink::Plain(w)) => w.flush(),
            Some(Sink::Bgzf(w)) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Writes the VCF `path`: `header` (a `\n` is added if it lacks its last one), then each part of
/// `body` copied as it is (the parts are files of complete output lines), through a [`Writer`].
/// Returns the bytes written before compression. On any error nothing appears under `path`.
pub fn write_vcf<R: Read>(
    path: &Path,
    header: &str,
    body: impl IntoIterator<Item = io::Result<R>>,
) -> Result<u64, Error> {
    let mut w = Writer::create(path)?;
    w.write_bytes(header.as_bytes())?;
    let mut total = header.len() as u64;
    if !header.is_empty() && !header.ends_with('\n') {
        w.write_bytes(b"\n")?;
        total += 1;
    }
    let part_error = |source| Error::Part {
        path: path.to_path_buf(),
        source,
    };
    let mut buf = vec![0u8; 1 << 16];
    for part in body {
        let mut part = part.map_err(part_error)?;
        loop {
            let n = match part.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(part_error(e)),
            };
            w.write_bytes(&buf[..n])?;
            total += n as u64;
        }
    }
    w.finish()?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::store::fsutil::TempDir;
    use crate::variants::input::Compression;
    use crate::variants::vcf::Reader;

    const HEADER: &str = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO";
    const PARTS: [&str; 2] = [
        "1\t5\t.\tA\tC\t.\t.\tK=1\n",
        "1\t9\t.\tG\tT\t.\t.\t.\n1\t12\t.\tG\tT\t.\t.\t.\n",
    ];

    fn parts() -> impl Iterator<Item = io::Result<&'static [u8]>> {
        PARTS.iter().map(|p| Ok(p.as_bytes()))
    }

    #[test]
    fn the_name_decides_the_format() {
        for (name, f) in [
            ("o.vcf", OutputFormat::Plain),
            ("o.vcf.gz", OutputFormat::Bgzf),
            ("o.VCF.BGZ", OutputFormat::Bgzf),
            ("-", OutputFormat::Plain),
            ("gz", OutputFormat::Plain),
        ] {
            assert_eq!(OutputFormat::for_path(Path::new(name)), f, "{name}");
        }
    }

    #[test]
    fn plain_and_bgzf_outputs_hold_header_and_parts_and_nothing_else() {
        let dir = TempDir::new("spliceforge-vcfout-").unwrap();
        let want = format!("{HEADER}\n{}{}", PARTS[0], PARTS[1]);
        for (name, c) in [
            ("o.vcf", Compression::None),
            ("o.vcf.gz", Compression::Bgzf),
        ] {
            let path = dir.path().join(name);
            let n = write_vcf(&path, HEADER, parts()).unwrap();
            assert_eq!(n, want.len() as u64);
            let mut r = Reader::open(&path).unwrap();
            assert_eq!(r.compression(), c);
            let lines: Vec<String> = r.records().map(|r| r.unwrap().line().to_string()).collect();
            assert_eq!(lines.len(), 3);
            if c == Compression::None {
                assert_eq!(fs::read_to_string(&path).unwrap(), want);
            } else {
                let bytes = fs::read(&path).unwrap();
                assert!(bytes.ends_with(&crate::variants::input::BGZF_EOF));
            }
        }
        let left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left.len(), 2, "no temporary file left: {left:?}");
    }

    #[test]
    fn a_failing_part_or_directory_leaves_nothing() {
        let dir = TempDir::new("spliceforge-vcfout-").unwrap();
        let path = dir.path().join("o.vcf.gz");
        let bad = [Ok(&b"x\n"[..]), Err(io::Error::other("gone"))];
        let e = write_vcf(&path, HEADER, bad).unwrap_err();
        assert!(matches!(e, Error::Part { .. }), "{e}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        let e = write_vcf(&dir.path().join("no/such/dir/o.vcf"), HEADER, parts()).unwrap_err();
        assert!(matches!(e, Error::Write { .. }), "{e}");
        assert!(
            e.to_string().contains("check free space and permissions"),
            "{e}"
        );
    }

    #[test]
    fn an_existing_output_is_replaced_whole() {
        let dir = TempDir::new("spliceforge-vcfout-").unwrap();
        let path = dir.file("o.vcf", b"old content\n").unwrap();
        write_vcf(&path, HEADER, parts()).unwrap();
        assert!(
            fs::read_to_string(&path)
                .unwrap()
                .starts_with("##fileformat")
        );
    }
}
