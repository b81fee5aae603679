//! The command line: clap structs only. Doc comments are the help text; nothing here knows an
//! algorithm. `main.rs` resolves these into the library's configurations.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Build splice-site training sets from a genome and its annotation, and train meta-models.
///
/// Exit codes: 0 success; 1 unexpected failure; 2 bad command-line usage; 3 bad input data
/// (malformed or unreadable FASTA/GTF/GFF3/gene list, empty selection).
#[derive(Debug, Parser)]
#[command(
    name = "spliceforge",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarise a genome + annotation: contigs, genes per biotype, transcripts, introns and
    /// splice dinucleotides, the gene selection, and any problem found.
    ///
    /// Example: spliceforge inspect --genome data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz --annotation data/DmelanDM6_4.gtf.gz
    Inspect(InspectArgs),
}

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The genome and annotation.
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Which genes to select (the report shows how many each filter keeps).
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The genome and its annotation.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Genome FASTA (plain, gzip or bgzip). Lower-case (soft-masked) bases count as normal bases;
    /// IUPAC codes other than ACGT become N.
    #[arg(long, env = "SPLICEFORGE_GENOME", value_name = "FASTA")]
    pub genome: PathBuf,
    /// Annotation, GTF or GFF3 (plain or gzip). Contig names must match the FASTA's.
    #[arg(long, env = "SPLICEFORGE_ANNOTATION", value_name = "GTF|GFF3")]
    pub annotation: PathBuf,
    /// Annotation format; by default guessed from the file name, then from its content.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub annotation_format: Option<AnnotationFormat>,
}

/// Annotation formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AnnotationFormat {
    /// GTF (gene_id / transcript_id attributes).
    Gtf,
    /// GFF3 (ID / Parent attributes).
    Gff3,
}

/// Gene selection. Selected genes are ordered by the FASTA's contig order, then start, then id.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Keep genes of these biotypes (comma-separated, e.g. protein_coding,lncRNA). Genes whose
    /// annotation has no biotype are always kept.
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    pub gene_types: Vec<String>,
    /// Keep only the genes listed in FILE: one gene id per line, '#' starts a comment. An id
    /// that is not in the annotation is an error.
    #[arg(long, value_name = "FILE")]
    pub gene_ids: Option<PathBuf>,
    /// Keep a seeded random sample of N genes (all genes if fewer are left).
    #[arg(long, value_name = "N")]
    pub n_genes: Option<usize>,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 42, env = "SPLICEFORGE_SEED")]
    pub seed: u64,
    /// Keep only genes with at least one intron (the default).
    #[arg(long, overrides_with = "no_require_introns")]
    pub require_introns: bool,
    /// Keep single-exon genes too.
    #[arg(long)]
    pub no_require_introns: bool,
    /// Skip, with a warning, genes on contigs missing from the FASTA instead of failing.
    #[arg(long)]
    pub skip_missing_contigs: bool,
}
