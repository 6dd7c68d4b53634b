//! Fuzzes ingest_events on a `jsonl` file (default mapping): never panics, and a
//! failed ingest leaves the workspace unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgmirror_fuzz::{Kind, check_ingest};

fuzz_target!(|data: &[u8]| {
    check_ingest(
        Kind::Events,
        "events.jsonl",
        data,
        ingest::Mapping::default(),
        true,
    );
});
