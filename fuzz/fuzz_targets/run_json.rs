//! Fuzz target `run_json`: `spliceforge::fuzz::run("run_json", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("run_json", data);
});
