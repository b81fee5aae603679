//! Fuzz target `bed`: `spliceforge::fuzz::run("bed", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("bed", data);
});
