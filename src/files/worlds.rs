//! The file of the two-level study of `run --worlds` beside the `worlds` section of `summary.json` (whose type is
//! in `documents/worlds.rs`): `worlds.parquet`, every world's knowledge values and metrics.

use std::io::Write;

use chokepoint_analysis::worlds::WorldsAnswer;
use polars::prelude::*;

use crate::files::tables::{Origin, write_parquet_from};

pub const WORLDS_FILE: &str = "worlds.parquet";

/// `worlds.parquet`: one row per world and quantity: `knowledge` (a parameter's value, `name` its key), or a metric
/// (`short_or_late`, `units_short`, `max_delay_weeks`, with `name` the end use; `loss`, with an empty name).
pub fn write_worlds<W: Write>(
    w: W,
    answer: &WorldsAnswer,
    end_uses: &[String],
    origin: Origin<'_>,
) -> anyhow::Result<()> {
    let (mut world, mut quantity, mut name, mut value) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut push = |wd: usize, q: &str, n: &str, v: f64| {
        world.push(wd as u64);
        quantity.push(q.to_owned());
        name.push(n.to_owned());
        value.push(v.is_finite().then_some(v));
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
    let n = world.len();
    let mut frame = DataFrame::new(
        n,
        vec![
            Column::new("world".into(), world),
            Column::new("quantity".into(), quantity),
            Column::new("name".into(), name),
            Column::new("value".into(), value),
        ],
    )?;
    write_parquet_from(w, &mut frame, origin)?;
    Ok(())
}
