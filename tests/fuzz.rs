//! The fuzz targets' inputs run by the normal test command: every committed seed
//! (`fuzz/seeds/TARGET/*`, and the `h5` seed made by `fuzz/make_h5_seed.py`) and every input that once broke a reader, minimised and kept
//! (`tests/data/fuzz/TARGET/*`). Each must give `Ok` or a typed error, never a panic; the real
//! data among the seeds must read.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use crate::util::{Dir, python_cmd, repo};

/// The `h5` target's seed, made by `fuzz/make_h5_seed.py` (a weight file is never committed).
fn h5_seed(dir: &Dir) -> std::path::PathBuf {
    let out = dir.join("tiny.h5");
    let o = python_cmd()
        .arg(repo("fuzz/make_h5_seed.py"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "fuzz/make_h5_seed.py: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// The files of `dir`, sorted (none if it does not exist).
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn every_fuzz_target_has_its_entry_seeds_and_no_input_that_ever_broke_it_panics() {
    let dir = Dir::new();
    let targets = spliceforge::fuzz::TARGETS;
    let mut ran = 0;
    for &t in targets {
        assert!(
            repo(&format!("fuzz/fuzz_targets/{t}.rs")).is_file(),
            "fuzz target {t} has no fuzz/fuzz_targets/{t}.rs"
        );
        let mut seeds = files(&repo(&format!("fuzz/seeds/{t}")));
        if t == "h5" {
            seeds.push(h5_seed(&dir));
        }
        assert!(!seeds.is_empty(), "fuzz target {t} has no seeds");
        let kept = files(&repo(&format!("tests/data/fuzz/{t}")));
        for path in seeds.iter().chain(&kept) {
            let data = std::fs::read(path).unwrap();
            let outcome = catch_unwind(AssertUnwindSafe(|| spliceforge::fuzz::run(t, &data)));
            let result = outcome
                .unwrap_or_else(|_| panic!("fuzz target {t} panicked on {}", path.display()));
            // The real data among the seeds (files named after the fly data) must read.
            let name = path.file_name().unwrap().to_string_lossy();
            if name.starts_with("dmel") || name.starts_with("scores") || name == "genes.txt" {
                assert!(
                    result.is_ok(),
                    "{t} on {}: {:?}",
                    path.display(),
                    result.err()
                );
            }
            ran += 1;
        }
    }
    assert!(ran >= targets.len());
    // The damaged Parquet that once panicked inside the parquet crate (a column chunk at a
    // negative offset) is now the error a user reads.
    let damaged = std::fs::read(repo(
        "tests/data/fuzz/base_scores/negative-column-offset.parquet",
    ))
    .unwrap();
    let err = spliceforge::fuzz::run("base_scores", &damaged)
        .unwrap_err()
        .to_string();
    assert!(err.contains("damaged footer"), "{err}");
    // An unknown target is a bug of the caller, said as such.
    let r = catch_unwind(|| spliceforge::fuzz::run("no-such-target", b""));
    assert!(r.is_err());
}
