//! `train` and `predict` end to end on a dataset built from the embedded data: gene-disjoint
//! folds, the files a user gets, Python's xgboost reproducing our predictions, schema refusal.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use spliceforge::error::exit;

use crate::util::{Dir, build_cmd, copy_dir, python, run, spawn_until_exists};

/// One small dataset shared by the tests of this module (built once).
pub(crate) fn dataset() -> &'static (Dir, PathBuf) {
    static DS: OnceLock<(Dir, PathBuf)> = OnceLock::new();
    DS.get_or_init(|| {
        let dir = Dir::new();
        let out = dir.join("ds");
        run(build_cmd(
            &dir,
            &out,
            &["--n-genes", "40", "--batch-size", "8"],
        ))
        .ok();
        (dir, out)
    })
}

pub(crate) fn train(dir: &Dir, ds: &Path, out: &Path, extra: &[&str]) -> crate::util::Run {
    run(train_cmd(dir, ds, out, extra))
}

/// The `train` command of [`train`], not yet run.
fn train_cmd(dir: &Dir, ds: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut args = vec![
        "train",
        "--dataset",
        ds.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ];
    // Defaults for speed, unless the test sets them.
    for (flag, value) in [
        ("--n-estimators", "15"),
        ("--learning-rate", "0.3"),
        ("--max-depth", "4"),
        ("--n-folds", "3"),
    ] {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(extra);
    dir.cmd(&args)
}

fn predict(dir: &Dir, model: &Path, ds: &Path, out: &Path) -> crate::util::Run {
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let (m, d, o) = (path(model), path(ds), path(out));
    run(dir.cmd(&["predict", "--model", &m, "--dataset", &d, "--out", &o]))
}

/// The model files of an ovr model directory (the default objective) besides its report.
const MODEL_FILES: [&str; 7] = [
    "model-neither.json",
    "model-donor.json",
    "model-acceptor.json",
    "calibration.json",
    "features.json",
    "folds.json",
    "train.json",
];

pub(crate) fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn train_writes_a_model_report_and_gene_disjoint_folds() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let out = dir.join("model");
    let r = train(&dir, ds, &out, &[]).ok();
    assert!(
        r.stdout.contains("result on held-out genes"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("F1: base"), "{}", r.stdout);
    for f in MODEL_FILES.into_iter().chain([
        "metrics.json",
        "report.md",
        "pr_curves.svg",
        "importance.svg",
    ]) {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // Every gene in exactly one fold; folds partition the genes; sites balanced.
    let folds = json(&out.join("folds.json"));
    let genes: Vec<(String, u64)> = folds["genes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g[0].as_str().unwrap().to_string(), g[1].as_u64().unwrap()))
        .collect();
    let ids: HashSet<&String> = genes.iter().map(|g| &g.0).collect();
    assert_eq!(ids.len(), genes.len(), "a gene appears twice");
    assert_eq!(genes.len(), 40);
    let mut per_fold: HashMap<u64, usize> = HashMap::new();
    for g in &genes {
        *per_fold.entry(g.1).or_default() += 1;
    }
    assert_eq!(per_fold.len(), 3);
    let sites: Vec<u64> = folds["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let (lo, hi) = (*sites.iter().min().unwrap(), *sites.iter().max().unwrap());
    assert!(
        hi - lo <= hi / 3,
        "sites unbalanced across folds: {sites:?}"
    );
    // Held-out predictions cover every row once, from genes the fold's model never saw (the
    // trainer selects rows by fold membership; the counts must add up).
    let m = json(&out.join("metrics.json"));
    let rows: u64 = json(&ds.join("summary.json"))["rows"].as_u64().unwrap();
    assert_eq!(m["oof_rows"].as_u64().unwrap(), rows);
    let cal = &m["calibration"];
    assert!(cal["brier_after"].as_f64().unwrap() > 0.0);
    let features = json(&out.join("features.json"));
    assert_eq!(features["features"].as_array().unwrap().len(), 131);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("## Result: base model vs meta-model") && report.contains("pr_curves.svg")
    );
    // The result comes first; the argmax figures are labelled secondary.
    assert!(
        report.find("## Result").unwrap() < report.find("## Secondary").unwrap(),
        "{report}"
    );
    // The ovr boosters' leaves are capped (--max-delta-step 5 by default, times eta 0.3):
    // uncapped, leaves of 200+ logits occur under this class imbalance.
    assert_eq!(
        json(&out.join("train.json"))["params"]["max_delta_step"],
        5.0
    );
    assert!(report.contains("max_delta_step 5"), "{report}");
    for class in ["neither", "donor", "acceptor"] {
        let m = json(&out.join(format!("model-{class}.json")));
        let trees = m["learner"]["gradient_booster"]["model"]["trees"]
            .as_array()
            .unwrap();
        assert_eq!(trees.len(), 15);
        for t in trees {
            let values = t["split_conditions"].as_array().unwrap();
            for (i, left) in t["left_children"].as_array().unwrap().iter().enumerate() {
                if left.as_i64() == Some(-1) {
                    let v = values[i].as_f64().unwrap();
                    assert!(v.abs() <= 1.5 + 1e-5, "{class}: leaf {v} beyond 5 x eta");
                }
            }
        }
    }
}

#[test]
fn folds_are_seeded() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    train(&dir, ds, &a, &["--n-folds", "4", "--n-estimators", "2"]).ok();
    train(&dir, ds, &b, &["--n-folds", "4", "--n-estimators", "2"]).ok();
    train(
        &dir,
        ds,
        &c,
        &["--n-folds", "4", "--n-estimators", "2", "--seed", "7"],
    )
    .ok();
    let f = |p: &Path| json(&p.join("folds.json"))["genes"].clone();
    assert_eq!(f(&a), f(&b));
    assert_ne!(f(&a), f(&c));
}

#[test]
fn python_xgboost_reproduces_our_predictions_and_predict_works() {
    let (_dir, out) = python_reproduces("ovr");
    assert!(out.join("model-neither.json").exists());
}

#[test]
fn two_booster_ovr_saves_two_boosters_and_python_reproduces_the_implied_neither() {
    let (_dir, out) = python_reproduces("ovr2");
    assert!(out.join("model-donor.json").exists() && out.join("model-acceptor.json").exists());
    assert!(!out.join("model-neither.json").exists());
}

#[test]
fn ovr2_boosters_boosting_together_grow_the_model_they_grow_one_after_the_other() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let (together, alone) = (dir.join("together"), dir.join("alone"));
    let args = |threads| {
        [
            "--objective",
            "ovr2",
            "--n-folds",
            "1",
            "--threads",
            threads,
        ]
    };
    // Two threads: the two boosters boost at the same time, one thread each, from our own
    // gradients; one thread: one after the other, with XGBoost's objective.
    train(&dir, ds, &together, &args("2")).ok();
    train(&dir, ds, &alone, &args("1")).ok();
    for f in ["model-donor.json", "model-acceptor.json"] {
        let (a, b) = (
            std::fs::read(together.join(f)).unwrap(),
            std::fs::read(alone.join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs between boosting together and alone");
    }
}

/// Trains `objective` (ovr or ovr2), predicts, and checks with Python's xgboost that the
/// probabilities written are the boosters' (for ovr2, "neither" is (1 − p_donor)(1 − p_acceptor)
/// before renormalising). Returns the test's directory and the model directory in it.
fn python_reproduces(objective: &str) -> (Dir, std::path::PathBuf) {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let out = dir.join("model");
    train(
        &dir,
        ds,
        &out,
        &["--objective", objective, "--n-folds", "1"],
    )
    .ok();
    let preds = dir.join("preds.parquet");
    let r = predict(&dir, &out, ds, &preds).ok();
    assert!(r.stdout.contains("rows predicted"), "{}", r.stdout);
    // Python's xgboost loads our JSON boosters and reproduces the probabilities we wrote.
    let script = format!(
        r#"
import json, glob, numpy as np, pyarrow.dataset as pads, pyarrow.parquet as pq, xgboost as xgb
m = "{m}"
feats = json.load(open(m + "/features.json"))["features"]
cal = json.load(open(m + "/calibration.json"))
t = pads.dataset("{d}/parts", format="parquet").to_table(columns=feats)
X = np.column_stack([t.column(f).to_numpy() for f in feats]).astype(np.float32)
idx = np.arange(X.shape[0])
D = xgb.DMatrix(X[idx], missing=np.nan)
boosters = ["neither", "donor", "acceptor"] if "{o}" == "ovr" else ["donor", "acceptor"]
margins = np.column_stack([xgb.Booster(model_file=m + "/model-" + c + ".json").predict(D, output_margin=True) for c in boosters])
p = 1 / (1 + np.exp(-margins.astype(np.float64)))
if p.shape[1] == 2:
    p = np.column_stack([(1 - p[:, 0]) * (1 - p[:, 1]), p])
raw = (p / p.sum(axis=1, keepdims=True)).astype(np.float32)
uncal = raw.copy()
if cal:
    z = np.log(np.clip(raw.astype(np.float64), 1e-7, 1 - 1e-7) / (1 - np.clip(raw.astype(np.float64), 1e-7, 1 - 1e-7)))
    q = 1 / (1 + np.exp(-(np.array(cal["a"]) * z + np.array(cal["b"]))))
    raw = (q / q.sum(axis=1, keepdims=True)).astype(np.float32)
ours = pq.read_table("{p}")
got = np.column_stack([ours.column(c).to_numpy() for c in ["p_neither", "p_donor", "p_acceptor"]])[idx]
d = np.abs(got - raw).max()
assert d < 1e-6, d
assert ours.column_names[:4] == ["chrom", "position", "strand", "gene_id"], ours.column_names
assert set(ours.column("strand").to_pylist()) <= {{"+", "-"}}
assert set(ours.column("chrom").to_pylist()) == {{"NC_004353.4"}}, set(ours.column("chrom").to_pylist())
# predicted = the model's own call: the argmax before calibration
want = np.array(["neither", "donor", "acceptor"])[uncal.argmax(axis=1)]
assert (np.array(ours.column("predicted").to_pylist()) == want).all()
print(len(idx), d)
"#,
        m = out.display(),
        d = ds.display(),
        p = preds.display(),
        o = objective
    );
    python(&script);
    (dir, out)
}

#[test]
fn predict_refuses_a_dataset_with_other_features() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let out = dir.join("model");
    train(&dir, ds, &out, &["--n-folds", "1", "--n-estimators", "2"]).ok();
    let other = dir.join("k2");
    run(build_cmd(
        &dir,
        &other,
        &["--n-genes", "5", "--kmer-sizes", "2"],
    ))
    .ok();
    let preds = dir.join("p.parquet");
    let r = predict(&dir, &out, &other, &preds).fails_with(exit::INCOMPATIBLE);
    assert!(
        r.stderr.contains("are not the model's") && r.stderr.contains("--kmer-sizes"),
        "{}",
        r.stderr
    );
    assert!(!preds.exists());
}

#[test]
fn train_refuses_a_dataset_that_does_not_verify() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let copy = dir.join("copy");
    copy_dir(ds, &copy);
    let part = copy.join("parts/batch-00001.parquet");
    let mut b = std::fs::read(&part).unwrap();
    let n = b.len() / 2;
    b[n] ^= 0x55;
    std::fs::write(&part, b).unwrap();
    let r = train(&dir, &copy, &dir.join("m"), &[]).fails_with(6);
    assert!(r.stderr.contains("checksum differs"), "{}", r.stderr);
}

/// A part rewritten with a class the schema does not have, and re-checksummed in the manifest
/// so that it verifies: `train` refuses it as damaged (it used to count the row as "neither").
#[test]
fn train_refuses_a_row_whose_class_is_not_donor_acceptor_or_neither() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let copy = dir.join("copy");
    copy_dir(ds, &copy);
    python(&format!(
        r#"
import hashlib, json, os, pyarrow as pa, pyarrow.parquet as pq
d = {copy:?}
part = os.path.join(d, "parts/batch-00001.parquet")
t = pq.read_table(part)
labels = t.column("splice_type").to_pylist()
i = labels.index("donor")
labels[i] = "Donor"
t = t.set_column(t.schema.get_field_index("splice_type"), t.schema.field("splice_type"), pa.array(labels, t.schema.field("splice_type").type))
pq.write_table(t, part, compression="zstd")
data = open(part, "rb").read()
lines = []
for line in open(os.path.join(d, "manifest.jsonl")):
    e = json.loads(line)
    for f in e.get("parts", []):
        if f["file"] == "parts/batch-00001.parquet":
            f["sha256"] = hashlib.sha256(data).hexdigest()
            f["bytes"] = len(data)
    lines.append(json.dumps(e, separators=(",", ":")))
open(os.path.join(d, "manifest.jsonl"), "w").write("\n".join(lines) + "\n")
"#,
        copy = copy.to_str().unwrap()
    ));
    run(dir.cmd(&["verify", copy.to_str().unwrap()])).ok();
    let r = train(&dir, &copy, &dir.join("m"), &[]).fails_with(exit::DAMAGED);
    assert!(
        r.stderr.contains("batch-00001.parquet") && r.stderr.contains("splice_type \"Donor\""),
        "{}",
        r.stderr
    );
}

#[test]
fn sample_genes_spans_many_part_files_and_reads_only_their_rows() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let out = dir.join("sampled");
    let args = [
        "--sample-genes",
        "9",
        "--n-folds",
        "3",
        "--n-estimators",
        "3",
    ];
    let r = train(&dir, ds, &out, &args).ok();
    let folds = json(&out.join("folds.json"));
    let chosen: HashSet<String> = folds["genes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g[0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(chosen.len(), 9);
    // The sample spreads over the dataset's batches (5 batches of 8 genes), not the first file.
    let manifest = std::fs::read_to_string(ds.join("manifest.jsonl")).unwrap();
    let mut batches = HashSet::new();
    let mut rows = 0;
    for line in manifest.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["kind"] != "batch" {
            continue;
        }
        for g in v["genes"].as_array().unwrap() {
            if chosen.contains(g["id"].as_str().unwrap()) {
                batches.insert(v["batch"].as_u64().unwrap());
                rows += g["rows"].as_u64().unwrap();
            }
        }
    }
    assert!(
        batches.len() >= 3,
        "sample drawn from batches {batches:?} only"
    );
    let info = json(&out.join("train.json"));
    assert_eq!(info["genes"], 9);
    assert_eq!(
        info["rows"].as_u64().unwrap(),
        rows,
        "exactly the sampled genes' rows are read"
    );
    assert_eq!(
        json(&out.join("metrics.json"))["oof_rows"]
            .as_u64()
            .unwrap(),
        rows
    );
    // The summary and the report name the sample, not the whole dataset.
    let said = format!("9 of the dataset's 40 genes ({rows} of its");
    assert!(r.stdout.contains(&said), "{said:?} not in\n{}", r.stdout);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains(&said), "{said:?} not in report.md");
    // Seeded: the same sample again, another with another seed.
    let again = dir.join("again");
    train(&dir, ds, &again, &args).ok();
    assert_eq!(json(&again.join("folds.json"))["genes"], folds["genes"]);
}

#[test]
fn a_negative_max_delta_step_is_a_usage_error() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let r = train(&dir, ds, &dir.join("m"), &["--max-delta-step=-1"]).fails_with(2);
    assert!(
        r.stderr.contains("--max-delta-step must be 0"),
        "{}",
        r.stderr
    );
    assert!(
        !dir.join("m").exists(),
        "nothing is created for a usage error"
    );
}

#[test]
fn more_folds_than_genes_is_a_usage_error() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let r = train(
        &dir,
        ds,
        &dir.join("m"),
        &["--sample-genes", "3", "--n-folds", "5"],
    )
    .fails_with(2);
    assert!(
        r.stderr.contains("--n-folds 5 is more than the 3 genes"),
        "{}",
        r.stderr
    );
    // Refused before any work: no progress line precedes the error, nothing is written.
    let r = train(&dir, ds, &dir.join("m100"), &["--n-folds", "100"]).fails_with(2);
    assert!(
        r.stderr
            .starts_with("error: --n-folds 100 is more than the"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(!dir.join("m100").exists());
}

#[test]
fn ensemble_trains_checkpointed_sub_models_resumes_and_predicts() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let out = dir.join("ens");
    let args = ["--ensemble-size", "3", "--n-estimators", "5"];
    let r = train(&dir, ds, &out, &args).ok();
    assert!(
        r.stdout.contains("ensemble of 3 sub-models") && r.stdout.contains("single"),
        "{}",
        r.stdout
    );
    let plan = json(&out.join("ensemble.json"));
    let subsets: Vec<HashSet<String>> = plan["subsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s.as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    let holdout: HashSet<String> = plan["holdout"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap().to_string())
        .collect();
    assert!(!holdout.is_empty());
    for (i, a) in subsets.iter().enumerate() {
        assert!(a.is_disjoint(&holdout), "sub-model {i} saw hold-out genes");
        for b in &subsets[i + 1..] {
            assert!(
                a.is_disjoint(b),
                "subsets overlap without --ensemble-overlap"
            );
        }
    }
    assert_eq!(plan["weights"].as_array().unwrap().len(), 3);
    // A finished model directory is never overwritten silently: the same arguments do nothing,
    // others are refused.
    let r = train(&dir, ds, &out, &args).ok();
    assert!(r.stdout.contains("already complete"), "{}", r.stdout);
    let mut other = args.to_vec();
    other.extend_from_slice(&["--seed", "7"]);
    let r = train(&dir, ds, &out, &other).fails_with(4);
    assert!(
        r.stderr.contains("already holds a trained model"),
        "{}",
        r.stderr
    );
    // A run killed before sub-model 3 finished: its checkpoint marker and the ensemble's
    // final files are missing.
    std::fs::remove_file(out.join("sub-03/done.json")).unwrap();
    std::fs::remove_file(out.join("train.json")).unwrap();
    let before = std::fs::read(out.join("sub-01/model-donor.json")).unwrap();
    let r = train(&dir, ds, &out, &args).ok();
    assert!(
        r.stderr.contains("sub-model 1/3: already trained"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("sub-model 2/3: already trained"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("sub-model 3/3: already trained"),
        "{}",
        r.stderr
    );
    assert_eq!(
        before,
        std::fs::read(out.join("sub-01/model-donor.json")).unwrap()
    );
    // Other settings in an unfinished ensemble's directory are refused.
    std::fs::remove_file(out.join("train.json")).unwrap();
    let r = train(
        &dir,
        ds,
        &out,
        &["--ensemble-size", "3", "--n-estimators", "6"],
    )
    .fails_with(4);
    assert!(
        r.stderr
            .contains("unfinished ensemble with another dataset, settings"),
        "{}",
        r.stderr
    );
    // predict applies the whole ensemble.
    // Resumed with the original arguments, it completes.
    train(&dir, ds, &out, &args).ok();
    let preds = dir.join("p.parquet");
    predict(&dir, &out, ds, &preds).ok();
    assert!(preds.exists());
}

#[test]
fn ensemble_members_trained_at_once_as_tasks_complete_into_the_uninterrupted_ensemble() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let args = ["--ensemble-size", "3", "--n-estimators", "5"];
    let whole = dir.join("whole");
    train(&dir, ds, &whole, &args).ok();
    // Sub-models 1 and 2 as two array tasks running at once on one --out-dir.
    let tasks = dir.join("tasks");
    let children: Vec<_> = ["1", "2"]
        .iter()
        .map(|m| {
            train_cmd(&dir, ds, &tasks, &[&args[..], &["--member", m]].concat())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (m, child) in ["1", "2"].iter().zip(children) {
        let o = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            stdout.contains(&format!("sub-model {m}/3 trained into")),
            "{stdout}"
        );
    }
    assert!(
        !tasks.join("train.json").exists(),
        "members do not finish the ensemble"
    );
    // Without --member: the finished sub-models are found, the third trained, the ensemble done.
    let r = train(&dir, ds, &tasks, &args).ok();
    for (m, found) in [(1, true), (2, true), (3, false)] {
        let line = format!("sub-model {m}/3: already trained");
        assert_eq!(r.stderr.contains(&line), found, "{line}: {}", r.stderr);
    }
    for sub in 1..=3 {
        for file in [
            "model-neither.json",
            "model-donor.json",
            "model-acceptor.json",
            "calibration.json",
        ] {
            let rel = format!("sub-{sub:02}/{file}");
            assert!(
                std::fs::read(whole.join(&rel)).unwrap()
                    == std::fs::read(tasks.join(&rel)).unwrap(),
                "{rel} differs from the ensemble trained in one run"
            );
        }
    }
    let m = |d: &Path| json(&d.join("metrics.json"))["result"].to_string();
    assert_eq!(m(&whole), m(&tasks));
    let r = train(
        &dir,
        ds,
        &dir.join("x"),
        &["--ensemble-size", "3", "--member", "4"],
    )
    .fails_with(2);
    assert!(
        r.stderr.contains("numbered 1 to --ensemble-size"),
        "{}",
        r.stderr
    );
}

#[test]
fn train_refuses_a_trained_model_directory_and_overwrite_replaces_it() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let out = dir.join("m");
    let args = ["--n-folds", "2", "--n-estimators", "3"];
    train(&dir, ds, &out, &args).ok();
    let before = std::fs::read(out.join("metrics.json")).unwrap();
    let r = train(&dir, ds, &out, &["--n-folds", "2", "--n-estimators", "4"]).fails_with(4);
    assert!(
        r.stderr.contains("already holds a trained model") && r.stderr.contains("--overwrite"),
        "{}",
        r.stderr
    );
    assert_eq!(before, std::fs::read(out.join("metrics.json")).unwrap());
    let r = train(
        &dir,
        ds,
        &out,
        &["--n-folds", "2", "--n-estimators", "4", "--overwrite"],
    )
    .ok();
    assert!(
        r.stderr.contains("replacing the trained model"),
        "{}",
        r.stderr
    );
    assert_eq!(json(&out.join("train.json"))["params"]["n_estimators"], 4);
    // A directory of something else is not written into.
    let other = dir.join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let r = train(&dir, ds, &other, &args).fails_with(8);
    assert!(
        r.stderr.contains("is not a spliceforge model directory"),
        "{}",
        r.stderr
    );
    // A start that fails (no such dataset) leaves no directory behind.
    let gone = dir.join("gone");
    let r = train(&dir, &dir.join("no-such-dataset"), &gone, &args);
    assert_ne!(r.code, 0);
    assert!(!gone.exists(), "a failed start left {}", gone.display());
}

/// The files of a model directory that must not depend on interruptions, with their bytes
/// (`metrics.json` without its timings).
#[test]
fn early_stopping_keeps_each_folds_best_round_and_the_final_model_boosts_their_median() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let out = dir.join("model");
    let args = [
        "--n-estimators",
        "150",
        "--learning-rate",
        "0.6",
        "--early-stopping-rounds",
        "4",
    ];
    train(&dir, ds, &out, &args).ok();
    let m = json(&out.join("metrics.json"));
    let es = &m["early_stopping"];
    assert_eq!(es["patience"], 4);
    let rounds = |v: &serde_json::Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    };
    let boosters: Vec<&str> = es["boosters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    assert_eq!(
        boosters,
        ["neither", "donor", "acceptor"],
        "the default objective, ovr"
    );
    let folds: Vec<Vec<u64>> = es["folds"].as_array().unwrap().iter().map(rounds).collect();
    assert_eq!(folds.len(), 3);
    assert!(
        folds
            .iter()
            .all(|f| f.len() == 3 && f.iter().all(|&r| (1..=150).contains(&r)))
    );
    assert!(
        folds.iter().flatten().any(|&r| r < 150),
        "at eta 0.6 some booster stops early: {folds:?}"
    );
    // The final model boosted each booster's median over the folds, and kept every tree.
    let finals = rounds(&es["final_rounds"]);
    for (i, class) in boosters.into_iter().enumerate() {
        let mut v: Vec<u64> = folds.iter().map(|f| f[i]).collect();
        v.sort();
        assert_eq!(finals[i], v[1], "{class}: {folds:?}");
        let booster = json(&out.join(format!("model-{class}.json")));
        let trees = &booster["learner"]["gradient_booster"]["model"]["trees"];
        assert_eq!(trees.as_array().unwrap().len() as u64, finals[i], "{class}");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("## Early stopping"), "{report}");
    // Without folds there is nothing to take a median of.
    let r = train(
        &dir,
        ds,
        &dir.join("m1"),
        &["--n-folds", "1", "--early-stopping-rounds", "4"],
    )
    .fails_with(2);
    assert!(
        r.stderr.contains("needs cross-validation folds"),
        "{}",
        r.stderr
    );
}

fn model_files(out: &Path) -> HashMap<String, Vec<u8>> {
    let mut m = HashMap::new();
    for name in MODEL_FILES {
        m.insert(name.to_string(), std::fs::read(out.join(name)).unwrap());
    }
    let mut metrics = json(&out.join("metrics.json"));
    for key in ["phases", "peak_rss", "total_secs"] {
        metrics.as_object_mut().unwrap().remove(key);
    }
    m.insert("metrics.json".into(), metrics.to_string().into_bytes());
    m
}

#[test]
fn a_killed_train_resumes_after_its_finished_folds_to_the_same_model() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    // With early stopping, so that a resumed run also takes the finished folds' best rounds
    // from their checkpoints for the final model's median; with the shared cuts (the
    // default), so that a resumed run sketches the same genes again and bins like the
    // uninterrupted run.
    let args = [
        "--n-folds",
        "3",
        "--n-estimators",
        "12",
        "--early-stopping-rounds",
        "2",
        "--cuts",
        "shared",
    ];
    let reference = dir.join("ref");
    train(&dir, ds, &reference, &args).ok();
    assert!(
        !reference.join("folds").exists(),
        "checkpoints left in a finished model"
    );
    let want = model_files(&reference);

    // Killed once its first fold is checkpointed: other settings are refused, the same resume.
    let out = dir.join("killed");
    let fold_1 = out.join("folds/fold-1.parquet");
    let mut child = spawn_until_exists(
        train_cmd(&dir, ds, &out, &args),
        &fold_1,
        Duration::from_secs(120),
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let r = train(&dir, ds, &out, &["--n-folds", "3", "--n-estimators", "13"])
        .fails_with(exit::FINGERPRINT);
    assert!(
        r.stderr.contains("unfinished training run with another"),
        "{}",
        r.stderr
    );
    let r = train(&dir, ds, &out, &args).ok();
    assert!(
        r.stderr.contains("fold 1/3: already trained"),
        "{}",
        r.stderr
    );
    assert_eq!(model_files(&out), want, "resumed after fold 1");

    // Killed at random instants (folds, final model, report, memory.json), then finished.
    let out = dir.join("random");
    // A kill can land after the run wrote train.json (or as it exits): the model is complete
    // then, and the next run says so (exit 4) instead of training it again.
    let complete = |s: std::process::ExitStatus| {
        s.success()
            || (s.code() == Some(i32::from(exit::FINGERPRINT)) && out.join("train.json").exists())
    };
    let kills = crate::util::kill_until(
        5,
        200,
        4_000,
        8,
        || train_cmd(&dir, ds, &out, &args),
        complete,
    );
    assert!(kills >= 1);
    assert_eq!(model_files(&out), want, "after {kills} kills");
    assert!(!out.join("folds").exists());
}

#[test]
fn one_sketch_per_run_bins_the_folds_with_every_genes_cuts_and_leaves_the_final_model_as_it_was() {
    let (_, ds) = dataset();
    let dir = Dir::new();
    let (shared, own) = (dir.join("shared"), dir.join("own"));
    let r = train(&dir, ds, &shared, &["--cuts", "shared"]).ok();
    // Below 500,000 rows every gene is sketched, not a sample.
    assert!(
        r.stderr
            .contains("quantile cuts: sketched once on 40 genes (")
            && !r.stderr.contains("seeded sample"),
        "{}",
        r.stderr
    );
    // A set this small (below 1,000,000 rows) defaults to three boosters and per-matrix cuts.
    let r = train(&dir, ds, &own, &[]).ok();
    assert!(!r.stderr.contains("quantile cuts"), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "(fewer than 1000000): objective ovr, a quantile sketch per matrix; --objective and --cuts choose"
        ),
        "{}",
        r.stderr
    );
    // The final matrix holds every gene, sketched on the same rows either way.
    for f in [
        "model-neither.json",
        "model-donor.json",
        "model-acceptor.json",
    ] {
        assert!(
            std::fs::read(shared.join(f)).unwrap() == std::fs::read(own.join(f)).unwrap(),
            "{f}: the final model changed with the shared cuts"
        );
    }
    // The folds' matrices are binned with other cuts than their own: other out-of-fold margins.
    assert_ne!(
        std::fs::read(shared.join("calibration.json")).unwrap(),
        std::fs::read(own.join("calibration.json")).unwrap(),
        "the folds were binned with their own cuts"
    );
    // Distributed matrices sketch across the workers: asking for one sketch there is refused.
    let r = train(
        &dir,
        ds,
        &dir.join("w"),
        &["--workers", "2", "--cuts", "shared"],
    )
    .fails_with(2);
    assert!(r.stderr.contains("--cuts shared"), "{}", r.stderr);
}
