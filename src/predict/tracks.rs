//! Genome-browser tracks of an every-base prediction table, written from the finished table:
//!
//! * `--bed FILE`: the called sites (the meta-model's call is donor or acceptor), BED6, sorted by
//!   contig (table order) and start: `chrom  start  end  name  score  strand`, `start` 0-based and
//!   `end` exclusive (one base), `name` `donor` or `acceptor`, `score` the calibrated probability
//!   of that class × 1000, rounded (BED scores are integers 0–1000);
//! * `--bedgraph-prefix P`: per-base calibrated probabilities, one bedGraph per class and strand
//!   (`P.donor.fwd.bedgraph`, `P.donor.rev.bedgraph`, `P.acceptor.fwd.bedgraph`,
//!   `P.acceptor.rev.bedgraph`), 0-based half-open intervals, consecutive bases of equal value
//!   merged; a base predicted for two genes of the same strand keeps the larger value.
//!
//! Each file is written under a temporary name, fsynced and renamed. Memory: one contig's rows.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow_array::{Array, Float32Array, Int64Array, StringArray};

use crate::Error;
use crate::store::fsutil::AtomicFile;
use crate::store::reader::column;
use crate::store::{self, Part};

/// Which tracks to write.
#[derive(Debug, Clone, Default)]
pub struct Tracks {
    /// The BED file of called sites.
    pub bed: Option<PathBuf>,
    /// The prefix of the four bedGraph files.
    pub bedgraph_prefix: Option<PathBuf>,
}

impl Tracks {
    /// Whether any track is asked for.
    pub fn any(&self) -> bool {
        self.bed.is_some() || self.bedgraph_prefix.is_some()
    }

    /// The four bedGraph files, in (class, strand) order: donor +, donor −, acceptor +,
    /// acceptor −.
    pub fn bedgraphs(&self) -> Option<[PathBuf; 4]> {
        let p = self.bedgraph_prefix.as_ref()?;
        let with = |suffix: &str| {
            let mut s = p.as_os_str().to_owned();
            s.push(suffix);
            PathBuf::from(s)
        };
        Some([
            with(".donor.fwd.bedgraph"),
            with(".donor.rev.bedgraph"),
            with(".acceptor.fwd.bedgraph"),
            with(".acceptor.rev.bedgraph"),
        ])
    }
}

/// What the tracks hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    /// Called sites in the BED file.
    pub sites: u64,
    /// Intervals over the bedGraph files.
    pub intervals: u64,
}

/// One base of the table.
#[derive(Clone, Copy)]
struct Base {
    position: i64,
    reverse: bool,
    donor: f32,
    acceptor: f32,
    /// 0 neither, 1 donor, 2 acceptor.
    call: u8,
}

/// An open output file.
struct Out {
    w: BufWriter<AtomicFile>,
    path: PathBuf,
}

impl Out {
    fn create(path: &Path) -> Result<Self, Error> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join(".spliceforge-tmp");
        let f = AtomicFile::create(path, &dir).map_err(|e| store::Error::write(path, e))?;
        Ok(Out {
            w: BufWriter::new(f),
            path: path.to_path_buf(),
        })
    }

    fn line(&mut self, args: std::fmt::Arguments<'_>) -> Result<(), Error> {
        self.w
            .write_fmt(args)
            .map_err(|e| store::Error::write(&self.path, e).into())
    }

    fn commit(self) -> Result<(), Error> {
        let path = self.path;
        let f = self
            .w
            .into_inner()
            .map_err(|e| store::Error::write(&path, e.into_error()))?;
        let tmp_dir = f.tmp().parent().map(Path::to_path_buf);
        f.commit().map_err(|e| store::Error::write(&path, e))?;
        if let Some(d) = tmp_dir {
            let _ = std::fs::remove_dir(d);
        }
        Ok(())
    }
}

/// Writes the tracks `t` asks for from the prediction table at `table`.
pub fn write(table: &Path, t: &Tracks) -> Result<Written, Error> {
    let mut bed = t.bed.as_deref().map(Out::create).transpose()?;
    let mut graphs = match t.bedgraphs() {
        Some(paths) => Some(
            paths
                .iter()
                .map(|p| Out::create(p))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let mut written = Written::default();
    let names = [
        "chrom",
        "position",
        "strand",
        "p_donor",
        "p_acceptor",
        "predicted",
    ];
    let reader = Part::open(table)?.read(&names, None, 1 << 16)?;
    let mut contig: Option<String> = None;
    let mut bases: Vec<Base> = Vec::new();
    let damaged = |m: &str| store::Error::Corrupt {
        path: table.to_path_buf(),
        message: m.to_string(),
    };
    for batch in reader {
        let batch = batch.map_err(|e| store::Error::damaged_parquet(table, e))?;
        let (Some(chrom), Some(pos), Some(strand), Some(d), Some(a), Some(call)) = (
            column::<StringArray>(&batch, 0),
            column::<Int64Array>(&batch, 1),
            column::<StringArray>(&batch, 2),
            column::<Float32Array>(&batch, 3),
            column::<Float32Array>(&batch, 4),
            column::<StringArray>(&batch, 5),
        ) else {
            return Err(damaged("its columns are not a prediction table's").into());
        };
        for r in 0..batch.num_rows() {
            if chrom.is_null(r) {
                return Err(damaged("a row has no chrom").into());
            }
            let c = chrom.value(r);
            if contig.as_deref() != Some(c) {
                if let Some(name) = contig.take() {
                    flush(&name, &mut bases, &mut bed, &mut graphs, &mut written)?;
                }
                contig = Some(c.to_string());
            }
            bases.push(Base {
                position: pos.value(r),
                reverse: strand.value(r) == "-",
                donor: d.value(r),
                acceptor: a.value(r),
                call: match call.value(r) {
                    "donor" => 1,
                    "acceptor" => 2,
                    _ => 0,
                },
            });
        }
    }
    if let Some(name) = contig.take() {
        flush(&name, &mut bases, &mut bed, &mut graphs, &mut written)?;
    }
    if let Some(b) = bed {
        b.commit()?;
    }
    for g in graphs.into_iter().flatten() {
        g.commit()?;
    }
    Ok(written)
}

/// Writes one contig's bases to the tracks and empties `bases`.
fn flush(
    chrom: &str,
    bases: &mut Vec<Base>,
    bed: &mut Option<Out>,
    graphs: &mut Option<Vec<Out>>,
    written: &mut Written,
) -> Result<(), Error> {
    bases.sort_by_key(|b| (b.position, b.reverse));
    if let Some(out) = bed {
        for b in bases.iter().filter(|b| b.call != 0) {
            let (name, p) = if b.call == 1 {
                ("donor", b.donor)
            } else {
                ("acceptor", b.acceptor)
            };
            let score = (p * 1000.0).round().clamp(0.0, 1000.0) as u32;
            let strand = if b.reverse { '-' } else { '+' };
            out.line(format_args!(
                "{chrom}\t{}\t{}\t{name}\t{score}\t{strand}\n",
                b.position - 1,
                b.position
            ))?;
            written.sites += 1;
        }
    }
    if let Some(outs) = graphs {
        for (k, out) in outs.iter_mut().enumerate() {
            let (donor, reverse) = (k < 2, k % 2 == 1);
            let mut run: Option<(i64, i64, f32)> = None;
            let mut last: Option<(i64, f32)> = None;
            let values = bases
                .iter()
                .filter(|b| b.reverse == reverse)
                .map(|b| (b.position, if donor { b.donor } else { b.acceptor }));
            // The same base twice (two genes of this strand): the larger value.
            let mut merged: Vec<(i64, f32)> = Vec::new();
            for (p, v) in values {
                match last {
                    Some((lp, lv)) if lp == p => {
                        if v > lv {
                            merged.pop();
                            merged.push((p, v));
                            last = Some((p, v));
                        }
                    }
                    _ => {
                        merged.push((p, v));
                        last = Some((p, v));
                    }
                }
            }
            for (p, v) in merged {
                run = match run {
                    Some((s, e, rv)) if e == p - 1 && rv == v => Some((s, p, rv)),
                    Some((s, e, rv)) => {
                        out.line(format_args!("{chrom}\t{}\t{e}\t{rv}\n", s - 1))?;
                        written.intervals += 1;
                        Some((p, p, v))
                    }
                    None => Some((p, p, v)),
                };
            }
            if let Some((s, e, v)) = run {
                out.line(format_args!("{chrom}\t{}\t{e}\t{v}\n", s - 1))?;
                written.intervals += 1;
            }
        }
    }
    bases.clear();
    Ok(())
}
