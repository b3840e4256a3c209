//! The tables of a value-of-information study (the Python package's `ValueOfInformation.parameters` and `.samples`;
//! the CLI writes the same answer into the `value_of_information` section of `compare.json` and `optimize.json`).

use chokepoint_analysis::evppi::EvppiAnswer;

use crate::column::{Column, ColumnType, Schema, Table, Values};

/// Columns of the parameters' table: one row per parameter valued, most valuable first.
pub const EVPPI: Schema = {
    use ColumnType::{F64, Text};
    &[
        ("key", Text),
        ("unit", Text),
        ("evppi", F64),
        ("ci95_low", F64),
        ("ci95_high", F64),
        ("bias", F64),
        ("switch_share", F64),
    ]
};

/// Columns of the outer samples' table: one row per parameter and outer sample, with the parameter's value (in
/// its key's unit) and the option that is best when it is known.
pub const EVPPI_SAMPLES: Schema = {
    use ColumnType::{F64, Text, U64};
    &[("key", Text), ("sample", U64), ("value", F64), ("best", Text)]
};

/// A value that is not finite (an interval with no bootstrap replicates) is null.
fn finite(x: f64) -> Option<f64> {
    Some(x).filter(|x| x.is_finite())
}

/// The parameters' table of `answer`.
pub fn evppi(answer: &EvppiAnswer) -> Table {
    let p = &answer.parameters;
    let column = |name: &'static str, f: fn(&chokepoint_analysis::evppi::ParameterValue) -> f64| {
        Column::new(name, Values::OptionalF64(p.iter().map(|v| finite(f(v))).collect()))
    };
    Table::new(
        p.len(),
        vec![
            Column::new("key", Values::Text(p.iter().map(|v| v.key.clone()).collect())),
            Column::new("unit", Values::Text(p.iter().map(|v| v.unit.clone()).collect())),
            column("evppi", |v| v.evppi),
            column("ci95_low", |v| v.ci95_low),
            column("ci95_high", |v| v.ci95_high),
            column("bias", |v| v.bias),
            Column::new("switch_share", Values::F64(p.iter().map(|v| v.switch_share).collect())),
        ],
    )
}

/// The outer samples' table of `answer`, parameter by parameter in the order of [`evppi`]'s rows.
pub fn evppi_samples(answer: &EvppiAnswer) -> Table {
    let (mut key, mut sample, mut value, mut best) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for p in &answer.parameters {
        for (j, (&x, &b)) in p.outer_values.iter().zip(&p.best_by_sample).enumerate() {
            key.push(p.key.clone());
            sample.push(j as u64);
            value.push(finite(x));
            best.push(answer.options[b].clone());
        }
    }
    Table::new(
        key.len(),
        vec![
            Column::new("key", Values::Text(key)),
            Column::new("sample", Values::U64(sample)),
            Column::new("value", Values::OptionalF64(value)),
            Column::new("best", Values::Text(best)),
        ],
    )
}
