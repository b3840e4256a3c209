//! The file of the two-level study of `run --worlds` beside the `worlds` section of `summary.json` (whose type is
//! in `documents/worlds.rs`): `worlds.parquet`, every world's knowledge values and metrics (the table of
//! `chokepoint-tables`).

use std::io::Write;

use chokepoint_analysis::worlds::WorldsAnswer;

use crate::files::tables::{self, Origin, write_parquet_from};

pub const WORLDS_FILE: &str = "worlds.parquet";

/// `worlds.parquet`: one row per world and quantity: `knowledge` (a parameter's value, `name` its key), or a metric
/// (`short_or_late`, `units_short`, `max_delay_weeks`, with `name` the end use; `loss`, with an empty name).
pub fn write_worlds<W: Write>(
    w: W,
    answer: &WorldsAnswer,
    end_uses: &[String],
    origin: Origin<'_>,
) -> anyhow::Result<()> {
    let mut frame = tables::frame(chokepoint_tables::worlds(answer, end_uses))?;
    write_parquet_from(w, &mut frame, origin)?;
    Ok(())
}
