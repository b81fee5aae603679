//! Annotation input turned into [`Gene`] models, in whichever dialect the file is written.
//!
//! The dialect is recognised from the content (module `dialect`), never from the file's name, and
//! every dialect that carries transcripts made of exons is read:
//!
//! * GTF (Ensembl, GENCODE, RefSeq): exons carry `gene_id` and `transcript_id`; `gene` lines,
//!   when present, give the gene's name and biotype.
//! * GTF converted from UCSC tables: exon, CDS and codon lines only, no gene or transcript
//!   lines; genes are assembled from the exons' `gene_id` (often the transcript's own id).
//! * GFF2 as the JGI portals write it (`name "…"; transcriptId …`): exons grouped by `name`,
//!   each name one transcript of its own gene.
//! * GFF3 (RefSeq, Ensembl): exons name their transcript by `Parent`, transcripts their gene;
//!   features outside genes (`region`, `chromosome`, `biological_region`) are ignored.
//!
//! GFF3 lines are parsed with `noodles-gff` (module `gff3`); the GFF2-style attribute columns of
//! GTF and JGI files by hand (module `gff2`). Each reader adds the checks that give a file-and-line
//! message for malformed input. A file from which no transcript made of exons comes out (a BED
//! file, a GFF3 of gene lines only, a FASTA given as annotation) is refused with a message that
//! names the dialect seen, the line, and what is missing.

mod assemble;
mod dialect;
mod gff2;
mod gff3;

use std::path::Path;

pub use dialect::Dialect;
use dialect::Family;

use super::gene::{Gene, Strand};
use super::io::{LineCounter, open_text};
use super::{Error, ParseErrorKind};

/// The annotation family forced by `--annotation-format`; by default the content decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// GTF-like attributes (`gene_id "…"`; JGI's `name "…"` is still recognised).
    Gtf,
    /// GFF3 (`ID`/`Parent`).
    Gff3,
}

/// The genes of an annotation with what was skipped on the way.
#[derive(Debug, Clone)]
pub struct Annotation {
    /// The dialect the file was read as.
    pub dialect: Dialect,
    /// Genes that have at least one transcript with exons, sorted by contig, start and id.
    pub genes: Vec<Gene>,
    /// Gene lines with no exon under them (RefSeq GTF pseudogenes, for instance).
    pub genes_without_exons: usize,
    /// GFF3 exons whose parent is a top-level feature rather than a transcript.
    pub exons_without_transcript: usize,
    /// Problems found that did not stop the parse, one line each.
    pub problems: Vec<String>,
}

/// Attributes that give a gene's biotype, in order of preference.
const BIOTYPE_KEYS: [&str; 3] = ["gene_biotype", "gene_type", "biotype"];

/// The nine columns of a feature line, checked.
struct Columns<'a> {
    contig: &'a str,
    ty: &'a str,
    start: u64,
    end: u64,
    strand: Option<Strand>,
}

fn parse_columns<'a>(path: &Path, line_no: u64, raw: &'a [u8]) -> Result<Columns<'a>, Error> {
    let err = |kind| Error::Parse {
        path: path.to_path_buf(),
        line: line_no,
        kind,
    };
    let cols: Vec<&[u8]> = raw.split(|&b| b == b'\t').collect();
    if cols.len() != 9 {
        return Err(err(ParseErrorKind::ColumnCount { found: cols.len() }));
    }
    let text = |b: &'a [u8]| std::str::from_utf8(b).unwrap_or("");
    let coord = |column: &'static str, b: &'a [u8]| -> Result<u64, Error> {
        match text(b).parse::<u64>() {
            Ok(v) if v >= 1 => Ok(v),
            _ => Err(err(ParseErrorKind::Coordinate {
                column,
                value: String::from_utf8_lossy(b).into_owned(),
            })),
        }
    };
    let start = coord("start", cols[3])?;
    let end = coord("end", cols[4])?;
    if start > end {
        return Err(err(ParseErrorKind::StartAfterEnd { start, end }));
    }
    let strand = match cols[6] {
        b"+" => Some(Strand::Forward),
        b"-" => Some(Strand::Reverse),
        b"." | b"?" => None,
        other => {
            return Err(err(ParseErrorKind::Strand {
                value: String::from_utf8_lossy(other).into_owned(),
            }));
        }
    };
    Ok(Columns {
        contig: text(cols[0]),
        ty: text(cols[2]),
        start,
        end,
        strand,
    })
}

/// Reads the annotation at `path`. Its dialect comes from its content; `format` may force GTF
/// or GFF3. A file that yields no transcript made of exons is refused.
pub fn read(path: &Path, format: Option<Format>) -> Result<Annotation, Error> {
    let seen = dialect::detect(path, format)?;
    let mut asm = assemble::Assembler::new(path);
    let parsed = match seen.family {
        Family::Gtf => gff2::read(&mut asm, open_text(path)?, gff2::Keys::GTF),
        Family::Jgi => gff2::read(&mut asm, open_text(path)?, gff2::Keys::JGI),
        Family::Gff3 => gff3::read(&mut asm, LineCounter::new(open_text(path)?)),
    };
    parsed.map_err(|e| blame_the_flag(e, &seen))?;
    if asm.records == 0 {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    let dialect = match seen.family {
        Family::Gtf if asm.saw_gene_or_transcript_lines() => Dialect::Gtf,
        Family::Gtf => Dialect::UcscGtf,
        Family::Jgi => Dialect::JgiGff2,
        Family::Gff3 => Dialect::Gff3,
    };
    let missing = asm.missing();
    let annotation = asm.finish(dialect);
    if annotation.genes.is_empty() {
        return Err(Error::Parse {
            path: path.to_path_buf(),
            line: seen.line,
            kind: ParseErrorKind::NoTranscripts { dialect, missing },
        });
    }
    Ok(annotation)
}

/// A parse error under a format that `--annotation-format` forced against the content says so.
fn blame_the_flag(e: Error, seen: &dialect::Detected) -> Error {
    match (e, seen.overridden) {
        (Error::Parse { path, line, kind }, Some(content)) => Error::Parse {
            path,
            line,
            kind: ParseErrorKind::ForcedFormat {
                forced: match seen.family {
                    Family::Gff3 => "gff3",
                    Family::Gtf | Family::Jgi => "gtf",
                },
                content: content.name(),
                cause: Box::new(kind),
            },
        },
        (e, _) => e,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::*;
    use crate::genome::{Site, SiteKind, fasta};

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data")
            .join(name)
    }

    const GENOME: &str = "DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz";

    fn all_introns(a: &Annotation) -> BTreeSet<(String, Strand, u64, u64)> {
        a.genes
            .iter()
            .flat_map(|g| {
                g.introns()
                    .into_iter()
                    .map(move |i| (g.contig.clone(), g.strand, i.start, i.end))
            })
            .collect()
    }

    #[test]
    fn gtf_and_gff3_of_the_same_annotation_give_the_same_introns() {
        let gtf = read(&data("DmelanDM6_4.gtf.gz"), None).unwrap();
        let gff = read(&data("DmelanDM6_4.gff.gz"), None).unwrap();
        assert_eq!(gtf.genes.len(), 107);
        assert_eq!(gff.genes.len(), 107);
        let (a, b) = (all_introns(&gtf), all_introns(&gff));
        assert_eq!(a.len(), 899);
        assert_eq!(a, b);
        let tx = |x: &Annotation| x.genes.iter().map(|g| g.transcripts.len()).sum::<usize>();
        assert_eq!((tx(&gtf), tx(&gff)), (338, 338));
    }

    #[test]
    fn minus_strand_gene_plexb_has_hand_checked_sites() {
        // PlexB (Dmel_CG17245), NC_004353.4:32478-43778 (-). Transcript NM_079877.4 has exons
        // 42914-43778, 36516-41285, 35874-36457, 33191-33373, 32812-33125; read right to left,
        // each exon's leftmost base is a donor and each rightmost base an acceptor.
        let gtf = read(&data("DmelanDM6_4.gtf.gz"), None).unwrap();
        let g = gtf.genes.iter().find(|g| g.id == "Dmel_CG17245").unwrap();
        assert_eq!(g.strand, Strand::Reverse);
        assert_eq!((g.start, g.end), (32478, 43778));
        let sites = g.sites();
        let d = |position| Site {
            position,
            kind: SiteKind::Donor,
        };
        let a = |position| Site {
            position,
            kind: SiteKind::Acceptor,
        };
        for s in [
            d(42914),
            a(41285),
            d(36516),
            a(36457),
            d(35874),
            a(33373),
            d(33191),
            a(33125),
        ] {
            assert!(sites.contains(&s), "{s:?} missing from {sites:?}");
        }
        // The intron 41286-42913 reads CT…AC on the forward strand: GT…AG on the gene's strand.
        let mut r = fasta::Reader::open(&data(GENOME)).unwrap();
        let contig = r.next_contig().unwrap().unwrap();
        assert_eq!(contig.slice(41286, 41287), b"CT");
        assert_eq!(contig.slice(42912, 42913), b"AC");
    }

    fn parse_err(format: Format, text: &str) -> (u64, ParseErrorKind) {
        let f = crate::store::fsutil::TempFile::new(text.as_bytes()).unwrap();
        match read(f.path(), Some(format)) {
            Err(Error::Parse { line, kind, .. }) => (line, kind),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_lines_name_line_and_problem() {
        let ok = "c\tsrc\texon\t1\t10\t.\t+\t.\tgene_id \"g\"; transcript_id \"t\";\n";
        let (line, kind) = parse_err(Format::Gtf, &format!("#h\n{ok}c\tsrc\texon\t1\n"));
        assert_eq!((line, kind), (3, ParseErrorKind::ColumnCount { found: 4 }));
        let (line, kind) = parse_err(Format::Gtf, &ok.replace("\t1\t10\t", "\tx\t10\t"));
        assert_eq!(line, 1);
        assert!(matches!(
            kind,
            ParseErrorKind::Coordinate {
                column: "start",
                ..
            }
        ));
        let (_, kind) = parse_err(Format::Gtf, &ok.replace("\t1\t10\t", "\t20\t10\t"));
        assert_eq!(kind, ParseErrorKind::StartAfterEnd { start: 20, end: 10 });
        let (_, kind) = parse_err(Format::Gtf, &ok.replace("\t+\t", "\tx\t"));
        assert!(matches!(kind, ParseErrorKind::Strand { .. }));
        let (_, kind) = parse_err(Format::Gtf, &ok.replace("gene_id \"g\"; ", ""));
        assert_eq!(kind, ParseErrorKind::MissingAttribute { name: "gene_id" });
        let gff = "##gff-version 3\n\nc\tsrc\tgene\t1\t10\t.\t+\t.\tID=g\nc\tsrc\tmRNA\t1\t-5\t.\t+\t.\tID=t;Parent=g\n";
        let (line, kind) = parse_err(Format::Gff3, gff);
        assert_eq!(line, 4, "blank lines count");
        assert!(matches!(
            kind,
            ParseErrorKind::Coordinate { column: "end", .. }
        ));
    }

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/annotation")
            .join(name)
    }

    /// A transcript as (contig, strand, exons), whatever its gene and transcript ids.
    type Model = (String, Strand, Vec<(u64, u64)>);

    /// Every transcript of `a`.
    fn models(a: &Annotation) -> BTreeSet<Model> {
        a.genes
            .iter()
            .flat_map(|g| {
                g.transcripts.iter().map(move |t| {
                    let exons = t.exons.iter().map(|e| (e.start, e.end)).collect();
                    (g.contig.clone(), g.strand, exons)
                })
            })
            .collect()
    }

    #[test]
    fn every_dialect_gives_the_same_transcripts_and_introns() {
        let reference = read(&fixture("ensembl.gtf"), None).unwrap();
        assert_eq!(reference.dialect, Dialect::Gtf);
        assert_eq!(reference.genes.len(), 2);
        assert_eq!(models(&reference).len(), 3);
        let introns = all_introns(&reference);
        let f = Strand::Forward;
        let want: BTreeSet<_> = [(201, 300), (201, 500), (401, 500)]
            .into_iter()
            .map(|(s, e)| ("chr1".to_string(), f, s, e))
            .chain([("chr1".to_string(), Strand::Reverse, 651, 750)])
            .collect();
        assert_eq!(introns, want);
        for (name, dialect, genes) in [
            ("ucsc.gtf", Dialect::UcscGtf, 3),
            ("refseq.gff3", Dialect::Gff3, 2),
            ("ensembl.gff3", Dialect::Gff3, 2),
            ("jgi.gff", Dialect::JgiGff2, 3),
        ] {
            let a = read(&fixture(name), None).unwrap();
            assert_eq!(a.dialect, dialect, "{name}");
            assert_eq!(a.genes.len(), genes, "{name}");
            assert_eq!(models(&a), models(&reference), "{name}");
            assert_eq!(all_introns(&a), introns, "{name}");
            assert!(a.problems.is_empty(), "{name}: {:?}", a.problems);
            assert_eq!(a.genes_without_exons, 0, "{name}");
        }
    }

    #[test]
    fn names_and_biotypes_come_from_gene_features() {
        for (name, id) in [
            ("ensembl.gtf", "G1"),
            ("refseq.gff3", "gene-alpha"),
            ("ensembl.gff3", "gene:G1"),
        ] {
            let a = read(&fixture(name), None).unwrap();
            let g = &a.genes[0];
            assert_eq!(g.id, id, "{name}");
            assert_eq!(g.name, "alpha", "{name}");
            assert_eq!(g.biotype.as_deref(), Some("protein_coding"), "{name}");
            assert_eq!(a.genes[1].biotype.as_deref(), Some("lncRNA"), "{name}");
        }
        let jgi = read(&fixture("jgi.gff"), None).unwrap();
        let ids: Vec<&str> = jgi.genes.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "estExt_Genewise1.C_chr1_0002",
                "fgenesh1_pg.chr1_000001",
                "gw1.chr1.3.1"
            ]
        );
        assert_eq!(jgi.genes[1].transcripts[0].id, "fgenesh1_pg.chr1_000001");
    }

    #[test]
    fn the_content_decides_not_the_name_and_the_flag_may_override() {
        let text = std::fs::read(fixture("ensembl.gtf")).unwrap();
        let f = crate::store::fsutil::TempFile::new(&text).unwrap();
        assert_eq!(read(f.path(), None).unwrap().dialect, Dialect::Gtf);
        // jgi.gff would have been GFF3 by its name.
        let jgi = read(&fixture("jgi.gff"), Some(Format::Gtf)).unwrap();
        assert_eq!(jgi.dialect, Dialect::JgiGff2);
        let forced = read(&fixture("ensembl.gtf"), Some(Format::Gff3)).unwrap_err();
        let text = forced.to_string();
        assert!(
            text.contains("the content looks like GTF, but --annotation-format gff3 was given"),
            "{text}"
        );
        let forced = read(&fixture("refseq.gff3"), Some(Format::Gtf)).unwrap_err();
        let text = forced.to_string();
        assert!(text.contains("refseq.gff3:5: malformed attributes: an attribute has no value (the content looks like GFF3, but --annotation-format gtf was given"), "{text}");
    }

    fn refusal(path: &Path) -> (u64, ParseErrorKind, String) {
        match read(path, None) {
            Err(e @ Error::Parse { .. }) => {
                let text = e.to_string();
                let Error::Parse { line, kind, .. } = e else {
                    unreachable!()
                };
                (line, kind, text)
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn files_without_transcripts_of_exons_are_refused_with_what_is_missing() {
        let (line, kind, text) = refusal(&fixture("genes-only.gff3"));
        assert_eq!(line, 1);
        assert!(
            matches!(
                kind,
                ParseErrorKind::NoTranscripts {
                    dialect: Dialect::Gff3,
                    ..
                }
            ),
            "{kind:?}"
        );
        assert!(text.contains("genes-only.gff3:1: GFF3"), "{text}");
        assert!(text.contains("no exon lines (only gene ×2)"), "{text}");
        assert!(text.contains("needs transcripts made of exons"), "{text}");
        let (line, kind, text) = refusal(&fixture("genes-only.gtf"));
        assert_eq!(line, 1);
        assert!(
            matches!(
                kind,
                ParseErrorKind::NoTranscripts {
                    dialect: Dialect::Gtf,
                    ..
                }
            ),
            "{kind:?}"
        );
        assert!(text.contains("no exon lines"), "{text}");
        let (line, kind, _) = refusal(&fixture("transcripts.bed"));
        assert_eq!(
            (line, kind),
            (1, ParseErrorKind::NotAnnotation { columns: 12 })
        );
        let (line, kind, text) = refusal(&fixture("genome.fa"));
        assert_eq!((line, kind), (1, ParseErrorKind::Fasta));
        assert!(
            text.contains("did you swap --genome and --annotation?"),
            "{text}"
        );
    }

    #[test]
    fn exons_hanging_off_genes_are_not_transcripts() {
        let gff = "##gff-version 3\nc\ts\tgene\t1\t90\t.\t+\t.\tID=g\nc\ts\texon\t1\t10\t.\t+\t.\tParent=g\n";
        let f = crate::store::fsutil::TempFile::new(gff.as_bytes()).unwrap();
        let (line, kind, _) = refusal(f.path());
        assert_eq!(line, 1);
        let ParseErrorKind::NoTranscripts { missing, .. } = kind else {
            panic!("{kind:?}")
        };
        assert!(missing.contains("none of its 1 exon line(s)"), "{missing}");
        assert!(missing.contains("Parent is a gene"), "{missing}");
    }

    #[test]
    fn an_exon_on_another_contig_than_its_transcript_is_skipped() {
        let exon = |c: &str, s: u32| {
            format!(
                "{c}\tt\texon\t{s}\t{}\t.\t+\t.\tgene_id \"g\"; transcript_id \"t\";\n",
                s + 9
            )
        };
        let text = [exon("chrX", 1), exon("chrX", 30), exon("chrY", 1)].concat();
        let f = crate::store::fsutil::TempFile::new(text.as_bytes()).unwrap();
        let a = read(f.path(), None).unwrap();
        assert_eq!(a.dialect, Dialect::UcscGtf);
        assert_eq!(a.genes[0].transcripts[0].exons.len(), 2);
        assert!(
            a.problems[0].contains(":3: exon lies on chrY+"),
            "{:?}",
            a.problems
        );
    }
}
