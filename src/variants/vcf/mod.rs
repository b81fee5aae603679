//! VCF for variant scoring, in noodles' shape: a [`Reader`] of the [`Header`] and of
//! [`Record`]s kept as their raw lines (the output is the input byte for byte, but for the INFO
//! field added), and a [`Writer`] of the annotated file (plain or BGZF, written atomically).
//!
//! Why records are split by hand rather than parsed with noodles-vcf: `reader.rs`.

mod header;
mod reader;
mod record;
mod writer;

pub use crate::variants::input::Compression;
pub use header::{COLUMNS, Header};
pub use reader::{Reader, max_line};
pub use record::{FIXED_COLUMNS, ParseError, Record};
pub use writer::{OutputFormat, Writer, write_vcf};
