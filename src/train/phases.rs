//! What each phase of a run cost (seconds, peak RSS), for the report.

use std::time::Instant;

use serde::Serialize;

use crate::rss;

/// What a phase of training cost.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// Name.
    pub name: String,
    /// Seconds.
    pub secs: f64,
    /// Peak RSS during the phase (bytes), sampled every 50 ms.
    pub peak_rss: u64,
}

/// The phases of a run so far.
#[derive(Debug, Default)]
pub struct Phases(pub Vec<Phase>);

impl Phases {
    /// Records phase `name`, begun at `t`, with the peak RSS so far.
    pub fn record(&mut self, name: &str, t: Instant) {
        self.0.push(Phase {
            name: name.into(),
            secs: t.elapsed().as_secs_f64(),
            peak_rss: rss::peak_rss_bytes(),
        });
    }
}
