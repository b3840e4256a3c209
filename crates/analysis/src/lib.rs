//! chokepoint's analyses: studies that run a scenario, or variants of it, and turn the trials into answers.
//!
//! - [`loss`]: the loss measure that puts every end use on one scale, per trial;
//! - [`outcome`]: what an analysis keeps of a run, per trial and end use;
//! - [`paired`]: paired differences on common random numbers;
//! - [`comparison`]: mitigation options against the baseline, per end use and overall, with rankings and costs;
//! - [`sizing`]: the smallest stockpile that meets a target, and the time it covers;
//! - [`portfolio`]: the best set of mitigations within a budget, and its efficient frontier;
//! - [`variants`]: running variants one after the other with one progress count;
//! - [`parameters`], [`quantile`]: choosing uncertain parameters by key and replacing them, and their quantiles;
//! - [`sweep`]: the scenario at every point of a grid of values of some of its keys;
//! - [`tornado`]: one parameter at a time at its low and high quantile;
//! - [`sobol`]: first-order and total variance-based indices, with the trial's event randomness as a factor;
//! - [`worlds`]: two-level uncertainty, knowledge drawn once per world and events per trial;
//! - [`evppi`]: the expected value of perfect information about each parameter, for a choice among options;
//! - [`exceedance`]: exceedance curves of an end use's units short, or of its longest delay, across trials;
//! - [`flows`]: weekly flows of traced trials and their export, import and throughput indices, each trial against
//!   itself without disruptions (`chokepoint trace`).
//!
//! The crate does no I/O, no serialisation and no printing: the binary and other front ends turn its results
//! into files and tables. Everything is deterministic for a given scenario, seed and trial count, whatever the
//! number of threads.

#![warn(missing_docs)]

pub mod comparison;
pub mod evppi;
pub mod exceedance;
pub mod flows;
pub mod limits;
pub mod loss;
pub mod outcome;
pub mod paired;
pub mod parameters;
pub mod portfolio;
pub mod quantile;
pub mod sizing;
pub mod sobol;
pub mod sweep;
pub mod tornado;
pub mod variants;
pub mod worlds;

use chokepoint_engine::RunError;
use chokepoint_scenario::VariantError;

/// Why an analysis could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// A variant of the scenario could not be built (an unknown mitigation, or mitigations that do not fit
    /// together).
    #[error(transparent)]
    Variant(#[from] VariantError),
    /// The trials could not run.
    #[error("could not run the trials: {0}")]
    Run(#[from] RunError),
    /// The question cannot be answered as asked (its message names the setting to change).
    #[error("{0}")]
    Question(String),
}
