//! `chokepoint validate`: parse scenarios and report every problem of each, or a one-line OK per scenario.

use crate::failure::{EXIT_INVALID, EXIT_RUNTIME, Failure};
use crate::render::console;
use crate::scenario_source::{self, ScenarioSource};

/// Checks every scenario in turn (each is reported whatever the others gave). Fails with the first failure's
/// kind when any failed: a refused scenario (exit 2) when any was refused, else a file that could not be read.
pub fn validate(sources: &[ScenarioSource]) -> Result<(), Failure> {
    let mut failures = Vec::new();
    for source in sources {
        match validate_one(source) {
            Ok(()) => {}
            // With one scenario, the failure is reported as usual; with several, each as it comes.
            Err(f) if sources.len() == 1 => return Err(f),
            Err(f) => {
                failures.push(matches!(f, Failure::InvalidScenario(_)));
                let _ = crate::failure::exit_code(Err(f));
            }
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    let refused = failures.iter().filter(|r| **r).count();
    console::eprintln(&format!(
        "{} {} of {} scenarios failed to validate",
        console::error_label(),
        failures.len(),
        sources.len()
    ));
    Err(Failure::Reported(if refused > 0 { EXIT_INVALID } else { EXIT_RUNTIME }))
}

fn validate_one(source: &ScenarioSource) -> Result<(), Failure> {
    let loaded = scenario_source::load(source)?;
    super::print_warnings(&loaded);
    let spec = loaded.scenario.model.spec();
    let warnings = match loaded.scenario.warnings.len() {
        0 => String::new(),
        1 => ", 1 warning".to_owned(),
        n => format!(", {n} warnings"),
    };
    super::print_stdout(&format!(
        "ok: {} is valid: scenario `{}` with {} stages, {} links, {} end uses, {} disruptions over {} periods{warnings}\n",
        loaded.origin,
        loaded.scenario.name,
        spec.stages.len(),
        spec.links.len(),
        spec.end_uses.len(),
        spec.disruptions.len(),
        spec.periods,
    ))?;
    Ok(())
}
