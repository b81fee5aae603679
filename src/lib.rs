//! spliceforge: builds splice-site training sets from a real genome and its annotation.
//!
//! The data flows one way: [`genome`] (FASTA, GTF/GFF3, gene models, selection) feeds the rest.
//! The binary (`src/main.rs`) parses flags, resolves them into the configurations defined here,
//! calls the library and turns [`Error`] into a documented exit code.

// `unsafe` lives in `xgb` (the C API) and in SpliceAI's vector kernels only, each block with
// its SAFETY argument; anywhere else it does not compile.
#![deny(unsafe_code)]

pub mod basemodel;
pub mod builder;
pub mod cluster;
pub mod error;
pub mod features;
pub mod genome;
pub mod inspect;
pub mod predict;
pub mod progress;
pub mod rss;
pub mod seed;
pub mod stats;
pub mod store;
pub mod train;
#[allow(unsafe_code)]
pub mod xgb;

pub use error::Error;
