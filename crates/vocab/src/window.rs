//! Time windows: the whole history, a calendar month, a calendar quarter, or a custom range.

use chrono::{DateTime, Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One time window. Months and quarters are calendar periods in UTC; a range is half-open
/// `[start_ms, end_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Window {
    All,
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
    Range { start_ms: i64, end_ms: i64 },
}

/// Which windows an analysis asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowSpec {
    All,
    /// Every calendar month that has data.
    Months,
    /// Every calendar quarter that has data.
    Quarters,
    /// One fixed window.
    Fixed(Window),
}

impl WindowSpec {
    /// Parses `all`, `month`, `quarter`, or a single window as [`Window::parse`] reads it.
    pub fn parse(text: &str) -> Result<WindowSpec, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(WindowSpec::All),
            "month" | "months" | "monthly" => Ok(WindowSpec::Months),
            "quarter" | "quarters" | "quarterly" => Ok(WindowSpec::Quarters),
            _ => Window::parse(text).map(WindowSpec::Fixed),
        }
    }

    /// The windows of this spec that contain `time_ms` (at most one).
    pub fn window_of(&self, time_ms: Option<i64>) -> Option<Window> {
        match self {
            WindowSpec::All => Some(Window::All),
            WindowSpec::Months => time_ms.map(Window::month_of),
            WindowSpec::Quarters => time_ms.map(Window::quarter_of),
            WindowSpec::Fixed(w) => w.contains(time_ms).then_some(*w),
        }
    }
}

/// The UTC calendar date (YYYY-MM-DD) of a time in milliseconds.
pub fn date_label(time_ms: i64) -> String {
    DateTime::from_timestamp_millis(time_ms)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "-".into())
}

fn day_ms(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
}

impl Window {
    pub fn month_of(time_ms: i64) -> Window {
        let date = DateTime::from_timestamp_millis(time_ms)
            .unwrap_or_default()
            .date_naive();
        Window::Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn quarter_of(time_ms: i64) -> Window {
        let date = DateTime::from_timestamp_millis(time_ms)
            .unwrap_or_default()
            .date_naive();
        Window::Quarter {
            year: date.year(),
            quarter: (date.month() - 1) / 3 + 1,
        }
    }

    /// `[start, end)` in milliseconds; `None` for `All`.
    pub fn bounds(&self) -> Option<(i64, i64)> {
        let ym = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).map(day_ms);
        let next = |y: i32, m: u32| if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        match *self {
            Window::All => None,
            Window::Month { year, month } => {
                let (ny, nm) = next(year, month);
                Some((ym(year, month)?, ym(ny, nm)?))
            }
            Window::Quarter { year, quarter } => {
                let first = (quarter - 1) * 3 + 1;
                let (ny, nm) = if quarter == 4 {
                    (year + 1, 1)
                } else {
                    (year, first + 3)
                };
                Some((ym(year, first)?, ym(ny, nm)?))
            }
            Window::Range { start_ms, end_ms } => Some((start_ms, end_ms)),
        }
    }

    /// Whether an interaction at `time_ms` falls in the window. Undated interactions fall only in `All`.
    pub fn contains(&self, time_ms: Option<i64>) -> bool {
        match (self.bounds(), time_ms) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some((s, e)), Some(t)) => s <= t && t < e,
        }
    }

    /// Parses `all`, `2001-05`, `2001-Q2`, or `2001-01-01..2001-04-01` (end exclusive).
    pub fn parse(text: &str) -> Result<Window, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("all") {
            return Ok(Window::All);
        }
        if let Some((a, b)) = t.split_once("..") {
            let start = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d")
                .map_err(|e| format!("window start `{a}`: {e} (expected YYYY-MM-DD)"))?;
            let end = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d")
                .map_err(|e| format!("window end `{b}`: {e} (expected YYYY-MM-DD)"))?;
            if end <= start {
                return Err(format!("window `{t}` ends before it starts"));
            }
            return Ok(Window::Range {
                start_ms: day_ms(start),
                end_ms: day_ms(end),
            });
        }
        if let Some((y, q)) = t.split_once(['Q', 'q']) {
            let year: i32 = y
                .trim_end_matches('-')
                .parse()
                .map_err(|_| format!("window `{t}`: bad year"))?;
            let quarter: u32 = q
                .parse()
                .map_err(|_| format!("window `{t}`: bad quarter"))?;
            if !(1..=4).contains(&quarter) {
                return Err(format!("window `{t}`: quarter must be 1 to 4"));
            }
            return Ok(Window::Quarter { year, quarter });
        }
        if let Some((y, m)) = t.split_once('-')
            && let (Ok(year), Ok(month)) = (y.parse::<i32>(), m.parse::<u32>())
            && (1..=12).contains(&month)
        {
            return Ok(Window::Month { year, month });
        }
        Err(format!(
            "window `{t}` is not one of: all, month, quarter, YYYY-MM, YYYY-Qn, YYYY-MM-DD..YYYY-MM-DD"
        ))
    }

    /// A stable label used in tables and file names.
    pub fn label(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Window::All => write!(f, "all"),
            Window::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Window::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Window::Range { start_ms, end_ms } => {
                let d = |ms| {
                    DateTime::from_timestamp_millis(ms)
                        .unwrap_or_default()
                        .format("%Y-%m-%d")
                };
                write!(f, "{}..{}", d(start_ms), d(end_ms))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_label_round_trip() {
        for text in ["all", "2001-05", "2001-Q2", "2001-01-01..2001-04-01"] {
            assert_eq!(Window::parse(text).unwrap().label(), text);
        }
        assert!(Window::parse("2001-13").is_err());
        assert!(Window::parse("2001-Q5").is_err());
        assert!(Window::parse("2001-04-01..2001-01-01").is_err());
    }

    #[test]
    fn bounds_are_half_open_and_cover_year_ends() {
        let dec = Window::parse("2001-12").unwrap();
        let (s, e) = dec.bounds().unwrap();
        assert_eq!(Window::month_of(s), dec);
        assert_eq!(Window::month_of(e), Window::parse("2002-01").unwrap());
        assert!(dec.contains(Some(e - 1)) && !dec.contains(Some(e)));
        let q4 = Window::parse("2001-Q4").unwrap();
        assert_eq!(q4.bounds().unwrap().1, e);
        assert_eq!(Window::quarter_of(s), q4);
        assert!(!q4.contains(None) && Window::All.contains(None));
    }
}
