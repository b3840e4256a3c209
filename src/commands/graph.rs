//! `chokepoint graph`: print a scenario's stage graph as DOT or Mermaid.

use crate::failure::Failure;
use crate::render::graph::{Notation, render};
use crate::scenario_source::{self, ScenarioSource};

pub fn graph(source: &ScenarioSource, notation: Notation) -> Result<(), Failure> {
    let loaded = scenario_source::load(source)?;
    super::print_warnings(&loaded);
    super::print_stdout(&render(&loaded.scenario.model, notation))?;
    Ok(())
}
