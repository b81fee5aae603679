//! Fuzz target `base_scores`: `spliceforge::fuzz::run("base_scores", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("base_scores", data);
});
