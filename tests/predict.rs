//! Every-base `predict`: a trained model on every base of genes of a genome and annotation,
//! without a dataset; one feature path with `predict --dataset`, every base once, resumable.

use std::path::Path;

use spliceforge::error::exit;

use crate::util::{
    Dir, build_cmd, dataset_and_model, dataset_gene_ids, inputs_cmd, kill_until_done, python, run,
    s, train_cmd,
};

#[test]
fn every_base_predictions_equal_the_dataset_rows_and_cover_every_base_of_each_gene_once() {
    let dir = Dir::new();
    let (ds, model) = dataset_and_model(&dir);
    let rows = dir.join("rows.parquet");
    run(dir.cmd(&[
        "predict",
        "--model",
        s(&model),
        "--dataset",
        s(&ds),
        "--out",
        s(&rows),
    ]))
    .ok();
    // The dataset's genes (the built-in model's reserved genes are not among them).
    let ids = dataset_gene_ids(&ds);
    let list = dir.write("genes.txt", ids);
    let bases = dir.join("bases.parquet");
    let predict = || {
        inputs_cmd(
            &dir,
            "predict",
            &[
                "--model",
                s(&model),
                "--gene-ids",
                s(&list),
                "--batch-size",
                "3",
                "-q",
                "--out",
                s(&bases),
            ],
        )
    };
    let r = run(predict()).ok();
    assert!(
        r.stdout.contains("predicted every base of 8 genes"),
        "{}",
        r.stdout
    );
    // Read back by pyarrow (an independent reader): every dataset row is in the every-base
    // table with the same probabilities and call; every base of each gene is there once.
    let report = python(&format!(
        r#"
import pyarrow.parquet as pq
rows = pq.read_table('{rows}').to_pylist()
bases = pq.read_table('{bases}').to_pylist()
genes = pq.read_table('{genes}').to_pylist()
by = {{(b['gene_id'], b['position']): b for b in bases}}
assert len(by) == len(bases), 'a base appears twice'
worst = 0.0
for r in rows:
    b = by[(r['gene_id'], r['position'])]
    for c in ('p_neither', 'p_donor', 'p_acceptor'):
        worst = max(worst, abs(r[c] - b[c]))
    assert r['predicted'] == b['predicted'], (r, b)
    assert (r['splice_type'] if r['splice_type'] != 'neither' else None) == b['splice_type'], (r, b)
    assert b['chrom'] == r['chrom'] and b['strand'] == r['strand']
assert worst <= 1e-6, worst
for g in genes:
    pos = sorted(p for (gid, p) in by if gid == g['gene_id'])
    assert pos == list(range(g['start'], g['end'] + 1)), (g['gene_id'], len(pos), g['start'], g['end'])
sites = sum(1 for b in bases if b['splice_type'] is not None)
assert sites == sum(g['sites'] for g in genes), (sites, sum(g['sites'] for g in genes))
assert all(0.0 <= b['base_donor'] <= 1.0 and 0.0 <= b['base_acceptor'] <= 1.0 for b in bases)
print(len(rows), len(bases), worst)
"#,
        rows = s(&rows),
        bases = s(&bases),
        genes = s(&ds.join("genes.parquet")),
    ));
    let n: Vec<f64> = report
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(
        n[1] > 2.0 * n[0],
        "every base gives more rows than the sampled dataset: {report}"
    );

    // The same command again: complete, nothing changes.
    let before = std::fs::read(&bases).unwrap();
    let r = run(predict()).ok();
    assert!(r.stdout.contains("already complete"), "{}", r.stdout);
    assert_eq!(std::fs::read(&bases).unwrap(), before);

    // Tracks, from the finished table, read back by a plain parser: BED6 of the called sites,
    // bedGraph per class and strand whose intervals give every base's probability.
    let (bed, prefix) = (dir.join("calls.bed"), dir.join("tracks"));
    let mut c = predict();
    c.args(["--bed", s(&bed), "--bedgraph-prefix", s(&prefix)]);
    let r = run(c).ok();
    assert!(r.stdout.contains("called sites in"), "{}", r.stdout);
    python(&format!(
        r#"
import pyarrow.parquet as pq
bases = pq.read_table('{bases}').to_pylist()
calls = [b for b in bases if b['predicted'] != 'neither']
lines = [l.split('\t') for l in open('{bed}').read().splitlines()]
assert len(lines) == len(calls) > 0, (len(lines), len(calls))
want = sorted((b['chrom'], b['position'] - 1, b['position'], b['predicted'], round(b['p_' + b['predicted']] * 1000), b['strand']) for b in calls)
got = sorted((l[0], int(l[1]), int(l[2]), l[3], int(l[4]), l[5]) for l in lines)
assert got == want, (got[:3], want[:3])
for cls in ('donor', 'acceptor'):
    for strand, name in (('+', 'fwd'), ('-', 'rev')):
        value = {{}}
        for l in open('{prefix}.' + cls + '.' + name + '.bedgraph'):
            chrom, start, end, v = l.split('\t')
            for p in range(int(start) + 1, int(end) + 1):
                assert (chrom, p) not in value
                value[(chrom, p)] = float(v)
        mine = {{}}
        for b in bases:
            if b['strand'] == strand:
                k = (b['chrom'], b['position'])
                mine[k] = max(mine.get(k, 0.0), b['p_' + cls])
        assert set(value) == set(mine), (cls, strand, len(value), len(mine))
        assert max(abs(value[k] - mine[k]) for k in mine) < 1e-6
"#,
        bases = s(&bases),
        bed = s(&bed),
        prefix = s(&prefix),
    ));

    // Killed at random instants and run again until it finishes: the same bytes.
    let resumed = dir.join("resumed.parquet");
    let again = || {
        inputs_cmd(
            &dir,
            "predict",
            &[
                "--model",
                s(&model),
                "--gene-ids",
                s(&list),
                "--batch-size",
                "1",
                "-q",
                "--out",
                s(&resumed),
            ],
        )
    };
    let kills = kill_until_done(7, 150, 600, again);
    assert!(kills >= 1);
    let fresh = dir.join("fresh.parquet");
    let mut args: Vec<String> = again()
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    *args.last_mut().unwrap() = s(&fresh).to_string();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(dir.cmd(&args)).ok();
    assert_eq!(
        std::fs::read(&resumed).unwrap(),
        std::fs::read(&fresh).unwrap(),
        "a killed and resumed every-base predict wrote other bytes ({kills} kills)"
    );

    // Two shards (as two Slurm array tasks would run them), merged: the whole run's bytes.
    for i in 0..2 {
        let mut c = predict();
        let shard = dir.join(&format!("shard{i}.parquet"));
        let args: Vec<String> = c
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        *args.last_mut().unwrap() = s(&shard);
        let spec = format!("{i}/2");
        args.extend(["--shard", spec.as_str()]);
        c = dir.cmd(&args);
        run(c).ok();
    }
    let merged = dir.join("merged.parquet");
    let (s0, s1) = (dir.join("shard0.parquet"), dir.join("shard1.parquet"));
    let r = run(dir.cmd(&["merge", "--out", s(&merged), s(&s1), s(&s0)])).ok();
    assert!(
        r.stdout.contains("merged 2 prediction tables"),
        "{}",
        r.stdout
    );
    assert_eq!(
        std::fs::read(&merged).unwrap(),
        std::fs::read(&bases).unwrap(),
        "two shards merged differ from the whole run"
    );
    let r = run(dir.cmd(&["merge", "--out", s(&dir.join("m2.parquet")), s(&s1)]))
        .fails_with(exit::SHARDS);
    assert!(r.stderr.contains("shard 0/2 is missing"), "{}", r.stderr);
    assert!(!dir.join("m2.parquet").exists());
}

#[test]
fn every_base_predict_refuses_a_model_without_its_dataset_record_and_bad_input() {
    let dir = Dir::new();
    let (_, model) = dataset_and_model(&dir);
    let out = dir.join("bases.parquet");
    let predict = |model: &Path, extra: &[&str]| {
        let mut args = vec!["--model", s(model), "--out", s(&out), "-q"];
        args.extend_from_slice(extra);
        run(inputs_cmd(&dir, "predict", &args))
    };
    // A model directory whose dataset record is gone (as from an older spliceforge).
    let old = dir.join("old-model");
    crate::util::copy_dir(&model, &old);
    std::fs::remove_file(old.join("dataset.json")).unwrap();
    let r = predict(&old, &["--n-genes", "1"]).fails_with(exit::INCOMPATIBLE);
    assert!(
        r.stderr.contains("no record of the dataset") && r.stderr.contains("--dataset"),
        "{}",
        r.stderr
    );
    assert!(!out.exists());
    // Scores imported for a model that brings its own base model: refused, exit 13.
    let scores = dir.write("scores.tsv", "chrom\tposition\tstrand\tdonor\tacceptor\n");
    let r = predict(&model, &["--n-genes", "1", "--base-scores", s(&scores)])
        .fails_with(exit::INCOMPATIBLE);
    assert!(r.stderr.contains("leave --base-scores out"), "{}", r.stderr);
    // An empty selection.
    let none = dir.write("none.txt", "# no genes\n");
    predict(&model, &["--gene-ids", s(&none)]).fails_with(exit::BAD_INPUT);
    // Neither a dataset nor a genome.
    let r =
        run(dir.cmd(&["predict", "--model", s(&model), "--out", s(&out)])).fails_with(exit::USAGE);
    assert!(
        r.stderr.contains("--dataset") && r.stderr.contains("--genome"),
        "{}",
        r.stderr
    );
}

#[test]
fn regions_without_an_annotation_need_a_model_without_structure_features_and_match_its_genes() {
    let dir = Dir::new();
    let ds = dir.join("ds");
    run(build_cmd(
        &dir,
        &ds,
        &["--n-genes", "6", "--no-structure-features"],
    ))
    .ok();
    let run_json = std::fs::read_to_string(ds.join("run.json")).unwrap();
    assert!(
        run_json.contains("\"structure_features\": false") && !run_json.contains("exon_count"),
        "the dataset records the switch and has no structure column"
    );
    let model = dir.join("model");
    run(train_cmd(&dir, &ds, &model, &[])).ok();
    // One gene of the dataset, predicted from the annotation and as a bare region on its
    // strand: the same features, the same probabilities at every base.
    let gene = python(&format!(
        "import pyarrow.parquet as pq\ng = pq.read_table('{}').to_pylist()[0]\nprint(g['gene_id'], g['chrom'], g['start'], g['end'], g['strand'])",
        s(&ds.join("genes.parquet"))
    ));
    let g: Vec<&str> = gene.split_whitespace().collect();
    let ids = dir.write("one.txt", format!("{}\n", g[0]));
    let (by_gene, by_region) = (dir.join("gene.parquet"), dir.join("region.parquet"));
    let mut c = inputs_cmd(
        &dir,
        "predict",
        &[
            "--model",
            s(&model),
            "--gene-ids",
            s(&ids),
            "-q",
            "--out",
            s(&by_gene),
        ],
    );
    run(std::mem::replace(&mut c, dir.cmd(&[]))).ok();
    let genome = crate::util::repo(crate::util::GENOME);
    let region = format!("{}:{}-{}", g[1], g[2], g[3]);
    let r = run(dir.cmd(&[
        "predict",
        "--model",
        s(&model),
        "--genome",
        s(&genome),
        "--region",
        &region,
        "--strand",
        g[4],
        "-q",
        "--out",
        s(&by_region),
    ]))
    .ok();
    assert!(r.stdout.contains("of 1 region strands"), "{}", r.stdout);
    python(&format!(
        r#"
import pyarrow.parquet as pq
a = pq.read_table('{a}').to_pylist()
b = pq.read_table('{b}').to_pylist()
assert len(a) == len(b) > 100, (len(a), len(b))
for x, y in zip(a, b):
    assert (x['position'], x['strand']) == (y['position'], y['strand'])
    assert y['splice_type'] is None
    for c in ('p_neither', 'p_donor', 'p_acceptor', 'base_donor', 'base_acceptor'):
        assert abs(x[c] - y[c]) <= 1e-6, (c, x, y)
"#,
        a = s(&by_gene),
        b = s(&by_region),
    ));

    // Both strands, a region past the contig's end (clipped, said), a BED file.
    let bed = dir.write(
        "r.bed",
        format!(
            "track name=t\n{}\t0\t500\tstart\n{}\t1348000\t1400000\tend\t0\t-\n",
            g[1], g[1]
        ),
    );
    let out = dir.join("bed.parquet");
    let r = run(dir.cmd(&[
        "predict",
        "--model",
        s(&model),
        "--genome",
        s(&genome),
        "--regions",
        s(&bed),
        "-q",
        "--out",
        s(&out),
    ]))
    .ok();
    assert!(r.stdout.contains("of 3 region strands"), "{}", r.stdout);
    // Every base of each region once per strand it was predicted on.
    python(&format!(
        r#"
import collections, pyarrow.parquet as pq
t = pq.read_table('{out}').to_pylist()
seen = collections.defaultdict(list)
for b in t:
    seen[(b['gene_id'], b['strand'])].append(b['position'])
assert sorted(seen) == [('end', '-'), ('start', '+'), ('start', '-')], sorted(seen)
for k, pos in seen.items():
    assert len(pos) == len(set(pos)) and sorted(pos) == list(range(min(pos), max(pos) + 1)), k
assert sorted(seen[('start', '+')]) == list(range(1, 501))
"#,
        out = s(&out)
    ));
    assert!(
        r.stdout
            .contains("1 region(s) clipped to their contig's end: end"),
        "{}",
        r.stdout
    );
    // A malformed line: exit 3, file and line.
    let bad = dir.write("bad.bed", format!("{}\t0\t10\n{}\tten\t20\n", g[1], g[1]));
    let r = run(dir.cmd(&[
        "predict",
        "--model",
        s(&model),
        "--genome",
        s(&genome),
        "--regions",
        s(&bad),
        "-q",
        "--out",
        s(&dir.join("x.parquet")),
    ]))
    .fails_with(exit::BAD_INPUT);
    assert!(
        r.stderr.contains("bad.bed:2:") && r.stderr.contains("start must be a whole number"),
        "{}",
        r.stderr
    );
    // A model trained with the structure features cannot predict a bare region: exit 13.
    let other = Dir::new();
    let (_, with_structure) = dataset_and_model(&other);
    let r = run(dir.cmd(&[
        "predict",
        "--model",
        s(&with_structure),
        "--genome",
        s(&genome),
        "--region",
        &region,
        "-q",
        "--out",
        s(&dir.join("y.parquet")),
    ]))
    .fails_with(exit::INCOMPATIBLE);
    assert!(r.stderr.contains("--no-structure-features"), "{}", r.stderr);
}

#[test]
fn explained_calls_carry_xgboosts_own_shap_contributions() {
    let dir = Dir::new();
    let (ds, model) = dataset_and_model(&dir);
    let ids = dataset_gene_ids(&ds);
    let list = dir.write("genes.txt", ids);
    let predict = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "--model",
            s(&model),
            "--gene-ids",
            s(&list),
            "-q",
            "--out",
            s(out),
        ];
        args.extend_from_slice(extra);
        run(inputs_cmd(&dir, "predict", &args)).ok()
    };
    let (explained, plain) = (dir.join("explained.parquet"), dir.join("plain.parquet"));
    predict(&explained, &["--explain", "4"]);
    predict(&plain, &[]);
    // The dataset's rows carry the features: Python's XGBoost computes the contributions of the
    // called class's booster on them, independently, and the table's top 4 must be those.
    let checked = python(&format!(
        r#"
import glob, json
import numpy as np, pyarrow.parquet as pq, xgboost as xgb
feats = json.load(open('{model}/features.json'))['features']
ex = pq.read_table('{explained}')
plain = pq.read_table('{plain}')
assert 'explain' not in plain.column_names and ex.column_names == plain.column_names + ['explain']
assert ex.drop_columns(['explain']).equals(plain), 'explaining changed the predictions'
by = {{(r['gene_id'], r['position']): r for r in ex.to_pylist()}}
for r in by.values():
    assert (r['explain'] is None) == (r['predicted'] == 'neither'), r
rows = pq.read_table(sorted(glob.glob('{ds}/parts/*.parquet'))).to_pylist()
X = np.array([[np.nan if r[f] is None else r[f] for f in feats] for r in rows], dtype=np.float32)
contrib = {{c: xgb.Booster(model_file='{model}/model-' + c + '.json').predict(xgb.DMatrix(X, missing=np.nan), pred_contribs=True) for c in ('donor', 'acceptor')}}
checked = 0
for i, r in enumerate(rows):
    b = by[(r['gene_id'], r['position'])]
    if b['predicted'] == 'neither':
        continue
    c = contrib[b['predicted']][i][:-1]
    got = [kv.split('=') for kv in b['explain'].split(';')]
    assert len(got) == 4, b['explain']
    vals = [float(v) for _, v in got]
    assert all(abs(vals[k]) >= abs(vals[k + 1]) for k in range(3)), b['explain']
    for name, v in got:
        assert abs(float(v) - c[feats.index(name)]) < 1e-3, (name, v, c[feats.index(name)])
    fourth = sorted(np.abs(c))[-4]
    assert all(abs(c[feats.index(n)]) >= fourth - 1e-4 for n, _ in got), (b['explain'], sorted(np.abs(c))[-4:])
    checked += 1
print(checked)
"#,
        model = s(&model),
        explained = s(&explained),
        plain = s(&plain),
        ds = s(&ds),
    ));
    let checked: usize = checked.trim().parse().unwrap();
    assert!(checked > 0, "no called site among the dataset's rows");
    // The training report sums them up: mean |contribution| per feature beside gain.
    let report = std::fs::read_to_string(model.join("report.md")).unwrap();
    assert!(
        report.contains("## Why sites are called (SHAP)"),
        "{report}"
    );
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("metrics.json")).unwrap()).unwrap();
    let shap = metrics["shap"].as_array().unwrap();
    assert!(!shap.is_empty() && metrics["shap_rows"].as_u64().unwrap() > 0);
    assert!(shap[0][1].as_f64().unwrap() + shap[0][2].as_f64().unwrap() > 0.0);
    // The dataset path has no explanations.
    let r = run(dir.cmd(&[
        "predict",
        "--model",
        s(&model),
        "--dataset",
        s(&ds),
        "--out",
        s(&dir.join("rows.parquet")),
        "--explain",
        "3",
    ]));
    r.fails_with(exit::USAGE);
}
