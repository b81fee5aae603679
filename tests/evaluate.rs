//! `evaluate`: an every-base prediction table judged, base beside meta. Its figures are checked
//! against scikit-learn (average precision, precision/recall/F1) and numpy (top-k with a stable
//! sort) on the same table read by pyarrow; a rerun changes nothing; an annotation's transcripts
//! give another truth; foreign and missing tables are refused with their exit codes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use spliceforge::error::exit;

use crate::util::{Dir, GTF, dataset_and_model, inputs_cmd, python, repo, run, s};

/// A dataset of eight genes, a small model trained on it, and every base of ten genes
/// predicted with it: the dataset and the table.
fn predicted_table(dir: &Dir) -> (PathBuf, PathBuf) {
    let (ds, model) = dataset_and_model(dir);
    let bases = dir.join("bases.parquet");
    run(inputs_cmd(
        dir,
        "predict",
        &[
            "--model",
            s(&model),
            "--n-genes",
            "10",
            "-q",
            "--out",
            s(&bases),
        ],
    ))
    .ok();
    (ds, bases)
}

/// Every file of an evaluation directory with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn metrics(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("metrics.json")).unwrap()).unwrap()
}

/// The Python check: every figure of `metrics.json` recomputed from the table, and each gene's
/// top-k of `genes.tsv`.
const CHECK: &str = r#"
import hashlib, json, sys
import numpy as np
import pyarrow.parquet as pq
from sklearn.metrics import average_precision_score, precision_recall_fscore_support

table, out = sys.argv[1], sys.argv[2]
m = json.load(open(out + '/metrics.json'))
t = pq.read_table(table)
assert m['rows'] == t.num_rows
assert m['predictions']['sha256'] == hashlib.sha256(open(table, 'rb').read()).hexdigest()
truth = np.array([x or 'neither' for x in t['splice_type'].to_pylist()])
predicted = np.array(t['predicted'].to_pylist())
col = lambda c: t[c].to_numpy()
bd, ba = col('base_donor'), col('base_acceptor')
assert bd.dtype == np.float32
th = np.float32(m['threshold'])
base_call = np.where((bd >= th) & (bd >= ba), 'donor', np.where(ba >= th, 'acceptor', 'neither'))
ties = 0
for ty, scores in (('donor', {'base': bd, 'meta': col('p_donor')}),
                   ('acceptor', {'base': ba, 'meta': col('p_acceptor')})):
    got = next(x for x in m['types'] if x['site_type'] == ty)
    y = truth == ty
    k = int(y.sum())
    assert got['true_sites'] == k and k > 0, (ty, got['true_sites'], k)
    for name, s in scores.items():
        g = got[name]
        ap = average_precision_score(y, s)
        assert abs(ap - g['average_precision']) <= 1e-9, (ty, name, ap, g['average_precision'])
        top = np.argsort(-s, kind='stable')[:k]
        assert y[top].sum() / k == g['top_k'], (ty, name, y[top].sum() / k, g['top_k'])
        ties += len(s) - len(np.unique(s))
        calls = (predicted if name == 'meta' else base_call) == ty
        p, r, f, _ = precision_recall_fscore_support(y, calls, average='binary', zero_division=0)
        for want, have in ((p, 'precision'), (r, 'recall'), (f, 'f1')):
            assert abs(want - g[have]) <= 1e-12, (ty, name, have, want, g[have])
        assert g['tp'] == int((calls & y).sum()) and g['fp'] == int((calls & ~y).sum())
        assert g['fn'] == int((~calls & y).sum())
# Per gene: top-k within the gene's rows.
genes = np.array(t['gene_id'].to_pylist())
lines = open(out + '/genes.tsv').read().splitlines()
head = lines[0].split('\t')
assert len(lines) - 1 == m['genes'] == len(set(genes)), (len(lines), m['genes'])
for line in lines[1:]:
    row = dict(zip(head, line.split('\t')))
    rows = genes == row['gene_id']
    assert int(row['bases']) == rows.sum()
    for ty, cols in (('donor', ('base_donor', 'p_donor')), ('acceptor', ('base_acceptor', 'p_acceptor'))):
        y = truth[rows] == ty
        k = int(y.sum())
        assert int(row[ty + 's']) == k
        for name, c in zip(('base', 'meta'), cols):
            cell = row[f'{name}_{ty}_top_k']
            if k == 0:
                assert cell == '', cell
            else:
                s = col(c)[rows]
                assert float(cell) == y[np.argsort(-s, kind='stable')[:k]].sum() / k, (row, name, ty)
print(ties)
"#;

#[test]
fn evaluate_agrees_with_sklearn_reruns_as_a_no_op_and_refuses_foreign_tables() {
    let dir = Dir::new();
    let (ds, bases) = predicted_table(&dir);
    let out = dir.join("eval");
    let evaluate = |extra: &[&str]| {
        let mut args = vec!["evaluate", "--predictions", s(&bases), "--out", s(&out)];
        args.extend_from_slice(extra);
        run(dir.cmd(&args))
    };
    let r = evaluate(&[]).ok();
    for w in [
        "donor     top-k: base",
        "acceptor  top-k: base",
        "true sites",
    ] {
        assert!(r.stdout.contains(w), "{w:?} in\n{}", r.stdout);
    }
    for f in [
        "report.md",
        "genes.tsv",
        "pr-donor.svg",
        "pr-acceptor.svg",
        "evaluation.json",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let script = dir.write("check.py", CHECK);
    let ties = python(&format!(
        "import sys; sys.argv = ['check', {:?}, {:?}]; exec(open({:?}).read())",
        s(&bases),
        s(&out),
        s(&script)
    ));
    assert!(
        ties.trim().parse::<usize>().unwrap() > 0,
        "the table has tied scores, so AP's grouping of ties is exercised (top-k's tie rule: the unit tests)"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("| site type | true sites | base top-k | meta top-k"),
        "{report}"
    );
    assert!(report.contains("![donor](pr-donor.svg)"), "{report}");
    let svg = std::fs::read_to_string(out.join("pr-donor.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("meta donor"),
        "{svg}"
    );

    // The same command again: complete, not a byte changed.
    let before = files(&out);
    let r = evaluate(&[]).ok();
    assert!(r.stdout.contains("already complete"), "{}", r.stdout);
    assert_eq!(files(&out), before);
    // Other settings into the same directory: refused, unless --overwrite.
    let r = evaluate(&["--threshold", "0.3"]).fails_with(exit::FINGERPRINT);
    assert!(r.stderr.contains("threshold: 0.5 → 0.3"), "{}", r.stderr);
    assert_eq!(files(&out), before);
    evaluate(&["--threshold", "0.3", "--overwrite"]).ok();
    assert_eq!(metrics(&out)["threshold"].as_f64(), Some(0.3));

    // The longest transcript of each gene of the annotation as the truth: no more sites than
    // the table's (every transcript of its genes), and still some.
    let longest = dir.join("eval-longest");
    let gtf = repo(GTF);
    run(dir.cmd(&[
        "evaluate",
        "--predictions",
        s(&bases),
        "--out",
        s(&longest),
        "--annotation",
        s(&gtf),
        "--transcripts",
        "longest",
    ]))
    .ok();
    let (all, fewer) = (metrics(&out), metrics(&longest));
    assert_eq!(fewer["truth"]["transcripts"], "longest");
    for t in 0..2 {
        let n = |m: &serde_json::Value| m["types"][t]["true_sites"].as_u64().unwrap();
        assert!(
            0 < n(&fewer) && n(&fewer) <= n(&all),
            "{} vs {}",
            n(&fewer),
            n(&all)
        );
        let ap = fewer["types"][t]["meta"]["average_precision"]
            .as_f64()
            .unwrap();
        assert!(ap > 0.0 && ap < 1.0, "{ap}");
    }
    assert_eq!(fewer["rows"], all["rows"]);

    // A dataset's part file is Parquet but no prediction table: not ours, nothing written.
    let part = ds.join("parts/batch-00001.parquet");
    let foreign = dir.join("eval-foreign");
    let r = run(dir.cmd(&["evaluate", "--predictions", s(&part), "--out", s(&foreign)]))
        .fails_with(exit::NOT_OURS);
    assert!(
        r.stderr.contains("is not a prediction table"),
        "{}",
        r.stderr
    );
    assert!(!foreign.exists());
    // A missing table.
    let r = run(dir.cmd(&[
        "evaluate",
        "--predictions",
        s(&dir.join("missing.parquet")),
        "--out",
        s(&foreign),
    ]))
    .fails_with(exit::NOT_FOUND);
    assert!(r.stderr.contains("--predictions"), "{}", r.stderr);
    // An output directory that holds something else (here a dataset): not ours.
    let r = run(dir.cmd(&["evaluate", "--predictions", s(&bases), "--out", s(&ds)]))
        .fails_with(exit::NOT_OURS);
    assert!(
        r.stderr.contains("not an evaluation's directory"),
        "{}",
        r.stderr
    );
}
