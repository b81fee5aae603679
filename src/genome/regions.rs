//! Region lists: stretches of a genome to predict without an annotation, from a BED file
//! (`--regions`: 0-based half-open, `chrom start end [name [score [strand]]]`) or written as
//! `chrom:start-end` (`--region`: 1-based inclusive, commas allowed). Each region is predicted on
//! the strand it gives, or on both.

use std::io::BufRead;
use std::path::Path;

use super::fasta::ContigInfo;
use super::{Error, Gene, ParseErrorKind, Strand};

/// One region, 1-based inclusive, on one strand or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Its name (the BED name, else `chrom:start-end`).
    pub name: String,
    /// Contig.
    pub chrom: String,
    /// First base (1-based).
    pub start: u64,
    /// Last base (inclusive).
    pub end: u64,
    /// The strand, or `None` for both.
    pub strand: Option<Strand>,
}

impl std::str::FromStr for Region {
    type Err = String;

    /// `chrom:start-end`, 1-based inclusive (e.g. `NC_004353.4:10,001-25,000`).
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("{s:?}: expected CHROM:START-END (1-based, inclusive), e.g. chr4:10001-25000")
        };
        let (chrom, span) = s.rsplit_once(':').ok_or_else(bad)?;
        let (a, b) = span.split_once('-').ok_or_else(bad)?;
        let num = |t: &str| {
            t.replace(',', "")
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
        };
        let (start, end) = (num(a).ok_or_else(bad)?, num(b).ok_or_else(bad)?);
        if chrom.is_empty() || start > end {
            return Err(bad());
        }
        Ok(Region {
            name: format!("{chrom}:{start}-{end}"),
            chrom: chrom.to_string(),
            start,
            end,
            strand: None,
        })
    }
}

/// Reads a BED file of regions (plain or gzip; `#`, `track` and `browser` lines skipped). A
/// line that is not a region is an error naming the file and line.
pub fn read_bed(path: &Path) -> Result<Vec<Region>, Error> {
    let reader = super::io::open_text(path)?;
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| super::io::read_error(path, e))?;
        let t = line.trim_end();
        if t.is_empty() || t.starts_with('#') || t.starts_with("track") || t.starts_with("browser")
        {
            continue;
        }
        let bad = |message: String| Error::Parse {
            path: path.to_path_buf(),
            line: i as u64 + 1,
            kind: ParseErrorKind::Region { message },
        };
        let f: Vec<&str> = t.split('\t').collect();
        if f.len() < 3 {
            return Err(bad(format!(
                "expected at least 3 tab-separated columns (chrom, start, end: BED, 0-based half-open), found {}",
                f.len()
            )));
        }
        let num = |s: &str, col: &str| {
            s.trim().parse::<u64>().map_err(|_| {
                bad(format!(
                    "{col} must be a whole number (BED, 0-based), found {s:?}"
                ))
            })
        };
        let (start0, end) = (num(f[1], "start")?, num(f[2], "end")?);
        if end <= start0 {
            return Err(bad(format!(
                "end {end} is not after start {start0} (BED intervals are half-open: start < end)"
            )));
        }
        let strand = match f.get(5).map(|s| s.trim()) {
            None | Some(".") => None,
            Some("+") => Some(Strand::Forward),
            Some("-") => Some(Strand::Reverse),
            Some(other) => {
                return Err(bad(format!("strand must be +, - or ., found {other:?}")));
            }
        };
        let (start, chrom) = (start0 + 1, f[0].trim().to_string());
        let name = match f.get(3).map(|s| s.trim()) {
            Some(n) if !n.is_empty() && n != "." => n.to_string(),
            _ => format!("{chrom}:{start}-{end}"),
        };
        out.push(Region {
            name,
            chrom,
            start,
            end,
            strand,
        });
    }
    Ok(out)
}

/// The regions as gene-like targets on `contigs` (one per strand asked), clipped to their
/// contig's length, in genome order (contig order of the FASTA, then start, then strand);
/// returns them with the names of the regions clipped. A region on a contig the genome lacks
/// is an error.
pub fn targets(
    regions: &[Region],
    contigs: &[ContigInfo],
    genome: &Path,
) -> Result<(Vec<Gene>, Vec<String>), Error> {
    let place: std::collections::HashMap<&str, (usize, u64)> = (contigs.iter().enumerate())
        .map(|(i, c)| (c.name.as_str(), (i, c.length)))
        .collect();
    let mut clipped = Vec::new();
    let mut out: Vec<(usize, Gene)> = Vec::new();
    for r in regions {
        let outside = |why: String| Error::RegionOutsideGenome {
            region: r.name.clone(),
            why,
            genome: genome.to_path_buf(),
        };
        let Some(&(i, len)) = place.get(r.chrom.as_str()) else {
            return Err(outside(format!("contig {} is not in the genome", r.chrom)));
        };
        if r.start > len {
            return Err(outside(format!(
                "it starts after the end of {} ({len} bases)",
                r.chrom
            )));
        }
        let end = r.end.min(len);
        if end < r.end {
            clipped.push(r.name.clone());
        }
        let strands = match r.strand {
            Some(s) => vec![s],
            None => vec![Strand::Forward, Strand::Reverse],
        };
        for strand in strands {
            out.push((
                i,
                Gene {
                    id: r.name.clone(),
                    name: r.name.clone(),
                    biotype: None,
                    contig: r.chrom.clone(),
                    strand,
                    start: r.start,
                    end,
                    transcripts: Vec::new(),
                },
            ));
        }
    }
    out.sort_by(|a, b| {
        (a.0, a.1.start, a.1.strand == Strand::Reverse, &a.1.id).cmp(&(
            b.0,
            b.1.start,
            b.1.strand == Strand::Reverse,
            &b.1.id,
        ))
    });
    if out.is_empty() {
        return Err(Error::EmptySelection {
            why: "the region list has no region".into(),
        });
    }
    Ok((out.into_iter().map(|(_, g)| g).collect(), clipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_parse_from_bed_and_text_and_bad_lines_name_their_line() {
        let r: Region = "NC_004353.4:10,001-25,000".parse().unwrap();
        assert_eq!((r.start, r.end, r.strand), (10_001, 25_000, None));
        assert!("chr4:5-1".parse::<Region>().is_err());
        assert!("chr4".parse::<Region>().is_err());
        let f = crate::store::fsutil::TempFile::new(
            b"track name=x\n# c\nchr4\t99\t200\tmine\t0\t-\nchr4\t0\t10\n",
        )
        .unwrap();
        let rs = read_bed(f.path()).unwrap();
        assert_eq!(rs.len(), 2);
        assert_eq!(
            (rs[0].name.as_str(), rs[0].start, rs[0].end, rs[0].strand),
            ("mine", 100, 200, Some(Strand::Reverse))
        );
        assert_eq!((rs[1].name.as_str(), rs[1].start), ("chr4:1-10", 1));
        let bad = crate::store::fsutil::TempFile::new(b"chr4\t1\t10\nchr4\tx\t10\n").unwrap();
        let e = read_bed(bad.path()).unwrap_err().to_string();
        assert!(
            e.contains(":2:") && e.contains("start must be a whole number"),
            "{e}"
        );
        let contigs = [ContigInfo {
            name: "chr4".into(),
            length: 150,
        }];
        let (genes, clipped) = targets(&rs, &contigs, Path::new("g.fa")).unwrap();
        assert_eq!(genes.len(), 3);
        assert_eq!(clipped, vec!["mine".to_string()]);
        assert_eq!(genes[0].start, 1);
        assert_eq!(genes[2].end, 150);
    }
}
