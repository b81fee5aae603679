//! The integration tests: one binary that runs the real `spliceforge` on real data. Tests run
//! in the order of their names, two at a time, so the longest (`distributed`) starts early.

mod util;

mod builder;
mod contigs;
mod distributed;
mod errors;
mod evaluate;
mod faults;
mod features;
mod fuzz;
mod inspect;
mod install;
mod limits;
mod memory;
mod predict;
mod project;
mod readme;
mod shards;
mod spliceai;
mod train;
mod variants;
