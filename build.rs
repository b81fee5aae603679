//! Links the XGBoost C library (`libxgboost.so`, XGBoost 3.x) used by `src/xgb/`.
//!
//! The library directory is `SPLICEFORGE_XGBOOST_LIB_DIR` when set, else `.deps/xgboost/lib` in
//! this package, which `scripts/setup-xgboost.sh` fills from the official PyPI wheel (run here
//! automatically, so `cargo build` works on a fresh machine). The directory is also written into
//! every linked binary's run path, so binaries and test executables find the library without
//! `LD_LIBRARY_PATH`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const LIB_DIR_VAR: &str = "SPLICEFORGE_XGBOOST_LIB_DIR";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=scripts/setup-xgboost.sh");
    println!("cargo:rerun-if-env-changed={LIB_DIR_VAR}");

    let manifest =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = match env::var_os(LIB_DIR_VAR).filter(|v| !v.is_empty()) {
        Some(custom) => {
            let dir = manifest.join(custom);
            if !dir.join("libxgboost.so").is_file() {
                fail(&format!(
                    "{LIB_DIR_VAR}={} holds no libxgboost.so; point it at the directory with XGBoost \
                     3.x's libxgboost.so, or unset it to use the copy installed by \
                     scripts/setup-xgboost.sh",
                    dir.display()
                ));
            }
            // Binaries record the library's SONAME, which the loader then looks for.
            if !dir.join("libxgboost.so.3").exists() {
                fail(&format!(
                    "{} is missing: binaries ask the loader for libxgboost.so.3, the library's \
                     SONAME; create it with `ln -s libxgboost.so {0}`",
                    dir.join("libxgboost.so.3").display()
                ));
            }
            dir
        }
        None => {
            // The script is silent and instant when the pinned version is already installed.
            install(&manifest);
            let dir = manifest.join(".deps/xgboost/lib");
            if !dir.join("libxgboost.so").is_file() {
                fail(&format!(
                    "scripts/setup-xgboost.sh ran but {} is still missing",
                    dir.join("libxgboost.so").display()
                ));
            }
            dir
        }
    };
    let dir = dir
        .canonicalize()
        .unwrap_or_else(|e| fail(&format!("cannot resolve {}: {e}", dir.display())));
    let dir = dir
        .to_str()
        .unwrap_or_else(|| fail(&format!("the library path {} is not UTF-8", dir.display())));
    if dir.contains(',') {
        fail(&format!(
            "the library path {dir} contains a comma, which the linker's -rpath cannot take"
        ));
    }

    println!("cargo:rerun-if-changed={dir}/libxgboost.so");
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rustc-link-lib=dylib=xgboost");
    // Applies to every linked target of this package: the binary, unit and integration tests.
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
}

/// Runs `scripts/setup-xgboost.sh`, failing the build with its output if it fails.
fn install(manifest: &Path) {
    let script = manifest.join("scripts/setup-xgboost.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run {}: {e}", script.display())));
    if !out.status.success() {
        fail(&format!(
            "{} failed ({}):\n{}{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
}

/// Stops the build with a message cargo shows in full.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    panic!("cannot link XGBoost: {message}");
}
