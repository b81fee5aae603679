//! Fuzz target `gtf`: `spliceforge::fuzz::run("gtf", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("gtf", data);
});
