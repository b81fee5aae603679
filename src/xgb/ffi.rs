//! Hand-written declarations of the part of XGBoost's C API (`include/xgboost/c_api.h`, 3.x)
//! that the safe layer uses. Nothing is linked at build time: [`api!`] turns the declarations
//! into a table of function pointers ([`Api`]), resolved once from the library that
//! [`super::loader`] finds at run time, and into same-named `unsafe fn` wrappers that call
//! through it, so call sites read `ffi::XGBoosterCreate(…)` as with an `extern` block.
//!
//! Every wrapper needs the library loaded: the safe layer's constructors (matrices, boosters,
//! tracker, communicator) call [`require`] first, which returns the loader's error, and every
//! other call takes a handle that only a constructor makes.
//!
//! Conventions of the C API: every `int`-returning function returns 0 on success and non-zero on
//! failure, after which [`XGBGetLastError`] (thread-local) describes the failure. Pointers that
//! functions hand back (strings, prediction buffers, shapes) point into memory owned by XGBoost
//! that stays valid only until the next call on the same thread: copy them out at once.

use std::ffi::{c_char, c_float, c_int, c_void};

/// `bst_ulong` (`uint64_t`).
pub type BstUlong = u64;
/// `DMatrixHandle`.
pub type DMatrixHandle = *mut c_void;
/// `BoosterHandle`.
pub type BoosterHandle = *mut c_void;
/// `TrackerHandle`: a collective tracker.
pub type TrackerHandle = *mut c_void;
/// `DataIterHandle`: the opaque pointer handed back to the iterator callbacks.
pub type DataIterHandle = *mut c_void;

/// `XGDMatrixCallbackNext`: set the next batch on the proxy and return 1, or return 0 at the end.
pub type XGDMatrixCallbackNext = unsafe extern "C" fn(iter: DataIterHandle) -> c_int;
/// `DataIterResetCallback`: rewind the iterator to its first batch.
pub type DataIterResetCallback = unsafe extern "C" fn(iter: DataIterHandle);

/// The declarations as an [`Api`] table and one wrapper per function.
macro_rules! api {
    ($(
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?;
    )*) => {
        /// Every function of the C API the safe layer uses, resolved from the loaded library.
        #[allow(non_snake_case, dead_code)]
        pub(crate) struct Api {
            $($name: unsafe extern "C" fn($($ty),*) $(-> $ret)?,)*
        }

        impl Api {
            /// Resolves every function in `lib`; the first missing one is the error.
            ///
            /// # Safety
            /// `lib` must be XGBoost's C library (the signatures above are those of 3.x) and
            /// must stay loaded as long as the table is used.
            pub(crate) unsafe fn resolve(
                lib: &libloading::os::unix::Library,
            ) -> Result<Api, String> {
                Ok(Api {
                    $($name: {
                        // SAFETY: the symbol is the C function declared with this signature.
                        let sym = unsafe {
                            lib.get::<unsafe extern "C" fn($($ty),*) $(-> $ret)?>(
                                concat!(stringify!($name), "\0").as_bytes(),
                            )
                        };
                        *sym.map_err(|e| format!("it has no {}: {e}", stringify!($name)))?
                    },)*
                })
            }
        }

        $(
            $(#[$attr])*
            #[allow(non_snake_case)]
            #[inline]
            pub unsafe fn $name($($arg: $ty),*) $(-> $ret)? {
                // SAFETY: the caller upholds the C function's contract.
                unsafe { (api().$name)($($arg),*) }
            }
        )*
    };
}

/// The loaded library's table. Only reached after [`require`] succeeded (the constructors of
/// the safe layer call it): a bug otherwise, so it panics.
fn api() -> &'static Api {
    match super::loader::get() {
        Ok(lib) => lib.api(),
        Err(e) => panic!("an XGBoost function was called without the library: {e}"),
    }
}

/// Loads XGBoost's library if needed: the first call searches for it (see
/// [`super::loader`]); every call after returns the same outcome.
pub(crate) fn require() -> super::Result<()> {
    super::loader::get()
        .map(|_| ())
        .map_err(|e| super::Error::Library(e.clone()))
}

impl Api {
    /// The address of `XGBoostVersion` in the loaded library (to ask the loader which file it is).
    pub(crate) fn version_fn_addr(&self) -> *const c_void {
        self.XGBoostVersion as *const c_void
    }
}

/// Whether the library is loaded already (without trying to load it).
pub(crate) fn loaded() -> bool {
    super::loader::get_if_loaded().is_some()
}

api! {
    // --- library -----------------------------------------------------------------------------
    fn XGBoostVersion(major: *mut c_int, minor: *mut c_int, patch: *mut c_int);
    fn XGBGetLastError() -> *const c_char;

    // --- DMatrix -----------------------------------------------------------------------------
    fn XGDMatrixCreateFromMat(
        data: *const c_float,
        nrow: BstUlong,
        ncol: BstUlong,
        missing: c_float,
        out: *mut DMatrixHandle,
    ) -> c_int;
    #[cfg(test)]
    fn XGDMatrixCreateFromCSR(
        indptr: *const c_char,
        indices: *const c_char,
        data: *const c_char,
        ncol: BstUlong,
        config: *const c_char,
        out: *mut DMatrixHandle,
    ) -> c_int;
    #[cfg(test)]
    fn XGDMatrixSliceDMatrix(
        handle: DMatrixHandle,
        idxset: *const c_int,
        len: BstUlong,
        out: *mut DMatrixHandle,
    ) -> c_int;
    fn XGDMatrixFree(handle: DMatrixHandle) -> c_int;
    fn XGDMatrixSetFloatInfo(
        handle: DMatrixHandle,
        field: *const c_char,
        array: *const c_float,
        len: BstUlong,
    ) -> c_int;
    fn XGDMatrixGetFloatInfo(
        handle: DMatrixHandle,
        field: *const c_char,
        out_len: *mut BstUlong,
        out_dptr: *mut *const c_float,
    ) -> c_int;
    fn XGDMatrixNumRow(handle: DMatrixHandle, out: *mut BstUlong) -> c_int;
    fn XGDMatrixNumCol(handle: DMatrixHandle, out: *mut BstUlong) -> c_int;
    #[cfg(test)]
    fn XGDMatrixNumNonMissing(handle: DMatrixHandle, out: *mut BstUlong) -> c_int;
    #[cfg(test)]
    fn XGDMatrixGetQuantileCut(
        handle: DMatrixHandle,
        config: *const c_char,
        out_indptr: *mut *const c_char,
        out_data: *mut *const c_char,
    ) -> c_int;

    // --- streaming ---------------------------------------------------------------------------
    fn XGProxyDMatrixCreate(out: *mut DMatrixHandle) -> c_int;
    fn XGProxyDMatrixSetDataDense(handle: DMatrixHandle, data: *const c_char) -> c_int;
    fn XGQuantileDMatrixCreateFromCallback(
        iter: DataIterHandle,
        proxy: DMatrixHandle,
        reference: DataIterHandle,
        reset: DataIterResetCallback,
        next: XGDMatrixCallbackNext,
        config: *const c_char,
        out: *mut DMatrixHandle,
    ) -> c_int;
    fn XGExtMemQuantileDMatrixCreateFromCallback(
        iter: DataIterHandle,
        proxy: DMatrixHandle,
        reference: DataIterHandle,
        reset: DataIterResetCallback,
        next: XGDMatrixCallbackNext,
        config: *const c_char,
        out: *mut DMatrixHandle,
    ) -> c_int;

    // --- Booster -----------------------------------------------------------------------------
    fn XGBoosterCreate(
        dmats: *const DMatrixHandle,
        len: BstUlong,
        out: *mut BoosterHandle,
    ) -> c_int;
    fn XGBoosterFree(handle: BoosterHandle) -> c_int;
    fn XGBoosterSetParam(
        handle: BoosterHandle,
        name: *const c_char,
        value: *const c_char,
    ) -> c_int;
    fn XGBoosterUpdateOneIter(
        handle: BoosterHandle,
        iter: c_int,
        dtrain: DMatrixHandle,
    ) -> c_int;
    fn XGBoosterTrainOneIter(
        handle: BoosterHandle,
        dtrain: DMatrixHandle,
        iter: c_int,
        grad: *const c_char,
        hess: *const c_char,
    ) -> c_int;
    fn XGBoosterEvalOneIter(
        handle: BoosterHandle,
        iter: c_int,
        dmats: *mut DMatrixHandle,
        evnames: *mut *const c_char,
        len: BstUlong,
        out_result: *mut *const c_char,
    ) -> c_int;
    fn XGBoosterPredictFromDMatrix(
        handle: BoosterHandle,
        dmat: DMatrixHandle,
        config: *const c_char,
        out_shape: *mut *const BstUlong,
        out_dim: *mut BstUlong,
        out_result: *mut *const c_float,
    ) -> c_int;
    fn XGBoosterPredictFromDense(
        handle: BoosterHandle,
        values: *const c_char,
        config: *const c_char,
        m: DMatrixHandle,
        out_shape: *mut *const BstUlong,
        out_dim: *mut BstUlong,
        out_result: *mut *const c_float,
    ) -> c_int;
    #[cfg(test)]
    fn XGBoosterSaveModel(handle: BoosterHandle, fname: *const c_char) -> c_int;
    fn XGBoosterLoadModel(handle: BoosterHandle, fname: *const c_char) -> c_int;
    fn XGBoosterSaveModelToBuffer(
        handle: BoosterHandle,
        config: *const c_char,
        out_len: *mut BstUlong,
        out_dptr: *mut *const c_char,
    ) -> c_int;
    fn XGBoosterLoadModelFromBuffer(
        handle: BoosterHandle,
        buf: *const c_void,
        len: BstUlong,
    ) -> c_int;
    #[cfg(test)]
    fn XGBoosterGetNumFeature(handle: BoosterHandle, out: *mut BstUlong) -> c_int;
    fn XGBoosterBoostedRounds(handle: BoosterHandle, out: *mut c_int) -> c_int;
    fn XGBoosterSlice(
        handle: BoosterHandle,
        begin_layer: c_int,
        end_layer: c_int,
        step: c_int,
        out: *mut BoosterHandle,
    ) -> c_int;
    #[cfg(test)]
    fn XGBoosterSetStrFeatureInfo(
        handle: BoosterHandle,
        field: *const c_char,
        features: *mut *const c_char,
        size: BstUlong,
    ) -> c_int;
    #[cfg(test)]
    fn XGBoosterGetStrFeatureInfo(
        handle: BoosterHandle,
        field: *const c_char,
        len: *mut BstUlong,
        out_features: *mut *mut *const c_char,
    ) -> c_int;
    fn XGBoosterFeatureScore(
        handle: BoosterHandle,
        config: *const c_char,
        out_n_features: *mut BstUlong,
        out_features: *mut *mut *const c_char,
        out_dim: *mut BstUlong,
        out_shape: *mut *const BstUlong,
        out_scores: *mut *const c_float,
    ) -> c_int;

    // --- collective (distributed training) ---------------------------------------------------
    fn XGTrackerCreate(config: *const c_char, handle: *mut TrackerHandle) -> c_int;
    fn XGTrackerRun(handle: TrackerHandle, config: *const c_char) -> c_int;
    fn XGTrackerWorkerArgs(handle: TrackerHandle, args: *mut *const c_char) -> c_int;
    fn XGTrackerWaitFor(handle: TrackerHandle, config: *const c_char) -> c_int;
    fn XGTrackerFree(handle: TrackerHandle) -> c_int;
    fn XGCommunicatorInit(config: *const c_char) -> c_int;
    fn XGCommunicatorFinalize() -> c_int;
    fn XGCommunicatorGetRank() -> c_int;
    fn XGCommunicatorGetWorldSize() -> c_int;
    fn XGCommunicatorIsDistributed() -> c_int;
    fn XGCommunicatorAllreduce(
        buffer: *mut c_void,
        count: usize,
        data_type: c_int,
        op: c_int,
    ) -> c_int;
}
