//! SpliceAI's gene table (`grch37.txt`, `grch38.txt` in the spliceai 1.3.1 wheel), read and
//! written.
//!
//! Tab-separated with the header `#NAME CHROM STRAND TX_START TX_END EXON_START EXON_END`;
//! TX_START and EXON_START are 0-based (SpliceAI adds 1), TX_END and EXON_END 1-based; exon lists
//! are comma-separated, with a trailing comma. SpliceAI reads it with pandas, by column name: the
//! columns may stand in any order and further columns are ignored; so are further fields of a row
//! and blank lines. Checked more than pandas checks (it would fail later, or score nothing): a
//! strand of `+` or `-`, whole numbers, a non-empty span, as many exon ends as starts, each exon
//! ending after it starts.

use std::io::{self, Write};
use std::path::Path;

use super::{GeneTable, TableGene};
use crate::genome::Strand;
use crate::variants::error::shorten;
use crate::variants::input::Lines;
use crate::variants::{Error, vcf};

/// The header line SpliceAI's tables have (and [`GeneTable::write_spliceai`] writes).
pub const HEADER: &str = "#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\tEXON_END";

const EXPECTED_HEADER: &str = "a header line naming the columns #NAME, CHROM, STRAND, TX_START, TX_END, EXON_START and EXON_END, tab-separated";

/// Where each column SpliceAI reads stands in a row.
struct Columns {
    name: usize,
    chrom: usize,
    strand: usize,
    tx_start: usize,
    tx_end: usize,
    exon_start: usize,
    exon_end: usize,
    /// The number of fields a row needs.
    needed: usize,
}

impl Columns {
    fn find(header: &str) -> Option<Columns> {
        let names: Vec<&str> = header.split('\t').collect();
        let at = |n: &str| names.iter().position(|&h| h == n);
        let c = Columns {
            name: at("#NAME")?,
            chrom: at("CHROM")?,
            strand: at("STRAND")?,
            tx_start: at("TX_START")?,
            tx_end: at("TX_END")?,
            exon_start: at("EXON_START")?,
            exon_end: at("EXON_END")?,
            needed: 0,
        };
        let needed = 1 + [
            c.name,
            c.chrom,
            c.strand,
            c.tx_start,
            c.tx_end,
            c.exon_start,
            c.exon_end,
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        Some(Columns { needed, ..c })
    }
}

/// What was expected of a row, and what was found.
type RowError = (&'static str, String);

impl GeneTable {
    /// Reads SpliceAI's gene table at `path` (plain, gzip or BGZF): the genes in file order.
    pub fn read_spliceai(path: &Path) -> Result<GeneTable, Error> {
        let mut lines = Lines::open(path, vcf::max_line())?;
        let at = |lines: &Lines, (expected, found): RowError| Error::GeneTable {
            path: lines.path().to_path_buf(),
            line: lines.line_no().max(1),
            expected,
            found,
        };
        let mut buf = Vec::new();
        let mut columns = None;
        let mut genes = Vec::new();
        while lines.next_line(&mut buf)? {
            if buf.trim_ascii().is_empty() {
                continue;
            }
            let Ok(line) = std::str::from_utf8(&buf) else {
                let found = shorten(&String::from_utf8_lossy(&buf));
                return Err(at(&lines, ("UTF-8 text", found)));
            };
            match &columns {
                None => {
                    let found = Columns::find(line)
                        .ok_or_else(|| at(&lines, (EXPECTED_HEADER, shorten(line))))?;
                    columns = Some(found);
                }
                Some(c) => genes.push(row(line, c).map_err(|e| at(&lines, e))?),
            }
        }
        if columns.is_none() {
            return Err(at(&lines, (EXPECTED_HEADER, "an empty file".into())));
        }
        if genes.is_empty() {
            let e = ("gene rows after the header", "no row".into());
            return Err(at(&lines, e));
        }
        Ok(GeneTable::from_genes(genes))
    }

    /// Writes the table in SpliceAI's format (0-based starts, trailing commas), one row per
    /// gene in table order, for SpliceAI's `-A`.
    pub fn write_spliceai(&self, mut w: impl Write) -> io::Result<()> {
        writeln!(w, "{HEADER}")?;
        for g in self.genes() {
            write!(
                w,
                "{}\t{}\t{}\t{}\t{}\t",
                g.name,
                g.chrom,
                g.strand.symbol(),
                g.tx_start - 1,
                g.tx_end
            )?;
            for s in &g.starts {
                write!(w, "{},", s - 1)?;
            }
            w.write_all(b"\t")?;
            for e in &g.ends {
                write!(w, "{e},")?;
            }
            w.write_all(b"\n")?;
        }
        w.flush()
    }
}

/// One row of the table.
fn row(line: &str, c: &Columns) -> Result<TableGene, RowError> {
    let fields: Vec<&str> = line.split('\t').collect();
    if fields.len() < c.needed {
        return Err((
            "as many tab-separated fields as the header has columns",
            shorten(line),
        ));
    }
    let field = |i: usize| fields[i];
    let bad = |expected, i: usize| (expected, shorten(field(i)));
    if field(c.name).is_empty() {
        return Err(bad("a gene name in #NAME", c.name));
    }
    if field(c.chrom).is_empty() {
        return Err(bad("a contig name in CHROM", c.chrom));
    }
    let strand = match field(c.strand) {
        "+" => Strand::Forward,
        "-" => Strand::Reverse,
        _ => return Err(bad("+ or - in STRAND", c.strand)),
    };
    let tx_start0 = number(field(c.tx_start))
        .ok_or_else(|| bad("a whole number in TX_START (0-based)", c.tx_start))?;
    let tx_end = number(field(c.tx_end))
        .ok_or_else(|| bad("a whole number in TX_END (1-based)", c.tx_end))?;
    if tx_end <= tx_start0 {
        return Err((
            "TX_END after TX_START (TX_START is 0-based, TX_END 1-based)",
            format!("{tx_start0} {tx_end}"),
        ));
    }
    let starts = numbers(field(c.exon_start))
        .ok_or_else(|| bad("comma-separated whole numbers in EXON_START", c.exon_start))?;
    let ends = numbers(field(c.exon_end))
        .ok_or_else(|| bad("comma-separated whole numbers in EXON_END", c.exon_end))?;
    if starts.is_empty() {
        return Err(bad("at least one exon in EXON_START", c.exon_start));
    }
    Ok(TableGene::new(
        field(c.name).to_string(),
        field(c.chrom).to_string(),
        strand,
        tx_start0 + 1,
        tx_end,
        starts.into_iter().map(|s0| s0 + 1).collect(),
        ends,
    ))
}

/// A whole number written in decimal digits.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A comma-separated list of whole numbers; empty items (a trailing comma) are skipped, as
/// SpliceAI's `[int(i) for i in c.split(',') if i]` skips them.
fn numbers(text: &str) -> Option<Vec<u64>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(number)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fsutil::TempDir;
    use crate::variants::input::tests::gzip;

    /// Two genes as SpliceAI's grch37.txt writes them (trailing commas), and one without.
    const TABLE: &str = "#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\tEXON_END
OR4F5\t1\t+\t69090\t70008\t69090,\t70008,
TUBB8\t10\t-\t92827\t95178\t92827,93661,94046,94385,94778,95077,\t93067,93920,94228,94555,94815,95178,
NOTRAIL\t10\t+\t100\t300\t100,200\t150,300
";

    fn read(text: &[u8]) -> Result<GeneTable, Error> {
        let dir = TempDir::new("spliceforge-genes-").unwrap();
        let path = dir.file("genes.txt", text).unwrap();
        GeneTable::read_spliceai(&path)
    }

    fn row_error(text: &str) -> (u64, &'static str, String) {
        match read(text.as_bytes()) {
            Err(Error::GeneTable {
                line,
                expected,
                found,
                ..
            }) => (line, expected, found),
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn starts_become_1_based_and_trailing_commas_are_optional() {
        let t = read(TABLE.as_bytes()).unwrap();
        assert_eq!(t.len(), 3);
        let g = t.gene(0);
        assert_eq!((g.name.as_str(), g.chrom.as_str()), ("OR4F5", "1"));
        assert_eq!(
            (g.strand, g.tx_start, g.tx_end),
            (Strand::Forward, 69091, 70008)
        );
        assert_eq!(g.boundaries, [69091, 70008]);
        let tubb8 = t.gene(1);
        assert_eq!(tubb8.strand, Strand::Reverse);
        assert_eq!(tubb8.boundaries.len(), 12);
        assert_eq!(tubb8.boundaries[..2], [92828, 93067]);
        assert_eq!(t.gene(2).boundaries, [101, 150, 201, 300]);
        // SpliceAI's golden variant chr10:94077 lies in TUBB8 only.
        assert_eq!(t.genes_at("chr10", 94077).collect::<Vec<_>>(), [1]);
        assert_eq!(t.genes_at("10", 92828).collect::<Vec<_>>(), [1]);
        assert_eq!(t.genes_at("10", 92827).count(), 0, "TX_START is 0-based");
        assert_eq!(t.genes_at("10", 95178).collect::<Vec<_>>(), [1]);
        // The same table gzipped.
        assert_eq!(read(&gzip(TABLE.as_bytes())).unwrap().genes(), t.genes());
    }

    #[test]
    fn columns_are_found_by_name_and_extra_ones_ignored() {
        let shuffled = "CHROM\tEXTRA\t#NAME\tEXON_END\tSTRAND\tTX_END\tTX_START\tEXON_START\r
1\tx\tOR4F5\t70008,\t+\t70008\t69090\t69090,\tmore\r
\r
";
        let t = read(shuffled.as_bytes()).unwrap();
        let want = read(TABLE.as_bytes()).unwrap();
        assert_eq!(t.genes(), &want.genes()[..1]);
    }

    #[test]
    fn written_tables_read_back_the_same_with_trailing_commas() {
        let t = read(TABLE.as_bytes()).unwrap();
        let mut out = Vec::new();
        t.write_spliceai(&mut out).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        let want = TABLE.replace("100,200\t150,300", "100,200,\t150,300,");
        assert_eq!(text, want);
        assert_eq!(read(&out).unwrap().genes(), t.genes());
    }

    #[test]
    fn bad_rows_name_line_and_expectation() {
        let head = format!("{HEADER}\n");
        let ok = "A\t1\t+\t10\t20\t10,\t20,\n";
        for (row, expected) in [
            ("A\t1\t+\t10\t20\t10,\n", "as many tab-separated fields"),
            ("A\t1\tx\t10\t20\t10,\t20,\n", "+ or - in STRAND"),
            ("A\t1\t+\t-5\t20\t10,\t20,\n", "a whole number in TX_START"),
            ("A\t1\t+\t10\t2e1\t10,\t20,\n", "a whole number in TX_END"),
            ("A\t1\t+\t20\t20\t10,\t20,\n", "TX_END after TX_START"),
            (
                "A\t1\t+\t10\t20\t10,x,\t20,\n",
                "comma-separated whole numbers in EXON_START",
            ),
            ("A\t1\t+\t10\t20\t,\t,\n", "at least one exon"),
            ("\t1\t+\t10\t20\t10,\t20,\n", "a gene name"),
            ("A\t\t+\t10\t20\t10,\t20,\n", "a contig name"),
        ] {
            let (line, x, _) = row_error(&format!("{head}{ok}\n{row}"));
            assert_eq!(line, 4, "{row:?}");
            assert!(x.starts_with(expected), "{row:?}: {x}");
        }
        let (line, x, found) = row_error("#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\n");
        assert_eq!((line, x), (1, EXPECTED_HEADER));
        assert!(found.starts_with("#NAME"));
        assert_eq!(row_error("").1, EXPECTED_HEADER);
        assert_eq!(row_error(&head).1, "gene rows after the header");
        let e = read(format!("{head}A\t1\tx\t10\t20\t10,\t20,\n").as_bytes()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("genes.txt:2: gene table: expected + or - in STRAND, found \"x\""),
            "{text}"
        );
    }
}
