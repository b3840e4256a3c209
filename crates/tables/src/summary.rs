//! `summary.csv`: one row per end use, stage or stockpile and metric, with the distribution's statistics across
//! trials in columns. Durations are in weeks (`periods x period_weeks`); proportions fill `mean`, `ci95_low` and
//! `ci95_high` only; a statistic that is not a finite number (no trial to take it over) is null.

use chokepoint_engine::Unmet;
use chokepoint_engine::report::{EndUseSummary, RunSummary};
use chokepoint_engine::stats::{Proportion, Summary, summarize};
use chokepoint_scenario::Scenario;

use crate::column::{Column, ColumnType, Schema, Table, Values};
use crate::labels::{stage_unit, unit_name};

/// The statistics columns, after `entity, name, metric, unit, n`.
pub const STAT_COLUMNS: [&str; 12] =
    ["mean", "sd", "se", "ci95_low", "ci95_high", "min", "p5", "p50", "p95", "p99", "max", "cvar95"];

/// Columns of `summary.csv`.
pub const SUMMARY: Schema = {
    use ColumnType::{F64, Text, U64};
    &[
        ("entity", Text),
        ("name", Text),
        ("metric", Text),
        ("unit", Text),
        ("n", U64),
        ("mean", F64),
        ("sd", F64),
        ("se", F64),
        ("ci95_low", F64),
        ("ci95_high", F64),
        ("min", F64),
        ("p5", F64),
        ("p50", F64),
        ("p95", F64),
        ("p99", F64),
        ("max", F64),
        ("cvar95", F64),
    ]
};

/// One row.
struct Row {
    entity: &'static str,
    name: String,
    metric: &'static str,
    unit: String,
    n: u64,
    /// In the order of [`STAT_COLUMNS`].
    stats: [Option<f64>; 12],
}

impl Row {
    /// A distribution's row, every statistic multiplied by `factor` (a change of unit: each is linear in the
    /// data); a missing distribution has `n` 0 and no statistics.
    fn distribution(
        entity: &'static str,
        name: &str,
        metric: &'static str,
        unit: &str,
        d: Option<&Summary>,
        factor: f64,
    ) -> Self {
        let stats = match d {
            Some(d) => [d.mean, d.sd, d.se, d.ci95_low, d.ci95_high, d.min, d.p5, d.p50, d.p95, d.p99, d.max, d.cvar95]
                .map(|x| x * factor)
                .map(|x| x.is_finite().then_some(x)),
            None => [None; 12],
        };
        Self { entity, name: name.to_owned(), metric, unit: unit.to_owned(), n: d.map_or(0, |d| d.n as u64), stats }
    }

    fn proportion(entity: &'static str, name: &str, metric: &'static str, p: &Proportion) -> Self {
        let mut stats = [None; 12];
        stats[0] = p.p.is_finite().then_some(p.p);
        stats[3] = p.ci95_low.is_finite().then_some(p.ci95_low);
        stats[4] = p.ci95_high.is_finite().then_some(p.ci95_high);
        Self { entity, name: name.to_owned(), metric, unit: "probability".to_owned(), n: p.n as u64, stats }
    }
}

/// `summary.csv` of a run of `scenario` (with any mitigations applied to its model) summarised as `summary`;
/// `end_use_losses[e][trial]` and `trial_losses[trial]` are the losses of the scenario's loss measure.
pub fn summary(scenario: &Scenario, summary: &RunSummary, end_use_losses: &[Vec<f64>], trial_losses: &[f64]) -> Table {
    let end_use_losses: Vec<Summary> = end_use_losses.iter().map(|l| summarize(&mut l.clone())).collect();
    summary_with_losses(scenario, summary, &end_use_losses, &summarize(&mut trial_losses.to_vec()))
}

/// [`summary`] with the loss statistics already taken: `end_use_losses[e]` of each end use's loss, `per_trial` of
/// each trial's (as a run too long to hold its losses in memory takes them, from its files).
pub fn summary_with_losses(
    scenario: &Scenario,
    summary: &RunSummary,
    end_use_losses: &[Summary],
    per_trial: &Summary,
) -> Table {
    let model = &scenario.model;
    let spec = model.spec();
    let weeks = spec.period_weeks;
    let loss_unit = scenario.loss.unit.label();
    let mut rows = Vec::new();
    for (e, s) in summary.end_uses.iter().enumerate() {
        end_use_rows(&mut rows, s, &scenario.end_uses[e].unit, weeks, loss_unit, &end_use_losses[e]);
    }
    rows.push(Row::distribution("run", &scenario.name, "loss", loss_unit, Some(per_trial), 1.0));
    for (i, s) in summary.stages.iter().enumerate() {
        rows.push(Row::distribution(
            "stage",
            &s.name,
            "throughput_lost",
            stage_unit(model, i),
            Some(&s.throughput_lost),
            1.0,
        ));
    }
    for (k, s) in summary.stockpiles.iter().enumerate() {
        let unit = unit_name(spec.materials[spec.mitigations.stockpiles[k].material].unit);
        rows.push(Row::distribution("stockpile", &s.name, "min_level", unit, Some(&s.min_level), 1.0));
        rows.push(Row::distribution("stockpile", &s.name, "released", unit, Some(&s.released), 1.0));
        rows.push(Row::proportion("stockpile", &s.name, "p_ran_dry", &s.p_ran_dry));
    }
    let n = rows.len();
    let mut columns = vec![
        Column::new("entity", Values::Text(rows.iter().map(|r| r.entity.to_owned()).collect())),
        Column::new("name", Values::Text(rows.iter().map(|r| r.name.clone()).collect())),
        Column::new("metric", Values::Text(rows.iter().map(|r| r.metric.to_owned()).collect())),
        Column::new("unit", Values::Text(rows.iter().map(|r| r.unit.clone()).collect())),
        Column::new("n", Values::U64(rows.iter().map(|r| r.n).collect())),
    ];
    for (k, name) in STAT_COLUMNS.iter().enumerate() {
        columns.push(Column::new(name, Values::OptionalF64(rows.iter().map(|r| r.stats[k]).collect())));
    }
    Table::new(n, columns)
}

/// The rows of one end use: lost and backlogged demand alike, then the delay metrics of backlogged demand, then
/// its loss.
fn end_use_rows(rows: &mut Vec<Row>, s: &EndUseSummary, unit: &str, weeks: f64, loss_unit: &str, loss: &Summary) {
    let name = s.name.as_str();
    let d =
        |metric, unit: &str, d: Option<&Summary>, factor| Row::distribution("end_use", name, metric, unit, d, factor);
    let p = |metric, p: &Proportion| Row::proportion("end_use", name, metric, p);
    rows.push(p("p_short_or_late", &s.p_any_short));
    rows.push(d("units_short", unit, Some(&s.units_short), 1.0));
    rows.push(d("units_lost", unit, Some(&s.units_lost), 1.0));
    rows.push(d("units_short_or_late", unit, Some(&s.units_short_or_late), 1.0));
    rows.push(d("share_met", "fraction", Some(&s.share_met), 1.0));
    rows.push(d("short_weeks", "weeks", Some(&s.short_periods), weeks));
    rows.push(d("longest_short_run_weeks", "weeks", Some(&s.longest_short_run), weeks));
    rows.push(d("first_short_week", "week", s.first_short_period.as_ref(), weeks));
    rows.push(d("recovery_week", "week", s.recovery_period.as_ref(), weeks));
    rows.push(p("p_short_at_end", &s.p_short_at_end));
    if s.unmet == Unmet::Backlog {
        rows.push(d("units_late", unit, Some(&s.units_late), 1.0));
        rows.push(d("units_owed_at_end", unit, Some(&s.units_owed_at_end), 1.0));
        rows.push(p("p_owed_at_end", &s.p_owed_at_end));
        rows.push(d("mean_delay_weeks", "weeks", s.mean_delay_periods.as_ref(), weeks));
        rows.push(d("max_delay_weeks", "weeks", Some(&s.max_delay_periods), weeks));
        rows.push(d("peak_backlog_units", unit, Some(&s.peak_backlog), 1.0));
        rows.push(d("peak_backlog_weeks", "weeks of demand", Some(&s.peak_backlog_weeks), 1.0));
        rows.push(d("backlog_unit_weeks", "unit-weeks", Some(&s.backlog_unit_periods), weeks));
        // The backlog clears when the end use recovers: the recovery week, over the trials that were late.
        rows.push(d("backlog_cleared_week", "week", s.recovery_period.as_ref(), weeks));
    }
    rows.push(d("loss", loss_unit, Some(loss), 1.0));
}
