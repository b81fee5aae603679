//! Progress bars on standard error: one look for every long command (genes done of the total,
//! rate, time left, and a message of the moment).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `genes` genes, hidden when `show` is false or there is nothing to do.
pub fn genes(show: bool, genes: usize) -> ProgressBar {
    if !show || genes == 0 {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(genes as u64);
    b.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} genes · {per_sec} · ETA {eta} · {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b
}
