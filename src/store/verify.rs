//! `spliceforge verify DIR`: does the dataset hold exactly what its manifest and run.json say?

use std::collections::HashSet;
use std::path::Path;

use arrow_array::{Array, Int64Array, StringArray};

use super::fsutil::sha256_file;
use super::manifest::{self, FileEntry, MANIFEST};
use super::reader::Part;
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

/// Checks the dataset at `dir`.
pub fn verify(dir: &Path) -> Result<Report, Error> {
    let mut r = Report::default();
    let run = RunInfo::load_dataset(dir)?;
    let p = &mut r.problems;
    if run.content.digest() != run.fingerprint {
        p.push(
            "run.json: the fingerprint does not match the content it covers (edited by hand?)"
                .into(),
        );
    }
    let expect = Schema::new(&run.content.schema.kmer_sizes);
    if expect != run.content.schema {
        p.push(format!(
            "run.json: schema version {} differs from this tool's version {}",
            run.content.schema.version, expect.version
        ));
    }
    let arrow = run.content.schema.arrow();
    let m = manifest::load(&dir.join(MANIFEST), false)?;
    if m.torn_bytes > 0 {
        p.push(format!(
            "{MANIFEST}: a torn last line ({} bytes): the run was interrupted; resume it",
            m.torn_bytes
        ));
    }
    r.batches = m.batches.len();
    r.complete = m.complete.is_some();
    let planned = run.plan.batches;
    if r.complete && m.batches.len() != planned {
        p.push(format!(
            "{} batches committed, {planned} planned",
            m.batches.len()
        ));
    }
    if !r.complete {
        p.push(format!(
            "the run is not complete: {} of {planned} batches committed; resume it",
            m.batches.len()
        ));
    }

    let mut seen_genes: HashSet<String> = HashSet::new();
    let mut listed: HashSet<String> = HashSet::new();
    for b in &m.batches {
        let want = run.plan.batch_genes(b.batch);
        let got: Vec<&String> = b.genes.iter().map(|g| &g.id).collect();
        if want.iter().collect::<Vec<_>>() != got {
            p.push(format!(
                "batch {}: its genes differ from the plan in run.json",
                b.batch
            ));
        }
        for g in &b.genes {
            if !listed.insert(g.id.clone()) {
                p.push(format!("gene {} is committed in more than one batch", g.id));
            }
        }
        let mut gene_rows: Vec<(String, u64)> = Vec::new();
        for f in &b.parts {
            r.parts += 1;
            if !check_file(dir, f, p) {
                continue;
            }
            let path = dir.join(&f.file);
            let part = Part::open(&path)?;
            if part.rows() != f.rows {
                p.push(format!(
                    "{}: {} rows, the manifest says {}",
                    f.file,
                    part.rows(),
                    f.rows
                ));
            }
            let fields: Vec<(String, String)> = part
                .schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().to_string()))
                .collect();
            let want: Vec<(String, String)> = arrow
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().to_string()))
                .collect();
            if fields != want {
                p.push(format!("{}: its schema differs from run.json's", f.file));
                continue;
            }
            let reader = part.read(&["gene_id", "position", "strand"], None, 65536)?;
            let mut last: Option<(String, i64, String)> = None;
            for batch in reader {
                let batch = batch.map_err(|e| Error::damaged_parquet(&path, e))?;
                let ids = batch.column(0).as_any().downcast_ref::<StringArray>();
                let pos = batch.column(1).as_any().downcast_ref::<Int64Array>();
                let strand = batch.column(2).as_any().downcast_ref::<StringArray>();
                let (Some(ids), Some(pos), Some(strand)) = (ids, pos, strand) else {
                    p.push(format!("{}: unexpected column types", f.file));
                    break;
                };
                for i in 0..batch.num_rows() {
                    r.rows += 1;
                    let (id, x, s) = (ids.value(i), pos.value(i), strand.value(i));
                    match &mut last {
                        Some((lid, lx, ls)) if lid == id => {
                            if x <= *lx {
                                p.push(format!(
                                    "{}: gene {id} position {x} repeats or is out of order",
                                    f.file
                                ));
                            }
                            if s != ls {
                                p.push(format!("{}: gene {id} has rows on both strands", f.file));
                            }
                            *lx = x;
                            if let Some(g) = gene_rows.last_mut() {
                                g.1 += 1;
                            }
                        }
                        _ => {
                            if !seen_genes.insert(id.to_string()) {
                                p.push(format!(
                                    "{}: gene {id} has rows in two places (duplicated rows)",
                                    f.file
                                ));
                            }
                            last = Some((id.to_string(), x, s.to_string()));
                            gene_rows.push((id.to_string(), 1));
                        }
                    }
                }
            }
        }
        let expected: Vec<(String, u64)> = b
            .genes
            .iter()
            .filter(|g| g.rows > 0)
            .map(|g| (g.id.clone(), g.rows))
            .collect();
        if gene_rows != expected {
            p.push(format!(
                "batch {}: rows per gene in its parts differ from the manifest",
                b.batch
            ));
        }
    }
    r.genes = listed.len();
    if r.complete {
        let planned: HashSet<&String> = run.plan.genes.iter().collect();
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
    // Files in parts/ that no manifest line names.
    let named: HashSet<String> = m
        .batches
        .iter()
        .flat_map(|b| b.parts.iter().map(|f| f.file.clone()))
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir.join("parts")) {
        for e in entries.flatten() {
            let rel = format!("parts/{}", e.file_name().to_string_lossy());
            if !named.contains(&rel) {
                p.push(format!(
                    "{rel} is not in the manifest (left by an interrupted run; resume removes it)"
                ));
            }
        }
    }
    Ok(r)
}
