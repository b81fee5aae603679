//! Fuzz target `gene_table`: `spliceforge::fuzz::run("gene_table", bytes)` must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spliceforge::fuzz::run("gene_table", data);
});
