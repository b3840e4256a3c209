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

/// jemalloc rather than the C library's malloc: the binary frees many large buffers (each batch's results, Parquet
/// pages, a column of every trial per summary), which glibc's malloc kept in its arenas instead of returning them
/// (see Cargo.toml). The engine allocates nothing per period, so its speed does not depend on the allocator.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    match cli::Command::from_env() {
        Ok(command) => failure::exit_code(commands::execute(command)),
        Err(code) => code,
    }
}
