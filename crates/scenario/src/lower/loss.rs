//! The loss measure: what a unit short and a unit-week late of each end use are worth, so that end uses counted
//! in motors, MW and aircraft can be put on one scale (`value_per_unit_short_usd`, `cost_per_unit_week_late_usd`
//! and `[loss]`), and the display unit of each end use (`unit`).
//!
//! Resolution, per end use: its own keys first; for a key it leaves out, the `[loss]` value of its priority class,
//! `value_per_week_of_demand_usd`, divided by its normal weekly demand (a week's worth of demand not built is
//! worth that much), and for lateness that value times `late_week_cost_share`. When the scenario gives no value
//! at all, the loss is counted in weeks of normal demand instead of dollars: one week's worth of an end use's
//! demand not built counts 1, one unit-week late counts `late_week_cost_share` of a unit (1/52 by default: a unit
//! a year late counts as much as a unit not built).

use chokepoint_engine::{Class, EndUseSpec, Unmet};

use crate::diagnostic::{Diagnostic, number};
use crate::lower::context::{Lower, table_ref};
use crate::raw::Field;

/// The default share of a unit's value that one week of lateness costs: a unit a year late counts as a unit lost.
pub const DEFAULT_LATE_WEEK_COST_SHARE: f64 = 1.0 / 52.0;

/// The longest display unit accepted, in characters (it is printed in table headers).
const MAX_UNIT_CHARS: usize = 24;

/// How an end use is counted and valued.
#[derive(Debug, Clone, PartialEq)]
pub struct EndUseValues {
    /// The end use's name.
    pub name: String,
    /// What one unit of it is (`"aircraft"`, `"MW"`, `"motors"`); `"units"` when the file does not say.
    pub unit: String,
    /// Loss per unit not built within the horizon (lost, or still owed at the end), in [`LossMeasure::unit`].
    pub value_per_unit_short: f64,
    /// Loss per unit-week of backlog (backlogged end uses; 0 for lost demand), in [`LossMeasure::unit`].
    pub cost_per_unit_week_late: f64,
    /// Where the values come from.
    pub basis: ValueBasis,
}

/// Where an end use's loss values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueBasis {
    /// Its own keys.
    Own,
    /// The `[loss]` value of its priority class (for at least one of the two values).
    Class,
    /// No value anywhere in the scenario: weeks of normal demand.
    WeeksOfDemand,
}

/// What the loss is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossUnit {
    /// US dollars.
    Usd,
    /// Weeks of each end use's normal demand, summed over end uses.
    WeeksOfDemand,
}

impl LossUnit {
    /// The unit in words, for tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            LossUnit::Usd => "USD",
            LossUnit::WeeksOfDemand => "weeks of demand",
        }
    }
}

/// The scenario's loss measure.
#[derive(Debug, Clone, PartialEq)]
pub struct LossMeasure {
    /// What losses are counted in.
    pub unit: LossUnit,
    /// `[loss] value_per_week_of_demand_usd`, per class (defense, essential, other), where given.
    pub class_value_per_week_of_demand: [Option<f64>; 3],
    /// `[loss] late_week_cost_share`.
    pub late_week_cost_share: f64,
}

/// A value key of an end use: present, valid, and its span.
fn amount(lower: &mut Lower<'_>, field: &Field<f64>, key: &str) -> Option<f64> {
    let v = field.as_ref()?;
    let x = *v.get_ref();
    if (0.0..=crate::cost::MAX_AMOUNT).contains(&x) {
        return Some(x);
    }
    lower.push(
        Diagnostic::error(
            "negative-value",
            key,
            format!("`{key}` is {}, but a value must be a finite amount of zero or more", number(x)),
        )
        .at(Some(v.span()))
        .help(format!("set `{key}` to an amount of zero or more, at most 1e15")),
    );
    None
}

/// Resolves every end use's unit and loss values. `end_uses` are the lowered end uses of the document's, in order.
pub(crate) fn resolve(lower: &mut Lower<'_>, end_uses: &[EndUseSpec]) -> (Vec<EndUseValues>, LossMeasure) {
    let doc = lower.doc;
    let loss_raw = doc.loss.as_ref().and_then(|e| e.raw.as_ref());
    let mut class_values = [None; 3];
    let mut share = DEFAULT_LATE_WEEK_COST_SHARE;
    if let Some(raw) = loss_raw {
        if let Some(values) = &raw.value_per_week_of_demand_usd {
            let v = values.get_ref();
            for (k, (field, class)) in
                [(&v.defense, "defense"), (&v.essential, "essential"), (&v.other, "other")].into_iter().enumerate()
            {
                class_values[k] = amount(lower, field, &format!("loss.value_per_week_of_demand_usd.{class}"));
            }
        }
        if let Some(s) = &raw.late_week_cost_share {
            let x = *s.get_ref();
            if x.is_finite() && (0.0..=1.0).contains(&x) {
                share = x;
            } else {
                lower.push(
                    Diagnostic::error(
                        "invalid-value",
                        "loss.late_week_cost_share",
                        format!("`loss.late_week_cost_share` is {}, outside [0, 1]", number(x)),
                    )
                    .at(Some(s.span()))
                    .help(
                        "set `loss.late_week_cost_share` to the share of a unit's value that one week of lateness \
                         costs, in [0, 1] (1/52 = 0.0192: a unit a year late counts as a unit not built)",
                    ),
                );
            }
        }
    }
    // Dollars as soon as the file gives any value.
    let any_own = doc
        .end_uses
        .iter()
        .filter_map(|e| e.raw.as_ref())
        .any(|r| r.value_per_unit_short_usd.is_some() || r.cost_per_unit_week_late_usd.is_some());
    let unit =
        if any_own || class_values.iter().any(Option::is_some) { LossUnit::Usd } else { LossUnit::WeeksOfDemand };
    let mut out = Vec::with_capacity(end_uses.len());
    for e in &doc.end_uses {
        let Some(raw) = &e.raw else { continue };
        let Some(spec) = end_uses.iter().find(|s| s.name == e.name) else { continue };
        let path = e.path.as_str();
        let who = format!("end use `{}`", e.name);
        let display = match &raw.unit {
            None => "units".to_owned(),
            Some(u) => {
                let text = u.get_ref().trim();
                let ok = !text.is_empty()
                    && text.chars().count() <= MAX_UNIT_CHARS
                    && text.chars().all(|c| c.is_alphanumeric() || " -/%.".contains(c));
                if !ok {
                    lower.push(
                        Diagnostic::error(
                            "invalid-value",
                            format!("{path}.unit"),
                            format!("`{path}.unit` is not a short unit name"),
                        )
                        .at(Some(u.span()))
                        .help(format!(
                            "set `{path}.unit` to what one unit is, in at most {MAX_UNIT_CHARS} letters, digits, \
                             spaces or `-/%.`, such as \"aircraft\", \"MW\" or \"motors\""
                        )),
                    );
                }
                text.to_owned()
            }
        };
        let own_value = amount(lower, &raw.value_per_unit_short_usd, &format!("{path}.value_per_unit_short_usd"));
        let late_key = format!("{path}.cost_per_unit_week_late_usd");
        let own_late = amount(lower, &raw.cost_per_unit_week_late_usd, &late_key);
        if spec.unmet == Unmet::Lost
            && let Some(v) = &raw.cost_per_unit_week_late_usd
        {
            lower.push(
                Diagnostic::error(
                    "key-not-allowed-for-kind",
                    late_key.as_str(),
                    format!("{who} loses the demand it cannot meet, so no unit of it is ever late"),
                )
                .at(Some(v.span()))
                .help(format!("remove `{late_key}`, or set `{path}.unmet_demand = \"backlog\"` if its demand waits")),
            );
        }
        let weekly_demand = spec.demand_per_year.central() / 52.0;
        let per_unit = |per_week: f64| if weekly_demand > 0.0 { per_week / weekly_demand } else { 0.0 };
        let backlog = spec.unmet == Unmet::Backlog;
        let class = match spec.class {
            Class::Defense => 0,
            Class::Essential => 1,
            Class::Other => 2,
        };
        let (value, late, basis) = match unit {
            LossUnit::WeeksOfDemand => {
                let v = per_unit(1.0);
                (v, if backlog { v * share } else { 0.0 }, ValueBasis::WeeksOfDemand)
            }
            LossUnit::Usd => {
                let from_class = class_values[class].map(per_unit);
                let value = own_value.or(from_class);
                let late = if backlog { own_late.or(from_class.map(|v| v * share)) } else { Some(0.0) };
                let class_name = spec.class.name();
                let table = table_ref(path);
                if value.is_none() && !e.broken("value_per_unit_short_usd") {
                    lower.push(
                        Diagnostic::error(
                            "missing-key",
                            format!("{path}.value_per_unit_short_usd"),
                            format!("{who} has no loss value, but other end uses of the scenario have one"),
                        )
                        .at(Some(e.name_span.clone()))
                        .help(format!(
                            "add `value_per_unit_short_usd = ...` to {table}, or a value for class `{class_name}` \
                             in `[loss] value_per_week_of_demand_usd`"
                        )),
                    );
                }
                if late.is_none() && !e.broken("cost_per_unit_week_late_usd") {
                    lower.push(
                        Diagnostic::error(
                            "missing-key",
                            late_key.as_str(),
                            format!("{who} backlogs its demand but has no cost of lateness"),
                        )
                        .at(Some(e.name_span.clone()))
                        .help(format!(
                            "add `cost_per_unit_week_late_usd = ...` to {table}, or a value for class \
                             `{class_name}` in `[loss] value_per_week_of_demand_usd`"
                        )),
                    );
                }
                let basis = if own_value.is_some() && (own_late.is_some() || !backlog) {
                    ValueBasis::Own
                } else {
                    ValueBasis::Class
                };
                (value.unwrap_or(0.0), late.unwrap_or(0.0), basis)
            }
        };
        out.push(EndUseValues {
            name: e.name.clone(),
            unit: display,
            value_per_unit_short: value,
            cost_per_unit_week_late: late,
            basis,
        });
    }
    (out, LossMeasure { unit, class_value_per_week_of_demand: class_values, late_week_cost_share: share })
}
