//! A gene table made from an annotation (GTF, GFF3, GFF2) and a `--transcripts` choice, by the
//! rule that writes the test data's `genes.txt`, so that the annotation and the table it gives
//! score alike:
//!
//! * one row per gene with at least one chosen transcript; its name is the annotation's gene
//!   name (the id when there is none);
//! * the span runs from the smallest start to the largest end of the chosen transcripts' exons
//!   (not the gene line's own span);
//! * the boundaries are the union of the chosen transcripts' exon starts and ends;
//! * rows are sorted by contig (in the order the annotation's genes list them: by name), then
//!   span start, span end and name.

use std::collections::HashMap;
use std::path::Path;

use super::{GeneTable, TableGene};
use crate::genome::{self, Annotation, Exon, ParseErrorKind, Transcripts};
use crate::variants::Error;

impl GeneTable {
    /// The genes of `annotation` (read from `path`, named in messages) with the `transcripts`
    /// chosen. Refused as `--transcripts` refuses an annotation without the tag asked for.
    pub fn from_annotation(
        annotation: &Annotation,
        path: &Path,
        transcripts: Transcripts,
    ) -> Result<GeneTable, Error> {
        let mut rank: HashMap<&str, usize> = HashMap::new();
        for g in &annotation.genes {
            let next = rank.len();
            rank.entry(g.contig.as_str()).or_insert(next);
        }
        let chosen = transcripts.choose(annotation.genes.clone(), path)?;
        let mut genes: Vec<TableGene> = chosen
            .genes
            .into_iter()
            .filter_map(|g| {
                let exons: Vec<Exon> = (g.transcripts.iter())
                    .flat_map(|t| t.exons.iter().copied())
                    .collect();
                let tx_start = exons.iter().map(|e| e.start).min()?;
                let tx_end = exons.iter().map(|e| e.end).max()?;
                let row = TableGene::new(
                    g.name.clone(),
                    g.contig.clone(),
                    g.strand,
                    tx_start,
                    tx_end,
                    exons.iter().map(|e| e.start).collect(),
                    exons.iter().map(|e| e.end).collect(),
                );
                Some(row.with_model(g))
            })
            .collect();
        genes.sort_by(|a, b| {
            let key = |g: &TableGene| (rank.get(g.chrom.as_str()).copied(), g.tx_start, g.tx_end);
            key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
        });
        Ok(GeneTable::from_genes(genes))
    }
}

/// The genes of the annotation at `path`; a file the annotation reader does not recognise as
/// one is [`Error::NotGenes`], naming both formats a gene file may have.
pub(super) fn load(path: &Path, transcripts: Transcripts) -> Result<GeneTable, Error> {
    match genome::annotation::read(path, None) {
        Ok(annotation) => GeneTable::from_annotation(&annotation, path, transcripts),
        Err(cause) if not_an_annotation(&cause) => Err(Error::NotGenes {
            path: path.to_path_buf(),
            cause,
        }),
        Err(e) => Err(e.into()),
    }
}

/// Whether the annotation reader refused the file as a whole (not a line of an annotation).
fn not_an_annotation(e: &genome::Error) -> bool {
    use ParseErrorKind as K;
    match e {
        genome::Error::Empty { .. } => true,
        genome::Error::Parse { kind, .. } => matches!(
            kind,
            K::Fasta | K::NotAnnotation { .. } | K::UnknownDialect { .. } | K::NoTranscripts { .. }
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genome::Strand;
    use crate::store::fsutil::TempDir;

    /// Two contigs given out of name order; gene b (minus strand) has a canonical transcript
    /// and a longer one; gene a starts where b does but ends first; z has a gene name.
    const GTF: &str = "\
c2\tt\texon\t500\t600\t.\t+\t.\tgene_id \"z\"; transcript_id \"z1\"; gene_name \"Zeta\";
c1\tt\texon\t300\t400\t.\t-\t.\tgene_id \"b\"; transcript_id \"b1\";
c1\tt\texon\t100\t200\t.\t-\t.\tgene_id \"b\"; transcript_id \"b1\";
c1\tt\texon\t150\t250\t.\t-\t.\tgene_id \"b\"; transcript_id \"b2\"; tag \"Ensembl_canonical\";
c1\tt\texon\t350\t450\t.\t-\t.\tgene_id \"b\"; transcript_id \"b2\"; tag \"Ensembl_canonical\";
c1\tt\texon\t100\t380\t.\t+\t.\tgene_id \"a\"; transcript_id \"a1\"; tag \"Ensembl_canonical\";
";

    fn table(text: &str, transcripts: Transcripts) -> Result<GeneTable, Error> {
        let dir = TempDir::new("spliceforge-genes-").unwrap();
        let path = dir.file("genes.gtf", text.as_bytes()).unwrap();
        GeneTable::load(&path, transcripts)
    }

    fn rows(t: &GeneTable) -> Vec<(&str, &str, u64, u64, Vec<u64>)> {
        t.genes()
            .iter()
            .map(|g| {
                let b = g.boundaries.clone();
                (g.name.as_str(), g.chrom.as_str(), g.tx_start, g.tx_end, b)
            })
            .collect()
    }

    #[test]
    fn every_transcript_makes_span_and_boundaries() {
        let t = table(GTF, Transcripts::All).unwrap();
        assert_eq!(
            rows(&t),
            [
                ("a", "c1", 100, 380, vec![100, 380]),
                (
                    "b",
                    "c1",
                    100,
                    450,
                    vec![100, 150, 200, 250, 300, 350, 400, 450]
                ),
                ("Zeta", "c2", 500, 600, vec![500, 600]),
            ]
        );
        assert_eq!(t.gene(1).strand, Strand::Reverse);
        assert_eq!(t.genes_at("c1", 390).collect::<Vec<_>>(), [1]);
        assert_eq!(t.genes_at("c1", 380).collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn the_chosen_transcripts_only_and_rows_resorted() {
        let t = table(GTF, Transcripts::Canonical).unwrap();
        // b's canonical transcript starts at 150, after a: a stays first, z has none.
        assert_eq!(
            rows(&t),
            [
                ("a", "c1", 100, 380, vec![100, 380]),
                ("b", "c1", 150, 450, vec![150, 250, 350, 450]),
            ]
        );
        // Equal spans: by name.
        let twins = "c1\tt\texon\t1\t9\t.\t+\t.\tgene_id \"y\"; transcript_id \"y1\";
c1\tt\texon\t1\t9\t.\t+\t.\tgene_id \"x\"; transcript_id \"x1\";
";
        let t = table(twins, Transcripts::All).unwrap();
        assert_eq!(rows(&t)[0].0, "x");
        let e = table(
            &GTF.replace("Ensembl_canonical", "basic"),
            Transcripts::Canonical,
        );
        assert!(matches!(
            e,
            Err(Error::Annotation(genome::Error::NoTranscriptTag { .. }))
        ));
    }

    #[test]
    fn the_table_it_writes_reads_back_the_same() {
        let t = table(GTF, Transcripts::All).unwrap();
        let mut out = Vec::new();
        t.write_spliceai(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("b\tc1\t-\t99\t450\t99,149,299,349,\t200,250,400,450,\n"),
            "{text}"
        );
        let back = table(&text, Transcripts::All).unwrap();
        // The same rows; the gene models differ (the annotation's transcripts, against one
        // transcript made of the table's exon lists).
        let rows = |t: &GeneTable| -> Vec<TableGene> {
            (t.genes().iter())
                .map(|g| TableGene {
                    model: None,
                    ..g.clone()
                })
                .collect()
        };
        assert_eq!(rows(&back), rows(&t));
    }

    #[test]
    fn a_file_of_neither_format_is_refused_naming_both() {
        for text in ["chr1\t100\t200\n", ">chr1\nACGT\n", "#NAM\tCHROM\n"] {
            let e = table(text, Transcripts::All).unwrap_err();
            let msg = e.to_string();
            assert!(matches!(e, Error::NotGenes { .. }), "{text:?}: {msg}");
            assert!(
                msg.contains("SpliceAI gene table") && msg.contains("GTF, GFF3, GFF2"),
                "{msg}"
            );
        }
        let bad_gtf = "c1\tt\texon\t1\tx\t.\t+\t.\tgene_id \"y\"; transcript_id \"y1\";\n";
        let e = table(bad_gtf, Transcripts::All).unwrap_err();
        assert!(
            matches!(e, Error::Annotation(genome::Error::Parse { line: 1, .. })),
            "{e}"
        );
        let missing = GeneTable::load(Path::new("/nonexistent/genes.txt"), Transcripts::All);
        assert!(matches!(missing, Err(Error::Open { .. })));
    }
}
