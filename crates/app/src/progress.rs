//! How long operations report progress: the front end supplies the bars (a terminal's, a
//! server's job status, or nothing).

/// One stage of a long operation.
pub trait Stage {
    fn set_length(&self, n: u64);
    fn set_position(&self, n: u64);
    fn set_message(&self, what: &str);
    fn done(&self);
}

/// Makes a [`Stage`] for each step of an operation.
pub trait Progress {
    /// A stage named `what`, counted in bytes or in items.
    fn stage(&self, what: &str, bytes: bool) -> Box<dyn Stage + '_>;
}

/// Shows nothing.
pub struct Silent;

impl Stage for Silent {
    fn set_length(&self, _: u64) {}
    fn set_position(&self, _: u64) {}
    fn set_message(&self, _: &str) {}
    fn done(&self) {}
}

impl Progress for Silent {
    fn stage(&self, _: &str, _: bool) -> Box<dyn Stage + '_> {
        Box::new(Silent)
    }
}

/// A stage seen as ingest's byte progress.
pub(crate) struct Bytes<'a>(pub &'a dyn Stage);

impl ingest::Progress for Bytes<'_> {
    fn start(&self, total_bytes: u64) {
        self.0.set_length(total_bytes);
    }
    fn update(&self, done_bytes: u64) {
        self.0.set_position(done_bytes);
    }
    fn finish(&self) {
        self.0.done();
    }
}
