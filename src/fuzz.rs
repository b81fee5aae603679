//! Every reader of files from elsewhere, run on arbitrary bytes: what the fuzz targets
//! (`fuzz/`, `cargo fuzz`) and their regression tests (`tests/data/fuzz/TARGET/*`, run by the
//! normal test command) call. The contract each target holds: the reader returns `Ok` or a
//! typed error — never a panic, never a hang — whatever the bytes.
//!
//! The readers take paths, so the bytes are written to a file of the process's own first (in
//! `TMPDIR`; `scripts/fuzz.sh` points it at `/dev/shm`).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::genome::fasta::{self, ContigInfo};
use crate::genome::{Transcripts, annotation, regions, select};

/// The fuzz targets, by name: each a reader (or a reader's modes) of one input format.
pub const TARGETS: &[&str] = &[
    "fasta",
    "gtf",
    "gff3",
    "annotation",
    "gene_ids",
    "base_scores",
    "vcf",
    "gene_table",
    "h5",
    "run_json",
    "manifest",
    "bed",
    "model_json",
    "predictions",
    "variants_manifest",
];

/// Runs target `name` on `data`: what the reader returned, as `Ok(())` or its error. Panics only
/// for an unknown target (or when a reader breaks its contract).
pub fn run(name: &str, data: &[u8]) -> Result<(), Error> {
    let file = Scratch::new(name);
    match name {
        "fasta" => {
            let path = file.write("in.fa", data)?;
            let _ = fasta::scan(&path);
            for keep in [false, true] {
                let mut r = fasta::Reader::open(&path)?;
                if keep {
                    r = r.keep_letters();
                }
                while r.next_contig()?.is_some() {}
            }
            Ok(())
        }
        "gtf" | "gff3" | "annotation" => {
            let path = file.write("in.annotation", data)?;
            let format = match name {
                "gtf" => Some(annotation::Format::Gtf),
                "gff3" => Some(annotation::Format::Gff3),
                _ => None,
            };
            annotation::read(&path, format)
                .map(|_| ())
                .map_err(Into::into)
        }
        "gene_ids" => {
            let path = file.write("ids.txt", data)?;
            select::read_gene_ids(&path).map(|_| ()).map_err(Into::into)
        }
        "base_scores" => {
            let path = file.write("scores", data)?;
            let contigs = [
                ContigInfo {
                    name: "chr1".into(),
                    length: 10_000,
                },
                ContigInfo {
                    name: "2".into(),
                    length: 500,
                },
            ];
            crate::basemodel::imported::ImportedScores::load(&path, &contigs)
                .map(|_| ())
                .map_err(Into::into)
        }
        "vcf" => {
            let mut r = crate::variants::vcf::Reader::from_reader(
                Path::new("in.vcf"),
                Cursor::new(data.to_vec()),
            )?;
            while r.read_record()?.is_some() {}
            Ok(())
        }
        "gene_table" => {
            let path = file.write("genes.txt", data)?;
            crate::variants::GeneTable::load(&path, Transcripts::All)
                .map(|_| ())
                .map_err(Into::into)
        }
        "h5" => {
            let path = file.write("spliceai1.h5", data)?;
            crate::basemodel::spliceai::check_weight_file(&path)
                .map_err(|e| crate::basemodel::Error::from(e).into())
        }
        "run_json" => {
            let dir = file.dir();
            file.write(crate::store::RUN_JSON, data)?;
            crate::store::RunInfo::load(&dir)
                .map(|_| ())
                .map_err(Into::into)
        }
        "manifest" => {
            let path = file.write("manifest.jsonl", data)?;
            crate::store::manifest::load(&path, false)?;
            crate::store::manifest::load(&path, true)?;
            Ok(())
        }
        "bed" => {
            let path = file.write("regions.bed", data)?;
            regions::read_bed(&path).map(|_| ()).map_err(Into::into)
        }
        "model_json" => {
            // One model directory's JSON files, each read as `train`, `predict` and `variants
            // --model` read them (the boosters are XGBoost's to read).
            use crate::train::modeldir::{FeatureList, TrainInfo, ensemble, files};
            let dir = file.dir();
            for name in [
                "train.json",
                "features.json",
                "calibration.json",
                ensemble::ENSEMBLE_JSON,
            ] {
                file.write(name, data)?;
            }
            let info = files::read_json::<TrainInfo>(&dir, "train.json");
            let features = files::read_json::<FeatureList>(&dir, "features.json");
            let calibration = files::read_json::<Option<crate::train::fit::calibrate::Calibration>>(
                &dir,
                "calibration.json",
            );
            let plan = files::read_json::<ensemble::EnsembleFile>(&dir, ensemble::ENSEMBLE_JSON);
            if let Ok(Some(c)) = &calibration {
                // A calibration read is applied to probabilities: any numbers must do.
                let _ = c.apply(&[0.0, 0.5, 1.0, f32::NAN, -1.0, 2.0]);
            }
            // The bytes are one of the four files: `Ok` when any of them reads.
            match (info, features, calibration, plan) {
                (Err(e), Err(_), Err(_), Err(_)) => Err(e.into()),
                _ => Ok(()),
            }
        }
        "predictions" => {
            let path = file.write("predictions.parquet", data)?;
            crate::evaluate::table::read(&path, None, 0.5).map(|_| ())
        }
        "variants_manifest" => {
            // A variants run's work directory: its manifest and a chunk it names.
            file.write("chunk-000001.vcf", b"1\t100\t.\tA\tC\t.\t.\t.\n")?;
            file.write("manifest.jsonl", data)?;
            crate::variants::run::committed_chunks(&file.dir()).map(|_| ())
        }
        other => panic!("no fuzz target {other:?}; the targets are {TARGETS:?}"),
    }
}

/// A directory of this process's own for one target's input files, emptied when dropped.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(target: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "spliceforge-fuzz-{}-{target}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        Self { dir }
    }

    fn dir(&self) -> PathBuf {
        self.dir.clone()
    }

    /// Writes `data` to `name` in the directory.
    fn write(&self, name: &str, data: &[u8]) -> Result<PathBuf, Error> {
        let path = self.dir.join(name);
        std::fs::create_dir_all(&self.dir)
            .and_then(|_| std::fs::write(&path, data))
            .map_err(|e| crate::store::Error::write(&path, e))?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
