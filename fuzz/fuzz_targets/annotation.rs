//! Fuzz target `annotation`: `spliceforge::fuzz::run("annotation", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("annotation", data);
});
