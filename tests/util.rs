//! Test helpers: a fresh temporary directory per test and a command builder for the real binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The embedded D. melanogaster chromosome 4 genome.
pub const GENOME: &str = "data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz";
/// Its GTF annotation.
pub const GTF: &str = "data/DmelanDM6_4.gtf.gz";
/// Its GFF3 annotation.
pub const GFF: &str = "data/DmelanDM6_4.gff.gz";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under the repository root.
pub fn repo(rel: &str) -> PathBuf {
    root().join(rel)
}

/// A fresh directory for one test, removed at the end.
pub struct Dir {
    tmp: spliceforge::store::TempDir,
}

impl Dir {
    /// Makes the directory.
    pub fn new() -> Self {
        Self {
            tmp: spliceforge::store::TempDir::new("spliceforge-test-").unwrap(),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// A path inside it.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Writes a file inside it and returns its path.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(rel);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// A command for the real binary, run in this directory, with no `SPLICEFORGE_*` variable
    /// of the developer's environment (they are flag fallbacks and fault switches).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_spliceforge"));
        c.args(args).current_dir(self.path());
        passive_openmp(&mut c);
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("SPLICEFORGE_") {
                c.env_remove(var);
            }
        }
        c
    }
}

/// Tests run two at a time, each process with as many OpenMP threads as cores: XGBoost's
/// threads, spinning while they wait (OpenMP's default), would take the cores from the other
/// test's working threads (two trains at once took 3x longer). Waiting threads sleep instead.
pub fn passive_openmp(c: &mut Command) {
    c.env("OMP_WAIT_POLICY", "PASSIVE");
}

/// What a finished command printed, with its exit code.
pub struct Run {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns self.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts the exit code and that the tool did not panic, and returns self.
    #[track_caller]
    pub fn fails_with(self, code: impl Into<i32>) -> Self {
        let code = code.into();
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        self
    }
}

/// Runs a command to completion.
pub fn run(mut c: Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Copies a directory tree (`cp -r`), e.g. a dataset a test is about to damage.
pub fn copy_dir(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-r")
        .args([from, to])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// A `builder` command on the embedded data (GTF) writing to `out`, quiet, with `extra` flags.
pub fn build_cmd(dir: &Dir, out: &Path, extra: &[&str]) -> Command {
    let mut args = vec!["--out", out.to_str().unwrap(), "-q"];
    args.extend_from_slice(extra);
    inputs_cmd(dir, "builder", &args)
}

/// The command `verb --genome … --annotation …` on the embedded data (GTF), with `extra` flags.
pub fn inputs_cmd(dir: &Dir, verb: &str, extra: &[&str]) -> Command {
    let (g, a) = (repo(GENOME), repo(GTF));
    let mut args = vec![
        verb,
        "--genome",
        g.to_str().unwrap(),
        "--annotation",
        a.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    dir.cmd(&args)
}

/// The Python that has the test-only packages: the project's virtual environment made by
/// `scripts/setup.sh` (`SPLICEFORGE_VENV`, default `.venv`), else `python3`.
pub fn python_cmd() -> Command {
    let venv = std::env::var_os("SPLICEFORGE_VENV")
        .map(PathBuf::from)
        .map_or_else(|| repo(".venv"), |v| root().join(v));
    let py = venv.join("bin/python");
    let mut c = Command::new(if py.exists() {
        py
    } else {
        PathBuf::from("python3")
    });
    passive_openmp(&mut c);
    c
}

/// Runs a Python script (the interop checks), asserting it succeeds; returns its stdout.
pub fn python(script: &str) -> String {
    let o = python_cmd().arg("-c").arg(script).output().unwrap();
    assert!(
        o.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every file of a dataset that must be byte-identical between runs, with its bytes.
pub fn dataset_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for rel in [
        "run.json",
        "manifest.jsonl",
        "basemodel.json",
        "genes.parquet",
        "summary.json",
    ] {
        m.insert(
            rel.to_string(),
            std::fs::read(out.join(rel)).unwrap_or_default(),
        );
    }
    for e in std::fs::read_dir(out.join("parts")).unwrap() {
        let e = e.unwrap();
        m.insert(
            format!("parts/{}", e.file_name().to_string_lossy()),
            std::fs::read(e.path()).unwrap(),
        );
    }
    m
}

/// Runs `cmd` again and again, killing it (SIGKILL) after `min_ms` the first time and after a
/// seeded random delay of `min_ms` plus up to `spread_ms` later, until a run finishes by itself;
/// returns the number of kills (at least 1).
pub fn kill_until_done(seed: u64, min_ms: u64, spread_ms: u64, cmd: impl Fn() -> Command) -> usize {
    kill_until(seed, min_ms, spread_ms, 49, cmd, |s| s.success())
}

/// [`kill_until_done`], where `finished` says which exit of an unkilled run ends the loop (any
/// other fails the test), and after `max_kills` kills the next run is left to finish (on a
/// loaded machine a run may never get far enough between kills).
pub fn kill_until(
    seed: u64,
    min_ms: u64,
    spread_ms: u64,
    max_kills: usize,
    cmd: impl Fn() -> Command,
    finished: impl Fn(std::process::ExitStatus) -> bool,
) -> usize {
    let mut rng = spliceforge::seed::Rng::new(seed);
    let mut kills = 0;
    loop {
        let mut child = cmd()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The first kill comes early (so at least one lands), later ones anywhere.
        let extra = if kills == 0 { 0 } else { rng.below(spread_ms) };
        let delay = if kills >= max_kills {
            Duration::MAX
        } else {
            Duration::from_millis(min_ms + extra)
        };
        let start = Instant::now();
        while start.elapsed() < delay {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(finished(status), "a run failed: {status}");
                assert!(kills >= 1, "no kill landed before the run finished");
                return kills;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
    }
}

/// Starts `cmd` (output discarded) and waits until `path` exists, failing the test after
/// `timeout`; returns the running child.
pub fn spawn_until_exists(mut cmd: Command, path: &Path, timeout: Duration) -> std::process::Child {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !path.exists() {
        if t.elapsed() > timeout {
            let _ = child.kill();
            panic!("{} never appeared", path.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

/// The embedded chromosome 4 cut into `pieces` contigs (`chr4a`, `chr4b`, …) between genes, with
/// the annotation moved onto them (genome FASTA, GTF in `dir`): real sequence on several
/// contigs, for what is split by contig (`--cv chromosome`, `--holdout-contigs`, `--contigs`).
pub fn split_genome(dir: &Dir, pieces: usize) -> (PathBuf, PathBuf) {
    let (fa, gtf) = (dir.join("split.fa"), dir.join("split.gtf"));
    python(&format!(
        r##"
import gzip, re
name, seq = None, []
for line in gzip.open({genome:?}, "rt"):
    if line.startswith(">"):
        if name: break
        name = line[1:].split()[0]
    else:
        seq.append(line.strip())
seq = "".join(seq)
lines = [l for l in gzip.open({gtf:?}, "rt") if not l.startswith("#") and l.split("\t")[0] == name]
span = {{}}
for l in lines:
    c = l.split("\t")
    g = re.search(r'gene_id "([^"]+)"', c[8]).group(1)
    s, e = span.get(g, (10**12, 0))
    span[g] = (min(s, int(c[3])), max(e, int(c[4])))
covered = sorted(span.values())
def free(p):
    return all(not (s <= p <= e) for s, e in covered)
cuts = []
for i in range(1, {pieces}):
    p = len(seq) * i // {pieces}
    while not free(p) or not free(p + 1):
        p += 1
    cuts.append(p)
bounds = [0] + cuts + [len(seq)]
names = ["chr4" + "abcdefgh"[i] for i in range(len(bounds) - 1)]
with open({fa:?}, "w") as f:
    for i, n in enumerate(names):
        f.write(">" + n + "\n")
        s = seq[bounds[i]:bounds[i + 1]]
        for k in range(0, len(s), 80):
            f.write(s[k:k + 80] + "\n")
with open({out_gtf:?}, "w") as f:
    for l in lines:
        c = l.split("\t")
        s, e = int(c[3]), int(c[4])
        i = max(k for k in range(len(names)) if bounds[k] < s)
        if e > bounds[i + 1]:
            continue
        c[0], c[3], c[4] = names[i], str(s - bounds[i]), str(e - bounds[i])
        f.write("\t".join(c))
"##,
        genome = s(&repo(GENOME)),
        gtf = s(&repo(GTF)),
        fa = s(&fa),
        out_gtf = s(&gtf),
    ));
    (fa, gtf)
}

/// A path as `&str`.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `train` of the dataset `ds` into `model` for the tests: one quick model (no cross-validation,
/// 10 rounds, eta 0.3) unless `extra` says otherwise.
pub fn train_cmd(dir: &Dir, ds: &Path, model: &Path, extra: &[&str]) -> Command {
    let mut args = vec![
        "train",
        "--dataset",
        s(ds),
        "--out-dir",
        s(model),
        "--n-folds",
        "1",
        "--n-estimators",
        "10",
        "--learning-rate",
        "0.3",
    ];
    args.extend_from_slice(extra);
    dir.cmd(&args)
}

/// A dataset of eight fly genes (`ds/`, two batches) and a quick model trained on it (`model/`).
pub fn dataset_and_model(dir: &Dir) -> (PathBuf, PathBuf) {
    let ds = dir.join("ds");
    run(build_cmd(
        dir,
        &ds,
        &["--n-genes", "8", "--batch-size", "4"],
    ))
    .ok();
    let model = dir.join("model");
    run(train_cmd(dir, &ds, &model, &[])).ok();
    (ds, model)
}

/// The ids of a dataset's genes, one per line (its `genes.parquet`, read by pyarrow).
pub fn dataset_gene_ids(ds: &Path) -> String {
    python(&format!(
        "import pyarrow.parquet as pq\nprint('\\n'.join(pq.read_table('{}')['gene_id'].to_pylist()))",
        s(&ds.join("genes.parquet"))
    ))
}

/// SpliceAI's weights directory (with SpliceAI's gene tables), fetched or found in the cache by
/// the project's script. The weights are CC BY-NC 4.0; tests that need them fail, saying so,
/// when they cannot be had.
pub fn spliceai_weights() -> PathBuf {
    let o = Command::new(repo("scripts/fetch-spliceai.sh"))
        .arg("--quiet")
        .output()
        .expect("running scripts/fetch-spliceai.sh");
    assert!(
        o.status.success(),
        "the SpliceAI weights could not be fetched (scripts/fetch-spliceai.sh failed: {}); these tests need them",
        String::from_utf8_lossy(&o.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
}
