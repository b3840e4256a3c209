//! The report's words: plain-language sentences generated from the numbers.
//!
//! Every figure is formatted by the same functions as the terminal table (`table::number`, `table::percent`),
//! so a number in the report reads the same as in `chokepoint run`'s output and can be found from
//! `summary.json`.

use super::exceedance::ExceedanceCurve;
use super::inputs::{Dist, EndUseView, Prop, StockpileView};
use crate::table::{number, percent, thousands};

/// `p` with its 95 % interval: "65.3% (95% CI 64.4%–66.2%)".
pub fn proportion(p: &Prop) -> String {
    format!("{} (95% CI {}–{})", percent(p.p), percent(p.ci95_low), percent(p.ci95_high))
}

/// A mean with its 95 % interval, the lower bound not below zero: "12.3 (95% CI 11.9–12.7)".
pub fn mean_with_ci(d: &Dist) -> String {
    if d.n == 0 {
        return "-".to_owned();
    }
    format!("{} (95% CI {}–{})", number(d.mean), number(d.ci95_low.max(0.0)), number(d.ci95_high))
}

/// "3 years", "156 weeks" or "36 months"-free: the horizon in weeks, with years when whole.
pub fn horizon(weeks: f64) -> String {
    let years = weeks / 52.0;
    if weeks > 0.0 && (years - years.round()).abs() < 1e-9 {
        let y = years.round();
        format!("{}-week ({} year{}) horizon", number(weeks), number(y), if y == 1.0 { "" } else { "s" })
    } else {
        format!("{}-week horizon", number(weeks))
    }
}

/// The summary of one end use in a few sentences.
pub fn end_use_summary(e: &EndUseView, curve: &ExceedanceCurve, horizon_weeks: f64) -> String {
    let p = &e.p_any_short;
    if p.k == 0 {
        return format!(
            "{} was never short in any of the {} trials (95% CI for the probability of a shortfall: {}–{}). \
             Demand over the {} averages {} units.",
            e.name,
            thousands(p.n as u64),
            percent(p.ci95_low),
            percent(p.ci95_high),
            horizon(horizon_weeks),
            number(e.mean_demand_units)
        );
    }
    let mut text = format!("{} is short in {} of trials.", e.name, proportion(p));
    match curve.median_when_short {
        Some(m) => text.push_str(&format!(
            " {} of trials end the {} with units never built; in those, the median loss is {} units, out of {} \
             demanded on average.",
            capitalise(&percent(curve.p_short())),
            horizon(horizon_weeks),
            number(m),
            number(e.mean_demand_units)
        )),
        None => text.push_str(&format!(
            " Every unit demanded over the {} is built by its end: the shortfalls are delays.",
            horizon(horizon_weeks)
        )),
    }
    if let Some(first) = &e.first_short_week {
        text.push_str(&format!(
            " The first shortfall comes after {} weeks (median; P5 {}, P95 {}).",
            number(first.p50),
            number(first.p5),
            number(first.p95)
        ));
    }
    if e.p_short_at_end.n > 0 {
        text.push_str(&format!(
            " {} of the short trials are still short at the end of the horizon.",
            capitalise(&percent(e.p_short_at_end.p))
        ));
    }
    text.push_str(&format!(
        " On average {} of demand is met; in the worst 5% of trials the shortfall averages {} units (CVaR95).",
        percent(e.share_met.mean),
        number(e.units_short.cvar95)
    ));
    text
}

/// The summary of one stockpile.
pub fn stockpile_summary(s: &StockpileView) -> String {
    format!(
        "{} ({}) ran dry in {} of trials. Its lowest level had a median of {} {unit} (P5 {}, P95 {}); \
         on average {} {unit} was released over the horizon.",
        s.name,
        s.material,
        proportion(&s.p_ran_dry),
        number(s.min_level.p50),
        number(s.min_level.p5),
        number(s.min_level.p95),
        mean_with_ci(&s.released),
        unit = s.unit,
    )
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(n: usize, mean: f64, p50: f64) -> Dist {
        Dist {
            n,
            mean,
            ci95_low: mean * 0.9,
            ci95_high: mean * 1.1,
            min: 0.0,
            p5: p50 / 2.0,
            p50,
            p95: p50 * 2.0,
            max: p50 * 4.0,
            cvar95: p50 * 3.5,
        }
    }

    fn end_use(k: usize) -> EndUseView {
        let prop = |k: usize, n: usize| Prop {
            k,
            n,
            p: k as f64 / n as f64,
            ci95_low: (k as f64 / n as f64 - 0.01).max(0.0),
            ci95_high: k as f64 / n as f64 + 0.01,
        };
        EndUseView {
            name: "wind_turbines".into(),
            class: "other".into(),
            region: "ROW".into(),
            mean_demand_units: 12_000.0,
            units_short: dist(1000, 300.0, 120.0),
            share_met: dist(1000, 0.975, 0.99),
            p_any_short: prop(k, 1000),
            first_short_week: (k > 0).then(|| dist(k, 18.0, 16.0)),
            p_short_at_end: prop(k / 10, k.max(1)),
        }
    }

    #[test]
    fn a_short_end_use_reads_as_a_story() {
        let curve = ExceedanceCurve::new("wind_turbines".into(), vec![0.0, 100.0, 140.0]);
        let text = end_use_summary(&end_use(650), &curve, 156.0);
        assert_eq!(
            text,
            "wind_turbines is short in 65.0% (95% CI 64.0%–66.0%) of trials. 66.7% of trials end the 156-week (3 \
             years) horizon with units never built; in those, the median loss is 120 units, out of 12k demanded on \
             average. The first shortfall comes \
             after 16 weeks (median; P5 8, P95 32). 10.0% of the short trials are still short at the end of the \
             horizon. On average 97.5% of demand is met; in the worst 5% of trials the shortfall averages 420 \
             units (CVaR95)."
        );
    }

    #[test]
    fn an_end_use_never_short_says_so() {
        let curve = ExceedanceCurve::new("wind_turbines".into(), vec![0.0; 3]);
        let text = end_use_summary(&end_use(0), &curve, 100.0);
        assert!(text.starts_with("wind_turbines was never short in any of the 1,000 trials"), "{text}");
        assert!(text.contains("100-week horizon"), "{text}");
    }
}
