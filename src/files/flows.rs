//! The files of `chokepoint trace` beside `trace.json`: `flows.parquet` and `flows.csv`, the same numbers, one row
//! per series and period (the table of `chokepoint-tables`, from the analysis library's traced flows).

use std::io::Write;

use chokepoint_analysis::flows::Flows;
use polars::prelude::*;

use crate::files::tables::{self, Origin, write_parquet_from};

pub const FLOWS_PARQUET_FILE: &str = "flows.parquet";
pub const FLOWS_CSV_FILE: &str = "flows.csv";

fn frame(flows: &Flows) -> PolarsResult<DataFrame> {
    tables::frame(chokepoint_tables::flows(flows))
}

/// Writes `flows.parquet` (zstd), with the run that made it in its key-value metadata.
pub fn write_parquet<W: Write>(w: W, flows: &Flows, origin: Origin<'_>) -> anyhow::Result<()> {
    write_parquet_from(w, &mut frame(flows)?, origin)?;
    Ok(())
}

/// Writes `flows.csv`.
pub fn write_csv<W: Write>(w: W, flows: &Flows) -> anyhow::Result<()> {
    CsvWriter::new(w).include_header(true).finish(&mut frame(flows)?)?;
    Ok(())
}
