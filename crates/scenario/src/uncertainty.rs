//! `[uncertainty]`: which uncertain parameters are knowledge uncertainty (one value for a whole world, drawn once
//! per outer sample of a two-level run) rather than event randomness (drawn anew in every trial), checked against
//! the parameters of the model and of its mitigations.
//!
//! `knowledge` lists key paths as [`crate::Parameter`]s name them, or patterns whose `*` segments match any one
//! segment (`stages.*.inventory_weeks.initial`, `links[*].lead_time_weeks`). Only parameters drawn once per trial
//! can be knowledge: a constant is not uncertain, and a parameter drawn for every event or shipment (a licence
//! review) is event randomness by its nature. A pattern must match at least one parameter that can be knowledge;
//! its matches that cannot are left as they are.

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::document::Document;
use crate::parameter::{Parameter, Scope, key_matches};

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

/// Whether a parameter may be knowledge uncertainty: a distribution drawn once per trial.
pub fn can_be_knowledge(p: &Parameter) -> bool {
    p.is_uncertain() && p.scope == Scope::Trial
}

/// Reads `[uncertainty]`, checking each pattern against `parameters` (those of the baseline and of every
/// mitigation).
pub(crate) fn resolve(doc: &Document, parameters: &[Parameter], diags: &mut Vec<Diagnostic>) -> Uncertainty {
    let Some(raw) = doc.uncertainty.as_ref().and_then(|e| e.raw.as_ref()) else { return Uncertainty::default() };
    let mut out = Uncertainty::default();
    if let Some(w) = &raw.worlds {
        let n = *w.get_ref();
        if n < 1 {
            diags.push(
                Diagnostic::error(
                    "invalid-value",
                    "uncertainty.worlds",
                    format!("`uncertainty.worlds` is {n}, but a two-level run needs at least one world"),
                )
                .at(Some(w.span()))
                .help("set `uncertainty.worlds` to 1 or more (a few hundred give usable bands), or remove it"),
            );
        } else {
            out.worlds = Some(n as u64);
        }
    }
    let Some(list) = &raw.knowledge else { return out };
    for (i, pattern) in list.get_ref().iter().enumerate() {
        let text = pattern.get_ref();
        let key = format!("uncertainty.knowledge[{i}]");
        let matches: Vec<&Parameter> = parameters.iter().filter(|p| key_matches(text, &p.key)).collect();
        if matches.iter().any(|p| can_be_knowledge(p)) {
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
        // A pattern is compared with the keys written as patterns of the same shape (`*` where it has one).
        let shape: Vec<&str> = text.split('.').collect();
        let mut candidates: Vec<String> = Vec::new();
        for p in parameters {
            let segments: Vec<&str> = p.key.split('.').collect();
            if segments.len() != shape.len() && text.contains('*') {
                continue;
            }
            let candidate: Vec<&str> = segments
                .iter()
                .zip(shape.iter().chain(std::iter::repeat(&"")))
                .map(|(k, s)| if *s == "*" { "*" } else { k })
                .collect();
            let candidate = candidate.join(".");
            if !candidates.contains(&candidate) {
                candidates.push(candidate);
            }
        }
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
