//! Fuzz target `vcf`: `spliceforge::fuzz::run("vcf", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("vcf", data);
});
