//! Promises the project makes to a newcomer before any data is touched: the Rust version the
//! README and `Cargo.toml` state is the one the locked dependencies need, and every `--help`
//! example pastes and runs.

use std::path::Path;
use std::process::Command;

use crate::util::{Dir, repo, run};

/// `(major, minor)` of a version string such as `1.91` or `1.91.0`.
fn major_minor(v: &str) -> (u32, u32) {
    let mut it = v.split('.').map(|p| p.parse::<u32>().unwrap());
    (it.next().unwrap(), it.next().unwrap_or(0))
}

#[test]
fn the_stated_minimum_rust_is_what_the_locked_dependencies_need() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--locked", "--format-version", "1"])
        .current_dir(repo(""))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ours = None;
    let mut needed = ((0, 0), String::new());
    for p in meta["packages"].as_array().unwrap() {
        let Some(v) = p["rust_version"].as_str() else {
            continue;
        };
        let name = p["name"].as_str().unwrap();
        if name == "spliceforge" {
            ours = Some(major_minor(v));
        } else if major_minor(v) > needed.0 {
            needed = (major_minor(v), format!("{name} {}", p["version"]));
        }
    }
    let ours = ours.expect("Cargo.toml states rust-version");
    assert_eq!(
        ours, needed.0,
        "Cargo.toml's rust-version is {ours:?}, the locked {} needs {:?}",
        needed.1, needed.0
    );
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let stated = format!("Rust toolchain ({}.{} or later", ours.0, ours.1);
    assert!(readme.contains(&stated), "README does not say {stated:?}");
    for line in readme.lines().filter(|l| l.contains("cargo install")) {
        assert!(line.contains("--locked"), "README: {line}");
    }
}

/// The subcommands `spliceforge --help` lists, in its order.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .filter(|c| c != "help")
        .collect()
}

/// The shell lines of the example block(s) of a `--help` text: the indented lines after a line
/// that starts with "Example".
fn examples(help: &str) -> String {
    let mut script = String::new();
    let mut inside = false;
    for line in help.lines() {
        if line.starts_with("Example") {
            inside = true;
        } else if inside && line.starts_with("  ") {
            script.push_str(&line[2..]);
            script.push('\n');
        } else if !line.is_empty() {
            inside = false;
        }
    }
    script
}

fn help(dir: &Dir, args: &[&str]) -> String {
    run(dir.cmd(args)).ok().stdout
}

#[test]
fn every_help_example_pastes_and_runs_and_exit_codes_close_the_long_help() {
    let dir = Dir::new();
    std::os::unix::fs::symlink(repo("data"), dir.join("data")).unwrap();
    std::os::unix::fs::symlink(repo("scripts"), dir.join("scripts")).unwrap();
    let top = help(&dir, &["--help"]);
    let usage = top.find("Usage:").unwrap();
    assert!(usage < top.find("Workflow").unwrap(), "{top}");
    let codes = top.find("Exit codes:").expect("exit codes in --help");
    assert!(codes > top.find("Commands:").unwrap(), "{top}");
    assert!(top.contains("  14  merge refused"), "{top}");
    // The order the examples build on each other.
    let order = [
        "inspect", "builder", "verify", "schema", "score", "merge", "train", "predict", "evaluate",
        "estimate", "tracker", "doctor", "variants",
    ];
    let mut listed = subcommands(&top);
    listed.sort();
    let mut want: Vec<String> = order.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(
        listed, want,
        "a subcommand without a place in this test's order"
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_spliceforge"))
        .parent()
        .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for sub in order {
        let text = help(&dir, &[sub, "--help"]);
        let width = text.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(width <= 100, "{sub} --help is {width} columns wide");
        let script = examples(&text);
        assert!(
            script.contains("spliceforge "),
            "{sub} --help has no example:\n{text}"
        );
        let mut bash = Command::new("bash");
        crate::util::passive_openmp(&mut bash);
        let out = bash
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(dir.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{sub}'s example failed:\n{script}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // What the examples made is what they promise.
    for done in [
        "out/dmel/summary.json",
        "out/dmel-scores.parquet",
        "out/dmel-merged/summary.json",
        "out/dmel-model/train.json",
        "out/dmel-preds.parquet",
        "out/dmel-eval/metrics.json",
        "out/dmel-eval-longest/metrics.json",
        "out/dmel-2w/train.json",
        "out/dmel4.spliceai.vcf.gz",
    ] {
        assert!(dir.join(done).exists(), "{done}");
    }
    let a = std::fs::read(dir.join("out/dmel/manifest.jsonl")).unwrap();
    let b = std::fs::read(dir.join("out/dmel-merged/manifest.jsonl")).unwrap();
    assert_eq!(a, b, "the merged shards are the single-node dataset");
}
