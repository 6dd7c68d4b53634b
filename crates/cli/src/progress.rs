//! Progress bars on a terminal; nothing when stderr is not one, or with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(quiet: bool, what: &str, bytes: bool) -> Bar {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
        } else {
            ProgressBar::new(0)
        };
        let template = if bytes {
            "{msg:>12} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
        } else {
            "{msg:>12} [{bar:40}] {human_pos}/{human_len} eta {eta}"
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("template")
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        Bar(bar)
    }
}

impl app::Stage for Bar {
    fn set_message(&self, what: &str) {
        self.0.set_message(what.to_string());
    }

    fn set_length(&self, n: u64) {
        self.0.set_length(n);
    }

    fn set_position(&self, n: u64) {
        self.0.set_position(n);
    }

    fn done(&self) {
        self.0.finish_and_clear();
    }
}

/// A bar per stage of an operation, on a terminal.
pub struct Bars {
    pub quiet: bool,
}

impl app::Progress for Bars {
    fn stage(&self, what: &str, bytes: bool) -> Box<dyn app::Stage + '_> {
        Box::new(Bar::new(self.quiet, what, bytes))
    }
}
