//! Lowering: raw entities into the engine's [`ModelSpec`], resolving names to indices, converting units and
//! filling defaults, with every check reported against the key to change.
//!
//! Lowering never stops early: a value that is refused is reported and replaced by a placeholder so that the
//! remaining checks still run. The spec is only handed on when no error was reported, so placeholders never reach
//! the engine.
//!
//! Every part imports the shared context (`context`), which imports none of them; this module calls the parts in
//! order. Disruptions and mitigations also share the table of keys that only some kinds take (`kind_keys`).

mod end_uses;
mod horizon;
mod links;
mod materials;
mod names;
mod stages;

pub(crate) use stages::stage_rate_unit;

pub(crate) mod context;
pub(crate) mod disruption;
pub(crate) mod graph;
pub(crate) mod kind_keys;
pub(crate) mod loss;
pub(crate) mod market;
pub(crate) mod mitigation;

#[cfg(test)]
pub(crate) mod tests;

use std::ops::Range;

use chokepoint_engine::ModelSpec;

use crate::date::Date;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lower::context::Lower;

/// What a scenario lowers to.
#[derive(Debug)]
pub(crate) struct Lowered {
    pub name: String,
    pub description: String,
    pub spec: ModelSpec,
    /// Per stage: the path and span of its capacity key, for warnings about the baseline.
    pub capacity_keys: Vec<(String, Option<Range<usize>>)>,
    /// The calendar date of week 0, if given.
    pub start_date: Option<Date>,
    /// Per end use: its display unit and loss values, resolved.
    pub end_use_values: Vec<loss::EndUseValues>,
    pub loss: loss::LossMeasure,
}

/// Lowers the whole document with the mitigations of `plan` applied (none for the baseline). `None` when any
/// error was found (they are in `lower.diags`).
pub(crate) fn lower(lower: &mut Lower<'_>, plan: &mitigation::Plan) -> Option<Lowered> {
    let doc = lower.doc;
    names::check_names(lower);
    let (name, description) = names::scenario(lower);
    let (period_weeks, periods) = horizon::horizon(lower);
    let start_date = horizon::start_date(lower);
    lower.horizon_years = periods as f64 * period_weeks / 52.0;
    let materials = materials::materials(lower);
    let (stages, capacity_keys) = stages::stages(lower);
    let end_uses = end_uses::end_uses(lower);
    let (end_use_values, loss) = loss::resolve(lower, &end_uses);
    if doc.end_uses.is_empty() {
        lower.push(
            Diagnostic::error(
                "missing-key",
                "end_uses",
                "the scenario defines no end use, so there is nothing to simulate",
            )
            .help("add at least one `[end_uses.NAME]` table with its demand and material intensity"),
        );
    }
    let mut links = links::links(lower);
    let disruptions = disruption::disruptions(lower);
    end_uses::check_demand_shocks(lower, &end_uses, &disruptions);
    mitigation::scale_shares(lower, &mut links, plan);
    graph::check(lower, &links);
    let (mut stages, mut end_uses) = (stages, end_uses);
    let mitigations = mitigation::apply(lower, plan, &mut stages, &mut end_uses);
    let markets = market::markets(lower, &stages);
    let counts = [materials.len(), stages.len(), end_uses.len(), disruptions.len(), links.len()];
    let spec = ModelSpec {
        name: name.clone(),
        period_weeks,
        periods,
        materials,
        stages,
        // Links whose share went to nothing (a mitigation took the whole supply) are left out.
        links: links.into_iter().filter(|l| !l.replaced).map(|l| l.spec).collect(),
        end_uses,
        disruptions,
        mitigations,
        markets,
    };
    let failed = lower.diags.iter().any(|d| d.severity == Severity::Error)
        || [doc.materials.len(), doc.stages.len(), doc.end_uses.len(), doc.disruptions.len(), doc.links.len()]
            != counts;
    (!failed).then_some(Lowered { name, description, spec, capacity_keys, start_date, end_use_values, loss })
}
