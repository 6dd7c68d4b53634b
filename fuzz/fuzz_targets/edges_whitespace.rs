//! Fuzzes the whitespace edge-list format (`src dst [weight]` per line, SNAP style) through
//! ingest_events with `format = "whitespace"`, as examples/email-eu-core-events.toml reads it.
//! (The `metrics` command's own edge-list reader lives in the CLI binary, no library reaches it.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgmirror_fuzz::{Kind, check_ingest, mapping};
use std::sync::OnceLock;

const MAPPING: &str = r#"
[source]
format = "whitespace"
header = false

[events]
actor = "0"
recipient = "1"
weight = "2"
channel = { value = "email" }
kind = { value = "message" }
"#;

fuzz_target!(|data: &[u8]| {
    static MAP: OnceLock<ingest::Mapping> = OnceLock::new();
    let map = MAP.get_or_init(|| mapping(MAPPING)).clone();
    check_ingest(Kind::Events, "edges.txt", data, map, true);
});
