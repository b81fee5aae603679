//! Hand-written declarations of the part of XGBoost's C API (`include/xgboost/c_api.h`, 3.x)
//! that the safe layer uses. Linking is set up by `build.rs`.
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
unsafe extern "C" {
    // --- library -----------------------------------------------------------------------------
    pub fn XGBoostVersion(major: *mut c_int, minor: *mut c_int, patch: *mut c_int);
    pub fn XGBGetLastError() -> *const c_char;

    // --- DMatrix -----------------------------------------------------------------------------
    pub fn XGDMatrixCreateFromMat(
        data: *const c_float,
        nrow: BstUlong,
        ncol: BstUlong,
        missing: c_float,
        out: *mut DMatrixHandle,
    ) -> c_int;
    #[cfg(test)]
    pub fn XGDMatrixCreateFromCSR(
        indptr: *const c_char,
        indices: *const c_char,
        data: *const c_char,
        ncol: BstUlong,
        config: *const c_char,
        out: *mut DMatrixHandle,
    ) -> c_int;
    #[cfg(test)]
    pub fn XGDMatrixSliceDMatrix(
        handle: DMatrixHandle,
        idxset: *const c_int,
        len: BstUlong,
        out: *mut DMatrixHandle,
    ) -> c_int;
    pub fn XGDMatrixFree(handle: DMatrixHandle) -> c_int;
    pub fn XGDMatrixSetFloatInfo(
        handle: DMatrixHandle,
        field: *const c_char,
        array: *const c_float,
        len: BstUlong,
    ) -> c_int;
    pub fn XGDMatrixGetFloatInfo(
        handle: DMatrixHandle,
        field: *const c_char,
        out_len: *mut BstUlong,
        out_dptr: *mut *const c_float,
    ) -> c_int;
    pub fn XGDMatrixNumRow(handle: DMatrixHandle, out: *mut BstUlong) -> c_int;
    pub fn XGDMatrixNumCol(handle: DMatrixHandle, out: *mut BstUlong) -> c_int;
    #[cfg(test)]
    pub fn XGDMatrixNumNonMissing(handle: DMatrixHandle, out: *mut BstUlong) -> c_int;
    #[cfg(test)]
    pub fn XGDMatrixGetQuantileCut(
        handle: DMatrixHandle,
        config: *const c_char,
        out_indptr: *mut *const c_char,
        out_data: *mut *const c_char,
    ) -> c_int;

    // --- streaming ---------------------------------------------------------------------------
    pub fn XGProxyDMatrixCreate(out: *mut DMatrixHandle) -> c_int;
    pub fn XGProxyDMatrixSetDataDense(handle: DMatrixHandle, data: *const c_char) -> c_int;
    pub fn XGQuantileDMatrixCreateFromCallback(
        iter: DataIterHandle,
        proxy: DMatrixHandle,
        reference: DataIterHandle,
        reset: DataIterResetCallback,
        next: XGDMatrixCallbackNext,
        config: *const c_char,
        out: *mut DMatrixHandle,
    ) -> c_int;
    pub fn XGExtMemQuantileDMatrixCreateFromCallback(
        iter: DataIterHandle,
        proxy: DMatrixHandle,
        reference: DataIterHandle,
        reset: DataIterResetCallback,
        next: XGDMatrixCallbackNext,
        config: *const c_char,
        out: *mut DMatrixHandle,
    ) -> c_int;

    // --- Booster -----------------------------------------------------------------------------
    pub fn XGBoosterCreate(
        dmats: *const DMatrixHandle,
        len: BstUlong,
        out: *mut BoosterHandle,
    ) -> c_int;
    pub fn XGBoosterFree(handle: BoosterHandle) -> c_int;
    pub fn XGBoosterSetParam(
        handle: BoosterHandle,
        name: *const c_char,
        value: *const c_char,
    ) -> c_int;
    pub fn XGBoosterUpdateOneIter(
        handle: BoosterHandle,
        iter: c_int,
        dtrain: DMatrixHandle,
    ) -> c_int;
    pub fn XGBoosterTrainOneIter(
        handle: BoosterHandle,
        dtrain: DMatrixHandle,
        iter: c_int,
        grad: *const c_char,
        hess: *const c_char,
    ) -> c_int;
    pub fn XGBoosterEvalOneIter(
        handle: BoosterHandle,
        iter: c_int,
        dmats: *mut DMatrixHandle,
        evnames: *mut *const c_char,
        len: BstUlong,
        out_result: *mut *const c_char,
    ) -> c_int;
    pub fn XGBoosterPredictFromDMatrix(
        handle: BoosterHandle,
        dmat: DMatrixHandle,
        config: *const c_char,
        out_shape: *mut *const BstUlong,
        out_dim: *mut BstUlong,
        out_result: *mut *const c_float,
    ) -> c_int;
    pub fn XGBoosterPredictFromDense(
        handle: BoosterHandle,
        values: *const c_char,
        config: *const c_char,
        m: DMatrixHandle,
        out_shape: *mut *const BstUlong,
        out_dim: *mut BstUlong,
        out_result: *mut *const c_float,
    ) -> c_int;
    #[cfg(test)]
    pub fn XGBoosterSaveModel(handle: BoosterHandle, fname: *const c_char) -> c_int;
    pub fn XGBoosterLoadModel(handle: BoosterHandle, fname: *const c_char) -> c_int;
    pub fn XGBoosterSaveModelToBuffer(
        handle: BoosterHandle,
        config: *const c_char,
        out_len: *mut BstUlong,
        out_dptr: *mut *const c_char,
    ) -> c_int;
    pub fn XGBoosterLoadModelFromBuffer(
        handle: BoosterHandle,
        buf: *const c_void,
        len: BstUlong,
    ) -> c_int;
    #[cfg(test)]
    pub fn XGBoosterGetNumFeature(handle: BoosterHandle, out: *mut BstUlong) -> c_int;
    pub fn XGBoosterBoostedRounds(handle: BoosterHandle, out: *mut c_int) -> c_int;
    pub fn XGBoosterSlice(
        handle: BoosterHandle,
        begin_layer: c_int,
        end_layer: c_int,
        step: c_int,
        out: *mut BoosterHandle,
    ) -> c_int;
    #[cfg(test)]
    pub fn XGBoosterSetStrFeatureInfo(
        handle: BoosterHandle,
        field: *const c_char,
        features: *mut *const c_char,
        size: BstUlong,
    ) -> c_int;
    #[cfg(test)]
    pub fn XGBoosterGetStrFeatureInfo(
        handle: BoosterHandle,
        field: *const c_char,
        len: *mut BstUlong,
        out_features: *mut *mut *const c_char,
    ) -> c_int;
    pub fn XGBoosterFeatureScore(
        handle: BoosterHandle,
        config: *const c_char,
        out_n_features: *mut BstUlong,
        out_features: *mut *mut *const c_char,
        out_dim: *mut BstUlong,
        out_shape: *mut *const BstUlong,
        out_scores: *mut *const c_float,
    ) -> c_int;

    // --- collective (distributed training) ---------------------------------------------------
    pub fn XGTrackerCreate(config: *const c_char, handle: *mut TrackerHandle) -> c_int;
    pub fn XGTrackerRun(handle: TrackerHandle, config: *const c_char) -> c_int;
    pub fn XGTrackerWorkerArgs(handle: TrackerHandle, args: *mut *const c_char) -> c_int;
    pub fn XGTrackerWaitFor(handle: TrackerHandle, config: *const c_char) -> c_int;
    pub fn XGTrackerFree(handle: TrackerHandle) -> c_int;
    pub fn XGCommunicatorInit(config: *const c_char) -> c_int;
    pub fn XGCommunicatorFinalize() -> c_int;
    pub fn XGCommunicatorGetRank() -> c_int;
    pub fn XGCommunicatorGetWorldSize() -> c_int;
    pub fn XGCommunicatorIsDistributed() -> c_int;
    pub fn XGCommunicatorAllreduce(
        buffer: *mut c_void,
        count: usize,
        data_type: c_int,
        op: c_int,
    ) -> c_int;
}
