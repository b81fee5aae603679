//! The library's top-level error and the exit code each kind maps to.

use crate::genome;

/// Exit codes of the `spliceforge` binary (also listed in the README and `--help`).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// An unexpected failure (a bug, or an I/O error on our own output).
    pub const FAILURE: u8 = 1;
    /// Bad command-line usage (clap's own code).
    pub const USAGE: u8 = 2;
    /// Bad input data: an unreadable or malformed genome, annotation or gene list, or an empty
    /// selection.
    pub const BAD_INPUT: u8 = 3;
}

/// Any error the library reports to the binary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A genome, annotation or selection problem.
    #[error(transparent)]
    Genome(#[from] genome::Error),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Genome(_) => exit::BAD_INPUT,
        }
    }
}
