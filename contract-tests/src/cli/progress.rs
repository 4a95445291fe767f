//! The progress bar of long runs, on stderr, hidden when stderr is not a terminal or `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner with pages, sessions and the session rate.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A progress display, or none when quiet or stderr is not a terminal.
    pub fn new(quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        Self { bar: Some(bar) }
    }

    /// Shows the running totals.
    pub fn update(&self, pages: usize, sessions: usize) {
        if let Some(bar) = &self.bar {
            let secs = bar.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{pages} pages, {sessions} sessions verified ({:.0} sessions/s)",
                sessions as f64 / secs
            ));
        }
    }

    /// Removes the bar before the report is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
impl Progress {
    /// A progress display drawn nowhere, whose message a test can read.
    pub(crate) fn hidden() -> Self {
        Self {
            bar: Some(ProgressBar::hidden()),
        }
    }

    /// The message shown now.
    pub(crate) fn message(&self) -> String {
        self.bar
            .as_ref()
            .map(ProgressBar::message)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_totals_shown_are_the_last_ones_given() {
        let progress = Progress::hidden();
        progress.update(3, 120);
        progress.update(4, 150);
        let shown = progress.message();
        assert!(
            shown.starts_with("4 pages, 150 sessions verified ("),
            "{shown}"
        );
        assert!(
            Progress::new(true).message().is_empty(),
            "quiet shows nothing"
        );
    }
}
