//! `chokepoint validate`: parse a scenario and report every problem, or a one-line OK.

use crate::failure::Failure;
use crate::scenario_source::{self, ScenarioSource};

pub fn validate(source: &ScenarioSource) -> Result<(), Failure> {
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
