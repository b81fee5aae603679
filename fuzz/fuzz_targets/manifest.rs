//! Fuzz target `manifest`: `spliceforge::fuzz::run("manifest", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("manifest", data);
});
