//! The per-trial tables: `trials.parquet` (one row per end use and trial), `stage_losses.parquet` (one row per
//! stage and trial) and `stockpiles.parquet` (one row per stockpile and trial), built for a range of trials of one
//! end use, stage or stockpile at a time.

use std::ops::Range;

use chokepoint_engine::{EndUseColumns, Model, RunResults, Unmet};
use chokepoint_scenario::Scenario;

use crate::column::{Column, ColumnType, Schema, Table, Values};
use crate::labels::unmet_word;

/// Columns of `trials.parquet`.
pub const TRIALS: Schema = {
    use ColumnType::{Bool, F64, Text, U64};
    &[
        ("trial", U64),
        ("end_use", Text),
        ("unit", Text),
        ("unmet_demand", Text),
        ("short_or_late", Bool),
        ("demand", F64),
        ("built", F64),
        ("units_short", F64),
        ("units_lost", F64),
        ("units_late", F64),
        ("units_owed_at_end", F64),
        ("units_short_or_late", F64),
        ("share_met", F64),
        ("short_weeks", F64),
        ("longest_short_run_weeks", F64),
        ("first_short_week", F64),
        ("recovery_week", F64),
        ("mean_delay_weeks", F64),
        ("max_delay_weeks", F64),
        ("peak_backlog_units", F64),
        ("peak_backlog_weeks", F64),
        ("backlog_unit_weeks", F64),
        ("loss", F64),
    ]
};

/// Columns of `stage_losses.parquet`.
pub const STAGE_LOSSES: Schema = &[
    ("trial", ColumnType::U64),
    ("stage", ColumnType::Text),
    ("throughput_lost", ColumnType::F64),
    ("throughput_wanted", ColumnType::F64),
];

/// Columns of `stockpiles.parquet`.
pub const STOCKPILES: Schema = &[
    ("trial", ColumnType::U64),
    ("stockpile", ColumnType::Text),
    ("min_level", ColumnType::F64),
    ("released", ColumnType::F64),
];

/// The rows of `trials.parquet` for end use `end_use` of `scenario` in consecutive trials from `first_trial`:
/// `outcomes` (the end use's results, one slice per metric) and `losses` (the end use's loss in each trial) hold one
/// entry per trial. Durations are in weeks; the delay columns are null for lost demand, which is never late.
pub fn trials(
    scenario: &Scenario,
    end_use: usize,
    first_trial: u64,
    outcomes: EndUseColumns<'_>,
    losses: &[f64],
) -> Table {
    let spec = scenario.model.spec();
    let weeks = spec.period_weeks;
    let eu = &spec.end_uses[end_use];
    let rows = outcomes.len();
    assert_eq!(losses.len(), rows, "one loss per trial");
    let floats = |x: &[f64]| Values::F64(x.to_vec());
    let in_weeks = |x: &[u32]| Values::F64(x.iter().map(|&p| f64::from(p) * weeks).collect());
    let optional_weeks =
        |x: &[Option<u32>]| Values::OptionalF64(x.iter().map(|p| p.map(|p| f64::from(p) * weeks)).collect());
    let backlog = eu.unmet == Unmet::Backlog;
    let delay = |x: &mut dyn Iterator<Item = f64>| Values::OptionalF64(x.map(|v| backlog.then_some(v)).collect());
    let mean_delay = outcomes.outcomes().map(|o| o.mean_delay_periods().map(|p| p * weeks)).collect();
    let columns = vec![
        trial_column(first_trial, rows),
        Column::new("end_use", Values::Repeated(eu.name.clone())),
        Column::new("unit", Values::Repeated(scenario.end_uses[end_use].unit.clone())),
        Column::new("unmet_demand", Values::Repeated(unmet_word(eu.unmet).to_owned())),
        Column::new("short_or_late", Values::Bool(outcomes.any_shortfall().collect())),
        Column::new("demand", floats(outcomes.demand)),
        Column::new("built", floats(outcomes.built)),
        Column::new("units_short", floats(outcomes.units_short)),
        Column::new("units_lost", floats(outcomes.units_lost)),
        Column::new("units_late", floats(outcomes.units_late)),
        Column::new("units_owed_at_end", floats(outcomes.units_owed_at_end)),
        Column::new("units_short_or_late", Values::F64(outcomes.units_short_or_late().collect())),
        Column::new("share_met", floats(outcomes.share_met)),
        Column::new("short_weeks", in_weeks(outcomes.short_periods)),
        Column::new("longest_short_run_weeks", in_weeks(outcomes.longest_short_run)),
        Column::new("first_short_week", optional_weeks(outcomes.first_short_period)),
        Column::new("recovery_week", optional_weeks(outcomes.recovery_period)),
        Column::new("mean_delay_weeks", Values::OptionalF64(mean_delay)),
        Column::new("max_delay_weeks", delay(&mut outcomes.max_delay_periods.iter().map(|&p| f64::from(p) * weeks))),
        Column::new("peak_backlog_units", delay(&mut outcomes.peak_backlog.iter().copied())),
        Column::new("peak_backlog_weeks", delay(&mut outcomes.peak_backlog_weeks.iter().copied())),
        Column::new("backlog_unit_weeks", delay(&mut outcomes.backlog_unit_periods.iter().map(|&p| p * weeks))),
        Column::new("loss", Values::F64(losses.to_vec())),
    ];
    Table::new(rows, columns)
}

/// [`trials`] for trials `range` of a run's `results`; `losses` are the end uses' losses per trial
/// (`losses[e][trial]`).
pub fn trials_of_run(
    scenario: &Scenario,
    results: &RunResults,
    losses: &[Vec<f64>],
    end_use: usize,
    range: Range<usize>,
) -> Table {
    let outcomes = results.end_use(end_use).range(range.clone());
    trials(scenario, end_use, range.start as u64, outcomes, &losses[end_use][range])
}

/// The rows of `stage_losses.parquet` for stage `stage` of `model` in consecutive trials from `first_trial`, one
/// per entry of `lost` (the throughput the stage lost in that trial) and of `wanted` (the throughput it wanted and
/// could have made at nameplate, of which the loss is a part).
pub fn stage_losses(model: &Model, stage: usize, first_trial: u64, lost: &[f64], wanted: &[f64]) -> Table {
    let rows = lost.len();
    assert_eq!(wanted.len(), rows, "one wanted throughput per trial");
    let columns = vec![
        trial_column(first_trial, rows),
        Column::new("stage", Values::Repeated(model.spec().stages[stage].name.clone())),
        Column::new("throughput_lost", Values::F64(lost.to_vec())),
        Column::new("throughput_wanted", Values::F64(wanted.to_vec())),
    ];
    Table::new(rows, columns)
}

/// [`stage_losses`] for trials `range` of a run's `results`.
pub fn stage_losses_of_run(model: &Model, results: &RunResults, stage: usize, range: Range<usize>) -> Table {
    let ns = results.n_stages;
    let lost: Vec<f64> = range.clone().map(|t| results.stage_throughput_lost[t * ns + stage]).collect();
    let wanted: Vec<f64> = range.clone().map(|t| results.stage_throughput_wanted[t * ns + stage]).collect();
    stage_losses(model, stage, range.start as u64, &lost, &wanted)
}

/// The rows of `stockpiles.parquet` for stockpile `stockpile` of `model` in consecutive trials from `first_trial`,
/// one per entry of `min_level` (the stockpile's lowest level in that trial) and of `released` (what it released
/// in all).
pub fn stockpiles(model: &Model, stockpile: usize, first_trial: u64, min_level: &[f64], released: &[f64]) -> Table {
    let rows = min_level.len();
    assert_eq!(released.len(), rows, "one release total per trial");
    let columns = vec![
        trial_column(first_trial, rows),
        Column::new("stockpile", Values::Repeated(model.spec().mitigations.stockpiles[stockpile].name.clone())),
        Column::new("min_level", Values::F64(min_level.to_vec())),
        Column::new("released", Values::F64(released.to_vec())),
    ];
    Table::new(rows, columns)
}

/// `trial`: the trial indices `first, first + 1, ...`.
fn trial_column(first: u64, rows: usize) -> Column {
    Column::new("trial", Values::U64((first..first + rows as u64).collect()))
}
