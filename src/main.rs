//! The `chokepoint` command line: parses arguments, runs one command and maps its outcome to an exit code.

mod cli;
mod commands;
mod failure;
mod graph;
mod output;
mod progress;
mod run_record;
mod scenario_source;
mod staged_files;
mod summary_json;
mod table;
mod timestamp;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::Command::from_env() {
        Ok(command) => failure::exit_code(commands::execute(command)),
        Err(code) => code,
    }
}
