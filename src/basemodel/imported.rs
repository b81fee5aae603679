//! Imported base-model scores (`--base-scores FILE`): SpliceAI or any other model run elsewhere.
//!
//! A Parquet or TSV file (plain or gzip) with columns `chrom, position, strand, donor, acceptor`
//! and optionally `neither`; positions are 1-based on the forward strand, `strand` is the strand
//! the scores are for (`+`/`-`). Positions absent from the file score 0.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use arrow_array::Array;
use arrow_schema::DataType;

use super::{Error, ScoreSource, Scores};
use crate::genome::fasta::ContigInfo;
use crate::genome::{Gene, GeneRegion, Strand};

/// Scores loaded from a file, indexed by contig, strand and position.
#[derive(Debug, Default)]
pub struct ImportedScores {
    by_contig: HashMap<(String, Strand), HashMap<u64, (f32, f32)>>,
    rows: u64,
}

struct Checker<'a> {
    path: &'a Path,
    lengths: HashMap<&'a str, u64>,
}

impl Checker<'_> {
    fn err(&self, row: u64, message: String) -> Error {
        Error::Value {
            path: self.path.to_path_buf(),
            row,
            message,
        }
    }

    fn strand(&self, row: u64, s: &str) -> Result<Strand, Error> {
        match s {
            "+" => Ok(Strand::Forward),
            "-" => Ok(Strand::Reverse),
            other => Err(self.err(row, format!("strand must be + or -, found {other:?}"))),
        }
    }

    fn position(&self, row: u64, chrom: &str, pos: u64) -> Result<u64, Error> {
        let Some(&len) = self.lengths.get(chrom) else {
            return Err(self.err(row, format!("contig {chrom:?} is not in the genome")));
        };
        if pos == 0 || pos > len {
            return Err(self.err(
                row,
                format!(
                    "position {pos} is outside contig {chrom} (1..={len}); positions are 1-based"
                ),
            ));
        }
        Ok(pos)
    }

    fn prob(&self, row: u64, column: &str, p: f64) -> Result<f32, Error> {
        if !(0.0..=1.0).contains(&p) {
            return Err(self.err(
                row,
                format!("{column} = {p} is not a probability in [0, 1]"),
            ));
        }
        Ok(p as f32)
    }
}

impl ImportedScores {
    /// Loads `path`, checking every row against the genome's contigs.
    pub fn load(path: &Path, contigs: &[ContigInfo]) -> Result<Self, Error> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut magic = [0u8; 4];
        let n = File::open(path)
            .and_then(|mut f| f.read(&mut magic))
            .map_err(io)?;
        let checker = Checker {
            path,
            lengths: contigs
                .iter()
                .map(|c| (c.name.as_str(), c.length))
                .collect(),
        };
        let mut out = Self::default();
        if n == 4 && &magic == b"PAR1" {
            out.load_parquet(path, &checker)?;
        } else {
            out.load_tsv(path, &checker)?;
        }
        Ok(out)
    }

    #[cfg(test)]
    /// Rows loaded.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn insert(&mut self, chrom: &str, strand: Strand, pos: u64, d: f32, a: f32) {
        self.rows += 1;
        self.by_contig
            .entry((chrom.to_string(), strand))
            .or_default()
            .insert(pos, (d, a));
    }

    fn load_tsv(&mut self, path: &Path, c: &Checker<'_>) -> Result<(), Error> {
        let reader = crate::genome::io::open_text(path)?;
        let mut lines = reader.lines();
        // A line past the limit is the genome inputs' error; any other failure an I/O one.
        let io = |source: std::io::Error| match crate::genome::io::read_error(path, source) {
            crate::genome::Error::Read { source, .. } => Error::Io {
                path: path.to_path_buf(),
                source,
            },
            g => Error::Input(g),
        };
        let header = match lines.next() {
            Some(Ok(h)) => h,
            Some(Err(source)) => return Err(io(source)),
            None => String::new(),
        };
        let names: Vec<&str> = header.trim_end().split('\t').collect();
        let col = |name: &'static str| -> Result<usize, Error> {
            names
                .iter()
                .position(|n| *n == name)
                .ok_or(Error::MissingColumn {
                    path: path.to_path_buf(),
                    column: name,
                })
        };
        let (ci, pi, si, di, ai) = (
            col("chrom")?,
            col("position")?,
            col("strand")?,
            col("donor")?,
            col("acceptor")?,
        );
        let ni = names.iter().position(|n| *n == "neither");
        for (i, line) in lines.enumerate() {
            let row = i as u64 + 2;
            let line = line.map_err(io)?;
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.trim_end_matches(['\r', '\n']).split('\t').collect();
            if f.len() < names.len() {
                return Err(c.err(
                    row,
                    format!(
                        "expected {} tab-separated columns, found {}",
                        names.len(),
                        f.len()
                    ),
                ));
            }
            let num = |k: usize, what: &str| -> Result<f64, Error> {
                f[k].trim()
                    .parse::<f64>()
                    .map_err(|_| c.err(row, format!("{what} must be a number, found {:?}", f[k])))
            };
            let pos = f[pi].trim().parse::<u64>().map_err(|_| {
                c.err(
                    row,
                    format!(
                        "position must be a positive whole number, found {:?}",
                        f[pi]
                    ),
                )
            })?;
            let chrom = f[ci].trim();
            let pos = c.position(row, chrom, pos)?;
            let strand = c.strand(row, f[si].trim())?;
            let d = c.prob(row, "donor", num(di, "donor")?)?;
            let a = c.prob(row, "acceptor", num(ai, "acceptor")?)?;
            if let Some(ni) = ni {
                c.prob(row, "neither", num(ni, "neither")?)?;
            }
            self.insert(chrom, strand, pos, d, a);
        }
        Ok(())
    }

    fn load_parquet(&mut self, path: &Path, c: &Checker<'_>) -> Result<(), Error> {
        let pq = |e: parquet::errors::ParquetError| Error::Parquet {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let reader = crate::genome::safe_parquet::open(file)
            .and_then(crate::genome::safe_parquet::build)
            .map_err(pq)?;
        let mut base = 0u64;
        for batch in reader {
            let batch = batch.map_err(|e| Error::Parquet {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            let get = |name: &'static str| -> Result<&dyn Array, Error> {
                batch
                    .column_by_name(name)
                    .map(|a| a.as_ref())
                    .ok_or(Error::MissingColumn {
                        path: path.to_path_buf(),
                        column: name,
                    })
            };
            let chrom = strings(get("chrom")?, path)?;
            let strand = strings(get("strand")?, path)?;
            let pos = numbers(get("position")?, path)?;
            let donor = numbers(get("donor")?, path)?;
            let acceptor = numbers(get("acceptor")?, path)?;
            let neither = match batch.column_by_name("neither") {
                Some(a) => Some(numbers(a.as_ref(), path)?),
                None => None,
            };
            for i in 0..batch.num_rows() {
                let row = base + i as u64 + 1;
                let p = pos[i];
                if p < 1.0 || p.fract() != 0.0 {
                    return Err(c.err(
                        row,
                        format!("position must be a positive whole number, found {p}"),
                    ));
                }
                let p = c.position(row, &chrom[i], p as u64)?;
                let s = c.strand(row, &strand[i])?;
                let d = c.prob(row, "donor", donor[i])?;
                let a = c.prob(row, "acceptor", acceptor[i])?;
                if let Some(n) = &neither {
                    c.prob(row, "neither", n[i])?;
                }
                self.insert(&chrom[i], s, p, d, a);
            }
            base += batch.num_rows() as u64;
        }
        Ok(())
    }
}

fn type_error(path: &Path, dt: &DataType, want: &str) -> Error {
    Error::Parquet {
        path: PathBuf::from(path),
        message: format!("a column has type {dt}, expected {want}"),
    }
}

fn strings(a: &dyn Array, path: &Path) -> Result<Vec<String>, Error> {
    use arrow_array::{LargeStringArray, StringArray, StringViewArray};
    let any = a.as_any();
    if let Some(s) = any.downcast_ref::<StringArray>() {
        return Ok(s.iter().map(|v| v.unwrap_or("").to_string()).collect());
    }
    if let Some(s) = any.downcast_ref::<LargeStringArray>() {
        return Ok(s.iter().map(|v| v.unwrap_or("").to_string()).collect());
    }
    if let Some(s) = any.downcast_ref::<StringViewArray>() {
        return Ok(s.iter().map(|v| v.unwrap_or("").to_string()).collect());
    }
    Err(type_error(path, a.data_type(), "a string"))
}

fn numbers(a: &dyn Array, path: &Path) -> Result<Vec<f64>, Error> {
    use arrow_array::PrimitiveArray;
    use arrow_array::types::{
        Float32Type, Float64Type, Int32Type, Int64Type, UInt32Type, UInt64Type,
    };
    macro_rules! try_type {
        ($t:ty) => {
            if let Some(p) = a.as_any().downcast_ref::<PrimitiveArray<$t>>() {
                return Ok(p
                    .iter()
                    .map(|v| v.map(|x| x as f64).unwrap_or(f64::NAN))
                    .collect());
            }
        };
    }
    try_type!(Float32Type);
    try_type!(Float64Type);
    try_type!(Int64Type);
    try_type!(Int32Type);
    try_type!(UInt64Type);
    try_type!(UInt32Type);
    Err(type_error(path, a.data_type(), "a number"))
}

impl ScoreSource for ImportedScores {
    fn score(&self, gene: &Gene, region: &GeneRegion) -> Scores {
        let mut s = Scores::zeros(region.len());
        if let Some(map) = self.by_contig.get(&(gene.contig.clone(), gene.strand)) {
            for j in 0..region.len() {
                if let Some(&(d, a)) = map.get(&region.genomic(j)) {
                    s.donor[j] = d;
                    s.acceptor[j] = a;
                }
            }
        }
        s.normalise();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contigs() -> Vec<ContigInfo> {
        vec![ContigInfo {
            name: "c1".into(),
            length: 100,
        }]
    }

    fn tsv(text: &str) -> Result<ImportedScores, Error> {
        let f = crate::store::fsutil::TempFile::new(text.as_bytes()).unwrap();
        ImportedScores::load(f.path(), &contigs())
    }

    #[test]
    fn loads_parquet_and_checks_values() {
        use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
        use std::sync::Arc;
        let write = |pos: i64, donor: f64| {
            let cols: Vec<(&str, ArrayRef)> = vec![
                ("chrom", Arc::new(StringArray::from(vec!["c1", "c1"]))),
                ("position", Arc::new(Int64Array::from(vec![5, pos]))),
                ("strand", Arc::new(StringArray::from(vec!["+", "-"]))),
                ("donor", Arc::new(Float64Array::from(vec![0.9, donor]))),
                ("acceptor", Arc::new(Float64Array::from(vec![0.0, 0.1]))),
            ];
            let batch = RecordBatch::try_from_iter(cols).unwrap();
            let f = crate::store::fsutil::TempFile::new(b"").unwrap();
            let file = std::fs::File::create(f.path()).unwrap();
            let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
            w.write(&batch).unwrap();
            w.close().unwrap();
            f
        };
        let ok = write(6, 0.2);
        assert_eq!(
            ImportedScores::load(ok.path(), &contigs()).unwrap().rows(),
            2
        );
        let bad = write(101, 0.2);
        let e = ImportedScores::load(bad.path(), &contigs())
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2: position 101 is outside contig c1"), "{e}");
        let bad = write(6, -0.5);
        let e = ImportedScores::load(bad.path(), &contigs())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a probability"), "{e}");
    }

    #[test]
    fn loads_tsv_and_checks_values() {
        let s =
            tsv("chrom\tposition\tstrand\tdonor\tacceptor\nc1\t5\t+\t0.9\t0.0\nc1\t6\t-\t0\t0.5\n")
                .unwrap();
        assert_eq!(s.rows(), 2);
        let e = |t: &str| {
            tsv(&format!("chrom\tposition\tstrand\tdonor\tacceptor\n{t}\n"))
                .unwrap_err()
                .to_string()
        };
        assert!(e("c1\t5\tx\t0.1\t0").contains(":2: strand must be + or -"));
        assert!(e("c1\t500\t+\t0.1\t0").contains("outside contig c1"));
        assert!(e("c1\t5\t+\t1.5\t0").contains("not a probability"));
        assert!(e("c9\t5\t+\t0.5\t0").contains("not in the genome"));
        let m = tsv("chrom\tpos\tstrand\tdonor\tacceptor\n").unwrap_err();
        assert!(matches!(
            m,
            Error::MissingColumn {
                column: "position",
                ..
            }
        ));
    }
}
