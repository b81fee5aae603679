//! Finding XGBoost's C library at run time.
//!
//! Nothing of XGBoost is linked at build time: the first use of XGBoost (training, predicting,
//! the tracker, `doctor`) searches for `libxgboost.so` in the places below, in this order, opens
//! the first one that loads (`RTLD_NOW | RTLD_LOCAL`, by its absolute, symlink-resolved path, so
//! the library's own run path finds what it bundles, e.g. the wheel's OpenMP), checks its
//! version (3.x, at least [`MIN_VERSION`]) and resolves the functions of [`super::ffi`]:
//!
//! 1. `SPLICEFORGE_XGBOOST_LIB`: the library file, or a directory holding it. When set, it is the
//!    only place tried.
//! 2. The `xgboost` / `xgboost-cpu` Python package of the environment the binary was installed
//!    into, found from the binary's own path (symlinks resolved): `<prefix>/bin/spliceforge` →
//!    `<prefix>/lib/python3*/site-packages/xgboost/lib/` (a venv, pipx, `uv tool`, `pip install
//!    --user` into `~/.local`), and `<T>/bin/spliceforge` → `<T>/xgboost/lib/` (`pip install
//!    --target T`).
//! 3. `$CONDA_PREFIX/lib`, then the binary's `../lib` (conda, `cargo install --root R`).
//! 4. A development checkout's `.deps/xgboost/lib` (`scripts/setup-xgboost.sh`; the checkout
//!    this binary was compiled in, if it still exists), unless `SPLICEFORGE_XGBOOST_NO_DEV` is
//!    set to a non-empty value.
//! 5. The system's dynamic loader: `libxgboost.so.3`, then `libxgboost.so` (`LD_LIBRARY_PATH`,
//!    `/etc/ld.so.conf`, the default directories).
//!
//! In a directory, `libxgboost.so` is tried, then `libxgboost.so.3` (its SONAME). A place whose
//! library fails to load or is too old is recorded and the search goes on; when no place gives
//! a usable library, [`LoadError`] lists every place with what was found there, and how to get
//! the library.

use std::ffi::{CStr, OsStr, c_int};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libloading::os::unix::{Library as DlLibrary, RTLD_LOCAL, RTLD_NOW};

use super::ffi::Api;

/// The oldest XGBoost accepted: the version pip installs for Python 3.11 (XGBoost 3.3 needs
/// Python 3.12). Major version 3 only: the C API of another major version may differ.
pub const MIN_VERSION: (i32, i32, i32) = (3, 2, 0);

/// The variable naming the library (a file, or a directory holding `libxgboost.so`).
pub const LIB_VAR: &str = "SPLICEFORGE_XGBOOST_LIB";

/// The variable that turns off the development checkout's `.deps/xgboost/lib` (non-empty value).
pub const NO_DEV_VAR: &str = "SPLICEFORGE_XGBOOST_NO_DEV";

/// The file names tried in a directory, in order.
const NAMES: [&str; 2] = ["libxgboost.so", "libxgboost.so.3"];

/// How to get the library, for error messages and `doctor`.
pub const HOW_TO_GET: &str = "\
Get it in one of these ways:
  pip install xgboost-cpu                  into the Python environment spliceforge is installed in
                                           (or the environment's `xgboost` package)
  conda install -c conda-forge libxgboost  into the active conda environment
  scripts/setup-xgboost.sh                 in a development checkout (into .deps/)
  SPLICEFORGE_XGBOOST_LIB=/path/to/libxgboost.so   (or the directory holding it)";

/// One place of the search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Which rule of the search order it comes from, e.g. "SPLICEFORGE_XGBOOST_LIB".
    pub rule: &'static str,
    /// The file looked at, or the name given to the system loader.
    pub target: Target,
    /// What was found there.
    pub outcome: Outcome,
}

/// Where a place points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file path.
    File(PathBuf),
    /// A name the system loader resolves (`libxgboost.so.3`).
    Name(&'static str),
    /// A rule that gave no place, with why (e.g. "not set").
    Nothing(String),
}

/// What the search found at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not looked at: an earlier place gave the library.
    NotTried,
    /// No such file (or the loader knows no such name; or the rule gave no place).
    Missing,
    /// A library that does not load, or lacks a function.
    Failed(String),
    /// A library of an unsupported version.
    TooOld((i32, i32, i32)),
    /// The library in use.
    Loaded,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::File(p) => write!(f, "{}", p.display()),
            Target::Name(n) => write!(f, "{n}"),
            Target::Nothing(why) => write!(f, "{why}"),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::NotTried => write!(f, "not tried"),
            Outcome::Missing => write!(f, "not found"),
            Outcome::Failed(why) => write!(f, "cannot be used: {why}"),
            Outcome::TooOld(v) => write!(
                f,
                "XGBoost {}, unsupported (needs 3.x, at least {})",
                dotted(*v),
                dotted(MIN_VERSION)
            ),
            Outcome::Loaded => write!(f, "loaded"),
        }
    }
}

/// `major.minor.patch`.
pub fn dotted((a, b, c): (i32, i32, i32)) -> String {
    format!("{a}.{b}.{c}")
}

/// The places searched, one per line, numbered, with what was found.
pub fn render_places(places: &[Place]) -> String {
    let mut s = String::new();
    for (i, p) in places.iter().enumerate() {
        let outcome = match (&p.target, &p.outcome) {
            (Target::Nothing(_), Outcome::Missing) => String::new(),
            _ => format!(": {}", p.outcome),
        };
        s.push_str(&format!(
            "  {}. {}: {}{}\n",
            i + 1,
            p.rule,
            p.target,
            outcome
        ));
    }
    s
}

/// XGBoost's library, loaded.
pub struct Library {
    /// Its version.
    pub version: (i32, i32, i32),
    /// The file loaded (symlinks resolved).
    pub path: PathBuf,
    /// Every place of the search, in order.
    pub places: Vec<Place>,
    api: Api,
    // Kept loaded for the life of the process (the table points into it).
    _lib: DlLibrary,
}

impl Library {
    pub(crate) fn api(&self) -> &Api {
        &self.api
    }

    /// The version as `major.minor.patch`.
    pub fn version_string(&self) -> String {
        dotted(self.version)
    }
}

impl fmt::Debug for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Library")
            .field("version", &self.version)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// No usable XGBoost library was found; `places` says what each place of the search held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// Every place of the search, in order.
    pub places: Vec<Place>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let too_old = self
            .places
            .iter()
            .find_map(|p| match (&p.outcome, &p.target) {
                (Outcome::TooOld(v), t) => Some((*v, t)),
                _ => None,
            });
        match too_old {
            Some((v, t)) if !self.places.iter().any(|p| p.outcome == Outcome::Loaded) => write!(
                f,
                "XGBoost's C library {t} is version {}, too old or of another major version: spliceforge needs XGBoost 3.x, at least {}.",
                dotted(v),
                dotted(MIN_VERSION)
            )?,
            _ => write!(
                f,
                "XGBoost's C library (libxgboost.so, XGBoost 3.x, at least {}) was not found.",
                dotted(MIN_VERSION)
            )?,
        }
        write!(
            f,
            " Places searched, in order:\n{}{HOW_TO_GET}",
            render_places(&self.places)
        )
    }
}

impl std::error::Error for LoadError {}

static LOADED: OnceLock<Result<Library, LoadError>> = OnceLock::new();

/// The library, searched for and loaded on the first call (see the module's documentation);
/// every later call returns the same outcome.
pub fn get() -> Result<&'static Library, &'static LoadError> {
    LOADED
        .get_or_init(|| search(&Inputs::from_process()))
        .as_ref()
}

/// The library if an earlier call loaded it.
pub fn get_if_loaded() -> Option<&'static Library> {
    LOADED.get().and_then(|r| r.as_ref().ok())
}

/// What the search order depends on, gathered from the process (or given by a test).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `SPLICEFORGE_XGBOOST_LIB`.
    pub lib_var: Option<PathBuf>,
    /// The running binary, symlinks resolved.
    pub exe: Option<PathBuf>,
    /// `CONDA_PREFIX`.
    pub conda_prefix: Option<PathBuf>,
    /// The development checkout's `.deps/xgboost/lib`, when it is searched.
    pub dev_dir: Option<PathBuf>,
    /// Why the development checkout is not searched, when it is not.
    pub dev_skipped: Option<String>,
}

impl Inputs {
    /// This process's environment and binary.
    pub fn from_process() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join(".deps/xgboost/lib");
        let (dev_dir, dev_skipped) = if var(NO_DEV_VAR).is_some() {
            (None, Some(format!("{NO_DEV_VAR} is set")))
        } else {
            (Some(dev), None)
        };
        Inputs {
            lib_var: var(LIB_VAR).map(PathBuf::from),
            exe: std::env::current_exe()
                .ok()
                .map(|p| p.canonicalize().unwrap_or(p)),
            conda_prefix: var("CONDA_PREFIX").map(PathBuf::from),
            dev_dir,
            dev_skipped,
        }
    }
}

/// The places to search, in order, with [`Outcome::NotTried`].
pub fn places(inputs: &Inputs) -> Vec<Place> {
    let mut out = Vec::new();
    let place = |rule, target| Place {
        rule,
        target,
        outcome: Outcome::NotTried,
    };
    let nothing = |rule, why: &str| Place {
        rule,
        target: Target::Nothing(why.to_string()),
        outcome: Outcome::Missing,
    };
    let in_dir = |out: &mut Vec<Place>, rule, dir: &Path| {
        for n in NAMES {
            out.push(place(rule, Target::File(dir.join(n))));
        }
    };

    // 1. The variable: the only place when set.
    const VAR_RULE: &str = "SPLICEFORGE_XGBOOST_LIB";
    match &inputs.lib_var {
        Some(p) if p.is_dir() => {
            in_dir(&mut out, VAR_RULE, p);
            return out;
        }
        Some(p) => {
            out.push(place(VAR_RULE, Target::File(p.clone())));
            return out;
        }
        None => out.push(nothing(VAR_RULE, "not set")),
    }

    // 2. The Python environment the binary is installed in.
    const PY_RULE: &str = "Python package beside the binary";
    let prefix = inputs
        .exe
        .as_deref()
        .and_then(Path::parent)
        .and_then(Path::parent);
    match prefix {
        Some(prefix) => {
            let lib = prefix.join("lib");
            let mut pythons: Vec<PathBuf> = std::fs::read_dir(&lib)
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok())
                        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
                        .map(|e| e.path().join("site-packages/xgboost/lib"))
                        .collect()
                })
                .unwrap_or_default();
            pythons.sort();
            if pythons.is_empty() {
                out.push(place(
                    PY_RULE,
                    Target::File(lib.join("python3*/site-packages/xgboost/lib/libxgboost.so")),
                ));
            }
            for dir in pythons {
                out.push(place(PY_RULE, Target::File(dir.join(NAMES[0]))));
            }
            out.push(place(
                "pip --target beside the binary",
                Target::File(prefix.join("xgboost/lib").join(NAMES[0])),
            ));
        }
        None => out.push(nothing(PY_RULE, "the binary's own path is unknown")),
    }

    // 3. conda, then the binary's ../lib.
    const CONDA_RULE: &str = "CONDA_PREFIX";
    match &inputs.conda_prefix {
        Some(p) => in_dir(&mut out, CONDA_RULE, &p.join("lib")),
        None => out.push(nothing(CONDA_RULE, "not set")),
    }
    if let Some(prefix) = prefix {
        in_dir(&mut out, "the binary's ../lib", &prefix.join("lib"));
    }

    // 4. The development checkout.
    const DEV_RULE: &str = "development checkout";
    match (&inputs.dev_dir, &inputs.dev_skipped) {
        (Some(dir), _) => in_dir(&mut out, DEV_RULE, dir),
        (None, Some(why)) => out.push(nothing(DEV_RULE, why)),
        (None, None) => out.push(nothing(DEV_RULE, "none")),
    }

    // 5. The system loader.
    for n in ["libxgboost.so.3", "libxgboost.so"] {
        out.push(place("system loader", Target::Name(n)));
    }
    out
}

/// Searches the places of `inputs` in order and loads the first usable library.
pub fn search(inputs: &Inputs) -> Result<Library, LoadError> {
    let mut places = places(inputs);
    for i in 0..places.len() {
        let target = places[i].target.clone();
        let opened = match &target {
            Target::Nothing(_) => continue,
            Target::File(p) => {
                if !p.is_file() {
                    places[i].outcome = Outcome::Missing;
                    continue;
                }
                // Resolved, so that `$ORIGIN` in the library's run path is its real directory.
                let real = p.canonicalize().unwrap_or_else(|_| p.clone());
                open(real.as_os_str()).map(|(lib, api, v)| (lib, api, v, real))
            }
            Target::Name(n) => match open(OsStr::new(n)) {
                Err(Outcome::Failed(why)) if why.contains("No such file") => {
                    places[i].outcome = Outcome::Missing;
                    continue;
                }
                other => other.map(|(lib, api, v)| {
                    let path = loaded_path(&api).unwrap_or_else(|| PathBuf::from(n));
                    (lib, api, v, path)
                }),
            },
        };
        match opened {
            Ok((lib, api, version, path)) => {
                places[i].outcome = Outcome::Loaded;
                return Ok(Library {
                    version,
                    path,
                    places,
                    api,
                    _lib: lib,
                });
            }
            Err(outcome) => places[i].outcome = outcome,
        }
    }
    Err(LoadError { places })
}

/// A library opened and checked: the handle, its table, its version.
type Opened = (DlLibrary, Api, (i32, i32, i32));

/// Opens one library and checks it: a loadable file, a supported version, every function.
fn open(name: &OsStr) -> Result<Opened, Outcome> {
    // SAFETY: loading runs the library's initialisers; XGBoost's are its registries, safe to
    // run once per process (the search stops at the first library that loads).
    let lib = unsafe { DlLibrary::open(Some(name), RTLD_NOW | RTLD_LOCAL) }
        .map_err(|e| Outcome::Failed(e.to_string()))?;
    type VersionFn = unsafe extern "C" fn(*mut c_int, *mut c_int, *mut c_int);
    // SAFETY: XGBoostVersion has this signature in every XGBoost since 1.0.
    let version_fn: VersionFn = *unsafe { lib.get::<VersionFn>(b"XGBoostVersion\0") }
        .map_err(|_| Outcome::Failed("it has no XGBoostVersion: not XGBoost's library".into()))?;
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: three valid out pointers; the function cannot fail.
    unsafe { version_fn(&mut major, &mut minor, &mut patch) };
    let version = (major, minor, patch);
    if !supported(version) {
        return Err(Outcome::TooOld(version));
    }
    // SAFETY: a supported XGBoost's library, kept loaded with the table.
    let api = unsafe { Api::resolve(&lib) }.map_err(Outcome::Failed)?;
    Ok((lib, api, version))
}

/// XGBoost 3.x, at least [`MIN_VERSION`].
pub fn supported(v: (i32, i32, i32)) -> bool {
    v.0 == MIN_VERSION.0 && v >= MIN_VERSION
}

/// The file the system loader picked, from the address of one of its functions.
fn loaded_path(api: &Api) -> Option<PathBuf> {
    let addr = api.version_fn_addr();
    // SAFETY: `info` is a valid out structure; dladdr only reads the loader's tables.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    if unsafe { libc::dladdr(addr, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: non-null, NUL-terminated, owned by the loader while the library is loaded.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    let p = PathBuf::from(<OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(
        name.to_bytes(),
    ));
    Some(p.canonicalize().unwrap_or(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(places: &[Place]) -> Vec<String> {
        places
            .iter()
            .map(|p| format!("{} | {}", p.rule, p.target))
            .collect()
    }

    #[test]
    fn the_variable_is_the_only_place_when_set() {
        let inputs = Inputs {
            lib_var: Some("/no/such/libxgboost.so".into()),
            exe: Some("/venv/bin/spliceforge".into()),
            conda_prefix: Some("/conda".into()),
            dev_dir: Some("/dev/.deps/xgboost/lib".into()),
            dev_skipped: None,
        };
        assert_eq!(
            files(&places(&inputs)),
            ["SPLICEFORGE_XGBOOST_LIB | /no/such/libxgboost.so"]
        );
        let err = search(&inputs).unwrap_err();
        assert_eq!(err.places[0].outcome, Outcome::Missing);
        let text = err.to_string();
        for w in [
            "was not found",
            "/no/such/libxgboost.so",
            "pip install xgboost-cpu",
        ] {
            assert!(text.contains(w), "{w:?} not in {text}");
        }
    }

    #[test]
    fn the_order_without_the_variable() {
        let inputs = Inputs {
            lib_var: None,
            exe: Some("/nowhere/venv/bin/spliceforge".into()),
            conda_prefix: Some("/conda".into()),
            dev_dir: None,
            dev_skipped: Some(format!("{NO_DEV_VAR} is set")),
        };
        assert_eq!(
            files(&places(&inputs)),
            [
                "SPLICEFORGE_XGBOOST_LIB | not set",
                "Python package beside the binary | /nowhere/venv/lib/python3*/site-packages/xgboost/lib/libxgboost.so",
                "pip --target beside the binary | /nowhere/venv/xgboost/lib/libxgboost.so",
                "CONDA_PREFIX | /conda/lib/libxgboost.so",
                "CONDA_PREFIX | /conda/lib/libxgboost.so.3",
                "the binary's ../lib | /nowhere/venv/lib/libxgboost.so",
                "the binary's ../lib | /nowhere/venv/lib/libxgboost.so.3",
                "development checkout | SPLICEFORGE_XGBOOST_NO_DEV is set",
                "system loader | libxgboost.so.3",
                "system loader | libxgboost.so",
            ]
        );
    }

    #[test]
    fn versions() {
        assert!(supported((3, 2, 0)));
        assert!(supported((3, 4, 1)));
        assert!(!supported((3, 1, 9)));
        assert!(!supported((2, 1, 4)));
        assert!(!supported((1, 7, 0)));
        assert!(!supported((4, 0, 0)));
    }
}
