//! `spliceforge train` and `estimate`: the meta-model, learned from a builder dataset streamed
//! straight from Parquet into XGBoost. The rooms, top to bottom (each imports only those below):
//!
//! * [`run`]: a run from its configuration to a model directory: the plan, `--out-dir`, a single
//!   model with cross-validation, an ensemble, the workers of a distributed run;
//! * [`eval`]: metrics (one average precision), decision rules, `report.md` and plots;
//! * [`modeldir`]: the files of a model directory, and a finished one opened for `predict`;
//! * [`memory`]: the memory model, the `--memory-budget` planner and `estimate`;
//! * [`fit`]: the toolbox: quantile matrices, boosters, folds, calibration, a model applied
//!   batch by batch, a worker's share;
//! * [`input`]: the dataset opened for training, its rows streamed batch by batch, gene samples;
//!
//! beside small leaves every room may use: [`config`] (what a run is asked to do), `log`
//! (progress lines), [`phases`] (what each phase cost) and the [`Error`] type.

pub mod config;
mod error;
pub mod eval;
pub mod fit;
pub mod input;
pub(crate) mod log;
pub mod memory;
pub mod modeldir;
pub mod phases;
pub mod run;

pub use self::config::{Auto, Collective, LARGE_RUN_ROWS, SingleModel, TrainConfig};
pub use self::error::Error;
pub use self::run::{Planned, plan, train};
