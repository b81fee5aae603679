//! Bounded resources (docs/reliability.md): inputs of hostile size stop in seconds with the
//! documented error, naming the limit and the setting that raises it, instead of filling memory
//! or running for hours.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use spliceforge::error::exit;

use crate::util::{Dir, GENOME, build_cmd, repo, run, s, spliceai_weights};

/// A gzip file of `head`, then `total` bytes of `fill`, then `tail`: the fill is one 16 MiB
/// member written again and again (multi-member gzip, as bgzip writes), so a gigabyte costs
/// a megabyte of disk and a few milliseconds to write.
fn gz_with_fill(
    dir: &Dir,
    name: &str,
    head: &[u8],
    fill: u8,
    total: usize,
    tail: &[u8],
) -> PathBuf {
    let member = |bytes: &[u8]| {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    const CHUNK: usize = 16 << 20;
    let chunk = member(&vec![fill; CHUNK]);
    let mut out = member(head);
    for _ in 0..total / CHUNK {
        out.extend_from_slice(&chunk);
    }
    out.extend_from_slice(&member(&vec![fill; total % CHUNK]));
    out.extend_from_slice(&member(tail));
    dir.write(name, out)
}

/// `builder -q --genome GENOME --annotation ANNOTATION --out OUT`.
fn builder(dir: &Dir, genome: &Path, annotation: &Path, out: &Path) -> std::process::Command {
    let args = [
        "builder",
        "-q",
        "--genome",
        s(genome),
        "--annotation",
        s(annotation),
    ];
    let mut c = dir.cmd(&args);
    c.arg("--out").arg(out);
    c
}

/// The embedded fly GTF, decompressed.
fn fly_gtf() -> Vec<u8> {
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(repo(crate::util::GTF)).unwrap())
        .read_to_end(&mut text)
        .unwrap();
    text
}

#[test]
fn a_gigabyte_line_in_a_text_input_stops_at_the_line_limit_with_exit_3() {
    let dir = Dir::new();
    // An annotation whose second line is a gigabyte long (a damaged or binary file): read
    // up to the limit (256 MiB), not to the end.
    let first = b"NC_004353.4\tx\texon\t1\t10\t.\t+\t.\tgene_id \"g\"; transcript_id \"t\";\n";
    let gtf = gz_with_fill(&dir, "huge-line.gtf.gz", first, b'A', 1 << 30, b"\n");
    let out = dir.join("out");
    let r = run(builder(&dir, &repo(GENOME), &gtf, &out)).fails_with(exit::BAD_INPUT);
    assert!(
        r.stderr
            .contains("huge-line.gtf.gz:2: a line longer than 256 MiB")
            && r.stderr.contains("SPLICEFORGE_MAX_LINE_MB=1024"),
        "{}",
        r.stderr
    );
    assert!(!out.join("manifest.jsonl").exists());

    // The same limit, set lower, for the gene-id list and the base-score table.
    let ids = dir.write("ids.txt", format!("FBgn0004859\n{}\n", "x".repeat(2 << 20)));
    let mut c = build_cmd(&dir, &dir.join("o2"), &["--gene-ids", s(&ids)]);
    c.env("SPLICEFORGE_MAX_LINE_MB", "1");
    let r = run(c).fails_with(exit::BAD_INPUT);
    assert!(
        r.stderr.contains("ids.txt:2: a line longer than 1 MiB")
            && r.stderr.contains("SPLICEFORGE_MAX_LINE_MB=4"),
        "{}",
        r.stderr
    );
    let scores = dir.write(
        "scores.tsv",
        format!(
            "chrom\tposition\tstrand\tdonor\tacceptor\n{}\n",
            "1".repeat(2 << 20)
        ),
    );
    let mut c = build_cmd(&dir, &dir.join("o3"), &["--base-scores", s(&scores)]);
    c.env("SPLICEFORGE_MAX_LINE_MB", "1");
    let r = run(c).fails_with(exit::BAD_INPUT);
    assert!(
        r.stderr.contains("scores.tsv:2: a line longer than 1 MiB"),
        "{}",
        r.stderr
    );
}

/// The fly reference set's gene table (tests/data/variants/dmel4).
fn dmel4_genes() -> PathBuf {
    repo("tests/data/variants/dmel4/genes.txt")
}

fn variants_cmd(dir: &Dir, vcf: &Path, out: &Path, extra: &[&str]) -> std::process::Command {
    let (w, g, a) = (spliceai_weights(), repo(GENOME), dmel4_genes());
    let mut args = vec![
        "variants",
        "-q",
        "--spliceai-weights",
        s(&w),
        "--vcf",
        s(vcf),
        "--genome",
        s(&g),
        "--annotation",
        s(&a),
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    dir.cmd(&args)
}

#[test]
fn a_vcf_allele_of_ten_million_bases_is_refused_naming_the_limit_and_its_flag() {
    let dir = Dir::new();
    // An insertion of 10⁷ bases in a gene (SpliceAI would score a window of ten million bases).
    let head = "##fileformat=VCFv4.2\n##contig=<ID=NC_004353.4>\n\
                #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
                NC_004353.4\t36512\t.\tT\tC\t.\t.\t.\n";
    let mut text = String::from(head);
    text.push_str("NC_004353.4\t36512\t.\tT\tT");
    text.push_str(&"ACGT".repeat(2_500_000));
    text.push_str("\t.\t.\t.\n");
    let vcf = dir.write("long.vcf", text);
    let out = dir.join("out.vcf");
    let r = run(variants_cmd(&dir, &vcf, &out, &[])).fails_with(exit::BAD_INPUT);
    assert!(
        r.stderr
            .contains("long.vcf:5: an ALT allele of 10000001 bases")
            && r.stderr.contains("--max-alt-length 100000"),
        "{}",
        r.stderr
    );
    assert!(!out.exists());
    // The line limit holds for VCFs too.
    let mut c = variants_cmd(&dir, &vcf, &out, &[]);
    c.env("SPLICEFORGE_MAX_LINE_MB", "1");
    let r = run(c).fails_with(exit::BAD_INPUT);
    assert!(
        r.stderr.contains("long.vcf:5: a line longer than 1 MiB"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_weight_file_claiming_a_billion_values_is_refused_before_any_is_allocated() {
    let dir = Dir::new();
    // A 10 kB Keras file whose kernel claims 10⁹ values (chunked, none written): reading it
    // once took 8 GB and 20 s.
    let weights = dir.join("weights");
    std::fs::create_dir(&weights).unwrap();
    let o = crate::util::python_cmd()
        .arg(repo("fuzz/make_h5_seed.py"))
        .arg(weights.join("spliceai1.h5"))
        .arg("--claim")
        .arg("1000000000")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.join("out");
    let extra = [
        "--base-model",
        "spliceai",
        "--spliceai-weights",
        s(&weights),
        "--spliceai-models",
        "1",
    ];
    let r = run(build_cmd(&dir, &out, &extra)).fails_with(exit::DAMAGED);
    assert!(
        r.stderr.contains("spliceai1.h5")
            && r.stderr.contains("claims more values than the file's"),
        "{}",
        r.stderr
    );
}

#[test]
fn damaged_parquet_footers_and_pages_are_bad_input_not_a_panic() {
    let dir = Dir::new();
    // Found by fuzzing: a column chunk at a negative offset panicked inside the parquet crate.
    let damaged = repo("tests/data/fuzz/base_scores/negative-column-offset.parquet");
    let r = run(build_cmd(
        &dir,
        &dir.join("out"),
        &["--base-scores", s(&damaged)],
    ))
    .fails_with(exit::BAD_INPUT);
    assert!(r.stderr.contains("damaged footer"), "{}", r.stderr);
    // And a dictionary-encoded page without its dictionary, which panics deeper inside the
    // crate: contained, said as damaged data, and no panic message.
    let damaged = repo("tests/data/fuzz/base_scores/dictionary-page-missing.parquet");
    let r = run(build_cmd(
        &dir,
        &dir.join("out2"),
        &["--base-scores", s(&damaged)],
    ))
    .fails_with(exit::BAD_INPUT);
    assert!(
        r.stderr.contains("damaged data") && r.stderr.contains("dictionary-page-missing.parquet"),
        "{}",
        r.stderr
    );
}

/// Runs a builder command and returns its exit code, its stderr and the peak resident memory
/// it reports of itself, in MB (its summary's "peak RSS", the kernel's high-water mark of its
/// own address space: a measure from outside, such as `wait4`, also counts the pages of the
/// test process it was forked from).
fn run_measured(c: std::process::Command) -> (i32, String, u64) {
    let r = run(c);
    let mb = r
        .stdout
        .split("peak RSS ")
        .nth(1)
        .and_then(|t| {
            let mut w = t.split_whitespace();
            let n: f64 = w.next()?.parse().ok()?;
            match w.next()?.trim_end_matches(|c: char| !c.is_alphabetic()) {
                "GB" => Some(n * 1000.0),
                "MB" => Some(n),
                "kB" | "KB" => Some(n / 1000.0),
                _ => None,
            }
        })
        .map(|mb| mb.ceil() as u64);
    let mb = mb.unwrap_or_else(|| panic!("no peak RSS in the output:\n{}\n{}", r.stdout, r.stderr));
    eprintln!("peak RSS {mb} MB");
    (r.code, r.stderr, mb)
}

#[test]
fn a_contig_of_a_billion_n_and_a_gene_spanning_a_chromosome_build_in_bounded_memory() {
    let dir = Dir::new();
    // The fly genome plus a contig of 10⁹ N written as one line: it has no gene, so it is only
    // counted, a buffer at a time (held whole, it once took 2 GB).
    let genome = std::fs::read(repo(GENOME)).unwrap();
    let tail = gz_with_fill(&dir, "n.gz", b">chrN one line of N\n", b'N', 1 << 30, b"\n");
    let mut bytes = genome;
    bytes.extend_from_slice(&std::fs::read(&tail).unwrap());
    let big = dir.write("with-n.fa.gz", bytes);
    let (plain, with_n) = (dir.join("plain"), dir.join("with-n"));
    run(build_cmd(&dir, &plain, &[])).ok();
    let (g, gtf) = (repo(GENOME), repo(crate::util::GTF));
    let (code, stderr, mb) = run_measured(builder(&dir, &big, &gtf, &with_n));
    assert_eq!(code, 0, "{stderr}");
    assert!(mb < 400, "peak {mb} MB with a 1 GB contig of N");
    // Its rows are the fly genome's rows.
    for part in std::fs::read_dir(plain.join("parts")).unwrap() {
        let p = part.unwrap().path();
        let name = p.file_name().unwrap();
        assert_eq!(
            std::fs::read(&p).unwrap(),
            std::fs::read(with_n.join("parts").join(name)).unwrap()
        );
    }

    // A gene spanning the whole of chromosome 4 (1.35 Mb, three exons at its ends and middle),
    // beside the real genes: built, in memory that grows with the gene's length.
    let length = 1_348_131u64;
    let mut gtf_text = fly_gtf();
    for (a, b) in [(1, 200), (600_000, 600_300), (length - 300, length)] {
        gtf_text.extend_from_slice(format!(
            "NC_004353.4\tx\texon\t{a}\t{b}\t.\t+\t.\tgene_id \"whole4\"; transcript_id \"whole4.1\";\n"
        ).as_bytes());
    }
    let span = dir.write("span.gtf", gtf_text);
    let out = dir.join("span");
    let (code, stderr, mb) = run_measured(builder(&dir, &g, &span, &out));
    assert_eq!(code, 0, "{stderr}");
    assert!(mb < 600, "peak {mb} MB for a 1.35 Mb gene");
    // 82 genes of the fly annotation, and this one.
    let genes = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(
        genes.contains("\"genes\": 83") || genes.contains("\"genes\":83"),
        "{genes}"
    );
    // Below the gene-length limit: refused, naming the gene, the limit and the setting.
    let mut c = builder(&dir, &g, &span, &out);
    c.arg("--overwrite")
        .env("SPLICEFORGE_MAX_GENE_LENGTH", "1000000");
    let r = run(c).fails_with(exit::BAD_INPUT);
    assert!(
        r.stderr
            .contains("gene whole4 on NC_004353.4 spans 1348131 bases")
            && r.stderr.contains("SPLICEFORGE_MAX_GENE_LENGTH=2000000"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_gene_of_a_million_transcripts_builds_in_memory_proportional_to_the_annotation() {
    let dir = Dir::new();
    // The fly annotation plus one gene of 10⁶ two-exon transcripts (170 MB of GTF).
    let mut text = fly_gtf();
    let mut w = std::io::BufWriter::new(&mut text);
    for t in 0..1_000_000u64 {
        let a = 200_000 + t % 5_000;
        let b = 220_000 + (t * 7) % 5_000;
        for (s, e) in [(a, a + 100), (b, b + 100)] {
            writeln!(
                w,
                "NC_004353.4\tx\texon\t{s}\t{e}\t.\t+\t.\tgene_id \"many\"; transcript_id \"many.{t}\";"
            )
            .unwrap();
        }
    }
    drop(w);
    let many = dir.write("many.gtf", &text);
    let bytes = text.len() as u64;
    drop(text);
    let out = dir.join("out");
    let (code, stderr, mb) = run_measured(builder(&dir, &repo(GENOME), &many, &out));
    assert_eq!(code, 0, "{stderr}");
    // Measured: 496 MB for the 170 MB file (2.3 s); the bound: memory proportional to it.
    assert!(
        mb < 4 * bytes / 1_000_000,
        "peak {mb} MB for {bytes} bytes of GTF"
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"genes\": 83"), "{summary}");
}
