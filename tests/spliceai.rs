//! SpliceAI as a base model: exact against an independent numpy forward pass, the same bits
//! whatever the tile and thread count, builds that resume after kills, and clear refusals.
//!
//! The weights (CC BY-NC 4.0) are fetched by `scripts/setup.sh` through
//! `scripts/fetch-spliceai.sh`; these tests fail, saying so, when they cannot be had.

use std::path::Path;
use std::process::Command;

use spliceforge::basemodel::spliceai::SpliceAi;
use spliceforge::error::exit;

use crate::util::{Dir, GENOME, dataset_files, inputs_cmd, kill_until_done, python_cmd, repo, run};

use crate::util::spliceai_weights as weights;

/// A plus-strand gene within 5 kb of the contig's start, and a minus-strand gene.
const GENES: &str = "Dmel_CG45760\nDmel_CG17245\n";

/// `score` with SpliceAI's weights `w` into `out`, quietly, with the selection and settings
/// `args`.
fn spliceai_score(dir: &Dir, w: &Path, out: &str, args: &[&str]) -> Command {
    let mut all = args.to_vec();
    all.extend(["--base-model", "spliceai", "--spliceai-weights"]);
    all.extend([w.to_str().unwrap(), "--out", out, "-q"]);
    crate::util::inputs_cmd(dir, "score", &all)
}

/// `score` of the two [`GENES`], with `extra` settings.
fn score_cmd(dir: &Dir, w: &Path, out: &str, extra: &[&str]) -> Command {
    let ids = dir.write("ids.txt", GENES);
    let mut args = vec!["--gene-ids", ids.to_str().unwrap()];
    args.extend_from_slice(extra);
    spliceai_score(dir, w, out, &args)
}

#[test]
fn scores_equal_an_independent_numpy_forward_pass_on_both_strands() {
    let dir = Dir::new();
    let w = weights();
    let r = run(score_cmd(
        &dir,
        &w,
        "s.parquet",
        &["--spliceai-models", "2"],
    ))
    .ok();
    assert!(r.stdout.contains("scored 2 genes"), "{}", r.stdout);
    let o = python_cmd()
        .arg(repo("tests/spliceai_ref.py"))
        .args(["--weights", w.to_str().unwrap(), "--models", "1,2"])
        .args(["--fasta", repo(GENOME).to_str().unwrap()])
        .args([
            "--check",
            dir.join("s.parquet").to_str().unwrap(),
            "--tol",
            "1e-4",
        ])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "numpy reference disagrees:\n{text}");
    // Both genes were compared, every position of each (gene ± 250 nt flank).
    assert!(text.contains("overall: 2 genes"), "{text}");
}

#[test]
fn scores_are_bit_identical_whatever_the_tile_length_and_thread_count() {
    let dir = Dir::new();
    let w = weights();
    // Library: one 30 kb stretch of chromosome 4, tiles of three lengths.
    let mut reader = spliceforge::genome::fasta::Reader::open(&repo(GENOME)).unwrap();
    let contig = reader.next_contig().unwrap().unwrap();
    let seq = &contig.seq[100_000..100_000 + 30_000 + 10_000];
    let one = |tile: usize, threads: usize| {
        SpliceAi::load(&w, 1)
            .unwrap()
            .with_tile(tile)
            .with_threads(threads)
            .score_padded(seq)
    };
    let long = one(50_000, 1);
    assert_eq!(long.len(), 30_000);
    assert!(
        long.donor.iter().any(|&p| p > 0.5),
        "no donor call in 30 kb"
    );
    for (tile, threads) in [(9_999, 2), (1_234, 1), (1_234, 3)] {
        let s = one(tile, threads);
        let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(
            same(&s.donor, &long.donor) && same(&s.acceptor, &long.acceptor),
            "tile {tile}, {threads} threads"
        );
    }
    // Command: one thread or two write the same bytes.
    for t in ["1", "2"] {
        run(score_cmd(
            &dir,
            &w,
            &format!("t{t}.parquet"),
            &["--spliceai-models", "1", "--threads", t],
        ))
        .ok();
    }
    assert_eq!(
        std::fs::read(dir.join("t1.parquet")).unwrap(),
        std::fs::read(dir.join("t2.parquet")).unwrap()
    );
    // A finished output is recognised; other settings are refused (exit 4).
    let r = run(score_cmd(
        &dir,
        &w,
        "t1.parquet",
        &["--spliceai-models", "1"],
    ))
    .ok();
    assert!(r.stdout.contains("already complete"), "{}", r.stdout);
    let r = run(score_cmd(
        &dir,
        &w,
        "t1.parquet",
        &["--spliceai-models", "2"],
    ))
    .fails_with(4);
    assert!(r.stderr.contains("t1.parquet"), "{}", r.stderr);
}

fn build(dir: &Dir, w: &Path, out: &Path, models: &str, extra: &[&str]) -> Command {
    let mut args = vec![
        "--n-genes",
        "6",
        "--batch-size",
        "2",
        "--base-model",
        "spliceai",
    ];
    args.extend([
        "--spliceai-models",
        models,
        "--spliceai-weights",
        w.to_str().unwrap(),
    ]);
    args.extend_from_slice(extra);
    crate::util::build_cmd(dir, out, &args)
}

#[test]
fn spliceai_builds_resume_after_kills_to_identical_bytes_and_refuse_changed_weights() {
    let dir = Dir::new();
    let w = weights();
    let reference = dir.join("ref");
    let r = run(build(&dir, &w, &reference, "1", &[])).ok();
    assert!(
        r.stdout.contains("for the spliceai base model"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("base model"), "{}", r.stdout);
    let want = dataset_files(&reference);

    let out = dir.join("killed");
    let kills = kill_until_done(7, 300, 2_500, || {
        let mut c = build(&dir, &w, &out, "1", &["--threads", "2"]);
        c.env("SPLICEFORGE_TEST_PAUSE_MS", "15");
        c
    });
    assert_eq!(
        dataset_files(&out),
        want,
        "resumed build differs ({kills} kills)"
    );

    // Other weights: another number of networks, or a changed weights file, refuse a resume.
    run(build(&dir, &w, &reference, "2", &[])).fails_with(4);
    let copy = dir.join("weights");
    std::fs::create_dir(&copy).unwrap();
    for f in spliceforge::basemodel::spliceai::FILES {
        std::fs::copy(w.join(f), copy.join(f)).unwrap();
    }
    let mut bytes = std::fs::read(copy.join("spliceai1.h5")).unwrap();
    bytes.push(0);
    std::fs::write(copy.join("spliceai1.h5"), bytes).unwrap();
    let r = run(build(&dir, &copy, &reference, "1", &[])).fails_with(4);
    assert!(
        r.stderr.contains("spliceai_weights changed"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_truncated_foreign_and_non_spliceai_weights_are_refused_with_the_fix() {
    let dir = Dir::new();
    let w = weights();
    let score =
        |weights: &Path, out: &str| run(score_cmd(&dir, weights, out, &["--spliceai-models", "1"]));

    let r = score(&dir.join("nowhere"), "a.parquet").fails_with(exit::NOT_FOUND);
    assert!(
        r.stderr.contains("does not exist") && r.stderr.contains("scripts/fetch-spliceai.sh"),
        "{}",
        r.stderr
    );
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let r = score(&empty, "a.parquet").fails_with(exit::NOT_FOUND);
    assert!(r.stderr.contains("spliceai1.h5 is missing"), "{}", r.stderr);

    let bad = dir.join("bad");
    std::fs::create_dir(&bad).unwrap();
    let original = std::fs::read(w.join("spliceai1.h5")).unwrap();
    std::fs::write(bad.join("spliceai1.h5"), &original[..original.len() / 3]).unwrap();
    let r = score(&bad, "a.parquet").fails_with(exit::DAMAGED);
    assert!(
        r.stderr.contains("spliceai1.h5") && r.stderr.contains("re-fetch"),
        "{}",
        r.stderr
    );

    std::fs::write(bad.join("spliceai1.h5"), "chrom\tposition\n").unwrap();
    let r = score(&bad, "a.parquet").fails_with(exit::DAMAGED);
    assert!(
        r.stderr.contains("not a readable HDF5 file"),
        "{}",
        r.stderr
    );

    // A Keras model whose crop no longer matches the receptive field is not SpliceAI.
    let edited = bad.join("spliceai1.h5");
    std::fs::copy(w.join("spliceai1.h5"), &edited).unwrap();
    let script = format!(
        "import h5py, json\nf = h5py.File({:?}, 'r+')\nc = json.loads(f.attrs['model_config'])\nfor l in c['config']['layers']:\n    if l['class_name'] == 'Cropping1D': l['config']['cropping'] = [4000, 4000]\nf.attrs['model_config'] = json.dumps(c)\nf.close()\n",
        edited.to_str().unwrap()
    );
    crate::util::python(&script);
    let r = score(&bad, "a.parquet").fails_with(exit::DAMAGED);
    assert!(
        r.stderr.contains("not a SpliceAI network") && r.stderr.contains("crop (4000)"),
        "{}",
        r.stderr
    );
    // Nothing was written by any of these, nor by a builder pointed at missing weights.
    assert!(!dir.join("a.parquet").exists() && !dir.join("a.parquet.work").exists());
    let out = dir.join("never");
    run(build(&dir, &dir.join("nowhere"), &out, "1", &[])).fails_with(exit::NOT_FOUND);
    assert!(!out.exists(), "a failed start left {}", out.display());

    for n in ["0", "6"] {
        let r = run(score_cmd(&dir, &w, "b.parquet", &["--spliceai-models", n])).fails_with(2);
        assert!(r.stderr.contains("--spliceai-models"), "{}", r.stderr);
    }
    let r = run(inputs_cmd(
        &dir,
        "score",
        &["--base-model", "spliceai", "--out", "c.parquet"],
    ))
    .fails_with(2);
    assert!(
        r.stderr.contains("scripts/fetch-spliceai.sh"),
        "{}",
        r.stderr
    );
}

#[test]
fn neighbouring_genes_scored_in_one_window_get_the_scores_they_get_alone() {
    let dir = Dir::new();
    let w = weights();
    // Two minus-strand genes 1.5 kb apart (one window) and a plus-strand gene.
    let ids = |name: &str, list: &str| dir.write(name, list).to_str().unwrap().to_string();
    let sets = [
        (
            "both",
            ids("both.txt", "Dmel_CG31997\nDmel_CG33978\nDmel_CG45760\n"),
        ),
        ("one", ids("one.txt", "Dmel_CG31997\n")),
        ("two", ids("two.txt", "Dmel_CG33978\n")),
    ];
    for (name, list) in &sets {
        let out = format!("{name}.parquet");
        let args = ["--gene-ids", list, "--spliceai-models", "1"];
        run(spliceai_score(&dir, &w, &out, &args)).ok();
    }
    let script = format!(
        "import pyarrow.parquet as pq\nd = {:?}\nboth = pq.read_table(d + '/both.parquet').to_pydict()\nkey = lambda t: {{(g, p): (x, y) for g, p, x, y in zip(t['gene_id'], t['position'], t['donor'], t['acceptor'])}}\nb = key(both)\nn = 0\nfor f in ['one', 'two']:\n    for k, v in key(pq.read_table(d + '/' + f + '.parquet').to_pydict()).items():\n        assert b[k] == v, (f, k, b[k], v)\n        n += 1\nprint(n)\n",
        dir.path().to_str().unwrap()
    );
    let n: usize = crate::util::python(&script).trim().parse().unwrap();
    assert!(n > 10_000, "compared only {n} positions");
}

#[test]
fn a_killed_score_run_resumes_to_the_same_file() {
    let dir = Dir::new();
    let w = weights();
    let ids = dir.write(
        "four.txt",
        "Dmel_CG45760\nDmel_CG17245\nDmel_CG31997\nDmel_CG33978\n",
    );
    let cmd = |out: &str| {
        let args = ["--gene-ids", ids.to_str().unwrap(), "--batch-size", "1"];
        spliceai_score(
            &dir,
            &w,
            out,
            &[&args[..], &["--spliceai-models", "1"]].concat(),
        )
    };
    run(cmd("ref.parquet")).ok();
    let kills = kill_until_done(11, 100, 1_500, || cmd("k.parquet"));
    assert!(kills >= 1, "no kill landed");
    assert_eq!(
        std::fs::read(dir.join("k.parquet")).unwrap(),
        std::fs::read(dir.join("ref.parquet")).unwrap(),
        "{kills} kills"
    );
    assert!(!dir.join("k.parquet.work").exists());
}

#[test]
fn scores_from_the_score_command_build_the_same_parts_as_spliceai_itself() {
    let dir = Dir::new();
    let w = weights();
    // The same genes and batches as `build` (6 genes, batches of 2).
    let common = ["--n-genes", "6", "--batch-size", "2"];
    let args = [&common[..], &["--spliceai-models", "1"]].concat();
    run(spliceai_score(&dir, &w, "s.parquet", &args)).ok();
    let direct = dir.join("direct");
    run(build(&dir, &w, &direct, "1", &[])).ok();
    let imported = dir.join("imported");
    let scores = dir.join("s.parquet");
    let mut args = common.to_vec();
    args.extend(["--base-scores", scores.to_str().unwrap()]);
    let r = run(crate::util::build_cmd(&dir, &imported, &args)).ok();
    assert!(
        r.stdout.contains("for the imported base model"),
        "{}",
        r.stdout
    );
    let (a, b) = (dataset_files(&direct), dataset_files(&imported));
    for (name, bytes) in &a {
        if name.starts_with("parts/") || name == "genes.parquet" {
            assert!(b.get(name) == Some(bytes), "{name} differs");
        }
    }
}
