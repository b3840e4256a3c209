//! The metric a study makes as small as possible or measures (`--objective` of `optimize`, `--metric` of
//! `sensitivity` and `sweep`): `loss`, `short:END_USE`, `delay:END_USE` or `units-short:END_USE`, resolved against
//! the scenario's end uses.

use chokepoint_analysis::portfolio::Objective;
use chokepoint_scenario::Scenario;

use crate::cli::ObjectiveArg;
use crate::failure::Failure;
use crate::options::analysis_failure;

/// Resolves the metric's end use ([`Objective::resolve`]); an unknown end use, or a delay of an end use that loses
/// unmet demand, is a usage error naming the fix.
pub fn resolve(scenario: &Scenario, arg: &ObjectiveArg) -> Result<Objective, Failure> {
    let (kind, end_use) = arg.kind();
    Objective::resolve(scenario, kind, end_use).map_err(analysis_failure)
}
