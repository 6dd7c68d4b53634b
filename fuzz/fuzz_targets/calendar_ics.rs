//! Fuzzes the iCalendar connector on one .ics file: it never panics.
#![no_main]

use connectors::calendar::CalendarSource;
use libfuzzer_sys::fuzz_target;
use orgmirror_fuzz::{drain, ids, write_input};

fuzz_target!(|data: &[u8]| {
    let path = write_input("fuzz.ics", data);
    if let Ok(mut src) = CalendarSource::open(&path, connectors::Directory::default(), ids(), None) {
        drain(&mut src);
    }
});
