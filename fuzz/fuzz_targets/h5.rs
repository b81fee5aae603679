//! Fuzz target `h5`: `spliceforge::fuzz::run("h5", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("h5", data);
});
