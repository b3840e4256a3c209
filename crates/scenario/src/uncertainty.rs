//! `[uncertainty]`: which uncertain parameters are knowledge uncertainty (one value for a whole world, drawn once
//! per outer sample of a two-level run) rather than event randomness (drawn anew in every trial), checked against
//! the parameters of the model and of its mitigations.
//!
//! `knowledge` lists key paths as [`crate::Parameter`]s name them, or patterns whose `*` segments match any one
//! segment (`stages.*.inventory_weeks.initial`, `links[*].lead_time_weeks`). Only parameters drawn once per trial
//! can be knowledge: a constant is not uncertain, and a parameter drawn for every event or shipment (a licence
//! review) is event randomness by its nature. A key must name a parameter that can be knowledge; a pattern must
//! name keys a parameter can have (`stages.*.inventory_weeks.initial`, not `stages.*.inventory`), and may select
//! nothing in a scenario that lacks such entities (an overlay that removes the disruptions keeps its base's
//! patterns). Matches that cannot be knowledge are left as they are.

use crate::diagnostic::{Diagnostic, did_you_mean, number};
use crate::document::Document;
use crate::parameter::{Parameter, Scope, key_matches};

/// The most worlds a two-level run may sample, from `uncertainty.worlds` or `--worlds`: a few hundred give usable
/// bands, and every world keeps its knowledge values and metrics until the run is written.
pub const MAX_WORLDS: u64 = 100_000;

/// The `[uncertainty]` settings of a scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uncertainty {
    /// The patterns of `knowledge`, as written.
    pub knowledge: Vec<String>,
    /// Worlds a two-level `run` samples when not told (`worlds`).
    pub worlds: Option<u64>,
}

impl Uncertainty {
    /// Whether `p` is knowledge uncertainty: a per-trial distribution that a `knowledge` pattern matches.
    pub fn is_knowledge(&self, p: &Parameter) -> bool {
        can_be_knowledge(p) && self.knowledge.iter().any(|k| key_matches(k, &p.key))
    }
}

/// The shapes of parameter keys, entity names written `*`: what a knowledge pattern may name.
const SHAPES: &[&str] = &[
    "stages.*.capacity_t_per_year",
    "stages.*.capacity_units_per_year",
    "stages.*.capacity_growth_per_year",
    "stages.*.online_week",
    "stages.*.online_days",
    "stages.*.online_months",
    "stages.*.ramp_weeks",
    "stages.*.ramp_days",
    "stages.*.ramp_months",
    "stages.*.inventory_weeks.initial",
    "stages.*.inventory_weeks.target",
    "stages.*.output_inventory_weeks.initial",
    "stages.*.output_inventory_weeks.target",
    "links[*].lead_time_weeks",
    "links[*].lead_time_days",
    "links[*].lead_time_months",
    "end_uses.*.demand_units_per_year",
    "end_uses.*.growth_per_year",
    "end_uses.*.inventory_weeks.initial",
    "end_uses.*.inventory_weeks.target",
    "disruptions.*.review_weeks",
    "disruptions.*.review_days",
    "disruptions.*.review_months",
    "disruptions.*.denial_probability.defense",
    "disruptions.*.denial_probability.essential",
    "disruptions.*.denial_probability.other",
    "disruptions.*.severity",
    "disruptions.*.multiplier",
    "disruptions.*.duration_weeks",
    "disruptions.*.duration_days",
    "disruptions.*.duration_months",
    "disruptions.*.onset_week",
    "disruptions.*.onset_days",
    "disruptions.*.onset_months",
    "disruptions.*.hazard_per_year",
    "disruptions.*.follows.probability",
    "disruptions.*.follows.lag_weeks",
    "disruptions.*.follows.lag_days",
    "disruptions.*.follows.lag_months",
    "mitigations.*.initial_t",
    "mitigations.*.initial_units",
    "mitigations.*.max_release_t_per_week",
    "mitigations.*.max_release_units_per_week",
    "mitigations.*.rebuild_t_per_week",
    "mitigations.*.rebuild_units_per_week",
    "mitigations.*.reduction",
    "mitigations.*.share",
    "mitigations.*.lag_weeks",
    "mitigations.*.lag_days",
    "mitigations.*.lag_months",
    "mitigations.*.ramp_weeks",
    "mitigations.*.ramp_days",
    "mitigations.*.ramp_months",
    "mitigations.*.inventory_weeks.initial",
    "mitigations.*.inventory_weeks.target",
    "mitigations.*.stages.*.capacity_t_per_year",
    "mitigations.*.stages.*.capacity_units_per_year",
    "mitigations.*.stages.*.capacity_growth_per_year",
    "mitigations.*.stages.*.online_week",
    "mitigations.*.stages.*.online_days",
    "mitigations.*.stages.*.online_months",
    "mitigations.*.stages.*.ramp_weeks",
    "mitigations.*.stages.*.ramp_days",
    "mitigations.*.stages.*.ramp_months",
    "mitigations.*.stages.*.inventory_weeks.initial",
    "mitigations.*.stages.*.inventory_weeks.target",
    "mitigations.*.stages.*.output_inventory_weeks.initial",
    "mitigations.*.stages.*.output_inventory_weeks.target",
    "mitigations.*.links[*].lead_time_weeks",
    "mitigations.*.links[*].lead_time_days",
    "mitigations.*.links[*].lead_time_months",
];

/// Whether a pattern names keys a parameter can have: its entity names written `*` (or a name), the rest as in a
/// parameter's key.
fn shape_is_valid(pattern: &str) -> bool {
    let segments: Vec<&str> = pattern.split('.').collect();
    SHAPES.iter().any(|shape| {
        let s: Vec<&str> = shape.split('.').collect();
        s.len() == segments.len()
            && s.iter().zip(&segments).all(|(s, p)| *p == "*" || *s == "*" || s == p || key_matches(s, p))
    })
}

/// Whether a parameter may be knowledge uncertainty: a distribution drawn once per trial.
pub fn can_be_knowledge(p: &Parameter) -> bool {
    p.is_uncertain() && p.scope == Scope::Trial
}

/// Reads `[uncertainty]`, checking each pattern against `parameters` (those of the baseline and of every
/// mitigation). `complete` says whether they are every parameter of the scenario: after another error (a key of
/// the wrong type, a stage that does not lower) some are missing, and a key that matches none of them is then not
/// reported as unknown, since it may well name one of those.
pub(crate) fn resolve(
    doc: &Document,
    parameters: &[Parameter],
    complete: bool,
    diags: &mut Vec<Diagnostic>,
) -> Uncertainty {
    let Some(raw) = doc.uncertainty.as_ref().and_then(|e| e.raw.as_ref()) else { return Uncertainty::default() };
    let mut out = Uncertainty::default();
    if let Some(w) = &raw.worlds {
        let n = *w.get_ref();
        match u64::try_from(n) {
            Ok(worlds @ 1..=MAX_WORLDS) => out.worlds = Some(worlds),
            Ok(0) | Err(_) => diags.push(
                Diagnostic::error(
                    "invalid-value",
                    "uncertainty.worlds",
                    format!("`uncertainty.worlds` is {n}, but a two-level run needs at least one world"),
                )
                .at(Some(w.span()))
                .help("set `uncertainty.worlds` to 1 or more (a few hundred give usable bands), or remove it"),
            ),
            Ok(_) => diags.push(
                Diagnostic::error(
                    "invalid-value",
                    "uncertainty.worlds",
                    format!(
                        "`uncertainty.worlds` is {n}, more than the {} worlds a two-level run may sample",
                        number(MAX_WORLDS as f64)
                    ),
                )
                .at(Some(w.span()))
                .help(format!(
                    "set `uncertainty.worlds` to at most {} (a few hundred give usable bands)",
                    number(MAX_WORLDS as f64)
                )),
            ),
        }
    }
    let Some(list) = &raw.knowledge else { return out };
    for (i, pattern) in list.get_ref().iter().enumerate() {
        let text = pattern.get_ref();
        let key = format!("uncertainty.knowledge[{i}]");
        let matches: Vec<&Parameter> = parameters.iter().filter(|p| key_matches(text, &p.key)).collect();
        let wildcard = text.split('.').any(|s| s == "*" || s.ends_with("[*]"));
        if matches.iter().any(|p| can_be_knowledge(p)) || (wildcard && shape_is_valid(text)) {
            // A pattern may select nothing in a scenario that lacks the entities it names (an overlay that
            // removes the disruptions, say), as long as it names keys a parameter can have.
            out.knowledge.push(text.clone());
            continue;
        }
        if let Some(p) = matches.first() {
            let why = if p.is_uncertain() {
                format!("`{}` is drawn anew for every event or shipment: that is event randomness", p.key)
            } else {
                format!("`{}` is a constant, not uncertain", p.key)
            };
            diags.push(
                Diagnostic::error(
                    "not-uncertain",
                    key.as_str(),
                    format!("`{key}` (`{text}`) names no parameter that can be knowledge: {why}"),
                )
                .at(Some(pattern.span()))
                .help(format!(
                    "remove `\"{text}\"` from `uncertainty.knowledge`, or give the parameter a distribution \
                     (knowledge parameters are distributions drawn once per trial)"
                )),
            );
            continue;
        }
        if !complete {
            // It may name a parameter of what could not be read: reported, if need be, once the rest is fixed.
            continue;
        }
        // A key is compared with the scenario's parameter keys, a pattern with the shapes parameter keys take.
        let candidates: Vec<String> = if wildcard {
            SHAPES.iter().map(|s| (*s).to_owned()).collect()
        } else {
            parameters.iter().map(|p| p.key.clone()).collect()
        };
        let help = match did_you_mean(text, candidates.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `\"{s}\"`?"),
            None => "name a parameter by its key path, such as `\"stages.NAME.capacity_t_per_year\"`, or a pattern \
                     such as `\"stages.*.inventory_weeks.initial\"`; `chokepoint sensitivity SCENARIO --list` lists \
                     them"
                .to_owned(),
        };
        diags.push(
            Diagnostic::error(
                "unknown-parameter",
                key.as_str(),
                format!("`{key}` (`{text}`) matches no parameter of the scenario or its mitigations"),
            )
            .at(Some(pattern.span()))
            .help(help),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_must_take_the_shape_of_a_parameter_key() {
        assert!(shape_is_valid("stages.*.inventory_weeks.initial"));
        assert!(shape_is_valid("disruptions.*.denial_probability.*"));
        assert!(shape_is_valid("links[*].lead_time_weeks"));
        assert!(shape_is_valid("mitigations.*.stages.*.online_week"));
        assert!(!shape_is_valid("stages.*.inventory_weeks.inital"));
        assert!(!shape_is_valid("stages.*.inventory"));
    }
}
