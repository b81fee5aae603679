//! The C side of streaming construction: the callbacks XGBoost calls to pull batches, the
//! proxy matrix they point at each batch, and what stays alive with the matrix (see
//! [`Callbacks`]). The contract the callbacks keep is described in [`super::iter`].

use std::any::Any;
use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use super::dmatrix::{DMatrix, array_interface, check_shape};
use super::error::{Error, Result, check, cstring, ulong};
use super::ffi;
use super::iter::BatchSource;

/// Which XGBoost factory to call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    InMemory,
    ExternalMemory,
    /// In memory, for its cuts only: its bins are dropped unread.
    CutsOnly,
}

/// Per pass of a constructor, in order, whether XGBoost reads the batches' feature values; a
/// pass beyond the list reads them. Known for the in-memory constructor of XGBoost 3.4
/// (`IterativeDMatrix::InitFromCPU`), whose passes are: the shape (row counts and per-column
/// counts of non-missing values), the quantile sketch (only without a reference), the bins,
/// then the column index (which for a matrix without missing values reads only row counts).
/// Only the sketch and the bins read values; the bins of a [`Kind::CutsOnly`] matrix are
/// dropped, so there only the sketch does. Anything else (another XGBoost, external memory)
/// reads every pass.
pub(super) fn value_passes(kind: Kind, reference: bool) -> &'static [bool] {
    if !matches!(super::version(), Ok((3, 4, _))) {
        return &[];
    }
    match (kind, reference) {
        (Kind::ExternalMemory, _) => &[],
        (Kind::InMemory, true) => &[false, true, false],
        (Kind::InMemory, false) => &[false, true, true, false],
        (Kind::CutsOnly, _) => &[false, true, false, false],
    }
}

/// A proxy matrix, freed on drop.
struct Proxy(ffi::DMatrixHandle);

impl Drop for Proxy {
    fn drop(&mut self) {
        // SAFETY: created by XGProxyDMatrixCreate, freed once, after every matrix that was
        // built with it (a `Callbacks` is dropped after its matrix's handle is freed).
        unsafe { ffi::XGDMatrixFree(self.0) };
    }
}

/// What XGBoost's callbacks reach through their `void*`, kept alive as long as the matrix built
/// with them: the proxy, and, while a constructor runs, the iterator state of that call.
///
/// XGBoost's streaming constructors store the iterator handle and the proxy inside the matrix
/// they build. XGBoost 3.x reads the source only during construction, but nothing in its C API
/// promises that a later version will not read it again (an external-memory matrix re-reading
/// its source to rebuild pages, for instance). So the handle XGBoost keeps is this boxed value,
/// owned by the [`DMatrix`], never the constructor's stack frame: after construction it holds no
/// state (`active` is null), a late `next` gets "end of data" and is counted, a late `reset`
/// does nothing. Nothing XGBoost may call through what it kept can reach freed memory.
pub(crate) struct Callbacks {
    proxy: Proxy,
    /// The `IterState` of the constructor running now; null before and after it.
    active: Cell<*mut c_void>,
    /// `next` for the active state's source type.
    next: unsafe fn(*mut c_void) -> c_int,
    /// `reset` for the active state's source type.
    reset: unsafe fn(*mut c_void),
    /// Callbacks that came with no constructor running.
    late_calls: Cell<usize>,
}

impl Callbacks {
    #[cfg(test)]
    /// How many times XGBoost called back after construction (0 with XGBoost 3.x).
    pub(crate) fn late_calls(&self) -> usize {
        self.late_calls.get()
    }
}

/// The state of one constructor call.
struct IterState<'s, S: BatchSource> {
    source: &'s mut S,
    proxy: ffi::DMatrixHandle,
    /// The first failure; once set, the source is not called again.
    error: Option<Error>,
    /// Column count of the first batch.
    cols: Option<usize>,
    /// Whether the first batch had weights.
    weighted: Option<bool>,
    /// [`value_passes`] of this constructor call.
    value_passes: &'static [bool],
    /// Passes XGBoost started (its `reset` calls).
    passes: usize,
}

impl<S: BatchSource> IterState<'_, S> {
    /// Pulls the next batch and points the proxy at it. `Ok(false)` at the end.
    fn advance(&mut self) -> Result<bool> {
        let batch = match self.source.next() {
            Ok(Some(batch)) => batch,
            Ok(None) => return Ok(false),
            Err(e) => return Err(Error::Source(Box::new(e))),
        };
        check_shape(
            batch.features.len(),
            batch.rows,
            batch.cols,
            "batch feature",
        )?;
        if batch.labels.len() != batch.rows {
            return Err(Error::InvalidInput(format!(
                "batch has {} labels for {} rows",
                batch.labels.len(),
                batch.rows
            )));
        }
        if let Some(w) = batch.weights
            && w.len() != batch.rows
        {
            return Err(Error::InvalidInput(format!(
                "batch has {} weights for {} rows",
                w.len(),
                batch.rows
            )));
        }
        if *self.cols.get_or_insert(batch.cols) != batch.cols {
            return Err(Error::InvalidInput(format!(
                "batch has {} columns, an earlier one had {}",
                batch.cols,
                self.cols.unwrap_or_default()
            )));
        }
        if *self.weighted.get_or_insert(batch.weights.is_some()) != batch.weights.is_some() {
            return Err(Error::InvalidInput(
                "weights must be given in every batch or in none".into(),
            ));
        }

        let data = array_interface(
            batch.features.as_ptr().cast(),
            &[batch.rows, batch.cols],
            "f4",
        )?;
        // SAFETY: live proxy; the interface describes `batch.features`, which the source keeps
        // unchanged until it is called again, i.e. until XGBoost has consumed this batch.
        let ret = unsafe { ffi::XGProxyDMatrixSetDataDense(self.proxy, data.as_ptr()) };
        check(ret, "XGProxyDMatrixSetDataDense")?;
        // SAFETY: live proxy; slices of `rows` floats; XGBoost copies meta info.
        let ret = unsafe {
            ffi::XGDMatrixSetFloatInfo(
                self.proxy,
                c"label".as_ptr(),
                batch.labels.as_ptr(),
                ulong(batch.rows),
            )
        };
        check(ret, "XGDMatrixSetFloatInfo")?;
        if let Some(w) = batch.weights {
            // SAFETY: as above.
            let ret = unsafe {
                ffi::XGDMatrixSetFloatInfo(
                    self.proxy,
                    c"weight".as_ptr(),
                    w.as_ptr(),
                    ulong(w.len()),
                )
            };
            check(ret, "XGDMatrixSetFloatInfo")?;
        }
        Ok(true)
    }
}

/// The `next` callback XGBoost calls: 1 when a batch is set on the proxy, 0 at the end, after
/// a failure, or when no constructor is running.
unsafe extern "C" fn next_callback(handle: *mut c_void) -> c_int {
    // SAFETY: `handle` is the `Callbacks` boxed in the matrix (or in `build` until the matrix
    // exists); it lives as long as anything XGBoost may call with it, and is only read here.
    let cb = unsafe { &*handle.cast::<Callbacks>() };
    let active = cb.active.get();
    if active.is_null() {
        cb.late_calls.set(cb.late_calls.get() + 1);
        return 0;
    }
    // SAFETY: a non-null `active` is the live `IterState` whose type `cb.next` was made for.
    unsafe { (cb.next)(active) }
}

/// The `reset` callback XGBoost calls.
unsafe extern "C" fn reset_callback(handle: *mut c_void) {
    // SAFETY: as in `next_callback`.
    let cb = unsafe { &*handle.cast::<Callbacks>() };
    let active = cb.active.get();
    if active.is_null() {
        cb.late_calls.set(cb.late_calls.get() + 1);
        return;
    }
    // SAFETY: as in `next_callback`.
    unsafe { (cb.reset)(active) }
}

/// `next` for a state of source type `S`.
///
/// # Safety
/// `p` must point at a live `IterState<'_, S>` that nothing else borrows during the call.
unsafe fn next_state<S: BatchSource>(p: *mut c_void) -> c_int {
    // SAFETY: the caller's contract.
    let state = unsafe { &mut *p.cast::<IterState<'_, S>>() };
    if state.error.is_some() {
        return 0;
    }
    match catch_unwind(AssertUnwindSafe(|| state.advance())) {
        Ok(Ok(more)) => c_int::from(more),
        Ok(Err(e)) => {
            state.error = Some(e);
            0
        }
        Err(panic) => {
            state.error = Some(Error::Panic(panic_message(&*panic)));
            0
        }
    }
}

/// `reset` for a state of source type `S`.
///
/// # Safety
/// As [`next_state`].
unsafe fn reset_state<S: BatchSource>(p: *mut c_void) {
    // SAFETY: the caller's contract.
    let state = unsafe { &mut *p.cast::<IterState<'_, S>>() };
    if state.error.is_some() {
        return;
    }
    let read = state
        .value_passes
        .get(state.passes)
        .copied()
        .unwrap_or(true);
    state.passes += 1;
    let source = &mut *state.source;
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| {
        source.reset();
        source.values_read(read);
    })) {
        state.error = Some(Error::Panic(panic_message(&*panic)));
    }
}

pub(super) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Clears `Callbacks::active` when the constructor call ends, however it ends.
struct Deactivate<'a>(&'a Cell<*mut c_void>);

impl Drop for Deactivate<'_> {
    fn drop(&mut self) {
        self.0.set(ptr::null_mut());
    }
}

/// Builds a matrix from `source` with the XGBoost callback constructor of `kind`.
pub(super) fn build<S: BatchSource>(
    source: &mut S,
    reference: Option<&DMatrix>,
    config: &str,
    kind: Kind,
) -> Result<DMatrix> {
    ffi::require()?;
    let config = cstring(config, "config")?;
    let mut created = ptr::null_mut();
    // SAFETY: valid out pointer.
    check(
        unsafe { ffi::XGProxyDMatrixCreate(&mut created) },
        "XGProxyDMatrixCreate",
    )?;
    let callbacks = Box::new(Callbacks {
        proxy: Proxy(created),
        active: Cell::new(ptr::null_mut()),
        next: next_state::<S>,
        reset: reset_state::<S>,
        late_calls: Cell::new(0),
    });

    let proxy = callbacks.proxy.0;
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| source.reset())) {
        return Err(Error::Panic(panic_message(&*panic)));
    }
    let mut state = IterState {
        source,
        proxy,
        error: None,
        cols: None,
        weighted: None,
        value_passes: value_passes(kind, reference.is_some()),
        passes: 0,
    };
    let reference = reference.map_or(ptr::null_mut(), DMatrix::handle);
    let mut out = ptr::null_mut();
    let handle = ptr::from_ref::<Callbacks>(&callbacks)
        .cast_mut()
        .cast::<c_void>();
    let create = match kind {
        Kind::InMemory | Kind::CutsOnly => ffi::XGQuantileDMatrixCreateFromCallback,
        Kind::ExternalMemory => ffi::XGExtMemQuantileDMatrixCreateFromCallback,
    };
    let func = match kind {
        Kind::InMemory | Kind::CutsOnly => "XGQuantileDMatrixCreateFromCallback",
        Kind::ExternalMemory => "XGExtMemQuantileDMatrixCreateFromCallback",
    };
    let ret = {
        callbacks.active.set(ptr::from_mut(&mut state).cast());
        let _deactivate = Deactivate(&callbacks.active);
        // SAFETY: `handle` is the boxed `Callbacks`, which the returned matrix owns (or which is
        // dropped after XGBoost freed whatever it built); `active` points at `state`, alive and
        // touched only by the callbacks until `_deactivate` clears it; the callbacks match the C
        // prototypes; the proxy and the reference are live handles.
        unsafe {
            create(
                handle,
                proxy,
                reference,
                reset_callback,
                next_callback,
                config.as_ptr(),
                &mut out,
            )
        }
    };
    // Our own failure first: it explains whatever XGBoost then reported.
    let stored = state.error.take();
    let matrix = (ret == 0 && !out.is_null())
        .then(|| DMatrix::with_callbacks(out, callbacks, kind == Kind::InMemory));
    if let Some(e) = stored {
        drop(matrix);
        return Err(e);
    }
    check(ret, func)?;
    matrix.ok_or(Error::XGBoost {
        func,
        message: "returned no matrix".into(),
    })
}
