//! Where a scenario comes from (a file or the embedded default), reading it and the bases it is laid over,
//! and the SHA-256 digests of their bytes.
//!
//! A file's `scenario.base` is read relative to the folder of the file that names it; the embedded default is
//! named `<embedded>/rare_earths_2025.toml`, so a base `rare_earths_2025.toml` named from it is the embedded text
//! again. Diagnostics are rendered against the file they point into (a base's problem shows at the base).

use std::path::{Component, Path, PathBuf};

use anyhow::Context;
use chokepoint_scenario::{Diagnostic, Diagnostics, Scenario, Setting};
use sha2::{Digest, Sha256};

use crate::failure::Failure;

/// The default scenario, compiled into the binary.
const EMBEDDED_TEXT: &str = include_str!("../scenarios/rare_earths_2025.toml");

/// How the embedded scenario is named in diagnostics and outputs.
pub const EMBEDDED_ORIGIN: &str = "<embedded>/rare_earths_2025.toml";

/// A scenario to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioSource {
    /// The default scenario compiled into the binary.
    Embedded,
    File(PathBuf),
}

/// A scenario that was read and accepted, with what outputs need to record about its source.
#[derive(Debug)]
pub struct LoadedScenario {
    /// The file name as given, or [`EMBEDDED_ORIGIN`].
    pub origin: String,
    /// SHA-256 of the scenario's bytes, lowercase hex.
    pub sha256: String,
    /// The bases the scenario is laid over, in the order they were read (its own base first).
    pub bases: Vec<SourceDigest>,
    pub scenario: Scenario,
    /// Mitigations and packages applied to `scenario.model` (`run --mitigation`), in order; empty for the
    /// scenario as written.
    pub applied: Vec<String>,
    /// Overlay files of mitigations added to the scenario (`--mitigation FILE`).
    pub overlays: Vec<SourceDigest>,
    /// The `--set KEY=VALUE` settings applied to the scenario, in order.
    pub settings: Vec<String>,
}

/// A file a scenario was read from, and the SHA-256 of its bytes (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceDigest {
    pub origin: String,
    pub sha256: String,
}

impl LoadedScenario {
    /// Every warning, rendered against the source, each ending with a newline.
    pub fn rendered_warnings(&self) -> String {
        self.scenario.warnings.iter().map(|w| self.render(w)).collect()
    }

    fn render(&self, d: &Diagnostic) -> String {
        let mut text = self.scenario.render(d);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }
}

/// Reads and parses `source`, and the bases it names. A file that cannot be read is a runtime error; a scenario
/// the parser refuses (or that is not UTF-8, or whose base cannot be read) is [`Failure::InvalidScenario`] with
/// every diagnostic rendered at its own file.
pub fn load(source: &ScenarioSource) -> Result<LoadedScenario, Failure> {
    load_with(source, &[])
}

/// As [`load`], with `settings` (`--set KEY=VALUE`, in order) applied to the scenario before it is lowered; their
/// problems are rendered against the settings themselves, named `--set[1]`, `--set[2]`, ...
pub fn load_with(source: &ScenarioSource, settings: &[String]) -> Result<LoadedScenario, Failure> {
    let named: Vec<Setting> =
        settings.iter().enumerate().map(|(i, s)| Setting::new(format!("--set[{}]", i + 1), s.as_str())).collect();
    load_settings(source, &named)
}

/// As [`load_with`], with settings already named (a sweep names its values `--vary[N]`). The settings recorded in
/// the loaded scenario are their texts.
pub fn load_settings(source: &ScenarioSource, settings: &[Setting]) -> Result<LoadedScenario, Failure> {
    let (origin, loaded) = load_checked(source, settings)?;
    loaded.map_err(|diagnostics| Failure::InvalidScenario {
        origin,
        errors: diagnostics.error_count(),
        rendered: diagnostics.render(),
    })
}

/// As [`load_settings`], with a refused scenario's diagnostics given back as they are (with the origin as named),
/// for a caller that tells some of them apart. A file that cannot be read is still a failure.
pub fn load_checked(
    source: &ScenarioSource,
    settings: &[Setting],
) -> Result<(String, Result<LoadedScenario, Diagnostics>), Failure> {
    let (origin, bytes) = match source {
        ScenarioSource::Embedded => (EMBEDDED_ORIGIN.to_owned(), EMBEDDED_TEXT.as_bytes().to_vec()),
        ScenarioSource::File(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("could not read scenario `{}`", path.display()))?;
            (path.display().to_string(), bytes)
        }
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    let text = utf8(&origin, bytes)?;
    let mut bases = Vec::new();
    let mut resolve = |naming: &str, path: &str| -> Result<(String, String), String> {
        let (base_origin, base_text) = read_base(naming, path)?;
        bases.push(SourceDigest { origin: base_origin.clone(), sha256: hex(&Sha256::digest(base_text.as_bytes())) });
        Ok((base_origin, base_text))
    };
    let parsed = chokepoint_scenario::parse_with_settings(&origin, &text, Some(&mut resolve), settings);
    let loaded = parsed.map(|scenario| LoadedScenario {
        origin: origin.clone(),
        sha256,
        bases,
        scenario,
        applied: Vec::new(),
        overlays: Vec::new(),
        settings: settings.iter().map(|s| s.text.clone()).collect(),
    });
    Ok((origin, loaded))
}

/// An overlay file of mitigations and packages, read for [`Scenario::add_overlay`].
#[derive(Debug, Clone)]
pub struct OverlayFile {
    pub origin: String,
    pub text: String,
    pub sha256: String,
}

/// Reads an overlay file. A file that cannot be read is a runtime error; one that is not UTF-8 is refused.
pub fn read_overlay(path: &Path) -> Result<OverlayFile, Failure> {
    let bytes = std::fs::read(path).with_context(|| format!("could not read mitigation file `{}`", path.display()))?;
    let origin = path.display().to_string();
    let sha256 = hex(&Sha256::digest(&bytes));
    let text = utf8(&origin, bytes)?;
    Ok(OverlayFile { origin, text, sha256 })
}

/// Adds `overlay` to `scenario`; a refused overlay is [`Failure::InvalidScenario`], rendered at its file.
pub fn add_overlay(scenario: &mut Scenario, overlay: &OverlayFile) -> Result<Vec<String>, Failure> {
    scenario.add_overlay(&overlay.origin, &overlay.text).map_err(|diagnostics| Failure::InvalidScenario {
        origin: overlay.origin.clone(),
        errors: diagnostics.error_count(),
        rendered: diagnostics.render(),
    })
}

fn utf8(origin: &str, bytes: Vec<u8>) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|e| Failure::InvalidScenario {
        origin: origin.to_owned(),
        errors: 1,
        rendered: format!(
            "error[not-utf8]: {origin}: the file is not UTF-8 text (at byte {})\n",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// Reads the base `path` named by the file `naming` (an origin): relative to `naming`'s folder, or, from the
/// embedded scenario, the embedded scenario itself. Returns the base's origin (the joined path, with `.` and
/// `dir/..` folded away so that one file gets one origin) and its text.
fn read_base(naming: &str, path: &str) -> Result<(String, String), String> {
    if let Some(dir) = EMBEDDED_ORIGIN.strip_suffix("rare_earths_2025.toml")
        && naming.starts_with(dir)
    {
        let name = normalize(Path::new(path));
        return if name == Path::new("rare_earths_2025.toml") {
            Ok((EMBEDDED_ORIGIN.to_owned(), EMBEDDED_TEXT.to_owned()))
        } else {
            Err(format!("the embedded scenario can only name `rare_earths_2025.toml` as a base, not `{path}`"))
        };
    }
    let folder = Path::new(naming).parent().unwrap_or(Path::new(""));
    let joined = normalize(&folder.join(path));
    let origin = joined.display().to_string();
    let bytes = std::fs::read(&joined).map_err(|e| format!("`{origin}`: {e}"))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| format!("`{origin}` is not UTF-8 text (at byte {})", e.utf8_error().valid_up_to()))?;
    Ok((origin, text))
}

/// `path` with `.` components removed and `name/..` pairs folded (lexically; symbolic links are not followed).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Lowercase hexadecimal.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(hex(&Sha256::digest(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn base_paths_are_folded_lexically() {
        assert_eq!(normalize(Path::new("scenarios/./a/../rare.toml")), Path::new("scenarios/rare.toml"));
        assert_eq!(normalize(Path::new("../x/../y.toml")), Path::new("../y.toml"));
        assert_eq!(normalize(Path::new("/a/b/../c.toml")), Path::new("/a/c.toml"));
    }

    #[test]
    fn the_embedded_scenario_resolves_its_own_name_as_a_base() {
        let (origin, text) = read_base(EMBEDDED_ORIGIN, "./rare_earths_2025.toml").expect("resolves");
        assert_eq!((origin.as_str(), text.len()), (EMBEDDED_ORIGIN, EMBEDDED_TEXT.len()));
        assert!(read_base(EMBEDDED_ORIGIN, "other.toml").is_err());
    }

    #[test]
    fn embedded_scenario_is_valid() {
        let loaded = load(&ScenarioSource::Embedded).expect("the embedded scenario parses");
        assert_eq!(loaded.origin, EMBEDDED_ORIGIN);
        assert_eq!(loaded.sha256.len(), 64);
    }
}
