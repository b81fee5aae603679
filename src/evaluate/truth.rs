//! What counts as a true site: the table's own `splice_type` column (the sites of the
//! transcripts the `predict` run chose), or the sites of an annotation's chosen transcripts
//! (`--annotation`, `--transcripts`), every gene of it, matched on chrom, strand, position and
//! kind. A position that is a donor of one transcript and an acceptor of another is an acceptor,
//! as in the table's `splice_type` (the builder's labels).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::Error;
use crate::genome::{Format, SiteKind, Strand, Transcripts, annotation};

/// Where the true sites come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    /// The table's `splice_type` column.
    Table,
    /// An annotation's sites.
    Annotation {
        /// GTF or GFF3.
        path: PathBuf,
        /// Forced format, if any.
        format: Option<Format>,
        /// Whose sites count.
        transcripts: Transcripts,
    },
}

impl Truth {
    /// The settings as `metrics.json` and the fingerprint record them (the annotation by its
    /// checksum, in the fingerprint's inputs).
    pub fn content(&self) -> serde_json::Value {
        match self {
            Truth::Table => serde_json::json!({"from": "table"}),
            Truth::Annotation {
                format,
                transcripts,
                ..
            } => serde_json::json!({
                "from": "annotation",
                "annotation_format": format,
                "transcripts": transcripts.name(),
            }),
        }
    }

    /// In words, for the report.
    pub fn describe(&self) -> String {
        match self {
            Truth::Table => "the table's `splice_type` column".into(),
            Truth::Annotation {
                path, transcripts, ..
            } => format!(
                "the sites of {} transcripts of every gene of `{}`",
                transcripts.name(),
                path.display()
            ),
        }
    }
}

/// The class code of a row's truth: 0 neither, 1 donor, 2 acceptor.
pub type Class = u8;

/// The true sites of an annotation: per contig, (strand, position) → class.
#[derive(Debug, Default)]
pub struct Sites {
    by_contig: HashMap<String, HashMap<(bool, i64), Class>>,
    /// Sites in all.
    pub count: usize,
}

impl Sites {
    /// Reads the annotation and keeps the sites of the chosen transcripts of every gene.
    pub fn read(
        path: &std::path::Path,
        format: Option<Format>,
        transcripts: Transcripts,
    ) -> Result<Self, Error> {
        let ann = annotation::read(path, format)?;
        let chosen = transcripts.choose(ann.genes, path)?;
        let mut sites = Sites::default();
        for g in &chosen.genes {
            let contig = sites.by_contig.entry(g.contig.clone()).or_default();
            let forward = g.strand == Strand::Forward;
            for s in g.sites() {
                let class = match s.kind {
                    SiteKind::Donor => 1,
                    SiteKind::Acceptor => 2,
                };
                // A position that is both is an acceptor, whatever the order of genes.
                let slot = contig.entry((forward, s.position as i64)).or_insert(class);
                *slot = (*slot).max(class);
            }
        }
        sites.count = sites.by_contig.values().map(HashMap::len).sum();
        Ok(sites)
    }

    /// The class of a position (0 when it is no site).
    pub fn class(&self, chrom: &str, forward: bool, position: i64) -> Class {
        self.by_contig
            .get(chrom)
            .and_then(|c| c.get(&(forward, position)))
            .copied()
            .unwrap_or(0)
    }
}
