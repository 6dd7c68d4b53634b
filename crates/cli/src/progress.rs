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

    pub fn set_message(&self, what: &str) {
        self.0.set_message(what.to_string());
    }

    pub fn set_length(&self, n: u64) {
        self.0.set_length(n);
    }

    pub fn set_position(&self, n: u64) {
        self.0.set_position(n);
    }

    pub fn done(&self) {
        self.0.finish_and_clear();
    }
}

impl ingest::Progress for Bar {
    fn start(&self, total_bytes: u64) {
        self.set_length(total_bytes);
    }
    fn update(&self, done_bytes: u64) {
        self.set_position(done_bytes);
    }
    fn finish(&self) {
        self.done();
    }
}
