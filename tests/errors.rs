//! The README's exit-code table, walked: every code it lists is the one the binary returns for
//! a case of that kind, with a message that names the path and what to do.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use spliceforge::error::exit;

use crate::util::{Dir, GENOME, GTF, Run, build_cmd, copy_dir, repo, run, s, spawn_until_exists};

/// The README's table: code → meaning.
fn readme_table() -> BTreeMap<u8, String> {
    let text = std::fs::read_to_string(repo("README.md")).unwrap();
    let section = text
        .split("## Exit codes")
        .nth(1)
        .expect("README has ## Exit codes");
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            Some((cells.get(1)?.parse().ok()?, cells.get(2)?.to_string()))
        })
        .collect()
}

/// Asserts `r` failed with `code`, its message holds every one of `words`, and the README's
/// meaning of `code` holds `meaning`.
#[track_caller]
fn case(table: &BTreeMap<u8, String>, r: Run, code: u8, words: &[&str], meaning: &str) {
    let r = r.fails_with(code);
    for w in words {
        assert!(
            r.stderr.contains(w),
            "exit {code}: {w:?} not in\n{}",
            r.stderr
        );
    }
    assert!(
        table[&code].contains(meaning),
        "README's exit {code} ({:?}) does not say {meaning:?}",
        table[&code]
    );
}

fn small_dataset(dir: &Dir, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(name);
    let mut args = vec!["--n-genes", "6", "--batch-size", "2"];
    args.extend_from_slice(extra);
    run(build_cmd(dir, &out, &args)).ok();
    out
}

#[test]
fn every_exit_code_of_the_readme_is_what_the_binary_returns() {
    let table = readme_table();
    let codes: Vec<u8> = table.keys().copied().collect();
    assert_eq!(
        codes,
        exit::ALL.to_vec(),
        "README table vs spliceforge::error::exit"
    );
    let dir = Dir::new();
    let ds = small_dataset(&dir, "ds", &[]);
    let model = dir.join("model");
    let train = |ds: &Path, out: &Path, extra: &[&str]| {
        let mut args = vec!["train", "--dataset", s(ds), "--out-dir", s(out)];
        for (flag, value) in [("--n-folds", "1"), ("--n-estimators", "2")] {
            if !extra.contains(&flag) {
                args.extend_from_slice(&[flag, value]);
            }
        }
        args.extend_from_slice(extra);
        run(dir.cmd(&args))
    };
    train(&ds, &model, &[]).ok();
    let predict = |model: &Path, ds: &Path| {
        let out = dir.join("p.parquet");
        run(dir.cmd(&[
            "predict",
            "--model",
            s(model),
            "--dataset",
            s(ds),
            "--out",
            s(&out),
        ]))
    };

    // 2: usage.
    let r = train(&ds, &dir.join("m2"), &["--n-estimators", "0"]);
    case(
        &table,
        r,
        exit::USAGE,
        &["--n-estimators", "--help"],
        "bad usage",
    );
    let r = train(&ds, &dir.join("m2"), &["--n-folds", "9"]);
    case(
        &table,
        r,
        exit::USAGE,
        &["--n-folds 9", "at most 6"],
        "more folds than genes",
    );
    // 3: bad input: the genome given as the annotation.
    let g = repo(GENOME);
    let r = run(dir.cmd(&["inspect", "--genome", s(&g), "--annotation", s(&g)]));
    case(
        &table,
        r,
        exit::BAD_INPUT,
        &["FASTA", "did you swap"],
        "a FASTA given as one",
    );
    // 4: a trained model of other settings is not overwritten (the same settings: a no-op).
    let r = train(&ds, &model, &["--n-estimators", "3"]);
    case(
        &table,
        r,
        exit::FINGERPRINT,
        &["already holds a trained model", "--overwrite"],
        "trained model",
    );
    // 6: verify finds a damaged part.
    let bad = dir.join("bad");
    copy_dir(&ds, &bad);
    let part = bad.join("parts/batch-00001.parquet");
    let mut bytes = std::fs::read(&part).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&part, bytes).unwrap();
    let r = run(dir.cmd(&["verify", s(&bad)]));
    case(
        &table,
        r,
        exit::VERIFY,
        &["checksum differs"],
        "`verify` found problems",
    );
    // 7: a write that fails (disk full, injected).
    let mut c = build_cmd(
        &dir,
        &dir.join("full"),
        &["--n-genes", "6", "--batch-size", "2"],
    );
    c.env("SPLICEFORGE_FAULT_WRITE_AFTER_BYTES", "20000");
    case(
        &table,
        run(c),
        exit::WRITE,
        &["cannot write", "run the same command again"],
        "a write failed",
    );
    // 8: not ours: a model directory that is a dataset; a dataset directory that is empty.
    let r = predict(&ds, &ds);
    case(
        &table,
        r,
        exit::NOT_OURS,
        &["not a trained spliceforge model", "it is a dataset"],
        "not a spliceforge dataset or model directory",
    );
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let r = run(dir.cmd(&["verify", s(&empty)]));
    case(
        &table,
        r,
        exit::NOT_OURS,
        &["not a spliceforge dataset", "run.json"],
        "a dataset without `run.json`",
    );
    // 9: no plan fits the budget.
    let r = train(&ds, &dir.join("m9"), &["--memory-budget", "10M"]);
    case(
        &table,
        r,
        exit::MEMORY,
        &["no plan fits", "Raise --memory-budget"],
        "no plan fits",
    );
    // 10: not found, for every kind of input; nothing is created on the way.
    let typo = dir.join("typo.fna.gz");
    let never = dir.join("never");
    let a = repo(GTF);
    let r = run(dir.cmd(&[
        "builder",
        "--genome",
        s(&typo),
        "--annotation",
        s(&a),
        "--out",
        s(&never),
    ]));
    case(
        &table,
        r,
        exit::NOT_FOUND,
        &["--genome", "typo.fna.gz", "no such file"],
        "does not exist",
    );
    assert!(
        !never.exists(),
        "a failed start created {}",
        never.display()
    );
    let nowhere = dir.join("nowhere");
    let r = predict(&nowhere, &ds);
    case(
        &table,
        r,
        exit::NOT_FOUND,
        &["model directory", "does not exist", "--out-dir"],
        "model",
    );
    let r = run(dir.cmd(&["verify", s(&nowhere)]));
    case(
        &table,
        r,
        exit::NOT_FOUND,
        &["dataset directory", "does not exist", "spliceforge builder"],
        "dataset",
    );
    let r = train(&nowhere, &dir.join("m10"), &[]);
    case(
        &table,
        r,
        exit::NOT_FOUND,
        &["--dataset", "no such file"],
        "does not exist",
    );
    assert!(!dir.join("m10").exists());
    // 11: an input that exists but cannot be read (run.json is a directory).
    let odd = dir.join("odd");
    std::fs::create_dir_all(odd.join("run.json")).unwrap();
    let r = run(dir.cmd(&["verify", s(&odd)]));
    case(
        &table,
        r,
        exit::READ,
        &["cannot read", "run.json"],
        "cannot be read",
    );
    // 12: damaged: a model file that XGBoost cannot load; a manifest line that does not parse.
    let damaged = dir.join("damaged");
    copy_dir(&model, &damaged);
    std::fs::write(damaged.join("model-donor.json"), "garbage").unwrap();
    let r = predict(&damaged, &ds);
    case(
        &table,
        r,
        exit::DAMAGED,
        &["model-donor.json is damaged", "train the model again"],
        "damaged",
    );
    // 13: a dataset with other features than the model's.
    let k2 = small_dataset(&dir, "k2", &["--kmer-sizes", "2"]);
    let r = predict(&model, &k2);
    case(
        &table,
        r,
        exit::INCOMPATIBLE,
        &["cannot be used with model", "--kmer-sizes"],
        "do not fit together",
    );
    // 14: merge given one shard of two.
    let half = small_dataset(&dir, "half", &["--shard", "0/2"]);
    let r = run(dir.cmd(&["merge", "--out", s(&dir.join("merged")), s(&half)]));
    case(
        &table,
        r,
        exit::SHARDS,
        &["shard 1/2 is missing", "nothing was written"],
        "refused its shards",
    );
    assert!(!dir.join("merged").exists());
    // 5: another builder holds the directory.
    let held = dir.join("held");
    let mut slow = build_cmd(&dir, &held, &["--n-genes", "6", "--batch-size", "1"]);
    slow.env("SPLICEFORGE_TEST_PAUSE_MS", "500");
    let mut first = spawn_until_exists(slow, &held.join("run.json"), Duration::from_secs(60));
    let r = run(build_cmd(
        &dir,
        &held,
        &["--n-genes", "6", "--batch-size", "1"],
    ));
    first.kill().unwrap();
    first.wait().unwrap();
    case(
        &table,
        r,
        exit::LOCKED,
        &["in use by another spliceforge builder"],
        "another builder",
    );
    // 15: XGBoost's library not found (here: named by the variable, which is then the only place).
    let mut c = dir.cmd(&["doctor"]);
    c.env("SPLICEFORGE_XGBOOST_LIB", dir.join("no-such-libxgboost.so"));
    case(
        &table,
        run(c),
        exit::XGBOOST,
        &["no-such-libxgboost.so", "pip install xgboost-cpu"],
        "XGBoost's C library",
    );
    // 0: success; 1 is for bugs only: no case above returned it.
    run(dir.cmd(&["schema"])).ok();
    assert!(table[&exit::FAILURE].contains("a bug"));
}

/// Errors keep their kind on the way up: an empty `--base-scores` file is bad input (3) like any
/// empty input, not a read failure (it was flattened into an I/O error, exit 11); a model file
/// that cannot be written is a write failure (7) naming the file, not a bug (1).
#[test]
fn an_empty_score_file_is_bad_input_and_an_unwritable_model_a_write_failure() {
    let table = readme_table();
    let dir = Dir::new();
    let empty = dir.write("scores.tsv", "");
    let r = run(build_cmd(
        &dir,
        &dir.join("ds-imported"),
        &["--n-genes", "2", "--base-scores", s(&empty)],
    ));
    case(
        &table,
        r,
        exit::BAD_INPUT,
        &["scores.tsv", "empty"],
        "bad input",
    );

    let ds = small_dataset(&dir, "ds", &[]);
    // A directory `train` left unfinished, whose scratch name is taken by a file: every atomic
    // write (temporary file in `.tmp/`, then rename) fails.
    let model = dir.join("model");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(model.join(".spliceforge-train"), b"").unwrap();
    std::fs::write(model.join(".tmp"), b"not a directory").unwrap();
    let r = run(dir.cmd(&[
        "train",
        "--dataset",
        s(&ds),
        "--out-dir",
        s(&model),
        "--n-folds",
        "1",
        "--n-estimators",
        "2",
    ]));
    case(&table, r, exit::WRITE, &["model", "cannot write"], "write");
}
