//! The VCF header: the `##` meta lines and the `#CHROM` line, kept as read, and the header an
//! annotated VCF gets (its own `##INFO` lines added or replaced).
//!
//! Checked no more than htslib (SpliceAI's reader, through pysam) checks: a `##fileformat=VCF…`
//! line and a `#CHROM` line naming the eight fixed columns. Meta lines are not parsed: htslib
//! reads on past an `##INFO` without Description, a duplicate ID or a line without `=`
//! (measured with pysam 0.24.1), so refusing them would refuse files SpliceAI annotates.

use std::path::Path;

use crate::variants::Error;
use crate::variants::error::shorten;

/// The fixed columns of the `#CHROM` line, tab-separated.
pub const COLUMNS: &str = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO";

/// A VCF header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    meta: Vec<String>,
    columns: String,
}

impl Header {
    /// The header of `meta` lines (each starting with `##`) and the `#CHROM` line `columns`,
    /// of the file `path` (for messages), where the `#CHROM` line is line `columns_line`.
    ///
    /// Refused: no `##fileformat=VCF` meta line ([`Error::NoHeader`]; htslib wants it first,
    /// it may stand anywhere here), a `#CHROM` line without the eight fixed columns
    /// ([`Error::Malformed`]).
    pub fn new(
        meta: Vec<String>,
        columns: String,
        path: &Path,
        columns_line: u64,
    ) -> Result<Header, Error> {
        if !meta.iter().any(|l| l.starts_with("##fileformat=VCF")) {
            return Err(Error::NoHeader {
                path: path.to_path_buf(),
                missing: "no ##fileformat=VCF… line",
            });
        }
        let fixed: Vec<&str> = COLUMNS.split('\t').collect();
        let named: Vec<&str> = columns.split('\t').take(fixed.len()).collect();
        if named != fixed {
            return Err(Error::Malformed {
                path: path.to_path_buf(),
                line: columns_line,
                expected: "the #CHROM line: #CHROM POS ID REF ALT QUAL FILTER INFO, tab-separated (then FORMAT and sample names, if any)",
                found: shorten(&columns),
            });
        }
        Ok(Header { meta, columns })
    }

    /// The `##` lines, in file order, without line ends.
    pub fn meta(&self) -> &[String] {
        &self.meta
    }

    /// The `#CHROM` line.
    pub fn columns(&self) -> &str {
        &self.columns
    }

    /// The sample names (the columns after FORMAT), if any.
    pub fn samples(&self) -> impl Iterator<Item = &str> {
        self.columns
            .split('\t')
            .skip(COLUMNS.split('\t').count() + 1)
    }

    /// The header as text: every line followed by `\n`.
    pub fn text(&self) -> String {
        self.with_info_lines(&[])
    }

    /// The header as text with the `##INFO=<ID=…,…>` lines `extra` added: a line whose ID an
    /// existing `##INFO` line has replaces that line where it stands (never a second line of
    /// one ID); the others are inserted, in the order given, after the last `##INFO` line, or
    /// just before the `#CHROM` line when there is none. Every line ends with `\n`.
    pub fn with_info_lines(&self, extra: &[&str]) -> String {
        let mut replaced = vec![false; extra.len()];
        let mut lines: Vec<&str> = Vec::with_capacity(self.meta.len() + extra.len() + 1);
        for line in &self.meta {
            let same = info_id(line)
                .and_then(|id| extra.iter().position(|e| info_id(e) == Some(id)))
                .filter(|&i| !replaced[i]);
            match same {
                Some(i) => {
                    replaced[i] = true;
                    lines.push(extra[i]);
                }
                // A second line of an ID already replaced goes.
                None if info_id(line)
                    .is_some_and(|id| extra.iter().any(|e| info_id(e) == Some(id))) => {}
                None => lines.push(line),
            }
        }
        let added = extra.iter().zip(&replaced).filter(|(_, r)| !**r);
        let at = lines
            .iter()
            .rposition(|l| l.starts_with("##INFO="))
            .map_or(lines.len(), |i| i + 1);
        lines.splice(at..at, added.map(|(e, _)| *e));
        lines.push(&self.columns);
        let mut text = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        text
    }
}

/// The ID of an `##INFO=<…>` line: the value of its `ID=` key (outside quotes), if any.
fn info_id(line: &str) -> Option<&str> {
    let body = line.strip_prefix("##INFO=<")?;
    let mut quoted = false;
    let mut field_start = true;
    for (i, c) in body.char_indices() {
        // A field starts after a comma outside quotes.
        if field_start && let Some(rest) = body[i..].strip_prefix("ID=") {
            let end = rest.find([',', '>']).unwrap_or(rest.len());
            return Some(&rest[..end]);
        }
        field_start = false;
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => field_start = true,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(meta: &[&str]) -> Header {
        let meta = meta.iter().map(|s| s.to_string()).collect();
        Header::new(meta, COLUMNS.to_string(), Path::new("x.vcf"), 9).unwrap()
    }

    const SPLICEAI: &str = "##INFO=<ID=SpliceAI,Number=.,Type=String,Description=\"new\">";

    #[test]
    fn needs_fileformat_and_the_fixed_columns() {
        let e =
            Header::new(vec!["##source=x".into()], COLUMNS.into(), Path::new("x"), 2).unwrap_err();
        assert!(matches!(e, Error::NoHeader { .. }), "{e}");
        let ok = ["##source=x".to_string(), "##fileformat=VCFv4.2".into()];
        for bad in [
            "#CHROM POS ID REF ALT QUAL FILTER INFO",
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER",
            "#chrom\tpos\tid\tref\talt\tqual\tfilter\tinfo",
        ] {
            let e = Header::new(ok.to_vec(), bad.into(), Path::new("x"), 3).unwrap_err();
            assert!(matches!(e, Error::Malformed { line: 3, .. }), "{e}");
        }
        let h = Header::new(
            ok.to_vec(),
            format!("{COLUMNS}\tFORMAT\tS1\tS2"),
            Path::new("x"),
            3,
        )
        .unwrap();
        assert_eq!(h.samples().collect::<Vec<_>>(), ["S1", "S2"]);
        assert_eq!(header(&["##fileformat=VCFv4.2"]).samples().count(), 0);
    }

    #[test]
    fn info_lines_go_after_the_last_info_or_before_chrom() {
        let h = header(&[
            "##fileformat=VCFv4.2",
            "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"d\">",
            "##FILTER=<ID=q10,Description=\"q\">",
            "##INFO=<ID=AF,Number=A,Type=Float,Description=\"a\">",
            "##contig=<ID=1,length=10>",
        ]);
        let other = "##INFO=<ID=Other,Number=1,Type=String,Description=\"o\">";
        let text = h.with_info_lines(&[SPLICEAI, other]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[3],
            "##INFO=<ID=AF,Number=A,Type=Float,Description=\"a\">"
        );
        assert_eq!(&lines[4..6], [SPLICEAI, other]);
        assert_eq!(lines[6], "##contig=<ID=1,length=10>");
        assert_eq!(lines[7], COLUMNS);
        assert!(text.ends_with(&format!("{COLUMNS}\n")));

        let h = header(&["##fileformat=VCFv4.2", "##contig=<ID=1,length=10>"]);
        let text = h.with_info_lines(&[SPLICEAI]);
        assert_eq!(
            text,
            format!("##fileformat=VCFv4.2\n##contig=<ID=1,length=10>\n{SPLICEAI}\n{COLUMNS}\n")
        );
        assert_eq!(
            h.text(),
            format!("##fileformat=VCFv4.2\n##contig=<ID=1,length=10>\n{COLUMNS}\n")
        );
    }

    #[test]
    fn an_info_line_of_the_same_id_is_replaced_in_place_once() {
        let old = "##INFO=<ID=SpliceAI,Number=.,Type=String,Description=\"old, ID=DP\">";
        let h = header(&[
            "##fileformat=VCFv4.2",
            old,
            "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"d\">",
            old,
        ]);
        let text = h.with_info_lines(&[SPLICEAI]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "##fileformat=VCFv4.2",
                SPLICEAI,
                "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"d\">",
                COLUMNS
            ]
        );
    }

    #[test]
    fn info_ids_are_read_outside_quotes() {
        assert_eq!(info_id("##INFO=<ID=DP,Number=1>"), Some("DP"));
        assert_eq!(
            info_id("##INFO=<Number=1,Description=\"x,ID=no\",ID=AF>"),
            Some("AF")
        );
        assert_eq!(info_id("##INFO=<Number=1>"), None);
        assert_eq!(info_id("##FORMAT=<ID=GT>"), None);
    }
}
