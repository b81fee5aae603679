//! The dataset on disk: run.json (fingerprint + plan), manifest.jsonl (committed batches),
//! parts/*.parquet (rows), genes.parquet, and the crash-safe primitives that write them.
//!
//! ```text
//! OUT/
//!   run.json        resolved content config, input checksums, schema, plan
//!   basemodel.json  the built-in base model (when used)
//!   manifest.jsonl  one line per committed batch, then a `complete` line
//!   parts/          batch-00001.parquet …   (row groups of ≤ --batch-rows rows)
//!   genes.parquet   per-gene table          summary.json  class mix, base-model quality
//!   .tmp/  .lock
//! ```

pub(crate) mod fingerprint;
pub(crate) mod fsutil;
pub(crate) mod genes;
pub(crate) mod lock;
pub(crate) mod manifest;
pub(crate) mod output;
pub(crate) mod part;
pub(crate) mod reader;
pub(crate) mod run;
pub(crate) mod shard;
pub(crate) mod table;
pub(crate) mod verify;

mod error;

pub use error::Error;
pub use fingerprint::{DATASET_FORMAT, Fingerprint, InputFile, digest_json};
pub use fsutil::TempDir;
pub use lock::Lock;
pub use manifest::{MANIFEST, Manifest};
pub use reader::Part;
pub use run::{Plan, RUN_JSON, RunInfo};
pub use shard::Shard;
pub use verify::verify;

/// The name of batch `b`'s part file.
pub fn part_name(b: usize) -> String {
    format!("batch-{b:05}.parquet")
}
