//! Fuzz target `gff3`: `spliceforge::fuzz::run("gff3", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("gff3", data);
});
