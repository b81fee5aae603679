//! Genome inputs: FASTA sequences, annotation (GTF, GFF3, JGI's GFF2), gene models and gene selection.

pub mod annotation;
pub mod fasta;
pub(crate) mod gene;
pub(crate) mod io;
pub(crate) mod region;
pub mod regions;
pub(crate) mod safe_parquet;
pub(crate) mod select;
pub mod transcripts;

mod error;

pub use annotation::{Annotation, Dialect, Format};
pub use error::{Error, ParseErrorKind};
pub use gene::{Exon, Gene, Intron, Site, SiteKind, Strand, Tags, Transcript};
pub use region::GeneRegion;
pub use regions::Region;
pub use select::{Selected, Selection};
pub use transcripts::Transcripts;
