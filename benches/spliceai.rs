//! SpliceAI speed: nt/s for 1 and 5 models on N threads, GFLOP/s, and the GEMM peak measured in
//! the same run (our convolution kernel in cache, and `matrixmultiply`'s square SGEMM).
//!
//! `cargo bench --bench spliceai -- --weights DIR [--len 200000] [--threads 2] [--models 1,5]
//! [--fasta F --contig C [--start POS]] [--tile N]`. Prints a JSON line per measurement (read by `scripts/bench/spliceai.sh`).

use std::path::PathBuf;
use std::time::Instant;

use spliceforge::basemodel::spliceai::{Conv, SpliceAi};

struct Args {
    weights: PathBuf,
    len: usize,
    threads: usize,
    models: Vec<usize>,
    fasta: Option<PathBuf>,
    contig: Option<String>,
    start: Option<usize>,
    tile: usize,
}

fn args() -> Args {
    let mut a = Args {
        weights: PathBuf::new(),
        len: 200_000,
        threads: 2,
        models: vec![1, 5],
        fasta: None,
        contig: None,
        start: None,
        tile: spliceforge::basemodel::spliceai::DEFAULT_TILE,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_default();
        match k.as_str() {
            "--weights" => a.weights = v().into(),
            "--len" => a.len = v().parse().expect("--len N"),
            "--threads" => a.threads = v().parse().expect("--threads N"),
            "--tile" => a.tile = v().parse().expect("--tile N"),
            "--models" => {
                a.models = v()
                    .split(',')
                    .map(|m| m.parse().expect("--models 1,5"))
                    .collect()
            }
            "--fasta" => a.fasta = Some(v().into()),
            "--contig" => a.contig = Some(v()),
            "--start" => a.start = Some(v().parse().expect("--start POS (1-based)")),
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    if a.weights.as_os_str().is_empty() {
        a.weights = std::env::var_os("SPLICEFORGE_SPLICEAI_WEIGHTS")
            .map(PathBuf::from)
            .expect("--weights DIR or SPLICEFORGE_SPLICEAI_WEIGHTS");
    }
    a
}

/// A sequence of `len` bases plus 5 kb flanks: from a FASTA contig if given, else seeded random.
fn sequence(a: &Args, flank: usize) -> Vec<u8> {
    let n = a.len + 2 * flank;
    if let (Some(f), Some(c)) = (&a.fasta, &a.contig) {
        let mut r = spliceforge::genome::fasta::Reader::open(f).expect("FASTA");
        while let Some(contig) = r.next_contig().expect("FASTA") {
            if &contig.name == c {
                // The scored bases start at --start (1-based); the flank comes before them.
                let start = match a.start {
                    Some(s) => (s - 1).saturating_sub(flank),
                    None => contig.seq.len().saturating_sub(n) / 2,
                };
                return contig.seq[start..(start + n).min(contig.seq.len())].to_vec();
            }
        }
        panic!("contig {c} not found");
    }
    let mut s = 42u64;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            b"ACGT"[(s >> 62) as usize]
        })
        .collect()
}

/// GFLOP/s of our kernel on a dilated convolution whose input stays in cache, one thread.
fn kernel_peak() -> f64 {
    let conv = Conv {
        c_in: 32,
        c_out: 32,
        k: 11,
        d: 1,
        w: (0..11 * 32 * 32)
            .map(|i| ((i % 13) as f32 - 6.0) / 64.0)
            .collect(),
        b: vec![0.0; 32],
    };
    let n = 512;
    let x: Vec<f32> = (0..(n + 10) * 32)
        .map(|i| ((i % 7) as f32 - 3.0) / 8.0)
        .collect();
    let mut out = vec![0.0; n * 32];
    best_of(5, || {
        let t = Instant::now();
        let reps = 400;
        for _ in 0..reps {
            conv.run(&x, n, &mut out);
        }
        std::hint::black_box(&out);
        (reps * n) as f64 * conv.flops_per_position() as f64 / t.elapsed().as_secs_f64() / 1e9
    })
}

/// GFLOP/s of `matrixmultiply`'s SGEMM on 512×512×512, one thread.
fn sgemm_peak() -> f64 {
    let m = 512;
    let a: Vec<f32> = (0..m * m).map(|i| (i % 5) as f32).collect();
    let b = a.clone();
    let mut c = vec![0.0f32; m * m];
    best_of(5, || {
        let t = Instant::now();
        // SAFETY: a, b and c are m×m row-major buffers of exactly the sizes passed.
        unsafe {
            matrixmultiply::sgemm(
                m,
                m,
                m,
                1.0,
                a.as_ptr(),
                m as isize,
                1,
                b.as_ptr(),
                m as isize,
                1,
                0.0,
                c.as_mut_ptr(),
                m as isize,
                1,
            );
        }
        std::hint::black_box(&c);
        2.0 * (m * m * m) as f64 / t.elapsed().as_secs_f64() / 1e9
    })
}

fn best_of(n: usize, mut f: impl FnMut() -> f64) -> f64 {
    (0..n).map(|_| f()).fold(0.0, f64::max)
}

fn main() {
    let a = args();
    let kernel = kernel_peak();
    let sgemm = sgemm_peak();
    let peak = kernel.max(sgemm);
    println!(
        "{{\"what\": \"peak\", \"kernel_gflops_1thread\": {kernel:.2}, \"sgemm_gflops_1thread\": {sgemm:.2}, \"threads\": {}, \"peak_gflops\": {:.2}}}",
        a.threads,
        peak * a.threads as f64
    );
    for &models in &a.models {
        let model = SpliceAi::load(&a.weights, models)
            .expect("weights")
            .with_tile(a.tile)
            .with_threads(1);
        let flank = model.flank();
        let seq = sequence(&a, flank);
        let len = seq.len() - 2 * flank;
        // Each thread scores its own stretch (as the builder's scoring threads score their genes).
        let per = len.div_ceil(a.threads);
        let t = Instant::now();
        std::thread::scope(|s| {
            for i in 0..a.threads {
                let from = i * per;
                let to = ((i + 1) * per).min(len);
                let part = &seq[from..to + 2 * flank];
                let model = &model;
                s.spawn(move || std::hint::black_box(model.score_padded(part)));
            }
        });
        let secs = t.elapsed().as_secs_f64();
        let gflops = len as f64 * model.flops_per_position() as f64 / secs / 1e9;
        println!(
            "{{\"what\": \"score\", \"models\": {models}, \"threads\": {}, \"nt\": {len}, \"tile\": {}, \"seconds\": {secs:.3}, \"nt_per_s\": {:.0}, \"gflops\": {gflops:.2}, \"efficiency\": {:.3}}}",
            a.threads,
            a.tile,
            len as f64 / secs,
            gflops / (peak * a.threads as f64)
        );
    }
}
