//! Streaming rows of a dataset into XGBoost: one Parquet row group at a time, only the feature,
//! label and weight columns, only the rows of the chosen genes, skipping part files that hold
//! none of them. The iterator is walked several times by XGBoost; `reset` restarts it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

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

    /// Appends the rows of `other`.
    pub fn append(&mut self, other: &RowInfo) {
        self.gene.extend_from_slice(&other.gene);
        self.label.extend_from_slice(&other.label);
        self.weight.extend_from_slice(&other.weight);
        self.base_donor.extend_from_slice(&other.base_donor);
        self.base_acceptor.extend_from_slice(&other.base_acceptor);
        self.position.extend_from_slice(&other.position);
    }
}

/// A [`BatchSource`] over the rows of the genes with `keep[gene] == true`. Decoder threads
/// read and decode the next row groups while XGBoost works on the current one.
pub struct RowSource {
    decoder: Arc<Decoder>,
    with_weights: bool,
    /// The decoder threads of the current pass.
    pass: Option<Pass>,
    /// The batch XGBoost is reading.
    current: Decoded,
    /// Filled during the first complete pass.
    pub info: RowInfo,
    /// Rows of the kept genes, from the manifest (the capacity reserved for `info`).
    rows: usize,
    recording: bool,
    recorded: bool,
}

/// Decoder threads per pass: Parquet decoding is single-threaded per row group, and XGBoost
/// waits for it in the passes where it has little to do itself (counting rows).
const DECODERS: usize = 2;

impl RowSource {
    /// A source over `ds` for the genes flagged in `keep` (indexed like `ds.genes`).
    pub fn new(
        ds: &Dataset,
        keep: &[bool],
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
                units.extend((0..n).map(|rg| (path.clone(), rg)));
            }
        }
        let mut cols: Vec<String> = ["gene_id", "position", "splice_type", "sample_weight"]
            .map(String::from)
            .to_vec();
        cols.extend(ds.features.iter().cloned());
        Ok(Self {
            decoder: Arc::new(Decoder {
                units,
                cols,
                n_features: ds.features.len(),
                gene_index: ds.gene_index.clone(),
                keep: keep.to_vec(),
                base: [ds.feature("donor_score"), ds.feature("acceptor_score")],
                record,
            }),
            with_weights,
            pass: None,
            current: Decoded::default(),
            info: RowInfo::default(),
            rows,
            recording: true,
            recorded: false,
        })
    }

    /// Walks every row once so that [`info`](Self::info) is complete.
    pub fn record(&mut self) -> Result<(), store::Error> {
        self.reset();
        while self.next_batch()?.is_some() {}
        Ok(())
    }

    /// Takes the next non-empty batch, in row-group order, into `current`; `None` at the end of
    /// a pass.
    fn next_batch(&mut self) -> Result<Option<()>, store::Error> {
        let recording = self.recording;
        let pass = self
            .pass
            .get_or_insert_with(|| Pass::start(&self.decoder, recording));
        while let Some(d) = pass.next()? {
            if d.labels.is_empty() {
                continue;
            }
            if self.recording {
                self.info.append(&d.info);
            }
            self.current = d;
            return Ok(Some(()));
        }
        if self.recording {
            self.recording = false;
            self.recorded = true;
        }
        Ok(None)
    }
}

/// What a decoder thread sends for each of its units.
type Decodes = Result<Decoded, store::Error>;

/// One pass over the row groups: decoder `w` decodes units `w`, `w + DECODERS`, … and sends
/// each (possibly empty) through its own channel of one; they are taken back in unit order.
struct Pass {
    threads: Vec<(Receiver<Decodes>, JoinHandle<()>)>,
    next_unit: usize,
    units: usize,
}

impl Pass {
    fn start(decoder: &Arc<Decoder>, recording: bool) -> Self {
        let units = decoder.units.len();
        let threads = (0..DECODERS.min(units.max(1)))
            .map(|w| {
                let (tx, rx) = sync_channel(1);
                let decoder = Arc::clone(decoder);
                let handle = std::thread::spawn(move || {
                    for unit in (w..decoder.units.len()).step_by(DECODERS) {
                        let d = decoder.decode(unit, recording);
                        let failed = d.is_err();
                        if tx.send(d).is_err() || failed {
                            return;
                        }
                    }
                });
                (rx, handle)
            })
            .collect();
        Pass {
            threads,
            next_unit: 0,
            units,
        }
    }

    /// The next unit's rows; `None` once every unit was taken.
    fn next(&mut self) -> Result<Option<Decoded>, store::Error> {
        if self.next_unit == self.units {
            return Ok(None);
        }
        let w = self.next_unit % self.threads.len();
        self.next_unit += 1;
        match self.threads[w].0.recv() {
            Ok(d) => d.map(Some),
            // The thread ended before its unit: it panicked; carry the panic over.
            Err(_) => {
                let (_, handle) = self.threads.swap_remove(w);
                match handle.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => unreachable!("a decoder sends every unit of its share or fails"),
                }
            }
        }
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        for (rx, handle) in self.threads.drain(..) {
            drop(rx);
            // A thread blocked on a full channel wakes with an error and ends; a panic there no
            // longer matters.
            let _ = handle.join();
        }
    }
}

/// One row group's kept rows: features row-major, labels and weights as XGBoost takes them,
/// and (while recording) their info.
#[derive(Default)]
struct Decoded {
    features: Vec<f32>,
    labels: Vec<f32>,
    weights: Vec<f32>,
    info: RowInfo,
}

/// Reads and filters row groups; owns what it needs, so that it runs on the decoder thread.
struct Decoder {
    /// Row groups to read: (part file, row group).
    units: Vec<(PathBuf, usize)>,
    /// Columns read: gene id, position, class, weight, then the features.
    cols: Vec<String>,
    n_features: usize,
    gene_index: HashMap<String, u32>,
    keep: Vec<bool>,
    /// Feature indices of the base model's donor and acceptor scores.
    base: [Option<usize>; 2],
    record: Record,
}

impl Decoder {
    /// The kept rows of row group `unit`, with their info when `recording`.
    fn decode(&self, unit: usize, recording: bool) -> Result<Decoded, store::Error> {
        let (path, rg) = &self.units[unit];
        let cols: Vec<&str> = self.cols.iter().map(String::as_str).collect();
        let reader = Part::open(path)?.read(&cols, Some(vec![*rg]), 1 << 20)?;
        let mut out = Decoded::default();
        for batch in reader {
            let batch = batch.map_err(|e| store::Error::damaged_parquet(path, e))?;
            let c = Columns::of(&batch, self.n_features).ok_or_else(|| store::Error::Corrupt {
                path: path.clone(),
                message: "unexpected column types".into(),
            })?;
            self.take_rows(&c, recording, &mut out);
        }
        Ok(out)
    }

    /// Appends the rows of kept genes in `c` to `out`.
    fn take_rows(&self, c: &Columns<'_>, recording: bool, out: &mut Decoded) {
        let n = c.gene.len();
        out.features.reserve_exact(n * self.n_features);
        out.labels.reserve_exact(n);
        out.weights.reserve_exact(n);
        let mut last_gene: Option<(&str, Option<u32>)> = None;
        for r in 0..c.gene.len() {
            let id = c.gene.value(r);
            let g = match last_gene {
                Some((lid, g)) if lid == id => g,
                _ => {
                    let g = self.gene_index.get(id).copied();
                    last_gene = Some((id, g));
                    g
                }
            };
            let Some(g) = g else { continue };
            if !self.keep[g as usize] {
                continue;
            }
            let label = SpliceType::parse(c.splice_type.value(r)).map_or(0, |t| t as u8);
            for col in &c.features {
                out.features.push(col[r]);
            }
            out.labels.push(f32::from(label));
            out.weights.push(c.weight.value(r));
            if recording {
                let i = &mut out.info;
                i.label.push(label);
                if self.record == Record::Labels {
                    continue;
                }
                let base = |f: Option<usize>| f.map_or(0.0, |f| c.features[f][r]);
                i.gene.push(g);
                i.weight.push(c.weight.value(r));
                i.position.push(c.position.value(r));
                i.base_donor.push(base(self.base[0]));
                i.base_acceptor.push(base(self.base[1]));
            }
        }
    }
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

impl BatchSource for RowSource {
    type Error = store::Error;

    fn reset(&mut self) {
        drop(self.pass.take());
        if !self.recorded {
            self.info = RowInfo::with_capacity(self.rows, self.decoder.record);
            self.recording = true;
        }
    }

    fn next(&mut self) -> Result<Option<Batch<'_>>, store::Error> {
        match self.next_batch()? {
            None => Ok(None),
            Some(()) => {
                let d = &self.current;
                let b = Batch::new(&d.features, self.decoder.n_features, &d.labels);
                Ok(Some(if self.with_weights {
                    b.with_weights(&d.weights)
                } else {
                    b
                }))
            }
        }
    }
}
