//! The report's words: plain-language sentences generated from the numbers.
//!
//! Every figure is formatted by the same functions as the terminal table (`table::number`, `table::percent`),
//! so a number in the report reads the same as in `chokepoint run`'s output and can be found from
//! `summary.json`.

use chokepoint_analysis::exceedance::ExceedanceCurve;
use chokepoint_scenario::Date;

use crate::documents::summary::{DistributionJson, EndUseJson, Headline, ProportionJson, StockpileJson};
use crate::render::table::{money, number, percent, thousands, week_label};

/// `p` with its 95 % interval: "65.3% (95% CI 64.4%–66.2%)".
pub fn proportion(p: &ProportionJson) -> String {
    format!("{} (95% CI {}–{})", percent(p.p), percent(p.ci95_low), percent(p.ci95_high))
}

/// A mean with its 95 % interval, the lower bound not below zero: "12.3 (95% CI 11.9–12.7)".
pub fn mean_with_ci(d: &DistributionJson) -> String {
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

/// A week in prose: "week 18 (8 Aug 2025)" with a start date, else "week 18".
pub fn week_in_words(week: f64, start: Option<Date>) -> String {
    match start {
        Some(_) => format!("week {} ({})", number(week), week_label(week, start)),
        None => format!("week {}", number(week)),
    }
}

/// The one line said of an end use never short or late.
pub fn never_short(e: &EndUseJson, horizon_weeks: f64) -> String {
    let p = &e.p_short_or_late;
    format!(
        "{} was never short or late in any of the {} trials (95% CI for the probability: {}–{}); {} {} are \
         demanded over the {} on average.",
        e.name,
        thousands(p.n as u64),
        percent(p.ci95_low),
        percent(p.ci95_high),
        number(e.mean_demand_units),
        e.unit,
        horizon(horizon_weeks)
    )
}

/// The summary of one end use in a few sentences: for lost demand, how much is never built; for backlogged
/// demand, how late it is built.
pub fn end_use_summary(
    e: &EndUseJson,
    curve: &ExceedanceCurve,
    horizon_weeks: f64,
    start: Option<Date>,
    loss_unit: &str,
) -> String {
    if e.p_short_or_late.k == 0 {
        return never_short(e, horizon_weeks);
    }
    let unit = &e.unit;
    let mut text = match &e.headline {
        Headline::Short { p, mean_share_met, median_first_short_week, .. } => {
            let mut text = format!("{} is short in {} of trials.", e.name, proportion(p));
            if let Some(m) = curve.median_when_short {
                text.push_str(&format!(
                    " {} of trials end the {} with {unit} never built; in those, the median is {} {unit}, out of \
                     {} demanded on average.",
                    capitalise(&percent(curve.p_short())),
                    horizon(horizon_weeks),
                    number(m),
                    number(e.mean_demand_units)
                ));
            }
            if let (Some(first), Some(d)) = (median_first_short_week, &e.first_short_week) {
                text.push_str(&format!(
                    " The first shortfall comes in {} (median; P5 week {}, P95 week {}).",
                    week_in_words(*first, start),
                    number(d.p5),
                    number(d.p95)
                ));
            }
            text.push_str(&format!(
                " On average {} of demand is met; in the worst 5% of trials {} {unit} are never built (CVaR95).",
                percent(*mean_share_met),
                number(e.units_short.cvar95)
            ));
            text
        }
        Headline::Late {
            p,
            mean_delay_weeks,
            median_max_delay_weeks_when_late,
            p95_max_delay_weeks_when_late,
            p95_peak_backlog_units_when_late,
            p95_peak_backlog_weeks_when_late,
            median_backlog_cleared_week,
            p_owed_at_end,
            median_first_late_week,
        } => {
            let mut text = format!(
                "{} is late in {} of trials: some {unit} are built after the week they were demanded in.",
                e.name,
                proportion(p)
            );
            if let (Some(d), Some(median), Some(p95)) =
                (mean_delay_weeks, median_max_delay_weeks_when_late, p95_max_delay_weeks_when_late)
            {
                text.push_str(&format!(
                    " Counting every late unit of every trial, a unit waits {} weeks on average; in the median \
                     late trial the longest wait is {} weeks, in the worst 5% of late trials {} weeks.",
                    number(*d),
                    number(*median),
                    number(*p95)
                ));
            }
            if let (Some(units), Some(weeks)) = (p95_peak_backlog_units_when_late, p95_peak_backlog_weeks_when_late) {
                text.push_str(&format!(
                    " In the worst 5% of those trials the backlog peaks above {} {unit}, {} weeks of normal demand.",
                    number(*units),
                    number(*weeks)
                ));
            }
            if let Some(first) = median_first_late_week {
                text.push_str(&format!(" The first late week is {} (median).", week_in_words(*first, start)));
            }
            if let Some(cleared) = median_backlog_cleared_week {
                text.push_str(&format!(
                    " Where it catches up within the horizon, the backlog clears by {} (median).",
                    week_in_words(*cleared, start)
                ));
            }
            if p_owed_at_end.k > 0 {
                text.push_str(&format!(
                    " In {} of trials some {unit} are still owed at the end of the horizon ({} on average over all \
                     trials).",
                    percent(p_owed_at_end.p),
                    number(e.units_short.mean)
                ));
            } else {
                text.push_str(" Every unit demanded is built by the end of the horizon.");
            }
            text
        }
    };
    text.push_str(&format!(" Its loss averages {} per trial.", money(e.loss.mean, loss_unit)));
    text
}

/// The summary of one stockpile.
pub fn stockpile_summary(s: &StockpileJson) -> String {
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
    use chokepoint_analysis::exceedance::Measure;

    fn dist(n: usize, mean: f64, p50: f64) -> DistributionJson {
        DistributionJson {
            n,
            mean,
            sd: 1.0,
            se: 0.1,
            ci95_low: mean * 0.9,
            ci95_high: mean * 1.1,
            min: 0.0,
            p5: p50 / 2.0,
            p50,
            p95: p50 * 2.0,
            p99: p50 * 3.0,
            max: p50 * 4.0,
            cvar95: p50 * 3.5,
        }
    }

    fn prop(k: usize, n: usize) -> ProportionJson {
        let p = k as f64 / n as f64;
        ProportionJson { k, n, p, ci95_low: (p - 0.01).max(0.0), ci95_high: p + 0.01 }
    }

    fn end_use(k: usize, headline: Headline) -> EndUseJson {
        EndUseJson {
            name: "wind_turbines".into(),
            class: "essential".into(),
            region: "ROW".into(),
            unit: "MW".into(),
            unmet_demand: "lost".into(),
            mean_demand_units: 12_000.0,
            value_per_unit_short: 1e6,
            cost_per_unit_week_late: 0.0,
            headline,
            p_short_or_late: prop(k, 1000),
            units_short: dist(1000, 300.0, 120.0),
            units_lost: dist(1000, 300.0, 120.0),
            units_short_or_late: dist(1000, 300.0, 120.0),
            share_met: dist(1000, 0.975, 0.99),
            short_weeks: dist(1000, 3.0, 2.0),
            longest_short_run_weeks: dist(1000, 3.0, 2.0),
            first_short_week: (k > 0).then(|| dist(k, 18.0, 16.0)),
            recovery_week: None,
            p_short_at_end: prop(k / 10, k.max(1)),
            delay: None,
            loss: dist(1000, 3e8, 1e8),
        }
    }

    fn short(k: usize) -> Headline {
        Headline::Short {
            p: prop(k, 1000),
            mean_units_short: 300.0,
            mean_units_short_ci95: [270.0, 330.0],
            p95_units_short: 240.0,
            mean_share_met: 0.975,
            median_first_short_week: (k > 0).then_some(16.0),
        }
    }

    #[test]
    fn a_short_end_use_reads_as_a_story() {
        let curve = ExceedanceCurve::new("wind_turbines".into(), Measure::UnitsShort, vec![0.0, 100.0, 140.0]);
        let text = end_use_summary(&end_use(650, short(650)), &curve, 156.0, Date::new(2025, 4, 4), "USD");
        assert_eq!(
            text,
            "wind_turbines is short in 65.0% (95% CI 64.0%–66.0%) of trials. 66.7% of trials end the 156-week (3 \
             years) horizon with MW never built; in those, the median is 120 MW, out of 12k demanded on average. \
             The first shortfall comes in week 16 (25 Jul 2025) (median; P5 week 8, P95 week 32). On average 97.5% \
             of demand is met; in the worst 5% of trials 420 MW are never built (CVaR95). Its loss averages $300M \
             per trial."
        );
    }

    #[test]
    fn a_late_end_use_says_how_late() {
        let mut e = end_use(300, short(300));
        e.name = "f35_aircraft".into();
        e.unit = "aircraft".into();
        e.headline = Headline::Late {
            p: prop(300, 1000),
            mean_delay_weeks: Some(6.5),
            median_max_delay_weeks_when_late: Some(9.0),
            p95_max_delay_weeks_when_late: Some(30.0),
            p95_peak_backlog_units_when_late: Some(40.0),
            p95_peak_backlog_weeks_when_late: Some(13.0),
            median_backlog_cleared_week: Some(60.0),
            p_owed_at_end: prop(0, 1000),
            median_first_late_week: Some(20.0),
        };
        let curve = ExceedanceCurve::new("f35_aircraft".into(), Measure::MaxDelayWeeks, vec![0.0, 4.0, 30.0]);
        let text = end_use_summary(&e, &curve, 156.0, None, "USD");
        assert!(text.starts_with("f35_aircraft is late in 30.0% (95% CI 29.0%–31.0%) of trials"), "{text}");
        assert!(text.contains("a unit waits 6.5 weeks on average; in the median late trial the longest wait is 9"));
        assert!(text.contains("the backlog peaks above 40 aircraft, 13 weeks of normal demand"), "{text}");
        assert!(text.contains("clears by week 60 (median)") && text.contains("Every unit demanded is built"));
    }

    #[test]
    fn an_end_use_never_short_says_so_in_one_line() {
        let curve = ExceedanceCurve::new("wind_turbines".into(), Measure::UnitsShort, vec![0.0; 3]);
        let text = end_use_summary(&end_use(0, short(0)), &curve, 100.0, None, "USD");
        assert!(text.starts_with("wind_turbines was never short or late in any of the 1,000 trials"), "{text}");
        assert!(text.contains("100-week horizon"), "{text}");
    }
}
