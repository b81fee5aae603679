//! The genes variants are scored against, as SpliceAI sees them: per gene a name, contig,
//! strand, transcript span and the exon boundaries that `-M 1` masks by.
//!
//! They come from SpliceAI's own gene table ([`GeneTable::read_spliceai`], the format of
//! `grch37.txt` in the spliceai 1.3.1 wheel) or from an annotation
//! ([`GeneTable::from_annotation`]); [`GeneTable::load`] tells the two apart by content. A
//! variant is scored against every gene whose span holds its POS, in table order
//! ([`GeneTable::genes_at`]).

mod annotation;
mod index;
mod spliceai;

use std::path::Path;

use index::ContigIndex;

use super::contigs::ContigNames;
use super::input::Lines;
use super::{Error, vcf};
use crate::genome::{Exon, Gene, Strand, Transcript, Transcripts};

/// One gene of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableGene {
    /// The name SpliceAI writes (SYMBOL).
    pub name: String,
    /// The contig, as the table or annotation names it.
    pub chrom: String,
    /// The strand the gene is scored on.
    pub strand: Strand,
    /// The first base of the transcript span (1-based).
    pub tx_start: u64,
    /// The last base of the transcript span (1-based, inclusive).
    pub tx_end: u64,
    /// The sorted, distinct union of exon starts and exon ends (both 1-based).
    pub boundaries: Vec<u64>,
    /// Exon starts (1-based), sorted and distinct. SpliceAI reads EXON_START and EXON_END as two
    /// separate lists (it never pairs them), so they may differ in length: a table made from
    /// several transcripts lists each distinct start and end once.
    pub starts: Vec<u64>,
    /// Exon ends (1-based, inclusive), sorted and distinct.
    pub ends: Vec<u64>,
    /// The gene model (the chosen transcripts), what the meta-model's structure features read:
    /// the annotation's gene, or for a SpliceAI table one transcript made of its exon lists when
    /// they pair up; `None` when they do not.
    pub model: Option<Gene>,
}

impl TableGene {
    /// A gene with these exon `starts` and `ends` (1-based, in any order; sorted and made
    /// distinct here) and the boundaries they give.
    pub fn new(
        name: String,
        chrom: String,
        strand: Strand,
        tx_start: u64,
        tx_end: u64,
        mut starts: Vec<u64>,
        mut ends: Vec<u64>,
    ) -> TableGene {
        for v in [&mut starts, &mut ends] {
            v.sort_unstable();
            v.dedup();
        }
        let mut boundaries: Vec<u64> = starts.iter().chain(&ends).copied().collect();
        boundaries.sort_unstable();
        boundaries.dedup();
        let model = (starts.len() == ends.len() && starts.iter().zip(&ends).all(|(s, e)| s <= e))
            .then(|| Gene {
                id: name.clone(),
                name: name.clone(),
                biotype: None,
                contig: chrom.clone(),
                strand,
                start: tx_start,
                end: tx_end,
                transcripts: vec![Transcript::new(
                    name.clone(),
                    starts
                        .iter()
                        .zip(&ends)
                        .map(|(&start, &end)| Exon { start, end })
                        .collect(),
                )],
            });
        TableGene {
            name,
            chrom,
            strand,
            tx_start,
            tx_end,
            boundaries,
            starts,
            ends,
            model,
        }
    }

    /// The same gene with `model` as its gene model.
    pub fn with_model(mut self, model: Gene) -> TableGene {
        self.model = Some(model);
        self
    }

    /// The signed distance `boundary − pos` to the nearest exon boundary; of two at the same
    /// distance, the one before `pos` (negative), as SpliceAI's
    /// `min(np.union1d(starts, ends) − pos, key=abs)` picks the first of the sorted union.
    /// `i64::MAX` for a gene without boundaries (never one the constructors make).
    pub fn dist_to_boundary(&self, pos: u64) -> i64 {
        let b = &self.boundaries;
        let at = b.partition_point(|&x| x < pos);
        let after = b.get(at).map(|&x| x as i64 - pos as i64);
        let before = at.checked_sub(1).map(|i| b[i] as i64 - pos as i64);
        match (before, after) {
            (Some(l), Some(r)) if r < -l => r,
            (Some(l), _) => l,
            (None, Some(r)) => r,
            (None, None) => i64::MAX,
        }
    }
}

/// The genes, in table order, with an index for finding the genes at a position.
#[derive(Debug, Clone)]
pub struct GeneTable {
    genes: Vec<TableGene>,
    contigs: ContigNames,
    /// One per name of `contigs`.
    index: Vec<ContigIndex>,
}

impl GeneTable {
    /// The table of `genes`, in the order given.
    pub fn from_genes(genes: Vec<TableGene>) -> GeneTable {
        let contigs = ContigNames::new(genes.iter().map(|g| g.chrom.as_str()));
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); contigs.len()];
        for (i, g) in genes.iter().enumerate() {
            let c = contigs
                .resolve(&g.chrom)
                .expect("every gene's contig is listed");
            members[c].push(i);
        }
        let index = members
            .into_iter()
            .map(|m| ContigIndex::new(&genes, m))
            .collect();
        GeneTable {
            genes,
            contigs,
            index,
        }
    }

    /// Reads the genes of `path`: SpliceAI's gene table when its first non-empty line starts
    /// with `#NAME`, else an annotation (GTF, GFF3, GFF2: `crate::genome::annotation::read`)
    /// with `transcripts` chosen. A file that is neither is refused naming both formats.
    pub fn load(path: &Path, transcripts: Transcripts) -> Result<GeneTable, Error> {
        if first_line_starts_with(path, b"#NAME")? {
            GeneTable::read_spliceai(path)
        } else {
            annotation::load(path, transcripts)
        }
    }

    /// The genes, in table order.
    pub fn genes(&self) -> &[TableGene] {
        &self.genes
    }

    /// Gene `i` (an index [`genes_at`](GeneTable::genes_at) gives).
    pub fn gene(&self, i: usize) -> &TableGene {
        &self.genes[i]
    }

    /// The number of genes.
    pub fn len(&self) -> usize {
        self.genes.len()
    }

    /// Whether the table has no gene.
    pub fn is_empty(&self) -> bool {
        self.genes.is_empty()
    }

    /// The contigs of the genes, in the order they first appear.
    pub fn contigs(&self) -> &ContigNames {
        &self.contigs
    }

    /// The indices, in table order, of the genes with `tx_start ≤ pos ≤ tx_end` on the contig
    /// `chrom` matches ([`ContigNames::resolve`]: exact, else `chr` added or removed).
    pub fn genes_at(&self, chrom: &str, pos: u64) -> impl Iterator<Item = usize> + '_ {
        let hits = match self.contigs.resolve(chrom) {
            Some(c) => self.index[c].overlapping(pos),
            None => Vec::new(),
        };
        hits.into_iter()
    }

    /// [`TableGene::dist_to_boundary`] of gene `gene`.
    pub fn dist_to_boundary(&self, gene: usize, pos: u64) -> i64 {
        self.genes[gene].dist_to_boundary(pos)
    }
}

/// Whether the first non-empty line of `path` starts with `prefix`.
fn first_line_starts_with(path: &Path, prefix: &[u8]) -> Result<bool, Error> {
    let mut lines = Lines::open(path, vcf::max_line())?;
    let mut buf = Vec::new();
    while lines.next_line(&mut buf)? {
        if !buf.trim_ascii().is_empty() {
            return Ok(buf.starts_with(prefix));
        }
    }
    Ok(false)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn gene(
        name: &str,
        chrom: &str,
        span: (u64, u64),
        exons: &[(u64, u64)],
    ) -> TableGene {
        TableGene::new(
            name.into(),
            chrom.into(),
            Strand::Forward,
            span.0,
            span.1,
            exons.iter().map(|e| e.0).collect(),
            exons.iter().map(|e| e.1).collect(),
        )
    }

    #[test]
    fn boundaries_are_the_sorted_union_of_starts_and_ends() {
        let g = gene(
            "g",
            "1",
            (100, 900),
            &[(500, 900), (100, 200), (100, 200), (150, 500)],
        );
        assert_eq!(g.boundaries, [100, 150, 200, 500, 900]);
        assert_eq!((g.starts.len(), g.ends.len()), (3, 3));
    }

    #[test]
    fn the_nearest_boundary_and_the_negative_one_on_a_tie() {
        let g = gene("g", "1", (100, 300), &[(100, 110), (200, 300)]);
        // boundaries 100 110 200 300
        for (pos, d) in [
            (100, 0),
            (105, -5), // 100 and 110 both 5 away: the one before
            (104, -4),
            (106, 4),
            (155, -45), // 110 and 200 both 45 away
            (156, 44),
            (50, 50),
            (400, -100),
            (300, 0),
        ] {
            assert_eq!(g.dist_to_boundary(pos), d, "pos {pos}");
        }
        let mut none = g.clone();
        none.boundaries.clear();
        assert_eq!(none.dist_to_boundary(5), i64::MAX);
    }

    #[test]
    fn genes_at_gives_overlapping_genes_in_table_order() {
        let table = GeneTable::from_genes(vec![
            gene("late", "chr1", (500, 600), &[(500, 600)]),
            gene("long", "chr1", (10, 10_000), &[(10, 10_000)]),
            gene("other", "2", (1, 1000), &[(1, 1000)]),
            gene("early", "chr1", (100, 550), &[(100, 550)]),
            gene("point", "chr1", (700, 700), &[(700, 700)]),
        ]);
        let at = |c: &str, p| table.genes_at(c, p).collect::<Vec<_>>();
        assert_eq!(at("chr1", 520), [0, 1, 3]);
        assert_eq!(at("1", 520), [0, 1, 3], "chr added");
        assert_eq!(at("chr1", 600), [0, 1]);
        assert_eq!(at("chr1", 601), [1]);
        assert_eq!(at("chr1", 700), [1, 4]);
        assert_eq!(at("chr1", 9), Vec::<usize>::new());
        assert_eq!(at("chr1", 10_001), Vec::<usize>::new());
        assert_eq!(at("chr2", 5), [2], "chr removed");
        assert_eq!(at("3", 5), Vec::<usize>::new());
        assert_eq!(table.contigs().names(), ["chr1", "2"]);
        assert_eq!(table.gene(3).name, "early");
        assert_eq!(table.dist_to_boundary(3, 540), 10);
    }

    #[test]
    fn genes_at_agrees_with_a_scan_on_many_random_genes() {
        let mut rng = crate::seed::Rng::new(7);
        let genes: Vec<TableGene> = (0..400)
            .map(|i| {
                let start = 1 + rng.next_u64() % 50_000;
                let len = if i % 37 == 0 {
                    20_000
                } else {
                    rng.next_u64() % 3_000
                };
                gene(
                    &format!("g{i}"),
                    if i % 3 == 0 { "a" } else { "b" },
                    (start, start + len),
                    &[(start, start + len)],
                )
            })
            .collect();
        let table = GeneTable::from_genes(genes.clone());
        for _ in 0..2000 {
            let pos = rng.next_u64() % 75_000;
            for chrom in ["a", "b"] {
                let want: Vec<usize> = (genes.iter().enumerate())
                    .filter(|(_, g)| g.chrom == chrom && g.tx_start <= pos && pos <= g.tx_end)
                    .map(|(i, _)| i)
                    .collect();
                assert_eq!(table.genes_at(chrom, pos).collect::<Vec<_>>(), want);
            }
        }
    }
}
