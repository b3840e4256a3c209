//! `chokepoint completions SHELL`: the shell completion script, generated from the command-line definition.

use crate::failure::Failure;

pub fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut command = crate::cli::Command::clap_command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "chokepoint", &mut script);
    super::print_stdout(&String::from_utf8_lossy(&script))?;
    Ok(())
}
