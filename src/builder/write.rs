//! The pipeline's writer stage: rows arrive from the feature workers in any order and are written
//! in gene order into one Parquet part per batch; a batch is committed (part finished, manifest
//! entry appended) as soon as its last gene is written, and the reader is told how far the writer
//! has come.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use indicatif::ProgressBar;

use super::pipeline::{Built, Flow, Settings};
use super::prepare::Prepared;
use crate::Error;
use crate::features::{GeneRows, PredType, Quality, Schema, SpliceType};
use crate::rss;
use crate::store::manifest::{self, BatchEntry, ClassCounts, Entry, GeneEntry, MANIFEST};
use crate::store::part::{PartWriter, phase};
use crate::store::part_name;

/// What the writer did.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Written {
    pub(super) busy: Duration,
    pub(super) batches: usize,
    pub(super) genes: u64,
    pub(super) rows: u64,
    pub(super) bytes: u64,
}

/// The batch being written: its part, its manifest entry, its quality figures.
struct OpenPart {
    writer: PartWriter,
    entry: BatchEntry,
    quality: Quality,
}

/// The writer's state: genes come in any order and are written in gene order, each batch
/// committed (part finished, manifest entry appended) as soon as its last gene is written.
struct Writer<'a> {
    s: &'a Settings<'a>,
    /// Genes this build writes (the whole plan's or a shard's).
    total_genes: usize,
    batch_size: usize,
    first_gene: usize,
    schema: Schema,
    manifest_path: PathBuf,
    part: Option<OpenPart>,
    /// Genes of this run written so far.
    next: usize,
    written: Written,
}

impl<'a> Writer<'a> {
    fn new(s: &'a Settings<'a>, prep: &Prepared, first_gene: usize) -> Self {
        Writer {
            s,
            total_genes: prep.genes.len(),
            batch_size: prep.plan.batch_size,
            first_gene,
            schema: s.rows.schema(),
            manifest_path: s.dir.join(MANIFEST),
            part: None,
            next: 0,
            written: Written::default(),
        }
    }

    /// Writes the next gene, committing its batch when it is the batch's last.
    fn write_gene(&mut self, rows: GeneRows, batch: RecordBatch) -> Result<(), Error> {
        let gene_no = self.first_gene + self.next;
        // Every batch but the plan's last is full, and that one comes last in any share.
        let batch_no = self.s.batches[gene_no / self.batch_size];
        if self.part.is_none() {
            self.part = Some(self.open_part(batch_no)?);
        }
        let Some(part) = self.part.as_mut() else {
            unreachable!("a part was just opened")
        };
        part.writer.push(&batch)?;
        part.entry.genes.push(GeneEntry {
            id: rows.gene_id.clone(),
            rows: rows.len() as u64,
            sites: rows.sites(),
        });
        part.entry.rows += rows.len() as u64;
        count_classes(&rows, &mut part.entry.classes);
        part.quality.merge(&rows.quality);
        self.written.rows += rows.len() as u64;
        self.written.genes += 1;
        self.next += 1;
        let batch_done =
            (gene_no + 1).is_multiple_of(self.batch_size) || gene_no + 1 == self.total_genes;
        if batch_done && let Some(part) = self.part.take() {
            self.commit(part)?;
        }
        Ok(())
    }

    /// Starts the part of batch `batch_no`.
    fn open_part(&self, batch_no: usize) -> Result<OpenPart, Error> {
        let s = self.s;
        let writer = PartWriter::create(s.dir, &part_name(batch_no), &self.schema, s.batch_rows)?;
        let entry = BatchEntry {
            batch: batch_no,
            genes: Vec::new(),
            parts: Vec::new(),
            rows: 0,
            classes: ClassCounts::default(),
            quality: Default::default(),
        };
        Ok(OpenPart {
            writer,
            entry,
            quality: Default::default(),
        })
    }

    /// Finishes the part and records the batch in the manifest: from then on it is committed.
    fn commit(&mut self, part: OpenPart) -> Result<(), Error> {
        let OpenPart {
            writer,
            mut entry,
            quality,
        } = part;
        entry.quality = (&quality).into();
        let file = writer.finish()?;
        self.written.bytes += file.bytes;
        entry.parts.push(file);
        manifest::append(&self.manifest_path, &Entry::Batch(entry))?;
        phase("recorded");
        self.written.batches += 1;
        Ok(())
    }
}

/// Writes the rows the feature workers send, in gene order, and commits each batch when done.
pub(super) fn write_stage(
    s: &Settings<'_>,
    prep: &Prepared,
    first_gene: usize,
    pending: usize,
    rx: Receiver<Built>,
    flow: &Flow,
    bar: &ProgressBar,
) -> Result<Written, Error> {
    let mut w = Writer::new(s, prep, first_gene);
    let mut waiting: BTreeMap<usize, (GeneRows, RecordBatch)> = BTreeMap::new();
    while w.next < pending {
        let Ok(Built { seq, rows, batch }) = rx.recv() else {
            break;
        };
        waiting.insert(seq, (rows, batch));
        while let Some((rows, batch)) = waiting.remove(&w.next) {
            let t = Instant::now();
            w.write_gene(rows, batch)?;
            flow.mark_written(w.next);
            w.written.busy += t.elapsed();
            bar.inc(1);
            if w.next.is_multiple_of(16) || w.next == pending {
                bar.set_message(format!(
                    "{} rows · RSS {}",
                    w.written.rows,
                    rss::human(rss::rss_bytes())
                ));
            }
        }
    }
    Ok(w.written)
}

/// Adds the rows' prediction classes and site types to `c`.
fn count_classes(rows: &GeneRows, c: &mut ClassCounts) {
    for p in &rows.pred {
        match p {
            PredType::TP => c.tp += 1,
            PredType::FP => c.fp += 1,
            PredType::FN => c.fn_ += 1,
            PredType::TN => c.tn += 1,
        }
    }
    for t in &rows.splice {
        match t {
            SpliceType::Donor => c.donor += 1,
            SpliceType::Acceptor => c.acceptor += 1,
            SpliceType::Neither => c.neither += 1,
        }
    }
}
