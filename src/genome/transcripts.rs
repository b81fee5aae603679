//! Which transcripts of a gene make its splice sites (`--transcripts`): all of them (the
//! default), the annotation's canonical one, its MANE Select one, or the longest.
//!
//! SpliceAI was trained and judged on one canonical transcript per gene, OpenSpliceAI on MANE;
//! every site of every transcript (the default) counts alternative sites as true too. The
//! choice is made once, right after the annotation is read, so labels, gene-structure features,
//! the built-in model's training genes and evaluation all see the same transcripts.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Error;
use super::gene::{Gene, Transcript};

/// The transcripts whose splice sites count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transcripts {
    /// Every transcript of the gene.
    #[default]
    All,
    /// The one tagged `Ensembl_canonical` (or `canonical`, or RefSeq's `RefSeq Select`).
    Canonical,
    /// The one tagged `MANE_Select` (RefSeq: `MANE Select`).
    Mane,
    /// The longest (most exonic bases; ties: more exons, then the smaller id).
    Longest,
}

impl Transcripts {
    /// The flag's value.
    pub fn name(self) -> &'static str {
        match self {
            Transcripts::All => "all",
            Transcripts::Canonical => "canonical",
            Transcripts::Mane => "mane",
            Transcripts::Longest => "longest",
        }
    }

    /// The tag a transcript must carry, as users know it.
    pub fn tag(self) -> Option<&'static str> {
        match self {
            Transcripts::Canonical => Some("Ensembl_canonical (or canonical, RefSeq Select)"),
            Transcripts::Mane => Some("MANE_Select (or MANE Select)"),
            Transcripts::All | Transcripts::Longest => None,
        }
    }

    /// Whether `t` carries this choice's tag (always, for `all` and `longest`).
    fn tagged(self, t: &Transcript) -> bool {
        match self {
            Transcripts::Canonical => t.tags.canonical,
            Transcripts::Mane => t.tags.mane,
            Transcripts::All | Transcripts::Longest => true,
        }
    }

    /// Keeps the chosen transcript of each gene (every transcript for `all`). A gene none of
    /// whose transcripts carries the tag is left out; an annotation (`path`) where no transcript
    /// carries it is refused, naming the tag. Choosing again from the result changes nothing.
    pub fn choose(self, genes: Vec<Gene>, path: &Path) -> Result<Chosen, Error> {
        if self == Transcripts::All {
            return Ok(Chosen { genes, untagged: 0 });
        }
        let any = genes
            .iter()
            .any(|g| g.transcripts.iter().any(|t| self.tagged(t)));
        if !any && !genes.is_empty() {
            return Err(Error::NoTranscriptTag {
                path: path.to_path_buf(),
                choice: self.name(),
                tag: self.tag().unwrap_or_default(),
            });
        }
        let mut kept = Vec::with_capacity(genes.len());
        let mut untagged = 0;
        for mut g in genes {
            let best = (g.transcripts.iter().enumerate())
                .filter(|(_, t)| self.tagged(t))
                .max_by(|(_, a), (_, b)| {
                    (a.spliced_length(), a.exons.len())
                        .cmp(&(b.spliced_length(), b.exons.len()))
                        .then_with(|| b.id.cmp(&a.id))
                })
                .map(|(i, _)| i);
            match best {
                Some(i) => {
                    let t = g.transcripts.swap_remove(i);
                    g.transcripts = vec![t];
                    kept.push(g);
                }
                None => untagged += 1,
            }
        }
        Ok(Chosen {
            genes: kept,
            untagged,
        })
    }
}

/// Genes with their chosen transcripts.
#[derive(Debug, Clone)]
pub struct Chosen {
    /// The genes that have one, in the order given.
    pub genes: Vec<Gene>,
    /// Genes left out because no transcript of theirs carries the tag.
    pub untagged: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genome::annotation;
    use crate::store::fsutil::TempFile;

    /// A GTF of two genes written for these tests: g1 has a long untagged transcript, a shorter
    /// canonical one and a MANE one (tags on the transcript line only, as some files do, or on
    /// the exons); g2 has two untagged transcripts.
    const GTF: &str = "\
c\tt\ttranscript\t100\t900\t.\t+\t.\tgene_id \"g1\"; transcript_id \"long\";
c\tt\texon\t100\t300\t.\t+\t.\tgene_id \"g1\"; transcript_id \"long\";
c\tt\texon\t400\t900\t.\t+\t.\tgene_id \"g1\"; transcript_id \"long\";
c\tt\ttranscript\t100\t600\t.\t+\t.\tgene_id \"g1\"; transcript_id \"canon\"; tag \"basic\"; tag \"Ensembl_canonical\";
c\tt\texon\t100\t200\t.\t+\t.\tgene_id \"g1\"; transcript_id \"canon\";
c\tt\texon\t500\t600\t.\t+\t.\tgene_id \"g1\"; transcript_id \"canon\";
c\tt\texon\t150\t250\t.\t+\t.\tgene_id \"g1\"; transcript_id \"mane\"; tag \"MANE_Select\";
c\tt\texon\t350\t450\t.\t+\t.\tgene_id \"g1\"; transcript_id \"mane\"; tag \"MANE_Select\";
c\tt\texon\t2000\t2100\t.\t-\t.\tgene_id \"g2\"; transcript_id \"a\";
c\tt\texon\t2200\t2300\t.\t-\t.\tgene_id \"g2\"; transcript_id \"a\";
c\tt\texon\t2000\t2150\t.\t-\t.\tgene_id \"g2\"; transcript_id \"b\";
c\tt\texon\t2250\t2300\t.\t-\t.\tgene_id \"g2\"; transcript_id \"b\";
";

    fn genes(text: &str) -> (TempFile, Vec<Gene>) {
        let f = TempFile::new(text.as_bytes()).unwrap();
        let a = annotation::read(f.path(), None).unwrap();
        (f, a.genes)
    }

    fn donors_acceptors(g: &Gene) -> Vec<(u64, &'static str)> {
        g.sites()
            .iter()
            .map(|s| {
                let k = match s.kind {
                    crate::genome::SiteKind::Donor => "donor",
                    crate::genome::SiteKind::Acceptor => "acceptor",
                };
                (s.position, k)
            })
            .collect()
    }

    #[test]
    fn each_choice_gives_the_sites_of_its_transcripts() {
        let (f, all) = genes(GTF);
        assert_eq!(all[0].sites().len(), 6, "three introns of g1");
        let chosen = |c: Transcripts| c.choose(all.clone(), f.path()).unwrap();

        let canon = chosen(Transcripts::Canonical);
        assert_eq!(canon.genes.len(), 1);
        assert_eq!(canon.untagged, 1, "g2 has no canonical transcript");
        assert_eq!(canon.genes[0].transcripts[0].id, "canon");
        assert_eq!(
            donors_acceptors(&canon.genes[0]),
            [(200, "donor"), (500, "acceptor")]
        );

        let mane = chosen(Transcripts::Mane);
        assert_eq!(mane.genes[0].transcripts[0].id, "mane");
        assert_eq!(
            donors_acceptors(&mane.genes[0]),
            [(250, "donor"), (350, "acceptor")]
        );

        let longest = chosen(Transcripts::Longest);
        assert_eq!(longest.genes.len(), 2);
        assert_eq!(longest.genes[0].transcripts[0].id, "long");
        assert_eq!(
            donors_acceptors(&longest.genes[0]),
            [(300, "donor"), (400, "acceptor")]
        );
        // g2 (minus strand): a and b are both 202 bases long with two exons: the smaller id.
        assert_eq!(longest.genes[1].transcripts[0].id, "a");
        assert_eq!(
            donors_acceptors(&longest.genes[1]),
            [(2100, "acceptor"), (2200, "donor")]
        );

        let every = chosen(Transcripts::All);
        assert_eq!(every.genes, all);
        for c in [
            Transcripts::Canonical,
            Transcripts::Mane,
            Transcripts::Longest,
        ] {
            let once = chosen(c).genes;
            let twice = c.choose(once.clone(), f.path()).unwrap();
            assert_eq!(twice.genes, once, "{c:?} chosen twice");
        }
    }

    #[test]
    fn gff3_and_refseq_spellings_of_the_tags_are_read() {
        let gff = "##gff-version 3
c\tt\tgene\t100\t900\t.\t+\t.\tID=g1
c\tt\tmRNA\t100\t900\t.\t+\t.\tID=t1;Parent=g1;tag=MANE Select
c\tt\texon\t100\t200\t.\t+\t.\tParent=t1
c\tt\texon\t500\t900\t.\t+\t.\tParent=t1
c\tt\tmRNA\t100\t900\t.\t+\t.\tID=t2;Parent=g1;tag=basic,Ensembl_canonical
c\tt\texon\t100\t300\t.\t+\t.\tParent=t2
c\tt\texon\t700\t900\t.\t+\t.\tParent=t2
";
        let (f, all) = genes(gff);
        let mane = Transcripts::Mane.choose(all.clone(), f.path()).unwrap();
        assert_eq!(mane.genes[0].transcripts[0].id, "t1");
        let canon = Transcripts::Canonical.choose(all, f.path()).unwrap();
        assert_eq!(canon.genes[0].transcripts[0].id, "t2");
    }

    #[test]
    fn an_annotation_without_the_tag_is_refused_naming_it() {
        let untagged = GTF.replace("Ensembl_canonical", "CCDS");
        let (f, all) = genes(&untagged);
        let e = Transcripts::Canonical.choose(all, f.path()).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("Ensembl_canonical"), "{text}");
        assert!(text.contains("--transcripts"), "{text}");
        assert!(matches!(e, Error::NoTranscriptTag { .. }));
    }
}
