//! Errors of the XGBoost layer, and [`check`], the one place C return codes are turned into them.

use std::ffi::{CStr, CString, c_int};
use std::path::PathBuf;

use super::ffi;

/// Result of the XGBoost layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error from XGBoost or from this layer's checks.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An XGBoost C function failed; `message` is XGBoost's own text (from `XGBGetLastError`).
    #[error("XGBoost: {func} failed: {message}")]
    XGBoost {
        /// The C function that failed, e.g. `XGBoosterUpdateOneIter`.
        func: &'static str,
        /// XGBoost's message, without its stack trace.
        message: String,
    },
    /// XGBoost's library was not found, or none found is usable (see [`super::loader`]).
    #[error("{0}")]
    Library(super::loader::LoadError),
    /// A [`BatchSource`](super::BatchSource) returned an error while XGBoost was reading it.
    /// The original error is the [`source`](std::error::Error::source) (downcast it to recover it).
    #[error("batch source failed: {0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A [`BatchSource`](super::BatchSource) panicked; the panic was stopped at the C boundary.
    #[error("batch source panicked: {0}")]
    Panic(String),
    /// An argument is inconsistent (lengths, shapes, interior NUL bytes, ...).
    #[error("invalid input to XGBoost: {0}")]
    InvalidInput(String),
    /// Reading or writing a model file failed.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// Whether XGBoost's library could not be loaded (missing or too old), rather than a call
    /// into it failing.
    pub fn is_library(&self) -> bool {
        matches!(self, Error::Library(_))
    }
}

/// Turns the return code of the C function `func` into a `Result`, fetching XGBoost's message
/// on failure. Every C call of this layer goes through here.
pub(crate) fn check(ret: c_int, func: &'static str) -> Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(Error::XGBoost {
            func,
            message: last_error(),
        })
    }
}

/// XGBoost's last error on this thread, trimmed of the stack trace it appends.
fn last_error() -> String {
    // SAFETY: XGBGetLastError takes no arguments and returns a thread-local, NUL-terminated
    // string (or null); it is copied before any other XGBoost call.
    let ptr = unsafe { ffi::XGBGetLastError() };
    if ptr.is_null() {
        return "unknown error (XGBGetLastError returned null)".to_owned();
    }
    // SAFETY: non-null and NUL-terminated per the C API.
    let text = unsafe { CStr::from_ptr(ptr) }.to_string_lossy();
    tidy(&text).to_owned()
}

/// XGBoost's message without the `[12:00:00] /src/file.cc:36: ` prefix of its checks and the
/// stack trace it may append.
fn tidy(text: &str) -> &str {
    let mut t = text
        .split("\nStack trace:")
        .next()
        .unwrap_or_default()
        .trim();
    if t.starts_with('[')
        && let Some(i) = t.find("] ")
    {
        t = &t[i + 2..];
    }
    if let Some((location, rest)) = t.split_once(": ")
        && let Some((file, line)) = location.rsplit_once(':')
        && !line.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
        && !file.contains(' ')
        && file.contains('.')
    {
        t = rest;
    }
    t.trim()
}

/// A C string for XGBoost, or [`Error::InvalidInput`] naming `what` if `s` holds a NUL byte.
pub(crate) fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::InvalidInput(format!("{what} {s:?} contains a NUL byte")))
}

/// A length as `bst_ulong`.
pub(crate) fn ulong(n: usize) -> u64 {
    // usize is at most 64 bits on every supported target.
    n as u64
}

/// A `bst_ulong` count reported by XGBoost as `usize`.
pub(crate) fn to_usize(n: u64, what: &str) -> Result<usize> {
    usize::try_from(n).map_err(|_| Error::InvalidInput(format!("{what} {n} does not fit in usize")))
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn tidy_strips_time_location_and_stack() {
        assert_eq!(
            tidy(
                "[05:56:38] /workspace/src/data/iterative_dmatrix.cc:36: Check failed: valid: x.\nStack trace:\n  [bt] (0) lib"
            ),
            "Check failed: valid: x."
        );
        assert_eq!(
            tidy("Invalid Parameter format for max_depth expect int but value='abc'"),
            "Invalid Parameter format for max_depth expect int but value='abc'"
        );
        assert_eq!(
            tidy("Unknown objective function: `a:b`"),
            "Unknown objective function: `a:b`"
        );
    }
}
