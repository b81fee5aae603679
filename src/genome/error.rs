//! Errors of the genome inputs: files that cannot be read, malformed lines, inconsistent models.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::annotation::Dialect;

/// An error reading or checking the genome (FASTA), the annotation (GTF, GFF3, GFF2) or a gene list.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// Reading failed part-way, most often a truncated or corrupt gzip file.
    #[error(
        "cannot read {}: {source} (the file may be truncated or corrupt; for a .gz file check it with `gzip -t`)",
        path.display()
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        source: io::Error,
    },
    /// A line longer than [`crate::genome::io::max_line`].
    #[error(
        "{}:{line}: a line longer than {}, the most spliceforge reads in one line of a text input (is this the right file, or a damaged or binary one?); if it is right, raise the limit: SPLICEFORGE_MAX_LINE_MB={}",
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
    /// The file has no content.
    #[error("{} is empty", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A line could not be parsed.
    #[error("{}:{line}: {kind}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// What was wrong.
        kind: ParseErrorKind,
    },
    /// A gene lies on a contig that the genome does not have.
    #[error(
        "gene {gene} lies on contig {contig}, which is not in the genome {} (check that the FASTA and the annotation name contigs alike, or pass --skip-missing-contigs to skip such genes)",
        genome.display()
    )]
    MissingContig {
        /// The gene.
        gene: String,
        /// The contig named by the annotation.
        contig: String,
        /// The FASTA file.
        genome: PathBuf,
    },
    /// A gene longer than [`crate::genome::select::max_gene_length`].
    #[error(
        "gene {gene} on {contig} spans {length} bases, more than the {limit} spliceforge takes in one gene (memory grows with a gene's length, about 110 bytes per base; the longest human genes span about 2.5 Mb): check the annotation, or raise the limit: SPLICEFORGE_MAX_GENE_LENGTH={}",
        length.div_ceil(1_000_000) * 1_000_000
    )]
    GeneTooLong {
        /// The gene.
        gene: String,
        /// Its contig.
        contig: String,
        /// Its length in bases.
        length: u64,
        /// The limit.
        limit: u64,
    },
    /// An exon extends past the end of its contig.
    #[error(
        "gene {gene}: exon {start}-{end} extends past the end of contig {contig} (length {length}); the annotation does not belong to this genome"
    )]
    ExonOutsideContig {
        /// The gene.
        gene: String,
        /// The contig.
        contig: String,
        /// Exon start (1-based).
        start: u64,
        /// Exon end (1-based, inclusive).
        end: u64,
        /// The contig's length.
        length: u64,
    },
    /// `--gene-ids` names genes the annotation does not have.
    #[error(
        "{}: {count} gene id(s) are not in the annotation, e.g. {examples} (ids must match the annotation's gene_id / ID, without a 'gene-' prefix being added or removed)",
        path.display()
    )]
    UnknownGeneIds {
        /// The gene-id file.
        path: PathBuf,
        /// How many ids were unknown.
        count: usize,
        /// A few of them.
        examples: String,
    },
    /// `--transcripts canonical|mane` on an annotation whose transcripts carry no such tag.
    #[error(
        "--transcripts {choice}: no transcript of {} is tagged {tag}; use an annotation that tags them (Ensembl and GENCODE GTF/GFF3 do; RefSeq tags MANE Select), or --transcripts longest or all",
        path.display()
    )]
    NoTranscriptTag {
        /// The annotation.
        path: PathBuf,
        /// The choice made.
        choice: &'static str,
        /// The tag looked for.
        tag: &'static str,
    },
    /// The selection kept no gene.
    #[error("no genes selected: {why}")]
    EmptySelection {
        /// Which filter removed the last genes.
        why: String,
    },
    /// A region to predict that the genome does not have.
    #[error("region {region}: {why} (genome {}); check the region list against the FASTA's contigs", genome.display())]
    RegionOutsideGenome {
        /// The region's name.
        region: String,
        /// What is wrong.
        why: String,
        /// The FASTA file.
        genome: PathBuf,
    },
}

/// What was wrong with one line of a FASTA or annotation file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A feature line does not have 9 tab-separated columns.
    ColumnCount {
        /// Columns found.
        found: usize,
    },
    /// A coordinate column is not a positive whole number.
    Coordinate {
        /// `start` or `end`.
        column: &'static str,
        /// The text found.
        value: String,
    },
    /// Start lies after end.
    StartAfterEnd {
        /// Start.
        start: u64,
        /// End.
        end: u64,
    },
    /// The strand column is not one of `+ - . ?`.
    Strand {
        /// The text found.
        value: String,
    },
    /// The attribute column could not be parsed.
    Attributes {
        /// The parser's message.
        message: String,
    },
    /// A required attribute is missing.
    MissingAttribute {
        /// The attribute.
        name: &'static str,
    },
    /// Sequence data appears before the first `>` header.
    SequenceBeforeHeader,
    /// A header line has no name.
    EmptyContigName,
    /// Two contigs share a name.
    DuplicateContig {
        /// The name.
        name: String,
    },
    /// A sequence line holds a character that is not a nucleotide code.
    InvalidBase {
        /// The character.
        byte: u8,
    },
    /// A FASTA file was given as the annotation.
    Fasta,
    /// A table whose lines do not have the 9 columns of GTF, GFF3 and GFF2 (BED, for instance).
    NotAnnotation {
        /// Columns found on the first data line.
        columns: usize,
    },
    /// 9 columns, but attributes of no known dialect.
    UnknownDialect {
        /// The first feature line's attribute column (shortened).
        attributes: String,
    },
    /// A line failed under the format forced by `--annotation-format`, which the content
    /// contradicts.
    ForcedFormat {
        /// The flag's value.
        forced: &'static str,
        /// The family the content showed.
        content: &'static str,
        /// What failed.
        cause: Box<ParseErrorKind>,
    },
    /// A line of a region list (BED) that is not a region.
    Region {
        /// What was wrong and what was expected.
        message: String,
    },
    /// The annotation was read but yields no transcript made of exons.
    NoTranscripts {
        /// The dialect recognised.
        dialect: Dialect,
        /// What the file lacks.
        missing: String,
    },
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ColumnCount { found } => write!(
                f,
                "expected 9 tab-separated columns (seqid source type start end score strand phase attributes), found {found}"
            ),
            Self::Coordinate { column, value } => write!(
                f,
                "{column} must be a positive whole number (1-based), found {value:?}"
            ),
            Self::StartAfterEnd { start, end } => {
                write!(f, "start {start} is after end {end}")
            }
            Self::Strand { value } => {
                write!(f, "strand must be one of + - . ?, found {value:?}")
            }
            Self::Attributes { message } => write!(f, "malformed attributes: {message}"),
            Self::Region { message } => write!(f, "{message}"),
            Self::MissingAttribute { name } => write!(f, "missing required attribute {name}"),
            Self::SequenceBeforeHeader => {
                write!(f, "sequence before the first '>' header: not a FASTA file?")
            }
            Self::EmptyContigName => write!(f, "a '>' header without a sequence name"),
            Self::DuplicateContig { name } => write!(f, "contig {name} appears twice"),
            Self::InvalidBase { byte } => write!(
                f,
                "{:?} is not a nucleotide code (expected A, C, G, T, N or another IUPAC letter)",
                char::from(*byte)
            ),
            Self::Fasta => write!(
                f,
                "this is a FASTA file (a sequence), not an annotation — did you swap --genome and --annotation?"
            ),
            Self::NotAnnotation { columns } => write!(
                f,
                "not an annotation: {columns} tab-separated column(s) where GTF, GFF3 and GFF2 have 9 (a BED file?); spliceforge needs transcripts made of exons, in GTF, GFF3 or JGI's GFF2"
            ),
            Self::UnknownDialect { attributes } => write!(
                f,
                "cannot tell the annotation dialect from the attributes {attributes:?}: expected GTF (gene_id \"…\"; transcript_id \"…\";), GFF3 (ID=…;Parent=…) or JGI's GFF2 (name \"…\"; transcriptId …); pass --annotation-format to force GTF or GFF3"
            ),
            Self::ForcedFormat {
                forced,
                content,
                cause,
            } => write!(
                f,
                "{cause} (the content looks like {content}, but --annotation-format {forced} was given: drop the flag to let the content decide)"
            ),
            Self::NoTranscripts { dialect, missing } => write!(
                f,
                "{dialect} (recognised on this line), but {missing}: spliceforge needs transcripts made of exons"
            ),
        }
    }
}
