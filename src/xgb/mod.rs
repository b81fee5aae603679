//! A thin, safe layer over XGBoost's C API (XGBoost 3.x, `libxgboost.so`).
//!
//! * [`DMatrix`]: quantile matrices streamed from a [`BatchSource`]
//!   ([`DMatrix::quantile_from_source`], in memory or in external-memory cache files), binned
//!   with their own cuts or a reference's; labels and weights. (Dense and CSR constructors exist
//!   for the binding's own tests.)
//! * [`Booster`]: training ([`Booster::update`]), evaluation, margins, JSON/UBJSON buffers, feature
//!   importance; [`boost_logistic_together`]: binary boosters sharing one matrix, boosting at the
//!   same time from our own gradients.
//! * [`Error`]: every failed C call becomes [`Error::XGBoost`] with XGBoost's own message.
//!
//! Only safe functions are offered: handles are owned (freed on drop), inputs are checked before
//! they reach C, outputs are copied out of XGBoost's buffers at once, and panics never cross the
//! C boundary. Nothing is linked at build time: [`loader`] finds and loads `libxgboost.so` on
//! first use (its search order is in its documentation and in `spliceforge doctor`); when no
//! usable library is found, every constructor returns [`Error::Library`].

pub(crate) mod alloc;
mod booster;
mod callbacks;
pub(crate) mod collective;
mod dmatrix;
mod error;
mod ffi;
mod iter;
pub mod loader;
mod together;

pub use booster::{Booster, ImportanceType};
pub use dmatrix::DMatrix;
pub use error::Error;
pub use iter::{Batch, BatchSource};
pub use together::{LogisticJob, boost_logistic_together};

pub(crate) use error::Result;

/// The version of the loaded XGBoost library, as `(major, minor, patch)` (loading it if needed).
pub fn version() -> Result<(i32, i32, i32)> {
    ffi::require()?;
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: three valid out pointers; the function cannot fail.
    unsafe { ffi::XGBoostVersion(&mut major, &mut minor, &mut patch) };
    Ok((major, minor, patch))
}

#[cfg(test)]
pub(crate) mod testdata {
    //! Small deterministic datasets for the tests of this module.

    /// A 64-bit linear congruential generator (Knuth's MMIX constants).
    pub struct Lcg(u64);

    impl Lcg {
        pub fn new(seed: u64) -> Self {
            Lcg(seed)
        }

        /// Uniform in [0, 1).
        pub fn next_f32(&mut self) -> f32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 40) as f32 / (1u64 << 24) as f32
        }
    }

    /// Row-major features (4 columns, uniform) and a separable binary label:
    /// 1 when `x0 + 0.5 x1 > 0.75`. Columns 2 and 3 are noise.
    pub fn binary(rows: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = Lcg::new(seed);
        let mut x = Vec::with_capacity(rows * 4);
        let mut y = Vec::with_capacity(rows);
        for _ in 0..rows {
            let row: [f32; 4] = std::array::from_fn(|_| rng.next_f32());
            y.push(if row[0] + 0.5 * row[1] > 0.75 {
                1.0
            } else {
                0.0
            });
            x.extend_from_slice(&row);
        }
        (x, y)
    }

    /// Features (3 columns) and a 3-class label: the index of the largest of columns 0..3.
    pub fn three_class(rows: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = Lcg::new(seed);
        let mut x = Vec::with_capacity(rows * 3);
        let mut y = Vec::with_capacity(rows);
        for _ in 0..rows {
            let row: [f32; 3] = std::array::from_fn(|_| rng.next_f32());
            let class = (0..3)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap_or(0);
            y.push(class as f32);
            x.extend_from_slice(&row);
        }
        (x, y)
    }

    /// Fraction of probabilities on the right side of 0.5.
    pub fn accuracy(probabilities: &[f32], labels: &[f32]) -> f64 {
        let right = probabilities
            .iter()
            .zip(labels)
            .filter(|&(&p, &y)| (p > 0.5) == (y > 0.5))
            .count();
        right as f64 / labels.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_3x() {
        let (major, minor, patch) = version().unwrap();
        assert_eq!(major, 3, "loaded XGBoost {major}.{minor}.{patch}");
        assert!(loader::supported((major, minor, patch)));
        assert_eq!(
            (major, minor, patch),
            loader::get().unwrap().version,
            "the version the loader checked"
        );
    }

    #[test]
    fn errors_carry_xgboost_text_and_function() {
        let train = DMatrix::from_dense(&[1.0, 2.0], 2, 1, f32::NAN).unwrap();
        let mut booster = Booster::new(&[&train]).unwrap();
        booster.set_param("objective", "no:such-objective").unwrap();
        let err = booster.update(0, &train).unwrap_err();
        match &err {
            Error::XGBoost { func, message } => {
                assert_eq!(*func, "XGBoosterUpdateOneIter");
                assert!(message.contains("no:such-objective"), "{message}");
                assert!(!message.contains("Stack trace"), "{message}");
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert!(err.to_string().contains("XGBoosterUpdateOneIter"), "{err}");
    }
}
