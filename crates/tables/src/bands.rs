//! The fan-chart tables: `bands.parquet` (quantiles of the weekly share of requirement met, per end use and
//! period) and `backlog_bands.parquet` (quantiles of the backlog in weeks of normal demand, per backlogged end use
//! and period).

use chokepoint_engine::report::{BACKLOG_BAND_QUANTILES, BAND_QUANTILES, RunSummary};

use crate::TableError;
use crate::column::{Column, ColumnType, Schema, Table, Values};

/// Columns of `bands.parquet`.
pub const BANDS: Schema = {
    use ColumnType::{F64, Text, U32};
    &[
        ("end_use", Text),
        ("period", U32),
        ("week", F64),
        ("p5", F64),
        ("p25", F64),
        ("p50", F64),
        ("p75", F64),
        ("p95", F64),
        ("mean", F64),
    ]
};

/// Columns of `backlog_bands.parquet`.
pub const BACKLOG_BANDS: Schema = {
    use ColumnType::{F64, Text, U32};
    &[
        ("end_use", Text),
        ("period", U32),
        ("week", F64),
        ("p_backlog", F64),
        ("p5", F64),
        ("p25", F64),
        ("p50", F64),
        ("p75", F64),
        ("p95", F64),
        ("p99", F64),
    ]
};

/// `bands.parquet`: one row per end use and period kept (every period, or every `period_stride`-th on a very long
/// horizon), ordered by end use, then period.
pub fn bands(summary: &RunSummary, period_weeks: f64) -> Result<Table, TableError> {
    let rows: usize = summary.bands.iter().map(|b| b.quantiles.len()).sum();
    let mut keys = Keys::with_capacity(rows);
    let mut quantiles: [Vec<f64>; 5] = Default::default();
    let mut mean = Vec::with_capacity(rows);
    for band in &summary.bands {
        for (j, (q, m)) in band.quantiles.iter().zip(&band.mean).enumerate() {
            keys.push(&band.end_use, j * band.period_stride, period_weeks)?;
            for (column, value) in quantiles.iter_mut().zip(q) {
                column.push(*value);
            }
            mean.push(*m);
        }
    }
    debug_assert_eq!(BAND_QUANTILES, [0.05, 0.25, 0.50, 0.75, 0.95]);
    let [p5, p25, p50, p75, p95] = quantiles;
    let mut columns = keys.columns();
    columns.extend([
        Column::new("p5", Values::F64(p5)),
        Column::new("p25", Values::F64(p25)),
        Column::new("p50", Values::F64(p50)),
        Column::new("p75", Values::F64(p75)),
        Column::new("p95", Values::F64(p95)),
        Column::new("mean", Values::F64(mean)),
    ]);
    Ok(Table::new(rows, columns))
}

/// `backlog_bands.parquet`: one row per backlogged end use and period kept, ordered by end use, then period (no
/// rows when the scenario has no backlogged end use).
pub fn backlog_bands(summary: &RunSummary, period_weeks: f64) -> Result<Table, TableError> {
    let rows: usize = summary.backlog_bands.iter().map(|b| b.quantiles.len()).sum();
    let mut keys = Keys::with_capacity(rows);
    let mut p_backlog = Vec::with_capacity(rows);
    let mut quantiles: [Vec<f64>; 6] = Default::default();
    for band in &summary.backlog_bands {
        for (j, (q, p)) in band.quantiles.iter().zip(&band.p_backlog).enumerate() {
            keys.push(&band.end_use, j * band.period_stride, period_weeks)?;
            p_backlog.push(*p);
            for (column, value) in quantiles.iter_mut().zip(q) {
                column.push(*value);
            }
        }
    }
    debug_assert_eq!(BACKLOG_BAND_QUANTILES, [0.05, 0.25, 0.50, 0.75, 0.95, 0.99]);
    let [p5, p25, p50, p75, p95, p99] = quantiles;
    let mut columns = keys.columns();
    columns.extend([
        Column::new("p_backlog", Values::F64(p_backlog)),
        Column::new("p5", Values::F64(p5)),
        Column::new("p25", Values::F64(p25)),
        Column::new("p50", Values::F64(p50)),
        Column::new("p75", Values::F64(p75)),
        Column::new("p95", Values::F64(p95)),
        Column::new("p99", Values::F64(p99)),
    ]);
    Ok(Table::new(rows, columns))
}

/// The first three columns of both band tables: the end use, the period and its week.
struct Keys {
    end_use: Vec<String>,
    period: Vec<u32>,
    week: Vec<f64>,
}

impl Keys {
    fn with_capacity(rows: usize) -> Self {
        Self { end_use: Vec::with_capacity(rows), period: Vec::with_capacity(rows), week: Vec::with_capacity(rows) }
    }

    fn push(&mut self, end_use: &str, period: usize, period_weeks: f64) -> Result<(), TableError> {
        self.end_use.push(end_use.to_owned());
        self.period.push(u32::try_from(period).map_err(|_| TableError::TooManyPeriods { period })?);
        self.week.push(period as f64 * period_weeks);
        Ok(())
    }

    fn columns(self) -> Vec<Column> {
        vec![
            Column::new("end_use", Values::Text(self.end_use)),
            Column::new("period", Values::U32(self.period)),
            Column::new("week", Values::F64(self.week)),
        ]
    }
}
