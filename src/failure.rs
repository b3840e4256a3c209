//! Why a command failed, and the exit code each kind of failure ends the process with.
//!
//! Exit codes (documented in `docs/cli.md`): 0 success; 1 a runtime or I/O error; 2 a usage error (clap's, or one
//! found once the scenario is read, such as an unknown mitigation) or a scenario that was refused; 3 a sizing
//! target that even the largest size searched does not meet. A closed stdout (`chokepoint graph s.toml | head`)
//! is not an error.

use std::io;
use std::process::ExitCode;

/// Exit code of a runtime or I/O error.
pub const EXIT_RUNTIME: u8 = 1;
/// Exit code of a usage error or an invalid scenario.
pub const EXIT_INVALID: u8 = 2;
/// Exit code of `size-stockpile` when even the largest size searched misses the target.
pub const EXIT_TARGET_NOT_MET: u8 = 3;

/// A failed command.
#[derive(Debug)]
pub enum Failure {
    /// The scenario was refused. Its diagnostics, already rendered, are printed to stderr.
    InvalidScenario { origin: String, errors: usize, rendered: String },
    /// Arguments that do not fit the scenario (an unknown mitigation, a stockpile that is not one), found once
    /// the scenario is read. The message is printed as `error: ...`.
    Usage(String),
    /// A search whose target is not met within its range; its report was already written and printed.
    TargetNotMet(String),
    /// Anything else: I/O, a thread pool that could not start, a file that could not be written.
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Runtime(e)
    }
}

/// Whether `e` was caused by writing to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}

/// Reports a command's outcome on stderr and turns it into the process's exit code.
pub fn exit_code(outcome: Result<(), Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Runtime(e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_RUNTIME)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_INVALID)
        }
        Err(Failure::TargetNotMet(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_TARGET_NOT_MET)
        }
        Err(Failure::InvalidScenario { origin, errors, rendered }) => {
            eprint!("{rendered}");
            if !rendered.is_empty() && !rendered.ends_with('\n') {
                eprintln!();
            }
            let s = if errors == 1 { "" } else { "s" };
            eprintln!("error: scenario `{origin}` was refused ({errors} error{s})");
            ExitCode::from(EXIT_INVALID)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_is_recognised_through_context() {
        let e = anyhow::Error::from(io::Error::from(io::ErrorKind::BrokenPipe)).context("could not write the graph");
        assert!(is_broken_pipe(&e));
        assert!(!is_broken_pipe(&anyhow::anyhow!("disk full")));
    }
}
