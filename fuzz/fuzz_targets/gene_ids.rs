//! Fuzz target `gene_ids`: `spliceforge::fuzz::run("gene_ids", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("gene_ids", data);
});
