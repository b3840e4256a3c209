//! The files of `chokepoint sensitivity` beside `sensitivity.json` (whose type is in `documents/sensitivity.rs`):
//! `tornado.csv`/`.parquet` (one row per bar) and `sobol.csv`/`.parquet` (one row per factor, the events
//! included), the tables of `chokepoint-tables`.

use std::io::Write;

use polars::prelude::*;

use chokepoint_analysis::sobol::SobolAnswer;
use chokepoint_analysis::tornado::TornadoAnswer;

use crate::files::tables::{self, Origin, write_parquet_from};

pub const SENSITIVITY_JSON_FILE: &str = "sensitivity.json";
pub const TORNADO_CSV_FILE: &str = "tornado.csv";
pub const TORNADO_PARQUET_FILE: &str = "tornado.parquet";
pub const SOBOL_CSV_FILE: &str = "sobol.csv";
pub const SOBOL_PARQUET_FILE: &str = "sobol.parquet";

/// Writes `tornado.csv`.
pub fn write_tornado_csv<W: Write>(w: W, t: &TornadoAnswer) -> anyhow::Result<()> {
    CsvWriter::new(w).include_header(true).finish(&mut tables::frame(chokepoint_tables::tornado(t))?)?;
    Ok(())
}

/// Writes `tornado.parquet` (zstd), with the run that made it in its key-value metadata.
pub fn write_tornado_parquet<W: Write>(w: W, t: &TornadoAnswer, origin: Origin<'_>) -> anyhow::Result<()> {
    write_parquet_from(w, &mut tables::frame(chokepoint_tables::tornado(t))?, origin)?;
    Ok(())
}

/// Writes `sobol.csv`.
pub fn write_sobol_csv<W: Write>(w: W, s: &SobolAnswer) -> anyhow::Result<()> {
    CsvWriter::new(w).include_header(true).finish(&mut tables::frame(chokepoint_tables::sobol(s))?)?;
    Ok(())
}

/// Writes `sobol.parquet` (zstd), with the run that made it in its key-value metadata.
pub fn write_sobol_parquet<W: Write>(w: W, s: &SobolAnswer, origin: Origin<'_>) -> anyhow::Result<()> {
    write_parquet_from(w, &mut tables::frame(chokepoint_tables::sobol(s))?, origin)?;
    Ok(())
}
