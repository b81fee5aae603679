//! Resident memory of this process, from `/proc/self/status` (Linux; 0 elsewhere).

fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
}

/// Current resident set size in bytes (VmRSS).
pub fn rss_bytes() -> u64 {
    status_kb("VmRSS:") * 1024
}

/// Peak resident set size in bytes (VmHWM).
pub fn peak_rss_bytes() -> u64 {
    status_kb("VmHWM:") * 1024
}

/// Bytes as a short human string (`512.0 MB`).
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

/// Samples the resident set size in a background thread, so that each phase of a long job can
/// report its own peak (VmHWM only knows the peak since the process started).
pub struct Monitor {
    peak: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Monitor {
    /// Starts sampling every `interval`.
    pub fn start(interval: std::time::Duration) -> Self {
        use std::sync::atomic::Ordering;
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(rss_bytes()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (p, st) = (peak.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                p.fetch_max(rss_bytes(), Ordering::Relaxed);
                std::thread::sleep(interval);
            }
        });
        Self {
            peak,
            stop,
            handle: Some(handle),
        }
    }

    /// The highest RSS sampled since the previous call (or the start); starts a new phase.
    pub fn phase_peak(&self) -> u64 {
        use std::sync::atomic::Ordering;
        let now = rss_bytes();
        self.peak.swap(now, Ordering::Relaxed).max(now)
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn monitor_sees_a_transient_allocation() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let m = super::Monitor::start(std::time::Duration::from_millis(5));
        let _ = m.phase_peak();
        let before = super::rss_bytes();
        let v = std::hint::black_box(vec![1u8; 200 << 20]);
        std::thread::sleep(std::time::Duration::from_millis(60));
        drop(v);
        let peak = m.phase_peak();
        assert!(peak >= before + (150 << 20), "peak {peak} before {before}");
    }

    #[test]
    fn reads_this_process() {
        if cfg!(target_os = "linux") {
            assert!(super::rss_bytes() > 0);
            assert!(super::peak_rss_bytes() >= super::rss_bytes() / 2);
        }
    }
}
