//! The tables of a sensitivity study (`tornado.parquet`/`.csv`, `sobol.parquet`/`.csv`, and the Python package's
//! `SensitivityResult.tornado`/`.sobol`): one row per bar of the tornado, largest swing first; one row per factor
//! of the Sobol design, largest total index first, the events last.

use chokepoint_analysis::sobol::{Factor, SobolAnswer};
use chokepoint_analysis::tornado::{Bar, TornadoAnswer};
use chokepoint_scenario::Scope;

use crate::column::{Column, ColumnType, Schema, Table, Values};

/// Columns of the tornado's table.
pub const TORNADO: Schema = {
    use ColumnType::{F64, Text, U64};
    &[
        ("rank", U64),
        ("key", Text),
        ("unit", Text),
        ("scope", Text),
        ("low_value", F64),
        ("high_value", F64),
        ("low_mean", F64),
        ("high_mean", F64),
        ("low_change", F64),
        ("high_change", F64),
        ("swing", F64),
        ("swing_ci95_low", F64),
        ("swing_ci95_high", F64),
    ]
};

/// Columns of the Sobol design's table.
pub const SOBOL: Schema = {
    use ColumnType::{F64, Text};
    &[
        ("key", Text),
        ("first_order", F64),
        ("first_order_ci95_low", F64),
        ("first_order_ci95_high", F64),
        ("total", F64),
        ("total_ci95_low", F64),
        ("total_ci95_high", F64),
    ]
};

/// The values of `rows` under `f`, a value that is not finite being null.
fn numbers<T>(rows: &[T], f: impl Fn(&T) -> f64) -> Values {
    Values::OptionalF64(rows.iter().map(|r| Some(f(r)).filter(|x| x.is_finite())).collect())
}

/// `trial` or `event`: when a parameter is drawn.
pub fn scope_word(scope: Scope) -> &'static str {
    match scope {
        Scope::Trial => "trial",
        Scope::Event => "event",
    }
}

/// The tornado's table: one row per bar, in the answer's order (largest swing first).
pub fn tornado(answer: &TornadoAnswer) -> Table {
    let b: &[Bar] = &answer.bars;
    let columns = vec![
        Column::new("rank", Values::U64((1..=b.len() as u64).collect())),
        Column::new("key", Values::Text(b.iter().map(|x| x.key.clone()).collect())),
        Column::new("unit", Values::Text(b.iter().map(|x| x.unit.clone()).collect())),
        Column::new("scope", Values::Text(b.iter().map(|x| scope_word(x.scope).to_owned()).collect())),
        Column::new("low_value", numbers(b, |x| x.low_value)),
        Column::new("high_value", numbers(b, |x| x.high_value)),
        Column::new("low_mean", numbers(b, |x| x.low.mean)),
        Column::new("high_mean", numbers(b, |x| x.high.mean)),
        Column::new("low_change", numbers(b, |x| x.low_change.mean)),
        Column::new("high_change", numbers(b, |x| x.high_change.mean)),
        Column::new("swing", numbers(b, |x| x.swing.mean)),
        Column::new("swing_ci95_low", numbers(b, |x| x.swing.ci95_low)),
        Column::new("swing_ci95_high", numbers(b, |x| x.swing.ci95_high)),
    ];
    Table::new(b.len(), columns)
}

/// The Sobol design's table: the parameters by their total index (largest first, ties by key), then the events.
pub fn sobol(answer: &SobolAnswer) -> Table {
    let rows: Vec<&Factor> = answer.ranked_factors().into_iter().chain(std::iter::once(&answer.events)).collect();
    let columns = vec![
        Column::new("key", Values::Text(rows.iter().map(|x| x.key.clone()).collect())),
        Column::new("first_order", numbers(&rows, |x| x.first_order.value)),
        Column::new("first_order_ci95_low", numbers(&rows, |x| x.first_order.ci95_low)),
        Column::new("first_order_ci95_high", numbers(&rows, |x| x.first_order.ci95_high)),
        Column::new("total", numbers(&rows, |x| x.total.value)),
        Column::new("total_ci95_low", numbers(&rows, |x| x.total.ci95_low)),
        Column::new("total_ci95_high", numbers(&rows, |x| x.total.ci95_high)),
    ];
    Table::new(rows.len(), columns)
}
