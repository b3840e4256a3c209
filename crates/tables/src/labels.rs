//! Words that outputs use for the engine's enums: units and what becomes of unmet demand.

use chokepoint_engine::{Model, Unit, Unmet};

/// `lost` or `backlog`.
pub fn unmet_word(unmet: Unmet) -> &'static str {
    match unmet {
        Unmet::Lost => "lost",
        Unmet::Backlog => "backlog",
    }
}

/// The name of a unit in outputs.
pub fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Tonne => "t",
        Unit::Item => "unit",
    }
}

/// The unit a stage's throughput is counted in: that of its (first) output.
pub fn stage_unit(model: &Model, stage: usize) -> &'static str {
    let spec = model.spec();
    unit_name(spec.stages[stage].outputs.first().map_or(Unit::Tonne, |&(m, _)| spec.materials[m].unit))
}
