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

pub(crate) mod config;
mod error;
pub(crate) mod eval;
pub(crate) mod fit;
pub(crate) mod input;
pub(crate) mod log;
pub mod memory;
pub(crate) mod modeldir;
pub(crate) mod phases;
pub(crate) mod run;

pub use self::config::{Auto, Collective, Cv, LARGE_RUN_ROWS, SingleModel, TrainConfig};
pub use self::error::Error;
pub use self::fit::model::{Objective, Params};
pub use self::input::dataset::Dataset;
pub use self::run::workers::{run_local, run_tracker};
pub use self::run::{Planned, plan, train};
