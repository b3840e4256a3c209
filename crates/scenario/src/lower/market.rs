//! `[markets]`: lowering each `[markets.MATERIAL]` table, with `[markets.defaults]` and the built-in defaults
//! filling the keys it leaves out, into the engine's `MarketSpec`, with a spanned diagnostic for every bad value.

use chokepoint_engine::{MarketSpec, StageSpec};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, did_you_mean, list, number};
use crate::lower::context::Lower;
use crate::raw::{Entity, Field, RawMarket};

/// The name of the table whose keys apply to every market that leaves them out.
pub(crate) const DEFAULTS: &str = "defaults";

/// What a number key of a market may be.
#[derive(Clone, Copy)]
enum Range {
    /// Zero or more.
    NonNegative,
    /// More than zero.
    Positive,
    /// From 0 to 1.
    UpToOne,
    /// 1 or more.
    AtLeastOne,
}

/// The largest value a market key accepts. The bounds keep every factor finite and positive (a demand factor of at
/// least `(1 + 1000)^(−5)`, capacity at most eleven times nameplate) and lie far beyond any calibration.
fn ceiling(key: &str) -> f64 {
    match key {
        "price_gain" => 1000.0,
        "demand_elasticity" => 5.0,
        "precaution_gain" | "precaution_max" => 100.0,
        "response_growth_per_year" | "response_max" => 10.0,
        _ => crate::cost::MAX_AMOUNT,
    }
}

/// The markets of the document, in file order (`[markets.defaults]` excluded).
pub(crate) fn markets(lower: &mut Lower<'_>, stages: &[StageSpec]) -> Vec<MarketSpec> {
    let doc = lower.doc;
    let defaults = doc.markets.iter().find(|e| e.name == DEFAULTS);
    if let Some(d) = defaults {
        check(lower, d, d.raw.as_ref(), stages);
    }
    let mut out = Vec::new();
    for e in doc.markets.iter().filter(|e| e.name != DEFAULTS) {
        let name = Spanned::new(e.name_span.clone(), e.name.clone());
        let material = lower.material(&name, &e.path, &format!("market `{}`", e.name), true);
        let Some(material) = material else { continue };
        let mut market = MarketSpec::new(material);
        let base = defaults.and_then(|d| d.raw.as_ref());
        // Keys of the market first, then of `[markets.defaults]`; each value checked where it is written.
        let own = e.raw.as_ref();
        check(lower, e, own, stages);
        let pick = |f: fn(&RawMarket) -> &Field<f64>| {
            own.and_then(|r| f(r).as_ref()).or(base.and_then(|r| f(r).as_ref())).map(|v| *v.get_ref())
        };
        let set = |slot: &mut f64, value: Option<f64>| {
            if let Some(v) = value.filter(|v| v.is_finite()) {
                *slot = v;
            }
        };
        set(&mut market.price_gain, pick(|r| &r.price_gain));
        set(&mut market.price_half_life_weeks, pick(|r| &r.price_half_life_weeks));
        set(&mut market.demand_elasticity, pick(|r| &r.demand_elasticity));
        set(&mut market.demand_lag_weeks, pick(|r| &r.demand_lag_weeks));
        set(&mut market.precaution_gain, pick(|r| &r.precaution_gain));
        set(&mut market.precaution_window_weeks, pick(|r| &r.precaution_window_weeks));
        set(&mut market.precaution_min, pick(|r| &r.precaution_min));
        set(&mut market.precaution_max, pick(|r| &r.precaution_max));
        set(&mut market.response_trigger_price, pick(|r| &r.response_trigger_price));
        set(&mut market.response_lag_weeks, pick(|r| &r.response_lag_weeks));
        set(&mut market.response_growth_per_year, pick(|r| &r.response_growth_per_year));
        set(&mut market.response_max, pick(|r| &r.response_max));
        let regions = own.and_then(|r| r.response_regions.as_ref()).or(base.and_then(|r| r.response_regions.as_ref()));
        if let Some(regions) = regions {
            market.response_regions = regions.get_ref().iter().map(|r| r.get_ref().clone()).collect();
        }
        out.push(market);
    }
    out
}

/// Checks the keys a market table (or `[markets.defaults]`) gives.
fn check(lower: &mut Lower<'_>, e: &Entity<RawMarket>, raw: Option<&RawMarket>, stages: &[StageSpec]) {
    let Some(raw) = raw else { return };
    let path = e.path.as_str();
    let keys: [(&str, &Field<f64>, Range, &str); 12] = [
        (
            "price_gain",
            &raw.price_gain,
            Range::NonNegative,
            "the price index's long-run rise per unit of unfilled share",
        ),
        ("price_half_life_weeks", &raw.price_half_life_weeks, Range::Positive, "a half-life"),
        ("demand_elasticity", &raw.demand_elasticity, Range::NonNegative, "an elasticity (demand × price^-elasticity)"),
        ("demand_lag_weeks", &raw.demand_lag_weeks, Range::NonNegative, "a lag"),
        ("precaution_gain", &raw.precaution_gain, Range::NonNegative, "the stock targets' response to the price trend"),
        ("precaution_window_weeks", &raw.precaution_window_weeks, Range::NonNegative, "a window"),
        ("precaution_min", &raw.precaution_min, Range::UpToOne, "the lowest stock-target factor"),
        ("precaution_max", &raw.precaution_max, Range::AtLeastOne, "the highest stock-target factor"),
        ("response_trigger_price", &raw.response_trigger_price, Range::NonNegative, "a price index"),
        ("response_lag_weeks", &raw.response_lag_weeks, Range::NonNegative, "a lag"),
        ("response_growth_per_year", &raw.response_growth_per_year, Range::NonNegative, "a growth rate"),
        ("response_max", &raw.response_max, Range::NonNegative, "a share of nameplate capacity"),
    ];
    for (key, field, range, what) in keys {
        let Some(v) = field else { continue };
        let x = *v.get_ref();
        let full = format!("{path}.{key}");
        let (ok, code, rule, fix) = match range {
            Range::NonNegative => (x >= 0.0, "negative-value", "cannot be negative", "zero or more"),
            Range::Positive => (x > 0.0, "invalid-value", "must be positive", "a positive number of weeks"),
            Range::UpToOne => {
                ((0.0..=1.0).contains(&x), "invalid-value", "must lie from 0 to 1", "a value from 0 to 1")
            }
            Range::AtLeastOne => (x >= 1.0, "invalid-value", "must be 1 or more", "1 or more"),
        };
        let ceiling = ceiling(key);
        if ok && x.is_finite() && x <= ceiling {
            continue;
        }
        if ok && x > ceiling {
            lower.push(
                Diagnostic::error(
                    "value-too-large",
                    full.as_str(),
                    format!("`{full}` is {}, above its ceiling of {} for {what}", number(x), number(ceiling)),
                )
                .at(Some(v.span()))
                .help(format!("set `{full}` to at most {}", number(ceiling))),
            );
            continue;
        }
        lower.push(
            Diagnostic::error(code, full.as_str(), format!("`{full}` is {}, but {what} {rule}", number(x)))
                .at(Some(v.span()))
                .help(format!("set `{full}` to {fix} (see `[markets]` in docs/scenario-format.md)")),
        );
    }
    if let Some(regions) = &raw.response_regions {
        let known: Vec<&str> = {
            let mut r: Vec<&str> = stages.iter().map(|s| s.region.as_str()).collect();
            r.sort_unstable();
            r.dedup();
            r
        };
        for (i, region) in regions.get_ref().iter().enumerate() {
            let name = region.get_ref().as_str();
            if known.contains(&name) {
                continue;
            }
            let key = format!("{path}.response_regions[{i}]");
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(s) => format!("write `{s}` instead of `{name}` in `{key}`"),
                None => format!("use the region of some stage ({}) in `{key}`", list(&known)),
            };
            lower.push(
                Diagnostic::error(
                    "invalid-value",
                    key.as_str(),
                    format!("`{key}` is `\"{name}\"`, but no stage of the scenario is in that region"),
                )
                .at(Some(region.span()))
                .help(help),
            );
        }
    }
}
