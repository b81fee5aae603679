//! Annotation input (GTF and GFF3, gzipped or not) turned into [`Gene`] models.
//!
//! Lines are split and their attributes parsed with the `noodles` GTF/GFF readers; we add the
//! checks that give a file-and-line message for malformed input, and the assembly of
//! gene → transcript → exon that each annotation style (Ensembl, GENCODE, RefSeq, AUGUSTUS, JGI)
//! expresses a little differently:
//!
//! * GTF: exons carry `gene_id` and `transcript_id`; `gene` lines, when present, give the
//!   gene's name and biotype.
//! * GFF3: exons name their transcript by `Parent`, transcripts name their gene by `Parent`.
//!   Exons whose parent is itself top-level (RefSeq's convention for pseudogenes without a
//!   transcript) are not part of any transcript and are skipped and counted, which is also what
//!   the GTF of the same annotation contains.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use bstr::ByteSlice;
use noodles_gff as gff;

use super::gene::{Exon, Gene, Strand, Transcript};
use super::io::{LineCounter, open, read_error};
use super::{Error, ParseErrorKind};

/// The annotation file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// GTF (GFF2 with `gene_id`/`transcript_id`).
    Gtf,
    /// GFF3 (`ID`/`Parent`).
    Gff3,
}

impl Format {
    /// Guesses the format from the file name (`.gtf`, `.gff`, `.gff3`, optionally `.gz`).
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".gtf") {
            Some(Format::Gtf)
        } else if name.ends_with(".gff") || name.ends_with(".gff3") {
            Some(Format::Gff3)
        } else {
            None
        }
    }
}

/// The genes of an annotation with what was skipped on the way.
#[derive(Debug, Clone, Default)]
pub struct Annotation {
    /// Genes that have at least one transcript with exons, sorted by contig, start and id.
    pub genes: Vec<Gene>,
    /// Gene lines with no exon under them (RefSeq GTF pseudogenes, for instance).
    pub genes_without_exons: usize,
    /// GFF3 exons whose parent is a top-level feature rather than a transcript.
    pub exons_without_transcript: usize,
    /// Problems found that did not stop the parse, one line each.
    pub problems: Vec<String>,
}

#[derive(Default)]
struct GeneAcc {
    name: Option<String>,
    biotype: Option<String>,
    locus: Option<(String, Strand, u64, u64)>,
    transcripts: BTreeMap<String, TxAcc>,
    has_gene_line: bool,
}

struct TxAcc {
    contig: String,
    strand: Strand,
    exons: Vec<Exon>,
}

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

/// Reads the annotation at `path`; the format comes from `format`, else the file name, else the
/// first feature line.
pub fn read(path: &Path, format: Option<Format>) -> Result<Annotation, Error> {
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None => sniff(path)?,
    };
    let mut parser = Parser {
        path: path.to_path_buf(),
        genes: HashMap::new(),
        problems: Vec::new(),
        records: 0,
        exons_without_transcript: 0,
    };
    match format {
        Format::Gtf => parser.read_gtf(open(path)?)?,
        Format::Gff3 => parser.read_gff3(LineCounter::new(open(path)?))?,
    }
    if parser.records == 0 {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(parser.finish())
}

fn sniff(path: &Path) -> Result<Format, Error> {
    let mut reader = open(path)?;
    let mut line = Vec::new();
    let mut line_no = 0;
    loop {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .map_err(|e| read_error(path, e))?
            == 0
        {
            break;
        }
        line_no += 1;
        if line.starts_with(b"##gff-version 3") {
            return Ok(Format::Gff3);
        }
        if line.starts_with(b"#") || line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let attrs = line.split(|&b| b == b'\t').nth(8).unwrap_or_default();
        if attrs.contains(&b'=') && !attrs.contains(&b'"') {
            return Ok(Format::Gff3);
        }
        if attrs.contains(&b'"') {
            return Ok(Format::Gtf);
        }
        break;
    }
    Err(Error::Parse {
        path: path.to_path_buf(),
        line: line_no.max(1),
        kind: ParseErrorKind::UnknownFormat,
    })
}

/// Parses a GTF attribute column: `key "value"; key value; …`.
///
/// Hand-written rather than `noodles-gtf`, whose parser rejects the backslashes that RefSeq GTF
/// files carry inside quoted values (`gene_synonym "Dmel\CG45760"`). A backslash escapes only
/// `"` and `\`; any other backslash is kept as it is.
fn gtf_attributes(src: &[u8]) -> Result<Vec<(&str, String)>, &'static str> {
    let src = std::str::from_utf8(src).map_err(|_| "attributes are not valid UTF-8")?;
    let mut out = Vec::new();
    let mut rest = src.trim_start();
    while !rest.is_empty() {
        let key_end = rest
            .find(|c: char| c.is_ascii_whitespace() || c == ';')
            .unwrap_or(rest.len());
        let key = &rest[..key_end];
        rest = rest[key_end..].trim_start_matches([' ', '\t']);
        if key.is_empty() {
            rest = rest.strip_prefix(';').unwrap_or(rest).trim_start();
            continue;
        }
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    '\\' => match quoted[i + 1..].chars().next() {
                        Some(n @ ('"' | '\\')) => {
                            value.push(n);
                            chars.next();
                        }
                        _ => value.push('\\'),
                    },
                    c => value.push(c),
                }
            }
            let Some(end) = end else {
                return Err("a quoted value is not closed");
            };
            rest = &quoted[end..];
            value
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            let v = rest[..end].trim_end().to_string();
            rest = &rest[end..];
            if v.is_empty() {
                return Err("an attribute has no value");
            }
            v
        };
        out.push((key, value));
        rest = rest.trim_start();
        match rest.strip_prefix(';') {
            Some(r) => rest = r.trim_start(),
            None if rest.is_empty() => {}
            None => return Err("expected ';' between attributes"),
        }
    }
    Ok(out)
}

struct Parser {
    path: PathBuf,
    genes: HashMap<String, GeneAcc>,
    problems: Vec<String>,
    records: usize,
    exons_without_transcript: usize,
}

/// A GFF3 exon line: (parents, contig, strand, exon, line number).
type GffExon = (Vec<String>, String, Option<Strand>, Exon, u64);

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
}

const BIOTYPE_KEYS: [&[u8]; 3] = [b"gene_biotype", b"gene_type", b"biotype"];

impl Parser {
    fn attr_error(&self, line: u64, message: String) -> Error {
        Error::Parse {
            path: self.path.clone(),
            line,
            kind: ParseErrorKind::Attributes { message },
        }
    }

    fn problem(&mut self, message: String) {
        const MAX_PROBLEMS: usize = 50;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(message);
        }
    }

    fn read_gtf<R: BufRead>(&mut self, mut reader: R) -> Result<(), Error> {
        let mut buf = Vec::with_capacity(1024);
        let mut line_no = 0u64;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| read_error(&self.path, e))?;
            if n == 0 {
                return Ok(());
            }
            line_no += 1;
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            if buf.first() == Some(&b'#') || buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let raw = buf.as_slice();
            let cols = parse_columns(&self.path, line_no, raw)?;
            self.records += 1;
            let (is_gene, is_exon) = (cols.ty == "gene", cols.ty == "exon");
            if !is_gene && !is_exon {
                continue;
            }
            let attr_text = raw.rsplit(|&b| b == b'\t').next().unwrap_or_default();
            let attrs = gtf_attributes(attr_text)
                .map_err(|message| self.attr_error(line_no, message.to_string()))?;
            let get = |key: &str| -> Option<String> {
                attrs
                    .iter()
                    .find(|(k, v)| *k == key && !v.is_empty())
                    .map(|(_, v)| v.clone())
            };
            let Some(gene_id) = get("gene_id") else {
                return Err(Error::Parse {
                    path: self.path.clone(),
                    line: line_no,
                    kind: ParseErrorKind::MissingAttribute { name: "gene_id" },
                });
            };
            let name = get("gene_name").or_else(|| get("gene"));
            let biotype = BIOTYPE_KEYS
                .iter()
                .find_map(|k| get(std::str::from_utf8(k).unwrap_or_default()));
            if is_gene {
                let acc = self.genes.entry(gene_id).or_default();
                acc.has_gene_line = true;
                acc.name = name.or(acc.name.take());
                acc.biotype = biotype.or(acc.biotype.take());
                if let Some(strand) = cols.strand {
                    acc.locus = Some((cols.contig.to_string(), strand, cols.start, cols.end));
                }
                continue;
            }
            let Some(tx_id) = get("transcript_id") else {
                return Err(Error::Parse {
                    path: self.path.clone(),
                    line: line_no,
                    kind: ParseErrorKind::MissingAttribute {
                        name: "transcript_id",
                    },
                });
            };
            let Some(strand) = cols.strand else {
                self.problem(format!(
                    "{}:{line_no}: exon of transcript {tx_id} has no strand; skipped",
                    self.path.display()
                ));
                continue;
            };
            let exon = Exon {
                start: cols.start,
                end: cols.end,
            };
            let contig = cols.contig.to_string();
            let acc = self.genes.entry(gene_id).or_default();
            if acc.name.is_none() {
                acc.name = name;
            }
            if acc.biotype.is_none() {
                acc.biotype = biotype;
            }
            acc.transcripts
                .entry(tx_id)
                .or_insert_with(|| TxAcc {
                    contig,
                    strand,
                    exons: Vec::new(),
                })
                .exons
                .push(exon);
        }
    }

    fn read_gff3<R: BufRead>(&mut self, reader: LineCounter<R>) -> Result<(), Error> {
        let mut reader = gff::io::Reader::new(reader);
        let mut line = gff::Line::default();
        let mut features: HashMap<String, GffFeature> = HashMap::new();
        let mut exons: Vec<GffExon> = Vec::new();
        loop {
            let n = reader
                .read_line(&mut line)
                .map_err(|e| read_error(&self.path, e))?;
            if n == 0 {
                break;
            }
            let line_no = reader.get_ref().line();
            match line.kind() {
                gff::line::Kind::Directive => {
                    if line.as_directive().is_some_and(|d| d.key() == "FASTA") {
                        break;
                    }
                    continue;
                }
                gff::line::Kind::Comment => continue,
                gff::line::Kind::Record => {}
            }
            let raw: &[u8] = line.as_ref();
            let cols = parse_columns(&self.path, line_no, raw)?;
            self.records += 1;
            let record = match line.as_record() {
                Some(Ok(r)) => r,
                Some(Err(e)) => return Err(self.attr_error(line_no, e.to_string())),
                None => continue,
            };
            let attrs = record.attributes();
            let values = |key: &[u8]| -> Result<Vec<String>, Error> {
                match attrs.get(key) {
                    None => Ok(Vec::new()),
                    Some(Err(e)) => Err(self.attr_error(line_no, e.to_string())),
                    Some(Ok(gff::record::attributes::field::Value::String(s))) => {
                        Ok(vec![s.to_str_lossy().into_owned()])
                    }
                    Some(Ok(gff::record::attributes::field::Value::Array(a))) => {
                        Ok(a.iter().map(|s| s.to_str_lossy().into_owned()).collect())
                    }
                }
            };
            let parents = values(b"Parent")?;
            if cols.ty == "exon" {
                let exon = Exon {
                    start: cols.start,
                    end: cols.end,
                };
                exons.push((parents, cols.contig.to_string(), cols.strand, exon, line_no));
                continue;
            }
            let Some(id) = values(b"ID")?.into_iter().next() else {
                continue;
            };
            let name = values(b"Name")?
                .into_iter()
                .next()
                .or(values(b"gene")?.into_iter().next());
            let mut biotype = None;
            for key in BIOTYPE_KEYS {
                if biotype.is_none() {
                    biotype = values(key)?.into_iter().next();
                }
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
            });
            // Discontinuous features repeat their ID: widen to cover every piece.
            entry.start = entry.start.min(cols.start);
            entry.end = entry.end.max(cols.end);
        }

        for (parents, contig, strand, exon, line_no) in exons {
            let Some(strand) = strand else {
                self.problem(format!(
                    "{}:{line_no}: exon has no strand; skipped",
                    self.path.display()
                ));
                continue;
            };
            for parent in parents {
                let Some(tx) = features.get(&parent) else {
                    self.problem(format!(
                        "{}:{line_no}: exon names Parent {parent}, which is not defined; skipped",
                        self.path.display()
                    ));
                    continue;
                };
                let Some(mut gene_id) = tx.parent.clone() else {
                    self.exons_without_transcript += 1;
                    continue;
                };
                // The gene is the transcript's top-level ancestor (miRNA → primary_transcript
                // → gene in RefSeq).
                let mut depth = 0;
                let gene = loop {
                    match features.get(&gene_id) {
                        Some(f) => match &f.parent {
                            Some(p) if depth < 8 && features.contains_key(p) => {
                                gene_id = p.clone();
                                depth += 1;
                            }
                            _ => break Some(f),
                        },
                        None => break None,
                    }
                };
                let Some(gene) = gene else {
                    self.problem(format!(
                        "{}:{line_no}: transcript {parent} names Parent {gene_id}, which is not defined; skipped",
                        self.path.display()
                    ));
                    continue;
                };
                let acc = self.genes.entry(gene_id).or_default();
                if !acc.has_gene_line {
                    acc.has_gene_line = true;
                    acc.name = gene.name.clone();
                    acc.biotype = gene.biotype.clone().or(tx.biotype.clone());
                    if let Some(s) = gene.strand {
                        acc.locus = Some((gene.contig.clone(), s, gene.start, gene.end));
                    }
                }
                acc.transcripts
                    .entry(parent)
                    .or_insert_with(|| TxAcc {
                        contig: contig.clone(),
                        strand,
                        exons: Vec::new(),
                    })
                    .exons
                    .push(exon);
            }
        }
        // Gene-level features that never received an exon.
        for (id, f) in &features {
            if f.parent.is_none() && f.ty.ends_with("gene") && !self.genes.contains_key(id) {
                self.genes.entry(id.clone()).or_default().has_gene_line = true;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Annotation {
        let mut genes = Vec::with_capacity(self.genes.len());
        let mut genes_without_exons = 0;
        let mut accs: Vec<_> = std::mem::take(&mut self.genes).into_iter().collect();
        accs.sort_by(|a, b| a.0.cmp(&b.0));
        for (id, acc) in accs {
            let Some(first) = acc.transcripts.values().next() else {
                genes_without_exons += 1;
                continue;
            };
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
                transcripts.push(Transcript::new(tx_id, tx.exons));
            }
            if transcripts.is_empty() {
                genes_without_exons += 1;
                continue;
            }
            let exon_min = transcripts.iter().map(|t| t.exons[0].start).min();
            let exon_max = transcripts
                .iter()
                .filter_map(|t| t.exons.last().map(|e| e.end))
                .max();
            let (mut start, mut end) = (exon_min.unwrap_or(1), exon_max.unwrap_or(1));
            if let Some((_, _, s, e)) = acc.locus {
                start = start.min(s);
                end = end.max(e);
            }
            genes.push(Gene {
                name: acc.name.unwrap_or_else(|| id.clone()),
                id,
                biotype: acc.biotype,
                contig,
                strand,
                start,
                end,
                transcripts,
            });
        }
        genes.sort_by(|a, b| (&a.contig, a.start, &a.id).cmp(&(&b.contig, b.start, &b.id)));
        Annotation {
            genes,
            genes_without_exons,
            exons_without_transcript: self.exons_without_transcript,
            problems: self.problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

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

    #[test]
    fn gtf_attributes_tolerate_backslashes_and_unquoted_values() {
        let a = gtf_attributes(br#"gene_id "A\B"; transcript_id "t\"1"; level 2; x "";"#).unwrap();
        assert_eq!(
            a,
            vec![
                ("gene_id", r"A\B".to_string()),
                ("transcript_id", "t\"1".to_string()),
                ("level", "2".to_string()),
                ("x", String::new()),
            ]
        );
        assert!(gtf_attributes(br#"gene_id "open; "#).is_err());
        assert!(gtf_attributes(br#"gene_id "a" transcript_id "b""#).is_err());
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
}
