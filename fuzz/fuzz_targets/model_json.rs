//! Fuzz target `model_json`: `spliceforge::fuzz::run("model_json", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("model_json", data);
});
