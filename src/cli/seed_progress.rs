//! The progress bar of a demo seed (`demo seed`, `serve --demo`): generating, writing N/M
//! requests, finishing. Drawn on stderr only when it is a terminal, so logs, pipes and tests
//! never receive escape codes.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::service::seed::{Quiet, SeedObserver};

pub struct SeedBar {
    bar: ProgressBar,
}

impl std::fmt::Debug for SeedBar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedBar").finish_non_exhaustive()
    }
}

/// The observer a seed started from the command line reports to: a bar on a terminal, else
/// nothing.
pub fn observer() -> Arc<dyn SeedObserver> {
    if std::io::stderr().is_terminal() {
        Arc::new(SeedBar::new())
    } else {
        Arc::new(Quiet)
    }
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants: a bad one would show as indicatif's default bar, not fail.
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl SeedBar {
    fn new() -> Self {
        SeedBar {
            bar: ProgressBar::new_spinner(),
        }
    }

    fn spin(&self, message: &'static str) {
        self.bar.set_style(style("{spinner} {msg} {elapsed}"));
        self.bar.set_message(message);
        self.bar.enable_steady_tick(Duration::from_millis(120));
    }
}

impl SeedObserver for SeedBar {
    fn generating(&self) {
        self.spin("generating offices, staff, citizens and the filing plan…");
    }

    fn writing(&self, done: usize, total: usize) {
        if self.bar.length() != Some(total as u64) {
            // A whole number of requests a second: indicatif's `{per_sec}` shows four decimals.
            let rate = |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            };
            self.bar.set_style(
                style("writing {bar:40} {human_pos}/{human_len} requests {rate} eta {eta}")
                    .with_key("rate", rate),
            );
            self.bar.set_length(total as u64);
        }
        self.bar.set_position(done as u64);
    }

    fn finishing(&self) {
        self.bar.set_length(0);
        self.spin("finishing: commit, checkpoint, tokens, agenda…");
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for SeedBar {
    /// A seed that failed half-way leaves no bar behind its error message.
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}
