//! The files of `chokepoint sweep` beside `sweep.json` (whose type is in `documents/sweep.rs`): `sweep.csv` and
//! `sweep.parquet`, the same numbers, one row per point, end use and metric.

use std::io::Write;

use polars::prelude::*;

use chokepoint_analysis::sweep::SweepAnswer;
use chokepoint_tables::{SWEEP_KEYS_AFTER, sweep_key_values};

use crate::documents::sweep::SweepDocument;
use crate::files::tables::{self, Origin, write_parquet_from};

pub const SWEEP_JSON_FILE: &str = "sweep.json";
pub const SWEEP_CSV_FILE: &str = "sweep.csv";
pub const SWEEP_PARQUET_FILE: &str = "sweep.parquet";

/// `sweep.csv` and `sweep.parquet`: the table of `chokepoint-tables` (one row per point, end use and metric), with
/// each swept key's value as a column named by the key after `point`.
fn frame(doc: &SweepDocument, answer: &SweepAnswer) -> PolarsResult<DataFrame> {
    let end_uses: Vec<String> = doc.end_uses.iter().map(|e| e.name.clone()).collect();
    let table = chokepoint_tables::sweep(&end_uses, answer);
    let keys: Vec<Vec<f64>> = (0..doc.keys.len()).map(|k| sweep_key_values(answer, &table, k)).collect();
    let mut frame = tables::frame(table)?;
    for (k, (key, values)) in doc.keys.iter().zip(keys).enumerate() {
        frame.insert_column(SWEEP_KEYS_AFTER + k, Column::new(key.as_str().into(), values))?;
    }
    Ok(frame)
}

/// Writes `sweep.csv`.
pub fn write_csv<W: Write>(w: W, doc: &SweepDocument, answer: &SweepAnswer) -> anyhow::Result<()> {
    CsvWriter::new(w).include_header(true).finish(&mut frame(doc, answer)?)?;
    Ok(())
}

/// Writes `sweep.parquet` (zstd), with the run that made it in its key-value metadata.
pub fn write_parquet<W: Write>(w: W, doc: &SweepDocument, answer: &SweepAnswer) -> anyhow::Result<()> {
    write_parquet_from(w, &mut frame(doc, answer)?, Origin::of(&doc.scenario, &doc.run))?;
    Ok(())
}
