//! The small files of a model directory (JSON, Markdown, SVG): written atomically, read with
//! errors that name the file.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::fsutil::write_atomic;
use crate::train::Error;
use crate::train::fit::model::Model;

/// Writes `dir/name` atomically (via `dir/.tmp`).
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Error> {
    let path = dir.join(name);
    write_atomic(&path, &dir.join(".tmp"), bytes)
        .map_err(|e| crate::store::Error::write(&path, e).into())
}

/// Saves the boosters of `model` (XGBoost JSON) into `dir`, each atomically.
pub fn write_model(dir: &Path, model: &Model) -> Result<(), Error> {
    for (name, bytes) in model.json_files()? {
        write(dir, &name, &bytes)?;
    }
    Ok(())
}

/// Writes `v` as pretty JSON (with a final newline) to `dir/name`, atomically.
pub fn write_json<T: Serialize>(dir: &Path, name: &str, v: &T) -> Result<(), Error> {
    let mut bytes = serde_json::to_vec_pretty(v).map_err(|e| Error::Internal(e.to_string()))?;
    bytes.push(b'\n');
    write(dir, name, &bytes)
}

/// Reads `dir/name` as JSON; a missing or unparsable file is a damaged model directory.
pub fn read_json<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<T, Error> {
    let path = dir.join(name);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::ModelDamaged {
                path,
                message: "the file is missing".into(),
            });
        }
        Err(e) => return Err(crate::store::Error::read(&path, e).into()),
    };
    serde_json::from_slice(&bytes).map_err(|e| Error::ModelDamaged {
        path,
        message: format!("not the JSON spliceforge wrote ({e})"),
    })
}
