//! Stages (`[stages]`): capacities, inputs, outputs, stocks and their allocation of scarce output.

use std::ops::Range;

use chokepoint_engine::{Allocation, Param, StageSpec, StockWeeks, Unit};

use crate::diagnostic::Diagnostic;
use crate::lower::context::{DurationKey, Lower, allocation, check_growth, practical_range, table_ref};

fn unit_words(unit: Unit) -> (&'static str, &'static str, &'static str) {
    match unit {
        Unit::Tonne => ("tonnes", "capacity_t_per_year", "t/yr"),
        Unit::Item => ("units", "capacity_units_per_year", "units/yr"),
    }
}

/// The unit a stage's throughput is counted in (that of its outputs), for warnings.
pub(crate) fn stage_rate_unit(lower: &Lower<'_>, stage: usize) -> &'static str {
    let unit = lower
        .stage_outputs
        .get(stage)
        .and_then(|o| o.first())
        .and_then(|&m| lower.material_units.get(m).copied().flatten());
    unit_words(unit.unwrap_or(Unit::Tonne)).2
}

type CapacityKeys = Vec<(String, Option<Range<usize>>)>;

pub(super) fn stages(lower: &mut Lower<'_>) -> (Vec<StageSpec>, CapacityKeys) {
    let doc = lower.doc;
    let mut out = Vec::new();
    let mut capacity_keys = Vec::new();
    for e in &doc.stages {
        let who = format!("stage `{}`", e.name);
        let path = e.path.as_str();
        let Some(raw) = &e.raw else {
            lower.stage_inputs.push(Vec::new());
            lower.stage_outputs.push(Vec::new());
            capacity_keys.push((String::new(), None));
            continue;
        };
        let region = lower.region(e, &raw.region, &who);

        // Outputs, and the one unit they share.
        let outputs = match &raw.outputs {
            None => {
                lower.missing(e, &who, "outputs", "{ ndpr_oxide = 1.0 }");
                Vec::new()
            }
            Some(o) => {
                if o.get_ref().0.is_empty() {
                    lower.push(
                        Diagnostic::error("invalid-value", format!("{path}.outputs"), format!("{who} has no outputs"))
                            .at(Some(o.span()))
                            .help(format!("list at least one material in `{path}.outputs`")),
                    );
                }
                lower.quantities(o.get_ref(), &format!("{path}.outputs"), &who)
            }
        };
        let mut unit: Option<(Unit, String)> = None;
        for (m, _, span) in &outputs {
            let (Some(Some(u)), Some(name)) = (lower.material_units.get(*m).copied(), doc.materials.get(*m)) else {
                continue;
            };
            match &unit {
                None => unit = Some((u, name.name.clone())),
                Some((first, first_name)) if *first != u => {
                    let msg = format!(
                        "{who} makes `{first_name}` in {} and `{}` in {}, but all outputs of a stage share one unit",
                        unit_words(*first).0,
                        name.name,
                        unit_words(u).0
                    );
                    let help =
                        format!("split `{path}` into one stage per unit, or change `materials.{}.unit`", name.name);
                    lower.push(
                        Diagnostic::error("unit-mismatch", format!("{path}.outputs.{}", name.name), msg)
                            .at(Some(span.clone()))
                            .help(help),
                    );
                }
                Some(_) => {}
            }
        }

        // Capacity, in the key that matches the outputs' unit.
        let capacity = match (&raw.capacity_t_per_year, &raw.capacity_units_per_year) {
            (Some(t), Some(u)) => {
                let second = if u.span().start > t.span().start {
                    ("capacity_units_per_year", u)
                } else {
                    ("capacity_t_per_year", t)
                };
                lower.push(
                    Diagnostic::error(
                        "conflicting-keys",
                        format!("{path}.{}", second.0),
                        format!(
                            "{who} gives its capacity twice, as `capacity_t_per_year` and `capacity_units_per_year`"
                        ),
                    )
                    .at(Some(second.1.span()))
                    .help(format!("keep only the key that matches the unit of `{path}.outputs`")),
                );
                Some((Unit::Tonne, "capacity_t_per_year", t))
            }
            (Some(t), None) => Some((Unit::Tonne, "capacity_t_per_year", t)),
            (None, Some(u)) => Some((Unit::Item, "capacity_units_per_year", u)),
            (None, None) => {
                if !e.broken("capacity_t_per_year") && !e.broken("capacity_units_per_year") {
                    let key = unit.as_ref().map_or("capacity_t_per_year", |(u, _)| unit_words(*u).1);
                    lower.push(
                        Diagnostic::error("missing-key", format!("{path}.{key}"), format!("{who} has no capacity"))
                            .at(Some(e.name_span.clone()))
                            .help(format!(
                                "add `{key} = ...` to {} (`capacity_t_per_year` for tonnes, \
                                 `capacity_units_per_year` for counted items)",
                                table_ref(path)
                            )),
                    );
                }
                None
            }
        };
        let capacity_per_year = match capacity {
            Some((key_unit, key, raw_cap)) => {
                if let Some((u, first_name)) = &unit
                    && *u != key_unit
                {
                    let right = unit_words(*u).1;
                    lower.push(
                        Diagnostic::error(
                            "unit-mismatch",
                            format!("{path}.{key}"),
                            format!(
                                "`{key}` counts {}, but {who} makes `{first_name}`, which is counted in {}",
                                unit_words(key_unit).0,
                                unit_words(*u).0
                            ),
                        )
                        .at(Some(raw_cap.span()))
                        .help(format!("rename `{path}.{key}` to `{right}`")),
                    );
                }
                let full = format!("{path}.{key}");
                capacity_keys.push((full.clone(), Some(raw_cap.span())));
                let p = lower.param(raw_cap, &full).unwrap_or(Param::ZERO);
                lower.at_least(&p, raw_cap.span(), &full, "a capacity");
                p
            }
            None => {
                capacity_keys.push((String::new(), None));
                Param::ZERO
            }
        };
        let growth_key = format!("{path}.capacity_growth_per_year");
        let capacity_growth_per_year = lower.param_or(&raw.capacity_growth_per_year, &growth_key, 0.0);
        check_growth(lower, &capacity_growth_per_year, &raw.capacity_growth_per_year, &growth_key);
        if let Some((_, key, raw_cap)) = capacity {
            let growth = practical_range(&capacity_growth_per_year).1;
            let start = practical_range(&capacity_per_year).1;
            lower.check_growth_bound(&format!("{path}.{key}"), raw_cap.span(), start, growth, 1.0);
        }
        let online = DurationKey {
            what: "online week",
            forms: [
                ("online_week", &raw.online_week),
                ("online_days", &raw.online_days),
                ("online_months", &raw.online_months),
            ],
        };
        let online_week = lower.duration(path, &online).map(|(p, _, _)| p);
        let ramp = DurationKey {
            what: "ramp",
            forms: [("ramp_weeks", &raw.ramp_weeks), ("ramp_days", &raw.ramp_days), ("ramp_months", &raw.ramp_months)],
        };
        let ramp_weeks = lower.duration(path, &ramp).map_or(Param::ZERO, |(p, _, _)| p);

        let inputs = match &raw.inputs {
            None => Vec::new(),
            Some(i) => lower.quantities(i.get_ref(), &format!("{path}.inputs"), &who),
        };
        let has_inputs = raw.inputs.as_ref().is_some_and(|i| !i.get_ref().0.is_empty());
        let (input_stock, output_stock) = if has_inputs {
            (
                lower.stock(&raw.inventory_weeks, &format!("{path}.inventory_weeks")),
                lower.stock(&raw.output_inventory_weeks, &format!("{path}.output_inventory_weeks")),
            )
        } else {
            if let (Some(_), Some(o)) = (&raw.inventory_weeks, &raw.output_inventory_weeks) {
                lower.push(
                    Diagnostic::error(
                        "conflicting-keys",
                        format!("{path}.output_inventory_weeks"),
                        format!(
                            "{who} has no inputs, so `inventory_weeks` is already its output stock, and \
                             `output_inventory_weeks` gives it again"
                        ),
                    )
                    .at(Some(o.span()))
                    .help(format!("remove `{path}.output_inventory_weeks` or `{path}.inventory_weeks`")),
                );
            }
            let (field, key) = match &raw.output_inventory_weeks {
                Some(_) => (&raw.output_inventory_weeks, "output_inventory_weeks"),
                None => (&raw.inventory_weeks, "inventory_weeks"),
            };
            (StockWeeks::none(), lower.stock(field, &format!("{path}.{key}")))
        };
        // A stage not online at the start of the horizon in any trial starts with no stock (docs/model.md, step 3:
        // its stocks are held in proportion to its availability, 0 before it is online), so an initial stock given
        // for it changes nothing, and as an uncertain parameter it would be studied for nothing.
        let first_online = online_week.as_ref().map_or(0.0, |p| practical_range(p).0);
        let lowered_initial = |key: &str| match (has_inputs, key) {
            (true, "inventory_weeks") => &input_stock.initial,
            _ => &output_stock.initial,
        };
        if first_online > 0.0 {
            for (field, key) in
                [(&raw.inventory_weeks, "inventory_weeks"), (&raw.output_inventory_weeks, "output_inventory_weeks")]
            {
                let Some(initial) = field.as_ref().and_then(|stock| stock.get_ref().initial.as_ref()) else { continue };
                if practical_range(lowered_initial(key)).1 > 0.0 {
                    lower.push(
                        Diagnostic::warning(
                            "no-effect",
                            format!("{path}.{key}.initial"),
                            format!(
                                "{who} is online from week {} at the earliest, and a stage holds no stock before it \
                                 is online: its initial stock has no effect",
                                crate::diagnostic::number(first_online)
                            ),
                        )
                        .at(Some(initial.span()))
                        .help(format!("leave `{path}.{key}.initial` out (it is then 0)")),
                    );
                }
            }
        }
        let allocation = match &raw.allocation {
            None => Allocation::defense_first(),
            Some(a) => allocation(lower, a, &format!("{path}.allocation")),
        };
        lower.stage_inputs.push(inputs.iter().map(|(m, _, s)| (*m, s.clone())).collect());
        lower.stage_outputs.push(outputs.iter().map(|(m, _, _)| *m).collect());
        out.push(StageSpec {
            name: e.name.clone(),
            region,
            capacity_per_year,
            capacity_growth_per_year,
            online_week,
            ramp_weeks,
            online_trigger: None,
            inputs: inputs.into_iter().map(|(m, q, _)| (m, q)).collect(),
            outputs: outputs.into_iter().map(|(m, q, _)| (m, q)).collect(),
            input_stock,
            output_stock,
            allocation,
        });
    }
    (out, capacity_keys)
}
