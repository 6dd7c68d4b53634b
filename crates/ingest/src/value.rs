//! Turning cells into field values: integers, numbers, dates and timestamps in the shapes real
//! exports use. Each parser says what it expected, for the row error.

use crate::source::Cell;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

/// A parsed timestamp, and whether it carried its own zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub ms: i64,
    pub had_zone: bool,
}

/// Reads an offset like `+02:00`, `-0700`, `Z` or `UTC`.
pub fn parse_offset(text: &str) -> Option<FixedOffset> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("gmt")
    {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

fn digits(b: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(v)
}

/// Fast path for `YYYY-MM-DD[ T]HH:MM:SS` (the commonest export shape), without a zone.
fn fast_naive(t: &str) -> Option<NaiveDateTime> {
    let b = t.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        digits(&b[0..4])? as i32,
        digits(&b[5..7])? as u32,
        digits(&b[8..10])? as u32,
    )?;
    date.and_hms_opt(
        digits(&b[11..13])? as u32,
        digits(&b[14..16])? as u32,
        digits(&b[17..19])? as u32,
    )
}

/// Parses a timestamp cell. Integers are epoch seconds, milliseconds, microseconds or
/// nanoseconds, told apart by magnitude. Text may be RFC 3339, RFC 2822 (email headers), or a
/// date and time without zone (then `assume` is applied and `had_zone` is false).
pub fn parse_time(cell: &Cell, assume: FixedOffset) -> Result<Stamp, String> {
    let from_epoch = |v: i64| -> Stamp {
        let a = v.unsigned_abs();
        let ms = if a < 100_000_000_000 {
            v.saturating_mul(1000)
        } else if a < 100_000_000_000_000 {
            v
        } else if a < 100_000_000_000_000_000 {
            v / 1000
        } else {
            v / 1_000_000
        };
        Stamp { ms, had_zone: true }
    };
    match cell {
        Cell::TimeMs(ms) => Ok(Stamp {
            ms: *ms,
            had_zone: true,
        }),
        Cell::Int(v) => Ok(from_epoch(*v)),
        Cell::Float(v) if v.is_finite() => Ok(from_epoch(*v as i64)),
        _ => {
            let text = cell.text().ok_or_else(|| "no value".to_string())?;
            let t = text.trim();
            if let Some(naive) = fast_naive(t) {
                let dt = naive
                    .and_local_timezone(assume)
                    .single()
                    .ok_or("ambiguous local time")?;
                return Ok(Stamp {
                    ms: dt.timestamp_millis(),
                    had_zone: false,
                });
            }
            let unsigned = t.strip_prefix('-').unwrap_or(t);
            if unsigned.len() >= 9
                && unsigned.bytes().all(|c| c.is_ascii_digit())
                && let Ok(v) = t.parse::<i64>()
            {
                return Ok(from_epoch(v));
            }
            if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
                return Ok(Stamp {
                    ms: dt.timestamp_millis(),
                    had_zone: true,
                });
            }
            if let Ok(dt) = DateTime::parse_from_rfc2822(t) {
                return Ok(Stamp {
                    ms: dt.timestamp_millis(),
                    had_zone: true,
                });
            }
            for fmt in [
                "%Y-%m-%d %H:%M:%S%.f%:z",
                "%Y-%m-%d %H:%M:%S%z",
                "%Y-%m-%dT%H:%M:%S%.f%z",
            ] {
                if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
                    return Ok(Stamp {
                        ms: dt.timestamp_millis(),
                        had_zone: true,
                    });
                }
            }
            for fmt in [
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M",
                "%m/%d/%Y %H:%M:%S",
                "%m/%d/%Y %H:%M",
            ] {
                if let Ok(naive) = NaiveDateTime::parse_from_str(t, fmt) {
                    let dt = naive
                        .and_local_timezone(assume)
                        .single()
                        .ok_or("ambiguous local time")?;
                    return Ok(Stamp {
                        ms: dt.timestamp_millis(),
                        had_zone: false,
                    });
                }
            }
            for fmt in ["%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d"] {
                if let Ok(date) = NaiveDate::parse_from_str(t, fmt) {
                    let dt = date
                        .and_hms_opt(0, 0, 0)
                        .expect("midnight")
                        .and_local_timezone(assume)
                        .single()
                        .ok_or("ambiguous local time")?;
                    return Ok(Stamp {
                        ms: dt.timestamp_millis(),
                        had_zone: false,
                    });
                }
            }
            Err(format!(
                "`{t}` is not a timestamp (expected e.g. 2001-05-14T16:39:00-07:00, 2001-05-14 16:39:00, an RFC 2822 date, or epoch seconds)"
            ))
        }
    }
}

/// Parses a date (days since 1970-01-01). A date too far out to count in days is an error, so
/// it never wraps around into a plausible one.
pub fn parse_day(cell: &Cell) -> Result<i32, String> {
    let stamp = parse_time(cell, FixedOffset::east_opt(0).expect("zero offset"))?;
    i32::try_from(stamp.ms.div_euclid(86_400_000))
        .map_err(|_| format!("{} ms since 1970 is not a date", stamp.ms))
}

/// The largest weight an interaction or a survey answer may carry. Weights are stored as `f32`
/// and summed into layers: 1e39 would be infinite there, and anything near `f32::MAX` poisons
/// every sum it joins. Real exports weigh a row 1 or a small count; a million leaves room for
/// byte or minute counts without risking overflow.
pub const MAX_WEIGHT: f64 = 1e6;

/// The longest duration (and speaking time) of one interaction: 7 days. A meeting or call
/// longer than a week is an export error (a recurring series' span, or milliseconds taken for
/// seconds).
pub const MAX_DURATION_S: i64 = 7 * 86_400;

/// Interactions and survey answers are dated from 1970 up to, not including, 2100; people's start
/// and end dates from 1900 (a long career began before 1970) up to, not including, 2100.
pub const FIRST_YEAR: i32 = 1970;
pub const FIRST_PERSON_YEAR: i32 = 1900;
pub const END_YEAR: i32 = 2100;

/// Days since 1970-01-01 of January 1st of `year`.
pub fn year_start_day(year: i32) -> i32 {
    let date = NaiveDate::from_ymd_opt(year, 1, 1).expect("a year in range");
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

/// Milliseconds since 1970 of January 1st of `year`, UTC.
pub fn year_start_ms(year: i32) -> i64 {
    i64::from(year_start_day(year)) * 86_400_000
}

/// Why a parsed number is refused: `bad_number` (it cannot be one, e.g. negative) or
/// `out_of_range` (it is one, but not a sane one).
pub type Refusal = (&'static str, String);

/// A weight as stored: finite, non-negative and at most [`MAX_WEIGHT`].
pub fn check_weight(w: f64) -> Result<f32, Refusal> {
    if !w.is_finite() {
        Err(("bad_number", format!("weight {w} is not a finite number")))
    } else if w < 0.0 {
        Err(("bad_number", format!("weight {w} is negative")))
    } else if w > MAX_WEIGHT {
        Err((
            "out_of_range",
            format!("weight {w} is above the largest accepted ({MAX_WEIGHT:e})"),
        ))
    } else {
        Ok(w as f32)
    }
}

/// A duration in seconds as stored: non-negative and at most [`MAX_DURATION_S`].
pub fn check_duration(v: i64) -> Result<u32, Refusal> {
    if v < 0 {
        Err(("bad_number", format!("{v} is not a count of seconds")))
    } else if v > MAX_DURATION_S {
        Err((
            "out_of_range",
            format!("{v} s is longer than the longest accepted (7 days, {MAX_DURATION_S} s)"),
        ))
    } else {
        Ok(v as u32)
    }
}

/// A day in `[first_year, END_YEAR)`.
pub fn check_day(day: i32, first_year: i32) -> Result<i32, Refusal> {
    if (year_start_day(first_year)..year_start_day(END_YEAR)).contains(&day) {
        Ok(day)
    } else {
        let date = NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|d| d.checked_add_signed(chrono::TimeDelta::days(i64::from(day))))
            .map_or_else(|| format!("day {day}"), |d| d.to_string());
        Err((
            "out_of_range",
            format!("{date} is outside {first_year}-01-01 .. {END_YEAR}-01-01"),
        ))
    }
}

pub fn parse_int(cell: &Cell) -> Result<i64, String> {
    match cell {
        Cell::Int(v) => Ok(*v),
        Cell::Float(v) if v.fract() == 0.0 && v.is_finite() => Ok(*v as i64),
        _ => {
            let text = cell.text().ok_or_else(|| "no value".to_string())?;
            let t = text.trim();
            t.parse::<i64>()
                .or_else(|_| match t.parse::<f64>() {
                    Ok(f) if f.fract() == 0.0 && f.is_finite() => Ok(f as i64),
                    _ => Err(()),
                })
                .map_err(|_| format!("`{t}` is not a whole number"))
        }
    }
}

pub fn parse_number(cell: &Cell) -> Result<f64, String> {
    match cell {
        Cell::Int(v) => Ok(*v as f64),
        Cell::Float(v) if v.is_finite() => Ok(*v),
        _ => {
            let text = cell.text().ok_or_else(|| "no value".to_string())?;
            let t = text.trim();
            match t.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(format!("`{t}` is not a number")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn timestamps_in_real_export_shapes() {
        let s = |t: &str| parse_time(&Cell::Str(t.into()), utc());
        let want = 989_858_340_000; // 2001-05-14T16:39:00Z
        assert_eq!(
            s("2001-05-14T16:39:00Z").unwrap(),
            Stamp {
                ms: want,
                had_zone: true
            }
        );
        assert_eq!(s("2001-05-14T09:39:00-07:00").unwrap().ms, want);
        assert_eq!(s("Mon, 14 May 2001 09:39:00 -0700").unwrap().ms, want);
        assert_eq!(
            s("2001-05-14 16:39:00").unwrap(),
            Stamp {
                ms: want,
                had_zone: false
            }
        );
        assert_eq!(s("989858340").unwrap().ms, want);
        assert_eq!(
            parse_time(&Cell::Int(989_858_340_000), utc()).unwrap().ms,
            want
        );
        assert_eq!(s("2001-05-14").unwrap().ms, 989_798_400_000);
        let plus2 = parse_time(
            &Cell::Str("2001-05-14 18:39:00".into()),
            parse_offset("+02:00").unwrap(),
        )
        .unwrap();
        assert_eq!(plus2.ms, want);
        assert!(s("yesterday").is_err());
        assert!(s("2001-02-30 10:00:00").is_err());
        assert!(parse_time(&Cell::Null, utc()).is_err());
    }

    #[test]
    fn offsets_and_numbers() {
        assert_eq!(parse_offset("-0700").unwrap().local_minus_utc(), -7 * 3600);
        assert_eq!(parse_offset("UTC").unwrap().local_minus_utc(), 0);
        assert!(parse_offset("7").is_none());
        assert_eq!(parse_int(&Cell::Str(" 42 ".into())), Ok(42));
        assert_eq!(parse_int(&Cell::Str("3.0".into())), Ok(3));
        assert!(parse_int(&Cell::Str("3.5".into())).is_err());
        assert!(parse_number(&Cell::Str("NaN".into())).is_err());
        assert_eq!(parse_number(&Cell::Str("0.25".into())), Ok(0.25));
    }

    #[test]
    fn ranges_of_weights_durations_and_days() {
        assert_eq!(check_weight(2.5), Ok(2.5));
        assert_eq!(check_weight(1e39).unwrap_err().0, "out_of_range");
        assert_eq!(check_weight(-1.0).unwrap_err().0, "bad_number");
        assert_eq!(check_weight(f64::INFINITY).unwrap_err().0, "bad_number");
        assert_eq!(check_duration(MAX_DURATION_S), Ok(604_800));
        assert_eq!(
            check_duration(MAX_DURATION_S + 1).unwrap_err().0,
            "out_of_range"
        );
        assert_eq!(year_start_day(1970), 0);
        assert_eq!(year_start_ms(2001), 978_307_200_000);
        assert!(check_day(-1, FIRST_YEAR).is_err());
        assert!(check_day(-1, FIRST_PERSON_YEAR).is_ok());
        assert!(check_day(year_start_day(END_YEAR), FIRST_PERSON_YEAR).is_err());
        // A date too far out to count in days is an error, not a wrapped-around day.
        assert!(parse_day(&Cell::TimeMs(i64::MAX)).is_err());
    }
}
