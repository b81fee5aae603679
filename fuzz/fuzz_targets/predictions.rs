//! Fuzz target `predictions`: `spliceforge::fuzz::run("predictions", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("predictions", data);
});
