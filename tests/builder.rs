//! `builder` and `verify` end to end on the embedded data: determinism, kill and resume, the
//! repairs resume makes, what it refuses, disk-full faults, and reading the dataset from Python.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Dir, GENOME, GTF, dataset_files, python, repo, run, spawn_until_exists};

const FINGERPRINT: i32 = 4;
const LOCKED: i32 = 5;
const VERIFY: i32 = 6;
const WRITE: i32 = 7;

/// Small batches so that a run has many commits.
fn build_args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "builder",
        "--genome",
        repo(GENOME).to_str().unwrap(),
        "--annotation",
        repo(GTF).to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--batch-size",
        "4",
        "--batch-rows",
        "3000",
        "-q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn builder(dir: &Dir, out: &Path, extra: &[&str]) -> Command {
    let args = build_args(out, extra);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    dir.cmd(&refs)
}

fn assert_same(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "file lists differ"
    );
    for (k, v) in a {
        assert!(v == &b[k], "{k} differs");
    }
}

fn verify_ok(dir: &Dir, out: &Path) {
    let r = run(dir.cmd(&["verify", out.to_str().unwrap()])).ok();
    assert!(r.stdout.contains("OK"), "{}", r.stdout);
}

/// The reference: one uninterrupted run.
fn reference(dir: &Dir) -> (PathBuf, BTreeMap<String, Vec<u8>>) {
    let out = dir.join("ref");
    run(builder(dir, &out, &["--threads", "2"])).ok();
    verify_ok(dir, &out);
    let files = dataset_files(&out);
    (out, files)
}

#[test]
fn build_is_byte_identical_whatever_the_threads_and_verifies() {
    let dir = Dir::new();
    let (_, want) = reference(&dir);
    assert!(
        want.keys().filter(|k| k.starts_with("parts/")).count() >= 15,
        "{:?}",
        want.keys()
    );
    let out = dir.join("one-thread");
    let r = run(builder(&dir, &out, &["--threads", "1"])).ok();
    assert!(r.stdout.contains("base model"), "{}", r.stdout);
    assert_same(&want, &dataset_files(&out));
    // A second run of a finished dataset does nothing, quickly.
    let t = Instant::now();
    let r = run(builder(&dir, &out, &["--threads", "1"])).ok();
    assert!(r.stdout.contains("already complete"), "{}", r.stdout);
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_same(&want, &dataset_files(&out));
    // Killed after its last batch was committed but before it finished the dataset (the gene
    // table, the summary and their manifest record come last): a run builds nothing again and
    // finishes it.
    for f in ["summary.json", "genes.parquet"] {
        std::fs::remove_file(out.join(f)).unwrap();
    }
    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    let last = manifest.trim_end().rfind('\n').unwrap() + 1;
    assert!(manifest[last..].starts_with(r#"{"kind":"complete""#));
    std::fs::write(out.join("manifest.jsonl"), &manifest[..last]).unwrap();
    let r = run(builder(&dir, &out, &["--threads", "1"])).ok();
    assert!(!r.stdout.contains("already complete"), "{}", r.stdout);
    assert_same(&want, &dataset_files(&out));
}

/// Spawns a builder with paused commit phases, kills it after `delay`, returns the last commit
/// phase it announced (if any) or `None` if it finished by itself.
fn run_and_kill(dir: &Dir, out: &Path, delay: Duration) -> Result<Option<String>, ()> {
    let log = dir.join("stderr.log");
    let err = std::fs::File::create(&log).unwrap();
    let mut child = builder(dir, out, &["--threads", "2"])
        .env("SPLICEFORGE_TEST_PAUSE_MS", "15")
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < delay {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "builder failed: {}",
                std::fs::read_to_string(&log).unwrap()
            );
            return Err(());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let mut text = String::new();
    std::fs::File::open(&log)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    Ok(text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("commit-phase: ").map(str::to_string)))
}

#[test]
fn killed_at_random_instants_resumes_to_identical_parts() {
    let dir = Dir::new();
    let (_, want) = reference(&dir);
    let out = dir.join("killed");
    let mut rng = spliceforge::seed::Rng::new(20261122);
    let mut kills = 0;
    let mut phases = std::collections::BTreeSet::new();
    // Keep killing until at least 20 kills have landed, kills have hit the flush, close and
    // rename steps, and then the run finishes on its own.
    let wanted = ["flush", "closed", "renamed"];
    loop {
        let enough = kills >= 20 && wanted.iter().all(|p| phases.contains(*p));
        let delay = Duration::from_millis(40 + rng.below(if enough { 20_000 } else { 400 }));
        match run_and_kill(&dir, &out, delay) {
            Ok(phase) => {
                kills += 1;
                phases.insert(phase.unwrap_or_else(|| "before any commit".into()));
            }
            Err(()) if enough => break,
            // Finished before enough kills: start again from scratch.
            Err(()) => std::fs::remove_dir_all(&out).unwrap(),
        }
        assert!(kills < 400, "never hit every commit step: {phases:?}");
    }
    assert!(kills >= 20);
    assert_same(&want, &dataset_files(&out));
    verify_ok(&dir, &out);
}

/// Drops the completion line and cuts the last batch line in half.
fn tear_manifest(out: &Path) -> String {
    let text = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.pop().unwrap().contains("\"complete\""));
    let last = lines.pop().unwrap();
    let mut torn = lines.join("\n");
    torn.push('\n');
    torn.push_str(&last[..last.len() / 2]);
    std::fs::write(out.join("manifest.jsonl"), &torn).unwrap();
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    v["parts"][0]["file"].as_str().unwrap().to_string()
}

#[test]
fn torn_manifest_line_stale_tmp_and_truncated_unlisted_part_are_repaired() {
    let dir = Dir::new();
    let (_, want) = reference(&dir);
    let out = dir.join("torn");
    run(builder(&dir, &out, &[])).ok();
    let last_part = tear_manifest(&out);
    // verify sees the damage
    let r = run(dir.cmd(&["verify", out.to_str().unwrap()])).fails_with(VERIFY);
    assert!(r.stderr.contains("torn last line"), "{}", r.stderr);
    // a stale temporary file and the unlisted part truncated
    std::fs::create_dir_all(out.join(".tmp")).unwrap();
    std::fs::write(out.join(".tmp/batch-00099.parquet"), b"PAR1 half written").unwrap();
    let p = out.join(&last_part);
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 3]).unwrap();
    let r = run(builder(&dir, &out, &[])).ok();
    assert!(r.stdout.contains("resumed after"), "{}", r.stdout);
    assert!(!out.join(".tmp").exists());
    assert_same(&want, &dataset_files(&out));
    verify_ok(&dir, &out);
}

#[test]
fn changed_arguments_and_changed_inputs_are_refused() {
    let dir = Dir::new();
    let out = dir.join("ds");
    run(builder(&dir, &out, &["--n-genes", "12"])).ok();
    // threads do not change content: accepted
    run(builder(&dir, &out, &["--n-genes", "12", "--threads", "1"])).ok();
    let r = run(builder(&dir, &out, &["--n-genes", "13"])).fails_with(FINGERPRINT);
    assert!(
        r.stderr.contains("selection.n_genes: 12 → 13"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--overwrite"), "{}", r.stderr);
    let r = run(builder(
        &dir,
        &out,
        &["--n-genes", "12", "--easy-ratio", "1"],
    ))
    .fails_with(FINGERPRINT);
    assert!(
        r.stderr.contains("label.easy_ratio: 0.5 → 1.0"),
        "{}",
        r.stderr
    );

    // A changed input file is refused, by content.
    let ann = dir.join("ann.gtf.gz");
    std::fs::copy(repo(GTF), &ann).unwrap();
    let out2 = dir.join("ds2");
    let go = |extra: &[&str]| {
        let mut v = build_args(&out2, &["--n-genes", "12"]);
        v[4] = ann.to_str().unwrap().to_string();
        v.extend(extra.iter().map(|s| s.to_string()));
        run(dir.cmd(&v.iter().map(String::as_str).collect::<Vec<_>>()))
    };
    go(&[]).ok();
    // Append a gzip member holding a comment: still a valid annotation, different content.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, b"# edited\n").unwrap();
    let mut bytes = std::fs::read(&ann).unwrap();
    bytes.extend_from_slice(&e.finish().unwrap());
    std::fs::write(&ann, bytes).unwrap();
    let r = go(&[]).fails_with(FINGERPRINT);
    assert!(
        r.stderr.contains("input annotation changed"),
        "{}",
        r.stderr
    );
    go(&["--overwrite"]).ok();
    verify_ok(&dir, &out2);
}

#[test]
fn a_second_builder_on_the_same_directory_is_refused() {
    let dir = Dir::new();
    let out = dir.join("busy");
    let mut slow = builder(&dir, &out, &[]);
    slow.env("SPLICEFORGE_TEST_PAUSE_MS", "200");
    let mut first = spawn_until_exists(slow, &out.join("run.json"), Duration::from_secs(60));
    let r = run(builder(&dir, &out, &[])).fails_with(LOCKED);
    assert!(
        r.stderr.contains("in use by another spliceforge builder"),
        "{}",
        r.stderr
    );
    first.kill().unwrap();
    first.wait().unwrap();
    // Once the holder is gone the lock is free: resume works.
    run(builder(&dir, &out, &[])).ok();
    verify_ok(&dir, &out);
}

#[test]
fn disk_full_mid_flush_stops_cleanly_and_resumes() {
    let dir = Dir::new();
    let (_, want) = reference(&dir);
    let out = dir.join("full");
    let mut cmd = builder(&dir, &out, &[]);
    cmd.env("SPLICEFORGE_FAULT_WRITE_AFTER_BYTES", "3000000");
    let r = run(cmd).fails_with(WRITE);
    assert!(r.stderr.contains("No space left on device"), "{}", r.stderr);
    assert!(
        r.stderr.contains("Committed batches are intact"),
        "{}",
        r.stderr
    );
    // Every committed batch is intact: its files match the reference.
    let got = dataset_files(&out);
    let manifest = String::from_utf8(got["manifest.jsonl"].clone()).unwrap();
    let committed = manifest.lines().count();
    assert!(committed >= 1, "the fault came before any commit");
    for line in manifest.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let f = v["parts"][0]["file"].as_str().unwrap();
        assert!(got[f] == want[f], "{f} differs");
    }
    run(builder(&dir, &out, &[])).ok();
    assert_same(&want, &dataset_files(&out));
    verify_ok(&dir, &out);
}

#[test]
fn verify_catches_a_damaged_part() {
    let dir = Dir::new();
    let (out, _) = reference(&dir);
    let p = out.join("parts/batch-00002.parquet");
    let mut bytes = std::fs::read(&p).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&p, bytes).unwrap();
    let r = run(dir.cmd(&["verify", out.to_str().unwrap()])).fails_with(VERIFY);
    assert!(
        r.stderr.contains("batch-00002.parquet: checksum differs"),
        "{}",
        r.stderr
    );
}

#[test]
fn pyarrow_and_polars_read_the_parts_as_one_dataset() {
    let dir = Dir::new();
    let (out, _) = reference(&dir);
    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    let rows: u64 = manifest
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "batch")
        .map(|v| v["rows"].as_u64().unwrap())
        .sum();
    let script = format!(
        r#"
import glob, pyarrow.dataset as ds, pyarrow.parquet as pq, polars as pl
files = sorted(glob.glob("{p}/parts/*.parquet"))
schemas = {{str(pq.read_schema(f)) for f in files}}
assert len(schemas) == 1, "more than one schema"
t = ds.dataset("{p}/parts", format="parquet").to_table()
df = pl.scan_parquet("{p}/parts/*.parquet").select(pl.len()).collect()
assert t.num_rows == df.item(), (t.num_rows, df.item())
assert t.schema.field("position").type == "int64"
assert set(t.column("splice_type").unique().to_pylist()) <= {{"donor", "acceptor", "neither"}}
genes = pl.read_parquet("{p}/genes.parquet")
assert genes["rows"].sum() == t.num_rows
print(t.num_rows)
"#,
        p = out.display()
    );
    assert_eq!(python(&script).trim(), rows.to_string());
}

#[test]
fn imported_base_scores_replace_the_builtin_model() {
    let dir = Dir::new();
    // Scores for a few positions of PlexB (minus strand) and a bad file.
    let tsv = dir.write(
        "scores.tsv",
        "chrom\tposition\tstrand\tdonor\tacceptor\tneither\nNC_004353.4\t42914\t-\t0.97\t0.0\t0.03\nNC_004353.4\t41285\t-\t0.0\t0.8\t0.2\nNC_004353.4\t40000\t-\t0.6\t0.0\t0.4\n",
    );
    let out = dir.join("imp");
    let r = run(builder(
        &dir,
        &out,
        &["--base-scores", tsv.to_str().unwrap()],
    ))
    .ok();
    assert!(
        r.stdout.contains("for the imported base model"),
        "{}",
        r.stdout
    );
    assert!(!out.join("basemodel.json").exists());
    verify_ok(&dir, &out);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["donor"]["calls"], 2);
    assert_eq!(summary["classes"]["fp"], 1);

    let bad = dir.write(
        "bad.tsv",
        "chrom\tposition\tstrand\tdonor\tacceptor\nNC_004353.4\t99999999\t+\t0.5\t0.1\n",
    );
    let r = run(builder(
        &dir,
        &dir.join("bad"),
        &["--base-scores", bad.to_str().unwrap()],
    ))
    .fails_with(3);
    assert!(
        r.stderr
            .contains("bad.tsv:2: position 99999999 is outside contig NC_004353.4"),
        "{}",
        r.stderr
    );
}
