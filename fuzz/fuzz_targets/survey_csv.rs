//! Fuzzes ingest_survey on a `csv` file (default mapping): never panics, and a
//! failed ingest leaves the workspace unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgmirror_fuzz::{Kind, check_ingest};

fuzz_target!(|data: &[u8]| {
    check_ingest(
        Kind::Survey,
        "survey.csv",
        data,
        ingest::Mapping::default(),
        true,
    );
});
