//! Concurrency and faults as a whole (docs/reliability.md): parts damaged after commit, a disk
//! that fills at any point of a build, and the other commands run beside a builder that is
//! still writing. Each gives its documented exit code, and no committed batch is lost.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use spliceforge::error::exit;

use crate::util::{
    Dir, build_cmd, copy_dir, dataset_and_model, dataset_files, run, s, spawn_until_exists,
    train_cmd,
};

/// What is done to a part's bytes.
type Damage = fn(&mut Vec<u8>);

/// The dataset of [`dataset_and_model`]: eight fly genes in two batches.
const SMALL: [&str; 4] = ["--n-genes", "8", "--batch-size", "4"];

fn verify(dir: &Dir, ds: &Path) -> crate::util::Run {
    run(dir.cmd(&["verify", s(ds)]))
}

fn predict(dir: &Dir, ds: &Path, model: &Path, out: &Path) -> crate::util::Run {
    run(dir.cmd(&[
        "predict",
        "-q",
        "--dataset",
        s(ds),
        "--model",
        s(model),
        "--out",
        s(out),
    ]))
}

#[test]
fn a_part_damaged_after_commit_is_refused_by_every_command_and_no_committed_batch_is_lost() {
    let dir = Dir::new();
    let (ds, model) = dataset_and_model(&dir);
    let want = dataset_files(&ds);
    let part = "parts/batch-00002.parquet";
    let good = want[part].clone();
    let damages: [(&str, Damage); 3] = [
        ("bit-flip", |b| {
            let mid = b.len() / 2;
            b[mid] ^= 0x10;
        }),
        ("truncation", |b| b.truncate(b.len() / 2)),
        ("zero-length", |b| b.clear()),
    ];
    for (kind, damage) in &damages {
        let d = dir.join(kind);
        copy_dir(&ds, &d);
        let mut bytes = good.clone();
        damage(&mut bytes);
        std::fs::write(d.join(part), &bytes).unwrap();
        let said = |r: &crate::util::Run| {
            assert!(
                r.stderr.contains("batch-00002.parquet"),
                "{kind}: {}",
                r.stderr
            );
        };
        said(&verify(&dir, &d).fails_with(exit::VERIFY));
        said(
            &run(train_cmd(&dir, &d, &dir.join(&format!("m-{kind}")), &[]))
                .fails_with(exit::VERIFY),
        );
        said(
            &predict(&dir, &d, &model, &dir.join(&format!("p-{kind}.parquet")))
                .fails_with(exit::VERIFY),
        );
        // The builder, asked again, finds the run complete by its manifest but does not trust
        // the part: refused as damaged, nothing touched.
        let r = run(build_cmd(&dir, &d, &SMALL)).fails_with(exit::DAMAGED);
        said(&r);
        assert!(r.stderr.contains("--overwrite"), "{kind}: {}", r.stderr);
        let got = dataset_files(&d);
        for (name, bytes) in &want {
            if name != part {
                assert!(got[name] == *bytes, "{kind}: {name} changed");
            }
        }
        // The damaged part put right, the dataset is whole again.
        std::fs::write(d.join(part), &good).unwrap();
        verify(&dir, &d).ok();
        run(build_cmd(&dir, &d, &SMALL)).ok();
    }
}

#[test]
fn a_disk_that_fills_at_any_point_of_a_build_stops_with_exit_7_and_the_rerun_gives_the_same_bytes()
{
    let dir = Dir::new();
    let reference = dir.join("ref");
    run(build_cmd(&dir, &reference, &SMALL)).ok();
    let want = dataset_files(&reference);
    let total: u64 = want.values().map(|v| v.len() as u64).sum();
    let mut stopped = Vec::new();
    for step in 0..12u64 {
        // The disk is full after `limit` bytes of the build's files: from before the first
        // byte to the last part.
        let limit = total * step / 12;
        let out = dir.join(&format!("full-{step}"));
        let mut c = build_cmd(&dir, &out, &SMALL);
        c.env("SPLICEFORGE_FAULT_WRITE_AFTER_BYTES", limit.to_string());
        let r = run(c);
        if r.code == 0 {
            continue; // the files of this build that count came in under the limit
        }
        let r = r.fails_with(exit::WRITE);
        assert!(
            r.stderr.contains("No space left on device"),
            "{limit}: {}",
            r.stderr
        );
        stopped.push(limit);
        // What was committed before the fault is intact: the rerun resumes to the same bytes.
        run(build_cmd(&dir, &out, &SMALL)).ok();
        let got = dataset_files(&out);
        for (name, bytes) in &want {
            assert!(
                got[name] == *bytes,
                "disk full after {limit} bytes: {name} differs"
            );
        }
        verify(&dir, &out).ok();
    }
    assert!(
        stopped.len() >= 10,
        "only {stopped:?} of 12 limits stopped the build"
    );
}

#[test]
fn verify_train_predict_and_a_second_builder_beside_a_running_builder_never_fail_otherwise() {
    let dir = Dir::new();
    let (_, model) = dataset_and_model(&dir);
    let out = dir.join("live");
    // All 82 genes, small batches, one thread: a build long enough to be met mid-way.
    let args = ["--batch-size", "4", "--threads", "1"];
    let mut child = spawn_until_exists(
        build_cmd(&dir, &out, &args),
        &out.join("run.json"),
        Duration::from_secs(60),
    );
    let mut seen: BTreeMap<(&str, i32), usize> = BTreeMap::new();
    loop {
        let done = child.try_wait().unwrap().is_some();
        let checks = [
            ("verify", verify(&dir, &out), [exit::OK, exit::VERIFY]),
            (
                "train",
                run(train_cmd(&dir, &out, &dir.join("m"), &["--overwrite"])),
                [exit::OK, exit::VERIFY],
            ),
            (
                "predict",
                predict(&dir, &out, &model, &dir.join("p.parquet")),
                [exit::OK, exit::VERIFY],
            ),
            (
                "builder",
                run(build_cmd(&dir, &out, &args)),
                [exit::OK, exit::LOCKED],
            ),
        ];
        for (what, r, allowed) in checks {
            assert!(
                allowed.iter().any(|&c| i32::from(c) == r.code),
                "{what} beside a running builder: exit {}\n{}",
                r.code,
                r.stderr
            );
            assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
            if r.code == i32::from(exit::VERIFY) && what != "verify" {
                assert!(r.stderr.contains("not complete"), "{what}: {}", r.stderr);
            }
            // `verify` tells a run being written from a damaged one: the writer's part in
            // flight is no stray.
            if what == "verify" && r.code == i32::from(exit::VERIFY) {
                assert!(
                    r.stderr.contains("a builder is writing the run now")
                        && !r.stderr.contains("not in the manifest"),
                    "{}",
                    r.stderr
                );
            }
            *seen.entry((what, r.code)).or_default() += 1;
        }
        if done {
            break;
        }
    }
    assert!(child.wait().unwrap().success());
    eprintln!("beside the builder: {seen:?}");
    // The build, met by all of them, is the build an undisturbed run gives.
    let calm = dir.join("calm");
    run(build_cmd(&dir, &calm, &args)).ok();
    let (a, b) = (dataset_files(&out), dataset_files(&calm));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{seen:?}"
    );
    for (name, bytes) in &a {
        assert!(b[name] == *bytes, "{name} differs ({seen:?})");
    }
    verify(&dir, &out).ok();
}
