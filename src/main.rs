//! The `chokepoint` command line: parses arguments, runs one command and maps its outcome to an exit code.

mod batch_summary;
mod check;
mod cli;
mod commands;
mod comparison;
mod comparison_output;
mod console;
mod failure;
mod file_summary;
mod flows;
mod graph;
mod metric;
mod optimize_output;
mod options;
mod output;
mod output_paths;
mod progress;
mod report;
mod run_output;
mod run_record;
mod scenario_source;
mod sensitivity_output;
mod shard;
mod sizing;
mod staged_files;
mod study_json;
mod summary_json;
mod sweep_output;
mod table;
mod timestamp;
mod trial_files;
mod value_of_information;
mod worlds_output;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::Command::from_env() {
        Ok(command) => failure::exit_code(commands::execute(command)),
        Err(code) => code,
    }
}
