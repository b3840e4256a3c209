//! What the analysis tests share: the shipped scenario files, loaded as the CLI loads them (overlays and imports
//! resolved beside the file).

use std::fs;
use std::path::{Path, PathBuf};

use chokepoint_scenario::Scenario;

/// The repository's root, where `scenarios/` and `tests/data/` are.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The scenario at `origin` (a path from the repository's root), with the files it names read beside it.
pub fn load(origin: &str) -> Scenario {
    let text = fs::read_to_string(repo_root().join(origin)).expect("the scenario exists");
    let mut resolve = |from: &str, path: &str| -> Result<(String, Vec<u8>), String> {
        let folder = Path::new(from).parent().unwrap_or(Path::new(""));
        let origin = folder.join(path).to_string_lossy().into_owned();
        fs::read(repo_root().join(&origin)).map(|t| (origin, t)).map_err(|e| e.to_string())
    };
    chokepoint_scenario::parse_with(origin, &text, &mut resolve).unwrap_or_else(|d| panic!("{}", d.render()))
}
