//! The files of a command's output folder: folders named after a scenario, sets of files staged and committed all
//! or nothing, the tables of `chokepoint-tables` as polars DataFrames (Parquet, CSV), the per-trial files of a run
//! streamed batch by batch and read back, shards and their manifests, and each command's own files.

pub mod batch;
pub mod compare;
pub mod comparison;
pub mod flows;
pub mod folders;
pub mod optimize;
pub mod run;
pub mod sensitivity;
pub mod shard;
pub mod staged;
pub mod sweep;
pub mod tables;
pub mod trial_summary;
pub mod trials;
pub mod worlds;
