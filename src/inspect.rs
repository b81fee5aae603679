//! `spliceforge inspect`: what a genome + annotation pair holds, and what is wrong with it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use crate::genome::fasta::{self, ContigInfo, complement};
use crate::genome::select::{self, Selected, Selection};
use crate::genome::{Dialect, Error, Format, Gene, Intron, Strand, annotation};

/// Counts of the four splice dinucleotide classes over distinct introns.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Dinucleotides {
    /// `GT…AG`
    pub gt_ag: usize,
    /// `GC…AG`
    pub gc_ag: usize,
    /// `AT…AC` (U12-type)
    pub at_ac: usize,
    /// anything else, including introns with `N`
    pub other: usize,
}

impl Dinucleotides {
    fn add(&mut self, donor: [u8; 2], acceptor: [u8; 2]) {
        match (&donor, &acceptor) {
            (b"GT", b"AG") => self.gt_ag += 1,
            (b"GC", b"AG") => self.gc_ag += 1,
            (b"AT", b"AC") => self.at_ac += 1,
            _ => self.other += 1,
        }
    }

    /// Total introns counted.
    pub fn total(&self) -> usize {
        self.gt_ag + self.gc_ag + self.at_ac + self.other
    }
}

/// What `inspect` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// The annotation dialect recognised from the file's content.
    pub dialect: Dialect,
    /// Contigs of the FASTA, in file order.
    pub contigs: Vec<(String, u64)>,
    /// Genes (with at least one transcript with exons).
    pub genes: usize,
    /// Genes per biotype (`(none)` where the annotation gives none).
    pub biotypes: BTreeMap<String, usize>,
    /// Transcripts.
    pub transcripts: usize,
    /// Transcripts with two exons or more.
    pub multi_exon_transcripts: usize,
    /// Genes with at least one intron.
    pub genes_with_introns: usize,
    /// Distinct introns: `(contig, strand, start, end)`.
    pub distinct_introns: usize,
    /// Splice dinucleotides of the distinct introns.
    pub dinucleotides: Dinucleotides,
    /// The selection funnel, and how many genes it keeps.
    pub selection: Vec<(String, usize)>,
    /// Problems found.
    pub problems: Vec<String>,
}

/// Reads the genome and annotation, selects genes with `sel`, and reports.
pub fn inspect(
    genome: &Path,
    annotation_path: &Path,
    format: Option<Format>,
    sel: &Selection,
) -> Result<Report, Error> {
    let ann = annotation::read(annotation_path, format)?;
    let mut problems = ann.problems.clone();
    if ann.genes_without_exons > 0 {
        problems.push(format!(
            "{} gene(s) have no exon under a transcript (pseudogenes without transcript models, most often); not counted as genes",
            ann.genes_without_exons
        ));
    }
    if ann.exons_without_transcript > 0 {
        problems.push(format!(
            "{} exon(s) hang directly off a gene with no transcript; skipped",
            ann.exons_without_transcript
        ));
    }

    let GenomeScan {
        contigs,
        dinucleotides,
        distinct_introns,
    } = scan_genome(genome, &ann.genes, &mut problems)?;

    let mut biotypes = BTreeMap::new();
    for g in &ann.genes {
        let key = g.biotype.clone().unwrap_or_else(|| "(none)".into());
        *biotypes.entry(key).or_insert(0) += 1;
    }
    let transcripts = ann.genes.iter().map(|g| g.transcripts.len()).sum();
    let multi_exon_transcripts = ann
        .genes
        .iter()
        .flat_map(|g| &g.transcripts)
        .filter(|t| t.exons.len() > 1)
        .count();
    let genes_with_introns = ann.genes.iter().filter(|g| g.has_introns()).count();
    let genes = ann.genes.len();

    let Selected {
        genes: selected,
        missing_contig,
        funnel,
    } = select::select(ann.genes, annotation_path, &contigs, genome, sel)?;
    if !missing_contig.is_empty() {
        problems.push(format!(
            "{} gene(s) skipped because their contig is not in the FASTA",
            missing_contig.len()
        ));
    }
    let mut selection = funnel;
    selection.push(("selected".into(), selected.len()));

    Ok(Report {
        dialect: ann.dialect,
        contigs: contigs.into_iter().map(|c| (c.name, c.length)).collect(),
        genes,
        biotypes,
        transcripts,
        multi_exon_transcripts,
        genes_with_introns,
        distinct_introns,
        dinucleotides,
        selection,
        problems,
    })
}

/// What one pass over the FASTA finds for the annotation's genes.
struct GenomeScan {
    contigs: Vec<ContigInfo>,
    dinucleotides: Dinucleotides,
    distinct_introns: usize,
}

/// Reads the FASTA once: its contigs, and the splice dinucleotides of the distinct introns of
/// `genes`; annotation contigs the FASTA lacks are added to `problems`.
fn scan_genome(
    genome: &Path,
    genes: &[Gene],
    problems: &mut Vec<String>,
) -> Result<GenomeScan, Error> {
    let by_contig = crate::genome::gene::by_contig(genes);
    let mut dinucleotides = Dinucleotides::default();
    let mut distinct_introns = 0;
    let want = |name: &str| by_contig.contains_key(name);
    let contigs = fasta::each_contig(genome, want, |contig| -> Result<(), Error> {
        let mut introns: BTreeSet<(Strand, Intron)> = BTreeSet::new();
        for g in &by_contig[contig.name.as_str()] {
            introns.extend(g.introns().into_iter().map(|i| (g.strand, i)));
        }
        distinct_introns += introns.len();
        for (strand, intron) in introns {
            let first = two(contig.slice(intron.start, intron.start + 1));
            let last = two(contig.slice(intron.end - 1, intron.end));
            match strand {
                Strand::Forward => dinucleotides.add(first, last),
                Strand::Reverse => dinucleotides.add(revcomp2(last), revcomp2(first)),
            }
        }
        Ok(())
    })?;
    let known: BTreeSet<&str> = contigs.iter().map(|c| c.name.as_str()).collect();
    let missing: BTreeSet<&str> = by_contig
        .keys()
        .copied()
        .filter(|c| !known.contains(c))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "annotation contigs missing from the FASTA: {}",
            missing.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(GenomeScan {
        contigs,
        dinucleotides,
        distinct_introns,
    })
}

fn two(s: &[u8]) -> [u8; 2] {
    match s {
        [a, b] => [*a, *b],
        _ => *b"NN",
    }
}

fn revcomp2(d: [u8; 2]) -> [u8; 2] {
    [complement(d[1]), complement(d[0])]
}

fn pct(n: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * n as f64 / total as f64
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total_bp: u64 = self.contigs.iter().map(|c| c.1).sum();
        writeln!(f, "annotation dialect      {}", self.dialect)?;
        writeln!(
            f,
            "contigs                 {:>12}  ({total_bp} bp)",
            self.contigs.len()
        )?;
        for (name, len) in self.contigs.iter().take(10) {
            writeln!(f, "  {name:<22}{len:>12} bp")?;
        }
        if self.contigs.len() > 10 {
            writeln!(f, "  … and {} more", self.contigs.len() - 10)?;
        }
        writeln!(f, "genes                   {:>12}", self.genes)?;
        for (biotype, n) in &self.biotypes {
            writeln!(f, "  {biotype:<22}{n:>12}")?;
        }
        writeln!(f, "transcripts             {:>12}", self.transcripts)?;
        writeln!(
            f,
            "multi-exon transcripts  {:>12}",
            self.multi_exon_transcripts
        )?;
        writeln!(f, "genes with introns      {:>12}", self.genes_with_introns)?;
        writeln!(f, "distinct introns        {:>12}", self.distinct_introns)?;
        let d = &self.dinucleotides;
        let t = d.total();
        writeln!(f, "splice dinucleotides")?;
        for (label, n) in [
            ("GT-AG", d.gt_ag),
            ("GC-AG", d.gc_ag),
            ("AT-AC", d.at_ac),
            ("other", d.other),
        ] {
            writeln!(f, "  {label:<22}{n:>12}  {:>6.2} %", pct(n, t))?;
        }
        writeln!(f, "selection")?;
        for (step, n) in &self.selection {
            writeln!(f, "  {step:<40}{n:>8}")?;
        }
        if self.problems.is_empty() {
            writeln!(f, "problems                none")?;
        } else {
            writeln!(f, "problems")?;
            for p in &self.problems {
                writeln!(f, "  - {p}")?;
            }
        }
        Ok(())
    }
}
