//! Fuzz target `variants_manifest`: `spliceforge::fuzz::run("variants_manifest", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("variants_manifest", data);
});
