//! Splits by contig and the transcripts that make the labels: `train --cv chromosome` (no contig
//! in both a fold's training and held-out genes), `train --holdout-contigs` (no model sees a row
//! of them), `--contigs` and `--transcripts` in the gene selection.

use spliceforge::error::exit;

use crate::util::{Dir, python, run, s, split_genome};

/// A dataset of the three-contig genome, and the contig of each of its genes with its rows.
fn split_dataset(dir: &Dir) -> (std::path::PathBuf, Vec<(String, String, u64)>) {
    let (fa, gtf) = split_genome(dir, 3);
    let ds = dir.join("ds");
    run(dir.cmd(&[
        "builder",
        "--genome",
        s(&fa),
        "--annotation",
        s(&gtf),
        "--out",
        s(&ds),
        "-q",
    ]))
    .ok();
    let genes = python(&format!(
        "import pyarrow.parquet as pq\nt = pq.read_table('{}').to_pylist()\nfor r in t: print(r['gene_id'], r['chrom'], r['rows'])",
        s(&ds.join("genes.parquet"))
    ));
    let genes = genes
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            (w[0].to_string(), w[1].to_string(), w[2].parse().unwrap())
        })
        .collect();
    (ds, genes)
}

fn train(dir: &Dir, ds: &std::path::Path, out: &str, extra: &[&str]) -> crate::util::Run {
    let mut args = vec![
        "train",
        "--dataset",
        s(ds),
        "--out-dir",
        out,
        "--n-estimators",
        "10",
        "--learning-rate",
        "0.3",
    ];
    args.extend_from_slice(extra);
    run(dir.cmd(&args))
}

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn contig_folds_never_share_a_contig_and_held_out_contigs_are_never_trained_on() {
    let dir = Dir::new();
    let (ds, genes) = split_dataset(&dir);
    let contig_of = |id: &str| -> &str { &genes.iter().find(|g| g.0 == id).unwrap().1 };
    let contigs: std::collections::BTreeSet<&str> = genes.iter().map(|g| g.1.as_str()).collect();
    assert_eq!(contigs.len(), 3, "the split genome has genes on 3 contigs");

    // Three contigs in two folds: grouped, and no contig on both sides of a fold.
    let m = dir.join("cv");
    train(&dir, &ds, s(&m), &["--cv", "chromosome", "--n-folds", "2"]).ok();
    let folds = json(&m.join("folds.json"));
    assert_eq!(folds["n_folds"], 2);
    let listed: Vec<Vec<String>> = serde_json::from_value(folds["contigs"].clone()).unwrap();
    assert_eq!(listed.iter().map(Vec::len).sum::<usize>(), 3);
    let assigned: Vec<(String, usize)> = serde_json::from_value(folds["genes"].clone()).unwrap();
    assert_eq!(assigned.len(), genes.len());
    for (k, names) in listed.iter().enumerate() {
        let held: std::collections::BTreeSet<&str> = (assigned.iter())
            .filter(|g| g.1 == k)
            .map(|g| contig_of(&g.0))
            .collect();
        let trained: std::collections::BTreeSet<&str> = (assigned.iter())
            .filter(|g| g.1 != k)
            .map(|g| contig_of(&g.0))
            .collect();
        assert!(!held.is_empty() && !trained.is_empty(), "fold {k}");
        assert!(
            held.is_disjoint(&trained),
            "fold {k}: held out {held:?}, trained on {trained:?}"
        );
        let named: std::collections::BTreeSet<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(held, named, "folds.json's contigs of fold {k}");
    }
    assert_eq!(json(&m.join("train.json"))["cv"], "chromosome");

    // As many folds as contigs at most.
    let m5 = dir.join("cv5");
    train(&dir, &ds, s(&m5), &["--cv", "chromosome", "--n-folds", "5"]).ok();
    assert_eq!(json(&m5.join("folds.json"))["n_folds"], 3);

    // A held-out contig: in no fold, not in the final model's rows.
    let h = dir.join("holdout");
    let r = train(
        &dir,
        &ds,
        s(&h),
        &["--holdout-contigs", "chr4c", "--n-folds", "2"],
    )
    .ok();
    let info = json(&h.join("train.json"));
    assert_eq!(info["holdout_contigs"], serde_json::json!(["chr4c"]));
    let kept: Vec<&(String, String, u64)> = genes.iter().filter(|g| g.1 != "chr4c").collect();
    assert_eq!(info["genes"], kept.len(), "{}", r.stdout);
    assert_eq!(info["rows"], kept.iter().map(|g| g.2).sum::<u64>());
    let assigned: Vec<(String, usize)> =
        serde_json::from_value(json(&h.join("folds.json"))["genes"].clone()).unwrap();
    assert_eq!(assigned.len(), kept.len());
    assert!(assigned.iter().all(|g| contig_of(&g.0) != "chr4c"));
    // ... and judged every base once the model is complete.
    assert!(r.stdout.contains("held-out contigs chr4c"), "{}", r.stdout);
    let eval = json(&h.join("holdout/eval/metrics.json"));
    let held: Vec<&(String, String, u64)> = genes.iter().filter(|g| g.1 == "chr4c").collect();
    assert_eq!(eval["genes"], held.len());
    let on = python(&format!(
        "import pyarrow.parquet as pq\nt = pq.read_table('{}')\nprint(sorted(set(t['chrom'].to_pylist())), t.num_rows)",
        s(&h.join("holdout/bases.parquet"))
    ));
    assert!(on.starts_with("['chr4c']"), "{on}");
    assert_eq!(
        eval["rows"].as_u64().unwrap(),
        on.split_whitespace()
            .last()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    );
    assert!(
        eval["types"][0]["meta"]["top_k"].as_f64().is_some(),
        "{eval}"
    );

    // Refusals, before any work.
    let bad = train(&dir, &ds, s(&dir.join("x")), &["--holdout-contigs", "chrX"]);
    bad.fails_with(exit::USAGE);
    assert!(!dir.join("x").join("train.json").exists());
}

#[test]
fn one_contig_cannot_be_split_by_contig_and_contigs_select_genes() {
    let dir = Dir::new();
    let ds = dir.join("ds");
    run(crate::util::build_cmd(&dir, &ds, &["--n-genes", "6"])).ok();
    let r = train(&dir, &ds, s(&dir.join("m")), &["--cv", "chromosome"]);
    let r = r.fails_with(exit::USAGE);
    assert!(r.stderr.contains("at least 2 contigs"), "{}", r.stderr);

    let (fa, gtf) = split_genome(&dir, 3);
    let r = run(dir.cmd(&[
        "inspect",
        "--genome",
        s(&fa),
        "--annotation",
        s(&gtf),
        "--contigs",
        "chr4b",
        "--transcripts",
        "longest",
    ]))
    .ok();
    assert!(r.stdout.contains("on contig chr4b"), "{}", r.stdout);
    assert!(
        r.stdout.contains("with a longest transcript"),
        "{}",
        r.stdout
    );
    let r = run(dir.cmd(&[
        "inspect",
        "--genome",
        s(&fa),
        "--annotation",
        s(&gtf),
        "--transcripts",
        "mane",
    ]));
    let r = r.fails_with(exit::BAD_INPUT);
    assert!(r.stderr.contains("MANE_Select"), "{}", r.stderr);
}

#[test]
fn longest_transcripts_label_a_subset_of_all_sites_and_are_fingerprinted() {
    let dir = Dir::new();
    let all = dir.join("all");
    let longest = dir.join("longest");
    run(crate::util::build_cmd(&dir, &all, &["--n-genes", "10"])).ok();
    run(crate::util::build_cmd(
        &dir,
        &longest,
        &["--n-genes", "10", "--transcripts", "longest"],
    ))
    .ok();
    let sites = |d: &std::path::Path| -> u64 {
        python(&format!(
            "import pyarrow.parquet as pq\nprint(sum(pq.read_table('{}')['sites'].to_pylist()))",
            s(&d.join("genes.parquet"))
        ))
        .trim()
        .parse()
        .unwrap()
    };
    let (a, l) = (sites(&all), sites(&longest));
    assert!(l < a && l > 0, "sites: all {a}, longest {l}");
    let config = |d: &std::path::Path| json(&d.join("run.json"))["content"]["config"].clone();
    assert_eq!(config(&longest)["selection"]["transcripts"], "longest");
    assert!(config(&all)["selection"].get("transcripts").is_none());
    // Another choice into the same directory is another run: refused.
    let again =
        crate::util::build_cmd(&dir, &all, &["--n-genes", "10", "--transcripts", "longest"]);
    run(again).fails_with(exit::FINGERPRINT);
}
