//! The metric a study makes as small as possible or measures (`--objective` of `optimize`, `--metric` of
//! `sensitivity` and `sweep`): `loss`, `short:END_USE`, `delay:END_USE` or `units-short:END_USE`, resolved against
//! the scenario's end uses.

use chokepoint_analysis::portfolio::Objective;
use chokepoint_scenario::Scenario;

use crate::cli::ObjectiveArg;
use crate::failure::Failure;

/// Resolves the metric's end use; an unknown end use, or a delay of an end use that loses unmet demand, is a usage
/// error naming the fix.
pub fn resolve(scenario: &Scenario, arg: &ObjectiveArg) -> Result<Objective, Failure> {
    let spec = scenario.model.spec();
    let end_use = |name: &str| {
        spec.end_uses.iter().position(|e| e.name == name).ok_or_else(|| {
            let names: Vec<&str> = spec.end_uses.iter().map(|e| e.name.as_str()).collect();
            let suggestion = chokepoint_scenario::did_you_mean(name, names.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            Failure::Usage(format!(
                "the objective names end use `{name}`, which the scenario does not define{suggestion}; it has {}",
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ))
        })
    };
    Ok(match arg {
        ObjectiveArg::Loss => Objective::Loss,
        ObjectiveArg::ShortOrLate(e) => Objective::ShortOrLate { end_use: end_use(e)? },
        ObjectiveArg::MaxDelay(e) => {
            let index = end_use(e)?;
            if spec.end_uses[index].unmet != chokepoint_engine::Unmet::Backlog {
                return Err(Failure::Usage(format!(
                    "end use `{e}` loses the demand it cannot meet, so none of it is late: use `short:{e}` or \
                     `units-short:{e}`"
                )));
            }
            Objective::MaxDelay { end_use: index }
        }
        ObjectiveArg::UnitsShort(e) => Objective::UnitsShort { end_use: end_use(e)? },
    })
}
