//! The scenario a Python call names (a path, TOML text, or the embedded default), read through
//! `chokepoint-scenario-files` like the binary's, and the exceptions that refusals become.

use std::path::PathBuf;

use chokepoint_analysis::AnalysisError;
use chokepoint_scenario::{Style, VariantError};
use chokepoint_scenario_files::{LoadError, LoadedScenario, ScenarioSource};
use pyo3::PyErr;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};

create_exception!(
    chokepoint,
    ChokepointError,
    PyException,
    "Base class of chokepoint's errors: a scenario that cannot be read, or trials that cannot run."
);
create_exception!(
    chokepoint,
    ScenarioError,
    ChokepointError,
    "A scenario (or one of its bases) was refused; the message is every diagnostic as the CLI prints it."
);
create_exception!(
    chokepoint,
    UsageError,
    ChokepointError,
    "Arguments that do not fit the scenario: an unknown mitigation or end use, a question that cannot be answered."
);

/// How the scenario of a call was given.
pub fn source(path: Option<PathBuf>, text: Option<String>) -> Result<ScenarioSource, PyErr> {
    match (path, text) {
        (Some(path), None) => Ok(ScenarioSource::File(path)),
        (None, Some(text)) => Ok(ScenarioSource::Bytes { origin: TEXT_ORIGIN.to_owned(), bytes: text.into_bytes() }),
        (None, None) => Ok(ScenarioSource::Embedded),
        (Some(_), Some(_)) => Err(PyValueError::new_err("give a scenario's path or its text, not both")),
    }
}

/// How scenario text given to a call is named in diagnostics.
pub const TEXT_ORIGIN: &str = "<text>";

/// Reads the scenario, with `settings` (`KEY=VALUE`, as the CLI's `--set`) applied in order; their problems point
/// into the settings themselves, named `settings[1]`, `settings[2]`, ...
pub fn load(source: ScenarioSource, settings: &[String]) -> Result<LoadedScenario, PyErr> {
    let settings = chokepoint_scenario_files::numbered_settings("settings", settings);
    chokepoint_scenario_files::load_settings(source, &settings).map_err(load_error)
}

/// A scenario that could not be had: refused ([`ScenarioError`], with the CLI's rendering), or not read (an
/// `OSError`-like [`ChokepointError`] with the CLI's message).
pub fn load_error(e: LoadError) -> PyErr {
    match e {
        LoadError::Invalid(d) => ScenarioError::new_err(d.render()),
        other => ChokepointError::new_err(chain(&other)),
    }
}

/// A variant that cannot be built: an unknown name is a usage error; an invalid model, a refused scenario.
pub fn variant_error(e: VariantError) -> PyErr {
    match e {
        VariantError::Invalid(d) => ScenarioError::new_err(d.render()),
        other => UsageError::new_err(other.to_string()),
    }
}

/// An analysis that could not be made: the kinds of the binary's exit codes, as exceptions. Trials cancelled by
/// Ctrl-C never come here: the interrupt is raised instead.
pub fn analysis_error(e: AnalysisError) -> PyErr {
    match e {
        AnalysisError::Variant(v) => variant_error(v),
        AnalysisError::Question(message) => UsageError::new_err(message),
        AnalysisError::Run(r) => ChokepointError::new_err(format!("could not run the trials: {r}")),
    }
}

/// An error and its sources, `: `-separated (as the binary prints them).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The scenario's warnings, each rendered as the CLI prints them (without colour).
pub fn warnings(loaded: &LoadedScenario) -> Vec<String> {
    loaded.scenario.warnings.iter().map(|w| loaded.scenario.render_styled(w, Style::PLAIN)).collect()
}
