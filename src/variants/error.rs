//! Errors of variant scoring's inputs and outputs: a VCF that cannot be read or is not one, a
//! gene table or annotation that gives no genes, an output that cannot be written.
//!
//! Every message names the file (and the line, when there is one) and says what to do; the exit
//! code each kind maps to is in `crate::error`.

use std::io;
use std::path::PathBuf;

use crate::genome;

/// An error reading a VCF or a gene table, or writing the annotated VCF.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened (missing, or no permission).
    #[error("cannot open {}: {source}; check the path and its permissions", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// Reading failed part-way for a reason other than the file's content (an I/O error).
    #[error("cannot read {} (near line {line}): {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The 1-based line being read.
        line: u64,
        /// What the reader said.
        source: io::Error,
    },
    /// A gzip or BGZF file that ends early (truncated) or whose data is damaged.
    #[error(
        "{}: the {format} data is truncated or corrupt (near line {line}: {detail}); check it with `gzip -t` and compress the file again (`bgzip` for BGZF); nothing after that point was read",
        path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The 1-based line being read when the damage showed.
        line: u64,
        /// `gzip` or `BGZF`.
        format: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// A VCF without its header: no `##fileformat=VCF…` line, or no `#CHROM` line before the
    /// first record.
    #[error(
        "{} has no VCF header: {missing}; a VCF starts with a ##fileformat=VCFv4.x line and its header ends with the #CHROM line (is this a VCF?)",
        path.display()
    )]
    NoHeader {
        /// The file.
        path: PathBuf,
        /// What is missing.
        missing: &'static str,
    },
    /// A VCF line that is not a record (or a `#CHROM` line that is not one).
    #[error("{}:{line}: expected {expected}, found {found:?}; fix or remove that line", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// What was expected.
        expected: &'static str,
        /// What was found (shortened to about 60 characters).
        found: String,
    },
    /// A line longer than the limit ([`crate::variants::vcf::max_line`]).
    #[error(
        "{}:{line}: a line longer than {}, the most spliceforge reads in one line; is this a VCF (or a gene table)? If it is right, raise the limit: SPLICEFORGE_MAX_LINE_MB={}",
        path.display(), crate::genome::io::describe_bytes(*limit), (limit >> 20).max(1) * 4
    )]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// An ALT allele longer than `--max-alt-length`.
    #[error(
        "{}:{line}: an ALT allele of {length} bases, longer than --max-alt-length {limit}: SpliceAI scores an insertion over 10,000 + 2·D bases plus its length, so this one would take long and much memory; to score it anyway raise --max-alt-length (or SPLICEFORGE_MAX_ALT_LENGTH) and rerun (committed chunks are kept), or remove the record",
        path.display()
    )]
    AlleleTooLong {
        /// The VCF.
        path: PathBuf,
        /// The record's 1-based line.
        line: u64,
        /// The allele's length.
        length: usize,
        /// The limit.
        limit: usize,
    },
    /// A line of a SpliceAI gene table that cannot be read.
    #[error(
        "{}:{line}: gene table: expected {expected}, found {found:?} (SpliceAI's gene table is tab-separated with the header #NAME CHROM STRAND TX_START TX_END EXON_START EXON_END, 0-based starts, 1-based ends and comma-separated exon lists)",
        path.display()
    )]
    GeneTable {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// What was expected.
        expected: &'static str,
        /// What was found (shortened to about 60 characters).
        found: String,
    },
    /// A gene file that is neither a SpliceAI gene table nor an annotation.
    #[error(
        "{} is neither a SpliceAI gene table (its first line: #NAME, CHROM, STRAND, TX_START, TX_END, EXON_START, EXON_END, tab-separated) nor an annotation (GTF, GFF3, GFF2): {cause}",
        path.display()
    )]
    NotGenes {
        /// The file.
        path: PathBuf,
        /// Why the annotation reader refused it.
        cause: genome::Error,
    },
    /// The annotation could not be read or gives no genes of the chosen transcripts.
    #[error(transparent)]
    Annotation(#[from] genome::Error),
    /// The output could not be written (disk full, permissions).
    #[error(
        "cannot write {}: {source}; check free space and permissions (nothing was written under that name)",
        path.display()
    )]
    Write {
        /// The output file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A part of the output (a file of scored lines) could not be read back while writing it.
    #[error("cannot read back a part of {} while writing it: {source}", path.display())]
    Part {
        /// The output file.
        path: PathBuf,
        /// What the reader said.
        source: io::Error,
    },
}

/// `text` cut to about 60 characters (on a character boundary), with `…` when cut: what
/// [`Error::Malformed`] and [`Error::GeneTable`] quote of a line.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_exit_code() {
        use crate::error::exit;
        let p = || PathBuf::from("in.vcf");
        let io = |kind| io::Error::from(kind);
        let cases = [
            (
                Error::Open {
                    path: p(),
                    source: io(io::ErrorKind::NotFound),
                },
                exit::NOT_FOUND,
            ),
            (
                Error::Open {
                    path: p(),
                    source: io(io::ErrorKind::PermissionDenied),
                },
                exit::READ,
            ),
            (
                Error::Read {
                    path: p(),
                    line: 1,
                    source: io(io::ErrorKind::Other),
                },
                exit::READ,
            ),
            (
                Error::Corrupt {
                    path: p(),
                    line: 1,
                    format: "BGZF",
                    detail: String::new(),
                },
                exit::BAD_INPUT,
            ),
            (
                Error::NoHeader {
                    path: p(),
                    missing: "x",
                },
                exit::BAD_INPUT,
            ),
            (
                Error::AlleleTooLong {
                    path: p(),
                    line: 1,
                    length: 2,
                    limit: 1,
                },
                exit::BAD_INPUT,
            ),
            (
                Error::Malformed {
                    path: p(),
                    line: 1,
                    expected: "x",
                    found: String::new(),
                },
                exit::BAD_INPUT,
            ),
            (
                Error::LineTooLong {
                    path: p(),
                    line: 1,
                    limit: 1,
                },
                exit::BAD_INPUT,
            ),
            (
                Error::GeneTable {
                    path: p(),
                    line: 1,
                    expected: "x",
                    found: String::new(),
                },
                exit::BAD_INPUT,
            ),
            (
                Error::NotGenes {
                    path: p(),
                    cause: genome::Error::Empty { path: p() },
                },
                exit::BAD_INPUT,
            ),
            (
                Error::Annotation(genome::Error::Open {
                    path: p(),
                    source: io(io::ErrorKind::NotFound),
                }),
                exit::NOT_FOUND,
            ),
            (
                Error::Write {
                    path: p(),
                    source: io(io::ErrorKind::StorageFull),
                },
                exit::WRITE,
            ),
            (
                Error::Part {
                    path: p(),
                    source: io(io::ErrorKind::Other),
                },
                exit::READ,
            ),
        ];
        for (e, code) in cases {
            let text = e.to_string();
            assert_eq!(crate::Error::from(e).exit_code(), code, "{text}");
        }
    }

    #[test]
    fn shorten_cuts_long_text_on_a_character_boundary() {
        assert_eq!(shorten("abc"), "abc");
        let long = "é".repeat(100);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), 61);
        assert!(cut.ends_with('…'));
    }
}
