//! Gene models: genes, transcripts, exons, and the introns and splice sites they imply.
//!
//! Coordinates are 1-based and inclusive on the forward strand of the contig, whatever the
//! gene's strand (see `docs/coordinates.md`).

use std::collections::BTreeSet;
use std::fmt;

/// The strand of a gene on its contig.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strand {
    /// `+`
    Forward,
    /// `-`
    Reverse,
}

impl Strand {
    /// `'+'` or `'-'`.
    pub fn symbol(self) -> char {
        match self {
            Strand::Forward => '+',
            Strand::Reverse => '-',
        }
    }
}

impl fmt::Display for Strand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.symbol())
    }
}

/// An exon: `start..=end`, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Exon {
    /// First base (1-based).
    pub start: u64,
    /// Last base (1-based, inclusive).
    pub end: u64,
}

/// An intron: the bases between two consecutive exons of a transcript, `start..=end`, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Intron {
    /// First intronic base (1-based).
    pub start: u64,
    /// Last intronic base (1-based, inclusive).
    pub end: u64,
}

/// The kind of a splice site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SiteKind {
    /// 5' splice site: the last base of an exon followed by an intron.
    Donor,
    /// 3' splice site: the first base of an exon preceded by an intron.
    Acceptor,
}

/// A splice site at a genomic position (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Site {
    /// Genomic position of the exonic base that borders the intron.
    pub position: u64,
    /// Donor or acceptor.
    pub kind: SiteKind,
}

/// What an annotation's `tag` attributes say of a transcript: whether it is the gene's
/// canonical transcript, or its MANE Select one (`--transcripts canonical|mane`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tags {
    /// Tagged `Ensembl_canonical`, `canonical` or `RefSeq Select`.
    pub canonical: bool,
    /// Tagged `MANE_Select` (Ensembl, GENCODE) or `MANE Select` (RefSeq).
    pub mane: bool,
}

impl Tags {
    /// Notes one `tag` value. Case is ignored, and so is `_` against a space (`MANE_Select` in
    /// Ensembl, `MANE Select` in RefSeq); other tags (`basic`, `CCDS`, …) mean nothing here.
    pub fn add(&mut self, value: &str) {
        let v = value.trim().to_ascii_lowercase().replace(' ', "_");
        match v.as_str() {
            "ensembl_canonical" | "canonical" | "refseq_select" => self.canonical = true,
            "mane_select" => self.mane = true,
            _ => {}
        }
    }

    /// Both sets of tags.
    pub fn union(self, other: Tags) -> Tags {
        Tags {
            canonical: self.canonical || other.canonical,
            mane: self.mane || other.mane,
        }
    }
}

/// A transcript: its exons sorted by start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// The transcript id.
    pub id: String,
    /// Exons, sorted by start, overlapping or touching exons merged.
    pub exons: Vec<Exon>,
    /// Its tags (canonical, MANE Select).
    pub tags: Tags,
}

impl Transcript {
    /// Builds a transcript, sorting its exons and merging any that overlap or touch (no intron
    /// lies between them).
    pub fn new(id: String, mut exons: Vec<Exon>) -> Self {
        exons.sort_unstable();
        let mut merged: Vec<Exon> = Vec::with_capacity(exons.len());
        for e in exons {
            match merged.last_mut() {
                Some(last) if e.start <= last.end + 1 => last.end = last.end.max(e.end),
                _ => merged.push(e),
            }
        }
        Self {
            id,
            exons: merged,
            tags: Tags::default(),
        }
    }

    /// The transcript with `tags`.
    pub fn with_tags(mut self, tags: Tags) -> Self {
        self.tags = tags;
        self
    }

    /// Its spliced length: the bases of its exons.
    pub fn spliced_length(&self) -> u64 {
        self.exons.iter().map(|e| e.end - e.start + 1).sum()
    }

    /// The introns between consecutive exons, in genomic order.
    pub fn introns(&self) -> impl Iterator<Item = Intron> + '_ {
        self.exons.windows(2).map(|w| Intron {
            start: w[0].end + 1,
            end: w[1].start - 1,
        })
    }
}

/// A gene with its transcripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gene {
    /// The annotation's gene id (GTF `gene_id`, GFF3 `ID`).
    pub id: String,
    /// A display name (`gene_name`, `gene` or `Name`), the id if there is none.
    pub name: String,
    /// The biotype (`gene_biotype`, `gene_type` or `biotype`), if the annotation gives one.
    pub biotype: Option<String>,
    /// Contig (sequence) name.
    pub contig: String,
    /// Strand.
    pub strand: Strand,
    /// First base (1-based): the gene line's start, widened to cover every exon.
    pub start: u64,
    /// Last base (1-based, inclusive).
    pub end: u64,
    /// Transcripts, sorted by id.
    pub transcripts: Vec<Transcript>,
}

impl Gene {
    /// Length in bases.
    pub fn length(&self) -> u64 {
        self.end - self.start + 1
    }

    /// Distinct introns of all transcripts, sorted.
    pub fn introns(&self) -> BTreeSet<Intron> {
        self.transcripts.iter().flat_map(|t| t.introns()).collect()
    }

    /// Whether any transcript has an intron.
    pub fn has_introns(&self) -> bool {
        self.transcripts.iter().any(|t| t.exons.len() > 1)
    }

    /// The union over transcripts of their splice sites, sorted by position then kind.
    ///
    /// On `+`, an intron `s..=e` has its donor at `s - 1` and acceptor at `e + 1`; on `-` the
    /// transcript runs right to left, so the donor is at `e + 1` and the acceptor at `s - 1`.
    pub fn sites(&self) -> Vec<Site> {
        let mut sites = BTreeSet::new();
        for intron in self.introns() {
            let (donor, acceptor) = match self.strand {
                Strand::Forward => (intron.start - 1, intron.end + 1),
                Strand::Reverse => (intron.end + 1, intron.start - 1),
            };
            sites.insert(Site {
                position: donor,
                kind: SiteKind::Donor,
            });
            sites.insert(Site {
                position: acceptor,
                kind: SiteKind::Acceptor,
            });
        }
        sites.into_iter().collect()
    }

    /// Number of exons over all transcripts (counting shared exons once per transcript).
    pub fn exon_count(&self) -> usize {
        self.transcripts.iter().map(|t| t.exons.len()).sum()
    }
}

/// `genes` grouped by contig name (each group in the order given).
pub fn by_contig<'g>(
    genes: impl IntoIterator<Item = &'g Gene>,
) -> std::collections::HashMap<&'g str, Vec<&'g Gene>> {
    let mut by: std::collections::HashMap<&str, Vec<&Gene>> = std::collections::HashMap::new();
    for g in genes {
        by.entry(g.contig.as_str()).or_default().push(g);
    }
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gene(strand: Strand, exons: &[(u64, u64)]) -> Gene {
        let exons = exons
            .iter()
            .map(|&(start, end)| Exon { start, end })
            .collect();
        Gene {
            id: "g".into(),
            name: "g".into(),
            biotype: None,
            contig: "c".into(),
            strand,
            start: 1,
            end: 1000,
            transcripts: vec![Transcript::new("t".into(), exons)],
        }
    }

    #[test]
    fn forward_sites_are_exon_ends_before_introns_and_starts_after() {
        let g = gene(Strand::Forward, &[(300, 400), (100, 200)]);
        let introns: Vec<_> = g.introns().into_iter().collect();
        assert_eq!(
            introns,
            vec![Intron {
                start: 201,
                end: 299
            }]
        );
        assert_eq!(
            g.sites(),
            vec![
                Site {
                    position: 200,
                    kind: SiteKind::Donor
                },
                Site {
                    position: 300,
                    kind: SiteKind::Acceptor
                },
            ]
        );
    }

    #[test]
    fn reverse_sites_follow_the_transcript_direction() {
        let g = gene(Strand::Reverse, &[(100, 200), (300, 400), (500, 600)]);
        assert_eq!(
            g.sites(),
            vec![
                Site {
                    position: 200,
                    kind: SiteKind::Acceptor
                },
                Site {
                    position: 300,
                    kind: SiteKind::Donor
                },
                Site {
                    position: 400,
                    kind: SiteKind::Acceptor
                },
                Site {
                    position: 500,
                    kind: SiteKind::Donor
                },
            ]
        );
    }

    #[test]
    fn touching_exons_merge_and_imply_no_intron() {
        let t = Transcript::new(
            "t".into(),
            vec![Exon { start: 1, end: 10 }, Exon { start: 11, end: 20 }],
        );
        assert_eq!(t.exons, vec![Exon { start: 1, end: 20 }]);
        assert_eq!(t.introns().count(), 0);
    }
}
