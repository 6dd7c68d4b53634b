//! When and how people send, counted row by row as the aggregation's pass reads the stored
//! interactions (`aggregate_counting`): per person and window, events sent, those sent after
//! hours (before 08:00 or from 19:00 local time on a weekday), on a weekend (local Saturday or
//! Sunday), and broadcasts (ten recipients or more).
//! Local time comes from the person's time zone (IANA name or fixed offset; UTC when unknown).
//! The same pass measures airtime in team meetings: in each meeting a manager organized with at
//! least two of their reports and mostly their reports, the manager's share of the speaking time
//! divided by an equal share.

use chrono::{Datelike, FixedOffset, TimeZone, Timelike, Utc, Weekday};
use vocab::{Activity, Interaction, Window, WindowSpec};

pub const BROADCAST_AT: usize = 10;

#[derive(Debug, Clone, Copy)]
enum Zone {
    Named(chrono_tz::Tz),
    Fixed(FixedOffset),
}

/// Parses an IANA name (`Europe/Berlin`) or an offset (`+05:30`, `UTC-8`, `GMT+2`, `UTC`).
fn parse_zone(text: &str) -> Option<Zone> {
    let t = text.trim();
    if let Ok(tz) = t.parse::<chrono_tz::Tz>() {
        return Some(Zone::Named(tz));
    }
    let rest = t
        .strip_prefix("UTC")
        .or_else(|| t.strip_prefix("GMT"))
        .unwrap_or(t);
    if rest.is_empty() {
        return FixedOffset::east_opt(0).map(Zone::Fixed);
    }
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None if digits.len() == 4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        None => (digits.parse().ok()?, 0),
    };
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Zone::Fixed)
}

/// (weekday, hour) in the zone.
fn local(zone: Option<Zone>, time_ms: i64) -> Option<(Weekday, u32)> {
    let utc = Utc.timestamp_millis_opt(time_ms).single()?;
    Some(match zone {
        Some(Zone::Named(tz)) => {
            let t = utc.with_timezone(&tz);
            (t.weekday(), t.hour())
        }
        Some(Zone::Fixed(off)) => {
            let t = utc.with_timezone(&off);
            (t.weekday(), t.hour())
        }
        None => (utc.weekday(), utc.hour()),
    })
}

/// The event being read.
struct Current {
    id: u64,
    time: Option<i64>,
    actor: u32,
    recipients: usize,
    meeting: bool,
    /// (person, speaking seconds) of the organizer and each attendee.
    speakers: Vec<(u32, f64)>,
}

/// Counts activity row by row (rows of one event next to each other, as stored) for the windows
/// of some specs: every window a spec gives an event's time gets the event.
pub struct Counter {
    zones: Vec<Option<Zone>>,
    managers: Vec<Option<u32>>,
    specs: Vec<WindowSpec>,
    /// Each window met so far, with one entry per person.
    windows: Vec<(Window, Vec<Activity>)>,
    /// Per spec, the index in `windows` of the window it gave last (events come in time order,
    /// so it is nearly always the one again).
    last: Vec<Option<usize>>,
    current: Option<Current>,
}

impl Counter {
    /// `time_zones`: one per person (IANA name or offset; UTC when unknown or unreadable);
    /// `managers`: each person's manager by index, empty when there is no chart.
    pub fn new(
        time_zones: &[Option<String>],
        managers: &[Option<u32>],
        specs: &[WindowSpec],
    ) -> Counter {
        Counter {
            zones: time_zones
                .iter()
                .map(|z| z.as_deref().and_then(parse_zone))
                .collect(),
            managers: managers.to_vec(),
            specs: specs.to_vec(),
            windows: Vec::new(),
            last: vec![None; specs.len()],
            current: None,
        }
    }

    /// Takes the next stored row.
    pub fn row(&mut self, row: &Interaction) {
        if self.current.as_ref().is_none_or(|e| e.id != row.event_id) {
            if let Some(e) = self.current.take() {
                self.flush(&e);
            }
            self.current = Some(Current {
                id: row.event_id,
                time: row.time_ms,
                actor: row.actor.0,
                recipients: 0,
                meeting: row.kind == vocab::Kind::Meeting,
                speakers: Vec::new(),
            });
        }
        let e = self.current.as_mut().expect("set above");
        if row.role == vocab::Role::Organizer {
            if let Some(s) = row.speaking_s {
                e.speakers.push((row.actor.0, s as f64));
            }
        } else {
            e.recipients += 1;
            if let Some(s) = row.speaking_s.filter(|_| e.meeting) {
                e.speakers.push((row.recipient.0, s as f64));
            }
        }
    }

    fn flush(&mut self, e: &Current) {
        let n = self.zones.len();
        let (Some(t), true) = (e.time, (e.actor as usize) < n) else {
            return;
        };
        let Some((day, hour)) = local(self.zones[e.actor as usize], t) else {
            return;
        };
        let weekend = matches!(day, Weekday::Sat | Weekday::Sun);
        let after = !weekend && !(8..19).contains(&hour);
        // A team meeting: organized by a manager, at least two of their reports there, and
        // reports at least half of the attendees.
        let airtime = if e.meeting && e.speakers.len() >= 3 {
            let attendees = e.speakers.iter().filter(|s| s.0 != e.actor);
            let (total, reports) = attendees.fold((0usize, 0usize), |(t, r), s| {
                let report = self.managers.get(s.0 as usize).copied().flatten() == Some(e.actor);
                (t + 1, r + report as usize)
            });
            let talk: f64 = e.speakers.iter().map(|s| s.1).sum();
            let own: f64 = e
                .speakers
                .iter()
                .filter(|s| s.0 == e.actor)
                .map(|s| s.1)
                .sum();
            (reports >= 2 && 2 * reports >= total && talk > 0.0)
                .then(|| own / talk * e.speakers.len() as f64)
        } else {
            None
        };
        for k in 0..self.specs.len() {
            let Some(window) = self.specs[k].window_of(Some(t)) else {
                continue;
            };
            let at = match self.last[k].filter(|&i| self.windows[i].0 == window) {
                Some(i) => i,
                None => {
                    let i = match self.windows.iter().position(|w| w.0 == window) {
                        Some(i) => i,
                        None => {
                            let people = (0..n)
                                .map(|p| Activity {
                                    person: p as u32,
                                    ..Default::default()
                                })
                                .collect();
                            self.windows.push((window, people));
                            self.windows.len() - 1
                        }
                    };
                    self.last[k] = Some(i);
                    i
                }
            };
            let a = &mut self.windows[at].1[e.actor as usize];
            a.sent += 1.0;
            a.after_hours += after as u8 as f64;
            a.weekend += weekend as u8 as f64;
            a.broadcast += (e.recipients >= BROADCAST_AT) as u8 as f64;
            if let Some(x) = airtime {
                a.team_meetings += 1.0;
                a.team_airtime_sum += x;
            }
        }
    }

    /// The counts of each of `windows` (in that order; a window no event fell in has none),
    /// one entry per person who sent anything.
    pub fn finish_for(mut self, windows: &[Window]) -> Vec<Vec<Activity>> {
        if let Some(e) = self.current.take() {
            self.flush(&e);
        }
        windows
            .iter()
            .map(|w| {
                self.windows
                    .iter_mut()
                    .find(|x| x.0 == *w)
                    .map(|x| std::mem::take(&mut x.1))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| a.sent > 0.0)
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_and_local_hours() {
        // 2024-03-04 (a Monday) 20:30 UTC.
        let t = 1_709_584_200_000;
        assert_eq!(local(None, t), Some((Weekday::Mon, 20)));
        assert_eq!(
            local(parse_zone("Asia/Kolkata"), t),
            Some((Weekday::Tue, 2))
        );
        assert_eq!(local(parse_zone("UTC-8"), t), Some((Weekday::Mon, 12)));
        assert_eq!(local(parse_zone("+05:30"), t), Some((Weekday::Tue, 2)));
        assert_eq!(
            local(parse_zone("America/New_York"), t),
            Some((Weekday::Mon, 15))
        );
        assert!(parse_zone("Mars/Olympus").is_none());
    }
}
