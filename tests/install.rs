//! Installing: XGBoost's library found at run time in every place of the documented search order
//! (the binary copied into the layouts pip, pipx, conda and `cargo install --root` make), the
//! documented error (exit 15) when none is usable, a too old library refused, the version that
//! trained a model recorded and warned about; and reruns with the same arguments doing nothing.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use spliceforge::error::exit;

use crate::util::{Dir, Run, build_cmd, inputs_cmd, passive_openmp, repo, run, s};

/// The development checkout's library (`scripts/setup-xgboost.sh`): XGBoost 3.4.1.
fn dev_lib() -> PathBuf {
    repo(".deps/xgboost/lib/libxgboost.so")
}

/// The test environment's Python package's library: XGBoost 3.2.0 (pip's choice for Python
/// 3.11), when `scripts/setup.sh` made `.venv/`.
fn venv_lib() -> Option<PathBuf> {
    let lib = std::fs::read_dir(repo(".venv/lib"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("site-packages/xgboost/lib/libxgboost.so"))
        .find(|p| p.is_file())?;
    Some(lib)
}

/// The test binary copied to `bin` (a file, like an installed one).
fn install_binary(bin: &Path) -> PathBuf {
    std::fs::create_dir_all(bin).unwrap();
    let exe = bin.join("spliceforge");
    std::fs::copy(env!("CARGO_BIN_EXE_spliceforge"), &exe).unwrap();
    exe
}

/// `exe ARGS` in `dir`, with none of the developer's `SPLICEFORGE_*`, `CONDA_PREFIX` or
/// `LD_LIBRARY_PATH`, and the development checkout's `.deps` turned off: only the layout under
/// test can give the library.
fn cmd(dir: &Dir, exe: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(exe);
    c.args(args).current_dir(dir.path());
    passive_openmp(&mut c);
    for (var, _) in std::env::vars_os() {
        let v = var.to_string_lossy();
        if v.starts_with("SPLICEFORGE_") || v == "CONDA_PREFIX" || v == "LD_LIBRARY_PATH" {
            c.env_remove(&var);
        }
    }
    c.env("SPLICEFORGE_XGBOOST_NO_DEV", "1");
    c
}

/// Asserts `doctor` loaded `lib` (compared resolved) through the place of `rule`.
#[track_caller]
fn loads(r: Run, rule: &str, lib: &Path, version: &str) {
    let r = r.ok();
    let real = lib.canonicalize().unwrap();
    assert!(
        r.stdout
            .contains(&format!("XGBoost {version} loaded from {}", real.display())),
        "{}",
        r.stdout
    );
    let line = r
        .stdout
        .lines()
        .find(|l| l.ends_with(": loaded"))
        .unwrap_or_else(|| panic!("no loaded place in\n{}", r.stdout));
    assert!(line.contains(rule), "{rule:?} not in {line:?}");
}

#[test]
fn the_library_is_found_in_every_place_of_the_search_order() {
    let dir = Dir::new();
    let lib = dev_lib();

    // A venv / pipx / `uv tool` / `pip install --user` prefix.
    let venv = dir.join("venv");
    let exe = install_binary(&venv.join("bin"));
    let pkg = venv.join("lib/python3.11/site-packages/xgboost/lib");
    std::fs::create_dir_all(&pkg).unwrap();
    symlink(&lib, pkg.join("libxgboost.so")).unwrap();
    loads(
        run(cmd(&dir, &exe, &["doctor"])),
        "Python package beside the binary",
        &lib,
        "3.4.1",
    );
    // Reached through a symlink to the binary (pipx's ~/.local/bin/spliceforge).
    std::fs::create_dir_all(dir.join("local/bin")).unwrap();
    symlink(&exe, dir.join("local/bin/spliceforge")).unwrap();
    loads(
        run(cmd(&dir, &dir.join("local/bin/spliceforge"), &["doctor"])),
        "Python package beside the binary",
        &lib,
        "3.4.1",
    );

    // `pip install --target T`.
    let target = dir.join("target");
    let exe = install_binary(&target.join("bin"));
    std::fs::create_dir_all(target.join("xgboost/lib")).unwrap();
    symlink(&lib, target.join("xgboost/lib/libxgboost.so")).unwrap();
    loads(
        run(cmd(&dir, &exe, &["doctor"])),
        "pip --target beside the binary",
        &lib,
        "3.4.1",
    );

    // A conda environment (CONDA_PREFIX/lib, by its SONAME only), the binary elsewhere.
    let conda = dir.join("conda");
    std::fs::create_dir_all(conda.join("lib")).unwrap();
    symlink(&lib, conda.join("lib/libxgboost.so.3")).unwrap();
    let exe = install_binary(&dir.join("elsewhere/bin"));
    let mut c = cmd(&dir, &exe, &["doctor"]);
    c.env("CONDA_PREFIX", &conda);
    loads(run(c), "CONDA_PREFIX", &lib, "3.4.1");

    // `cargo install --root R` (or conda's $PREFIX/bin): the binary's ../lib.
    let root = dir.join("root");
    let exe = install_binary(&root.join("bin"));
    std::fs::create_dir_all(root.join("lib")).unwrap();
    symlink(&lib, root.join("lib/libxgboost.so")).unwrap();
    loads(
        run(cmd(&dir, &exe, &["doctor"])),
        "the binary's ../lib",
        &lib,
        "3.4.1",
    );

    // The variable, as a file and as a directory, before every other place (the binary's
    // ../lib above has 3.4.1; the variable's 3.2.0 wins).
    if let Some(old) = venv_lib() {
        let mut c = cmd(&dir, &exe, &["doctor"]);
        c.env("SPLICEFORGE_XGBOOST_LIB", &old);
        loads(run(c), "SPLICEFORGE_XGBOOST_LIB", &old, "3.2.0");
        let mut c = cmd(&dir, &exe, &["--version"]);
        c.env("SPLICEFORGE_XGBOOST_LIB", old.parent().unwrap());
        let r = run(c).ok();
        assert!(
            r.stdout.starts_with(&format!(
                "spliceforge {}\nXGBoost 3.2.0 (",
                env!("CARGO_PKG_VERSION")
            )),
            "{}",
            r.stdout
        );
    }
    let mut c = cmd(&dir, &exe, &["doctor"]);
    c.env("SPLICEFORGE_XGBOOST_LIB", lib.parent().unwrap());
    loads(run(c), "SPLICEFORGE_XGBOOST_LIB", &lib, "3.4.1");

    // The development checkout's .deps, when not turned off (the test binary's own case).
    let r = run(Dir::new().cmd(&["doctor"])).ok();
    assert!(
        r.stdout.contains("development checkout") && r.stdout.contains(": loaded"),
        "{}",
        r.stdout
    );
}

/// The places an error lists, in order (the "  N. rule: …" lines).
fn listed_places(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            let (n, rest) = t.split_once(". ")?;
            n.parse::<usize>().ok()?;
            Some(rest.split(':').next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn without_a_library_xgboost_commands_exit_15_listing_every_place_and_others_work() {
    let dir = Dir::new();
    let exe = install_binary(&dir.join("bare/bin"));
    let r = run(cmd(&dir, &exe, &["doctor"])).fails_with(exit::XGBOOST);
    assert!(r.stdout.contains("spliceforge 0.1.0"), "{}", r.stdout);
    assert!(r.stdout.contains("CC BY-NC 4.0"), "{}", r.stdout);
    assert!(r.stdout.contains("threads: "), "{}", r.stdout);
    let want = [
        "SPLICEFORGE_XGBOOST_LIB",
        "Python package beside the binary",
        "pip --target beside the binary",
        "CONDA_PREFIX",
        "the binary's ../lib",
        "the binary's ../lib",
        "development checkout",
        "system loader",
        "system loader",
    ];
    assert_eq!(listed_places(&r.stderr), want, "{}", r.stderr);
    for w in [
        "was not found",
        "pip install xgboost-cpu",
        "conda install -c conda-forge libxgboost",
        "scripts/setup-xgboost.sh",
        "SPLICEFORGE_XGBOOST_LIB=",
        &format!("{}", dir.join("bare/lib/libxgboost.so").display()),
        "SPLICEFORGE_XGBOOST_NO_DEV is set",
    ] {
        assert!(r.stderr.contains(w), "{w:?} not in\n{}", r.stderr);
    }
    // --version still answers.
    let r = run(cmd(&dir, &exe, &["--version"])).ok();
    assert!(r.stdout.contains("no usable library"), "{}", r.stdout);

    // Commands without XGBoost work; train, predict and tracker give the loader's error.
    let ds = dir.join("ds");
    let mut b = retarget(build_cmd(&dir, &ds, &["--n-genes", "4"]), &exe);
    b.env("SPLICEFORGE_XGBOOST_NO_DEV", "1");
    run(b).ok();
    run(cmd(&dir, &exe, &["verify", s(&ds)])).ok();
    run(cmd(&dir, &exe, &["schema"])).ok();
    let r = run(cmd(
        &dir,
        &exe,
        &[
            "train",
            "--dataset",
            s(&ds),
            "--out-dir",
            s(&dir.join("m")),
            "--n-folds",
            "2",
        ],
    ))
    .fails_with(exit::XGBOOST);
    assert_eq!(listed_places(&r.stderr), want, "{}", r.stderr);
    assert!(!r.stderr.contains("please report"), "{}", r.stderr);
    let r = run(cmd(&dir, &exe, &["tracker", "--workers", "2"])).fails_with(exit::XGBOOST);
    assert!(r.stderr.contains("pip install xgboost-cpu"), "{}", r.stderr);
    // A model trained with the library, predicted without it: not "damaged".
    let model = dir.join("model");
    run(Dir::new().cmd(&[
        "train",
        "--dataset",
        s(&ds),
        "--out-dir",
        s(&model),
        "--n-folds",
        "1",
        "--n-estimators",
        "2",
    ]))
    .ok();
    let r = run(cmd(
        &dir,
        &exe,
        &[
            "predict",
            "--model",
            s(&model),
            "--dataset",
            s(&ds),
            "--out",
            s(&dir.join("p.parquet")),
        ],
    ))
    .fails_with(exit::XGBOOST);
    assert!(r.stderr.contains("was not found"), "{}", r.stderr);
}

/// `c` (a command of the test binary) run with `exe` instead, in the same environment.
fn retarget(c: Command, exe: &Path) -> Command {
    let mut n = Command::new(exe);
    n.args(c.get_args());
    if let Some(d) = c.get_current_dir() {
        n.current_dir(d);
    }
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => n.env(k, v),
            None => n.env_remove(k),
        };
    }
    n
}

#[test]
fn a_too_old_library_is_refused_with_exit_15() {
    let dir = Dir::new();
    let c_file = dir.write(
        "stub.c",
        "void XGBoostVersion(int *major, int *minor, int *patch) { *major = 1; *minor = 7; *patch = 0; }\n",
    );
    let so = dir.join("libxgboost.so");
    let ok = Command::new("cc")
        .args(["-shared", "-fPIC", "-o", s(&so), s(&c_file)])
        .status()
        .expect("a C compiler (cc)");
    assert!(ok.success());
    let exe = install_binary(&dir.join("bin"));
    let mut c = cmd(&dir, &exe, &["doctor"]);
    c.env("SPLICEFORGE_XGBOOST_LIB", &so);
    let r = run(c).fails_with(exit::XGBOOST);
    for w in [
        "version 1.7.0",
        "needs XGBoost 3.x, at least 3.2.0",
        "pip install xgboost-cpu",
    ] {
        assert!(r.stderr.contains(w), "{w:?} not in\n{}", r.stderr);
    }
    // In a searched place, it is passed over for the next usable library.
    let root = dir.join("root");
    let exe = install_binary(&root.join("bin"));
    std::fs::create_dir_all(root.join("lib")).unwrap();
    std::fs::copy(&so, root.join("lib/libxgboost.so")).unwrap();
    symlink(dev_lib(), root.join("lib/libxgboost.so.3")).unwrap();
    let r = run(cmd(&dir, &exe, &["doctor"])).ok();
    assert!(
        r.stdout.contains("XGBoost 1.7.0, unsupported") && r.stdout.contains("XGBoost 3.4.1"),
        "{}",
        r.stdout
    );
}

#[test]
fn train_json_records_xgboost_and_another_version_is_warned_about() {
    let Some(old) = venv_lib() else {
        eprintln!("skipped: no .venv with xgboost (scripts/setup.sh)");
        return;
    };
    let dir = Dir::new();
    let ds = dir.join("ds");
    run(build_cmd(&dir, &ds, &["--n-genes", "5"])).ok();
    let model = dir.join("m");
    let mut c = dir.cmd(&[
        "train",
        "--dataset",
        s(&ds),
        "--out-dir",
        s(&model),
        "--n-folds",
        "1",
        "--n-estimators",
        "3",
    ]);
    c.env("SPLICEFORGE_XGBOOST_LIB", &old);
    run(c).ok();
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("train.json")).unwrap()).unwrap();
    assert_eq!(info["xgboost_version"], "3.2.0", "{info}");
    // Predicted with the development checkout's 3.4.1: one warning naming both.
    let r = run(dir.cmd(&[
        "predict",
        "--model",
        s(&model),
        "--dataset",
        s(&ds),
        "--out",
        s(&dir.join("p.parquet")),
    ]))
    .ok();
    let warnings: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    assert!(
        warnings[0].contains("XGBoost 3.2.0") && warnings[0].contains("XGBoost 3.4.1"),
        "{}",
        warnings[0]
    );
    // The same version: no warning.
    let mut c = dir.cmd(&[
        "predict",
        "--model",
        s(&model),
        "--dataset",
        s(&ds),
        "--out",
        s(&dir.join("p2.parquet")),
    ]);
    c.env("SPLICEFORGE_XGBOOST_LIB", &old);
    let r = run(c).ok();
    assert!(!r.stderr.contains("warning:"), "{}", r.stderr);
}

/// Every file under `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    let mut m = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let meta = std::fs::metadata(&d).unwrap();
        if meta.is_dir() {
            for e in std::fs::read_dir(&d).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else {
            m.insert(
                d.clone(),
                (std::fs::read(&d).unwrap(), meta.modified().unwrap()),
            );
        }
    }
    m
}

/// Runs `c`, asserting exit 0 within a second, a line saying it was already complete, and
/// that nothing under `watched` changed.
#[track_caller]
fn noop(c: Command, watched: &Path) {
    let before = snapshot(watched);
    let t = Instant::now();
    let r = run(c).ok();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(r.stdout.contains("already complete"), "{}", r.stdout);
    assert!(
        snapshot(watched) == before,
        "a file changed under {}",
        watched.display()
    );
}

#[test]
fn reruns_with_the_same_arguments_do_nothing_and_others_are_refused() {
    let dir = Dir::new();
    let ds = dir.join("ds");
    run(build_cmd(&dir, &ds, &["--n-genes", "12"])).ok();
    let other_ds = dir.join("ds2");
    run(build_cmd(&dir, &other_ds, &["--n-genes", "5"])).ok();

    // train: single model, then an ensemble.
    let model = dir.join("m");
    let train = |out: &Path, extra: &[&str]| {
        let mut a = vec!["train", "--dataset", s(&ds), "--out-dir", s(out)];
        a.extend_from_slice(extra);
        dir.cmd(&a)
    };
    let args = ["--n-folds", "2", "--n-estimators", "3"];
    run(train(&model, &args)).ok();
    noop(train(&model, &args), &model);
    // Threads do not decide the model.
    let mut threads = args.to_vec();
    threads.extend_from_slice(&["--threads", "1"]);
    noop(train(&model, &threads), &model);
    let r = run(train(&model, &["--n-folds", "2", "--n-estimators", "4"]))
        .fails_with(exit::FINGERPRINT);
    assert!(r.stderr.contains("--overwrite"), "{}", r.stderr);
    let mut a = vec!["train", "--dataset", s(&other_ds), "--out-dir", s(&model)];
    a.extend_from_slice(&args);
    run(dir.cmd(&a)).fails_with(exit::FINGERPRINT);
    // An older model directory (no settings fingerprint) keeps refusing.
    let old = dir.join("old");
    crate::util::copy_dir(&model, &old);
    let path = old.join("train.json");
    let mut info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    info.as_object_mut().unwrap().remove("settings_fingerprint");
    std::fs::write(&path, serde_json::to_vec_pretty(&info).unwrap()).unwrap();
    run(train(&old, &args)).fails_with(exit::FINGERPRINT);

    let ens = dir.join("ens");
    let ens_args = ["--ensemble-size", "2", "--n-estimators", "3"];
    run(train(&ens, &ens_args)).ok();
    noop(train(&ens, &ens_args), &ens);
    run(train(
        &ens,
        &["--ensemble-size", "3", "--n-estimators", "3"],
    ))
    .fails_with(exit::FINGERPRINT);

    // predict --dataset.
    let preds = dir.join("p.parquet");
    let predict = |ds: &Path, extra: &[&str]| {
        let mut a = vec![
            "predict",
            "--model",
            s(&model),
            "--dataset",
            s(ds),
            "--out",
            s(&preds),
        ];
        a.extend_from_slice(extra);
        dir.cmd(&a)
    };
    run(predict(&ds, &[])).ok();
    noop(predict(&ds, &[]), &preds);
    run(predict(&other_ds, &[])).fails_with(exit::FINGERPRINT);
    let foreign = dir.write("foreign.parquet", b"not ours");
    let mut a = vec![
        "predict",
        "--model",
        s(&model),
        "--dataset",
        s(&ds),
        "--out",
        s(&foreign),
    ];
    run(dir.cmd(&a)).fails_with(exit::FINGERPRINT);
    a.push("--overwrite");
    run(dir.cmd(&a)).ok();
    let r = run(predict(&other_ds, &["--overwrite"])).ok();
    assert!(r.stdout.contains("rows predicted"), "{}", r.stdout);

    // score.
    let scores = dir.join("scores.parquet");
    let score = |n: &str| inputs_cmd(&dir, "score", &["--n-genes", n, "--out", s(&scores), "-q"]);
    run(score("3")).ok();
    noop(score("3"), &scores);
    run(score("4")).fails_with(exit::FINGERPRINT);

    // predict --genome (every base).
    let bases = dir.join("bases.parquet");
    let every_base = |n: &str| {
        inputs_cmd(
            &dir,
            "predict",
            &[
                "--model",
                s(&model),
                "--n-genes",
                n,
                "--out",
                s(&bases),
                "-q",
            ],
        )
    };
    run(every_base("2")).ok();
    noop(every_base("2"), &bases);
    run(every_base("3")).fails_with(exit::FINGERPRINT);
}
