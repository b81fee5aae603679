//! `variants`: SpliceAI's own golden cases, the SpliceAI CLI's output on real fly variants
//! reproduced field for field, resume after kills and shards that merge to the same bytes, and
//! every bad input the issue lists refused or counted as SpliceAI would.
//!
//! The weights (CC BY-NC 4.0) and SpliceAI's gene tables are fetched by
//! `scripts/fetch-spliceai.sh` (through `scripts/setup.sh`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use spliceforge::error::exit;

use crate::util::{
    Dir, GENOME, GTF, build_cmd, dataset_and_model, kill_until_done, repo, run, s,
    spliceai_weights, train_cmd,
};

/// The fly chromosome 4 reference set (tests/data/variants/dmel4/README.md).
const DMEL4: &str = "tests/data/variants/dmel4";

/// `variants` with the weights, quietly.
fn variants(dir: &Dir, args: &[&str]) -> Command {
    let w = spliceai_weights();
    let mut c = dir.cmd(&["variants", "-q", "--spliceai-weights", w.to_str().unwrap()]);
    c.args(args);
    c
}

/// The `SpliceAI=` value of each record (by `CHROM:POS:REF:ALT`), `None` where there is none.
fn fields(vcf: &str) -> Vec<(String, Option<String>)> {
    vcf.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let key = format!("{}:{}:{}:{}", c[0], c[1], c[3], c[4]);
            let v = c[7]
                .split(';')
                .find_map(|f| f.strip_prefix("SpliceAI="))
                .map(str::to_string);
            (key, v)
        })
        .collect()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// hg19 chr10:1–110,000 from SpliceAI's tests, with the contig named `name`.
fn golden_fasta(dir: &Dir, name: &str) -> PathBuf {
    let mut text = String::new();
    let f = std::fs::File::open(repo("tests/data/spliceai-golden/test.fa.gz")).unwrap();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(f), &mut text).unwrap();
    let body = text.split_once('\n').unwrap().1;
    dir.write(&format!("{name}.fa"), format!(">{name}\n{body}"))
}

#[test]
fn spliceai_golden_cases_reproduce_exactly_with_and_without_chr() {
    let dir = Dir::new();
    let table = spliceai_weights().join("grch37.txt");
    let expect = [
        "C|TUBB8|0.15|0.27|0.00|0.05|89|-23|-267|193",
        "T|TUBB8|0.01|0.18|0.15|0.62|-2|110|-190|0",
    ];
    for contig in ["chr10", "10"] {
        let fa = golden_fasta(&dir, contig);
        for chrom in ["chr10", "10"] {
            let vcf = dir.write(
                "in.vcf",
                format!(
                    "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n{chrom}\t94077\t.\tA\tC\t.\t.\t.\n{chrom}\t94555\t.\tC\tT\t.\t.\t.\n"
                ),
            );
            let out = dir.join(&format!("out-{contig}-{chrom}.vcf"));
            run(variants(
                &dir,
                &[
                    "--vcf",
                    vcf.to_str().unwrap(),
                    "--genome",
                    fa.to_str().unwrap(),
                    "--annotation",
                    table.to_str().unwrap(),
                    "-D",
                    "500",
                    "--out",
                    out.to_str().unwrap(),
                ],
            ))
            .ok();
            let got: Vec<Option<String>> = fields(&read(&out)).into_iter().map(|f| f.1).collect();
            assert_eq!(
                got,
                expect.map(|e| Some(e.to_string())),
                "FASTA contig {contig}, VCF CHROM {chrom}"
            );
        }
    }
}

/// TensorFlow's unrounded delta scores of the reference run (`unrounded_D*_M*.tsv`), by
/// `CHROM:POS:REF:ALT:GENE`.
fn unrounded(path: &Path) -> BTreeMap<String, [f64; 4]> {
    let mut m = BTreeMap::new();
    for l in read(path)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let c: Vec<&str> = l.split('\t').collect();
        if c.len() < 9 || c[5].parse::<f64>().is_err() {
            continue;
        }
        let v = [5, 6, 7, 8].map(|i| c[i].parse::<f64>().unwrap());
        m.insert(format!("{}:{}:{}:{}:{}", c[0], c[1], c[2], c[3], c[4]), v);
    }
    m
}

/// Whether `x` lies within 1e-5 of a two-decimal rounding boundary.
fn near_boundary(x: f64) -> bool {
    let f = (x.abs() * 100.0).fract();
    (f - 0.5).abs() < 1e-3
}

/// Compares our `SpliceAI=` values with the CLI's: identical, except ±0.01 in a score whose
/// unrounded TensorFlow value lies within 1e-5 of a rounding boundary (each case printed).
fn compare(ours: &str, cli: &str, unrounded: &BTreeMap<String, [f64; 4]>, what: &str) -> usize {
    let (a, b) = (fields(ours), fields(cli));
    assert_eq!(a.len(), b.len(), "{what}: every record is written");
    let mut scored = 0;
    for ((ka, va), (kb, vb)) in a.iter().zip(&b) {
        assert_eq!(ka, kb, "{what}: records in input order");
        match (va, vb) {
            (Some(x), Some(y)) if x != y => {
                for (ea, eb) in x.split(',').zip(y.split(',')) {
                    let (fa, fb): (Vec<&str>, Vec<&str>) =
                        (ea.split('|').collect(), eb.split('|').collect());
                    assert_eq!(fa.len(), fb.len());
                    for i in 0..fa.len() {
                        if fa[i] == fb[i] {
                            continue;
                        }
                        let parts: Vec<&str> = ka.split(':').collect();
                        let key =
                            format!("{}:{}:{}:{}:{}", parts[0], parts[1], parts[2], fa[0], fa[1]);
                        let tf = unrounded
                            .get(&key)
                            .unwrap_or_else(|| panic!("{what}: no unrounded values for {key}"));
                        let (x, y): (f64, f64) = (fa[i].parse().unwrap(), fb[i].parse().unwrap());
                        assert!(
                            (2..6).contains(&i)
                                && (x - y).abs() < 0.0101
                                && near_boundary(tf[i - 2]),
                            "{what}: {ka} {}: ours {ea}, SpliceAI {eb}",
                            fa[1]
                        );
                        eprintln!(
                            "{what}: {ka} {}: field {i} ours {} vs SpliceAI {} — TensorFlow's unrounded value {:.9} is within 1e-5 of the rounding boundary",
                            fa[1],
                            fa[i],
                            fb[i],
                            tf[i - 2]
                        );
                    }
                }
                scored += 1;
            }
            (Some(_), Some(_)) => scored += 1,
            (None, None) => {}
            _ => panic!("{what}: {ka}: ours {va:?}, SpliceAI {vb:?}"),
        }
    }
    scored
}

#[test]
fn spliceai_fields_equal_the_spliceai_cli_on_real_fly_variants() {
    let dir = Dir::new();
    let data = repo(DMEL4);
    let input = data.join("input.vcf");
    let genes = data.join("genes.txt");
    for (d, m) in [("50", "0"), ("50", "1"), ("500", "0"), ("500", "1")] {
        let out = dir.join(&format!("D{d}_M{m}.vcf"));
        let mut args = vec![
            "--vcf",
            input.to_str().unwrap(),
            "--genome",
            GENOME,
            "--annotation",
            genes.to_str().unwrap(),
            "-D",
            d,
            "--out",
            out.to_str().unwrap(),
        ];
        if m == "1" {
            args.push("--mask");
        }
        let mut c = variants(&dir, &args);
        c.current_dir(crate::util::root());
        run(c).ok();
        let cli = read(&data.join(format!("spliceai_D{d}_M{m}.vcf")));
        let tf = unrounded(&data.join(format!("unrounded_D{d}_M{m}.tsv")));
        let scored = compare(&read(&out), &cli, &tf, &format!("-D {d} -M {m}"));
        assert!(
            scored >= 100,
            "-D {d} -M {m}: only {scored} records annotated"
        );
    }
    // The GTF itself gives the same genes as the table written from it (on the first 40
    // records: the table path above covered them all).
    let some = some_records(&dir, 40);
    let out = dir.join("gtf.vcf");
    let mut c = variants(
        &dir,
        &[
            "--vcf",
            some.to_str().unwrap(),
            "--genome",
            GENOME,
            "--annotation",
            GTF,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    c.current_dir(crate::util::root());
    run(c).ok();
    let all = fields(&read(&dir.join("D50_M0.vcf")));
    assert_eq!(fields(&read(&out))[..], all[..40]);
}

/// The first `n` records of the fly reference set, with its header.
fn some_records(dir: &Dir, n: usize) -> PathBuf {
    let text = read(&repo(DMEL4).join("input.vcf"));
    let mut out = String::new();
    let mut k = 0;
    for l in text.lines() {
        if l.starts_with('#') || k < n {
            out.push_str(l);
            out.push('\n');
            k += usize::from(!l.starts_with('#'));
        }
    }
    dir.write("some.vcf", out)
}

/// `variants` over `vcf` into `out` with small chunks and the fly reference set's genes.
fn small(dir: &Dir, vcf: &Path, out: &Path, extra: &[&str]) -> Command {
    small_with(dir, vcf, out, &repo(DMEL4).join("genes.txt"), extra)
}

/// [`small`] with the genes of `a`.
fn small_with(dir: &Dir, vcf: &Path, out: &Path, a: &Path, extra: &[&str]) -> Command {
    let g = repo(GENOME);
    let mut args = vec![
        "--vcf",
        vcf.to_str().unwrap(),
        "--genome",
        g.to_str().unwrap(),
        "--annotation",
        a.to_str().unwrap(),
        "--chunk-records",
        "10",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    variants(dir, &args)
}

#[test]
fn killed_runs_resume_and_shards_merge_to_the_bytes_of_one_run_whatever_the_threads() {
    let dir = Dir::new();
    let vcf = some_records(&dir, 60);
    let one = dir.join("one.vcf");
    let r = run(small(&dir, &vcf, &one, &["--threads", "1"])).ok();
    assert!(r.stdout.is_empty() || !r.stdout.contains("error"));
    let want = std::fs::read(&one).unwrap();
    // Two threads, BGZF: the same text.
    let gz = dir.join("two.vcf.gz");
    run(small(&dir, &vcf, &gz, &["--threads", "2"])).ok();
    let mut text = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&gz).unwrap()),
        &mut text,
    )
    .unwrap();
    assert_eq!(text, want, "BGZF with 2 threads holds the same bytes");
    // Again: already complete, nothing done; other settings: refused, nothing touched.
    let again = run(small(&dir, &vcf, &one, &[])).ok();
    assert!(
        again.stdout.contains("already complete"),
        "{}",
        again.stdout
    );
    run(small(&dir, &vcf, &one, &["-D", "60"])).fails_with(exit::FINGERPRINT);
    assert_eq!(std::fs::read(&one).unwrap(), want);
    // Killed at random instants (commit steps paused), resumed to the same bytes.
    let killed = dir.join("killed.vcf");
    let kills = kill_until_done(27, 300, 2_500, || {
        let mut c = small(&dir, &vcf, &killed, &[]);
        c.env("SPLICEFORGE_TEST_PAUSE_MS", "30");
        c
    });
    assert!(kills >= 1);
    assert_eq!(std::fs::read(&killed).unwrap(), want, "after {kills} kills");
    // Three shards, then the merge; a merge before the last shard refuses.
    let sharded = dir.join("sharded.vcf");
    run(small(&dir, &vcf, &sharded, &["--shard", "0/3"])).ok();
    run(small(&dir, &vcf, &sharded, &["--shard", "2/3"])).ok();
    let early = run(small(&dir, &vcf, &sharded, &["--merge"])).fails_with(exit::SHARDS);
    assert!(early.stderr.contains("not committed"), "{}", early.stderr);
    assert!(!sharded.exists());
    run(small(&dir, &vcf, &sharded, &["--shard", "1/3"])).ok();
    run(small(&dir, &vcf, &sharded, &["--merge"])).ok();
    assert_eq!(std::fs::read(&sharded).unwrap(), want, "shards + merge");
}

/// The `INFO` field `key` of each record that has it (by `CHROM:POS:REF:ALT`).
fn info_field(vcf: &str, key: &str) -> Vec<(String, Option<String>)> {
    let prefix = format!("{key}=");
    vcf.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let v = c[7]
                .split(';')
                .find_map(|f| f.strip_prefix(prefix.as_str()))
                .map(str::to_string);
            (format!("{}:{}:{}:{}", c[0], c[1], c[3], c[4]), v)
        })
        .collect()
}

/// The highest loss score (DS_AL, DS_DL) of a field's scored entries.
fn max_loss(field: &str) -> f64 {
    (field.split(','))
        .map(|e| e.split('|').collect::<Vec<_>>())
        .filter(|p| p[2] != ".")
        .map(|p| p[3].parse::<f64>().unwrap().max(p[5].parse().unwrap()))
        .fold(0.0, f64::max)
}

#[test]
fn a_meta_model_adds_its_corrected_deltas_beside_spliceais_unchanged_fields() {
    let dir = Dir::new();
    let w = spliceai_weights();
    // A meta-model on SpliceAI's scores (all five networks) of 20 fly genes.
    let ds = dir.join("spliceai-ds");
    run(build_cmd(
        &dir,
        &ds,
        &[
            "--n-genes",
            "20",
            "--base-model",
            "spliceai",
            "--spliceai-weights",
            s(&w),
        ],
    ))
    .ok();
    let model = dir.join("spliceai-model");
    run(train_cmd(&dir, &ds, &model, &[])).ok();
    // The reference set's SNVs at canonical dinucleotides and deep in introns.
    let data = repo(DMEL4);
    let category: BTreeMap<String, String> = read(&data.join("categories.tsv"))
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(p, c)| {
            (
                p.to_string(),
                c.split(['(', '\t']).next().unwrap().to_string(),
            )
        })
        .collect();
    let canonical = |c: &str| {
        c.starts_with("splice-")
            && ["donor+1", "donor+2", "acceptor-1", "acceptor-2"]
                .iter()
                .any(|e| c.ends_with(e))
    };
    let kept = |c: &str| canonical(c) || c == "deep-intronic";
    let pos_of = |l: &str| l.split('\t').nth(1).unwrap_or("").to_string();
    let keep_line =
        |l: &&str| l.starts_with('#') || category.get(&pos_of(l)).is_some_and(|c| kept(c));
    let input: String = (read(&data.join("input.vcf")).lines())
        .filter(keep_line)
        .map(|l| format!("{l}\n"))
        .collect();
    let vcf = dir.write("sites.vcf", input);
    let cli: String = (read(&data.join("spliceai_D50_M0.vcf")).lines())
        .filter(keep_line)
        .map(|l| format!("{l}\n"))
        .collect();
    // The GTF's genes (the CLI's table was written from it): each has its gene model, which
    // the structure features read.
    let gtf = repo(GTF);
    let with_model = ["--model", s(&model), "--threads", "2"];
    let out = dir.join("meta.vcf");
    let mut c = small_with(&dir, &vcf, &out, &gtf, &with_model);
    c.current_dir(crate::util::root());
    let r = run(c).ok();
    assert!(
        r.stdout.contains("corrected (SpliceForge=)"),
        "{}",
        r.stdout
    );
    let text = read(&out);
    // SpliceAI= is still SpliceAI's own (the CLI's output, record for record).
    let tf = unrounded(&data.join("unrounded_D50_M0.tsv"));
    let scored = compare(&text, &cli, &tf, "with --model");
    assert!(scored >= 35, "{scored} records annotated");
    // The header describes the second field; every annotated record has it, entry for entry
    // (the same ALLELE|SYMBOL, scores in [0, 1], positions within ±D).
    let header = text
        .lines()
        .find(|l| l.starts_with("##INFO=<ID=SpliceForge,"));
    let header = header.expect("the SpliceForge header line");
    assert!(
        header.contains("Format: ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL\">")
    );
    let (ai, forge) = (fields(&text), info_field(&text, "SpliceForge"));
    let (mut canon, mut other) = (Vec::new(), Vec::new());
    for ((key, a), (_, f)) in ai.iter().zip(&forge) {
        let (Some(a), Some(f)) = (a, f) else {
            assert_eq!(a.is_some(), f.is_some(), "{key}");
            continue;
        };
        let (ea, ef): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), f.split(',').collect());
        assert_eq!(ea.len(), ef.len(), "{key}: {a} / {f}");
        for (x, y) in ea.iter().zip(&ef) {
            let (px, py): (Vec<&str>, Vec<&str>) = (x.split('|').collect(), y.split('|').collect());
            assert_eq!(px[..2], py[..2], "{key}");
            assert_eq!(py.len(), 10, "{key}: {y}");
            for v in &py[2..6] {
                let v: f64 = v.parse().unwrap_or_else(|_| panic!("{key}: {y}"));
                assert!((0.0..=1.0).contains(&v.abs()), "{key}: {y}");
            }
            for v in &py[6..] {
                let v: i64 = v.parse().unwrap_or_else(|_| panic!("{key}: {y}"));
                assert!(v.abs() <= 50, "{key}: {y}");
            }
        }
        let pos = key.split(':').nth(1).unwrap();
        if canonical(&category[pos]) {
            canon.push(max_loss(f));
        } else {
            other.push(max_loss(f));
        }
    }
    // What the model learned shows: breaking a canonical GT/AG is a loss, a random SNV is not.
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(
        canon.len() >= 15 && other.len() >= 15,
        "{} / {}",
        canon.len(),
        other.len()
    );
    assert!(
        mean(&canon) >= 0.3 && mean(&canon) >= 5.0 * mean(&other),
        "the meta-model's loss scores: canonical sites {:.3}, other SNVs {:.3}",
        mean(&canon),
        mean(&other)
    );
    // Two shards, on one thread and on two, merged: the same bytes.
    let sharded = dir.join("sharded.vcf");
    for (shard, threads) in [("0/2", "1"), ("1/2", "2")] {
        let args = ["--model", s(&model), "--threads", threads, "--shard", shard];
        run(small_with(&dir, &vcf, &sharded, &gtf, &args)).ok();
    }
    let args = ["--model", s(&model), "--merge"];
    run(small_with(&dir, &vcf, &sharded, &gtf, &args)).ok();
    assert_eq!(read(&sharded), text, "shards + merge with a meta-model");
    // Without the model: the run is another (refused on the same output), and its
    // SpliceAI= fields are the same.
    run(small_with(&dir, &vcf, &out, &gtf, &[])).fails_with(exit::FINGERPRINT);
    // A model of the built-in base model is refused before anything is written.
    let (_, builtin) = dataset_and_model(&dir);
    let refused = dir.join("refused.vcf");
    let r =
        run(small(&dir, &vcf, &refused, &["--model", s(&builtin)])).fails_with(exit::INCOMPATIBLE);
    assert!(
        r.stderr.contains("builder --base-model spliceai"),
        "{}",
        r.stderr
    );
    assert!(!refused.exists() && !dir.join("refused.vcf.work").exists());
}

/// A minimal VCF on the fly contig with `body` records.
fn vcf_of(dir: &Dir, name: &str, body: &str) -> PathBuf {
    dir.write(
        name,
        format!(
            "##fileformat=VCFv4.2\n##contig=<ID=NC_004353.4>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n{body}"
        ),
    )
}

#[test]
fn bad_inputs_are_refused_with_file_and_line_or_counted_as_spliceai_does() {
    let dir = Dir::new();
    let out = dir.join("out.vcf");
    let o = out.to_str().unwrap();
    let go = |vcf: &Path, extra: &[&str]| {
        let mut args = vec!["--vcf", vcf.to_str().unwrap(), "--out", o];
        args.extend_from_slice(extra);
        small(&dir, Path::new(args[1]), &out, &args[4..])
    };
    // A malformed line: exit 3 naming the file and the line; nothing written.
    let bad = vcf_of(
        &dir,
        "bad.vcf",
        "NC_004353.4\t36512\t.\tT\tTTAGG\t.\t.\t.\nNC_004353.4\tx\t.\tA\tC\t.\t.\t.\n",
    );
    let r = run(go(&bad, &[])).fails_with(exit::BAD_INPUT);
    assert!(r.stderr.contains("bad.vcf:5:"), "{}", r.stderr);
    assert!(!out.exists());
    // No header.
    let nohead = dir.write("nohead.vcf", "NC_004353.4\t36512\t.\tT\tC\t.\t.\t.\n");
    let r = run(go(&nohead, &[])).fails_with(exit::BAD_INPUT);
    assert!(
        r.stderr.contains("nohead.vcf") && r.stderr.contains("header"),
        "{}",
        r.stderr
    );
    // A truncated BGZF: a BGZF file written by ourselves (one record outside every gene, so
    // nothing to score) without its end-of-file block.
    let one = vcf_of(&dir, "one.vcf", "NC_004353.4\t1330818\t.\tT\tG\t.\t.\t.\n");
    let bgzf = dir.join("one.vcf.gz");
    run(small(&dir, &one, &bgzf, &[])).ok();
    let bytes = std::fs::read(&bgzf).unwrap();
    let cut = dir.write("cut.vcf.gz", &bytes[..bytes.len() - 28]);
    let r = run(go(&cut, &[])).fails_with(exit::BAD_INPUT);
    assert!(r.stderr.contains("cut.vcf.gz"), "{}", r.stderr);
    assert!(!out.exists());
    // An annotation in neither format.
    let junk = dir.write("junk.txt", "this is not an annotation\n");
    let mut c = variants(&dir, &["--vcf", one.to_str().unwrap(), "--out", o]);
    c.args(["--genome", repo(GENOME).to_str().unwrap()]);
    c.args(["--annotation", junk.to_str().unwrap()]);
    let r = run(c).fails_with(exit::BAD_INPUT);
    assert!(r.stderr.contains("junk.txt"), "{}", r.stderr);
    // Counted, not refused: a contig missing from the FASTA, gVCF <NON_REF>, a REF longer than
    // 2·D, a 10 kb insertion, an MNV; unsorted input works and says so once.
    let long_ref = "A".repeat(200);
    let ins = format!("T{}", "ACGT".repeat(2_500));
    let body = format!(
        "NC_004353.4\t43133\t.\tC\tG,<NON_REF>\t.\t.\t.\nchrUn\t7000\t.\tA\tC\t.\t.\t.\nNC_004353.4\t36512\t.\tT\t{ins}\t.\t.\t.\nNC_004353.4\t36000\t.\t{long_ref}\tA\t.\t.\t.\nNC_004353.4\t195350\t.\tTC\tAT\t.\t.\t.\n"
    );
    let odd = vcf_of(&dir, "odd.vcf", &body);
    // chrUn has a gene in this table, and no sequence in the FASTA.
    let mut table = read(&repo(DMEL4).join("genes.txt"));
    table.push_str("UnGene\tchrUn\t+\t10\t9000\t10,\t9000,\n");
    let table = dir.write("genes.txt", table);
    let r = run(small_with(&dir, &odd, &out, &table, &[])).ok();
    assert!(r.stdout.contains("not sorted"), "{}", r.stdout);
    assert!(
        r.stdout.contains("contig not in the FASTA: 1 record"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("REF differs from the genome")
            || r.stdout.contains("REF longer than 2·D"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("alleles skipped (symbolic, '*', '.' or '-'): 1"),
        "{}",
        r.stdout
    );
    let f = fields(&read(&out));
    assert_eq!(f.len(), 5, "every record written");
    assert!(
        f[0].1
            .as_deref()
            .is_some_and(|v| v.starts_with("G|") && !v.contains("NON_REF"))
    );
    assert_eq!(f[1].1, None);
    assert!(
        f[2].1
            .as_deref()
            .is_some_and(|v| v.starts_with(&format!("{ins}|")))
    );
    assert_eq!(f[3].1, None);
    assert!(
        f[4].1
            .as_deref()
            .is_some_and(|v| v.ends_with("|.|.|.|.|.|.|.|."))
    );
}
