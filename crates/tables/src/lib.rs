//! The tables of a chokepoint run, as named, typed columns: what `trials.parquet`, `stage_losses.parquet`,
//! `stockpiles.parquet`, `bands.parquet`, `backlog_bands.parquet` and `summary.csv` hold, built from the engine's
//! results, the scenario and the per-trial losses of the analysis library; and the tables of the studies
//! (`sweep.parquet`, `tornado.parquet`, `sobol.parquet`, `worlds.parquet`, and the value of information's tables)
//! and of traced flows (`flows.parquet`, `flows.csv`), built from the analysis library's answers.
//!
//! One builder per table says *which columns* a table has, their names, types, order and values; *when* rows
//! are written is the caller's business: the per-trial tables are built for a range of trials of one end use or
//! stage at a time, so that a writer can stream them in bounded batches. Front ends convert a [`Table`] into
//! their own frames (polars in the binary, Arrow in the Python package), so every front end gives the same
//! columns with the same values. The crate does no I/O and knows neither polars nor serde.
//! `docs/output-schema.md` describes every column.

#![warn(missing_docs)]

mod bands;
mod column;
mod flows;
mod labels;
mod sensitivity;
mod summary;
mod sweep;
mod trials;
mod value_of_information;
mod worlds;

pub use bands::{BACKLOG_BANDS, BANDS, backlog_bands, bands};
pub use column::{Column, ColumnType, Schema, Table, Values};
pub use flows::{FLOWS, flows};
pub use labels::{stage_unit, unit_name, unmet_word};
pub use sensitivity::{SOBOL, TORNADO, scope_word, sobol, tornado};
pub use summary::{STAT_COLUMNS, SUMMARY, summary, summary_with_losses};
pub use sweep::{SWEEP, SWEEP_KEYS_AFTER, key_values as sweep_key_values, sweep};
pub use trials::{
    STAGE_LOSSES, STOCKPILES, TRIALS, stage_losses, stage_losses_of_run, stockpiles, trials, trials_of_run,
};
pub use value_of_information::{EVPPI, EVPPI_SAMPLES, evppi, evppi_samples};
pub use worlds::{WORLDS, worlds};

/// Why a table could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// A period index does not fit the `period` column (`u32`).
    #[error("period {period} does not fit in the `period` column: too many periods")]
    TooManyPeriods {
        /// The period that does not fit.
        period: usize,
    },
}
