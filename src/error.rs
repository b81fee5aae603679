//! The library's top-level error and the exit code each kind maps to.

use crate::{basemodel, evaluate, genome, store, train, variants};

/// Exit codes of the `spliceforge` binary (also listed in the README and `--help`).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// A bug in spliceforge (or in XGBoost): please report it.
    pub const FAILURE: u8 = 1;
    /// Bad usage: a flag clap rejects, or settings that cannot work with this input.
    pub const USAGE: u8 = 2;
    /// Bad input data: a malformed genome, annotation, gene list or base model, or an empty
    /// selection.
    pub const BAD_INPUT: u8 = 3;
    /// The output directory holds a run or model with other inputs or settings (resume refused,
    /// nothing overwritten).
    pub const FINGERPRINT: u8 = 4;
    /// Another builder holds the output directory.
    pub const LOCKED: u8 = 5;
    /// `verify` found problems.
    pub const VERIFY: u8 = 6;
    /// Writing failed (disk full, permissions); committed batches are intact.
    pub const WRITE: u8 = 7;
    /// A directory that is not a spliceforge dataset or model directory, or a file that is not
    /// an every-base prediction table (nothing was written).
    pub const NOT_OURS: u8 = 8;
    /// No training plan fits `--memory-budget` (refused before any work).
    pub const MEMORY: u8 = 9;
    /// A file or directory given on the command line does not exist.
    pub const NOT_FOUND: u8 = 10;
    /// An input exists but cannot be read (permissions, I/O error).
    pub const READ: u8 = 11;
    /// A dataset or model file is damaged beyond what resume repairs.
    pub const DAMAGED: u8 = 12;
    /// A dataset and a model that do not fit together (other features or schema).
    pub const INCOMPATIBLE: u8 = 13;
    /// `merge` refused the shards it was given: missing, given twice, unfinished or of another
    /// run (nothing was written).
    pub const SHARDS: u8 = 14;
    /// XGBoost's C library was not found, or the one found is too old (nothing was done that
    /// needed it; `spliceforge doctor` lists where it looked).
    pub const XGBOOST: u8 = 15;

    /// Every exit code, in order.
    pub const ALL: [u8; 16] = [
        OK,
        FAILURE,
        USAGE,
        BAD_INPUT,
        FINGERPRINT,
        LOCKED,
        VERIFY,
        WRITE,
        NOT_OURS,
        MEMORY,
        NOT_FOUND,
        READ,
        DAMAGED,
        INCOMPATIBLE,
        SHARDS,
        XGBOOST,
    ];

    /// Every exit code with its meaning in one line, in order: the list at the end of
    /// `spliceforge --help` (the README's table says the same at more length).
    pub const MEANINGS: [(u8, &str); 16] = [
        (OK, "success"),
        (
            FAILURE,
            "a bug in spliceforge (or in XGBoost): please report it with the command and its output",
        ),
        (
            USAGE,
            "bad usage: a flag rejected, or settings that cannot work with this input",
        ),
        (
            BAD_INPUT,
            "bad input data (malformed FASTA/GTF/GFF3/gene list/base scores, an empty selection)",
        ),
        (
            FINGERPRINT,
            "the output directory holds a run or model with other settings (--overwrite starts over)",
        ),
        (LOCKED, "another builder holds the output directory"),
        (VERIFY, "verify found problems"),
        (
            WRITE,
            "a write failed (disk full, permissions); committed batches are intact, rerun to resume",
        ),
        (
            NOT_OURS,
            "not a spliceforge dataset, model directory or prediction table",
        ),
        (
            MEMORY,
            "no training plan fits --memory-budget (nothing was done)",
        ),
        (NOT_FOUND, "a file or directory given does not exist"),
        (READ, "an input exists but cannot be read"),
        (
            DAMAGED,
            "a dataset, model or weights file is damaged: rebuild, retrain or re-fetch it",
        ),
        (
            INCOMPATIBLE,
            "a dataset and a model that do not fit together (other features)",
        ),
        (
            SHARDS,
            "merge refused its shards (missing, given twice, unfinished or of another run)",
        ),
        (
            XGBOOST,
            "XGBoost's library not found or too old (pip install xgboost-cpu; spliceforge doctor)",
        ),
    ];

    /// [`MEANINGS`] as the help's "Exit codes:" block.
    pub fn help() -> String {
        let mut s = String::from("Exit codes:");
        for (code, meaning) in MEANINGS {
            s.push_str(&format!("\n  {code:>2}  {meaning}"));
        }
        s
    }
}

/// Any error the library reports to the binary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A genome, annotation or selection problem.
    #[error(transparent)]
    Genome(#[from] genome::Error),
    /// A base-model problem (imported scores, training).
    #[error(transparent)]
    BaseModel(#[from] basemodel::Error),
    /// A dataset store problem.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// A training, estimate or predict problem.
    #[error(transparent)]
    Train(#[from] train::Error),
    /// `evaluate` refused its table or output directory.
    #[error(transparent)]
    Evaluate(#[from] evaluate::Error),
    /// `variants` could not read its VCF or genes, or write its output.
    #[error(transparent)]
    Variants(#[from] variants::Error),
    /// Settings that cannot work with this input (e.g. more folds than genes).
    #[error("{0}")]
    Usage(String),
    /// A file or directory given on the command line does not exist.
    #[error("{flag} {}: no such file or directory; check the path", path.display())]
    MissingInput {
        /// The flag that named it.
        flag: String,
        /// The path given.
        path: std::path::PathBuf,
    },
    /// A bug.
    #[error("internal error: {0} (please report this)")]
    Internal(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Genome(e) => genome_code(e),
            Error::BaseModel(e) => basemodel_code(e),
            Error::Store(e) => store_code(e),
            Error::Train(e) => train_code(e),
            // Both refusals are "not ours": a foreign table or output directory.
            Error::Evaluate(_) => exit::NOT_OURS,
            Error::Variants(e) => variants_code(e),
            Error::Usage(_) => exit::USAGE,
            Error::MissingInput { .. } => exit::NOT_FOUND,
            Error::Internal(_) => exit::FAILURE,
        }
    }
}

/// NOT_FOUND for a missing path, else READ.
fn read_code(e: &std::io::Error) -> u8 {
    if e.kind() == std::io::ErrorKind::NotFound {
        exit::NOT_FOUND
    } else {
        exit::READ
    }
}

fn genome_code(e: &genome::Error) -> u8 {
    match e {
        genome::Error::Open { source, .. } => read_code(source),
        _ => exit::BAD_INPUT,
    }
}

fn basemodel_code(e: &basemodel::Error) -> u8 {
    use basemodel::spliceai::Error as W;
    match e {
        basemodel::Error::Io { source, .. } => read_code(source),
        basemodel::Error::Input(g) => genome_code(g),
        basemodel::Error::SpliceAi(W::MissingDir { .. } | W::MissingFile { .. }) => exit::NOT_FOUND,
        basemodel::Error::SpliceAi(W::Io { source, .. }) => read_code(source),
        basemodel::Error::SpliceAi(W::Bad { .. }) => exit::DAMAGED,
        _ => exit::BAD_INPUT,
    }
}

fn store_code(e: &store::Error) -> u8 {
    use store::Error as S;
    match e {
        S::FingerprintMismatch { .. } => exit::FINGERPRINT,
        S::Locked { .. } => exit::LOCKED,
        S::Verify { .. } => exit::VERIFY,
        S::Write { .. } | S::Parquet { .. } => exit::WRITE,
        S::Read { source, .. } => read_code(source),
        S::NotFound { .. } => exit::NOT_FOUND,
        S::NotADataset { .. } | S::NoDataset { .. } => exit::NOT_OURS,
        S::Corrupt { .. } => exit::DAMAGED,
        S::Shards { .. } => exit::SHARDS,
    }
}

fn variants_code(e: &variants::Error) -> u8 {
    use variants::Error as V;
    match e {
        V::Open { source, .. } => read_code(source),
        V::Read { .. } | V::Part { .. } => exit::READ,
        V::Write { .. } => exit::WRITE,
        V::Annotation(g) => genome_code(g),
        V::Corrupt { .. }
        | V::NoHeader { .. }
        | V::Malformed { .. }
        | V::LineTooLong { .. }
        | V::AlleleTooLong { .. }
        | V::GeneTable { .. }
        | V::NotGenes { .. } => exit::BAD_INPUT,
    }
}

fn train_code(e: &train::Error) -> u8 {
    use train::Error as T;
    match e {
        T::Store(s) => store_code(s),
        T::Usage(_) => exit::USAGE,
        T::Budget(_) => exit::MEMORY,
        T::ModelDirTaken { .. } => exit::FINGERPRINT,
        T::NotAModelDir { .. } | T::NotAModel { .. } => exit::NOT_OURS,
        T::ModelNotFound { .. } => exit::NOT_FOUND,
        T::ModelDamaged { .. } => exit::DAMAGED,
        T::Incompatible { .. } => exit::INCOMPATIBLE,
        // A worker's own failure is the run's (a usage error stays 2, a taken directory 4…).
        T::Worker { code: Some(c), .. }
            if u8::try_from(*c).is_ok_and(|c| c > 0 && exit::ALL.contains(&c)) =>
        {
            *c as u8
        }
        T::Xgboost(x) if x.is_library() => exit::XGBOOST,
        T::Worker { .. } | T::Xgboost(_) | T::Internal(_) => exit::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::exit;

    /// The help's list names every exit code once, in order.
    #[test]
    fn every_exit_code_has_one_meaning_in_order() {
        let codes: Vec<u8> = exit::MEANINGS.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, exit::ALL);
    }
}
