//! `inspect` on the embedded data, and every bad-input case of issue 2.

use std::io::Write;
use std::path::Path;

use crate::util::{Dir, GENOME, GFF, GTF, repo, run};

const BAD_INPUT: i32 = 3;

fn inspect(dir: &Dir, genome: &str, annotation: &str, extra: &[&str]) -> crate::util::Run {
    let a = if annotation.starts_with("data/") {
        repo(annotation)
    } else {
        dir.join(annotation)
    };
    inspect_paths(dir, &repo(genome), &a, extra)
}

/// `inspect --genome G --annotation A` with `extra` flags.
fn inspect_paths(dir: &Dir, g: &Path, a: &Path, extra: &[&str]) -> crate::util::Run {
    let mut args = vec![
        "inspect",
        "--genome",
        g.to_str().unwrap(),
        "--annotation",
        a.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(dir.cmd(&args))
}

#[test]
fn inspect_reports_the_documented_figures_for_data() {
    let dir = Dir::new();
    for ann in [GTF, GFF] {
        let out = inspect(&dir, GENOME, ann, &[]).ok().stdout;
        for want in [
            "1348131 bp",
            "genes                            107",
            "transcripts                      338",
            "multi-exon transcripts           316",
            "genes with introns                93",
            "distinct introns                 899",
            "GT-AG                          885   98.44 %",
        ] {
            assert!(out.contains(want), "{ann}: {want:?} missing from\n{out}");
        }
    }
}

#[test]
fn json_report_is_the_same_for_gtf_and_gff3() {
    let dir = Dir::new();
    let parse = |ann| -> serde_json::Value {
        serde_json::from_str(&inspect(&dir, GENOME, ann, &["--json"]).ok().stdout).unwrap()
    };
    let (a, b) = (parse(GTF), parse(GFF));
    for key in [
        "genes",
        "transcripts",
        "distinct_introns",
        "dinucleotides",
        "biotypes",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
}

#[test]
fn selection_filters_and_samples_deterministically() {
    let dir = Dir::new();
    let sel = |extra: &[&str]| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(
            &inspect(&dir, GENOME, GTF, &[&["--json"], extra].concat())
                .ok()
                .stdout,
        )
        .unwrap();
        v["selection"].clone()
    };
    let last = |v: &serde_json::Value| v.as_array().unwrap().last().unwrap()[1].as_u64().unwrap();
    assert_eq!(last(&sel(&[])), 93);
    assert_eq!(last(&sel(&["--no-require-introns"])), 107);
    assert_eq!(last(&sel(&["--gene-types", "protein_coding"])), 79);
    assert_eq!(
        last(&sel(&[
            "--gene-types",
            "protein_coding",
            "--no-require-introns"
        ])),
        80
    );
    assert_eq!(last(&sel(&["--n-genes", "10"])), 10);
    assert_eq!(last(&sel(&["--n-genes", "1000"])), 93);
    let ids = dir.write(
        "ids.txt",
        "# two genes\nDmel_CG17245\n\nDmel_CG45760 extra words\n",
    );
    assert_eq!(last(&sel(&["--gene-ids", ids.to_str().unwrap()])), 2);
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

const EXON: &str =
    "NC_004353.4\tt\texon\t100\t200\t.\t+\t.\tgene_id \"g1\"; transcript_id \"t1\";\n";
const EXON2: &str =
    "NC_004353.4\tt\texon\t300\t400\t.\t+\t.\tgene_id \"g1\"; transcript_id \"t1\";\n";

#[test]
fn malformed_gtf_lines_give_file_and_line() {
    let dir = Dir::new();
    let cases: [(&str, String, &str); 4] = [
        (
            "cols.gtf",
            format!("{EXON}NC_004353.4\tt\texon\t1\t2\n"),
            "cols.gtf:2: expected 9 tab-separated columns",
        ),
        (
            "coord.gtf",
            format!("{EXON}{}", EXON2.replace("\t300\t", "\tabc\t")),
            "coord.gtf:2: start must be a positive whole number",
        ),
        (
            "order.gtf",
            format!("{}{EXON2}", EXON.replace("\t100\t200\t", "\t500\t200\t")),
            "order.gtf:1: start 500 is after end 200",
        ),
        (
            "strand.gtf",
            format!("{EXON}{}", EXON2.replace("\t+\t", "\t*\t")),
            "strand.gtf:2: strand must be one of + - . ?",
        ),
    ];
    for (name, text, want) in cases {
        dir.write(name, text);
        let r = inspect(&dir, GENOME, name, &[]).fails_with(BAD_INPUT);
        assert!(
            r.stderr.contains(want),
            "{name}: want {want:?} in {}",
            r.stderr
        );
    }
}

#[test]
fn exon_outside_its_contig_is_refused() {
    let dir = Dir::new();
    dir.write(
        "far.gtf",
        format!(
            "{EXON}{}",
            EXON2.replace("\t300\t400\t", "\t2000000\t2000100\t")
        ),
    );
    let r = inspect(&dir, GENOME, "far.gtf", &[]).fails_with(BAD_INPUT);
    assert!(
        r.stderr
            .contains("extends past the end of contig NC_004353.4 (length 1348131)"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_contig_is_an_error_unless_skipped() {
    let dir = Dir::new();
    let other = format!(
        "{}{}",
        EXON.replace("NC_004353.4", "chrX").replace("g1", "g2"),
        EXON2.replace("NC_004353.4", "chrX").replace("g1", "g2")
    );
    dir.write("missing.gtf", format!("{EXON}{EXON2}{other}"));
    let r = inspect(&dir, GENOME, "missing.gtf", &[]).fails_with(BAD_INPUT);
    assert!(
        r.stderr.contains("contig chrX, which is not in the genome"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--skip-missing-contigs"), "{}", r.stderr);
    let r = inspect(&dir, GENOME, "missing.gtf", &["--skip-missing-contigs"]).ok();
    assert!(
        r.stdout
            .contains("1 gene(s) skipped because their contig is not in the FASTA"),
        "{}",
        r.stdout
    );
}

#[test]
fn empty_and_truncated_files_are_refused() {
    let dir = Dir::new();
    dir.write("empty.gtf", "");
    let r = inspect(&dir, GENOME, "empty.gtf", &[]).fails_with(BAD_INPUT);
    assert!(r.stderr.contains("empty.gtf is empty"), "{}", r.stderr);
    dir.write("comments.gtf", "#only a comment\n");
    inspect(&dir, GENOME, "comments.gtf", &[]).fails_with(BAD_INPUT);

    let full = std::fs::read(repo(GTF)).unwrap();
    dir.write("cut.gtf.gz", &full[..full.len() / 2]);
    let r = inspect(&dir, GENOME, "cut.gtf.gz", &[]).fails_with(BAD_INPUT);
    assert!(
        r.stderr.contains("may be truncated or corrupt"),
        "{}",
        r.stderr
    );

    let fasta = std::fs::read(repo(GENOME)).unwrap();
    let cut = dir.write("cut.fna.gz", &fasta[..fasta.len() - 1000]);
    let g = cut.to_str().unwrap();
    let a = repo(GTF);
    let r = run(dir.cmd(&[
        "inspect",
        "--genome",
        g,
        "--annotation",
        a.to_str().unwrap(),
    ]))
    .fails_with(BAD_INPUT);
    assert!(
        r.stderr.contains("cut.fna.gz") && r.stderr.contains("truncated"),
        "{}",
        r.stderr
    );

    let e = dir.write("empty.fna.gz", gz(b""));
    let r = run(dir.cmd(&[
        "inspect",
        "--genome",
        e.to_str().unwrap(),
        "--annotation",
        a.to_str().unwrap(),
    ]))
    .fails_with(BAD_INPUT);
    assert!(r.stderr.contains("empty.fna.gz is empty"), "{}", r.stderr);
}

#[test]
fn unknown_gene_ids_and_empty_selections_are_refused() {
    let dir = Dir::new();
    let ids = dir.write("ids.txt", "Dmel_CG17245\nNOT_A_GENE\n");
    let r =
        inspect(&dir, GENOME, GTF, &["--gene-ids", ids.to_str().unwrap()]).fails_with(BAD_INPUT);
    assert!(
        r.stderr
            .contains("1 gene id(s) are not in the annotation, e.g. NOT_A_GENE"),
        "{}",
        r.stderr
    );

    let r = inspect(&dir, GENOME, GTF, &["--gene-types", "tRNA"]).fails_with(BAD_INPUT);
    assert!(
        r.stderr
            .contains("no genes selected: no gene has biotype tRNA"),
        "{}",
        r.stderr
    );

    dir.write("single.gtf", EXON);
    let r = inspect(&dir, GENOME, "single.gtf", &[]).fails_with(BAD_INPUT);
    assert!(r.stderr.contains("no gene has an intron"), "{}", r.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let dir = Dir::new();
    run(dir.cmd(&["inspect", "--genome", "x.fa"])).fails_with(2);
}

/// The hand-written dialect fixtures (see tests/fixtures/annotation/README.md).
const FIXTURES: &str = "tests/fixtures/annotation";

/// `inspect` on the fixture genome and `annotation` (a fixture name or a path).
fn inspect_fixture(dir: &Dir, annotation: &str, extra: &[&str]) -> crate::util::Run {
    let g = repo(&format!("{FIXTURES}/genome.fa"));
    let a = if annotation.contains('/') {
        std::path::PathBuf::from(annotation)
    } else {
        repo(&format!("{FIXTURES}/{annotation}"))
    };
    inspect_paths(dir, &g, &a, extra)
}

#[test]
fn every_annotation_dialect_is_recognised_and_reported() {
    let dir = Dir::new();
    // Named .gff3, written as GTF: the content decides.
    let renamed = dir.write(
        "named-wrong.gff3",
        std::fs::read(repo(&format!("{FIXTURES}/ensembl.gtf"))).unwrap(),
    );
    let renamed = renamed.to_str().unwrap();
    for (file, text, json, genes) in [
        ("ensembl.gtf", "GTF", "gtf", 2),
        (renamed, "GTF", "gtf", 2),
        (
            "ucsc.gtf",
            "GTF from UCSC tables (no gene or transcript lines)",
            "ucsc-gtf",
            3,
        ),
        ("refseq.gff3", "GFF3", "gff3", 2),
        ("ensembl.gff3", "GFF3", "gff3", 2),
        ("jgi.gff", "GFF2 (JGI)", "jgi-gff2", 3),
    ] {
        let out = inspect_fixture(&dir, file, &[]).ok().stdout;
        for want in [
            format!("annotation dialect      {text}\n"),
            format!("genes                   {genes:>12}\n"),
            format!("transcripts             {:>12}\n", 3),
            format!("distinct introns        {:>12}\n", 4),
            format!("  {:<22}{:>12}  {:>6.2} %", "GT-AG", 4, 100.0),
            "problems                none".to_string(),
        ] {
            assert!(out.contains(&want), "{file}: {want:?} missing from\n{out}");
        }
        let v: serde_json::Value =
            serde_json::from_str(&inspect_fixture(&dir, file, &["--json"]).ok().stdout).unwrap();
        assert_eq!(v["dialect"], json, "{file}");
        assert_eq!(v["distinct_introns"], 4, "{file}");
    }
}

#[test]
fn the_embedded_data_is_refseq_gtf_and_gff3() {
    let dir = Dir::new();
    for (ann, json) in [(GTF, "gtf"), (GFF, "gff3")] {
        let out = inspect(&dir, GENOME, ann, &["--json"]).ok().stdout;
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["dialect"], json, "{ann}");
    }
}

#[test]
fn annotations_without_transcripts_of_exons_are_refused_naming_the_dialect() {
    let dir = Dir::new();
    for (file, want) in [
        (
            "genes-only.gff3",
            "genes-only.gff3:1: GFF3 (recognised on this line), but it has no exon lines (only gene ×2): spliceforge needs transcripts made of exons",
        ),
        (
            "genes-only.gtf",
            "genes-only.gtf:1: GTF (recognised on this line), but it has no exon lines (only gene ×2)",
        ),
        (
            "transcripts.bed",
            "transcripts.bed:1: not an annotation: 12 tab-separated column(s) where GTF, GFF3 and GFF2 have 9 (a BED file?)",
        ),
    ] {
        let r = inspect_fixture(&dir, file, &[]).fails_with(BAD_INPUT);
        assert!(
            r.stderr.contains(want),
            "{file}: want {want:?} in {}",
            r.stderr
        );
    }
    dir.write("odd.gtf", "c\ts\texon\t1\t9\t.\t+\t.\tfoo bar baz\n");
    let r = inspect(&dir, GENOME, "odd.gtf", &[]).fails_with(BAD_INPUT);
    assert!(
        r.stderr.contains(
            "odd.gtf:1: cannot tell the annotation dialect from the attributes \"foo bar baz\""
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn swapped_genome_and_annotation_are_named() {
    let dir = Dir::new();
    let (g, a) = (repo(GENOME), repo(GTF));
    let r = run(dir.cmd(&[
        "inspect",
        "--genome",
        a.to_str().unwrap(),
        "--annotation",
        g.to_str().unwrap(),
    ]))
    .fails_with(BAD_INPUT);
    let want = format!(
        "{}:1: this is a FASTA file (a sequence), not an annotation — did you swap --genome and --annotation?",
        g.display()
    );
    assert!(r.stderr.contains(&want), "want {want:?} in {}", r.stderr);
    // Forcing a format does not hide it.
    let r =
        inspect_fixture(&dir, "genome.fa", &["--annotation-format", "gtf"]).fails_with(BAD_INPUT);
    assert!(
        r.stderr.contains("genome.fa:1: this is a FASTA file"),
        "{}",
        r.stderr
    );
}
