//! The mitigation options a command is given (`--mitigation NAME|FILE`, `--all`): overlay files added to the
//! scenario, names resolved to the scenario's mitigations and packages, each once, in order.

use chokepoint_analysis::comparison::OptionSpec;
use chokepoint_scenario::{Scenario, VariantError};

use crate::cli::OptionArg;
use crate::failure::Failure;
use crate::scenario_source::{self, SourceDigest};

/// One option as given, with any file already read: a name, or the content of an overlay file of mitigations and
/// packages (read from disk, or recorded in a shard's manifest to be applied again by `merge`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionInput {
    Name(String),
    Overlay {
        file: scenario_source::OverlayFile,
        /// The file's name without its folder, as options name their source.
        short: String,
    },
}

impl OptionInput {
    /// An option as given, its file read if it is one.
    pub fn read(arg: &OptionArg) -> Result<Self, Failure> {
        Ok(match arg {
            OptionArg::Name(name) => OptionInput::Name(name.clone()),
            OptionArg::File(path) => {
                let file = scenario_source::read_overlay(path)?;
                let short = path.file_name().map_or_else(|| file.origin.clone(), |f| f.to_string_lossy().into_owned());
                OptionInput::Overlay { file, short }
            }
        })
    }
}

/// Options resolved against a scenario: each option's spec, the overlay files' digests, and the options as read.
pub type Resolved = (Vec<OptionSpec>, Vec<SourceDigest>, Vec<OptionInput>);

/// Adds the overlay files to `scenario` and lists the options, each once, in the order given (then every
/// mitigation and every package, with `all`), with the overlays' digests.
pub fn resolve(
    scenario: &mut Scenario,
    args: &[OptionArg],
    all: bool,
) -> Result<(Vec<OptionSpec>, Vec<SourceDigest>), Failure> {
    let (specs, overlays, _) = resolve_inputs(scenario, args.iter().map(OptionInput::read), all)?;
    Ok((specs, overlays))
}

/// [`resolve`], also returning the options as read ([`OptionInput`]), for a shard's manifest.
pub fn resolve_recorded(scenario: &mut Scenario, args: &[OptionArg], all: bool) -> Result<Resolved, Failure> {
    resolve_inputs(scenario, args.iter().map(OptionInput::read), all)
}

/// [`resolve`] over options already read (each file read lazily by the iterator, so that problems are reported in
/// the order the options were given).
pub fn resolve_inputs(
    scenario: &mut Scenario,
    inputs: impl IntoIterator<Item = Result<OptionInput, Failure>>,
    all: bool,
) -> Result<Resolved, Failure> {
    let mut overlays = Vec::new();
    let mut named: Vec<String> = Vec::new();
    let mut defined_by: Vec<(String, String)> = Vec::new();
    let mut read = Vec::new();
    for input in inputs {
        let input = input?;
        match &input {
            OptionInput::Name(name) => named.push(name.clone()),
            OptionInput::Overlay { file, short } => {
                let names = scenario_source::add_overlay(scenario, file)?;
                for name in names {
                    defined_by.retain(|(n, _)| *n != name);
                    defined_by.push((name.clone(), short.clone()));
                    named.push(name);
                }
                overlays.push(SourceDigest { origin: file.origin.clone(), sha256: file.sha256.clone() });
            }
        }
        read.push(input);
    }
    if all {
        named.extend(scenario.mitigations.iter().map(|m| m.name.clone()));
        named.extend(scenario.packages.iter().map(|p| p.name.clone()));
    }
    let mut specs: Vec<OptionSpec> = Vec::new();
    for name in named {
        if specs.iter().any(|s| s.name == name) {
            continue;
        }
        let Some(mut spec) = OptionSpec::of(scenario, &name) else {
            return Err(variant_failure(
                scenario
                    .variant(&[name.as_str()])
                    .err()
                    .unwrap_or(VariantError::Unknown { name: name.clone(), known: Vec::new() }),
            ));
        };
        spec.source = defined_by.iter().find(|(n, _)| *n == name).map(|(_, f)| f.clone());
        specs.push(spec);
    }
    Ok((specs, overlays, read))
}

/// A variant that cannot be built: an unknown name is a usage error; an invalid model, a refused scenario.
pub fn variant_failure(e: VariantError) -> Failure {
    match e {
        VariantError::Invalid(d) => Failure::from(d),
        other => Failure::Usage(other.to_string()),
    }
}

/// An analysis that could not be made: a variant's failure as above, a question that cannot be answered as a
/// usage error, trials that could not run as a runtime error.
pub fn analysis_failure(e: chokepoint_analysis::AnalysisError) -> Failure {
    use chokepoint_analysis::AnalysisError;
    match e {
        AnalysisError::Variant(v) => variant_failure(v),
        AnalysisError::Question(message) => Failure::Usage(message),
        AnalysisError::Run(r) => Failure::Runtime(anyhow::Error::new(r).context("could not run the trials")),
    }
}
