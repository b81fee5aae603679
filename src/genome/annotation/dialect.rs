//! Which annotation dialect a file is written in, recognised from its content, never its name.
//!
//! The first non-empty line tells a FASTA file (`>`) given by mistake; a `##gff-version 3`
//! directive, or else the attribute column of the first feature line that says enough, tells
//! the family: GFF3 (`ID=…;Parent=…`), GTF (`gene_id "…"; transcript_id "…";`) or GFF2 as JGI
//! writes it (`name "…"; transcriptId …`). GTF written by Ensembl, GENCODE or RefSeq and GTF
//! converted from UCSC tables differ only in the gene and transcript lines the latter lacks, so
//! that is decided after reading (see [`super::read`]).

use std::fmt;
use std::io::BufRead;
use std::path::Path;

use super::Format;
use super::gff2;
use crate::genome::io::{open_text, read_error};
use crate::genome::{Error, ParseErrorKind};

/// The annotation dialect that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Dialect {
    /// GTF with gene and/or transcript lines (Ensembl, GENCODE, RefSeq).
    #[serde(rename = "gtf")]
    Gtf,
    /// GTF without gene or transcript lines, as UCSC's table browser and `genePredToGtf` write it:
    /// genes are assembled from the exons' `gene_id`.
    #[serde(rename = "ucsc-gtf")]
    UcscGtf,
    /// GFF2 as the JGI portals write it: exons grouped by `name`, one transcript per gene.
    #[serde(rename = "jgi-gff2")]
    JgiGff2,
    /// GFF3 (RefSeq, Ensembl, …): `ID` and `Parent` links.
    #[serde(rename = "gff3")]
    Gff3,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Gtf => "GTF",
            Dialect::UcscGtf => "GTF from UCSC tables (no gene or transcript lines)",
            Dialect::JgiGff2 => "GFF2 (JGI)",
            Dialect::Gff3 => "GFF3",
        })
    }
}

/// How a file's lines are read: the attribute syntax and the keys that group exons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    /// GTF, Ensembl-like or from UCSC.
    Gtf,
    /// JGI's GFF2.
    Jgi,
    /// GFF3.
    Gff3,
}

/// The family found and the line that showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Detected {
    /// The family.
    pub family: Family,
    /// The 1-based line that decided (the directive or the feature line).
    pub line: u64,
    /// The family the content showed, when `--annotation-format` forced another one.
    pub overridden: Option<Family>,
}

impl Family {
    /// The family's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Family::Gtf => "GTF",
            Family::Jgi => "GFF2 (JGI)",
            Family::Gff3 => "GFF3",
        }
    }
}

/// Feature lines looked at before giving up on an undecided file.
const MAX_FEATURE_LINES: usize = 1000;

/// Detects the family of `path` from its content; `forced` (`--annotation-format`) overrides
/// GTF against GFF3, but a FASTA file or a table without 9 columns is refused either way.
pub(super) fn detect(path: &Path, forced: Option<Format>) -> Result<Detected, Error> {
    let found = scan(path)?;
    let at = |line, kind| Error::Parse {
        path: path.to_path_buf(),
        line,
        kind,
    };
    match (forced, found) {
        (_, Scan::NoFeature) => Err(Error::Empty {
            path: path.to_path_buf(),
        }),
        (_, Scan::Fasta { line }) => Err(at(line, ParseErrorKind::Fasta)),
        (_, Scan::Columns { line, found }) => {
            Err(at(line, ParseErrorKind::NotAnnotation { columns: found }))
        }
        (Some(Format::Gtf), Scan::Found(d)) if d.family == Family::Jgi => Ok(d),
        (Some(forced), s) => {
            let family = match forced {
                Format::Gtf => Family::Gtf,
                Format::Gff3 => Family::Gff3,
            };
            let overridden = match s {
                Scan::Found(d) if d.family != family => Some(d.family),
                _ => None,
            };
            Ok(Detected {
                family,
                line: s.line(),
                overridden,
            })
        }
        (None, Scan::Found(d)) => Ok(d),
        (None, Scan::Undecided { line, attributes }) => {
            Err(at(line, ParseErrorKind::UnknownDialect { attributes }))
        }
    }
}

/// What the first lines of a file showed.
#[derive(Debug, PartialEq, Eq)]
enum Scan {
    Found(Detected),
    Fasta { line: u64 },
    Columns { line: u64, found: usize },
    Undecided { line: u64, attributes: String },
    NoFeature,
}

impl Scan {
    fn line(&self) -> u64 {
        match self {
            Scan::Found(d) => d.line,
            Scan::Fasta { line } | Scan::Columns { line, .. } | Scan::Undecided { line, .. } => {
                *line
            }
            Scan::NoFeature => 1,
        }
    }
}

fn scan(path: &Path) -> Result<Scan, Error> {
    let mut reader = open_text(path)?;
    let mut buf = Vec::new();
    let (mut line_no, mut features) = (0u64, 0usize);
    let mut first_feature: Option<(u64, String)> = None;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| read_error(path, e))?;
        if n == 0 || features >= MAX_FEATURE_LINES {
            break;
        }
        line_no += 1;
        let line = buf.trim_ascii_end();
        if line.trim_ascii().is_empty() {
            continue;
        }
        if line.starts_with(b">") && first_feature.is_none() {
            return Ok(Scan::Fasta { line: line_no });
        }
        if line.starts_with(b"##gff-version 3") {
            return Ok(Scan::Found(Detected {
                family: Family::Gff3,
                line: line_no,
                overridden: None,
            }));
        }
        if line.starts_with(b"#") {
            continue;
        }
        let cols: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
        if cols.len() != 9 {
            if first_feature.is_none() {
                return Ok(Scan::Columns {
                    line: line_no,
                    found: cols.len(),
                });
            }
            continue;
        }
        features += 1;
        if let Some(family) = classify(cols[8]) {
            return Ok(Scan::Found(Detected {
                family,
                line: line_no,
                overridden: None,
            }));
        }
        if first_feature.is_none() {
            let text = String::from_utf8_lossy(cols[8]);
            first_feature = Some((line_no, text.chars().take(80).collect()));
        }
    }
    Ok(match first_feature {
        Some((line, attributes)) => Scan::Undecided { line, attributes },
        None => Scan::NoFeature,
    })
}

/// The family an attribute column belongs to, if it says.
fn classify(attrs: &[u8]) -> Option<Family> {
    if let Ok(pairs) = gff2::attributes(attrs) {
        let has = |key: &str| pairs.iter().any(|(k, _)| *k == key);
        if has("gene_id") || has("transcript_id") {
            return Some(Family::Gtf);
        }
        if has("name") && (has("transcriptId") || has("proteinId") || has("exonNumber")) {
            return Some(Family::Jgi);
        }
    }
    let text = std::str::from_utf8(attrs).ok()?;
    let mut fields = text.split(';').map(str::trim).filter(|f| !f.is_empty());
    let is_pair = |f: &str| {
        f.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && !k.contains(|c: char| c.is_whitespace() || c == '"')
        })
    };
    let first = fields.next()?;
    (is_pair(first) && fields.all(is_pair)).then_some(Family::Gff3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_columns_tell_the_family() {
        let gtf = br#"gene_id "g1"; transcript_id "t1"; exon_number "1";"#;
        assert_eq!(classify(gtf), Some(Family::Gtf));
        assert_eq!(classify(br#"gene_id "a=b";"#), Some(Family::Gtf));
        let jgi = br#"name "fgenesh1_pg.C_scaffold_1000001"; transcriptId 1234"#;
        assert_eq!(classify(jgi), Some(Family::Jgi));
        let cds = br#"name "x"; proteinId 1234; exonNumber 1"#;
        assert_eq!(classify(cds), Some(Family::Jgi));
        assert_eq!(classify(b"ID=gene-x;Name=x"), Some(Family::Gff3));
        assert_eq!(
            classify(b"ID=chromosome:1;Alias=CM000663.2"),
            Some(Family::Gff3)
        );
        assert_eq!(classify(b"Note=two words;"), Some(Family::Gff3));
        assert_eq!(classify(b"."), None);
        assert_eq!(classify(br#"name "x""#), None);
    }

    fn scan_text(text: &str) -> Scan {
        let f = crate::store::fsutil::TempFile::new(text.as_bytes()).unwrap();
        scan(f.path()).unwrap()
    }

    #[test]
    fn first_lines_tell_fasta_tables_and_families() {
        assert_eq!(scan_text("\n>chr1 x\nACGT\n"), Scan::Fasta { line: 2 });
        assert_eq!(
            scan_text("#c\nchr1\t10\t20\tname\n"),
            Scan::Columns { line: 2, found: 4 }
        );
        let gff = "##gff-version 3\nc\ts\tregion\t1\t9\t.\t+\t.\tID=c\n";
        assert_eq!(
            scan_text(gff),
            Scan::Found(Detected {
                family: Family::Gff3,
                line: 1,
                overridden: None,
            })
        );
        let late = "c\ts\tx\t1\t9\t.\t+\t.\t.\nc\ts\texon\t1\t9\t.\t+\t.\tgene_id \"g\";\n";
        assert_eq!(
            scan_text(late),
            Scan::Found(Detected {
                family: Family::Gtf,
                line: 2,
                overridden: None,
            })
        );
        assert_eq!(
            scan_text("c\ts\tx\t1\t9\t.\t+\t.\tfoo bar baz\n"),
            Scan::Undecided {
                line: 1,
                attributes: "foo bar baz".into()
            }
        );
        assert_eq!(scan_text("# only\n\n"), Scan::NoFeature);
    }
}
