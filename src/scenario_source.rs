//! Where the binary's scenarios come from: a file, standard input (`-`) or the embedded default, read through
//! `chokepoint-scenario-files` (the security model of `docs/cli.md`: bases within the scenario's folder, regular
//! files of bounded size), with read failures and refusals turned into the binary's [`Failure`]s.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chokepoint_scenario::Setting;
use chokepoint_scenario_files::{self as files, LoadError};
pub use chokepoint_scenario_files::{BaseRead, LoadedScenario, OverlayFile, ScenarioText, SourceDigest};

use crate::failure::Failure;

/// How a scenario read from standard input is named in diagnostics and outputs.
pub const STDIN_ORIGIN: &str = "<stdin>";

/// A scenario named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioSource {
    /// The default scenario compiled into the binary.
    Embedded,
    File(PathBuf),
    /// Standard input (`-` on the command line); its bases are read relative to the current folder.
    Stdin,
}

impl ScenarioSource {
    /// A scenario argument: `-` is standard input, anything else a file.
    pub fn from_arg(path: PathBuf) -> Self {
        if path.as_os_str() == "-" { ScenarioSource::Stdin } else { ScenarioSource::File(path) }
    }
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Invalid(d) => Failure::InvalidScenario(d),
            other => Failure::Runtime(anyhow::Error::new(other)),
        }
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
    load_settings(source, &files::numbered_settings("--set", settings))
}

/// As [`load_with`], with settings already named (a sweep names its values `--vary[N]`).
pub fn load_settings(source: &ScenarioSource, settings: &[Setting]) -> Result<LoadedScenario, Failure> {
    Ok(read(source)?.parse(settings)?)
}

/// Reads `source` (not its bases) within the limits of the security model, so that it can be parsed once per set
/// of settings ([`ScenarioText::parse`]). A file that cannot be read is a runtime error.
pub fn read(source: &ScenarioSource) -> Result<ScenarioText, Failure> {
    let source = match source {
        ScenarioSource::Embedded => files::ScenarioSource::Embedded,
        ScenarioSource::File(path) => files::ScenarioSource::File(path.clone()),
        ScenarioSource::Stdin => files::ScenarioSource::Bytes { origin: STDIN_ORIGIN.to_owned(), bytes: read_stdin()? },
    };
    Ok(files::read(source)?)
}

/// Reads a scenario again from its recorded text, the base files it read and the `--set` settings it was read
/// with (a shard's manifest): the same scenario, without touching the file system.
pub fn load_recorded(
    origin: &str,
    text: &str,
    base_reads: &[BaseRead],
    settings: &[String],
) -> Result<LoadedScenario, Failure> {
    Ok(files::load_recorded(origin, text, base_reads, &files::numbered_settings("--set", settings))?)
}

/// Reads an overlay file. A file that cannot be read is a runtime error; one that is not UTF-8 is refused.
pub fn read_overlay(path: &Path) -> Result<OverlayFile, Failure> {
    Ok(files::read_overlay(path)?)
}

/// Reads standard input, up to [`MAX_SCENARIO_BYTES`](chokepoint_scenario::MAX_SCENARIO_BYTES).
fn read_stdin() -> anyhow::Result<Vec<u8>> {
    files::read_at_most(std::io::stdin().lock()).context("could not read the scenario from standard input")
}
