//! Fuzzes the TOML column mapping: `Mapping::load` (from a file: it has no from-text entry) and
//! `source_options` for each kind of file name never panic.
#![no_main]

use ingest::Mapping;
use libfuzzer_sys::fuzz_target;
use orgmirror_fuzz::write_input;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = write_input("fuzz-mapping.toml", data);
    let Ok(mapping) = Mapping::load(&path) else {
        return;
    };
    for name in [
        "a.csv",
        "a.tsv",
        "a.txt",
        "a.jsonl",
        "a.parquet",
        "a.gz",
        "a",
    ] {
        let _ = mapping.source_options(Path::new(name), None);
    }
});
