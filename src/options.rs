//! The mitigation options a command is given (`--mitigation NAME|FILE`, `--all`): overlay files added to the
//! scenario, names resolved to the scenario's mitigations and packages, each once, in order.

use chokepoint_analysis::comparison::{OptionSpec, options_of};
use chokepoint_scenario::{Scenario, VariantError};
use chokepoint_scenario_files::NamedOptions;
pub use chokepoint_scenario_files::OptionInput;

use crate::cli::OptionArg;
use crate::failure::Failure;
use crate::scenario_source::SourceDigest;

/// Options resolved against a scenario: each option's spec, the overlay files' digests, and the options as read.
pub type Resolved = (Vec<OptionSpec>, Vec<SourceDigest>, Vec<OptionInput>);

/// Adds the overlay files to `scenario` and lists the options, each once, in the order given (then every
/// mitigation and every package, with `all`), with the overlays' digests.
pub fn resolve(
    scenario: &mut Scenario,
    args: &[OptionArg],
    all: bool,
) -> Result<(Vec<OptionSpec>, Vec<SourceDigest>), Failure> {
    let (specs, overlays, _) = resolve_inputs(scenario, args.iter().map(read_input), all)?;
    Ok((specs, overlays))
}

/// [`resolve`], also returning the options as read ([`OptionInput`]), for a shard's manifest.
pub fn resolve_recorded(scenario: &mut Scenario, args: &[OptionArg], all: bool) -> Result<Resolved, Failure> {
    resolve_inputs(scenario, args.iter().map(read_input), all)
}

/// An option as given, its file read if it is one.
pub fn read_input(arg: &OptionArg) -> Result<OptionInput, Failure> {
    Ok(OptionInput::read(arg)?)
}

/// [`resolve`] over options already read (each file read lazily by the iterator, so that problems are reported in
/// the order the options were given).
pub fn resolve_inputs(
    scenario: &mut Scenario,
    inputs: impl IntoIterator<Item = Result<OptionInput, Failure>>,
    all: bool,
) -> Result<Resolved, Failure> {
    let mut named = NamedOptions::default();
    let mut read = Vec::new();
    for input in inputs {
        let input = input?;
        named.add(scenario, &input)?;
        read.push(input);
    }
    let mut specs = options_of(scenario, &named.names, all).map_err(variant_failure)?;
    for spec in &mut specs {
        spec.source = named.defined_by.iter().find(|(n, _)| *n == spec.name).map(|(_, f)| f.clone());
    }
    Ok((specs, named.overlays, read))
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
