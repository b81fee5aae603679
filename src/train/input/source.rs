//! Streaming rows of a dataset into XGBoost: one Parquet row group at a time, only the feature,
//! label and weight columns, only the rows of the chosen genes, skipping part files that hold
//! none of them. The iterator is walked several times by XGBoost; `reset` restarts it. In the
//! passes where XGBoost reads no feature values (it says which), only the gene, class and weight
//! columns are decoded, and zeros stand in for the features (finite, as the real ones are).

use arrow_array::{Array, Float32Array, Int64Array, RecordBatch, StringArray};

use crate::features::SpliceType;
use crate::store::reader::{Part, column};
use crate::store::{self};
use crate::train::input::dataset::Dataset;
use crate::xgb::{Batch, BatchSource};

/// What the first full pass records about each row it yields: always the label (for
/// relabelling); with [`Record::Detail`] also the gene, weight, base-model scores and position
/// (for metrics and prediction files), which cost 25 bytes a row.
#[derive(Debug, Clone, Default)]
pub struct RowInfo {
    /// Gene index.
    pub gene: Vec<u32>,
    /// Class: 0 neither, 1 donor, 2 acceptor.
    pub label: Vec<u8>,
    /// `sample_weight`.
    pub weight: Vec<f32>,
    /// Base-model P(donor).
    pub base_donor: Vec<f32>,
    /// Base-model P(acceptor).
    pub base_acceptor: Vec<f32>,
    /// Genomic position (for prediction files).
    pub position: Vec<i64>,
}

/// How much of each row the source records in [`RowInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// Labels only (training matrices).
    Labels,
    /// Everything (matrices that are predicted and scored).
    Detail,
}

impl RowInfo {
    fn with_capacity(rows: usize, record: Record) -> Self {
        let detail = if record == Record::Detail { rows } else { 0 };
        RowInfo {
            gene: Vec::with_capacity(detail),
            label: Vec::with_capacity(rows),
            weight: Vec::with_capacity(detail),
            base_donor: Vec::with_capacity(detail),
            base_acceptor: Vec::with_capacity(detail),
            position: Vec::with_capacity(detail),
        }
    }

    /// Rows recorded.
    pub fn len(&self) -> usize {
        self.label.len()
    }

    /// Whether no row was recorded.
    pub fn is_empty(&self) -> bool {
        self.label.is_empty()
    }
}

/// A [`BatchSource`] over the rows of the genes with `keep[gene] == true`.
pub struct RowSource<'a> {
    ds: &'a Dataset,
    keep: &'a [bool],
    units: Vec<(usize, usize)>,
    next: usize,
    with_weights: bool,
    buf: Vec<f32>,
    labels: Vec<f32>,
    weights: Vec<f32>,
    /// Filled during the first complete pass.
    pub info: RowInfo,
    record: Record,
    /// Rows of the kept genes, from the manifest (the capacity reserved for `info`).
    rows: usize,
    recording: bool,
    recorded: bool,
    /// Whether XGBoost reads this pass's feature values ([`BatchSource::values_read`]); when
    /// not, only the gene, class and weight columns are decoded and the features are zeros.
    read: bool,
    /// Zeros served as features in passes that do not read them.
    zeros: Vec<f32>,
}

impl<'a> RowSource<'a> {
    /// A source over `ds` for the genes flagged in `keep` (indexed like `ds.genes`).
    pub fn new(
        ds: &'a Dataset,
        keep: &'a [bool],
        with_weights: bool,
        record: Record,
    ) -> Result<Self, store::Error> {
        let mut wanted = vec![false; ds.parts.len()];
        let mut rows = 0;
        for (g, k) in ds.genes.iter().zip(keep) {
            if *k {
                wanted[g.part] = true;
                rows += g.rows as usize;
            }
        }
        let mut units = Vec::new();
        for (p, (path, _)) in ds.parts.iter().enumerate() {
            if wanted[p] {
                let n = Part::open(path)?.row_groups();
                units.extend((0..n).map(|rg| (p, rg)));
            }
        }
        Ok(Self {
            ds,
            keep,
            units,
            next: 0,
            with_weights,
            buf: Vec::new(),
            labels: Vec::new(),
            weights: Vec::new(),
            info: RowInfo::default(),
            record,
            rows,
            recording: false,
            recorded: false,
            read: true,
            zeros: Vec::new(),
        })
    }

    /// Fills the buffers with the kept rows of the next row group that has any; `None` at the
    /// end of a pass. The first pass that reads values records `info`.
    fn next_batch(&mut self) -> Result<Option<()>, store::Error> {
        let ds = self.ds;
        if self.next == 0 && self.read && !self.recorded {
            self.info = RowInfo::with_capacity(self.rows, self.record);
            self.recording = true;
        }
        self.buf.clear();
        self.labels.clear();
        self.weights.clear();
        let mut cols: Vec<&str> = vec!["gene_id", "position", "splice_type", "sample_weight"];
        if self.read {
            cols.extend(ds.features.iter().map(String::as_str));
        }
        while self.next < self.units.len() {
            let (p, rg) = self.units[self.next];
            self.next += 1;
            let path = &ds.parts[p].0;
            let reader = Part::open(path)?.read(&cols, Some(vec![rg]), 1 << 20)?;
            for batch in reader {
                let batch = batch.map_err(|e| store::Error::damaged_parquet(path, e))?;
                let n_features = if self.read { ds.features.len() } else { 0 };
                let c = Columns::of(&batch, n_features).ok_or_else(|| store::Error::Corrupt {
                    path: path.clone(),
                    message: "unexpected column types".into(),
                })?;
                if let Some(bad) = self.take_rows(&c) {
                    let message = match bad {
                        BadRow::NotFinite(f) => format!(
                            "feature {} holds a value that is not finite, which the schema rules \
                             out; rebuild the dataset with this version of spliceforge",
                            ds.features[f]
                        ),
                        BadRow::Label(v) => format!(
                            "splice_type {v:?} is none of donor, acceptor, neither (the part was \
                             changed after the builder wrote it); rebuild the dataset"
                        ),
                    };
                    return Err(store::Error::Corrupt {
                        path: path.clone(),
                        message,
                    });
                }
            }
            if !self.labels.is_empty() {
                if !self.read {
                    let n = self.labels.len() * ds.features.len();
                    if self.zeros.len() < n {
                        self.zeros.resize(n, 0.0);
                    }
                }
                return Ok(Some(()));
            }
        }
        if self.recording {
            self.recording = false;
            self.recorded = true;
        }
        Ok(None)
    }

    /// Appends the rows of kept genes to the buffers (and, on the recording pass, to `info`).
    /// Returns what is wrong with the first row the schema rules out, if any.
    fn take_rows(&mut self, c: &Columns<'_>) -> Option<BadRow> {
        let ds = self.ds;
        let idx_donor = ds.feature("donor_score");
        let idx_acceptor = ds.feature("acceptor_score");
        let mut last_gene: Option<(&str, Option<u32>)> = None;
        for r in 0..c.gene.len() {
            let id = c.gene.value(r);
            let g = match last_gene {
                Some((lid, g)) if lid == id => g,
                _ => {
                    let g = ds.gene_index.get(id).copied();
                    last_gene = Some((id, g));
                    g
                }
            };
            let Some(g) = g else { continue };
            if !self.keep[g as usize] {
                continue;
            }
            let Some(label) = SpliceType::parse(c.splice_type.value(r)).map(|t| t as u8) else {
                return Some(BadRow::Label(c.splice_type.value(r).to_string()));
            };
            let mut finite = true;
            for col in &c.features {
                let v = col[r];
                finite &= v.is_finite();
                self.buf.push(v);
            }
            if !finite {
                return c
                    .features
                    .iter()
                    .position(|col| !col[r].is_finite())
                    .map(BadRow::NotFinite);
            }
            self.labels.push(f32::from(label));
            self.weights.push(c.weight.value(r));
            if self.recording {
                let i = &mut self.info;
                i.label.push(label);
                if self.record == Record::Labels {
                    continue;
                }
                i.gene.push(g);
                i.weight.push(c.weight.value(r));
                i.position.push(c.position.value(r));
                i.base_donor
                    .push(idx_donor.map_or(0.0, |f| c.features[f][r]));
                i.base_acceptor
                    .push(idx_acceptor.map_or(0.0, |f| c.features[f][r]));
            }
        }
        None
    }
}

/// A row that the schema rules out.
enum BadRow {
    /// The index of a feature whose value is not finite.
    NotFinite(usize),
    /// A `splice_type` that is none of the three classes.
    Label(String),
}

/// The columns of one record batch, typed: gene id, position, class, weight, then features.
struct Columns<'b> {
    gene: &'b StringArray,
    position: &'b Int64Array,
    splice_type: &'b StringArray,
    weight: &'b Float32Array,
    features: Vec<&'b [f32]>,
}

impl<'b> Columns<'b> {
    /// The batch's columns in the order [`RowSource::next_batch`] reads them; `None` if a type
    /// is not the schema's.
    fn of(batch: &'b RecordBatch, n_features: usize) -> Option<Self> {
        Some(Columns {
            gene: column(batch, 0)?,
            position: column(batch, 1)?,
            splice_type: column(batch, 2)?,
            weight: column(batch, 3)?,
            features: (0..n_features)
                .map(|f| column::<Float32Array>(batch, 4 + f).map(|a| a.values().as_ref()))
                .collect::<Option<_>>()?,
        })
    }
}

impl BatchSource for RowSource<'_> {
    type Error = store::Error;

    fn reset(&mut self) {
        self.next = 0;
        self.read = true;
        self.recording = false;
    }

    fn values_read(&mut self, read: bool) {
        self.read = read;
    }

    fn next(&mut self) -> Result<Option<Batch<'_>>, store::Error> {
        match self.next_batch()? {
            None => Ok(None),
            Some(()) => {
                let features = if self.read {
                    &self.buf[..]
                } else {
                    &self.zeros[..self.labels.len() * self.ds.features.len()]
                };
                let b = Batch::new(features, self.ds.features.len(), &self.labels);
                Ok(Some(if self.with_weights {
                    b.with_weights(&self.weights)
                } else {
                    b
                }))
            }
        }
    }
}
