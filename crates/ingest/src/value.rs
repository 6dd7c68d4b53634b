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

/// Parses a date (days since 1970-01-01).
pub fn parse_day(cell: &Cell) -> Result<i32, String> {
    let stamp = parse_time(cell, FixedOffset::east_opt(0).expect("zero offset"))?;
    Ok(stamp.ms.div_euclid(86_400_000) as i32)
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
}
