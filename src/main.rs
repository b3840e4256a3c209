//! The `chokepoint` command line: parses arguments, runs one command and maps its outcome to an exit code.

mod cli;
mod commands;
mod documents;
mod failure;
mod files;
mod metric;
mod options;
mod render;
mod report;
mod scenario_source;
mod value_of_information;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::Command::from_env() {
        Ok(command) => failure::exit_code(commands::execute(command)),
        Err(code) => code,
    }
}
