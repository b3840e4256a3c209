//! Standard error: whether diagnostics are coloured (`--color`, `NO_COLOR`, a terminal), and writing to it
//! without ever panicking when it is closed (`chokepoint validate x.toml 2>&- `, a reader that went away).

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use chokepoint_scenario::Style;

/// The value of `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and `NO_COLOR` is not set (to anything but the empty string).
    #[default]
    Auto,
    /// Always colour, even when piped or with `NO_COLOR` set.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether stderr gets colours, given the environment's `NO_COLOR` and whether stderr is a terminal.
    pub fn colors(self, no_color: Option<&std::ffi::OsStr>, stderr_is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // https://no-color.org: set and not empty disables colour.
            ColorChoice::Auto => stderr_is_terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }

    /// The choice resolved for this process.
    pub fn resolve(self) -> bool {
        self.colors(std::env::var_os("NO_COLOR").as_deref(), std::io::stderr().is_terminal())
    }

    /// clap's own setting for its messages (usage errors, help).
    pub fn for_clap(self) -> clap::ColorChoice {
        match self {
            ColorChoice::Auto if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => {
                clap::ColorChoice::Never
            }
            ColorChoice::Auto => clap::ColorChoice::Auto,
            ColorChoice::Always => clap::ColorChoice::Always,
            ColorChoice::Never => clap::ColorChoice::Never,
        }
    }
}

static COLORS: OnceLock<bool> = OnceLock::new();

/// Sets, once, whether diagnostics on stderr are coloured; later calls change nothing.
pub fn set_colors(colors: bool) {
    let _ = COLORS.set(colors);
}

/// The style of diagnostics on stderr (plain until [`set_colors`] says otherwise).
pub fn style() -> Style {
    if COLORS.get().copied().unwrap_or(false) { Style::ANSI } else { Style::PLAIN }
}

/// Writes `text` to stderr. A stderr that is closed or full is ignored: there is nowhere left to report it, and
/// it must not turn into a panic (exit code 101).
pub fn eprint(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes()).and_then(|()| stderr.flush());
}

/// [`eprint`] with a newline.
pub fn eprintln(text: &str) {
    eprint(&format!("{text}\n"));
}

/// `error: ` in the style of diagnostics.
pub fn error_label() -> String {
    let s = style();
    if s == Style::PLAIN { "error:".to_owned() } else { format!("{}error\x1b[0m{}:\x1b[0m", s.error, s.bold) }
}

/// `warning: ` in the style of diagnostics.
pub fn warning_label() -> String {
    let s = style();
    if s == Style::PLAIN { "warning:".to_owned() } else { format!("{}warning\x1b[0m{}:\x1b[0m", s.warning, s.bold) }
}

/// Writes `text` to stdout. A closed pipe comes back as an error that `main` treats as success.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).context("could not write to stdout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_is_honoured_unless_colour_is_forced() {
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(ColorChoice::Auto.colors(None, true));
        assert!(!ColorChoice::Auto.colors(set, true));
        assert!(ColorChoice::Auto.colors(empty, true), "an empty NO_COLOR does not count");
        assert!(!ColorChoice::Auto.colors(None, false), "not a terminal");
        assert!(ColorChoice::Always.colors(set, false));
        assert!(!ColorChoice::Never.colors(None, true));
    }
}
