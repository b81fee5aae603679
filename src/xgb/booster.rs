//! [`Booster`]: an XGBoost model, with training, evaluation, prediction, saving and loading,
//! and feature importance.
//!
//! Parameters are XGBoost's own (`objective`, `eta`, `max_depth`, `tree_method`, `nthread`,
//! ...), passed as strings. XGBoost checks them lazily: a bad value is reported by the first
//! call that needs it (usually [`Booster::update`]), not by [`Booster::set_param`].

use std::ffi::{CStr, c_char, c_int};
use std::path::Path;
use std::ptr;

use super::dmatrix::{DMatrix, array_interface, check_shape, json_f32};
use super::error::{Error, Result, check, cstring, to_usize, ulong};
use super::ffi;

/// What a feature-importance score measures (XGBoost's `importance_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportanceType {
    /// How many splits use the feature.
    #[cfg(test)]
    Weight,
    /// Average gain of the splits using the feature.
    #[cfg(test)]
    Gain,
    /// Average coverage (hessian sum) of the splits using the feature.
    #[cfg(test)]
    Cover,
    /// Total gain of the splits using the feature.
    TotalGain,
    /// Total coverage of the splits using the feature.
    #[cfg(test)]
    TotalCover,
}

impl ImportanceType {
    /// XGBoost's name for it (`"total_gain"`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            #[cfg(test)]
            ImportanceType::Weight => "weight",
            #[cfg(test)]
            ImportanceType::Gain => "gain",
            #[cfg(test)]
            ImportanceType::Cover => "cover",
            ImportanceType::TotalGain => "total_gain",
            #[cfg(test)]
            ImportanceType::TotalCover => "total_cover",
        }
    }
}

/// An XGBoost model. Owns its C handle and frees it on drop.
#[derive(Debug)]
pub struct Booster {
    handle: ffi::BoosterHandle,
}

// SAFETY: the handle is owned exclusively by this value and may be used from any thread, one at
// a time. Not `Sync`: XGBoost keeps per-booster scratch buffers (predictions, strings).
unsafe impl Send for Booster {}

impl Drop for Booster {
    fn drop(&mut self) {
        // SAFETY: created by XGBoosterCreate, freed exactly once. A failure only leaks.
        unsafe { ffi::XGBoosterFree(self.handle) };
    }
}

impl Booster {
    /// A new, untrained booster. `cache` lists the matrices it will train and evaluate on
    /// (it keeps its own references to them and caches their predictions); may be empty.
    pub fn new(cache: &[&DMatrix]) -> Result<Booster> {
        ffi::require()?;
        let handles: Vec<ffi::DMatrixHandle> = cache.iter().map(|m| m.handle()).collect();
        let mut out = ptr::null_mut();
        // SAFETY: `handles` holds `len` live matrix handles; valid out pointer.
        let ret = unsafe { ffi::XGBoosterCreate(handles.as_ptr(), ulong(handles.len()), &mut out) };
        check(ret, "XGBoosterCreate")?;
        Ok(Booster { handle: out })
    }

    /// A booster loaded from a model file written by [`save`](Booster::save),
    /// [`save_json`](Booster::save_json) or [`save_ubj`](Booster::save_ubj) (or by XGBoost in any
    /// language). The format is told by the extension (`.json`, `.ubj`); for other names
    /// XGBoost guesses from the content, printing a warning.
    pub fn load(path: &Path) -> Result<Booster> {
        let fname = path_cstring(path)?;
        let booster = Booster::new(&[])?;
        // SAFETY: live handle, NUL-terminated UTF-8 path.
        let ret = unsafe { ffi::XGBoosterLoadModel(booster.handle, fname.as_ptr()) };
        check(ret, "XGBoosterLoadModel")?;
        Ok(booster)
    }

    /// A booster loaded from model bytes in JSON or UBJSON (told apart by content), as made by
    /// [`to_json_bytes`](Booster::to_json_bytes) or [`to_ubj_bytes`](Booster::to_ubj_bytes).
    pub fn from_buffer(bytes: &[u8]) -> Result<Booster> {
        let booster = Booster::new(&[])?;
        // SAFETY: live handle; `bytes` holds `len` bytes; XGBoost copies what it keeps.
        let ret = unsafe {
            ffi::XGBoosterLoadModelFromBuffer(
                booster.handle,
                bytes.as_ptr().cast(),
                ulong(bytes.len()),
            )
        };
        check(ret, "XGBoosterLoadModelFromBuffer")?;
        Ok(booster)
    }

    /// Sets one parameter, e.g. `("objective", "binary:logistic")`.
    pub fn set_param(&mut self, name: &str, value: &str) -> Result<()> {
        let name_c = cstring(name, "parameter name")?;
        let value_c = cstring(value, "parameter value")?;
        // SAFETY: live handle, NUL-terminated strings; XGBoost copies them.
        let ret = unsafe { ffi::XGBoosterSetParam(self.handle, name_c.as_ptr(), value_c.as_ptr()) };
        check(ret, "XGBoosterSetParam")
    }

    #[cfg(test)]
    /// Sets parameters in order (a repeated name such as `eval_metric` adds, it does not replace).
    pub fn set_params(&mut self, params: &[(&str, &str)]) -> Result<()> {
        params.iter().try_for_each(|(k, v)| self.set_param(k, v))
    }

    /// Runs boosting round `iteration` (0, 1, 2, ... ) on `train`, which must have labels.
    pub fn update(&mut self, iteration: u32, train: &DMatrix) -> Result<()> {
        let iter = round(iteration)?;
        // SAFETY: live handles.
        let ret = unsafe { ffi::XGBoosterUpdateOneIter(self.handle, iter, train.handle()) };
        check(ret, "XGBoosterUpdateOneIter")
    }

    /// Runs boosting round `iteration` on `train` from per-row gradients and hessians (a custom
    /// objective): XGBoost grows this round's trees from them, without looking at the labels.
    pub fn boost_with_gradients(
        &mut self,
        iteration: u32,
        train: &DMatrix,
        grad: &[f32],
        hess: &[f32],
    ) -> Result<()> {
        let iter = round(iteration)?;
        if grad.len() != hess.len() {
            return Err(Error::InvalidInput(format!(
                "{} gradients but {} hessians",
                grad.len(),
                hess.len()
            )));
        }
        let g = array_interface(grad.as_ptr().cast(), &[grad.len(), 1], "f4")?;
        let h = array_interface(hess.as_ptr().cast(), &[hess.len(), 1], "f4")?;
        // SAFETY: live handles; the interfaces describe `grad` and `hess`, alive for the call
        // (XGBoost copies them; it checks their length against the matrix's rows).
        let ret = unsafe {
            ffi::XGBoosterTrainOneIter(self.handle, train.handle(), iter, g.as_ptr(), h.as_ptr())
        };
        check(ret, "XGBoosterTrainOneIter")
    }

    /// The raw margins the next boosting round on `train` starts from (from the booster's
    /// prediction cache, so nothing is recomputed), one per row of a single-output model.
    pub fn training_margins(&self, train: &DMatrix) -> Result<Vec<f32>> {
        self.predict_matrix(train, 1, true)
            .map(|(values, _)| values)
    }

    /// Evaluates the model on named matrices with its `eval_metric`s and returns XGBoost's line,
    /// e.g. `"[3]\ttrain-logloss:0.12\tvalid-logloss:0.25"` (see [`parse_eval`]).
    pub fn eval(&self, iteration: u32, sets: &[(&DMatrix, &str)]) -> Result<String> {
        let iter = round(iteration)?;
        let names = sets
            .iter()
            .map(|(_, n)| cstring(n, "evaluation name"))
            .collect::<Result<Vec<_>>>()?;
        let mut handles: Vec<ffi::DMatrixHandle> = sets.iter().map(|(m, _)| m.handle()).collect();
        let mut name_ptrs: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
        let mut out: *const c_char = ptr::null();
        // SAFETY: live handles; both arrays hold `len` entries alive for the call; valid out.
        let ret = unsafe {
            ffi::XGBoosterEvalOneIter(
                self.handle,
                iter,
                handles.as_mut_ptr(),
                name_ptrs.as_mut_ptr(),
                ulong(handles.len()),
                &mut out,
            )
        };
        check(ret, "XGBoosterEvalOneIter")?;
        Ok(copy_str(out))
    }

    #[cfg(test)]
    /// Predictions for every row of `data`, with their shape: `[rows]` for single-output models,
    /// `[rows, classes]` for `multi:softprob`. Probabilities (or values) by default; raw margins
    /// (before the link function) when `margin` is true. All boosted rounds are used.
    pub fn predict(&self, data: &DMatrix, margin: bool) -> Result<(Vec<f32>, Vec<u64>)> {
        self.predict_matrix(data, u8::from(margin), false)
    }

    /// Each feature's SHAP contribution to each row's margin (XGBoost's TreeSHAP,
    /// `pred_contribs`): `rows × (features + 1)` for a single-output model, the last column the
    /// bias, `rows × outputs × (features + 1)` for a multi-output one; every row's values sum
    /// to its margin.
    pub fn contributions(&self, data: &DMatrix) -> Result<(Vec<f32>, Vec<u64>)> {
        self.predict_matrix(data, 2, false)
    }

    /// `XGBoosterPredictFromDMatrix` over every boosted round, of prediction type `kind` (0
    /// values, 1 margins, 2 contributions); `training` reads the booster's prediction cache of
    /// a matrix it trains on.
    fn predict_matrix(
        &self,
        data: &DMatrix,
        kind: u8,
        training: bool,
    ) -> Result<(Vec<f32>, Vec<u64>)> {
        let config = format!(
            "{{\"type\": {kind}, \"training\": {training}, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}}"
        );
        let config = cstring(&config, "config")?;
        // SAFETY: live handles; valid out pointers.
        Self::prediction("XGBoosterPredictFromDMatrix", |shape, dim, values| unsafe {
            ffi::XGBoosterPredictFromDMatrix(
                self.handle,
                data.handle(),
                config.as_ptr(),
                shape,
                dim,
                values,
            )
        })
    }

    /// [`predict`](Booster::predict) on a dense row-major matrix (`rows × cols` floats, NaN
    /// missing) read in place: no `DMatrix` is built, so nothing is copied or converted.
    pub fn predict_dense(
        &self,
        features: &[f32],
        rows: usize,
        cols: usize,
        margin: bool,
    ) -> Result<(Vec<f32>, Vec<u64>)> {
        check_shape(features.len(), rows, cols, "features")?;
        let data = array_interface(features.as_ptr().cast(), &[rows, cols], "f4")?;
        let config = format!(
            "{{\"type\": {}, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false, \"missing\": {}}}",
            u8::from(margin),
            json_f32(f32::NAN)
        );
        let config = cstring(&config, "config")?;
        // SAFETY: live booster; the interface describes `features` (rows * cols floats,
        // checked above), alive for the call; no proxy; valid out pointers.
        Self::prediction("XGBoosterPredictFromDense", |shape, dim, values| unsafe {
            ffi::XGBoosterPredictFromDense(
                self.handle,
                data.as_ptr(),
                config.as_ptr(),
                ptr::null_mut(),
                shape,
                dim,
                values,
            )
        })
    }

    /// Runs an XGBoost predict call `call` (given its three out pointers) and copies what it
    /// returned (XGBoost's buffers live only until the booster's next call).
    fn prediction(
        func: &'static str,
        call: impl FnOnce(*mut *const u64, *mut u64, *mut *const f32) -> std::ffi::c_int,
    ) -> Result<(Vec<f32>, Vec<u64>)> {
        let mut shape: *const u64 = ptr::null();
        let mut dim = 0u64;
        let mut values: *const f32 = ptr::null();
        check(call(&mut shape, &mut dim, &mut values), func)?;
        // SAFETY: XGBoost returned `dim` shape entries (copied at once).
        let shape =
            unsafe { borrowed_slice(shape, to_usize(dim, "prediction dimension")?) }.to_vec();
        let len = shape.iter().try_fold(1usize, |n, &d| {
            n.checked_mul(to_usize(d, "prediction shape").ok()?)
        });
        let len = len
            .ok_or_else(|| Error::InvalidInput(format!("prediction shape {shape:?} overflows")))?;
        // SAFETY: the prediction buffer holds the product of the shape floats.
        let values = unsafe { borrowed_slice(values, len) }.to_vec();
        Ok((values, shape))
    }

    #[cfg(test)]
    /// Saves the model; the format is told by the extension of `path` (`.json` JSON, `.ubj`
    /// UBJSON; XGBoost picks UBJSON for others, with a warning).
    pub fn save(&self, path: &Path) -> Result<()> {
        let fname = path_cstring(path)?;
        // SAFETY: live handle, NUL-terminated path.
        let ret = unsafe { ffi::XGBoosterSaveModel(self.handle, fname.as_ptr()) };
        check(ret, "XGBoosterSaveModel")
    }

    #[cfg(test)]
    /// Saves the model as JSON, whatever the extension of `path`.
    pub fn save_json(&self, path: &Path) -> Result<()> {
        write_file(path, &self.to_json_bytes()?)
    }

    #[cfg(test)]
    /// Saves the model as UBJSON (binary JSON, smaller and faster), whatever the extension.
    pub fn save_ubj(&self, path: &Path) -> Result<()> {
        write_file(path, &self.to_ubj_bytes()?)
    }

    /// The model as JSON bytes.
    pub fn to_json_bytes(&self) -> Result<Vec<u8>> {
        self.to_buffer(c"{\"format\": \"json\"}")
    }

    /// The model as UBJSON bytes.
    pub fn to_ubj_bytes(&self) -> Result<Vec<u8>> {
        self.to_buffer(c"{\"format\": \"ubj\"}")
    }

    fn to_buffer(&self, config: &CStr) -> Result<Vec<u8>> {
        let mut len = 0u64;
        let mut data: *const c_char = ptr::null();
        // SAFETY: live handle; valid out pointers.
        let ret = unsafe {
            ffi::XGBoosterSaveModelToBuffer(self.handle, config.as_ptr(), &mut len, &mut data)
        };
        check(ret, "XGBoosterSaveModelToBuffer")?;
        // SAFETY: XGBoost returned `len` bytes at `data` (copied at once).
        Ok(unsafe { borrowed_slice(data.cast::<u8>(), to_usize(len, "model size")?) }.to_vec())
    }

    #[cfg(test)]
    /// The number of features the model expects.
    pub fn num_features(&self) -> Result<usize> {
        let mut n = 0u64;
        // SAFETY: live handle, valid out pointer.
        check(
            unsafe { ffi::XGBoosterGetNumFeature(self.handle, &mut n) },
            "XGBoosterGetNumFeature",
        )?;
        to_usize(n, "feature count")
    }

    /// The number of boosting rounds done so far.
    pub fn boosted_rounds(&self) -> Result<usize> {
        let mut n: c_int = 0;
        // SAFETY: live handle, valid out pointer.
        check(
            unsafe { ffi::XGBoosterBoostedRounds(self.handle, &mut n) },
            "XGBoosterBoostedRounds",
        )?;
        usize::try_from(n).map_err(|_| Error::InvalidInput(format!("negative round count {n}")))
    }

    /// A new booster with the trees of the first `rounds` boosting rounds only (what early
    /// stopping keeps). `rounds` must be between 1 and [`boosted_rounds`](Self::boosted_rounds).
    pub fn first_rounds(&self, rounds: u32) -> Result<Booster> {
        let end = round(rounds)?;
        let mut out = ptr::null_mut();
        // SAFETY: live handle, valid out pointer; XGBoost copies the trees into a new booster.
        let ret = unsafe { ffi::XGBoosterSlice(self.handle, 0, end, 1, &mut out) };
        check(ret, "XGBoosterSlice")?;
        Ok(Booster { handle: out })
    }

    #[cfg(test)]
    /// Names the model's features (one per feature). Stored in saved models.
    pub fn set_feature_names(&mut self, names: &[&str]) -> Result<()> {
        let owned = names
            .iter()
            .map(|n| cstring(n, "feature name"))
            .collect::<Result<Vec<_>>>()?;
        let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        // SAFETY: live handle; `ptrs` holds `len` NUL-terminated strings alive for the call.
        let ret = unsafe {
            ffi::XGBoosterSetStrFeatureInfo(
                self.handle,
                c"feature_name".as_ptr(),
                ptrs.as_mut_ptr(),
                ulong(ptrs.len()),
            )
        };
        check(ret, "XGBoosterSetStrFeatureInfo")
    }

    #[cfg(test)]
    /// The model's feature names; empty unless set with
    /// [`set_feature_names`](Booster::set_feature_names) (XGBoost's core does not take them from
    /// the training matrix).
    pub fn feature_names(&self) -> Result<Vec<String>> {
        let mut len = 0u64;
        let mut out: *mut *const c_char = ptr::null_mut();
        // SAFETY: live handle; valid out pointers.
        let ret = unsafe {
            ffi::XGBoosterGetStrFeatureInfo(
                self.handle,
                c"feature_name".as_ptr(),
                &mut len,
                &mut out,
            )
        };
        check(ret, "XGBoosterGetStrFeatureInfo")?;
        // SAFETY: XGBoost returned `len` string pointers (copied at once).
        let names = unsafe { borrowed_slice(out.cast_const(), to_usize(len, "feature count")?) };
        Ok(names.iter().map(|&p| copy_str(p)).collect())
    }

    /// Feature importance of a tree model: `(feature name, score)` for every feature used in at
    /// least one split (unused features are absent), in XGBoost's order. Features are named
    /// `f0`, `f1`, ... unless names were set with [`set_feature_names`](Booster::set_feature_names).
    pub fn feature_score(&self, importance: ImportanceType) -> Result<Vec<(String, f32)>> {
        let config = cstring(
            &format!("{{\"importance_type\": \"{}\"}}", importance.as_str()),
            "config",
        )?;
        let mut n_features = 0u64;
        let mut names: *mut *const c_char = ptr::null_mut();
        let mut dim = 0u64;
        let mut shape: *const u64 = ptr::null();
        let mut scores: *const f32 = ptr::null();
        // SAFETY: live handle; valid out pointers.
        let ret = unsafe {
            ffi::XGBoosterFeatureScore(
                self.handle,
                config.as_ptr(),
                &mut n_features,
                &mut names,
                &mut dim,
                &mut shape,
                &mut scores,
            )
        };
        check(ret, "XGBoosterFeatureScore")?;
        let n = to_usize(n_features, "feature count")?;
        // SAFETY: XGBoost returned `dim` shape entries.
        let shape = unsafe { borrowed_slice(shape, to_usize(dim, "score dimension")?) };
        if shape != [n_features] {
            return Err(Error::XGBoost {
                func: "XGBoosterFeatureScore",
                message: format!(
                    "scores of shape {shape:?} for {n} features (a multi-class linear model?)"
                ),
            });
        }
        // SAFETY: `n` names and `n` scores (shape checked), copied at once.
        let (names, scores) = unsafe {
            (
                borrowed_slice(names.cast_const(), n),
                borrowed_slice(scores, n),
            )
        };
        Ok(names
            .iter()
            .map(|&p| copy_str(p))
            .zip(scores.iter().copied())
            .collect())
    }
}

#[cfg(test)]
/// Splits an [`Booster::eval`] line into `(name, value)` pairs such as `("train-logloss", 0.12)`.
/// Fields that are not `name:number` (the leading `[3]`) are skipped.
#[must_use]
pub fn parse_eval(line: &str) -> Vec<(String, f64)> {
    line.split('\t')
        .filter_map(|field| {
            let (name, value) = field.trim().rsplit_once(':')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn round(iteration: u32) -> Result<c_int> {
    c_int::try_from(iteration)
        .map_err(|_| Error::InvalidInput(format!("iteration {iteration} is too large")))
}

fn path_cstring(path: &Path) -> Result<std::ffi::CString> {
    let s = path
        .to_str()
        .ok_or_else(|| Error::InvalidInput(format!("path {} is not UTF-8", path.display())))?;
    cstring(s, "path")
}

#[cfg(test)]
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

/// A copy of a C string owned by XGBoost (empty for null).
fn copy_str(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-null, NUL-terminated string from XGBoost, valid until the next call.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// A view of `len` values XGBoost returned at `p` (empty when `len` is 0, whatever `p` is).
///
/// # Safety
/// When `len > 0`, `p` must point to `len` initialised values that stay valid while the
/// returned slice is used.
unsafe fn borrowed_slice<'a, T>(p: *const T, len: usize) -> &'a [T] {
    if len == 0 || p.is_null() {
        &[]
    } else {
        // SAFETY: per the function's contract.
        unsafe { std::slice::from_raw_parts(p, len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xgb::testdata;

    /// A binary-logistic booster trained for `rounds` rounds, with the training logloss per round.
    fn train_binary(train: &DMatrix, rounds: u32) -> (Booster, Vec<f64>) {
        let mut booster = Booster::new(&[train]).unwrap();
        booster
            .set_params(&[
                ("objective", "binary:logistic"),
                ("eval_metric", "logloss"),
                ("tree_method", "hist"),
                ("max_depth", "3"),
                ("eta", "0.3"),
                ("nthread", "1"),
                ("seed", "7"),
            ])
            .unwrap();
        let mut losses = Vec::new();
        for round in 0..rounds {
            booster.update(round, train).unwrap();
            let line = booster.eval(round, &[(train, "train")]).unwrap();
            assert!(
                line.starts_with(&format!("[{round}]\ttrain-logloss:")),
                "{line}"
            );
            let metrics = parse_eval(&line);
            assert_eq!(metrics.len(), 1, "{line}");
            assert_eq!(metrics[0].0, "train-logloss");
            losses.push(metrics[0].1);
        }
        (booster, losses)
    }

    fn dense(x: &[f32], y: &[f32], cols: usize) -> DMatrix {
        let mut m = DMatrix::from_dense(x, y.len(), cols, f32::NAN).unwrap();
        m.set_labels(y).unwrap();
        m
    }

    #[test]
    fn binary_logistic_learns_separable_data() {
        let (x, y) = testdata::binary(600, 11);
        let train = dense(&x, &y, 4);
        let (booster, losses) = train_binary(&train, 20);
        assert!(losses.windows(2).all(|w| w[1] <= w[0] + 1e-9), "{losses:?}");
        assert!(losses[19] < losses[0] / 3.0, "{losses:?}");
        assert_eq!(booster.boosted_rounds().unwrap(), 20);
        assert_eq!(booster.num_features().unwrap(), 4);

        let (x_test, y_test) = testdata::binary(400, 12);
        let test = dense(&x_test, &y_test, 4);
        let (p, shape) = booster.predict(&test, false).unwrap();
        assert_eq!(shape, [400]);
        assert!(p.iter().all(|&v| (0.0..=1.0).contains(&v)));
        let acc = testdata::accuracy(&p, &y_test);
        assert!(acc > 0.93, "accuracy {acc}");

        // Repeated eval_metric parameters add up.
        let mut two = Booster::new(&[&train]).unwrap();
        two.set_params(&[
            ("objective", "binary:logistic"),
            ("eval_metric", "logloss"),
            ("eval_metric", "error"),
            ("nthread", "1"),
        ])
        .unwrap();
        two.update(0, &train).unwrap();
        let names: Vec<String> = parse_eval(&two.eval(0, &[(&train, "t")]).unwrap())
            .into_iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(names, ["t-logloss", "t-error"]);

        // Margins are the logits of the probabilities.
        let (m, _) = booster.predict(&test, true).unwrap();
        for (&m, &p) in m.iter().zip(&p) {
            assert!((1.0 / (1.0 + (-m).exp()) - p).abs() < 1e-5);
        }
    }

    #[test]
    fn softprob_gives_rows_by_classes_summing_to_one() {
        let (x, y) = testdata::three_class(300, 5);
        let train = dense(&x, &y, 3);
        let mut booster = Booster::new(&[&train]).unwrap();
        booster
            .set_params(&[
                ("objective", "multi:softprob"),
                ("num_class", "3"),
                ("nthread", "1"),
                ("max_depth", "3"),
            ])
            .unwrap();
        for round in 0..10 {
            booster.update(round, &train).unwrap();
        }
        let (p, shape) = booster.predict(&train, false).unwrap();
        assert_eq!(shape, [300, 3]);
        for row in p.chunks(3) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{row:?}");
        }
        let right = p
            .chunks(3)
            .zip(&y)
            .filter(|(row, y)| {
                (0..3).max_by(|&a, &b| row[a].total_cmp(&row[b])) == Some(**y as usize)
            })
            .count();
        assert!(right > 270, "{right}/300 right");
    }

    #[test]
    fn save_and_load_round_trip_bit_for_bit() {
        let (x, y) = testdata::binary(300, 3);
        let train = dense(&x, &y, 4);
        let (booster, _) = train_binary(&train, 8);
        let want = booster.predict(&train, true).unwrap();
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        let dir = crate::store::fsutil::TempDir::new("spliceforge-").unwrap();

        let json = dir.path().join("model.json");
        booster.save(&json).unwrap();
        let is_json = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).is_ok();
        assert!(is_json(&std::fs::read(&json).unwrap()), "not JSON");
        let ubj = dir.path().join("model.ubj");
        booster.save(&ubj).unwrap();
        assert!(!is_json(&std::fs::read(&ubj).unwrap()), "not UBJSON");
        // Explicit formats, whatever the extension.
        let json_noext = dir.path().join("model-j");
        booster.save_json(&json_noext).unwrap();
        let ubj_noext = dir.path().join("model-u");
        booster.save_ubj(&ubj_noext).unwrap();
        assert_eq!(
            std::fs::read(&json_noext).unwrap(),
            booster.to_json_bytes().unwrap()
        );

        assert!(!is_json(&std::fs::read(&ubj_noext).unwrap()));
        // Loading by path goes by the extension (XGBoost warns about any other name), so the
        // files without one are read back from their bytes below.
        for path in [&json, &ubj] {
            let loaded = Booster::load(path).unwrap();
            let got = loaded.predict(&train, true).unwrap();
            assert_eq!(bits(&got.0), bits(&want.0), "{}", path.display());
            assert_eq!(got.1, want.1);
            assert_eq!(loaded.boosted_rounds().unwrap(), 8);
            assert_eq!(loaded.num_features().unwrap(), 4);
        }
        for bytes in [
            booster.to_ubj_bytes().unwrap(),
            booster.to_json_bytes().unwrap(),
            std::fs::read(&ubj_noext).unwrap(),
            std::fs::read(&json_noext).unwrap(),
        ] {
            let loaded = Booster::from_buffer(&bytes).unwrap();
            assert_eq!(
                bits(&loaded.predict(&train, true).unwrap().0),
                bits(&want.0)
            );
            // Saving again gives the same bytes.
            let again = if is_json(&bytes) {
                loaded.to_json_bytes()
            } else {
                loaded.to_ubj_bytes()
            };
            assert_eq!(again.unwrap(), bytes);
        }

        assert!(matches!(
            Booster::load(&dir.path().join("absent.json")),
            Err(Error::XGBoost { .. })
        ));
        assert!(matches!(
            Booster::from_buffer(b"not a model"),
            Err(Error::XGBoost { .. })
        ));
        assert!(matches!(
            booster.save_json(&dir.path().join("no/such/dir.json")),
            Err(Error::Io { .. })
        ));
    }

    #[test]
    fn invalid_parameter_is_an_error_with_xgboost_text() {
        let (x, y) = testdata::binary(50, 4);
        let train = dense(&x, &y, 4);
        let mut booster = Booster::new(&[&train]).unwrap();
        booster.set_param("max_depth", "abc").unwrap();
        let err = booster.update(0, &train).unwrap_err();
        let Error::XGBoost { func, message } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*func, "XGBoosterUpdateOneIter");
        assert!(message.contains("max_depth"), "{message}");
        eprintln!("bad max_depth: {err}");

        let mut booster = Booster::new(&[&train]).unwrap();
        booster.set_param("objective", "binary:nonsense").unwrap();
        let err = booster.update(0, &train).unwrap_err();
        assert!(err.to_string().contains("binary:nonsense"), "{err}");

        // Training data without labels.
        let unlabelled = DMatrix::from_dense(&x, 50, 4, f32::NAN).unwrap();
        let mut booster = Booster::new(&[]).unwrap();
        booster
            .set_params(&[("objective", "binary:logistic"), ("nthread", "1")])
            .unwrap();
        assert!(matches!(
            booster.update(0, &unlabelled),
            Err(Error::XGBoost { .. })
        ));

        // Predicting with the wrong number of features.
        let (booster, _) = train_binary(&train, 2);
        let wide = DMatrix::from_dense(&x[..150], 25, 6, f32::NAN).unwrap();
        let err = booster.predict(&wide, false).unwrap_err();
        assert!(
            matches!(
                err,
                Error::XGBoost {
                    func: "XGBoosterPredictFromDMatrix",
                    ..
                }
            ),
            "{err}"
        );

        assert!(matches!(
            Booster::new(&[]).unwrap().set_param("a\0b", "1"),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn feature_score_uses_names() {
        let (x, y) = testdata::binary(400, 8);
        let train = dense(&x, &y, 4);
        let (booster, _) = train_binary(&train, 5);
        let scores = booster.feature_score(ImportanceType::TotalGain).unwrap();
        let names: Vec<&str> = scores.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"f0") && names.contains(&"f1"), "{scores:?}");
        let gain =
            |s: &[(String, f32)], n: &str| s.iter().find(|(k, _)| k == n).map_or(0.0, |p| p.1);
        // The label depends on x0 most, then x1; x2 and x3 are noise.
        assert!(gain(&scores, "f0") > gain(&scores, "f1"), "{scores:?}");
        assert!(
            gain(&scores, "f1") > gain(&scores, "f2").max(gain(&scores, "f3")),
            "{scores:?}"
        );
        for kind in [
            ImportanceType::Weight,
            ImportanceType::Gain,
            ImportanceType::Cover,
            ImportanceType::TotalCover,
        ] {
            assert!(!booster.feature_score(kind).unwrap().is_empty());
        }
        assert!(booster.feature_names().unwrap().is_empty());

        // Names set on the booster are used, and survive a save.
        let (mut booster, _) = train_binary(&train, 5);
        booster
            .set_feature_names(&["donor", "acceptor", "noise1", "noise2"])
            .unwrap();
        assert_eq!(
            booster.feature_names().unwrap(),
            ["donor", "acceptor", "noise1", "noise2"]
        );
        let scores = booster.feature_score(ImportanceType::Gain).unwrap();
        assert!(scores.iter().any(|(n, _)| n == "donor"), "{scores:?}");
        booster.set_feature_names(&["a", "b", "c", "d"]).unwrap();
        let loaded = Booster::from_buffer(&booster.to_ubj_bytes().unwrap()).unwrap();
        assert_eq!(loaded.feature_names().unwrap(), ["a", "b", "c", "d"]);
        assert!(
            loaded
                .feature_score(ImportanceType::Weight)
                .unwrap()
                .iter()
                .any(|(n, _)| n == "a")
        );
    }

    #[test]
    fn parse_eval_lines() {
        assert_eq!(
            parse_eval("[3]\ttrain-logloss:0.5\tvalid-auc:0.75"),
            [
                ("train-logloss".to_owned(), 0.5),
                ("valid-auc".to_owned(), 0.75)
            ]
        );
        assert!(parse_eval("[0]").is_empty());
    }
}
