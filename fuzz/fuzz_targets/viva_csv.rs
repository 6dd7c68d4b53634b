//! Fuzzes the Viva Insights connector on one query CSV: it never panics.
#![no_main]

use connectors::viva::VivaSource;
use libfuzzer_sys::fuzz_target;
use orgmirror_fuzz::{drain, ids, write_input};

fuzz_target!(|data: &[u8]| {
    let path = write_input("fuzz.csv", data);
    if let Ok(mut src) = VivaSource::open(&path, connectors::Directory::default(), ids()) {
        drain(&mut src);
    }
});
