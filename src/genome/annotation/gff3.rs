//! GFF3 (RefSeq, Ensembl, …): lines split and attributes parsed by `noodles-gff`, then exons
//! linked to their transcript by `Parent`, and transcripts to their gene.
//!
//! Features that are neither exons nor ancestors of exons (RefSeq's `region`, Ensembl's
//! `chromosome` and `biological_region`, CDS, UTRs) are read and ignored. Exons whose parent is
//! itself top-level (RefSeq's convention for pseudogenes without a transcript) are not part of
//! any transcript and are skipped and counted, which is also what the GTF of the same annotation
//! contains. A `##FASTA` directive ends the annotation.

use std::collections::HashMap;
use std::io::BufRead;

use bstr::ByteSlice;
use noodles_gff as gff;

use super::BIOTYPE_KEYS;
use super::assemble::Assembler;
use super::{Columns, parse_columns};
use crate::genome::gene::Tags;
use crate::genome::io::{LineCounter, read_error};
use crate::genome::{Error, Exon, Strand};

/// A GFF3 exon line, linked once every feature is known.
struct GffExon {
    parents: Vec<String>,
    contig: String,
    strand: Option<Strand>,
    exon: Exon,
    line: u64,
}

/// A GFF3 feature other than an exon, kept to resolve `Parent` links.
struct GffFeature {
    ty: String,
    parent: Option<String>,
    contig: String,
    strand: Option<Strand>,
    start: u64,
    end: u64,
    name: Option<String>,
    biotype: Option<String>,
    /// Its `tag` values (`tag=basic,Ensembl_canonical`; RefSeq: `tag=MANE Select`).
    tags: Tags,
}

/// Reads a GFF3 file into `asm`.
pub(super) fn read<R: BufRead>(asm: &mut Assembler, reader: LineCounter<R>) -> Result<(), Error> {
    let mut features: HashMap<String, GffFeature> = HashMap::new();
    let mut exons: Vec<GffExon> = Vec::new();
    collect(asm, reader, &mut features, &mut exons)?;
    for exon in exons {
        link(asm, &features, exon);
    }
    // Gene-level features that never received an exon.
    for (id, f) in &features {
        if f.parent.is_none() && f.ty.ends_with("gene") && !asm.genes.contains_key(id) {
            asm.genes.entry(id.clone()).or_default().has_gene_line = true;
        }
    }
    Ok(())
}

/// Reads every line: exons into `exons`, every other feature with an `ID` into `features`.
fn collect<R: BufRead>(
    asm: &mut Assembler,
    reader: LineCounter<R>,
    features: &mut HashMap<String, GffFeature>,
    exons: &mut Vec<GffExon>,
) -> Result<(), Error> {
    let mut reader = gff::io::Reader::new(reader);
    let mut line = gff::Line::default();
    loop {
        let n = reader
            .read_line(&mut line)
            .map_err(|e| read_error(&asm.path, e))?;
        if n == 0 {
            return Ok(());
        }
        let line_no = reader.get_ref().line();
        match line.kind() {
            gff::line::Kind::Directive => {
                if line.as_directive().is_some_and(|d| d.key() == "FASTA") {
                    return Ok(());
                }
                continue;
            }
            gff::line::Kind::Comment => continue,
            gff::line::Kind::Record => {}
        }
        let cols = parse_columns(&asm.path, line_no, line.as_ref())?;
        asm.count(cols.ty);
        let record = match line.as_record() {
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(asm.attr_error(line_no, e.to_string())),
            None => continue,
        };
        feature(asm, line_no, &cols, &record, features, exons)?;
    }
}

/// One feature line: an exon into `exons`, any other feature with an `ID` into `features`.
fn feature(
    asm: &Assembler,
    line_no: u64,
    cols: &Columns<'_>,
    record: &gff::Record<'_>,
    features: &mut HashMap<String, GffFeature>,
    exons: &mut Vec<GffExon>,
) -> Result<(), Error> {
    let attrs = record.attributes();
    let values = |key: &str| -> Result<Vec<String>, Error> {
        use gff::record::attributes::field::Value;
        match attrs.get(key.as_bytes()) {
            None => Ok(Vec::new()),
            Some(Err(e)) => Err(asm.attr_error(line_no, e.to_string())),
            Some(Ok(Value::String(s))) => Ok(vec![s.to_str_lossy().into_owned()]),
            Some(Ok(Value::Array(a))) => {
                Ok(a.iter().map(|s| s.to_str_lossy().into_owned()).collect())
            }
        }
    };
    let first =
        |key: &str| -> Result<Option<String>, Error> { Ok(values(key)?.into_iter().next()) };
    let parents = values("Parent")?;
    if cols.ty == "exon" {
        exons.push(GffExon {
            parents,
            contig: cols.contig.to_string(),
            strand: cols.strand,
            exon: Exon {
                start: cols.start,
                end: cols.end,
            },
            line: line_no,
        });
        return Ok(());
    }
    let Some(id) = first("ID")? else {
        return Ok(());
    };
    let name = first("Name")?.or(first("gene")?);
    let mut biotype = None;
    for key in BIOTYPE_KEYS {
        if biotype.is_none() {
            biotype = first(key)?;
        }
    }
    let mut tags = Tags::default();
    for t in values("tag")? {
        tags.add(&t);
    }
    let entry = features.entry(id).or_insert(GffFeature {
        ty: cols.ty.to_string(),
        parent: parents.into_iter().next(),
        contig: cols.contig.to_string(),
        strand: cols.strand,
        start: cols.start,
        end: cols.end,
        name,
        biotype,
        tags,
    });
    // Discontinuous features repeat their ID: widen to cover every piece.
    entry.start = entry.start.min(cols.start);
    entry.end = entry.end.max(cols.end);
    Ok(())
}

/// Puts one exon into each transcript it names as `Parent`, under the transcript's gene.
fn link(asm: &mut Assembler, features: &HashMap<String, GffFeature>, e: GffExon) {
    let path = asm.path.display().to_string();
    let Some(strand) = e.strand else {
        asm.problem(format!("{path}:{}: exon has no strand; skipped", e.line));
        return;
    };
    for parent in e.parents {
        let Some(tx) = features.get(&parent) else {
            asm.problem(format!(
                "{path}:{}: exon names Parent {parent}, which is not defined; skipped",
                e.line
            ));
            continue;
        };
        let Some(tx_parent) = tx.parent.clone() else {
            asm.exons_without_transcript += 1;
            continue;
        };
        let Some((gene_id, gene)) = top_level(features, tx_parent.clone()) else {
            asm.problem(format!(
                "{path}:{}: transcript {parent} names Parent {tx_parent}, which is not defined; skipped",
                e.line
            ));
            continue;
        };
        let acc = asm.genes.entry(gene_id.clone()).or_default();
        if !acc.has_gene_line {
            acc.has_gene_line = true;
            acc.name = gene.name.clone();
            acc.biotype = gene.biotype.clone().or(tx.biotype.clone());
            if let Some(s) = gene.strand {
                acc.locus = Some((gene.contig.clone(), s, gene.start, gene.end));
            }
        }
        asm.tag(&gene_id, &parent, tx.tags);
        asm.add_exon(&gene_id, parent, &e.contig, strand, e.exon, e.line);
    }
}

/// The gene of a transcript whose parent is `id`: its top-level ancestor (miRNA →
/// primary_transcript → gene in RefSeq).
fn top_level(
    features: &HashMap<String, GffFeature>,
    mut id: String,
) -> Option<(String, &GffFeature)> {
    for _ in 0..8 {
        let f = features.get(&id)?;
        match &f.parent {
            Some(p) if features.contains_key(p) => id = p.clone(),
            _ => return Some((id, f)),
        }
    }
    features.get(&id).map(|f| (id, f))
}
