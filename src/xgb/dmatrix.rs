//! [`DMatrix`]: XGBoost's data matrix (features plus labels and weights), built from memory.
//!
//! The constructors here copy their input, so the slices may be dropped afterwards. Streaming
//! construction (`QuantileDMatrix` from batches) is in [`super::iter`].

#[cfg(test)]
use std::ffi::c_int;
use std::ptr;

use super::callbacks::Callbacks;
use super::error::{Error, Result, check, cstring, to_usize, ulong};
use super::ffi;

/// An XGBoost data matrix. Owns its C handle and frees it on drop.
///
/// XGBoost reference-counts matrices internally (a booster's cache holds its own reference), so
/// dropping a `DMatrix` while a booster that used it lives is safe.
pub struct DMatrix {
    handle: ffi::DMatrixHandle,
    /// For a matrix built from a source: the iterator handle and proxy XGBoost keeps pointers
    /// to, alive as long as the matrix (dropped after the handle is freed).
    _callbacks: Option<Box<Callbacks>>,
    /// A quantile matrix binned in memory at construction (nothing is built lazily later).
    binned_in_memory: bool,
}

impl std::fmt::Debug for DMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DMatrix")
            .field("handle", &self.handle)
            .finish()
    }
}

// SAFETY: the handle is owned exclusively by this value and XGBoost's DMatrix has no thread
// affinity. The kept `Callbacks` holds no state once construction has returned (`active` is
// null) and XGBoost calls back only from the thread using the matrix, so moving both to another
// thread moves every use with them. `DMatrix` is not `Sync`: XGBoost builds some pages lazily on
// first use.
unsafe impl Send for DMatrix {}

impl Drop for DMatrix {
    fn drop(&mut self) {
        // SAFETY: the handle came from an XGBoost constructor and is freed exactly once.
        // A failure here cannot be reported and only leaks. `_callbacks` is dropped after this,
        // so the iterator handle and proxy outlive everything XGBoost built with them.
        unsafe { ffi::XGDMatrixFree(self.handle) };
    }
}

impl DMatrix {
    /// Takes ownership of a handle returned by an XGBoost constructor.
    pub(crate) fn from_handle(handle: ffi::DMatrixHandle) -> Self {
        DMatrix {
            handle,
            _callbacks: None,
            binned_in_memory: false,
        }
    }

    /// Takes ownership of a handle built from `callbacks`, which it keeps alive;
    /// `binned_in_memory` for an in-memory quantile matrix.
    pub(crate) fn with_callbacks(
        handle: ffi::DMatrixHandle,
        callbacks: Box<Callbacks>,
        binned_in_memory: bool,
    ) -> Self {
        DMatrix {
            handle,
            _callbacks: Some(callbacks),
            binned_in_memory,
        }
    }

    /// Whether this is an in-memory quantile matrix ([`quantile_from_source`]
    /// (DMatrix::quantile_from_source)): its bins were all made at construction, so boosters
    /// only read it (see [`boost_logistic_together`](super::boost_logistic_together)).
    pub fn binned_in_memory(&self) -> bool {
        self.binned_in_memory
    }

    #[cfg(test)]
    /// How many times XGBoost called the source's callbacks after construction (0 for a matrix
    /// not built from a source).
    pub fn late_callbacks(&self) -> usize {
        self._callbacks.as_ref().map_or(0, |c| c.late_calls())
    }

    /// The C handle, valid while `self` lives.
    pub(crate) fn handle(&self) -> ffi::DMatrixHandle {
        self.handle
    }

    /// A matrix from dense, row-major `f32` features: `data[r * cols + c]` is feature `c` of
    /// row `r`. Values equal to `missing` are missing; pass `f32::NAN` to make NaN mean missing.
    pub fn from_dense(data: &[f32], rows: usize, cols: usize, missing: f32) -> Result<DMatrix> {
        ffi::require()?;
        check_shape(data.len(), rows, cols, "features")?;
        let mut out = ptr::null_mut();
        // SAFETY: `data` holds rows * cols floats (checked above); XGBoost copies them.
        let ret = unsafe {
            ffi::XGDMatrixCreateFromMat(data.as_ptr(), ulong(rows), ulong(cols), missing, &mut out)
        };
        check(ret, "XGDMatrixCreateFromMat")?;
        Ok(DMatrix::from_handle(out))
    }

    #[cfg(test)]
    /// A matrix from a CSR sparse matrix: row `r` holds the entries
    /// `indptr[r]..indptr[r + 1]` of `indices` (column numbers) and `values`. Absent entries and
    /// values equal to `missing` are missing.
    pub fn from_csr(
        indptr: &[u64],
        indices: &[u32],
        values: &[f32],
        cols: usize,
        missing: f32,
    ) -> Result<DMatrix> {
        ffi::require()?;
        if indptr.is_empty() || indptr[0] != 0 {
            return Err(Error::InvalidInput("CSR indptr must start with 0".into()));
        }
        if indices.len() != values.len() || indptr.last() != Some(&ulong(values.len())) {
            return Err(Error::InvalidInput(format!(
                "CSR lengths disagree: {} indices, {} values, indptr ends at {}",
                indices.len(),
                values.len(),
                indptr[indptr.len() - 1]
            )));
        }
        if indptr.windows(2).any(|w| w[0] > w[1]) {
            return Err(Error::InvalidInput(
                "CSR indptr must be non-decreasing".into(),
            ));
        }
        if let Some(&c) = indices.iter().find(|&&c| c as usize >= cols) {
            return Err(Error::InvalidInput(format!(
                "CSR column {c} is out of range for {cols} columns"
            )));
        }
        let indptr_ai = array_interface(indptr.as_ptr().cast(), &[indptr.len()], "u8")?;
        let indices_ai = array_interface(indices.as_ptr().cast(), &[indices.len()], "u4")?;
        let values_ai = array_interface(values.as_ptr().cast(), &[values.len()], "f4")?;
        let config = cstring(
            &format!("{{\"missing\": {}, \"nthread\": 0}}", json_f32(missing)),
            "config",
        )?;
        let mut out = ptr::null_mut();
        // SAFETY: the array interfaces describe live slices of the stated types and lengths;
        // XGBoost copies the data before returning.
        let ret = unsafe {
            ffi::XGDMatrixCreateFromCSR(
                indptr_ai.as_ptr(),
                indices_ai.as_ptr(),
                values_ai.as_ptr(),
                ulong(cols),
                config.as_ptr(),
                &mut out,
            )
        };
        check(ret, "XGDMatrixCreateFromCSR")?;
        Ok(DMatrix::from_handle(out))
    }

    /// Sets the labels, one per row.
    pub fn set_labels(&mut self, labels: &[f32]) -> Result<()> {
        self.set_float_info(c"label", labels, "labels")
    }

    #[cfg(test)]
    /// Sets the instance weights, one per row.
    pub fn set_weights(&mut self, weights: &[f32]) -> Result<()> {
        self.set_float_info(c"weight", weights, "weights")
    }

    /// The instance weights (empty when none were given).
    pub fn weights(&self) -> Result<Vec<f32>> {
        let mut len = 0;
        let mut data: *const f32 = ptr::null();
        // SAFETY: live handle, NUL-terminated field name, valid out pointers.
        let ret = unsafe {
            ffi::XGDMatrixGetFloatInfo(self.handle, c"weight".as_ptr(), &mut len, &mut data)
        };
        check(ret, "XGDMatrixGetFloatInfo")?;
        let len = to_usize(len, "weights")?;
        if len == 0 || data.is_null() {
            return Ok(Vec::new());
        }
        // SAFETY: XGBoost returned `len` floats of its own storage, copied at once.
        Ok(unsafe { std::slice::from_raw_parts(data, len) }.to_vec())
    }

    fn set_float_info(&mut self, field: &std::ffi::CStr, values: &[f32], what: &str) -> Result<()> {
        let rows = self.num_rows()?;
        if values.len() != rows {
            return Err(Error::InvalidInput(format!(
                "{} {what} for {rows} rows",
                values.len()
            )));
        }
        // SAFETY: live handle, NUL-terminated field name, `values` holds `len` floats; copied.
        let ret = unsafe {
            ffi::XGDMatrixSetFloatInfo(
                self.handle,
                field.as_ptr(),
                values.as_ptr(),
                ulong(values.len()),
            )
        };
        check(ret, "XGDMatrixSetFloatInfo")
    }

    /// The number of rows.
    pub fn num_rows(&self) -> Result<usize> {
        let mut n = 0u64;
        // SAFETY: live handle, valid out pointer.
        check(
            unsafe { ffi::XGDMatrixNumRow(self.handle, &mut n) },
            "XGDMatrixNumRow",
        )?;
        to_usize(n, "row count")
    }

    /// The number of columns (features).
    pub fn num_cols(&self) -> Result<usize> {
        let mut n = 0u64;
        // SAFETY: live handle, valid out pointer.
        check(
            unsafe { ffi::XGDMatrixNumCol(self.handle, &mut n) },
            "XGDMatrixNumCol",
        )?;
        to_usize(n, "column count")
    }

    #[cfg(test)]
    /// The number of stored (non-missing) values.
    pub fn num_non_missing(&self) -> Result<usize> {
        let mut n = 0u64;
        // SAFETY: live handle, valid out pointer.
        check(
            unsafe { ffi::XGDMatrixNumNonMissing(self.handle, &mut n) },
            "XGDMatrixNumNonMissing",
        )?;
        to_usize(n, "value count")
    }

    #[cfg(test)]
    /// The histogram cuts of a quantile matrix: per feature `f`, its bin upper bounds are
    /// `values[ptr[f]..ptr[f + 1]]`. Two matrices bin alike exactly when their cuts are equal.
    pub fn quantile_cuts(&self) -> Result<(Vec<u64>, Vec<f32>)> {
        let config = cstring("{}", "config")?;
        let (mut indptr, mut data) = (ptr::null(), ptr::null());
        // SAFETY: live handle, valid out pointers; XGBoost returns two JSON array interfaces.
        let ret = unsafe {
            ffi::XGDMatrixGetQuantileCut(self.handle, config.as_ptr(), &mut indptr, &mut data)
        };
        check(ret, "XGDMatrixGetQuantileCut")?;
        // SAFETY: both strings and the arrays they point to live until the next call on this
        // matrix; they are copied here at once.
        unsafe { Ok((copy_array(indptr, "<u8")?, copy_array(data, "<f4")?)) }
    }

    #[cfg(test)]
    /// A new matrix holding the given rows (with their labels and weights), in the given order.
    /// Not supported by XGBoost for quantile matrices.
    pub fn slice(&self, rows: &[usize]) -> Result<DMatrix> {
        let n = self.num_rows()?;
        let idx = rows
            .iter()
            .map(|&r| {
                c_int::try_from(r).ok().filter(|_| r < n).ok_or_else(|| {
                    Error::InvalidInput(format!("row {r} is out of range for {n} rows"))
                })
            })
            .collect::<Result<Vec<c_int>>>()?;
        let mut out = ptr::null_mut();
        // SAFETY: live handle; `idx` holds `len` in-range row numbers; XGBoost copies.
        let ret = unsafe {
            ffi::XGDMatrixSliceDMatrix(self.handle, idx.as_ptr(), ulong(idx.len()), &mut out)
        };
        check(ret, "XGDMatrixSliceDMatrix")?;
        Ok(DMatrix::from_handle(out))
    }
}

#[cfg(test)]
/// Copies the one-dimensional host array described by the JSON `__array_interface__` at `ai`,
/// whose element type must be `typestr`.
///
/// # Safety
/// `ai` must be a NUL-terminated string whose `data` pointer addresses `shape[0]` initialised
/// elements of type `T`, both valid for the duration of the call.
unsafe fn copy_array<T: Copy>(ai: *const std::ffi::c_char, typestr: &str) -> Result<Vec<T>> {
    if ai.is_null() {
        return Err(Error::InvalidInput("XGBoost returned no array".into()));
    }
    // SAFETY: per the function's contract.
    let text = unsafe { std::ffi::CStr::from_ptr(ai) }.to_string_lossy();
    let bad = || Error::InvalidInput(format!("unexpected array interface from XGBoost: {text}"));
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| bad())?;
    let addr = v["data"][0].as_u64().ok_or_else(bad)?;
    let len = v["shape"][0].as_u64().ok_or_else(bad)?;
    let kind = v["typestr"].as_str().ok_or_else(bad)?;
    if kind.get(1..) != typestr.get(1..) || v["shape"].as_array().map(Vec::len) != Some(1) {
        return Err(bad());
    }
    let len = to_usize(len, "array length")?;
    if len == 0 {
        return Ok(Vec::new());
    }
    let p = usize::try_from(addr).map_err(|_| bad())? as *const T;
    // SAFETY: XGBoost's array of `len` elements of type T (checked above), per the contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) }.to_vec())
}

/// Checks that a row-major buffer of `len` values is `rows` x `cols`.
pub(crate) fn check_shape(len: usize, rows: usize, cols: usize, what: &str) -> Result<()> {
    match rows.checked_mul(cols) {
        Some(n) if n == len => Ok(()),
        _ => Err(Error::InvalidInput(format!(
            "{len} {what} values do not make {rows} rows x {cols} columns"
        ))),
    }
}

/// A JSON-encoded `__array_interface__` (version 3) for a C-contiguous, read-only host array of
/// the given shape and element type (`"f4"`, `"u4"`, `"u8"`, in native byte order).
pub(crate) fn array_interface(
    data: *const u8,
    shape: &[usize],
    kind: &str,
) -> Result<std::ffi::CString> {
    let order = if cfg!(target_endian = "little") {
        '<'
    } else {
        '>'
    };
    let shape = shape
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    cstring(
        &format!(
            "{{\"data\":[{},true],\"shape\":[{shape}],\"typestr\":\"{order}{kind}\",\"version\":3}}",
            data as usize
        ),
        "array interface",
    )
}

/// An `f32` as a token for XGBoost's JSON parser, which (unlike strict JSON) accepts `NaN` and
/// `Infinity`.
pub(crate) fn json_f32(x: f32) -> String {
    if x.is_nan() {
        "NaN".to_owned()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        // Rust prints the shortest string that reads back as the same f32.
        format!("{x:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xgb::Booster;
    use crate::xgb::testdata;

    #[test]
    fn dense_shape_and_info() {
        let (x, y) = testdata::binary(50, 1);
        let mut m = DMatrix::from_dense(&x, 50, 4, f32::NAN).unwrap();
        assert_eq!((m.num_rows().unwrap(), m.num_cols().unwrap()), (50, 4));
        m.set_labels(&y).unwrap();
        m.set_weights(&[2.0; 50]).unwrap();
        assert!(matches!(
            m.set_labels(&y[..49]),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            DMatrix::from_dense(&x, 50, 5, f32::NAN),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            DMatrix::from_dense(&x, usize::MAX, 2, f32::NAN),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn slice_keeps_labels() {
        let (x, y) = testdata::binary(20, 2);
        let mut m = DMatrix::from_dense(&x, 20, 4, f32::NAN).unwrap();
        m.set_labels(&y).unwrap();
        let s = m.slice(&[3, 1, 4]).unwrap();
        assert_eq!((s.num_rows().unwrap(), s.num_cols().unwrap()), (3, 4));
        assert!(matches!(m.slice(&[20]), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn csr_with_finite_and_nan_missing_matches_dense() {
        // Rows: [1, _, 2], [_, _, _], [0, 3, _] with `_` absent.
        let indptr = [0u64, 2, 2, 4];
        let indices = [0u32, 2, 0, 1];
        let values = [1.0f32, 2.0, 0.0, 3.0];
        let nan = f32::NAN;
        let dense = [1.0, nan, 2.0, nan, nan, nan, 0.0, 3.0, nan];
        // The config's "missing" reaches XGBoost: NaN, Infinity (not strict JSON) and numbers.
        for (missing, stored) in [
            (f32::NAN, 4),
            (-999.0, 4),
            (f32::INFINITY, 4),
            (0.0, 3),
            (3.0, 3),
        ] {
            let csr = DMatrix::from_csr(&indptr, &indices, &values, 3, missing).unwrap();
            assert_eq!((csr.num_rows().unwrap(), csr.num_cols().unwrap()), (3, 3));
            assert_eq!(
                csr.num_non_missing().unwrap(),
                stored,
                "missing = {missing}"
            );
        }
        let inf =
            DMatrix::from_csr(&[0, 2], &[0, 1], &[f32::INFINITY, 1.0], 2, f32::INFINITY).unwrap();
        assert_eq!(inf.num_non_missing().unwrap(), 1);
        let d = DMatrix::from_dense(&dense, 3, 3, f32::NAN).unwrap();
        assert_eq!(d.num_non_missing().unwrap(), 4);
        // With missing = 0 the explicit 0.0 becomes missing too; predictions still agree with dense.
        let mut d = DMatrix::from_dense(&dense, 3, 3, f32::NAN).unwrap();
        d.set_labels(&[1.0, 0.0, 1.0]).unwrap();
        let mut b = Booster::new(&[&d]).unwrap();
        b.set_params(&[
            ("objective", "reg:squarederror"),
            ("nthread", "1"),
            ("min_child_weight", "0"),
        ])
        .unwrap();
        for i in 0..3 {
            b.update(i, &d).unwrap();
        }
        let csr = DMatrix::from_csr(&indptr, &indices, &values, 3, f32::NAN).unwrap();
        assert_eq!(
            b.predict(&csr, false).unwrap(),
            b.predict(&d, false).unwrap()
        );

        assert!(DMatrix::from_csr(&[0, 2], &[0], &[1.0], 3, nan).is_err());
        assert!(DMatrix::from_csr(&[0, 1], &[5], &[1.0], 3, nan).is_err());
        assert!(DMatrix::from_csr(&[], &[], &[], 3, nan).is_err());
    }

    #[test]
    fn json_floats() {
        assert_eq!(json_f32(f32::NAN), "NaN");
        assert_eq!(json_f32(f32::NEG_INFINITY), "-Infinity");
        assert_eq!(json_f32(-999.0), "-999.0");
        assert_eq!(json_f32(0.1).parse::<f32>().unwrap(), 0.1);
    }
}
