//! The table of a two-level study (`worlds.parquet` of `run --worlds`, the Python package's `WorldsResult.table`):
//! one row per world and quantity, `knowledge` (a parameter's value in that world, `name` its key) or a metric
//! over the world's trials (`loss` with an empty name; `short_or_late`, `units_short`, `max_delay_weeks` with
//! `name` the end use).

use chokepoint_analysis::worlds::WorldsAnswer;

use crate::column::{Column, ColumnType, Schema, Table, Values};

/// Columns of the two-level study's table.
pub const WORLDS: Schema = {
    use ColumnType::{F64, Text, U64};
    &[("world", U64), ("quantity", Text), ("name", Text), ("value", F64)]
};

/// The two-level study's table: `end_uses` names the end uses in model order. A value that is not finite (the
/// mean delay of a world with no late unit) is null.
pub fn worlds(answer: &WorldsAnswer, end_uses: &[String]) -> Table {
    let (mut world, mut quantity, mut name, mut value) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut push = |wd: usize, q: &str, n: &str, v: f64| {
        world.push(wd as u64);
        quantity.push(q.to_owned());
        name.push(n.to_owned());
        value.push(Some(v).filter(|x| x.is_finite()));
    };
    for wd in 0..answer.worlds {
        for (key, values) in answer.knowledge.iter().zip(&answer.values) {
            push(wd, "knowledge", key, values[wd]);
        }
        push(wd, "loss", "", answer.loss.per_world[wd]);
        for (e, x) in end_uses.iter().zip(&answer.end_uses) {
            push(wd, "short_or_late", e, x.short_or_late.per_world[wd]);
            push(wd, "units_short", e, x.units_short.per_world[wd]);
            push(wd, "max_delay_weeks", e, x.max_delay_weeks.per_world[wd]);
        }
    }
    let rows = world.len();
    Table::new(
        rows,
        vec![
            Column::new("world", Values::U64(world)),
            Column::new("quantity", Values::Text(quantity)),
            Column::new("name", Values::Text(name)),
            Column::new("value", Values::OptionalF64(value)),
        ],
    )
}
