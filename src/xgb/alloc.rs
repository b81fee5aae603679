//! The C heap XGBoost allocates from: handing its free pages back to the kernel.

/// Hands the heap's free pages back to the kernel: glibc's `malloc_trim(0)` (a no-op on other C
/// libraries).
///
/// Between sub-models, XGBoost frees hundreds of megabytes spread over several malloc arenas
/// (one per thread that allocated). glibc keeps most of it mapped, so without this each
/// sub-model starts from a higher resident set than the one before.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointer and only walks glibc's own arenas; it is
        // thread-safe (it takes each arena's lock).
        unsafe {
            malloc_trim(0);
        }
    }
}
