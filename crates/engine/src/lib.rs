//! chokepoint's engine: a pure Monte Carlo model of supply disruptions in a stage graph.
//!
//! Build a [`ModelSpec`] (materials, stages, links, end uses, disruptions), validate it into a [`Model`] with
//! [`Model::new`], and run trials with [`runner::run`] (or, for long runs, [`batches::run_in_batches`], one bounded batch at a
//! time); summarise with [`report::summarize_run`] (or [`report::summarize_trials`], one column at a time). The engine does
//! no I/O, no printing and no serialisation: the scenario crate builds specs from TOML, the binary writes files.

#![warn(missing_docs)]

pub mod baseline;
pub mod batches;
pub mod float_math;
pub mod market;
pub mod model;
pub mod outcome;
pub mod param;
mod plan;
pub mod report;
pub mod rng;
pub mod runner;
mod sample;
pub mod stats;
pub mod trial;

pub use batches::{BandCounts, BatchLayout, run_in_batches};
pub use market::MarketSpec;
pub use model::{
    Allocation, Class, DemandSwitchSpec, Destinations, DisruptionKind, DisruptionSpec, EndUseSpec, FlowScope,
    IntensityChangeSpec, LinkSpec, MaterialSpec, Mitigations, Model, ModelError, ModelSpec, Node, StageSpec,
    StockWeeks, StockpileSpec, Timing, Unit, Unmet,
};
pub use outcome::{EndUseColumns, EndUseMetrics, EndUseOutcome};
pub use param::{Param, ParamError, ParamShape};
pub use runner::{MAX_BAND_CELLS, RunConfig, RunError, RunResults, band_stride, results_bytes, run, run_cancellable};
