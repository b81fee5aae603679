//! Gene selection: biotype filter, gene-id list, introns required, a seeded sample of N genes,
//! and the one deterministic order (contig order of the FASTA, then start, then id).

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::Error;
use super::fasta::ContigInfo;
use super::gene::Gene;
use super::io::{open_text, read_error};
use super::transcripts::Transcripts;

/// What to select; every field is a documented CLI flag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Selection {
    /// Keep genes of these biotypes (empty: all). Genes with no biotype in the annotation are
    /// kept whatever this says.
    pub gene_types: Vec<String>,
    /// Keep only the genes listed in this file (one id per line, `#` comments).
    pub gene_ids: Option<PathBuf>,
    /// Keep a seeded sample of this many genes (all if there are fewer).
    pub n_genes: Option<usize>,
    /// Seed of the sample.
    pub seed: u64,
    /// Keep only genes with at least one intron.
    pub require_introns: bool,
    /// Skip, with a warning, genes whose contig is missing from the FASTA (else: an error).
    pub skip_missing_contigs: bool,
    /// The transcripts whose sites count (`--transcripts`); genes without one are left out.
    #[serde(default)]
    pub transcripts: Transcripts,
    /// Keep only the genes on these contigs (empty: all).
    #[serde(default)]
    pub contigs: Vec<String>,
}

impl Default for Selection {
    fn default() -> Self {
        Self {
            gene_types: Vec::new(),
            gene_ids: None,
            n_genes: None,
            seed: 42,
            require_introns: true,
            skip_missing_contigs: false,
            transcripts: Transcripts::All,
            contigs: Vec::new(),
        }
    }
}

impl Selection {
    /// The settings that decide which genes are selected and which of their sites count, as
    /// fingerprints record them. `--transcripts` and `--contigs` appear only when given, so
    /// every earlier run's fingerprint is unchanged.
    pub fn content(&self) -> serde_json::Value {
        let mut content = serde_json::json!({
            "gene_types": self.gene_types,
            "gene_ids_file": self.gene_ids.is_some(),
            "n_genes": self.n_genes,
            "require_introns": self.require_introns,
            "skip_missing_contigs": self.skip_missing_contigs,
        });
        if let Some(map) = content.as_object_mut() {
            if self.transcripts != Transcripts::All {
                map.insert("transcripts".into(), self.transcripts.name().into());
            }
            if !self.contigs.is_empty() {
                map.insert("contigs".into(), serde_json::json!(self.contigs));
            }
        }
        content
    }
}

/// The selected genes, in their deterministic order, with how each filter narrowed them.
#[derive(Debug, Clone)]
pub struct Selected {
    /// The genes, ordered by contig order in the FASTA, start, id.
    pub genes: Vec<Gene>,
    /// Ids of genes skipped because their contig is missing from the FASTA.
    pub missing_contig: Vec<String>,
    /// `(step, genes left)` for each filter applied, in order.
    pub funnel: Vec<(String, usize)>,
}

/// Reads a gene-id file: one id per line (first word), blank lines and `#` comments ignored.
pub fn read_gene_ids(path: &Path) -> Result<Vec<String>, Error> {
    let reader = open_text(path)?;
    let mut ids = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|e| read_error(path, e))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(word) = line.split_whitespace().next() {
            ids.push(word.to_string());
        }
    }
    Ok(ids)
}

/// Where a contig stands in the FASTA: its rank in the file's order and its length.
#[derive(Debug, Clone, Copy)]
struct ContigPlace {
    rank: usize,
    length: u64,
}

/// Each contig of the FASTA by name.
fn contig_places(contigs: &[ContigInfo]) -> HashMap<&str, ContigPlace> {
    contigs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                c.name.as_str(),
                ContigPlace {
                    rank: i,
                    length: c.length,
                },
            )
        })
        .collect()
}

/// The genes whose contig is in the FASTA, and the ids of those skipped because it is not.
struct OnGenome {
    genes: Vec<Gene>,
    missing_contig: Vec<String>,
}

/// The error of a selection that left no gene, saying `why`.
fn empty(why: &str) -> Error {
    Error::EmptySelection {
        why: why.to_string(),
    }
}

/// The default of [`max_gene_length`]: 10 Mb, four times the longest human gene.
pub const DEFAULT_MAX_GENE_LENGTH: u64 = 10_000_000;

/// The longest gene (first to last base of its chosen transcripts) the builder and `predict`
/// take: their memory grows with a gene's length (about 110 bytes per base), so a gene longer
/// than this (most often a damaged annotation: a gene spanning a chromosome) is an error
/// (exit 3). `SPLICEFORGE_MAX_GENE_LENGTH` (bases) sets it.
pub fn max_gene_length() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("SPLICEFORGE_MAX_GENE_LENGTH")
            .ok()
            .and_then(|v| v.trim().replace('_', "").parse::<u64>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_MAX_GENE_LENGTH)
    })
}

/// Keeps the genes on a contig of the genome (a missing contig is an error unless
/// `skip_missing_contigs`); an exon past its contig's end is an error.
fn keep_on_genome(
    genes: Vec<Gene>,
    places: &HashMap<&str, ContigPlace>,
    genome: &Path,
    sel: &Selection,
) -> Result<OnGenome, Error> {
    let mut missing_contig = Vec::new();
    let mut kept = Vec::with_capacity(genes.len());
    for g in genes {
        let Some(&ContigPlace { length, .. }) = places.get(g.contig.as_str()) else {
            if sel.skip_missing_contigs {
                missing_contig.push(g.id);
                continue;
            }
            return Err(Error::MissingContig {
                gene: g.id,
                contig: g.contig,
                genome: genome.to_path_buf(),
            });
        };
        if let Some(e) = g
            .transcripts
            .iter()
            .flat_map(|t| &t.exons)
            .find(|e| e.end > length)
        {
            return Err(Error::ExonOutsideContig {
                gene: g.id.clone(),
                contig: g.contig.clone(),
                start: e.start,
                end: e.end,
                length,
            });
        }
        let limit = max_gene_length();
        if g.length() > limit {
            return Err(Error::GeneTooLong {
                gene: g.id.clone(),
                contig: g.contig.clone(),
                length: g.length(),
                limit,
            });
        }
        kept.push(g);
    }
    Ok(OnGenome {
        genes: kept,
        missing_contig,
    })
}

/// Keeps the genes listed in the file at `path`; an id the annotation lacks is an error.
fn keep_listed(
    genes: &mut Vec<Gene>,
    path: &Path,
    funnel: &mut Vec<(String, usize)>,
) -> Result<(), Error> {
    let ids = read_gene_ids(path)?;
    let known: HashSet<&str> = genes.iter().map(|g| g.id.as_str()).collect();
    let unknown: Vec<&String> = ids
        .iter()
        .filter(|id| !known.contains(id.as_str()))
        .collect();
    if !unknown.is_empty() {
        let examples = unknown
            .iter()
            .take(3)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::UnknownGeneIds {
            path: path.to_path_buf(),
            count: unknown.len(),
            examples,
        });
    }
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    genes.retain(|g| wanted.contains(g.id.as_str()));
    funnel.push((format!("listed in {}", path.display()), genes.len()));
    if genes.is_empty() {
        return Err(empty(&format!("{} lists no gene", path.display())));
    }
    Ok(())
}

/// Keeps the genes of one of `types` (and those with no biotype).
fn keep_biotypes(
    genes: &mut Vec<Gene>,
    types: &[String],
    funnel: &mut Vec<(String, usize)>,
) -> Result<(), Error> {
    genes.retain(|g| match &g.biotype {
        Some(b) => types.iter().any(|t| t == b),
        None => true,
    });
    funnel.push((format!("biotype in {}", types.join(",")), genes.len()));
    if genes.is_empty() {
        return Err(empty(&format!(
            "no gene has biotype {} (run `spliceforge inspect` to see the biotypes present)",
            types.join(" or ")
        )));
    }
    Ok(())
}

/// Keeps the genes with at least one intron.
fn keep_with_introns(
    genes: &mut Vec<Gene>,
    funnel: &mut Vec<(String, usize)>,
) -> Result<(), Error> {
    genes.retain(Gene::has_introns);
    funnel.push(("with at least one intron".into(), genes.len()));
    if genes.is_empty() {
        return Err(empty(
            "no gene has an intron (pass --no-require-introns to keep single-exon genes)",
        ));
    }
    Ok(())
}

/// Keeps a seeded sample of `n` genes (all if there are fewer).
fn keep_sample(
    genes: &mut Vec<Gene>,
    n: usize,
    seed: u64,
    funnel: &mut Vec<(String, usize)>,
) -> Result<(), Error> {
    if n == 0 {
        return Err(empty("--n-genes is 0"));
    }
    if n < genes.len() {
        // Rank by a hash of (seed, gene id): a gene's inclusion does not depend on the
        // order of the annotation or on the other genes.
        let order = crate::seed::hashed_order(seed, "select", genes.iter().map(|g| g.id.as_str()));
        let mut slots: Vec<Option<Gene>> = std::mem::take(genes).into_iter().map(Some).collect();
        genes.extend(order.into_iter().take(n).filter_map(|i| slots[i].take()));
    }
    funnel.push((format!("seeded sample of {n} (seed {seed})"), genes.len()));
    Ok(())
}

/// Keeps the genes on one of `contigs`; a contig the genome lacks is an error.
fn keep_contigs(
    genes: &mut Vec<Gene>,
    contigs: &[String],
    places: &HashMap<&str, ContigPlace>,
    funnel: &mut Vec<(String, usize)>,
) -> Result<(), Error> {
    if let Some(c) = contigs.iter().find(|c| !places.contains_key(c.as_str())) {
        return Err(empty(&format!(
            "--contigs names {c}, which is not a contig of the genome (run `spliceforge inspect` to list them)"
        )));
    }
    genes.retain(|g| contigs.contains(&g.contig));
    funnel.push((format!("on contig {}", contigs.join(",")), genes.len()));
    if genes.is_empty() {
        return Err(empty(&format!("no gene lies on {}", contigs.join(" or "))));
    }
    Ok(())
}

/// Applies `sel` to `genes` (of the annotation at `annotation`) against the contigs of the
/// genome at `genome`.
pub fn select(
    genes: Vec<Gene>,
    annotation: &Path,
    contigs: &[ContigInfo],
    genome: &Path,
    sel: &Selection,
) -> Result<Selected, Error> {
    let places = contig_places(contigs);
    let mut funnel = vec![("annotated genes".to_string(), genes.len())];
    let OnGenome {
        mut genes,
        missing_contig,
    } = keep_on_genome(genes, &places, genome, sel)?;
    if !missing_contig.is_empty() {
        funnel.push(("on a contig of the genome".into(), genes.len()));
        if genes.is_empty() {
            return Err(empty("no annotated gene lies on a contig of the genome"));
        }
    }
    if !sel.contigs.is_empty() {
        keep_contigs(&mut genes, &sel.contigs, &places, &mut funnel)?;
    }
    if sel.transcripts != Transcripts::All {
        let chosen = sel.transcripts.choose(genes, annotation)?;
        genes = chosen.genes;
        funnel.push((
            format!("with a {} transcript", sel.transcripts.name()),
            genes.len(),
        ));
        if genes.is_empty() {
            return Err(empty(&format!(
                "no selected gene has a {} transcript",
                sel.transcripts.name()
            )));
        }
    }
    if let Some(path) = &sel.gene_ids {
        keep_listed(&mut genes, path, &mut funnel)?;
    }
    if !sel.gene_types.is_empty() {
        keep_biotypes(&mut genes, &sel.gene_types, &mut funnel)?;
    }
    if sel.require_introns {
        keep_with_introns(&mut genes, &mut funnel)?;
    }
    if let Some(n) = sel.n_genes {
        keep_sample(&mut genes, n, sel.seed, &mut funnel)?;
    }
    genes.sort_by(|a, b| {
        let ka = (places[a.contig.as_str()].rank, a.start, &a.id);
        let kb = (places[b.contig.as_str()].rank, b.start, &b.id);
        ka.cmp(&kb)
    });
    Ok(Selected {
        genes,
        missing_contig,
        funnel,
    })
}
