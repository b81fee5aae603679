//! spliceforge: builds splice-site training sets from a real genome and its annotation, and
//! trains and applies meta-models on them.
//!
//! The rooms, bottom to top (each uses only the ones below it):
//! [`genome`] (FASTA, GTF/GFF3, gene models, selection) → [`basemodel`] (the built-in model,
//! SpliceAI, imported scores) → [`features`] (labels, sampling, the one schema) → [`store`]
//! (Parquet parts, manifest, fingerprint, verify) → [`builder`] (the build and `score`),
//! [`inspect`] and [`train`] (the meta-model) → [`predict`] (a model applied) → [`evaluate`]
//! (an every-base prediction table judged: top-k, PR-AUC, F1, base beside meta) → [`variants`]
//! (SpliceAI's VCF annotation: VCF in and out, the genes scored against). Beside them:
//! [`seed`], [`rss`], [`cluster`] and [`error`] (the one error type and the exit codes).
//!
//! This is the front door: what the binary and the tests use is re-exported at the top of each
//! room; the rooms' inner modules are the crate's own. The binary (`src/main.rs`) parses flags,
//! resolves them into the configurations defined here, calls the library and turns [`Error`]
//! into a documented exit code.

// `unsafe` lives in `xgb` (the C API) and in SpliceAI's vector kernels only, each block with
// its SAFETY argument; anywhere else it does not compile.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod basemodel;
pub mod builder;
pub mod cluster;
pub mod error;
pub mod evaluate;
pub mod features;
#[doc(hidden)]
pub mod fuzz;
pub mod genome;
pub mod inspect;
pub mod predict;
pub(crate) mod progress;
pub mod rss;
pub mod seed;
pub(crate) mod stats;
pub mod store;
pub mod train;
pub mod variants;
#[allow(unsafe_code)]
pub(crate) mod xgb;

pub use error::Error;

/// XGBoost's C library, found and loaded at run time: the search order (`docs/install.md`,
/// "Where spliceforge finds XGBoost") and what `spliceforge doctor` reports.
pub mod xgboost {
    pub use crate::xgb::loader::{
        HOW_TO_GET, Inputs, LIB_VAR, Library, LoadError, MIN_VERSION, NO_DEV_VAR, Outcome, Place,
        Target, dotted, places, render_places,
    };

    /// The loader's error, if the library is unusable (searching on the first call).
    pub fn load_error() -> Option<&'static LoadError> {
        crate::xgb::loader::get().err()
    }

    /// The library, searched for and loaded on the first call; without a usable one, the error
    /// that lists the places searched (exit code [`crate::error::exit::XGBOOST`]).
    pub fn load() -> Result<&'static Library, crate::Error> {
        crate::xgb::loader::get()
            .map_err(|e| crate::train::Error::Xgboost(crate::xgb::Error::Library(e.clone())).into())
    }
}
