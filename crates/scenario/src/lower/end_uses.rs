//! End uses (`[end_uses]`): demand, its growth and the shocks that can multiply it, intensities, priority.

use chokepoint_engine::float_math::ln;
use chokepoint_engine::{Class, DisruptionKind, DisruptionSpec, EndUseSpec, Param, Unmet};

use crate::diagnostic::Diagnostic;
use crate::lower::context::{Lower, MAX_MAGNITUDE, check_growth, practical_range, projected_log};

pub(super) fn end_uses(lower: &mut Lower<'_>) -> Vec<EndUseSpec> {
    let doc = lower.doc;
    let mut out = Vec::new();
    for e in &doc.end_uses {
        let who = format!("end use `{}`", e.name);
        let path = e.path.as_str();
        let Some(raw) = &e.raw else {
            lower.end_use_inputs.push(Vec::new());
            continue;
        };
        let region = lower.region(e, &raw.region, &who);
        let demand_key = format!("{path}.demand_units_per_year");
        let demand_per_year = match &raw.demand_units_per_year {
            None => {
                lower.missing(e, &who, "demand_units_per_year", "1000");
                Param::ZERO
            }
            Some(d) => {
                let p = lower.param(d, &demand_key).unwrap_or(Param::ZERO);
                lower.at_least(&p, d.span(), &demand_key, "a demand");
                p
            }
        };
        let growth_key = format!("{path}.growth_per_year");
        let growth_per_year = lower.param_or(&raw.growth_per_year, &growth_key, 0.0);
        check_growth(lower, &growth_per_year, &raw.growth_per_year, &growth_key);
        if let Some(d) = &raw.demand_units_per_year {
            let (start, growth) = (practical_range(&demand_per_year).1, practical_range(&growth_per_year).1);
            lower.check_growth_bound(&demand_key, d.span(), start, growth, 1.0);
        }
        let intensity = match &raw.intensity {
            None => {
                lower.missing(e, &who, "intensity", "{ magnet = 0.002 }");
                Vec::new()
            }
            Some(i) => {
                if i.get_ref().0.is_empty() {
                    lower.push(
                        Diagnostic::error(
                            "invalid-value",
                            format!("{path}.intensity"),
                            format!("{who} uses no material"),
                        )
                        .at(Some(i.span()))
                        .help(format!("list at least one material in `{path}.intensity`")),
                    );
                }
                lower.intensities(i.get_ref(), &format!("{path}.intensity"), &who)
            }
        };
        let class = match &raw.priority {
            None => Class::Other,
            Some(p) => match lower.choice(p, &format!("{path}.priority"), &["defense", "essential", "other"]) {
                Some("defense") => Class::Defense,
                Some("essential") => Class::Essential,
                _ => Class::Other,
            },
        };
        let unmet = match &raw.unmet_demand {
            None => Unmet::Lost,
            Some(u) => match lower.choice(u, &format!("{path}.unmet_demand"), &["lost", "backlog"]) {
                Some("backlog") => Unmet::Backlog,
                _ => Unmet::Lost,
            },
        };
        let stock = lower.stock(&raw.inventory_weeks, &format!("{path}.inventory_weeks"));
        lower.end_use_inputs.push(intensity.iter().map(|(m, _, s)| (*m, s.clone())).collect());
        out.push(EndUseSpec {
            name: e.name.clone(),
            region,
            demand_per_year,
            growth_per_year,
            intensity: intensity.into_iter().map(|(m, q, _)| (m, q)).collect(),
            class,
            unmet,
            stock,
        });
    }
    out
}

/// An end use's demand, grown over the horizon and multiplied by every demand shock that can cover it at once,
/// must stay within [`MAX_MAGNITUDE`] a year. Each end use is checked alone (with growth, in
/// [`Lower::check_growth_bound`]) as it is lowered; this adds the shocks. Overlapping shocks add their extra
/// demand, so the sum of their largest multipliers bounds the product.
pub(super) fn check_demand_shocks(lower: &mut Lower<'_>, end_uses: &[EndUseSpec], disruptions: &[DisruptionSpec]) {
    let doc = lower.doc;
    let mut multipliers = vec![0.0; end_uses.len()];
    for d in disruptions {
        if let DisruptionKind::DemandShock { end_uses: covered, multiplier } = &d.kind {
            for &u in covered {
                if let Some(m) = multipliers.get_mut(u) {
                    *m += practical_range(multiplier).1.max(0.0);
                }
            }
        }
    }
    // End uses that could not be read are not in `end_uses`: their indices would not match the document's.
    if end_uses.len() != doc.end_uses.len() {
        return;
    }
    for ((spec, e), m) in end_uses.iter().zip(&doc.end_uses).zip(multipliers) {
        let Some(d) = e.raw.as_ref().and_then(|r| r.demand_units_per_year.as_ref()) else { continue };
        if m <= 1.0 {
            continue;
        }
        let key = format!("{}.demand_units_per_year", e.path);
        let (start, growth) = (practical_range(&spec.demand_per_year).1, practical_range(&spec.growth_per_year).1);
        // Already reported without the shocks, if too large then.
        if !(projected_log(start, growth, 1.0, lower.horizon_years) > ln(MAX_MAGNITUDE)) {
            lower.check_growth_bound(&key, d.span(), start, growth, m);
        }
    }
}
