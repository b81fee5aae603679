//! `spliceforge verify DIR`: does the dataset hold exactly what its manifest and run.json say?

use std::collections::HashSet;
use std::path::Path;

use arrow_array::{Int64Array, StringArray};

use super::fsutil::sha256_file;
use super::manifest::{self, BatchEntry, FileEntry, MANIFEST, Manifest};
use super::reader::{Part, column};
use super::{Error, RunInfo};
use crate::features::Schema;

/// What `verify` checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Batches checked.
    pub batches: usize,
    /// Part files checked.
    pub parts: usize,
    /// Rows read.
    pub rows: u64,
    /// Genes seen.
    pub genes: usize,
    /// Whether the run is complete.
    pub complete: bool,
    /// Problems found (empty: the dataset is sound).
    pub problems: Vec<String>,
}

fn check_file(dir: &Path, f: &FileEntry, problems: &mut Vec<String>) -> bool {
    let path = dir.join(&f.file);
    match sha256_file(&path) {
        Ok((sha, bytes)) => {
            if bytes != f.bytes {
                problems.push(format!(
                    "{}: {} bytes, the manifest says {}",
                    f.file, bytes, f.bytes
                ));
                false
            } else if sha != f.sha256 {
                problems.push(format!("{}: checksum differs from the manifest's", f.file));
                false
            } else {
                true
            }
        }
        Err(e) => {
            problems.push(format!("{}: {e}", f.file));
            false
        }
    }
}

/// One column of a part file's schema: its name and its Arrow type, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    data_type: String,
}

/// The columns of `schema`, in order.
fn columns(schema: &arrow_schema::Schema) -> Vec<Column> {
    schema
        .fields()
        .iter()
        .map(|f| Column {
            name: f.name().clone(),
            data_type: f.data_type().to_string(),
        })
        .collect()
}

/// How many rows a gene has, one run of consecutive rows at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GeneRows {
    id: String,
    rows: u64,
}

/// The last row read from a part file: where the current gene's run of rows stands.
struct LastRow {
    id: String,
    position: i64,
    strand: String,
}

/// Checks run.json against itself: its fingerprint and its schema version.
fn check_run_json(run: &RunInfo, p: &mut Vec<String>) {
    if run.content.digest() != run.fingerprint {
        p.push(
            "run.json: the fingerprint does not match the content it covers (edited by hand?)"
                .into(),
        );
    }
    let s = &run.content.schema;
    let expect = Schema::with_structure(&s.kmer_sizes, s.structure);
    if expect != run.content.schema {
        p.push(format!(
            "run.json: schema version {} differs from this tool's version {}",
            run.content.schema.version, expect.version
        ));
    }
}

/// Checks the manifest's progress: a torn last line, and the batches committed against the plan.
fn check_progress(
    m: &Manifest,
    batches: &[usize],
    complete: bool,
    writing: bool,
    p: &mut Vec<String>,
) {
    let planned = batches.len();
    if let Some(what) = m.off_plan(batches) {
        p.push(format!("{MANIFEST}: {what}"));
    }
    if m.torn_bytes > 0 && !writing {
        p.push(format!(
            "{MANIFEST}: a torn last line ({} bytes): the run was interrupted; resume it",
            m.torn_bytes
        ));
    }
    if complete && m.batches.len() != planned {
        p.push(format!(
            "{} batches committed, {planned} planned",
            m.batches.len()
        ));
    }
    if writing {
        p.push(format!(
            "a builder is writing the run now ({} of {planned} batches committed so far): verify it when it has finished",
            m.batches.len()
        ));
    } else if !complete {
        p.push(format!(
            "the run is not complete: {} of {planned} batches committed; resume it",
            m.batches.len()
        ));
    }
}

/// The walk over the committed batches: the report so far and the genes met on the way.
struct Walk<'a> {
    dir: &'a Path,
    run: &'a RunInfo,
    /// The columns run.json's schema says every part has.
    columns: Vec<Column>,
    report: Report,
    /// Genes with rows in a part file.
    seen_genes: HashSet<String>,
    /// Genes the manifest commits.
    listed: HashSet<String>,
}

impl Walk<'_> {
    /// Checks one committed batch: its genes against the plan, then its part files.
    fn batch(&mut self, b: &BatchEntry) -> Result<(), Error> {
        let p = &mut self.report.problems;
        let want = self.run.plan.batch_genes(b.batch);
        let got: Vec<&String> = b.genes.iter().map(|g| &g.id).collect();
        if want.iter().collect::<Vec<_>>() != got {
            p.push(format!(
                "batch {}: its genes differ from the plan in run.json",
                b.batch
            ));
        }
        for g in &b.genes {
            if !self.listed.insert(g.id.clone()) {
                p.push(format!("gene {} is committed in more than one batch", g.id));
            }
        }
        let mut gene_rows: Vec<GeneRows> = Vec::new();
        for f in &b.parts {
            self.part(f, &mut gene_rows)?;
        }
        let expected: Vec<GeneRows> = b
            .genes
            .iter()
            .filter(|g| g.rows > 0)
            .map(|g| GeneRows {
                id: g.id.clone(),
                rows: g.rows,
            })
            .collect();
        if gene_rows != expected {
            self.report.problems.push(format!(
                "batch {}: rows per gene in its parts differ from the manifest",
                b.batch
            ));
        }
        Ok(())
    }

    /// Checks one part file: size and checksum, row count, schema, then its rows.
    fn part(&mut self, f: &FileEntry, gene_rows: &mut Vec<GeneRows>) -> Result<(), Error> {
        self.report.parts += 1;
        let p = &mut self.report.problems;
        if !check_file(self.dir, f, p) {
            return Ok(());
        }
        let path = self.dir.join(&f.file);
        let part = Part::open(&path)?;
        if part.rows() != f.rows {
            p.push(format!(
                "{}: {} rows, the manifest says {}",
                f.file,
                part.rows(),
                f.rows
            ));
        }
        if columns(part.schema()) != self.columns {
            p.push(format!("{}: its schema differs from run.json's", f.file));
            return Ok(());
        }
        self.rows(f, &path, part, gene_rows)
    }

    /// Reads a part's rows in order: each gene's positions ascend on one strand, and no gene
    /// has rows in two places; counts the rows per gene into `gene_rows`.
    fn rows(
        &mut self,
        f: &FileEntry,
        path: &Path,
        part: Part,
        gene_rows: &mut Vec<GeneRows>,
    ) -> Result<(), Error> {
        let p = &mut self.report.problems;
        let reader = part.read(&["gene_id", "position", "strand"], None, 65536)?;
        let mut last: Option<LastRow> = None;
        for batch in reader {
            let batch = batch.map_err(|e| Error::damaged_parquet(path, e))?;
            let ids = column::<StringArray>(&batch, 0);
            let pos = column::<Int64Array>(&batch, 1);
            let strand = column::<StringArray>(&batch, 2);
            let (Some(ids), Some(pos), Some(strand)) = (ids, pos, strand) else {
                p.push(format!("{}: unexpected column types", f.file));
                return Ok(());
            };
            for i in 0..batch.num_rows() {
                self.report.rows += 1;
                let (id, x, s) = (ids.value(i), pos.value(i), strand.value(i));
                match &mut last {
                    Some(l) if l.id == id => {
                        if x <= l.position {
                            p.push(format!(
                                "{}: gene {id} position {x} repeats or is out of order",
                                f.file
                            ));
                        }
                        if s != l.strand {
                            p.push(format!("{}: gene {id} has rows on both strands", f.file));
                        }
                        l.position = x;
                        if let Some(g) = gene_rows.last_mut() {
                            g.rows += 1;
                        }
                    }
                    _ => {
                        if !self.seen_genes.insert(id.to_string()) {
                            p.push(format!(
                                "{}: gene {id} has rows in two places (duplicated rows)",
                                f.file
                            ));
                        }
                        last = Some(LastRow {
                            id: id.to_string(),
                            position: x,
                            strand: s.to_string(),
                        });
                        gene_rows.push(GeneRows {
                            id: id.to_string(),
                            rows: 1,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// Checks a complete run: every selected gene committed, the completion line's files and rows.
fn check_completion(
    dir: &Path,
    run: &RunInfo,
    m: &Manifest,
    listed: &HashSet<String>,
    p: &mut Vec<String>,
) {
    let planned: HashSet<&String> = run
        .plan
        .batches_of(run.shard)
        .into_iter()
        .flat_map(|b| run.plan.batch_genes(b))
        .collect();
    let missing = planned.iter().filter(|g| !listed.contains(**g)).count();
    if missing > 0 {
        p.push(format!("{missing} selected gene(s) are not committed"));
    }
    if let Some(c) = &m.complete {
        check_file(dir, &c.genes_table, p);
        check_file(dir, &c.summary, p);
        let total: u64 = m.batches.iter().map(|b| b.rows).sum();
        if c.rows != total {
            p.push(format!(
                "the completion line says {} rows, the batches {}",
                c.rows, total
            ));
        }
    }
}

/// Reports files in parts/ that no manifest line names.
fn check_stray_parts(dir: &Path, m: &Manifest, p: &mut Vec<String>) {
    for (rel, _) in m.stray_parts(dir) {
        p.push(format!(
            "{rel} is not in the manifest (left by an interrupted run; resume removes it)"
        ));
    }
}

/// Checks the dataset at `dir`.
pub fn verify(dir: &Path) -> Result<Report, Error> {
    let mut report = Report::default();
    let run = RunInfo::load_dataset(dir)?;
    check_run_json(&run, &mut report.problems);
    let arrow = run.content.schema.arrow();
    // Asked before the manifest is read: a builder that finishes in between leaves a complete
    // manifest, which needs no excuse.
    let held = super::Lock::held_elsewhere(dir);
    let m = manifest::load(&dir.join(MANIFEST), false)?;
    report.batches = m.batches.len();
    report.complete = m.complete.is_some();
    let batches = run.plan.batches_of(run.shard);
    // A builder writing the dataset now: its torn last line and its part not yet recorded are
    // its work in flight, not damage.
    let writing = held && !report.complete;
    check_progress(&m, &batches, report.complete, writing, &mut report.problems);

    let mut walk = Walk {
        dir,
        run: &run,
        columns: columns(&arrow),
        report,
        seen_genes: HashSet::new(),
        listed: HashSet::new(),
    };
    for b in &m.batches {
        walk.batch(b)?;
    }
    let mut r = walk.report;
    r.genes = walk.listed.len();
    if r.complete {
        check_completion(dir, &run, &m, &walk.listed, &mut r.problems);
    }
    if !writing {
        check_stray_parts(dir, &m, &mut r.problems);
    }
    Ok(r)
}
