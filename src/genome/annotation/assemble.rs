//! Gene → transcript → exon assembly shared by every dialect, and the counts that explain a refusal.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::{Annotation, Columns, Dialect};
use crate::genome::gene::{Exon, Gene, Strand, Tags, Transcript};
use crate::genome::{Error, ParseErrorKind};

/// A gene being assembled.
#[derive(Default)]
pub(super) struct GeneAcc {
    pub name: Option<String>,
    pub biotype: Option<String>,
    pub locus: Option<(String, Strand, u64, u64)>,
    pub transcripts: BTreeMap<String, TxAcc>,
    pub has_gene_line: bool,
    /// Tags by transcript id, from any line that names the transcript.
    pub tags: BTreeMap<String, Tags>,
}

/// A transcript being assembled.
pub(super) struct TxAcc {
    contig: String,
    strand: Strand,
    exons: Vec<Exon>,
}

/// Collects genes, transcripts and exons as a reader finds them.
pub(super) struct Assembler {
    pub path: PathBuf,
    pub genes: HashMap<String, GeneAcc>,
    pub problems: Vec<String>,
    /// Feature lines read.
    pub records: usize,
    pub exons_without_transcript: usize,
    /// Feature lines per type (column 3).
    pub types: BTreeMap<String, usize>,
}

impl Assembler {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            genes: HashMap::new(),
            problems: Vec::new(),
            records: 0,
            exons_without_transcript: 0,
            types: BTreeMap::new(),
        }
    }

    /// Counts one feature line of type `ty`.
    pub fn count(&mut self, ty: &str) {
        self.records += 1;
        match self.types.get_mut(ty) {
            Some(n) => *n += 1,
            None => {
                self.types.insert(ty.to_string(), 1);
            }
        }
    }

    /// Whether any `gene` or `transcript` line was read.
    pub fn saw_gene_or_transcript_lines(&self) -> bool {
        self.types.contains_key("gene") || self.types.contains_key("transcript")
    }

    pub fn attr_error(&self, line: u64, message: String) -> Error {
        Error::Parse {
            path: self.path.clone(),
            line,
            kind: ParseErrorKind::Attributes { message },
        }
    }

    pub fn problem(&mut self, message: String) {
        const MAX_PROBLEMS: usize = 50;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(message);
        }
    }

    /// A GTF `gene` line: the gene's name, biotype and locus.
    pub fn gene_line(
        &mut self,
        id: String,
        name: Option<String>,
        biotype: Option<String>,
        cols: &Columns<'_>,
    ) {
        let acc = self.genes.entry(id).or_default();
        acc.has_gene_line = true;
        acc.name = name.or(acc.name.take());
        acc.biotype = biotype.or(acc.biotype.take());
        if let Some(strand) = cols.strand {
            acc.locus = Some((cols.contig.to_string(), strand, cols.start, cols.end));
        }
    }

    /// Adds an exon to transcript `tx_id` of gene `gene_id`. An exon on another contig or strand
    /// than the transcript's first (one id reused at two loci, as UCSC tables do for the
    /// pseudoautosomal regions) is skipped and reported.
    pub fn add_exon(
        &mut self,
        gene_id: &str,
        tx_id: String,
        contig: &str,
        strand: Strand,
        exon: Exon,
        line_no: u64,
    ) {
        let acc = self.genes.entry(gene_id.to_string()).or_default();
        let tx = acc.transcripts.entry(tx_id).or_insert_with(|| TxAcc {
            contig: contig.to_string(),
            strand,
            exons: Vec::new(),
        });
        if tx.contig == contig && tx.strand == strand {
            tx.exons.push(exon);
            return;
        }
        let message = format!(
            "{}:{line_no}: exon lies on {contig}{strand} but its transcript on {}{}; skipped",
            self.path.display(),
            tx.contig,
            tx.strand
        );
        self.problem(message);
    }

    /// Notes the tags a line gives transcript `tx_id` of gene `gene_id`.
    pub fn tag(&mut self, gene_id: &str, tx_id: &str, tags: Tags) {
        if tags == Tags::default() {
            return;
        }
        let acc = self.genes.entry(gene_id.to_string()).or_default();
        let t = acc.tags.entry(tx_id.to_string()).or_default();
        *t = t.union(tags);
    }

    /// Why no gene came out, for the refusal: what the file lacks.
    pub fn missing(&self) -> String {
        let exons = self.types.get("exon").copied().unwrap_or(0);
        if exons > 0 {
            let mut m = format!("none of its {exons} exon line(s) belongs to a transcript");
            if self.exons_without_transcript > 0 {
                m.push_str(" (exons whose Parent is a gene, not a transcript)");
            } else if let Some(p) = self.problems.first() {
                m.push_str(&format!(" (first problem: {p})"));
            }
            return m;
        }
        let mut seen: Vec<String> = self
            .types
            .iter()
            .take(6)
            .map(|(t, n)| format!("{t} ×{n}"))
            .collect();
        if self.types.len() > 6 {
            seen.push("…".into());
        }
        format!("it has no exon lines (only {})", seen.join(", "))
    }

    /// The genes that have at least one transcript with exons, sorted by contig, start and id.
    pub fn finish(mut self, dialect: Dialect) -> Annotation {
        let mut genes = Vec::with_capacity(self.genes.len());
        let mut genes_without_exons = 0;
        let mut accs: Vec<_> = std::mem::take(&mut self.genes).into_iter().collect();
        accs.sort_by(|a, b| a.0.cmp(&b.0));
        for (id, acc) in accs {
            match self.gene(id, acc) {
                Some(g) => genes.push(g),
                None => genes_without_exons += 1,
            }
        }
        genes.sort_by(|a, b| (&a.contig, a.start, &a.id).cmp(&(&b.contig, b.start, &b.id)));
        Annotation {
            dialect,
            genes,
            genes_without_exons,
            exons_without_transcript: self.exons_without_transcript,
            problems: self.problems,
        }
    }

    fn gene(&mut self, id: String, acc: GeneAcc) -> Option<Gene> {
        let first = acc.transcripts.values().next()?;
        let (contig, strand) = match &acc.locus {
            Some((c, s, _, _)) => (c.clone(), *s),
            None => (first.contig.clone(), first.strand),
        };
        let mut transcripts = Vec::with_capacity(acc.transcripts.len());
        for (tx_id, tx) in acc.transcripts {
            if tx.contig != contig || tx.strand != strand {
                self.problem(format!(
                    "gene {id}: transcript {tx_id} lies on {}{} but the gene on {contig}{strand}; transcript skipped",
                    tx.contig, tx.strand
                ));
                continue;
            }
            let tags = acc.tags.get(&tx_id).copied().unwrap_or_default();
            transcripts.push(Transcript::new(tx_id, tx.exons).with_tags(tags));
        }
        let start = transcripts.iter().map(|t| t.exons[0].start).min()?;
        let end = transcripts
            .iter()
            .filter_map(|t| t.exons.last().map(|e| e.end))
            .max()?;
        let (start, end) = match acc.locus {
            Some((_, _, s, e)) => (start.min(s), end.max(e)),
            None => (start, end),
        };
        Some(Gene {
            name: acc.name.unwrap_or_else(|| id.clone()),
            id,
            biotype: acc.biotype,
            contig,
            strand,
            start,
            end,
            transcripts,
        })
    }
}
