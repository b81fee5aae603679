//! XGBoost's own collective, for training one model with several processes: a [`Tracker`] that
//! the workers meet at, and a [`Communicator`] that makes this process one worker. Once a
//! communicator is up, every quantile matrix and every boosting round is collective (sketches
//! and histograms are all-reduced), so every worker must build the same matrices and train the
//! same boosters in the same order, each on its own rows.

use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr;

use serde_json::json;

use super::error::{Error, Result, check};
use super::ffi;

/// A running tracker (rabit), freed when dropped.
pub struct Tracker {
    handle: ffi::TrackerHandle,
}

// SAFETY: the tracker handle is used from one thread at a time (it is owned).
unsafe impl Send for Tracker {}

fn cjson(v: &serde_json::Value) -> Result<CString> {
    CString::new(v.to_string()).map_err(|e| Error::InvalidInput(e.to_string()))
}

impl Tracker {
    /// Starts a tracker for `workers` workers listening on `host:port` (port 0: any free port);
    /// `timeout_secs` bounds how long it waits for workers (0: no bound). Workers get their
    /// rank in the order of their task ids.
    pub fn start(workers: usize, host: &str, port: u16, timeout_secs: u64) -> Result<Self> {
        ffi::require()?;
        let config = cjson(&json!({
            "dmlc_communicator": "rabit",
            "n_workers": workers,
            "host": host,
            "port": port,
            "sortby": 1,
            "timeout": timeout_secs,
        }))?;
        let mut handle = ptr::null_mut();
        // SAFETY: NUL-terminated JSON, valid out pointer.
        check(
            unsafe { ffi::XGTrackerCreate(config.as_ptr(), &mut handle) },
            "XGTrackerCreate",
        )?;
        let tracker = Tracker { handle };
        // SAFETY: live handle, NUL-terminated JSON.
        check(
            unsafe { ffi::XGTrackerRun(tracker.handle, c"{}".as_ptr()) },
            "XGTrackerRun",
        )?;
        Ok(tracker)
    }

    /// The address workers connect to: `(host, port)`.
    pub fn address(&self) -> Result<(String, u16)> {
        let mut out: *const c_char = ptr::null();
        // SAFETY: live handle, valid out pointer; the string is copied at once.
        check(
            unsafe { ffi::XGTrackerWorkerArgs(self.handle, &mut out) },
            "XGTrackerWorkerArgs",
        )?;
        // SAFETY: XGBoost returned a NUL-terminated string valid until the next call.
        let text = unsafe { CStr::from_ptr(out) }
            .to_string_lossy()
            .into_owned();
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Error::InvalidInput(e.to_string()))?;
        let host = v["dmlc_tracker_uri"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let port = v["dmlc_tracker_port"].as_u64().unwrap_or_default() as u16;
        Ok((host, port))
    }

    /// Waits until every worker has finished (at most `timeout_secs`; 0: no bound).
    pub fn wait(&self, timeout_secs: u64) -> Result<()> {
        let config = cjson(&json!({ "timeout": timeout_secs }))?;
        // SAFETY: live handle, NUL-terminated JSON.
        check(
            unsafe { ffi::XGTrackerWaitFor(self.handle, config.as_ptr()) },
            "XGTrackerWaitFor",
        )
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        // SAFETY: the handle is live and freed once.
        unsafe { ffi::XGTrackerFree(self.handle) };
    }
}

/// This process as one worker of a tracker's group; leaves the group when dropped.
pub struct Communicator {
    rank: usize,
    world: usize,
}

/// A reduction.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    /// The largest value.
    Max = 0,
    /// The smallest value.
    Min = 1,
    /// The sum.
    Sum = 2,
}

/// XGBoost's code for `uint64` in collective calls.
const U64: i32 = 11;

impl Communicator {
    /// Joins the tracker at `host:port` as task `task` (ranks follow task order); collective
    /// calls fail after `timeout_secs` without an answer from a peer.
    pub fn join(host: &str, port: u16, task: usize, timeout_secs: u64) -> Result<Self> {
        ffi::require()?;
        let config = cjson(&json!({
            "dmlc_communicator": "rabit",
            "dmlc_tracker_uri": host,
            "dmlc_tracker_port": port,
            // Zero-padded: the tracker sorts task ids as text.
            "dmlc_task_id": format!("{task:08}"),
            "dmlc_timeout": timeout_secs,
            "dmlc_retry": 3,
        }))?;
        // SAFETY: NUL-terminated JSON.
        check(
            unsafe { ffi::XGCommunicatorInit(config.as_ptr()) },
            "XGCommunicatorInit",
        )?;
        // SAFETY: the communicator is initialised.
        let (rank, world) = unsafe {
            (
                ffi::XGCommunicatorGetRank(),
                ffi::XGCommunicatorGetWorldSize(),
            )
        };
        if rank < 0 || world < 1 {
            // SAFETY: leaves the group just joined.
            unsafe { ffi::XGCommunicatorFinalize() };
            return Err(Error::InvalidInput(format!(
                "the collective gave rank {rank} of {world}"
            )));
        }
        Ok(Communicator {
            rank: rank as usize,
            world: world as usize,
        })
    }

    /// This worker's rank, from 0.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of workers.
    pub fn world(&self) -> usize {
        self.world
    }
}

/// Whether this process belongs to a group of workers (collective calls then go to peers).
pub fn is_distributed() -> bool {
    // Without the library, no group was joined.
    // SAFETY: no arguments; answers false before any group is joined.
    ffi::loaded() && unsafe { ffi::XGCommunicatorIsDistributed() != 0 }
}

/// Reduces `values` element-wise over every worker of the group this process joined, in place
/// (every worker must call it).
pub fn allreduce(values: &mut [u64], op: Op) -> Result<()> {
    ffi::require()?;
    {
        // SAFETY: `values` is a live buffer of `len` u64s, the type code says u64.
        check(
            unsafe {
                ffi::XGCommunicatorAllreduce(
                    values.as_mut_ptr().cast::<c_void>(),
                    values.len(),
                    U64,
                    op as i32,
                )
            },
            "XGCommunicatorAllreduce",
        )
    }
}

impl Drop for Communicator {
    fn drop(&mut self) {
        // SAFETY: the group was joined by this value and is left once.
        unsafe { ffi::XGCommunicatorFinalize() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xgb::testdata;
    use crate::xgb::{Booster, DMatrix};

    /// Set in the child process that runs [`two_workers_train_one_model_on_their_own_rows`].
    const CHILD: &str = "SPLICEFORGE_TEST_COLLECTIVE_CHILD";

    /// Two workers in threads of a child process (this test binary again, running this test
    /// alone): XGBoost's tracker writes its own lines ("Task … got rank …") straight to the
    /// process's stderr, which is shown only if the child fails.
    #[test]
    fn two_workers_train_one_model_on_their_own_rows() {
        if std::env::var_os(CHILD).is_some() {
            return two_workers_in_threads();
        }
        let name = "xgb::collective::tests::two_workers_train_one_model_on_their_own_rows";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--test-threads", "1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the child failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Each worker trains on its half of the rows; both end with the same model, which differs
    /// from one trained on either half alone.
    fn two_workers_in_threads() {
        let tracker = Tracker::start(2, "127.0.0.1", 0, 60).unwrap();
        let (host, port) = tracker.address().unwrap();
        let (x, y) = testdata::binary(2000, 7);
        let cols = x.len() / y.len();
        let train = |task: usize| {
            let comm = Communicator::join(&host, port, task, 60).unwrap();
            let rank = comm.rank();
            let (lo, hi) = (rank * 1000, (rank + 1) * 1000);
            let mut m =
                DMatrix::from_dense(&x[lo * cols..hi * cols], 1000, cols, f32::NAN).unwrap();
            m.set_labels(&y[lo..hi]).unwrap();
            let mut b = Booster::new(&[&m]).unwrap();
            for (k, v) in [("objective", "binary:logistic"), ("nthread", "1")] {
                b.set_param(k, v).unwrap();
            }
            for it in 0..5 {
                b.update(it, &m).unwrap();
            }
            let mut agree = [b.to_json_bytes().unwrap().len() as u64];
            allreduce(&mut agree, Op::Max).unwrap();
            (rank, b.to_json_bytes().unwrap(), agree[0])
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| train(0));
            let b = s.spawn(|| train(1));
            (a.join().unwrap(), b.join().unwrap())
        });
        tracker.wait(60).unwrap();
        assert_eq!((a.0, b.0), (0, 1));
        assert_eq!(a.1, b.1, "both workers hold the same model");
        assert_eq!(a.2, a.1.len() as u64);
        // Alone on rank 0's rows, in a thread outside the group, the model is another.
        let alone = std::thread::spawn(move || {
            let mut m = DMatrix::from_dense(&x[..1000 * cols], 1000, cols, f32::NAN).unwrap();
            m.set_labels(&y[..1000]).unwrap();
            let mut b = Booster::new(&[&m]).unwrap();
            for (k, v) in [("objective", "binary:logistic"), ("nthread", "1")] {
                b.set_param(k, v).unwrap();
            }
            for it in 0..5 {
                b.update(it, &m).unwrap();
            }
            b.to_json_bytes().unwrap()
        })
        .join()
        .unwrap();
        assert_ne!(alone, a.1, "the workers trained together");
    }
}
