//! One VCF data line, kept as read: the columns variant scoring needs (CHROM, POS, REF, ALT,
//! INFO) are located once, and the output line is the input line with one INFO field added.

use std::fmt;

use crate::variants::error::shorten;

/// The number of fixed columns every record has (CHROM … INFO); FORMAT and samples may follow.
pub const FIXED_COLUMNS: usize = 8;

/// A VCF record: its raw line (without the line end) and where its first eight columns end.
///
/// Owned and cheap: one `String` and a few offsets; nothing is parsed beyond POS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    line_no: u64,
    line: String,
    pos: u64,
    /// `ends[i]`: the byte offset just past column `i` (0-based; INFO is column 7).
    ends: [usize; FIXED_COLUMNS],
}

/// Why a line is not a record: what was expected and what was found instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was expected.
    pub expected: &'static str,
    /// What was found, shortened to about 60 characters.
    pub found: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, found {:?}", self.expected, self.found)
    }
}

impl Record {
    /// Parses `line` (no line end), line `line_no` (1-based) of its file.
    ///
    /// Checked: at least 8 tab-separated columns; CHROM not empty and not a header line; POS a
    /// positive whole number; REF and ALT not empty. An empty INFO column reads as `.`.
    pub fn parse(line_no: u64, line: String) -> Result<Record, ParseError> {
        if line.starts_with('#') {
            return Err(ParseError {
                expected: "a record (header lines, which start with #, come before the #CHROM line)",
                found: shorten(&line),
            });
        }
        let mut ends = [0usize; FIXED_COLUMNS];
        let mut start = 0;
        for (i, end) in ends.iter_mut().enumerate() {
            let found = line[start..].find('\t').map(|at| start + at);
            *end = match found {
                Some(at) => at,
                None if i == FIXED_COLUMNS - 1 => line.len(),
                None => {
                    return Err(ParseError {
                        expected: "8 or more tab-separated columns (CHROM POS ID REF ALT QUAL FILTER INFO)",
                        found: shorten(&line),
                    });
                }
            };
            start = *end + 1;
        }
        let column = |i: usize| &line[if i == 0 { 0 } else { ends[i - 1] + 1 }..ends[i]];
        let bad = |expected, i: usize| ParseError {
            expected,
            found: shorten(column(i)),
        };
        if column(0).is_empty() {
            return Err(bad("a contig name in CHROM (column 1)", 0));
        }
        let pos = match column(1).parse::<u64>() {
            Ok(p) if p > 0 && column(1).bytes().all(|b| b.is_ascii_digit()) => p,
            _ => return Err(bad("a positive whole number in POS (column 2)", 1)),
        };
        if column(3).is_empty() {
            return Err(bad("reference bases in REF (column 4)", 3));
        }
        if column(4).is_empty() {
            return Err(bad("alternate alleles or '.' in ALT (column 5)", 4));
        }
        Ok(Record {
            line_no,
            line,
            pos,
            ends,
        })
    }

    fn column(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        &self.line[start..self.ends[i]]
    }

    /// The 1-based line of the file this record was read from.
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// The line as read, without its line end (`\n` or `\r\n`).
    pub fn line(&self) -> &str {
        &self.line
    }

    /// CHROM.
    pub fn chrom(&self) -> &str {
        self.column(0)
    }

    /// POS (1-based).
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// ID as written (`.` when missing).
    pub fn id(&self) -> &str {
        self.column(2)
    }

    /// REF as written (case kept).
    pub fn reference(&self) -> &str {
        self.column(3)
    }

    /// ALT as written (`.` when there is no alternate allele).
    pub fn alt(&self) -> &str {
        self.column(4)
    }

    /// The alternate alleles: ALT split on commas; none for `.`.
    pub fn alts(&self) -> impl Iterator<Item = &str> {
        let alt = self.alt();
        let none = alt == ".";
        alt.split(',').filter(move |_| !none)
    }

    /// INFO as written (`.` when empty; an empty column also counts as `.`).
    pub fn info(&self) -> &str {
        match self.column(7) {
            "" => ".",
            info => info,
        }
    }

    /// The line with `key=value` in INFO: appended after the fields already there (`;`-joined),
    /// or in place of INFO when it is `.` or empty. A field of the same key already in INFO
    /// (`key=…`, or a flag `key`) is replaced where it stands, and any later copy of it dropped,
    /// so the line holds the key once. Every other byte of the line is kept as read.
    pub fn with_info(&self, key: &str, value: &str) -> String {
        self.with_infos(&[(key, value.to_string())])
    }

    /// [`Record::with_info`] for several fields at once, appended in the order given.
    pub fn with_infos(&self, fields: &[(&str, String)]) -> String {
        let start = self.ends[6] + 1;
        let end = self.ends[7];
        let extra: usize = fields.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut out = String::with_capacity(self.line.len() + extra);
        out.push_str(&self.line[..start]);
        let info = &self.line[start..end];
        let mut placed = vec![false; fields.len()];
        if !(info.is_empty() || info == ".") {
            for field in info.split(';') {
                let same = fields.iter().position(|(key, _)| {
                    field
                        .strip_prefix(key)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
                });
                if same.is_some_and(|i| placed[i]) {
                    continue;
                }
                if out.len() > start {
                    out.push(';');
                }
                match same {
                    Some(i) => {
                        push_field(&mut out, fields[i].0, &fields[i].1);
                        placed[i] = true;
                    }
                    None => out.push_str(field),
                }
            }
        }
        for ((key, value), _) in fields.iter().zip(&placed).filter(|(_, p)| !**p) {
            if out.len() > start {
                out.push(';');
            }
            push_field(&mut out, key, value);
        }
        out.push_str(&self.line[end..]);
        out
    }
}

fn push_field(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push('=');
    out.push_str(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: &str) -> Record {
        Record::parse(7, line.to_string()).unwrap()
    }

    fn err(line: &str) -> ParseError {
        Record::parse(1, line.to_string()).unwrap_err()
    }

    #[test]
    fn columns_are_located_and_samples_kept() {
        let r = rec("chr1\t94077\trs1\tA\tC,G\t50\tPASS\tDP=3;AF=0.5\tGT\t0/1\t1/1");
        assert_eq!(r.line_no(), 7);
        assert_eq!(r.chrom(), "chr1");
        assert_eq!(r.pos(), 94077);
        assert_eq!(r.id(), "rs1");
        assert_eq!(r.reference(), "A");
        assert_eq!(r.alt(), "C,G");
        assert_eq!(r.info(), "DP=3;AF=0.5");
        assert_eq!(
            r.line(),
            "chr1\t94077\trs1\tA\tC,G\t50\tPASS\tDP=3;AF=0.5\tGT\t0/1\t1/1"
        );
    }

    #[test]
    fn multi_allelic_alt_splits_and_a_dot_has_no_alts() {
        let r = rec("1\t10\t.\tATACT\tAT,ATA,<DEL>,*\t.\t.\t.");
        assert_eq!(r.alts().collect::<Vec<_>>(), ["AT", "ATA", "<DEL>", "*"]);
        assert_eq!(rec("1\t10\t.\tA\t.\t.\t.\t.").alts().count(), 0);
        assert_eq!(
            rec("1\t10\t.\tA\tC\t.\t.\t.").alts().collect::<Vec<_>>(),
            ["C"]
        );
    }

    #[test]
    fn with_info_appends_replaces_and_keeps_every_other_byte() {
        let key = "SpliceAI";
        let v = "C|TUBB8|0.15|0.27|0.00|0.05|89|-23|-267|193";
        // INFO `.` is replaced.
        let r = rec("10\t94077\t.\tA\tC\t.\t.\t.");
        assert_eq!(
            r.with_info(key, v),
            format!("10\t94077\t.\tA\tC\t.\t.\t{key}={v}")
        );
        // An empty INFO column too.
        let r = rec("10\t94077\t.\tA\tC\t.\t.\t");
        assert_eq!(r.info(), ".");
        assert_eq!(
            r.with_info(key, "x"),
            "10\t94077\t.\tA\tC\t.\t.\tSpliceAI=x"
        );
        // Appended after existing fields; samples untouched.
        let r = rec("10\t1\t.\tA\tC\t.\t.\tDP=3;DB\tGT:AD\t0/1:3,4");
        assert_eq!(
            r.with_info(key, "x"),
            "10\t1\t.\tA\tC\t.\t.\tDP=3;DB;SpliceAI=x\tGT:AD\t0/1:3,4"
        );
        // Replaced in place, later copies dropped; a longer key with the same start is another key.
        let r = rec("10\t1\t.\tA\tC\t.\t.\tSpliceAI=old;DP=3;SpliceAIx=1;SpliceAI=older");
        assert_eq!(
            r.with_info(key, "new"),
            "10\t1\t.\tA\tC\t.\t.\tSpliceAI=new;DP=3;SpliceAIx=1"
        );
        // A flag of that key is replaced too.
        let r = rec("10\t1\t.\tA\tC\t.\t.\tDP=3;SpliceAI");
        assert_eq!(
            r.with_info(key, "v"),
            "10\t1\t.\tA\tC\t.\t.\tDP=3;SpliceAI=v"
        );
    }

    #[test]
    fn malformed_lines_say_what_was_expected() {
        let e = err("1\t10\t.\tA\tC\t.\t.");
        assert!(
            e.expected.starts_with("8 or more tab-separated columns"),
            "{e}"
        );
        assert_eq!(e.found, "1\t10\t.\tA\tC\t.\t.");
        let e = err("1 10 . A C . . .");
        assert!(e.expected.starts_with("8 or more"), "{e}");
        for (line, expected, found) in [
            (
                "1\t0\t.\tA\tC\t.\t.\t.",
                "a positive whole number in POS (column 2)",
                "0",
            ),
            (
                "1\tabc\t.\tA\tC\t.\t.\t.",
                "a positive whole number in POS (column 2)",
                "abc",
            ),
            (
                "1\t+5\t.\tA\tC\t.\t.\t.",
                "a positive whole number in POS (column 2)",
                "+5",
            ),
            (
                "1\t5\t.\t\tC\t.\t.\t.",
                "reference bases in REF (column 4)",
                "",
            ),
            (
                "1\t5\t.\tA\t\t.\t.\t.",
                "alternate alleles or '.' in ALT (column 5)",
                "",
            ),
            (
                "\t5\t.\tA\tC\t.\t.\t.",
                "a contig name in CHROM (column 1)",
                "",
            ),
        ] {
            let e = err(line);
            assert_eq!(
                (e.expected, e.found.as_str()),
                (expected, found),
                "{line:?}"
            );
        }
        let e = err("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO");
        assert!(e.expected.contains("header lines"), "{e}");
        let long = format!("1\t5\t.\tA\tC\t.\t.{}", "x".repeat(100));
        assert!(err(&long).found.ends_with('…'));
    }
}
