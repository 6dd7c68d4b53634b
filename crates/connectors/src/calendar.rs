//! iCalendar (`.ics`, RFC 5545, with iTIP METHODs of RFC 5546) as meetings and answers: one
//! record per (meeting instance, participant), and an `accept` or `decline` from each attendee
//! who answered, for ingest's one sink.
//!
//! Only these properties are read: `METHOD`, and in a `VEVENT` `UID`, `RECURRENCE-ID`,
//! `SEQUENCE`, `STATUS`, `ORGANIZER`, `ATTENDEE` (with `CN`, `ROLE`, `PARTSTAT`, `CUTYPE`),
//! `DTSTART`, `DTEND`, `DURATION`, `RRULE`, `RDATE`, `EXDATE`; and the `VTIMEZONE` definitions
//! (`TZID`, offsets, their rules). Every other content line (`SUMMARY`, `DESCRIPTION`,
//! `LOCATION`, `COMMENT`, `ATTACH`, alarms, ...) is passed over by its name before its value is
//! decoded, so it can reach no record and no error message.
//!
//! Rules:
//! - Content lines are unfolded (a line starting with a space or tab continues the one before);
//!   parameter values may be quoted. A file may hold several `VCALENDAR`s (an iTIP stream).
//! - One record set per (UID, RECURRENCE-ID) within a file: the organizer's copy
//!   (`METHOD` `REQUEST`, `PUBLISH`, `ADD` or none) with the highest `SEQUENCE` wins (the later
//!   one on a tie). Across the files of a folder, ingest keeps the first of two equal event ids
//!   (files in path order).
//! - Cancelled: `STATUS:CANCELLED`, or a `METHOD:CANCEL` with a `SEQUENCE` at least the copy's;
//!   a cancel without `RECURRENCE-ID` cancels every instance of the UID.
//! - Recurrence (`RRULE`, `RDATE`, `EXDATE`) is expanded with the `calcard` crate. Time zones:
//!   a `TZID` that is an IANA or Windows name, or a VTIMEZONE whose `TZID`, `X-LIC-LOCATION` or
//!   `X-MICROSOFT-CDO-TZID` names one, by calcard (chrono-tz); any other VTIMEZONE by evaluating
//!   its STANDARD/DAYLIGHT observances here (its dates are turned into UTC, so a recurrence in
//!   such a zone repeats in UTC). Floating times are read as UTC. Without DTEND or DURATION a
//!   meeting lasts 0 s (one day on a date).
//! - Instances are kept within the window (from, to exclusive, ms UTC); without one, within the
//!   file's own span (its first instance to the last instance of a bounded recurrence or the
//!   start of any other event; an unbounded rule stops there). At most [`MAX_INSTANCES`] per
//!   event, searching at most [`MAX_STEPS`] recurrence steps. An instance with its own `VEVENT`
//!   (same UID, `RECURRENCE-ID`) replaces the expanded one; `EXDATE`s are dropped.
//! - A meeting instance: actor = organizer, a row for the organizer (role `organizer`, recipient
//!   the organizer) and one per attendee (role `attendee`), channel and kind `meeting`,
//!   `event_id` = ids(UID/start), `thread_id` = `event_id`, `duration_s` from DTEND or DURATION.
//!   Required and optional attendees are both `attendee` (the vocabulary's one word). Attendees
//!   with `CUTYPE` `ROOM`, `RESOURCE` or `GROUP`, `ROLE=NON-PARTICIPANT`, who declined or
//!   delegated, or whom the directory leaves out (external, a list) are not rows; a meeting
//!   whose organizer is left out is skipped (`external_organizer`, `group_organizer`).
//! - VEVENTs outside any VCALENDAR are rejected (`outside_vcalendar`); VALARMs are not read.
//! - An answer (`PARTSTAT` `ACCEPTED` or `DECLINED`, from the organizer's copy or a later
//!   `METHOD:REPLY`): one interaction of kind `accept` or `decline` from the attendee to the
//!   organizer, channel `email` (an iTIP reply is mail), role `to`, `in_reply_to` and `thread_id`
//!   = the meeting's first kept instance. The calendar does not date the answer in what is read,
//!   so it is timed one second before that instance: it counts as the attendee's answer to the
//!   organizer, and never as a reply latency (which would be invented).
//! - Problems, with file and the `BEGIN:VEVENT` line: no UID, no or a bad DTSTART, a bad DTEND,
//!   DURATION or RRULE, no ORGANIZER, an unparsable read content line are rejected; `COUNTER`, `REFRESH` and `DECLINECOUNTER`
//!   messages, replies to no known meeting, and left-out organizers are skipped.

use crate::{COLUMNS, Directory, Ids, Who, blank, col};
use calcard::common::timezone::Tz;
use calcard::icalendar::dates::TimeOrDelta;
use calcard::{Entry, Parser};
use ingest::{Cell, Problem, RecordSource, RowError};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// At most this many instances of one event are kept.
pub const MAX_INSTANCES: usize = 500;
/// At most this many recurrence steps are searched for instances in the window.
pub const MAX_STEPS: usize = 100_000;

/// Why a calendar cannot be opened at all.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: no .ics file", path.display())]
    NoCalendar { path: PathBuf },
}

/// Meetings and answers from an `.ics` file or a folder of them (recursively), file by file.
pub struct CalendarSource {
    files: VecDeque<PathBuf>,
    dir: Directory,
    ids: Ids,
    window: Option<(i64, i64)>,
    pending: VecDeque<Result<(u64, Vec<Cell>), Problem>>,
    total_bytes: u64,
    bytes_read: u64,
}

impl CalendarSource {
    /// A source over `path` (an `.ics` file, or a folder searched recursively for `*.ics`).
    /// `window` is (from, to) in ms UTC, to exclusive; `None` keeps every instance (up to the
    /// bound).
    pub fn open(
        path: &Path,
        dir: Directory,
        ids: Ids,
        window: Option<(i64, i64)>,
    ) -> Result<CalendarSource, CalendarError> {
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |source| CalendarError::Io { path: p, source }
        };
        let mut files = Vec::new();
        if path.is_dir() {
            fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CalendarError> {
                let entries = std::fs::read_dir(dir).map_err(|source| CalendarError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
                for e in entries {
                    let p = e
                        .map_err(|source| CalendarError::Io {
                            path: dir.to_path_buf(),
                            source,
                        })?
                        .path();
                    if p.is_dir() {
                        walk(&p, out)?;
                    } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("ics")) {
                        out.push(p);
                    }
                }
                Ok(())
            }
            walk(path, &mut files)?;
            if files.is_empty() {
                return Err(CalendarError::NoCalendar {
                    path: path.to_path_buf(),
                });
            }
            files.sort();
        } else {
            std::fs::metadata(path).map_err(io(path))?;
            files.push(path.to_path_buf());
        }
        let mut total_bytes = 0;
        for f in &files {
            total_bytes += std::fs::metadata(f).map_err(io(f))?.len();
        }
        Ok(CalendarSource {
            files: files.into(),
            dir,
            ids,
            window,
            pending: VecDeque::new(),
            total_bytes,
            bytes_read: 0,
        })
    }

    /// The directory, with the addresses that matched nobody counted.
    pub fn directory(&self) -> &Directory {
        &self.dir
    }

    fn load_next_file(&mut self) -> bool {
        let Some(path) = self.files.pop_front() else {
            return false;
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                self.bytes_read += bytes.len() as u64;
                let text = String::from_utf8_lossy(&bytes);
                let (comps, _) = scan(&text);
                let mut out = Emit {
                    file: &path,
                    dir: &mut self.dir,
                    ids: &self.ids,
                    window: self.window,
                    pending: &mut self.pending,
                };
                out.file_records(comps);
            }
            Err(e) => self.pending.push_back(Err(Problem::Reject(RowError::new(
                &path,
                0,
                "",
                "unreadable_file",
                format!("cannot read the file: {e}"),
            )))),
        }
        true
    }
}

impl RecordSource for CalendarSource {
    fn columns(&self) -> Vec<String> {
        COLUMNS.iter().map(|c| c.to_string()).collect()
    }

    fn next_record(&mut self, cells: &mut Vec<Cell>) -> Result<Option<u64>, Problem> {
        loop {
            if let Some(next) = self.pending.pop_front() {
                let (line, row) = next?;
                *cells = row;
                return Ok(Some(line));
            }
            if !self.load_next_file() {
                return Ok(None);
            }
        }
    }

    fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

// ---- Content lines ----------------------------------------------------------------------------

/// The properties read in a VEVENT; every other one is passed over by name.
const EVENT_PROPS: &[&str] = &[
    "UID",
    "RECURRENCE-ID",
    "SEQUENCE",
    "STATUS",
    "ORGANIZER",
    "ATTENDEE",
    "DTSTART",
    "DTEND",
    "DURATION",
    "RRULE",
    "RDATE",
    "EXDATE",
];
/// The date properties handed to the recurrence expansion.
const DATE_PROPS: &[&str] = &["DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE"];
/// What a VTIMEZONE needs.
const TZ_PROPS: &[&str] = &[
    "TZID",
    "X-LIC-LOCATION",
    "X-MICROSOFT-CDO-TZID",
    "DTSTART",
    "TZOFFSETFROM",
    "TZOFFSETTO",
    "RRULE",
    "RDATE",
];

/// One content line: name (upper case), parameters (names upper case, values unquoted), value.
#[derive(Debug, Clone)]
struct Prop {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Prop {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The line again, for the recurrence expansion (only date properties, never text).
    fn render(&self, name: &str) -> String {
        let mut s = name.to_string();
        for (n, v) in &self.params {
            s.push(';');
            s.push_str(n);
            s.push('=');
            if v.contains([':', ';', ',']) {
                s.push('"');
                s.push_str(v);
                s.push('"');
            } else {
                s.push_str(v);
            }
        }
        s.push(':');
        s.push_str(&self.value);
        s
    }
}

/// The name of a logical line (before `;` or `:`), upper case.
fn line_name(line: &str) -> String {
    let end = line.find([';', ':']).unwrap_or(line.len());
    line[..end].trim().to_ascii_uppercase()
}

/// Parses a content line whose name was already accepted. `None` without a `:`.
fn parse_line(line: &str) -> Option<Prop> {
    let bytes = line.as_bytes();
    let name_end = line.find([';', ':'])?;
    let name = line[..name_end].trim().to_ascii_uppercase();
    let mut params = Vec::new();
    let mut i = name_end;
    while i < bytes.len() && bytes[i] == b';' {
        i += 1;
        let eq = line[i..].find(['=', ':', ';']).map(|k| i + k)?;
        let pname = line[i..eq].trim().to_ascii_uppercase();
        if bytes[eq] != b'=' {
            // A parameter without a value.
            params.push((pname, String::new()));
            i = eq;
            continue;
        }
        i = eq + 1;
        let mut value = String::new();
        loop {
            if i < bytes.len() && bytes[i] == b'"' {
                let close = line[i + 1..].find('"').map(|k| i + 1 + k)?;
                value.push_str(&line[i + 1..close]);
                i = close + 1;
            } else {
                let end = line[i..]
                    .find([',', ';', ':'])
                    .map_or(line.len(), |k| i + k);
                value.push_str(&line[i..end]);
                i = end;
            }
            if i < bytes.len() && bytes[i] == b',' {
                value.push(',');
                i += 1;
                continue;
            }
            break;
        }
        params.push((pname, value));
    }
    if i >= bytes.len() || bytes[i] != b':' {
        return None;
    }
    Some(Prop {
        name,
        params,
        value: line[i + 1..].trim_end().to_string(),
    })
}

/// A VEVENT as read: where it begins, its calendar's METHOD and time zones, its properties.
#[derive(Debug)]
struct Component {
    line: u64,
    method: String,
    timezones: std::rc::Rc<Zones>,
    props: Vec<Prop>,
    /// Outside any VCALENDAR (not iCalendar): rejected.
    outside: bool,
    /// A content line of a read property that could not be parsed.
    bad_line: Option<String>,
}

impl Component {
    fn get(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }
}

/// Reads a file's text into its VEVENTs, unfolding lines and keeping only the read properties.
fn scan(text: &str) -> (Vec<Component>, u64) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    // Logical lines: (first physical line number, text); a continuation of a line whose name is
    // not read is dropped with it.
    let mut logical: Vec<(u64, String)> = Vec::new();
    let mut keep_current = false;
    for (k, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.starts_with([' ', '\t']) {
            if keep_current && let Some((_, last)) = logical.last_mut() {
                last.push_str(&raw[1..]);
            }
            continue;
        }
        if raw.trim().is_empty() {
            // Blank lines are not content lines; a continuation after one still continues.
            continue;
        }
        let name = line_name(raw);
        keep_current = matches!(name.as_str(), "BEGIN" | "END" | "METHOD")
            || EVENT_PROPS.contains(&name.as_str())
            || TZ_PROPS.contains(&name.as_str());
        if keep_current {
            logical.push((k as u64 + 1, raw.to_string()));
        }
    }

    let mut stack: Vec<String> = Vec::new();
    let mut n_calendars = 0;
    let mut method = String::new();
    let mut tz_text = String::new();
    let mut zones: Vec<CustomZone> = Vec::new();
    let mut zone: Option<CustomZone> = None;
    let mut observance: Option<Vec<Prop>> = None;
    let mut timezones = std::rc::Rc::new(Zones::default());
    let mut events_of_calendar: Vec<Component> = Vec::new();
    let mut current: Option<Component> = None;
    for (line_no, line) in logical {
        let name = line_name(&line);
        let value = line
            .split_once(':')
            .map_or("", |(_, v)| v.trim())
            .to_ascii_uppercase();
        match name.as_str() {
            "BEGIN" => {
                if value == "VCALENDAR" && stack.is_empty() {
                    method.clear();
                    tz_text.clear();
                    zones.clear();
                    n_calendars += 1;
                } else if value == "VEVENT"
                    && (stack.is_empty() || stack.last().is_some_and(|s| s == "VCALENDAR"))
                {
                    current = Some(Component {
                        line: line_no,
                        method: method.clone(),
                        timezones: timezones.clone(),
                        props: Vec::new(),
                        outside: stack.is_empty(),
                        bad_line: None,
                    });
                }
                if stack.iter().any(|s| s == "VTIMEZONE") || value == "VTIMEZONE" {
                    tz_text.push_str(&format!("BEGIN:{value}\r\n"));
                }
                if value == "VTIMEZONE" {
                    zone = Some(CustomZone::default());
                } else if matches!(value.as_str(), "STANDARD" | "DAYLIGHT") && zone.is_some() {
                    observance = Some(Vec::new());
                }
                stack.push(value);
            }
            "END" => {
                // Close up to the matching BEGIN (a missing END closes what it contains).
                let Some(pos) = stack.iter().rposition(|s| *s == value) else {
                    continue;
                };
                while stack.len() > pos {
                    let closed = stack.pop().expect("non-empty");
                    if stack.iter().any(|s| s == "VTIMEZONE") || closed == "VTIMEZONE" {
                        tz_text.push_str(&format!("END:{closed}\r\n"));
                        if matches!(closed.as_str(), "STANDARD" | "DAYLIGHT")
                            && let (Some(z), Some(o)) = (zone.as_mut(), observance.take())
                        {
                            z.observances.push(o);
                        }
                        if closed == "VTIMEZONE" {
                            if let Some(z) = zone.take()
                                && !z.named
                            {
                                zones.push(z);
                            }
                            timezones = std::rc::Rc::new(Zones {
                                text: tz_text.clone(),
                                custom: zones.clone(),
                            });
                        }
                    }
                    if closed == "VEVENT" && stack.is_empty() {
                        if let Some(c) = current.take() {
                            out.push(c);
                        }
                    } else if closed == "VEVENT"
                        && stack.last().is_some_and(|s| s == "VCALENDAR")
                        && let Some(c) = current.take()
                    {
                        events_of_calendar.push(c);
                    }
                    if closed == "VCALENDAR" {
                        // The calendar's time zones may come after its events.
                        for mut c in events_of_calendar.drain(..) {
                            c.timezones = timezones.clone();
                            c.method = method.clone();
                            out.push(c);
                        }
                        timezones = std::rc::Rc::new(Zones::default());
                    }
                }
            }
            "METHOD" if stack.len() == 1 => method = value,
            _ => {
                let inner = stack.last().map(String::as_str);
                if inner == Some("VEVENT")
                    && stack.len() <= 2
                    && let Some(c) = current.as_mut()
                    && EVENT_PROPS.contains(&name.as_str())
                {
                    match parse_line(&line) {
                        Some(p) => c.props.push(p),
                        None => {
                            c.bad_line.get_or_insert(name);
                        }
                    }
                } else if stack.iter().any(|s| s == "VTIMEZONE")
                    && matches!(inner, Some("VTIMEZONE" | "STANDARD" | "DAYLIGHT"))
                    && TZ_PROPS.contains(&name.as_str())
                    && let Some(p) = parse_line(&line)
                {
                    tz_text.push_str(&p.render(&p.name));
                    tz_text.push_str("\r\n");
                    if let Some(o) = observance.as_mut() {
                        o.push(p);
                    } else if let Some(z) = zone.as_mut() {
                        match p.name.as_str() {
                            "TZID" => {
                                z.named |= p.value.parse::<Tz>().is_ok();
                                z.tzid = p.value;
                            }
                            "X-LIC-LOCATION" => {
                                let v = p.value.trim_start_matches("SystemV/");
                                z.named |= v.parse::<Tz>().is_ok();
                            }
                            "X-MICROSOFT-CDO-TZID" => {
                                z.named |= Tz::from_ms_cdo_zone_id(&p.value).is_some();
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    // An unterminated calendar: its finished events still count.
    if let Some(c) = current.take() {
        events_of_calendar.push(c);
    }
    for mut c in events_of_calendar {
        c.timezones = timezones.clone();
        c.method = method.clone();
        out.push(c);
    }
    (out, n_calendars)
}

// ---- Census ----------------------------------------------------------------------------------

/// What one file holds, as this connector's scanner reads it: for checking the scanner against
/// another reader (the tests compare it with Python's `icalendar`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Census {
    pub vcalendars: u64,
    /// VEVENTs directly in a VCALENDAR.
    pub vevents: u64,
    /// VEVENTs outside any VCALENDAR (rejected as `outside_vcalendar`).
    pub vevents_outside_vcalendar: u64,
    /// Distinct (UID, RECURRENCE-ID value) of the VEVENTs in a VCALENDAR.
    pub distinct_uid_rid: u64,
    /// ATTENDEE lines of those VEVENTs by PARTSTAT (NEEDS-ACTION when absent).
    pub attendees_by_partstat: std::collections::BTreeMap<String, u64>,
    pub vevents_with_organizer: u64,
    /// Distinct organizer addresses (lower case, `mailto:` dropped).
    pub distinct_organizers: u64,
    /// VEVENTs by their calendar's METHOD (`NONE` without one).
    pub vevents_by_method: std::collections::BTreeMap<String, u64>,
}

/// The [`Census`] of one `.ics` file.
pub fn census(path: &Path) -> std::io::Result<Census> {
    let bytes = std::fs::read(path)?;
    let (comps, vcalendars) = scan(&String::from_utf8_lossy(&bytes));
    let mut c = Census {
        vcalendars,
        ..Census::default()
    };
    let mut keys = rustc_hash::FxHashSet::default();
    let mut organizers = rustc_hash::FxHashSet::default();
    for e in &comps {
        if e.outside {
            c.vevents_outside_vcalendar += 1;
            continue;
        }
        c.vevents += 1;
        let method = if e.method.is_empty() {
            "NONE"
        } else {
            &e.method
        };
        *c.vevents_by_method.entry(method.to_string()).or_default() += 1;
        keys.insert((
            e.get("UID").map(|p| p.value.clone()).unwrap_or_default(),
            e.get("RECURRENCE-ID").map(|p| p.value.clone()),
        ));
        for a in e.props.iter().filter(|p| p.name == "ATTENDEE") {
            let partstat = a.param("PARTSTAT").unwrap_or("NEEDS-ACTION");
            *c.attendees_by_partstat
                .entry(partstat.to_ascii_uppercase())
                .or_default() += 1;
        }
        if let Some(o) = e.get("ORGANIZER") {
            c.vevents_with_organizer += 1;
            organizers.insert(address(o).0.to_lowercase());
        }
    }
    c.distinct_uid_rid = keys.len() as u64;
    c.distinct_organizers = organizers.len() as u64;
    Ok(c)
}

// ---- Dates ------------------------------------------------------------------------------------

/// The VTIMEZONEs of a calendar: as text for calcard (which knows a zone by its TZID,
/// `X-LIC-LOCATION` or `X-MICROSOFT-CDO-TZID` naming an IANA or Windows zone), and the zones
/// it cannot name, whose observances are evaluated here.
#[derive(Debug, Default)]
struct Zones {
    text: String,
    custom: Vec<CustomZone>,
}

/// A VTIMEZONE with no zone name calcard knows: its STANDARD and DAYLIGHT observances.
#[derive(Debug, Default, Clone)]
struct CustomZone {
    tzid: String,
    named: bool,
    observances: Vec<Vec<Prop>>,
}

impl CustomZone {
    /// The UTC offset (s) in force at a local time (ms, read as UTC): the observance whose
    /// latest onset (DTSTART, RRULE, RDATE, local times) is at or before it. Onsets are compared
    /// in local time, so the hour of a change itself may be off by the change.
    fn offset_at(&self, local_ms: i64) -> Option<i64> {
        let mut best: Option<(i64, i64)> = None;
        let mut earliest: Option<(i64, i64)> = None;
        for o in &self.observances {
            let Some(to) = o
                .iter()
                .find(|p| p.name == "TZOFFSETTO")
                .and_then(|p| utc_offset(&p.value))
            else {
                continue;
            };
            let props: Vec<(&str, &Prop)> = o
                .iter()
                .filter(|p| matches!(p.name.as_str(), "DTSTART" | "RRULE" | "RDATE"))
                .map(|p| (p.name.as_str(), p))
                .collect();
            let Ok(onsets) = expand(&Zones::default(), &props, Some((i64::MIN, local_ms + 1)))
            else {
                continue;
            };
            if let Some(&(first, _)) = onsets.first()
                && earliest.is_none_or(|(t, _)| first < t)
            {
                earliest = Some((first, to));
            }
            if let Some(&(last, _)) = onsets.last()
                && best.is_none_or(|(t, _)| last > t)
            {
                best = Some((last, to));
            }
        }
        best.or(earliest).map(|(_, to)| to)
    }
}

/// `+0100`, `-0530`, `+013000` as seconds east of UTC.
fn utc_offset(text: &str) -> Option<i64> {
    let t = text.trim();
    let (sign, digits) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    if !matches!(digits.len(), 4 | 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits[r].parse::<i64>().ok();
    let secs = n(0..2)? * 3600 + n(2..4)? * 60 + if digits.len() == 6 { n(4..6)? } else { 0 };
    Some(sign * secs)
}

impl Zones {
    /// A date property in a zone calcard cannot name, in UTC (its recurrence then repeats in
    /// UTC: a documented approximation); anything else as it is.
    fn to_utc(&self, p: &Prop) -> Prop {
        let Some(tzid) = p.param("TZID") else {
            return p.clone();
        };
        let Some(zone) = self.custom.iter().find(|z| z.tzid == tzid) else {
            return p.clone();
        };
        let mut values = Vec::new();
        for v in p.value.split(',') {
            let Ok(local) = chrono::NaiveDateTime::parse_from_str(v.trim(), "%Y%m%dT%H%M%S") else {
                return p.clone();
            };
            let local_ms = local.and_utc().timestamp_millis();
            let Some(offset) = zone.offset_at(local_ms) else {
                return p.clone();
            };
            let utc = local - chrono::TimeDelta::seconds(offset);
            values.push(utc.format("%Y%m%dT%H%M%SZ").to_string());
        }
        Prop {
            name: p.name.clone(),
            params: p
                .params
                .iter()
                .filter(|(n, _)| n != "TZID")
                .cloned()
                .collect(),
            value: values.join(","),
        }
    }
}

/// A meeting instance: start (ms UTC) and duration (s).
type Instance = (i64, i64);
/// A bad date: the property and what is wrong.
type DateError = (&'static str, String);

/// Instances (start ms, duration s) of the date properties `props` (DTSTART first), with the
/// calendar's time zones; `Err((field, detail))` when a date is bad.
fn expand(
    zones: &Zones,
    props: &[(&str, &Prop)],
    window: Option<(i64, i64)>,
) -> Result<Vec<Instance>, DateError> {
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    text.push_str(&zones.text);
    text.push_str("BEGIN:VEVENT\r\n");
    for (name, p) in props {
        let p = zones.to_utc(p);
        text.push_str(&p.render(name));
        text.push_str("\r\n");
    }
    text.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let cal = match Parser::new(&text).entry() {
        Entry::ICalendar(cal) => cal,
        _ => return Err(("DTSTART", "the dates cannot be parsed".into())),
    };
    let expanded = cal.expand_dates(Tz::UTC, MAX_STEPS);
    if let Some(e) = expanded.errors.first() {
        use calcard::icalendar::dates::CalendarErrorType as E;
        return Err(match &e.error {
            E::MissingDtStart | E::InvalidDtStart => ("DTSTART", "no valid DTSTART".into()),
            E::InvalidDtEnd => ("DTEND", "DTEND is not a valid date".into()),
            E::InvalidDuration => ("DURATION", "DURATION is not a valid duration".into()),
            E::RRule(err) => ("RRULE", format!("RRULE cannot be expanded: {err}")),
        });
    }
    if expanded.events.is_empty() {
        return Err(("DTSTART", "no valid DTSTART".into()));
    }
    // Without DTEND or DURATION a meeting at a time lasts no time, one on a date one day
    // (RFC 5545 3.6.1; calcard would run it to the end of its day).
    let no_end = !props
        .iter()
        .any(|(n, _)| matches!(*n, "DTEND" | "DURATION"));
    let on_a_date = props.iter().any(|(n, p)| {
        *n == "DTSTART"
            && (p
                .param("VALUE")
                .is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
                || p.value.trim().len() == 8)
    });
    let mut out: Vec<Instance> = expanded
        .events
        .iter()
        .map(|e| {
            let start = e.start.timestamp_millis();
            let dur = match &e.end {
                TimeOrDelta::Time(end) => (end.timestamp_millis() - start) / 1000,
                TimeOrDelta::Delta(d) => d.num_seconds(),
            };
            let dur = match (no_end, on_a_date) {
                (true, true) => 86_400,
                (true, false) => 0,
                _ => dur.max(0),
            };
            (start, dur)
        })
        .filter(|(s, _)| window.is_none_or(|(from, to)| *s >= from && *s < to))
        .collect();
    out.sort_unstable();
    out.dedup_by_key(|x| x.0);
    Ok(out)
}

/// The UTC ms a RECURRENCE-ID names.
fn recurrence_id(timezones: &Zones, rid: &Prop) -> Option<i64> {
    expand(timezones, &[("DTSTART", rid)], None)
        .ok()?
        .first()
        .map(|x| x.0)
}

// ---- Records ----------------------------------------------------------------------------------

/// An address of ORGANIZER or ATTENDEE (`mailto:` dropped) and its CN.
fn address(p: &Prop) -> (String, Option<String>) {
    let v = p.value.trim();
    let v = match v.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &v[7..],
        _ => v,
    };
    (v.to_string(), p.param("CN").map(str::to_string))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Answer {
    Accepted,
    Declined,
    /// Passed on to someone else (who is an attendee of their own): not there.
    Delegated,
    Other,
}

fn answer(p: &Prop) -> Answer {
    match p.param("PARTSTAT").map(str::to_ascii_uppercase).as_deref() {
        Some("ACCEPTED") => Answer::Accepted,
        Some("DECLINED") => Answer::Declined,
        Some("DELEGATED") => Answer::Delegated,
        _ => Answer::Other,
    }
}

fn sequence(c: &Component) -> i64 {
    c.get("SEQUENCE")
        .and_then(|p| p.value.trim().parse().ok())
        .unwrap_or(0)
}

/// What is known of one (UID, RECURRENCE-ID).
#[derive(Default)]
struct Slot {
    /// The organizer's copy that wins (highest SEQUENCE, later on a tie) and its SEQUENCE.
    copy: Option<(i64, Component)>,
    /// The highest SEQUENCE of a CANCEL.
    cancelled: Option<i64>,
    /// Answers from REPLYs: normalized address → (SEQUENCE, answer, address as given, CN).
    replies: Vec<(i64, String, Answer, Option<String>, Component)>,
}

struct Emit<'a> {
    file: &'a Path,
    dir: &'a mut Directory,
    ids: &'a Ids,
    window: Option<(i64, i64)>,
    pending: &'a mut VecDeque<Result<(u64, Vec<Cell>), Problem>>,
}

/// The key of a (UID, RECURRENCE-ID): the instance's UTC ms, or the raw value when unparsable.
type Key = (String, Option<String>);

impl Emit<'_> {
    fn problem(
        &mut self,
        skip: bool,
        line: u64,
        field: &str,
        reason: &'static str,
        detail: String,
    ) {
        let e = RowError::new(self.file, line, field, reason, detail);
        self.pending.push_back(Err(if skip {
            Problem::Skip(e)
        } else {
            Problem::Reject(e)
        }));
    }

    fn file_records(&mut self, comps: Vec<Component>) {
        let mut order: Vec<Key> = Vec::new();
        let mut slots: FxHashMap<Key, Slot> = FxHashMap::default();
        for c in comps {
            if c.outside {
                self.problem(
                    false,
                    c.line,
                    "",
                    "outside_vcalendar",
                    "VEVENT outside any VCALENDAR".into(),
                );
                continue;
            }
            if let Some(name) = &c.bad_line {
                let name = name.clone();
                self.problem(
                    false,
                    c.line,
                    &name,
                    "bad_content_line",
                    format!("a {name} line of this VEVENT is not `NAME;PARAMS:VALUE`"),
                );
                continue;
            }
            let Some(uid) = c.get("UID").map(|p| p.value.trim().to_string()) else {
                self.problem(
                    false,
                    c.line,
                    "UID",
                    "missing_uid",
                    "VEVENT without UID".into(),
                );
                continue;
            };
            if uid.is_empty() {
                self.problem(
                    false,
                    c.line,
                    "UID",
                    "missing_uid",
                    "VEVENT without UID".into(),
                );
                continue;
            }
            let method = c.method.clone();
            if matches!(method.as_str(), "COUNTER" | "REFRESH" | "DECLINECOUNTER") {
                self.problem(
                    true,
                    c.line,
                    "METHOD",
                    "itip_not_a_meeting",
                    format!("METHOD:{method} proposes or asks, it is no meeting or answer"),
                );
                continue;
            }
            let rid = match c.get("RECURRENCE-ID") {
                Some(p) => Some(
                    recurrence_id(&c.timezones, p)
                        .map_or_else(|| format!("raw:{}", p.value), |ms| ms.to_string()),
                ),
                None if method == "ADD" => {
                    // ADD adds instances: each is its own record set.
                    Some(format!(
                        "add:{}",
                        c.get("DTSTART").map_or("", |p| p.value.as_str())
                    ))
                }
                None => None,
            };
            let key = (uid, rid);
            if !slots.contains_key(&key) {
                order.push(key.clone());
            }
            let slot = slots.entry(key).or_default();
            let seq = sequence(&c);
            match method.as_str() {
                "CANCEL" => {
                    slot.cancelled = Some(slot.cancelled.map_or(seq, |s| s.max(seq)));
                }
                "REPLY" => {
                    for a in c.props.iter().filter(|p| p.name == "ATTENDEE") {
                        let (addr, cn) = address(a);
                        slot.replies.push((
                            seq,
                            addr,
                            answer(a),
                            cn,
                            Component {
                                line: c.line,
                                method: c.method.clone(),
                                timezones: c.timezones.clone(),
                                props: c.props.clone(),
                                outside: false,
                                bad_line: None,
                            },
                        ));
                    }
                }
                _ => {
                    if slot.copy.as_ref().is_none_or(|(s, _)| seq >= *s) {
                        slot.copy = Some((seq, c));
                    }
                }
            }
        }
        // A cancel of a whole UID cancels its instances.
        let mut whole_cancel: FxHashMap<String, i64> = FxHashMap::default();
        for (key, slot) in &slots {
            if key.1.is_none()
                && let Some(s) = slot.cancelled
            {
                whole_cancel.insert(key.0.clone(), s);
            }
        }
        // Instances replaced by their own VEVENT, per UID.
        let mut overridden: FxHashMap<String, Vec<i64>> = FxHashMap::default();
        for (key, slot) in &slots {
            if let (Some(rid), Some(_)) = (&key.1, &slot.copy)
                && let Ok(ms) = rid.parse::<i64>()
            {
                overridden.entry(key.0.clone()).or_default().push(ms);
            }
        }
        // Without a window: the calendar's own span, from its first instance to its last dated
        // one (the last of a bounded recurrence, the first of an unbounded one).
        let window = self.window.or_else(|| {
            let mut span: Option<(i64, i64)> = None;
            for slot in slots.values() {
                let Some((_, c)) = &slot.copy else { continue };
                let Ok(inst) = expand(&c.timezones, &date_props(c, false), None) else {
                    continue;
                };
                let unbounded = c.get("RRULE").is_some_and(|r| {
                    let v = r.value.to_ascii_uppercase();
                    !v.contains("COUNT=") && !v.contains("UNTIL=")
                });
                let (Some(first), Some(last)) = (inst.first(), inst.last()) else {
                    continue;
                };
                let end = if unbounded { first.0 } else { last.0 };
                span = Some(span.map_or((first.0, end), |(a, b)| (a.min(first.0), b.max(end))));
            }
            span.map(|(a, b)| (a, b.saturating_add(1)))
        });
        for key in order {
            let slot = slots.remove(&key).expect("every key has a slot");
            let overrides = overridden.get(&key.0).map_or(&[][..], |v| &v[..]);
            self.record_set(
                &key,
                slot,
                whole_cancel.get(&key.0).copied(),
                overrides,
                window,
            );
        }
    }

    fn record_set(
        &mut self,
        key: &Key,
        slot: Slot,
        whole_cancel: Option<i64>,
        overrides: &[i64],
        window: Option<(i64, i64)>,
    ) {
        let copy_seq = slot.copy.as_ref().map(|(s, _)| *s);
        let cancelled_at = slot.cancelled.max(whole_cancel);
        // The copy that defines the meeting: the organizer's, else a reply's (for its time).
        let (base, from_reply) = match &slot.copy {
            Some((_, c)) => (c, false),
            None => match slot.replies.last() {
                Some((.., c)) => (c, true),
                None => return, // only a cancel
            },
        };
        if let (Some(cs), Some(seq)) = (cancelled_at, copy_seq)
            && cs >= seq
        {
            return;
        }
        if cancelled_at.is_some() && copy_seq.is_none() {
            return;
        }
        let status_cancelled = base
            .get("STATUS")
            .is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED"));
        if status_cancelled && !from_reply {
            return;
        }
        let line = base.line;
        // Dates.
        if base.get("DTSTART").is_none() {
            if from_reply {
                self.problem(
                    true,
                    line,
                    "DTSTART",
                    "reply_without_meeting",
                    "a REPLY to a meeting not in this file, without DTSTART".into(),
                );
            } else {
                self.problem(
                    false,
                    line,
                    "DTSTART",
                    "missing_dtstart",
                    "VEVENT without DTSTART".into(),
                );
            }
            return;
        }
        let date_props = date_props(base, from_reply);
        let mut instances = match expand(&base.timezones, &date_props, window) {
            Ok(v) => v,
            Err((field, detail)) => {
                let reason = if field == "RRULE" {
                    "bad_rrule"
                } else {
                    "bad_date"
                };
                self.problem(false, line, field, reason, detail);
                return;
            }
        };
        // Organizer.
        let Some(org) = base.get("ORGANIZER") else {
            if from_reply {
                self.problem(
                    true,
                    line,
                    "ORGANIZER",
                    "reply_without_meeting",
                    "a REPLY to a meeting not in this file, without ORGANIZER".into(),
                );
            } else {
                self.problem(
                    false,
                    line,
                    "ORGANIZER",
                    "missing_organizer",
                    "VEVENT without ORGANIZER".into(),
                );
            }
            return;
        };
        let (org_addr, org_cn) = address(org);
        let organizer = self.dir.resolve(&org_addr, org_cn.as_deref());
        let Some(organizer_id) = organizer.person().map(str::to_string) else {
            let reason = match organizer {
                Who::Group(_) => "group_organizer",
                _ => "external_organizer",
            };
            self.problem(
                true,
                line,
                "ORGANIZER",
                reason,
                "the organizer is not a person of the organization".into(),
            );
            return;
        };
        if key.1.is_none() {
            instances.retain(|(s, _)| !overrides.contains(s));
        }
        instances.truncate(MAX_INSTANCES);
        // Participants.
        let mut attendees: Vec<String> = Vec::new();
        let mut answers: Vec<(String, Answer)> = Vec::new();
        if !from_reply {
            for a in base.props.iter().filter(|p| p.name == "ATTENDEE") {
                let cutype = a.param("CUTYPE").unwrap_or("").to_ascii_uppercase();
                let role = a.param("ROLE").unwrap_or("").to_ascii_uppercase();
                if matches!(cutype.as_str(), "ROOM" | "RESOURCE" | "GROUP")
                    || role == "NON-PARTICIPANT"
                {
                    continue;
                }
                let (addr, cn) = address(a);
                let Some(id) = self
                    .dir
                    .resolve(&addr, cn.as_deref())
                    .person()
                    .map(str::to_string)
                else {
                    continue;
                };
                if id == organizer_id {
                    continue;
                }
                set_answer(&mut answers, &id, answer(a));
                if !attendees.contains(&id) {
                    attendees.push(id);
                }
            }
        }
        // Replies at least as recent as the copy override its PARTSTATs.
        for (seq, addr, ans, cn, _) in &slot.replies {
            if copy_seq.is_some_and(|s| *seq < s) {
                continue;
            }
            let Some(id) = self
                .dir
                .resolve(addr, cn.as_deref())
                .person()
                .map(str::to_string)
            else {
                continue;
            };
            if id != organizer_id {
                set_answer(&mut answers, &id, *ans);
            }
        }
        let declined = |id: &str| {
            answers
                .iter()
                .any(|(a, x)| a == id && matches!(x, Answer::Declined | Answer::Delegated))
        };
        let uid = &key.0;
        let mut first_event: Option<(i64, i64)> = None;
        if !from_reply {
            for &(start, duration) in &instances {
                let event_id = (self.ids)(&format!("{uid}/{start}"));
                first_event.get_or_insert((event_id, start));
                let row = |recipient: &str, role: &str| {
                    let mut cells = Vec::new();
                    blank(&mut cells);
                    cells[col::EVENT_ID] = Cell::Int(event_id);
                    cells[col::TIME] = Cell::TimeMs(start);
                    cells[col::ACTOR] = Cell::Str(organizer_id.clone());
                    cells[col::RECIPIENT] = Cell::Str(recipient.to_string());
                    cells[col::ROLE] = Cell::Str(role.into());
                    cells[col::CHANNEL] = Cell::Str("meeting".into());
                    cells[col::KIND] = Cell::Str("meeting".into());
                    cells[col::THREAD_ID] = Cell::Int(event_id);
                    cells[col::DURATION_S] = Cell::Int(duration);
                    cells[col::WEIGHT] = Cell::Float(1.0);
                    cells
                };
                self.pending
                    .push_back(Ok((line, row(&organizer_id, "organizer"))));
                for a in attendees.iter().filter(|a| !declined(a)) {
                    self.pending.push_back(Ok((line, row(a, "attendee"))));
                }
            }
        } else if let Some(&(start, _)) = instances.first() {
            first_event = Some(((self.ids)(&format!("{uid}/{start}")), start));
        }
        let Some((meeting_id, start)) = first_event else {
            return;
        };
        for (id, ans) in &answers {
            let kind = match ans {
                Answer::Accepted => "accept",
                Answer::Declined => "decline",
                Answer::Delegated | Answer::Other => continue,
            };
            let event_id = (self.ids)(&format!("{uid}/{start}/{kind}/{id}"));
            let mut cells = Vec::new();
            blank(&mut cells);
            cells[col::EVENT_ID] = Cell::Int(event_id);
            cells[col::TIME] = Cell::TimeMs(start - 1000);
            cells[col::ACTOR] = Cell::Str(id.clone());
            cells[col::RECIPIENT] = Cell::Str(organizer_id.clone());
            cells[col::ROLE] = Cell::Str("to".into());
            cells[col::CHANNEL] = Cell::Str("email".into());
            cells[col::KIND] = Cell::Str(kind.into());
            cells[col::THREAD_ID] = Cell::Int(meeting_id);
            cells[col::IN_REPLY_TO] = Cell::Int(meeting_id);
            cells[col::WEIGHT] = Cell::Float(1.0);
            self.pending.push_back(Ok((line, cells)));
        }
    }
}

/// The date properties of a VEVENT for the expansion (a reply's DTSTART only: its recurrence
/// is the meeting's business).
fn date_props(c: &Component, from_reply: bool) -> Vec<(&str, &Prop)> {
    DATE_PROPS
        .iter()
        .flat_map(|name| {
            c.props
                .iter()
                .filter(move |p| p.name == *name)
                .map(|p| (p.name.as_str(), p))
        })
        .filter(|(n, _)| !from_reply || *n == "DTSTART")
        .collect()
}

fn set_answer(answers: &mut Vec<(String, Answer)>, id: &str, ans: Answer) {
    match answers.iter_mut().find(|(a, _)| a == id) {
        Some(x) => x.1 = ans,
        None => answers.push((id.to_string(), ans)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_lines_with_quoted_parameters() {
        let p = parse_line(
            r#"ATTENDEE;CN="Doe, Jane";PARTSTAT=DECLINED;DELEGATED-TO="mailto:a@x.org","mailto:b@x.org":mailto:jane@x.org"#,
        )
        .unwrap();
        assert_eq!(p.name, "ATTENDEE");
        assert_eq!(p.param("CN"), Some("Doe, Jane"));
        assert_eq!(p.param("PARTSTAT"), Some("DECLINED"));
        assert_eq!(
            p.param("DELEGATED-TO"),
            Some("mailto:a@x.org,mailto:b@x.org")
        );
        assert_eq!(p.value, "mailto:jane@x.org");
        assert!(parse_line("ATTENDEE;CN=\"open").is_none());
    }
}
