//! Choosing a scenario's uncertain parameters by key pattern, and building a model with some of them replaced by
//! constants (or other distributions): the step every sensitivity study repeats.

use chokepoint_engine::{Model, Param};
use chokepoint_scenario::{Parameter, key_matches};

use crate::AnalysisError;

/// The uncertain parameters of `parameters` that match any of `patterns` (all of them when `patterns` is empty),
/// in the scenario's order. A pattern that matches no uncertain parameter is an error naming it.
pub fn select<'a>(parameters: &'a [Parameter], patterns: &[String]) -> Result<Vec<&'a Parameter>, AnalysisError> {
    let uncertain: Vec<&Parameter> = parameters.iter().filter(|p| p.is_uncertain()).collect();
    if patterns.is_empty() {
        return Ok(uncertain);
    }
    for pattern in patterns {
        if !uncertain.iter().any(|p| key_matches(pattern, &p.key)) {
            let constant = parameters.iter().any(|p| key_matches(pattern, &p.key));
            let keys: Vec<&str> = uncertain.iter().map(|p| p.key.as_str()).collect();
            let suggestion = chokepoint_scenario::did_you_mean(pattern, keys.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(AnalysisError::Question(if constant {
                format!(
                    "`--param {pattern}` (Python: `params=`) names only constants, which are not uncertain: give \
                     them a distribution in the scenario (or with `--set`, Python: `settings=`), or name a \
                     parameter that has one"
                )
            } else {
                format!(
                    "`--param {pattern}` (Python: `params=`) matches no uncertain parameter of the \
                     scenario{suggestion}; `chokepoint sensitivity --list` lists them"
                )
            }));
        }
    }
    Ok(uncertain.into_iter().filter(|p| patterns.iter().any(|pat| key_matches(pat, &p.key))).collect())
}

/// `model` with each parameter of `assignments` set to its value (in the model's units).
pub fn substitute(model: &Model, assignments: &[(&Parameter, Param)]) -> Result<Model, AnalysisError> {
    let mut spec = model.spec().clone();
    for (p, value) in assignments {
        p.assign(&mut spec, value);
    }
    Model::new(spec).map_err(|errors| {
        let keys: Vec<String> = assignments.iter().map(|(p, v)| format!("{} = {v:?}", p.key)).collect();
        AnalysisError::Question(format!(
            "the model with {} is not valid: {}",
            keys.join(", "),
            errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        ))
    })
}

/// Refuses a study of a scenario without any uncertain parameter, naming the fix.
pub fn require_some(selected: &[&Parameter], scenario: &str) -> Result<(), AnalysisError> {
    if selected.is_empty() {
        return Err(AnalysisError::Question(format!(
            "scenario `{scenario}` has no uncertain parameter: every capacity, stock, lead time and disruption \
             setting is a constant. Give some a distribution in the file (such as `capacity_t_per_year = {{ pert \
             = {{ min = 800, mode = 1000, max = 1100 }} }}`) or with `--set`"
        )));
    }
    Ok(())
}
