//! The documents the binary writes and reads back: one serde type per JSON output file (`summary.json`,
//! `compare.json`, `sizing.json`, `optimize.json`, `sweep.json`, `sensitivity.json`, the `worlds` section of
//! `summary.json`, `run.json`, `compare_run.json` and the other run records, the pieces the study documents share),
//! the timestamps they record, and `chokepoint check`'s thresholds over them.

pub mod check;
pub mod compare;
pub mod compare_record;
pub mod header;
pub mod optimize;
pub mod run_record;
pub mod sensitivity;
pub mod sizing;
pub mod study;
pub mod summary;
pub mod sweep;
pub mod timestamp;
pub mod value_of_information;
pub mod worlds;
