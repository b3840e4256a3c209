//! The files of `chokepoint sensitivity` beside `sensitivity.json` (whose type is in `documents/sensitivity.rs`):
//! `tornado.csv`/`.parquet` (one row per bar) and `sobol.csv`/`.parquet` (one row per factor, the events
//! included).

use std::io::Write;

use polars::prelude::*;

use crate::documents::sensitivity::{BarJson, FactorJson, SobolJson, TornadoJson};
use crate::files::tables::{Origin, write_parquet_from};

pub const SENSITIVITY_JSON_FILE: &str = "sensitivity.json";
pub const TORNADO_CSV_FILE: &str = "tornado.csv";
pub const TORNADO_PARQUET_FILE: &str = "tornado.parquet";
pub const SOBOL_CSV_FILE: &str = "sobol.csv";
pub const SOBOL_PARQUET_FILE: &str = "sobol.parquet";

fn frame_tornado(t: &TornadoJson) -> PolarsResult<DataFrame> {
    let b = &t.bars;
    let f = |name: &str, g: &dyn Fn(&BarJson) -> f64| {
        Column::new(name.into(), b.iter().map(|x| g(x).is_finite().then(|| g(x))).collect::<Vec<Option<f64>>>())
    };
    let columns = vec![
        Column::new("rank".into(), (1..=b.len() as u64).collect::<Vec<u64>>()),
        Column::new("key".into(), b.iter().map(|x| x.key.clone()).collect::<Vec<String>>()),
        Column::new("unit".into(), b.iter().map(|x| x.unit.clone()).collect::<Vec<String>>()),
        Column::new("scope".into(), b.iter().map(|x| x.scope.clone()).collect::<Vec<String>>()),
        f("low_value", &|x| x.low_value),
        f("high_value", &|x| x.high_value),
        f("low_mean", &|x| x.low_mean),
        f("high_mean", &|x| x.high_mean),
        f("low_change", &|x| x.low_change.mean),
        f("high_change", &|x| x.high_change.mean),
        f("swing", &|x| x.swing.mean),
        f("swing_ci95_low", &|x| x.swing.ci95_low),
        f("swing_ci95_high", &|x| x.swing.ci95_high),
    ];
    DataFrame::new(b.len(), columns)
}

fn frame_sobol(s: &SobolJson) -> PolarsResult<DataFrame> {
    let rows: Vec<&FactorJson> = s.factors.iter().chain(std::iter::once(&s.events)).collect();
    let f = |name: &str, g: &dyn Fn(&FactorJson) -> f64| {
        Column::new(name.into(), rows.iter().map(|x| g(x).is_finite().then(|| g(x))).collect::<Vec<Option<f64>>>())
    };
    let columns = vec![
        Column::new("key".into(), rows.iter().map(|x| x.key.clone()).collect::<Vec<String>>()),
        f("first_order", &|x| x.first_order.value),
        f("first_order_ci95_low", &|x| x.first_order.ci95_low),
        f("first_order_ci95_high", &|x| x.first_order.ci95_high),
        f("total", &|x| x.total.value),
        f("total_ci95_low", &|x| x.total.ci95_low),
        f("total_ci95_high", &|x| x.total.ci95_high),
    ];
    DataFrame::new(rows.len(), columns)
}

/// Writes `tornado.csv`.
pub fn write_tornado_csv<W: Write>(w: W, t: &TornadoJson) -> anyhow::Result<()> {
    CsvWriter::new(w).include_header(true).finish(&mut frame_tornado(t)?)?;
    Ok(())
}

/// Writes `tornado.parquet` (zstd), with the run that made it in its key-value metadata.
pub fn write_tornado_parquet<W: Write>(w: W, t: &TornadoJson, origin: Origin<'_>) -> anyhow::Result<()> {
    write_parquet_from(w, &mut frame_tornado(t)?, origin)?;
    Ok(())
}

/// Writes `sobol.csv`.
pub fn write_sobol_csv<W: Write>(w: W, s: &SobolJson) -> anyhow::Result<()> {
    CsvWriter::new(w).include_header(true).finish(&mut frame_sobol(s)?)?;
    Ok(())
}

/// Writes `sobol.parquet` (zstd), with the run that made it in its key-value metadata.
pub fn write_sobol_parquet<W: Write>(w: W, s: &SobolJson, origin: Origin<'_>) -> anyhow::Result<()> {
    write_parquet_from(w, &mut frame_sobol(s)?, origin)?;
    Ok(())
}
