//! GFF2-style files: GTF (Ensembl, GENCODE, RefSeq, UCSC) and JGI's GFF2.
//!
//! Both write the attribute column as `key "value"; key value; …`, parsed here by hand (see
//! [`attributes`]). Only two keys differ: GTF groups exons by `gene_id` and `transcript_id`, and
//! JGI by `name` alone, each name being one transcript of its own gene. Gene lines, when present,
//! give the gene's name and biotype; every other feature (CDS, codons, UTRs) is ignored.

use std::io::BufRead;

use super::assemble::Assembler;
use super::{BIOTYPE_KEYS, Columns, parse_columns};
use crate::genome::gene::Tags;
use crate::genome::io::read_error;
use crate::genome::{Error, Exon, ParseErrorKind};

/// The attributes that name an exon's gene and transcript.
#[derive(Debug, Clone, Copy)]
pub(super) struct Keys {
    gene: &'static str,
    transcript: &'static str,
}

impl Keys {
    /// GTF: `gene_id` and `transcript_id`.
    pub const GTF: Keys = Keys {
        gene: "gene_id",
        transcript: "transcript_id",
    };
    /// JGI: `name` is both the gene and its one transcript.
    pub const JGI: Keys = Keys {
        gene: "name",
        transcript: "name",
    };
}

/// Parses a GFF2/GTF attribute column: `key "value"; key value; …`.
///
/// Hand-written rather than `noodles-gtf`, whose parser rejects the backslashes that RefSeq GTF
/// files carry inside quoted values (`gene_synonym "Dmel\CG45760"`) and JGI's unquoted numbers.
/// A backslash escapes only `"` and `\`; any other backslash is kept as it is.
pub(super) fn attributes(src: &[u8]) -> Result<Vec<(&str, String)>, &'static str> {
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
        let (value, after) = match rest.strip_prefix('"') {
            Some(quoted) => quoted_value(quoted)?,
            None => {
                let end = rest.find(';').unwrap_or(rest.len());
                let v = rest[..end].trim_end().to_string();
                if v.is_empty() {
                    return Err("an attribute has no value");
                }
                (v, &rest[end..])
            }
        };
        out.push((key, value));
        rest = after.trim_start();
        match rest.strip_prefix(';') {
            Some(r) => rest = r.trim_start(),
            None if rest.is_empty() => {}
            None => return Err("expected ';' between attributes"),
        }
    }
    Ok(out)
}

/// The value of a quoted attribute (after its opening quote) and the text after its closing one.
fn quoted_value(quoted: &str) -> Result<(String, &str), &'static str> {
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &quoted[i + 1..])),
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
    Err("a quoted value is not closed")
}

/// Reads every line of a GTF or JGI file into `asm`, exons grouped by `keys`.
pub(super) fn read<R: BufRead>(
    asm: &mut Assembler,
    mut reader: R,
    keys: Keys,
) -> Result<(), Error> {
    let mut buf = Vec::with_capacity(1024);
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| read_error(&asm.path, e))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let raw = buf.trim_ascii_end();
        if raw.first() == Some(&b'#') || raw.trim_ascii().is_empty() {
            continue;
        }
        let cols = parse_columns(&asm.path, line_no, raw)?;
        asm.count(cols.ty);
        let attr_text = raw.rsplit(|&b| b == b'\t').next().unwrap_or_default();
        if cols.ty == "gene" || cols.ty == "exon" {
            feature(asm, line_no, &cols, attr_text, keys)?;
        } else if cols.ty == "transcript" {
            transcript_tags(asm, attr_text, keys);
        }
    }
}

/// The tags of a `transcript` line (Ensembl and GENCODE put them there and on every exon line).
/// Other transcript attributes are not needed, so a line whose attributes do not parse or lack
/// the ids is passed over as before.
fn transcript_tags(asm: &mut Assembler, attr_text: &[u8], keys: Keys) {
    let Ok(attrs) = attributes(attr_text) else {
        return;
    };
    let get = |key: &str| attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
    if let (Some(g), Some(t)) = (get(keys.gene), get(keys.transcript)) {
        asm.tag(g, t, tags(&attrs));
    }
}

/// The transcript tags of a line's attributes (`tag "…"`, repeated).
fn tags(attrs: &[(&str, String)]) -> Tags {
    let mut tags = Tags::default();
    for (_, v) in attrs.iter().filter(|(k, _)| *k == "tag") {
        tags.add(v);
    }
    tags
}

/// One gene or exon line.
fn feature(
    asm: &mut Assembler,
    line_no: u64,
    cols: &Columns<'_>,
    attr_text: &[u8],
    keys: Keys,
) -> Result<(), Error> {
    let attrs =
        attributes(attr_text).map_err(|message| asm.attr_error(line_no, message.to_string()))?;
    let get = |key: &str| -> Option<String> {
        attrs
            .iter()
            .find(|(k, v)| *k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    let missing = |name| Error::Parse {
        path: asm.path.clone(),
        line: line_no,
        kind: ParseErrorKind::MissingAttribute { name },
    };
    let gene_id = get(keys.gene).ok_or_else(|| missing(keys.gene))?;
    let name = get("gene_name").or_else(|| get("gene"));
    let biotype = BIOTYPE_KEYS.iter().find_map(|k| get(k));
    if cols.ty == "gene" {
        asm.gene_line(gene_id, name, biotype, cols);
        return Ok(());
    }
    let tx_id = get(keys.transcript).ok_or_else(|| missing(keys.transcript))?;
    let Some(strand) = cols.strand else {
        asm.problem(format!(
            "{}:{line_no}: exon of transcript {tx_id} has no strand; skipped",
            asm.path.display()
        ));
        return Ok(());
    };
    let exon = Exon {
        start: cols.start,
        end: cols.end,
    };
    let acc = asm.genes.entry(gene_id.clone()).or_default();
    if acc.name.is_none() {
        acc.name = name;
    }
    if acc.biotype.is_none() {
        acc.biotype = biotype;
    }
    asm.tag(&gene_id, &tx_id, tags(&attrs));
    asm.add_exon(&gene_id, tx_id, cols.contig, strand, exon, line_no);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_tolerate_backslashes_and_unquoted_values() {
        let a = attributes(br#"gene_id "A\B"; transcript_id "t\"1"; level 2; x "";"#).unwrap();
        assert_eq!(
            a,
            vec![
                ("gene_id", r"A\B".to_string()),
                ("transcript_id", "t\"1".to_string()),
                ("level", "2".to_string()),
                ("x", String::new()),
            ]
        );
        assert!(attributes(br#"gene_id "open; "#).is_err());
        assert!(attributes(br#"gene_id "a" transcript_id "b""#).is_err());
    }

    #[test]
    fn jgi_attributes_mix_quoted_and_bare_values() {
        let a = attributes(br#"name "fgenesh1_pg.C_scaffold_1000001"; transcriptId 1234"#);
        assert_eq!(
            a.unwrap(),
            vec![
                ("name", "fgenesh1_pg.C_scaffold_1000001".to_string()),
                ("transcriptId", "1234".to_string()),
            ]
        );
    }
}
