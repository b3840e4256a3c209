//! Why a command failed, and the exit code each kind of failure ends the process with.
//!
//! Exit codes (documented in `docs/cli.md`): 0 success; 1 a runtime or I/O error; 2 a usage error (clap's, or one
//! found once the scenario is read, such as an unknown mitigation) or a scenario that was refused; 3 a sizing
//! target that even the largest size searched does not meet; 4 a `check` threshold that was crossed. A closed
//! stdout (`chokepoint graph s.toml | head`) is not an error, and a closed stderr is not written to.

use std::io;
use std::process::ExitCode;

use chokepoint_scenario::Diagnostics;

use crate::render::console;

/// Exit code of a runtime or I/O error.
pub const EXIT_RUNTIME: u8 = 1;
/// Exit code of a usage error or an invalid scenario.
pub const EXIT_INVALID: u8 = 2;
/// Exit code of `size-stockpile` when even the largest size searched misses the target.
pub const EXIT_TARGET_NOT_MET: u8 = 3;
/// Exit code of `check` when a threshold is crossed.
pub const EXIT_THRESHOLD_CROSSED: u8 = 4;

/// A failed command.
#[derive(Debug)]
pub enum Failure {
    /// The scenario was refused: every diagnostic is printed to stderr, then one summary line.
    InvalidScenario(Box<Diagnostics>),
    /// Arguments that do not fit the scenario (an unknown mitigation, a stockpile that is not one), found once
    /// the scenario is read. The message is printed as `error: ...`.
    Usage(String),
    /// A search whose target is not met within its range; its report was already written and printed.
    TargetNotMet(String),
    /// A `check` whose thresholds were crossed; what crossed them was already printed.
    ThresholdCrossed(String),
    /// Anything else: I/O, a thread pool that could not start, a file that could not be written.
    Runtime(anyhow::Error),
    /// Failures already reported on stderr (one per scenario of `validate`): only the exit code is left.
    Reported(u8),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Runtime(e)
    }
}

impl From<Diagnostics> for Failure {
    fn from(d: Diagnostics) -> Self {
        Failure::InvalidScenario(Box::new(d))
    }
}

/// Whether `e` was caused by writing to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}

/// Reports a command's outcome on stderr and turns it into the process's exit code.
pub fn exit_code(outcome: Result<(), Failure>) -> ExitCode {
    let error = console::error_label();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Runtime(e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(Failure::Runtime(e)) => {
            console::eprintln(&format!("{error} {e:#}"));
            ExitCode::from(EXIT_RUNTIME)
        }
        Err(Failure::Usage(message)) => {
            console::eprintln(&format!("{error} {message}"));
            ExitCode::from(EXIT_INVALID)
        }
        Err(Failure::TargetNotMet(message)) => {
            console::eprintln(&format!("{error} {message}"));
            ExitCode::from(EXIT_TARGET_NOT_MET)
        }
        Err(Failure::ThresholdCrossed(message)) => {
            console::eprintln(&format!("{error} {message}"));
            ExitCode::from(EXIT_THRESHOLD_CROSSED)
        }
        Err(Failure::Reported(code)) => ExitCode::from(code),
        Err(Failure::InvalidScenario(diagnostics)) => {
            console::eprint(&diagnostics.render_items(console::style()));
            let summary = diagnostics.summary();
            console::eprintln(&format!("{error}{}", summary.strip_prefix("error:").unwrap_or(&summary)));
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
