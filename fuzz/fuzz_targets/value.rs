//! Fuzzes the value parsers on a text cell: parse_time (under a fixed and a fuzzed offset),
//! parse_day, parse_int, parse_number and parse_offset never panic, and a parsed day agrees with
//! the parsed time.
#![no_main]

use chrono::FixedOffset;
use ingest::Cell;
use ingest::value::{parse_day, parse_int, parse_number, parse_offset, parse_time};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cell = Cell::Str(text.to_string());
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    let time = parse_time(&cell, utc);
    let day = parse_day(&cell);
    if let (Ok(stamp), Ok(day)) = (&time, &day) {
        assert_eq!(
            stamp.ms.div_euclid(86_400_000),
            i64::from(*day),
            "day of {text:?}"
        );
    }
    let _ = parse_int(&cell);
    let _ = parse_number(&cell);
    if let Some(offset) = parse_offset(text) {
        let _ = parse_time(&cell, offset);
    }
    if let Some((head, tail)) = text.split_once('|') {
        if let Some(offset) = parse_offset(tail) {
            let _ = parse_time(&Cell::Str(head.to_string()), offset);
        }
    }
});
