//! Reading the bases a test scenario names, as `chokepoint`'s `scenario_source` does, with origins relative to the
//! repository root. Shared by the integration tests that load scenarios from `tests/data/`.

use std::fs;
use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Reads a base relative to the file naming it; origins are paths relative to the repository root.
pub fn resolve(from: &str, path: &str) -> Result<(String, Vec<u8>), String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in path.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let origin = parts.join("/");
    let bytes = fs::read(repo_root().join(&origin)).map_err(|e| e.to_string())?;
    Ok((origin, bytes))
}
