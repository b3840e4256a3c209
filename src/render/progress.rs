//! The trial progress bar: maps the engine's progress callback to indicatif, on stderr, only for a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar on stderr when stderr is a terminal.
    Bar,
    /// Nothing (`--quiet`).
    Hidden,
}

/// Progress of a run's trials. `record` may be called from any worker thread.
#[derive(Debug)]
pub struct TrialProgress {
    bar: ProgressBar,
    /// The largest count of finished trials reported so far.
    done: AtomicU64,
}

impl TrialProgress {
    pub fn new(trials: u64, mode: ProgressMode) -> Self {
        let visible = mode == ProgressMode::Bar && std::io::stderr().is_terminal();
        let bar = if visible {
            let bar = ProgressBar::with_draw_target(Some(trials), ProgressDrawTarget::stderr_with_hz(10));
            // Coloured as the diagnostics are (`--color`, `NO_COLOR`); indicatif alone reads only the environment.
            let template = if crate::render::console::style() == chokepoint_scenario::Style::PLAIN {
                "{spinner} {elapsed_precise} [{wide_bar}] {human_pos}/{human_len} trials · {per_sec:0} · ETA {eta}"
            } else {
                "{spinner:.green} {elapsed_precise} [{wide_bar:.cyan/blue}] {human_pos}/{human_len} trials · \
                 {per_sec:0} · ETA {eta}"
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        } else {
            ProgressBar::hidden()
        };
        Self { bar, done: AtomicU64::new(0) }
    }

    /// Records that `done` trials have finished. Counts may arrive out of order from different threads; the
    /// bar advances by the increase of the maximum, so the increments add up to the final count whatever the
    /// order.
    pub fn record(&self, done: u64) {
        let previous = self.done.fetch_max(done, Ordering::Relaxed);
        if done > previous {
            self.bar.inc(done - previous);
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_counts_add_up_to_the_maximum() {
        let progress = TrialProgress::new(100, ProgressMode::Hidden);
        for done in [64, 32, 100, 96] {
            progress.record(done);
        }
        assert_eq!(progress.bar.position(), 100);
    }
}
