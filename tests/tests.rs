//! The integration tests: one binary that runs the real `spliceforge` on real data.

mod util;

mod builder;
mod errors;
mod features;
mod inspect;
mod memory;
mod readme;
mod shards;
mod spliceai;
mod train;
mod workers;
