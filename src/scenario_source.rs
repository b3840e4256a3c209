//! Where a scenario comes from (a file or the embedded default), reading it, and its SHA-256 digest.

use std::path::PathBuf;

use anyhow::Context;
use chokepoint_scenario::{Diagnostic, Scenario};
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
    pub text: String,
    /// SHA-256 of the scenario's bytes, lowercase hex.
    pub sha256: String,
    pub scenario: Scenario,
}

impl LoadedScenario {
    /// Every warning, rendered against the source, each ending with a newline.
    pub fn rendered_warnings(&self) -> String {
        self.scenario.warnings.iter().map(|w| self.render(w)).collect()
    }

    fn render(&self, d: &Diagnostic) -> String {
        let mut text = d.render(&self.origin, &self.text);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }
}

/// Reads and parses `source`. A file that cannot be read is a runtime error; a scenario the parser refuses
/// (or that is not UTF-8) is [`Failure::InvalidScenario`] with every diagnostic rendered.
pub fn load(source: &ScenarioSource) -> Result<LoadedScenario, Failure> {
    let (origin, bytes) = match source {
        ScenarioSource::Embedded => (EMBEDDED_ORIGIN.to_owned(), EMBEDDED_TEXT.as_bytes().to_vec()),
        ScenarioSource::File(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("could not read scenario `{}`", path.display()))?;
            (path.display().to_string(), bytes)
        }
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    let text = String::from_utf8(bytes).map_err(|e| Failure::InvalidScenario {
        origin: origin.clone(),
        errors: 1,
        rendered: format!(
            "error[not-utf8]: {origin}: the file is not UTF-8 text (at byte {})\n",
            e.utf8_error().valid_up_to()
        ),
    })?;
    match chokepoint_scenario::parse(&origin, &text) {
        Ok(scenario) => Ok(LoadedScenario { origin, text, sha256, scenario }),
        Err(diagnostics) => {
            Err(Failure::InvalidScenario { origin, errors: diagnostics.error_count(), rendered: diagnostics.render() })
        }
    }
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
    fn embedded_scenario_is_valid() {
        let loaded = load(&ScenarioSource::Embedded).expect("the embedded scenario parses");
        assert_eq!(loaded.origin, EMBEDDED_ORIGIN);
        assert_eq!(loaded.sha256.len(), 64);
    }
}
