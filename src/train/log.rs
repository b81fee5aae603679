//! Progress lines: every one prefixed with the resident memory of the moment and, in a worker
//! of a distributed run, with its rank.

use std::sync::OnceLock;

use crate::rss;

/// `"[rank r/N] "` once this process has joined a distributed run (cosmetic: nothing a run
/// computes depends on it; the run carries its share of the genes explicitly).
static PREFIX: OnceLock<String> = OnceLock::new();

/// Prefixes every later progress line of this process with its rank.
pub(crate) fn set_rank(rank: usize, world: usize) {
    let _ = PREFIX.set(format!("[rank {rank}/{world}] "));
}

/// `"[rank r/N] "` in a worker, empty otherwise.
pub(crate) fn prefix() -> &'static str {
    PREFIX.get().map_or("", String::as_str)
}

/// Prints a progress line, prefixed with the process's resident memory (RSS) at that moment.
pub(crate) fn log(msg: &str) {
    eprintln!("{}[RSS {}] {msg}", prefix(), rss::human(rss::rss_bytes()));
}
