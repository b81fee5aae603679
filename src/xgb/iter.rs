//! Streaming construction: a `QuantileDMatrix` built batch by batch from a [`BatchSource`],
//! without ever holding all features in memory as floats.
//!
//! XGBoost pulls batches through two C callbacks (`next`, `reset`) and a proxy matrix that the
//! `next` callback points at the current batch. It walks the source several times (counting,
//! sketching quantiles unless given a reference, compressing into histogram bins, indexing
//! columns), calling `reset` before each new pass, so [`BatchSource::reset`] must really restart
//! the source. Only the sketch and the bins read feature values; on the XGBoost whose passes we
//! know, the source is told so ([`BatchSource::values_read`]) and may skip decoding them.
//!
//! Contract of the callbacks implemented here:
//! * the batch's feature buffer is handed to XGBoost by pointer (no copy) and stays untouched
//!   until the source is called again, which is all XGBoost needs: it reads a batch before it
//!   asks for the next one or resets. Labels and weights are copied by XGBoost at once.
//! * an error returned by the source, a malformed batch or a panic inside the source is stored,
//!   the callback reports "end of data" (XGBoost treats any non-zero return as "a batch is
//!   ready"), the source is not called again, and the stored error is what the constructor
//!   returns, whatever XGBoost made of the truncated stream.
//! * panics never cross the C boundary.

use std::path::Path;

use super::callbacks::{Kind, build};
use super::dmatrix::{DMatrix, json_f32};
use super::error::{Error, Result};

/// One batch of rows: dense, row-major features with their labels and optional weights.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Row-major features: `features[r * cols + c]` is feature `c` of row `r`; NaN is missing.
    pub features: &'a [f32],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns; the same in every batch.
    pub cols: usize,
    /// One label per row.
    pub labels: &'a [f32],
    /// One weight per row, in every batch or in none.
    pub weights: Option<&'a [f32]>,
}

impl<'a> Batch<'a> {
    /// A batch without weights; `rows` is `labels.len()`.
    #[must_use]
    pub fn new(features: &'a [f32], cols: usize, labels: &'a [f32]) -> Self {
        Batch {
            features,
            rows: labels.len(),
            cols,
            labels,
            weights: None,
        }
    }

    /// The same batch with instance weights.
    #[must_use]
    pub fn with_weights(self, weights: &'a [f32]) -> Self {
        Batch {
            weights: Some(weights),
            ..self
        }
    }
}

/// A restartable stream of [`Batch`]es that XGBoost reads, several times, to build a matrix.
pub trait BatchSource {
    /// The source's own error, returned by the constructor as [`Error::Source`].
    type Error: std::error::Error + Send + Sync + 'static;

    /// Rewinds to the first batch. A failure to rewind should be kept and returned by the next
    /// call to [`next`](BatchSource::next).
    fn reset(&mut self);

    /// The next batch, or `None` after the last one. The batch borrows from the source, which
    /// must leave the borrowed data untouched until it is called again.
    fn next(&mut self) -> Result<Option<Batch<'_>>, Self::Error>;

    /// Called after each [`reset`](BatchSource::reset) that XGBoost makes: whether the pass
    /// that starts reads the feature values. When `false`, the source may serve, in place of
    /// its features, any values that are missing (NaN) exactly where its real ones are — for a
    /// source whose features are all finite, zeros — with its real row counts, labels and
    /// weights; it saves decoding them. The default ignores the hint.
    fn values_read(&mut self, read: bool) {
        let _ = read;
    }
}

impl DMatrix {
    /// A `QuantileDMatrix` (features already cut into at most `max_bin` histogram bins, as the
    /// `hist` tree method uses them) built from a stream of batches. Missing values are NaN.
    ///
    /// `nthread` 0 means XGBoost's default (all cores). `reference` is the training matrix
    /// when building a validation or test matrix, so that both share the same bin cuts; the
    /// booster's `max_bin` parameter must equal `max_bin`. The source is rewound first.
    pub fn quantile_from_source<S: BatchSource>(
        source: &mut S,
        max_bin: u32,
        nthread: u32,
        reference: Option<&DMatrix>,
    ) -> Result<DMatrix> {
        let config = format!(
            "{{\"missing\": {}, \"nthread\": {nthread}, \"max_bin\": {max_bin}}}",
            json_f32(f32::NAN)
        );
        build(source, reference, &config, Kind::InMemory)
    }

    /// Like [`quantile_from_source`](DMatrix::quantile_from_source), but the binned pages are
    /// written to external-memory cache files whose paths start with `cache_prefix` (its
    /// directory must exist), so that the matrix need not fit in memory. Experimental in
    /// XGBoost.
    pub fn ext_mem_quantile_from_source<S: BatchSource>(
        source: &mut S,
        max_bin: u32,
        nthread: u32,
        reference: Option<&DMatrix>,
        cache_prefix: &Path,
    ) -> Result<DMatrix> {
        let prefix = cache_prefix.to_str().ok_or_else(|| {
            Error::InvalidInput(format!(
                "cache prefix {} is not UTF-8",
                cache_prefix.display()
            ))
        })?;
        let prefix = serde_json::to_string(prefix).expect("a string always serialises");
        let config = format!(
            "{{\"missing\": {}, \"nthread\": {nthread}, \"max_bin\": {max_bin}, \"cache_prefix\": {prefix}}}",
            json_f32(f32::NAN)
        );
        build(source, reference, &config, Kind::ExternalMemory)
    }
}

impl DMatrix {
    /// The histogram cuts `quantile_from_source` would sketch on `source`, in a one-row
    /// matrix (as [`cuts_only`](DMatrix::cuts_only)): a reference for later matrices. The
    /// source's feature values are read once, in the sketching pass; the bins of every row are
    /// made (from placeholder values, on the pinned XGBoost) and dropped, so the memory of the
    /// full binned matrix is needed for a moment.
    pub fn sketch_cuts<S: BatchSource>(
        source: &mut S,
        max_bin: u32,
        nthread: u32,
    ) -> Result<DMatrix> {
        let config = format!(
            "{{\"missing\": {}, \"nthread\": {nthread}, \"max_bin\": {max_bin}}}",
            json_f32(f32::NAN)
        );
        build(source, None, &config, Kind::CutsOnly)?.cuts_only(max_bin)
    }

    /// A one-row quantile matrix that carries this matrix's histogram cuts and almost nothing
    /// else: a [`reference`](DMatrix::quantile_from_source) for later matrices that bin like
    /// this one, cheap to keep once this one is freed. This matrix must be a quantile matrix.
    pub fn cuts_only(&self, max_bin: u32) -> Result<DMatrix> {
        let cols = self.num_cols()?;
        let mut one = OneRow {
            features: vec![f32::NAN; cols],
            label: [0.0],
            served: false,
        };
        DMatrix::quantile_from_source(&mut one, max_bin, 1, Some(self))
    }
}

/// One row of missing values.
struct OneRow {
    features: Vec<f32>,
    label: [f32; 1],
    served: bool,
}

impl BatchSource for OneRow {
    type Error = std::convert::Infallible;

    fn reset(&mut self) {
        self.served = false;
    }

    fn next(&mut self) -> std::result::Result<Option<Batch<'_>>, Self::Error> {
        if std::mem::replace(&mut self.served, true) {
            return Ok(None);
        }
        Ok(Some(Batch::new(
            &self.features,
            self.features.len(),
            &self.label,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xgb::{Booster, testdata};
    use std::fmt;

    /// Serves fixed data in `batches` batches, counting resets and full walks; can fail or panic
    /// at a given call of `next`.
    struct Chunks {
        x: Vec<f32>,
        y: Vec<f32>,
        w: Option<Vec<f32>>,
        cols: usize,
        batches: usize,
        pos: usize,
        resets: usize,
        walks: usize,
        calls: usize,
        fail_at: Option<usize>,
        panic_at: Option<usize>,
        /// Scratch buffer the batches are served from, overwritten on each call (so a dangling
        /// read by XGBoost would show up as wrong data).
        buf: Vec<f32>,
        /// The thread that built the source: XGBoost must call back on it (sources need not
        /// be `Send`).
        owner: std::thread::ThreadId,
        /// Serve zeros in passes XGBoost says do not read the values (the real data are finite).
        placeholders: bool,
        /// Whether the current pass reads values, as XGBoost said.
        read: bool,
        /// Passes served with zeros.
        zero_passes: usize,
    }

    #[derive(Debug)]
    struct Broken(usize);

    impl fmt::Display for Broken {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "disk on fire at call {}", self.0)
        }
    }

    impl std::error::Error for Broken {}

    impl Chunks {
        fn new(x: Vec<f32>, y: Vec<f32>, cols: usize, batches: usize) -> Self {
            Chunks {
                x,
                y,
                w: None,
                cols,
                batches,
                pos: 0,
                resets: 0,
                walks: 0,
                calls: 0,
                fail_at: None,
                panic_at: None,
                buf: Vec::new(),
                owner: std::thread::current().id(),
                placeholders: false,
                read: true,
                zero_passes: 0,
            }
        }

        fn with_placeholders(self) -> Self {
            Chunks {
                placeholders: true,
                ..self
            }
        }

        fn bounds(&self, i: usize) -> (usize, usize) {
            let n = self.y.len();
            (i * n / self.batches, (i + 1) * n / self.batches)
        }
    }

    impl BatchSource for Chunks {
        type Error = Broken;

        fn reset(&mut self) {
            assert_eq!(
                std::thread::current().id(),
                self.owner,
                "reset on another thread"
            );
            self.resets += 1;
            self.pos = 0;
            self.read = true;
        }

        fn values_read(&mut self, read: bool) {
            self.read = read;
            if self.placeholders && !read {
                self.zero_passes += 1;
            }
        }

        fn next(&mut self) -> Result<Option<Batch<'_>>, Broken> {
            assert_eq!(
                std::thread::current().id(),
                self.owner,
                "next on another thread"
            );
            self.calls += 1;
            if self.fail_at == Some(self.calls) {
                return Err(Broken(self.calls));
            }
            assert!(
                self.panic_at != Some(self.calls),
                "source panicked on purpose"
            );
            if self.pos == self.batches {
                self.walks += 1;
                return Ok(None);
            }
            let (a, b) = self.bounds(self.pos);
            self.pos += 1;
            self.buf.clear();
            if self.placeholders && !self.read {
                self.buf.resize((b - a) * self.cols, 0.0);
            } else {
                self.buf
                    .extend_from_slice(&self.x[a * self.cols..b * self.cols]);
            }
            let batch = Batch::new(&self.buf, self.cols, &self.y[a..b]);
            Ok(Some(match &self.w {
                Some(w) => batch.with_weights(&w[a..b]),
                None => batch,
            }))
        }
    }

    fn train(m: &DMatrix, rounds: u32) -> Booster {
        let mut b = Booster::new(&[m]).unwrap();
        b.set_params(&[
            ("objective", "binary:logistic"),
            ("tree_method", "hist"),
            ("max_bin", "64"),
            ("max_depth", "3"),
            ("nthread", "1"),
        ])
        .unwrap();
        for i in 0..rounds {
            b.update(i, m).unwrap();
        }
        b
    }

    #[test]
    fn placeholder_values_in_the_passes_that_skip_them_give_the_same_matrix_and_model() {
        let (major, minor, _) = crate::xgb::version().unwrap();
        assert_eq!(
            (major, minor),
            (3, 4),
            "the pass layout in callbacks::value_passes was read for XGBoost 3.4: re-read \
             src/data/iterative_dmatrix.cc of the new version, then update it and this test"
        );
        let (x, y) = testdata::binary(1200, 5);
        let w: Vec<f32> = (0..y.len()).map(|i| 0.5 + (i % 7) as f32 / 4.0).collect();
        let source = |placeholders: bool| {
            let mut c = Chunks::new(x.clone(), y.clone(), 4, 3);
            c.w = Some(w.clone());
            if placeholders {
                c.with_placeholders()
            } else {
                c
            }
        };
        let model = |m: &DMatrix| train(m, 5).to_ubj_bytes().unwrap();

        // Sketched on its own rows: 2 of the 4 passes need no values.
        let mut real = source(false);
        let mut light = source(true);
        let a = DMatrix::quantile_from_source(&mut real, 64, 1, None).unwrap();
        let b = DMatrix::quantile_from_source(&mut light, 64, 1, None).unwrap();
        assert_eq!(
            light.zero_passes, 2,
            "the shape and column passes skip the values"
        );
        assert_eq!(a.quantile_cuts().unwrap(), b.quantile_cuts().unwrap());
        assert_eq!(model(&a), model(&b), "the same model, byte for byte");

        // Binned against a reference: only the bins pass reads values.
        let holder = a.cuts_only(64).unwrap();
        let mut light = source(true);
        let c = DMatrix::quantile_from_source(&mut light, 64, 1, Some(&holder)).unwrap();
        assert_eq!(light.zero_passes, 2, "shape and columns");
        assert_eq!(model(&a), model(&c));

        // Cuts only: only the sketch reads values, and the cuts are those of the full build.
        let mut light = source(true);
        let cuts = DMatrix::sketch_cuts(&mut light, 64, 1).unwrap();
        assert_eq!(light.zero_passes, 3, "shape, bins and columns");
        assert_eq!(cuts.num_rows().unwrap(), 1);
        assert_eq!(cuts.quantile_cuts().unwrap(), a.quantile_cuts().unwrap());
        let mut light = source(true);
        let d = DMatrix::quantile_from_source(&mut light, 64, 1, Some(&cuts)).unwrap();
        assert_eq!(model(&a), model(&d));

        // Zeros where XGBoost reads values make another model: the comparisons above can fail.
        let mut zeros = Chunks::new(vec![0.0; x.len()], y.clone(), 4, 3);
        zeros.w = Some(w.clone());
        let z = DMatrix::quantile_from_source(&mut zeros, 64, 1, None).unwrap();
        assert_ne!(model(&a), model(&z));
    }

    #[test]
    fn a_matrix_built_against_a_cuts_holder_bins_like_the_sketched_matrix() {
        let (x, y) = testdata::binary(900, 21);
        let sketched =
            DMatrix::quantile_from_source(&mut Chunks::new(x, y, 4, 3), 64, 1, None).unwrap();
        let holder = sketched.cuts_only(64).unwrap();
        assert_eq!(holder.num_rows().unwrap(), 1);
        let cuts = sketched.quantile_cuts().unwrap();
        assert_eq!(cuts.0.len(), 5, "one pointer per feature plus one");
        assert_eq!(cuts.1.len() as u64, cuts.0[4]);
        drop(sketched);

        // Other rows, other distribution: binned with the held cuts, not their own.
        let (x2, y2) = testdata::binary(300, 99);
        let x2: Vec<f32> = x2.iter().map(|v| v * 3.0 + 1.0).collect();
        let with_ref = DMatrix::quantile_from_source(
            &mut Chunks::new(x2.clone(), y2.clone(), 4, 2),
            64,
            1,
            Some(&holder),
        )
        .unwrap();
        let own =
            DMatrix::quantile_from_source(&mut Chunks::new(x2, y2, 4, 2), 64, 1, None).unwrap();
        assert_eq!(holder.quantile_cuts().unwrap(), cuts);
        assert_eq!(with_ref.quantile_cuts().unwrap(), cuts);
        assert_ne!(
            own.quantile_cuts().unwrap(),
            cuts,
            "the test must be able to fail"
        );
    }

    #[test]
    fn streamed_quantile_matrix_trains_like_dense() {
        let (x, y) = testdata::binary(900, 21);
        let mut source = Chunks::new(x.clone(), y.clone(), 4, 3);
        let streamed = DMatrix::quantile_from_source(&mut source, 64, 1, None).unwrap();
        eprintln!(
            "quantile: {} resets, {} full walks, {} next calls",
            source.resets, source.walks, source.calls
        );
        assert!(
            source.resets > 1 && source.walks > 1,
            "walked once only ({} resets)",
            source.resets
        );
        assert_eq!(
            (streamed.num_rows().unwrap(), streamed.num_cols().unwrap()),
            (900, 4)
        );

        let mut dense = DMatrix::from_dense(&x, 900, 4, f32::NAN).unwrap();
        dense.set_labels(&y).unwrap();

        let (xt, yt) = testdata::binary(500, 22);
        let mut test_source = Chunks::new(xt.clone(), yt.clone(), 4, 2);
        let test_q =
            DMatrix::quantile_from_source(&mut test_source, 64, 1, Some(&streamed)).unwrap();
        let test = DMatrix::from_dense(&xt, 500, 4, f32::NAN).unwrap();

        let b_stream = train(&streamed, 20);
        let b_dense = train(&dense, 20);
        let line = b_stream
            .eval(19, &[(&streamed, "train"), (&test_q, "test")])
            .unwrap();
        assert!(
            line.contains("train-logloss") && line.contains("test-logloss"),
            "{line}"
        );
        let acc_stream = testdata::accuracy(&b_stream.predict(&test, false).unwrap().0, &yt);
        let acc_dense = testdata::accuracy(&b_dense.predict(&test, false).unwrap().0, &yt);
        let acc_q = testdata::accuracy(&b_stream.predict(&test_q, false).unwrap().0, &yt);
        eprintln!(
            "accuracy: streamed {acc_stream}, dense {acc_dense}, streamed on quantile test {acc_q}"
        );
        assert!(
            acc_stream > 0.93 && acc_dense > 0.93,
            "{acc_stream} {acc_dense}"
        );
        assert!(
            (acc_stream - acc_dense).abs() < 0.03,
            "{acc_stream} {acc_dense}"
        );
        assert!((acc_q - acc_stream).abs() < 0.03, "{acc_q} {acc_stream}");
    }

    #[test]
    fn weights_are_streamed() {
        let (x, y) = testdata::binary(300, 5);
        let mut weighted = Chunks::new(x.clone(), y.clone(), 4, 3);
        // Zero weight on every positive row: the model then predicts (nearly) only negatives.
        weighted.w = Some(y.iter().map(|&l| if l > 0.5 { 0.0 } else { 1.0 }).collect());
        let m = DMatrix::quantile_from_source(&mut weighted, 64, 1, None).unwrap();
        let b = train(&m, 5);
        let dense = DMatrix::from_dense(&x, 300, 4, f32::NAN).unwrap();
        let (p, _) = b.predict(&dense, false).unwrap();
        assert!(p.iter().all(|&p| p < 0.5), "weights ignored");
    }

    #[test]
    fn source_error_mid_iteration_is_returned() {
        let (x, y) = testdata::binary(300, 9);
        // Fails on the 2nd batch of the first walk, and (separately) later in a second walk.
        for fail_at in [2, 6] {
            let mut source = Chunks::new(x.clone(), y.clone(), 4, 3);
            source.fail_at = Some(fail_at);
            let err = DMatrix::quantile_from_source(&mut source, 64, 1, None).unwrap_err();
            let Error::Source(inner) = &err else {
                panic!("{err:?}")
            };
            let broken = inner
                .downcast_ref::<Broken>()
                .expect("the source's own error");
            assert_eq!(broken.0, fail_at);
            assert!(err.to_string().contains("disk on fire"), "{err}");
            assert_eq!(source.calls, fail_at, "source called again after failing");
        }
    }

    #[test]
    fn panic_in_source_is_caught() {
        let (x, y) = testdata::binary(90, 9);
        let mut source = Chunks::new(x, y, 4, 3);
        source.panic_at = Some(3);
        let err = DMatrix::quantile_from_source(&mut source, 64, 1, None).unwrap_err();
        assert!(
            matches!(&err, Error::Panic(m) if m.contains("on purpose")),
            "{err:?}"
        );
    }

    /// Features, columns, labels, weights.
    type RawBatch = (Vec<f32>, usize, Vec<f32>, Option<Vec<f32>>);

    /// A source with hand-made, possibly inconsistent batches, and its position.
    struct Fixed(Vec<RawBatch>, usize);

    impl BatchSource for Fixed {
        type Error = std::io::Error;
        fn reset(&mut self) {
            self.1 = 0;
        }
        fn next(&mut self) -> Result<Option<Batch<'_>>, std::io::Error> {
            let Some((x, cols, y, w)) = self.0.get(self.1) else {
                return Ok(None);
            };
            self.1 += 1;
            let b = Batch::new(x, *cols, y);
            Ok(Some(if let Some(w) = w {
                b.with_weights(w)
            } else {
                b
            }))
        }
    }

    #[test]
    fn malformed_batches_are_rejected() {
        let ok = (vec![0.0, 1.0, 2.0, 3.0], 2, vec![0.0, 1.0], None);
        let cases = [
            (
                vec![ok.clone(), (vec![0.0; 6], 3, vec![0.0, 1.0], None)],
                "columns",
            ),
            (
                vec![ok.clone(), (vec![0.0; 3], 2, vec![0.0, 1.0], None)],
                "values do not make",
            ),
            (
                vec![
                    ok.clone(),
                    (vec![0.0; 4], 2, vec![0.0, 1.0], Some(vec![1.0, 1.0])),
                ],
                "every batch",
            ),
            (
                vec![(vec![0.0; 4], 2, vec![0.0, 1.0], Some(vec![1.0]))],
                "weights for 2 rows",
            ),
        ];
        for (batches, want) in cases {
            let err =
                DMatrix::quantile_from_source(&mut Fixed(batches, 0), 16, 1, None).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidInput(m) if m.contains(want)),
                "{err:?} (want {want})"
            );
        }
        // Labels must match rows when rows is set by hand.
        let mut bad = Fixed(vec![ok], 0);
        struct Rows<'a>(&'a mut Fixed);
        impl BatchSource for Rows<'_> {
            type Error = std::io::Error;
            fn reset(&mut self) {
                self.0.reset();
            }
            fn next(&mut self) -> Result<Option<Batch<'_>>, std::io::Error> {
                Ok(self.0.next()?.map(|b| Batch {
                    rows: 1,
                    features: &b.features[..2],
                    ..b
                }))
            }
        }
        let err = DMatrix::quantile_from_source(&mut Rows(&mut bad), 16, 1, None).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m.contains("labels")),
            "{err:?}"
        );
    }

    #[test]
    fn nan_is_missing_in_streamed_batches() {
        let nan = f32::NAN;
        let batches = vec![
            (vec![0.0, nan, 1.0, 0.0], 2, vec![0.0, 1.0], None),
            (vec![nan, nan, 2.0, 0.5], 2, vec![1.0, 0.0], None),
        ];
        let m = DMatrix::quantile_from_source(&mut Fixed(batches, 0), 16, 1, None).unwrap();
        assert_eq!(
            (m.num_rows().unwrap(), m.num_non_missing().unwrap()),
            (4, 5)
        );
    }

    #[test]
    fn empty_source_is_an_xgboost_error() {
        let err = DMatrix::quantile_from_source(&mut Fixed(vec![], 0), 16, 1, None).unwrap_err();
        assert!(matches!(err, Error::XGBoost { .. }), "{err:?}");
        eprintln!("empty source: {err}");
    }

    #[test]
    fn external_memory_quantile_matrix_trains() {
        let (x, y) = testdata::binary(600, 31);
        let dir = crate::store::fsutil::TempDir::new("spliceforge-").unwrap();
        let mut source = Chunks::new(x.clone(), y.clone(), 4, 3);
        let m = DMatrix::ext_mem_quantile_from_source(
            &mut source,
            64,
            1,
            None,
            &dir.path().join("cache"),
        )
        .unwrap();
        assert_eq!(m.num_rows().unwrap(), 600);
        let b = train(&m, 10);
        let dense = DMatrix::from_dense(&x, 600, 4, f32::NAN).unwrap();
        let acc = testdata::accuracy(&b.predict(&dense, false).unwrap().0, &y);
        assert!(acc > 0.93, "{acc}");
        // XGBoost 3.x reads the source only while building; the handle it kept was never
        // called again (a later version that does gets "end of data", not freed memory).
        assert_eq!(m.late_callbacks(), 0);
        let files = |d: &Path| std::fs::read_dir(d).unwrap().count();
        assert!(
            files(dir.path()) > 0,
            "the external-memory matrix wrote no cache file"
        );
        drop(b);
        drop(m);
        // The source and the matrix's kept handle were dropped with it; the source is ours
        // again and its state is whatever the last pass left.
        assert!(source.resets >= 1 && source.walks >= 1);
    }
}
