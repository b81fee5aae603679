//! Sharded builds and `merge` end to end on the embedded data: shards (one taken from Slurm's
//! array variables) merged into exactly the single-node dataset, the shard sets merge refuses,
//! and a merge killed at random instants.

use std::path::{Path, PathBuf};

use spliceforge::error::exit;

use crate::util::{Dir, build_cmd, dataset_files, kill_until_done, run};

/// Small batches so that every shard has several.
const ARGS: &[&str] = &["--batch-size", "4", "--batch-rows", "3000"];

fn build(dir: &Dir, name: &str, extra: &[&str]) -> (PathBuf, String) {
    let out = dir.join(name);
    let mut args = ARGS.to_vec();
    args.extend_from_slice(extra);
    let r = run(build_cmd(dir, &out, &args)).ok();
    (out, r.stdout)
}

fn merge(dir: &Dir, out: &Path, shards: &[&Path], extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["merge", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend(shards.iter().map(|p| p.to_str().unwrap()));
    run(dir.cmd(&args))
}

fn assert_same_dataset(want: &Path, got: &Path) {
    let (a, b) = (dataset_files(want), dataset_files(got));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs from the single-node build");
    }
    let r = run(crate::util::Dir::new().cmd(&["verify", got.to_str().unwrap()])).ok();
    assert!(r.stdout.contains("OK"), "{}", r.stdout);
}

/// Three shards of the single-node run: 0 and 1 by `--shard`, 2 by Slurm's variables.
fn three_shards(dir: &Dir) -> [PathBuf; 3] {
    let (s0, first) = build(dir, "s0", &["--shard", "0/3"]);
    assert!(first.starts_with("building shard 0/3 (--shard)"), "{first}");
    let (s1, _) = build(dir, "s1", &["--shard", "1/3"]);
    let s2 = dir.join("s2");
    let mut slurm = build_cmd(dir, &s2, ARGS);
    slurm
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_COUNT", "3");
    let first = run(slurm).ok().stdout;
    assert!(
        first
            .lines()
            .next()
            .unwrap()
            .contains("shard 2/3 (from Slurm"),
        "{first}"
    );
    [s0, s1, s2]
}

#[test]
fn three_shards_one_from_slurm_merge_into_the_single_node_dataset() {
    let dir = Dir::new();
    let (single, _) = build(&dir, "single", &[]);
    let [s0, s1, s2] = three_shards(&dir);
    // Each shard is an ordinary dataset holding its share of the batches.
    for (i, s) in [&s0, &s1, &s2].iter().enumerate() {
        run(dir.cmd(&["verify", s.to_str().unwrap()])).ok();
        let parts: Vec<String> = std::fs::read_dir(s.join("parts"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(parts.len() >= 5, "{parts:?}");
        for p in parts {
            let b: usize = p["batch-".len()..p.len() - ".parquet".len()]
                .parse()
                .unwrap();
            assert_eq!((b - 1) % 3, i, "{p} in shard {i}");
        }
    }
    let merged = dir.join("merged");
    let r = merge(&dir, &merged, &[&s2, &s0, &s1], &[]).ok();
    assert!(r.stdout.contains("hard-linked, 0 copied"), "{}", r.stdout);
    assert_same_dataset(&single, &merged);
    let r = merge(&dir, &merged, &[&s0, &s1, &s2], &[]).ok();
    assert!(r.stdout.contains("already merged"), "{}", r.stdout);
    // Copies are checksummed and give the same bytes.
    let copied = dir.join("copied");
    let r = merge(&dir, &copied, &[&s0, &s1, &s2], &["--copy"]).ok();
    assert!(r.stdout.contains(" 0 parts hard-linked"), "{}", r.stdout);
    assert_same_dataset(&single, &copied);
    // Inside a Slurm array task, --shard 0/1 builds the whole run.
    let whole = dir.join("whole");
    let mut c = build_cmd(&dir, &whole, &[ARGS, &["--shard", "0/1"]].concat());
    c.env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "3");
    run(c).ok();
    assert_same_dataset(&single, &whole);
}

#[test]
fn merge_refuses_missing_twice_foreign_and_unfinished_shards_and_writes_nothing() {
    let dir = Dir::new();
    let [s0, s1, s2] = three_shards(&dir);
    let (other, _) = build(&dir, "other-seed", &["--shard", "1/3", "--seed", "7"]);
    let (whole, _) = build(&dir, "whole", &[]);
    let unfinished = dir.join("unfinished");
    std::fs::create_dir(&unfinished).unwrap();
    for e in std::fs::read_dir(&s2).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            continue;
        }
        std::fs::copy(e.path(), unfinished.join(e.file_name())).unwrap();
    }
    // Its last batch and completion line never happened.
    let m = std::fs::read_to_string(s2.join("manifest.jsonl")).unwrap();
    let lines: Vec<&str> = m.lines().collect();
    std::fs::write(
        unfinished.join("manifest.jsonl"),
        lines[..lines.len() - 2].join("\n") + "\n",
    )
    .unwrap();
    std::fs::create_dir(unfinished.join("parts")).unwrap();
    let cases: Vec<(Vec<&Path>, Vec<&str>)> = vec![
        (vec![&s0, &s1], vec!["shard 2/3 is missing"]),
        (vec![&s0, &s1, &s1, &s2], vec!["shard 1/3 is given 2 times"]),
        (
            vec![&s0, &other, &s2],
            vec!["other-seed (shard 1/3): of another run", "seed: 42 → 7"],
        ),
        (
            vec![&s0, &s1, &unfinished],
            vec![
                "unfinished (shard 2/3): not finished",
                "run its builder command again",
            ],
        ),
        (vec![&s0, &s1, &s2, &whole], vec!["whole: not a shard"]),
    ];
    let out = dir.join("merged");
    for (shards, words) in cases {
        let r = merge(&dir, &out, &shards, &[]).fails_with(exit::SHARDS);
        for w in words {
            assert!(r.stderr.contains(w), "{w:?} not in {}", r.stderr);
        }
        assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
        assert!(!out.exists(), "merge wrote {}", out.display());
    }
}

#[test]
fn a_merge_killed_at_random_instants_finishes_to_the_same_dataset() {
    let dir = Dir::new();
    let (single, _) = build(&dir, "single", &[]);
    let [s0, s1, s2] = three_shards(&dir);
    let merged = dir.join("merged");
    let kills = kill_until_done(13, 30, 400, || {
        let mut c = dir.cmd(&[
            "merge",
            "--out",
            merged.to_str().unwrap(),
            "--copy",
            s0.to_str().unwrap(),
            s1.to_str().unwrap(),
            s2.to_str().unwrap(),
        ]);
        c.env("SPLICEFORGE_TEST_PAUSE_MS", "40");
        c
    });
    assert!(kills >= 1);
    assert_same_dataset(&single, &merged);
}
