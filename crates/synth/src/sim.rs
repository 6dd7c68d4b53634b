//! The interaction simulation: day by day, each person starts interactions with people near
//! them in the organization, at working hours of their time zone, and colleagues answer,
//! decline or ignore requests with latencies that depend on who asked. The planted dynamics
//! change exactly these choices for the people cast in them.

use crate::org::{Cast, OFFICES, Org, Staff};
use crate::realism::Realism;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Poisson};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::{BTreeMap, HashMap};
use vocab::{Channel, Kind, Role};

pub fn standard_normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    // Box–Muller; one of the pair is enough here.
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// One generated row (one actor–recipient pair of one interaction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimRow {
    pub event_id: u64,
    pub time_ms: i64,
    pub actor: u32,
    pub recipient: u32,
    pub role: Role,
    pub channel: Channel,
    pub kind: Kind,
    pub thread: u64,
    pub reply_to: Option<u64>,
    pub duration_s: Option<u32>,
    pub speaking_s: Option<u32>,
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// How a target answers a request: median latency (hours), and chances to decline or ignore.
#[derive(Debug, Clone, Copy)]
struct Answer {
    median_h: f64,
    decline: f64,
    ignore: f64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LeaderStyle {
    Over,
    With,
}

pub struct Sim<'a> {
    org: &'a Org,
    rng: Xoshiro256PlusPlus,
    start_day: i32,
    days: i32,
    next_event: u64,
    buckets: BTreeMap<i32, Vec<SimRow>>,
    /// Multiplies every rate, tuned day by day so that the total meets the target.
    pub scale: f64,
    // Planted roles, as lookups.
    paper: Vec<bool>,
    caretaker: Vec<bool>,
    bottleneck: Vec<bool>,
    silo_dept: Vec<bool>,
    style: Vec<Option<LeaderStyle>>,
    /// Each person's leader style's leader, for team members.
    led_by: Vec<Option<(u32, LeaderStyle)>>,
    pair_answer: HashMap<(u32, u32), Answer>,
    unbalanced: Vec<(u32, u32)>,
    allies: Vec<(u32, u32)>,
    coalition: Vec<u32>,
    dept_after_hours: Vec<f64>,
    hidden_redirect: Vec<Option<u32>>,
    /// (chief of staff, principal): the principal's team runs through them.
    chiefs: Vec<(u32, u32)>,
    /// Each person's stable working network inside their part of the organization, closest first.
    contacts: Vec<Vec<u32>>,
    /// Each person's few ties into other departments.
    outside: Vec<Vec<u32>>,
    /// The metadata-only mode's behaviour; `None` in the full mode, which never reads what follows.
    realism: Option<Realism>,
    /// Days each person is away, as sorted `[first, end)` day ranges (metadata-only mode).
    away: Vec<Vec<(i32, i32)>>,
    /// Each person's activity beyond the full mode's (metadata-only mode; empty otherwise).
    extra_activity: Vec<f64>,
}

/// Builds everyone's stable contacts: `size.0 + [0, size.1)` colleagues under the same
/// skip-level manager, a few from the rest of the department, and a few in other departments
/// (rarely for silos).
fn networks(
    org: &Org,
    silo_dept: &[bool],
    size: (usize, usize),
    rng: &mut Xoshiro256PlusPlus,
) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    let n = org.n();
    // Depth-first order, so that every subtree is one contiguous range.
    let mut order = Vec::with_capacity(n);
    let mut tin = vec![0usize; n];
    let mut tout = vec![0usize; n];
    let mut stack = vec![(org.ceo, false)];
    while let Some((p, done)) = stack.pop() {
        if done {
            tout[p as usize] = order.len();
            continue;
        }
        tin[p as usize] = order.len();
        order.push(p);
        stack.push((p, true));
        for &c in org.people[p as usize].reports.iter().rev() {
            stack.push((c, false));
        }
    }
    let mut contacts = Vec::with_capacity(n);
    let mut outside = Vec::with_capacity(n);
    for p in 0..n as u32 {
        let person = &org.people[p as usize];
        let anchor = person
            .manager
            .and_then(|m| {
                org.people[m as usize]
                    .manager
                    .filter(|&g| g != org.ceo)
                    .or(Some(m))
            })
            .unwrap_or(p);
        let (lo, hi) = (tin[anchor as usize], tout[anchor as usize]);
        let want = size.0 + rng.random_range(0..size.1);
        let mut list: Vec<u32> = Vec::with_capacity(want + 4);
        for _ in 0..want * 2 {
            if list.len() >= want {
                break;
            }
            let q = order[rng.random_range(lo..hi.max(lo + 1))];
            if q != p && !list.contains(&q) {
                list.push(q);
            }
        }
        let dept = &org.members[person.department as usize];
        for _ in 0..rng.random_range(1..4) {
            let q = dept[rng.random_range(0..dept.len())];
            if q != p && !list.contains(&q) {
                list.push(q);
            }
        }
        contacts.push(list);
        let n_out = if silo_dept[person.department as usize] {
            0
        } else {
            rng.random_range(1..5)
        };
        let mut out = Vec::new();
        for _ in 0..n_out * 3 {
            if out.len() >= n_out {
                break;
            }
            let d = rng.random_range(0..org.departments.len());
            if d == person.department as usize || (silo_dept[d] && rng.random::<f64>() < 0.97) {
                continue;
            }
            let q = org.members[d][rng.random_range(0..org.members[d].len())];
            if !out.contains(&q) {
                out.push(q);
            }
        }
        outside.push(out);
    }
    (contacts, outside)
}

/// A person's absences over the simulated days: blocks of `away_days` days, separated by gaps
/// that make them `away_share` of all days on average.
fn away_days(
    r: &Realism,
    start_day: i32,
    days: i32,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<(i32, i32)> {
    let (lo, hi) = (
        r.away_days.0.max(1),
        r.away_days.1.max(r.away_days.0.max(1)),
    );
    if r.away_share <= 0.0 {
        return Vec::new();
    }
    let mean_block = (lo + hi) as f64 / 2.0;
    let mean_gap = mean_block * (1.0 - r.away_share) / r.away_share;
    let mut out = Vec::new();
    // Start before the first day so that some people begin the period away.
    let mut day = start_day - (rng.random::<f64>() * (mean_gap + mean_block)) as i32;
    loop {
        let gap = (-mean_gap * rng.random::<f64>().max(f64::MIN_POSITIVE).ln()).round() as i32;
        day += gap;
        if day >= start_day + days {
            break;
        }
        let len = rng.random_range(lo..=hi);
        out.push((day, day + len));
        day += len + 1;
    }
    out
}

impl<'a> Sim<'a> {
    pub fn new(
        org: &'a Org,
        cast: &Cast,
        rng: Xoshiro256PlusPlus,
        start_day: i32,
        days: i32,
        realism: Option<Realism>,
    ) -> Sim<'a> {
        let n = org.n();
        let flags = |list: &[u32]| {
            let mut v = vec![false; n];
            for &i in list {
                v[i as usize] = true;
            }
            v
        };
        let paper = flags(&cast.paper);
        let caretaker = flags(&cast.caretakers);
        let bottleneck = flags(&cast.bottlenecks);
        let mut silo_dept = vec![false; org.departments.len()];
        for &d in &cast.silos {
            silo_dept[d as usize] = true;
        }
        let mut style = vec![None; n];
        let mut led_by = vec![None; n];
        for (list, s) in [
            (&cast.power_over, LeaderStyle::Over),
            (&cast.power_with, LeaderStyle::With),
        ] {
            for &l in list.iter() {
                style[l as usize] = Some(s);
                for &r in &org.people[l as usize].reports {
                    led_by[r as usize] = Some((l, s));
                }
            }
        }
        let mut pair_answer = HashMap::new();
        for &(holder, yielder) in &cast.unbalanced {
            // The yielder answers the holder at once and never refuses; the holder makes the
            // yielder wait, and often refuses or ignores.
            pair_answer.insert(
                (holder, yielder),
                Answer {
                    median_h: 0.25,
                    decline: 0.0,
                    ignore: 0.0,
                },
            );
            pair_answer.insert(
                (yielder, holder),
                Answer {
                    median_h: 30.0,
                    decline: 0.3,
                    ignore: 0.35,
                },
            );
        }
        for &(a, b) in &cast.allies {
            pair_answer.insert(
                (a, b),
                Answer {
                    median_h: 0.8,
                    decline: 0.02,
                    ignore: 0.0,
                },
            );
            pair_answer.insert(
                (b, a),
                Answer {
                    median_h: 0.8,
                    decline: 0.02,
                    ignore: 0.0,
                },
            );
        }
        for &a in &cast.coalition {
            for &b in &cast.coalition {
                if a != b {
                    pair_answer.insert(
                        (a, b),
                        Answer {
                            median_h: 0.7,
                            decline: 0.02,
                            ignore: 0.02,
                        },
                    );
                }
            }
        }
        let mut net_rng = Xoshiro256PlusPlus::seed_from_u64(rng.clone().random());
        let size = realism.map_or((6, 14), |r| r.contacts);
        let (contacts, outside) = networks(org, &silo_dept, size, &mut net_rng);
        let mut r2 = rng.clone();
        let dept_after_hours = (0..org.departments.len())
            .map(|_| 0.02 + 0.2 * r2.random::<f64>().powi(2))
            .collect();
        let mut hidden_redirect = vec![None; n];
        let mut chiefs = Vec::new();
        for &(staff, principal) in &cast.hidden {
            match org.people[staff as usize].staff {
                Staff::Assistant => hidden_redirect[principal as usize] = Some(staff),
                Staff::ChiefOfStaff => chiefs.push((staff, principal)),
                Staff::Regular => {}
            }
        }
        let (away, extra_activity) = match realism {
            Some(r) => {
                let mut away_rng =
                    Xoshiro256PlusPlus::seed_from_u64(rng.clone().random::<u64>() ^ 0x5A5A_A5A5);
                let away = (0..n)
                    .map(|_| away_days(&r, start_day, days, &mut away_rng))
                    .collect();
                // Lognormal with mean 1.
                let s = r.activity_sigma;
                let extra = (0..n)
                    .map(|_| (s * standard_normal(&mut away_rng) - s * s / 2.0).exp())
                    .collect();
                (away, extra)
            }
            None => (Vec::new(), Vec::new()),
        };
        Sim {
            org,
            rng,
            start_day,
            days,
            next_event: 1,
            buckets: BTreeMap::new(),
            scale: 1.0,
            paper,
            caretaker,
            bottleneck,
            silo_dept,
            style,
            led_by,
            pair_answer,
            unbalanced: cast.unbalanced.clone(),
            allies: cast.allies.clone(),
            coalition: cast.coalition.clone(),
            dept_after_hours,
            hidden_redirect,
            chiefs,
            contacts,
            outside,
            realism,
            away,
            extra_activity,
        }
    }

    /// The first day back when `p` is away on (local) `day`.
    fn back_from(&self, p: u32, day: i32) -> Option<i32> {
        let ranges = self.away.get(p as usize)?;
        let i = ranges.partition_point(|&(_, end)| end <= day);
        ranges
            .get(i)
            .filter(|&&(first, _)| first <= day)
            .map(|&(_, end)| end)
    }

    /// When `p`, who would act at `t`, acts given their absences: `t`, or a morning after they
    /// are back.
    fn when_back(&mut self, p: u32, t: i64) -> i64 {
        let local_day = (t + self.offset_ms(p)).div_euclid(DAY_MS) as i32;
        match self.back_from(p, local_day) {
            Some(back) => {
                let morning = back as i64 * DAY_MS + 8 * HOUR_MS - self.offset_ms(p)
                    + (self.uniform() * 3.0 * HOUR_MS as f64) as i64;
                self.next_working(p, morning)
            }
            None => t,
        }
    }

    /// When `p` answers something received at `t` in the metadata-only mode (see [`Realism`]),
    /// and whether an absence put it off.
    fn answer_time(&mut self, p: u32, t: i64, median_h: f64, r: &Realism) -> (i64, bool) {
        let latency_h = r.latency_scale
            * median_h.powf(r.latency_power)
            * (r.latency_sigma * standard_normal(&mut self.rng)).exp();
        let at = t + (latency_h * HOUR_MS as f64) as i64 + 60_000;
        // Some answers are written in the evening, not the next working morning.
        let local_hour = (at + self.offset_ms(p)).rem_euclid(DAY_MS) / HOUR_MS;
        let evening = (19..23).contains(&local_hour) && self.uniform() < r.evening;
        let at = if evening {
            at
        } else {
            self.next_working(p, at)
        };
        let back = self.when_back(p, at);
        (back, back != at)
    }

    /// People an e-mail copies beyond `recipients` in the metadata-only mode.
    fn copies(
        &mut self,
        actor: u32,
        recipients: &[u32],
        channel: Channel,
        is_reply: bool,
        r: &Realism,
    ) -> Vec<u32> {
        let chance = if is_reply {
            r.reply_cc_chance
        } else {
            r.cc_chance
        };
        if channel != Channel::Email || recipients.len() > 2 || self.uniform() >= chance {
            return Vec::new();
        }
        let k = 1 + self.rng.random_range(0..r.cc_max.max(1));
        let mut out = Vec::new();
        for _ in 0..k {
            if let Some(q) = self.partner(actor)
                && q != actor
                && !recipients.contains(&q)
                && !out.contains(&q)
            {
                out.push(q);
            }
        }
        out
    }

    fn offset_ms(&self, p: u32) -> i64 {
        OFFICES[self.org.people[p as usize].office as usize].1 as i64 * 60_000
    }

    fn uniform(&mut self) -> f64 {
        self.rng.random()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            Some(items[self.rng.random_range(0..items.len())])
        }
    }

    /// A time on `day` in the person's working hours (or, sometimes, after hours).
    fn work_time(&mut self, p: u32, day: i32) -> i64 {
        let dept = self.org.people[p as usize].department as usize;
        let local_minutes = if self.uniform() < self.dept_after_hours[dept] {
            19.0 * 60.0 + self.uniform() * 4.0 * 60.0
        } else {
            // 9:00 to 18:00 with a dip at lunch.
            loop {
                let m = 9.0 * 60.0 + self.uniform() * 9.0 * 60.0;
                if !(12.0 * 60.0..13.0 * 60.0).contains(&m) || self.uniform() < 0.4 {
                    break m;
                }
            }
        };
        day as i64 * DAY_MS + (local_minutes * 60_000.0) as i64 - self.offset_ms(p)
    }

    fn is_weekend(day: i32) -> bool {
        // 1970-01-01 was a Thursday.
        matches!((day + 3).rem_euclid(7), 5 | 6)
    }

    /// Moves a time that falls outside the person's working hours to the next working morning.
    fn next_working(&mut self, p: u32, t: i64) -> i64 {
        let off = self.offset_ms(p);
        let local = t + off;
        let mut day = local.div_euclid(DAY_MS) as i32;
        let minute = local.rem_euclid(DAY_MS) / 60_000;
        let in_hours = (8 * 60..19 * 60).contains(&minute);
        if in_hours && !Self::is_weekend(day) {
            return t;
        }
        if minute >= 8 * 60 {
            day += 1;
        }
        while Self::is_weekend(day) {
            day += 1;
        }
        let start =
            day as i64 * DAY_MS + 9 * HOUR_MS + (self.uniform() * 1.5 * HOUR_MS as f64) as i64;
        start - off
    }

    fn push(&mut self, row: SimRow) {
        let day = row.time_ms.div_euclid(DAY_MS) as i32;
        if day < self.start_day + self.days {
            self.buckets.entry(day).or_default().push(row);
        }
    }

    fn new_event(&mut self) -> u64 {
        let id = self.next_event;
        self.next_event += 1;
        id
    }

    /// Sends one interaction from `actor` to `recipients` (first is `to`, others `cc`).
    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        actor: u32,
        recipients: &[u32],
        t: i64,
        channel: Channel,
        kind: Kind,
        thread: Option<u64>,
        reply_to: Option<u64>,
    ) -> u64 {
        let id = self.new_event();
        let thread = thread.unwrap_or(id);
        // A real export knows a message, not what it does.
        let (kind, copied) = match self.realism {
            Some(realism) => (
                Kind::Message,
                self.copies(actor, recipients, channel, reply_to.is_some(), &realism),
            ),
            None => (kind, Vec::new()),
        };
        let extra_to = self.realism.map_or(0.0, |r| r.extra_to);
        for (k, &r) in recipients.iter().chain(&copied).enumerate() {
            if r == actor {
                continue;
            }
            // Real mail addresses several people in To more often than it copies them.
            let to = k == 0 || (extra_to > 0.0 && self.uniform() < extra_to);
            self.push(SimRow {
                event_id: id,
                time_ms: t,
                actor,
                recipient: r,
                role: if to { Role::To } else { Role::Cc },
                channel,
                kind,
                thread,
                reply_to,
                duration_s: None,
                speaking_s: None,
            });
        }
        id
    }

    fn answer_of(&self, asker: u32, target: u32) -> Answer {
        if let Some(a) = self.pair_answer.get(&(asker, target)) {
            return *a;
        }
        let tp = &self.org.people[target as usize];
        if self.bottleneck[target as usize] {
            return Answer {
                median_h: 40.0,
                decline: 0.05,
                ignore: 0.3,
            };
        }
        if self.caretaker[target as usize] {
            return Answer {
                median_h: 0.4,
                decline: 0.0,
                ignore: 0.0,
            };
        }
        if tp.staff != Staff::Regular {
            return Answer {
                median_h: 0.5,
                decline: 0.08,
                ignore: 0.02,
            };
        }
        // A leader answering their own team.
        if self.org.people[asker as usize].manager == Some(target) {
            match self.style[target as usize] {
                Some(LeaderStyle::Over) => {
                    return Answer {
                        median_h: 16.0,
                        decline: 0.15,
                        ignore: 0.25,
                    };
                }
                Some(LeaderStyle::With) => {
                    return Answer {
                        median_h: 0.8,
                        decline: 0.02,
                        ignore: 0.0,
                    };
                }
                None => {}
            }
        }
        if self.paper[asker as usize] {
            return Answer {
                median_h: 20.0,
                decline: 0.2,
                ignore: 0.3,
            };
        }
        let (la, lt) = (
            self.org.people[asker as usize].level as i32,
            tp.level as i32,
        );
        match lt.cmp(&la) {
            // Target is more junior than the asker.
            std::cmp::Ordering::Greater => Answer {
                median_h: 0.8 / (lt - la) as f64,
                decline: 0.02,
                ignore: 0.03,
            },
            std::cmp::Ordering::Equal => Answer {
                median_h: 3.0,
                decline: 0.05,
                ignore: 0.08,
            },
            std::cmp::Ordering::Less => Answer {
                median_h: 6.0 * (la - lt) as f64,
                decline: 0.08,
                ignore: 0.15,
            },
        }
    }

    /// The target's answer to a request or message, scheduled at its time.
    fn respond(
        &mut self,
        asker: u32,
        target: u32,
        request: u64,
        t: i64,
        channel: Channel,
        is_request: bool,
    ) {
        if let Some(realism) = self.realism {
            self.respond_realistic(asker, target, request, t, channel, is_request, &realism);
            return;
        }
        let a = self.answer_of(asker, target);
        let ignore = if is_request {
            a.ignore
        } else {
            0.6 + 0.4 * a.ignore
        };
        if self.uniform() < ignore {
            return;
        }
        let latency_h = a.median_h * (1.0 * standard_normal(&mut self.rng)).exp();
        let at = self.next_working(target, t + (latency_h * HOUR_MS as f64) as i64 + 60_000);
        let kind = if is_request && self.uniform() < a.decline {
            Kind::Decline
        } else if is_request && self.uniform() < 0.25 {
            Kind::Accept
        } else {
            Kind::Reply
        };
        self.send(
            target,
            &[asker],
            at,
            channel,
            kind,
            Some(request),
            Some(request),
        );
    }

    /// [`Sim::respond`] in the metadata-only mode: fewer answers, later and more spread out,
    /// after the target's absences; every answer is a message.
    #[allow(clippy::too_many_arguments)]
    fn respond_realistic(
        &mut self,
        asker: u32,
        target: u32,
        request: u64,
        t: i64,
        channel: Channel,
        is_request: bool,
        r: &Realism,
    ) {
        let a = self.answer_of(asker, target);
        let (ignore, keep) = if is_request {
            (a.ignore, r.answer_requests)
        } else {
            (0.6 + 0.4 * a.ignore, r.answer_messages)
        };
        if self.uniform() >= (1.0 - ignore) * keep {
            return;
        }
        let (at, was_away) = self.answer_time(target, t, a.median_h, r);
        if was_away && self.uniform() < r.away_drop {
            return;
        }
        self.send(
            target,
            &[asker],
            at,
            channel,
            Kind::Message,
            Some(request),
            Some(request),
        );
    }

    fn request(&mut self, asker: u32, target: u32, t: i64, channel: Channel) {
        if asker == target {
            return;
        }
        // Executives with an assistant are mostly reached through them.
        if let Some(assistant) = self.hidden_redirect[target as usize] {
            let direct_report = self.org.people[asker as usize].manager == Some(target);
            let p = if direct_report { 0.3 } else { 0.75 };
            if asker != assistant && self.uniform() < p {
                let id = self.send(asker, &[assistant], t, channel, Kind::Request, None, None);
                let fwd_t = t + (self.uniform() * 0.5 * HOUR_MS as f64) as i64 + 60_000;
                let fwd = self.send(
                    assistant,
                    &[target],
                    fwd_t,
                    Channel::Email,
                    Kind::Fyi,
                    Some(id),
                    None,
                );
                self.respond(assistant, target, fwd, fwd_t, Channel::Email, true);
                self.respond(asker, assistant, id, t, channel, true);
                return;
            }
        }
        let id = self.send(asker, &[target], t, channel, Kind::Request, None, None);
        self.respond(asker, target, id, t, channel, true);
    }

    /// Someone `p` would turn to, by organizational distance.
    fn partner(&mut self, p: u32) -> Option<u32> {
        let person = &self.org.people[p as usize];
        let dept = person.department as usize;
        let in_silo = self.silo_dept[dept];
        let led = self.led_by[p as usize];
        let mut cross = if in_silo { 0.004 } else { 0.12 };
        match led {
            Some((_, LeaderStyle::Over)) => cross *= 0.25,
            Some((_, LeaderStyle::With)) => cross *= 2.0,
            None => {}
        }
        let manager = person.manager;
        // Real mail flows up: in the metadata-only mode anyone writes to their department's
        // head now and then.
        if let Some(r) = self.realism
            && r.to_head > 0.0
            && self.uniform() < r.to_head
        {
            let head = self.org.heads[dept];
            if head != p {
                return Some(head);
            }
        }
        let (to_manager, hierarchy) = self
            .realism
            .map_or((1.0, 1.0), |r| (r.to_manager, r.hierarchy));
        let u = self.uniform();
        let mut acc = 0.0;
        let mut pick_if = |share: f64| {
            acc += share;
            u < acc
        };
        if pick_if(0.18 * to_manager)
            && let Some(m) = manager
        {
            // Reports of a paper-power manager go around them, to the skip level or a peer of theirs.
            if self.paper[m as usize] && self.uniform() < 0.75 {
                let skip = self.org.people[m as usize].manager;
                return if self.uniform() < 0.5 {
                    skip
                } else {
                    self.pick(self.org.peers(m)).filter(|&x| x != m).or(skip)
                };
            }
            return Some(m);
        }
        if pick_if(0.22 * hierarchy)
            && let Some(r) = self.pick(&self.org.people[p as usize].reports)
        {
            return Some(r);
        }
        if pick_if(0.2 * hierarchy)
            && let Some(q) = self.pick(self.org.peers(p))
            && q != p
        {
            return Some(q);
        }
        if pick_if(cross) {
            // Another department: mostly one's own few ties there, rarely a siloed one.
            let n_out = self.outside[p as usize].len();
            if self.uniform() < 0.8 && n_out > 0 {
                let k = self.rng.random_range(0..n_out);
                return Some(self.outside[p as usize][k]);
            }
            for _ in 0..4 {
                let d = self.rng.random_range(0..self.org.departments.len());
                if d == dept || (self.silo_dept[d] && self.uniform() < 0.97) {
                    continue;
                }
                return self.pick(&self.org.members[d]);
            }
        }
        // One's own working network, closest contacts most often.
        let n_contacts = self.contacts[p as usize].len();
        if n_contacts == 0 {
            return self.pick(&self.org.members[dept]).filter(|&q| q != p);
        }
        let u = if self.realism.is_some() {
            self.uniform()
        } else {
            self.uniform().min(self.uniform())
        };
        Some(self.contacts[p as usize][((u * n_contacts as f64) as usize).min(n_contacts - 1)])
    }

    fn meeting(&mut self, organizer: u32, attendees: &[u32], t: i64, airtime_weight: f64) {
        let id = self.new_event();
        let duration: u32 = if self.uniform() < 0.6 { 1800 } else { 3600 };
        let talk = duration as f64 * 0.8;
        let n = attendees.len() as f64;
        let total_w = airtime_weight + n;
        let speaking = |w: f64, noise: f64| ((talk * w / total_w) * noise).round() as u32;
        let noise = 0.7 + 0.6 * self.uniform();
        // Speaking time is not in real exports.
        let airtime = self.realism.is_none();
        self.push(SimRow {
            event_id: id,
            time_ms: t,
            actor: organizer,
            recipient: organizer,
            role: Role::Organizer,
            channel: Channel::Meeting,
            kind: Kind::Meeting,
            thread: id,
            reply_to: None,
            duration_s: Some(duration),
            speaking_s: airtime.then(|| speaking(airtime_weight, noise)),
        });
        for &a in attendees {
            if a == organizer {
                continue;
            }
            let noise = 0.7 + 0.6 * self.uniform();
            self.push(SimRow {
                event_id: id,
                time_ms: t,
                actor: organizer,
                recipient: a,
                role: Role::Attendee,
                channel: Channel::Meeting,
                kind: Kind::Meeting,
                thread: id,
                reply_to: None,
                duration_s: Some(duration),
                speaking_s: airtime.then(|| speaking(1.0, noise)),
            });
        }
        if let Some(realism) = self.realism {
            self.answer_invitation(organizer, attendees, id, t, &realism);
        }
    }

    /// Attendees' answers to an invitation (metadata-only mode): iTIP REPLY mail to the
    /// organizer, accepted or declined, by how the attendee answers the organizer's requests.
    fn answer_invitation(
        &mut self,
        organizer: u32,
        attendees: &[u32],
        invitation: u64,
        t: i64,
        r: &Realism,
    ) {
        for &a in attendees {
            if a == organizer {
                continue;
            }
            let answer = self.answer_of(organizer, a);
            if self.uniform() >= r.meeting_answer * (1.0 - answer.ignore) {
                continue;
            }
            let decline = (r.meeting_decline + answer.decline + answer.ignore / 2.0).min(0.8);
            let kind = if self.uniform() < decline {
                Kind::Decline
            } else {
                Kind::Accept
            };
            let (at, _) = self.answer_time(a, t, answer.median_h, r);
            let id = self.new_event();
            self.push(SimRow {
                event_id: id,
                time_ms: at,
                actor: a,
                recipient: organizer,
                role: Role::To,
                channel: Channel::Email,
                kind,
                thread: invitation,
                reply_to: Some(invitation),
                duration_s: None,
                speaking_s: None,
            });
        }
    }

    /// One ordinary interaction started by `p` on `day`.
    fn initiate(&mut self, p: u32, day: i32) {
        let t = self.work_time(p, day);
        let channel = if self.uniform() < 0.7 {
            Channel::Email
        } else {
            Channel::Chat
        };
        let u = self.uniform();
        let Some(target) = self.partner(p) else {
            return;
        };
        if target == p {
            return;
        }
        let caretaker = self.caretaker[p as usize];
        let style = self.style[p as usize];
        if u < 0.25 {
            // Caretakers rarely ask anything of anyone.
            if caretaker && self.uniform() < 0.9 {
                self.send(p, &[target], t, channel, Kind::Praise, None, None);
                return;
            }
            self.request(p, target, t, channel);
        } else if u < 0.55 {
            let id = self.send(p, &[target], t, channel, Kind::Message, None, None);
            self.respond(p, target, id, t, channel, false);
        } else if u < 0.73 {
            // fyi with copies, sometimes a broadcast.
            let mut list = vec![target];
            let extra = if self.uniform() < 0.05 {
                10 + self.rng.random_range(0..20)
            } else {
                self.rng.random_range(0..3)
            };
            for _ in 0..extra {
                if let Some(q) = self.partner(p)
                    && !list.contains(&q)
                    && q != p
                {
                    list.push(q);
                }
            }
            let id = self.send(p, &list, t, Channel::Email, Kind::Fyi, None, None);
            // Real mail to a few people gets answers from them too, as any message does.
            if let Some(r) = self.realism
                && list.len() <= r.answered_list
            {
                for &q in &list {
                    self.respond(p, q, id, t, Channel::Email, false);
                }
            }
        } else if u < 0.83 {
            let mut list = vec![target];
            let k = 1 + self.rng.random_range(0..5);
            for _ in 0..k {
                if let Some(q) = self.partner(p)
                    && !list.contains(&q)
                    && q != p
                {
                    list.push(q);
                }
            }
            self.meeting(p, &list, t, 1.0);
        } else if u < 0.88 {
            let kind = if style == Some(LeaderStyle::Over) || self.uniform() < 0.6 {
                Kind::FeedbackGiven
            } else {
                Kind::FeedbackAsked
            };
            self.send(p, &[target], t, channel, kind, None, None);
        } else if u < 0.92 {
            self.send(p, &[target], t, channel, Kind::Praise, None, None);
        } else if u < 0.935 {
            if let Some(other) = self.partner(target)
                && other != p
                && other != target
            {
                self.send(
                    p,
                    &[target, other],
                    t,
                    Channel::Email,
                    Kind::Introduction,
                    None,
                    None,
                );
            }
        } else {
            let kind = if self.org.people[p as usize].reports.is_empty() {
                Kind::Message
            } else {
                Kind::Decision
            };
            self.send(p, &[target], t, channel, kind, None, None);
        }
    }

    fn rate(&mut self, per_day: f64) -> u64 {
        let lambda = per_day * self.scale;
        if lambda <= 0.0 {
            return 0;
        }
        Poisson::new(lambda)
            .map(|d| d.sample(&mut self.rng) as u64)
            .unwrap_or(0)
    }

    /// Everything planted that happens on `day`, beyond ordinary behaviour.
    fn planted(&mut self, day: i32) {
        let org = self.org;
        let weekday = (day + 3).rem_euclid(7);
        // Executives keep their assistants busy and meet through them.
        for (exec, assistant) in self
            .hidden_redirect
            .clone()
            .into_iter()
            .enumerate()
            .filter_map(|(e, a)| a.map(|a| (e as u32, a)))
        {
            for _ in 0..self.rate(3.0) {
                let t = self.work_time(exec, day);
                let id = self.send(
                    exec,
                    &[assistant],
                    t,
                    Channel::Chat,
                    Kind::Request,
                    None,
                    None,
                );
                self.respond(exec, assistant, id, t, Channel::Chat, true);
            }
            if self.rate(0.6) > 0 {
                let mut list = vec![exec];
                for _ in 0..3 {
                    if let Some(q) = self.partner(exec)
                        && !list.contains(&q)
                        && q != assistant
                    {
                        list.push(q);
                    }
                }
                let t = self.work_time(assistant, day);
                self.meeting(assistant, &list, t, 0.5);
            }
        }
        // A chief of staff runs the principal's team: its members bring requests to them, they
        // pass the principal's decisions on, and keep the principal briefed.
        for (chief, principal) in self.chiefs.clone() {
            let team = org.people[principal as usize].reports.clone();
            for _ in 0..self.rate(3.0) {
                if let Some(asker) = self.pick(&team).filter(|&a| a != chief) {
                    let t = self.work_time(asker, day);
                    self.request(asker, chief, t, Channel::Email);
                }
            }
            for _ in 0..self.rate(1.0) {
                let t = self.work_time(chief, day);
                let to: Vec<u32> = team.iter().copied().filter(|&x| x != chief).collect();
                if !to.is_empty() {
                    self.send(chief, &to, t, Channel::Email, Kind::Decision, None, None);
                }
                self.send(chief, &[principal], t, Channel::Chat, Kind::Fyi, None, None);
            }
        }
        // Team meetings: once a week per manager, airtime by leadership style.
        for m in 0..org.n() as u32 {
            let reports = &org.people[m as usize].reports;
            if reports.len() < 2 || (m as i32 % 5) != weekday {
                continue;
            }
            let weight = match self.style[m as usize] {
                Some(LeaderStyle::Over) => 2.0 * reports.len() as f64,
                Some(LeaderStyle::With) => 0.9,
                None => 1.5,
            };
            let t = self.work_time(m, day);
            let list = reports.clone();
            self.meeting(m, &list, t, weight);
        }
        // Leaders and their teams.
        for m in 0..org.n() as u32 {
            let Some(style) = self.style[m as usize] else {
                continue;
            };
            let reports = org.people[m as usize].reports.clone();
            match style {
                LeaderStyle::Over => {
                    for _ in 0..self.rate(2.5) {
                        let r = self.pick(&reports).expect("leaders have reports");
                        let t = self.work_time(m, day);
                        let kind = if self.uniform() < 0.3 {
                            Kind::Decision
                        } else {
                            Kind::Request
                        };
                        if kind == Kind::Request {
                            self.request(m, r, t, Channel::Email);
                        } else {
                            self.send(m, &reports, t, Channel::Email, Kind::Decision, None, None);
                        }
                    }
                    // Cross-team work goes through the leader.
                    for _ in 0..self.rate(1.0) {
                        let r = self.pick(&reports).expect("leaders have reports");
                        let t = self.work_time(r, day);
                        let id = self.send(r, &[m], t, Channel::Email, Kind::Fyi, None, None);
                        let d = self.rng.random_range(0..org.departments.len());
                        if let Some(q) = self.pick(&org.members[d]) {
                            self.send(
                                m,
                                &[q],
                                t + HOUR_MS,
                                Channel::Email,
                                Kind::Request,
                                Some(id),
                                None,
                            );
                        }
                    }
                }
                LeaderStyle::With => {
                    for _ in 0..self.rate(0.8) {
                        let r = self.pick(&reports).expect("leaders have reports");
                        let t = self.work_time(m, day);
                        self.send(m, &[r], t, Channel::Chat, Kind::FeedbackAsked, None, None);
                        let at = self.next_working(r, t + HOUR_MS);
                        self.send(r, &[m], at, Channel::Chat, Kind::FeedbackGiven, None, None);
                    }
                    for _ in 0..self.rate(0.4) {
                        let r = self.pick(&reports).expect("leaders have reports");
                        let t = self.work_time(m, day);
                        self.request(m, r, t, Channel::Chat);
                    }
                    for _ in 0..self.rate(0.8) {
                        let r = self.pick(&reports).expect("leaders have reports");
                        let t = self.work_time(r, day);
                        self.request(r, m, t, Channel::Chat);
                    }
                }
            }
        }
        // Unbalanced pairs.
        for (holder, yielder) in self.unbalanced.clone() {
            for _ in 0..self.rate(1.5) {
                let t = self.work_time(holder, day);
                self.request(holder, yielder, t, Channel::Chat);
            }
            for _ in 0..self.rate(0.5) {
                let t = self.work_time(yielder, day);
                self.request(yielder, holder, t, Channel::Email);
            }
            for _ in 0..self.rate(0.5) {
                let t = self.work_time(yielder, day);
                self.send(yielder, &[holder], t, Channel::Email, Kind::Fyi, None, None);
            }
        }
        // Allies help each other, ask each other for feedback, and bring each other in early.
        for (a, b) in self.allies.clone() {
            for (x, y) in [(a, b), (b, a)] {
                for _ in 0..self.rate(0.4) {
                    let t = self.work_time(x, day);
                    self.request(x, y, t, Channel::Chat);
                }
                if self.rate(0.12) > 0 {
                    let t = self.work_time(x, day);
                    self.send(x, &[y], t, Channel::Chat, Kind::FeedbackAsked, None, None);
                    let at = self.next_working(y, t + 2 * HOUR_MS);
                    self.send(y, &[x], at, Channel::Chat, Kind::FeedbackGiven, None, None);
                }
                if self.rate(0.05) > 0
                    && let Some(q) = self.partner(x)
                    && q != y
                    && q != x
                {
                    let t = self.work_time(x, day);
                    self.send(
                        x,
                        &[y, q],
                        t,
                        Channel::Email,
                        Kind::Introduction,
                        None,
                        None,
                    );
                }
            }
        }
        // The coalition talks among itself, and meets weekly.
        let members = self.coalition.clone();
        if members.len() >= 2 {
            for &a in &members {
                for _ in 0..self.rate(0.7) {
                    let b = self.pick(&members).expect("members");
                    if b != a {
                        let t = self.work_time(a, day);
                        if self.uniform() < 0.5 {
                            self.request(a, b, t, Channel::Chat);
                        } else {
                            let id =
                                self.send(a, &[b], t, Channel::Chat, Kind::Message, None, None);
                            self.respond(a, b, id, t, Channel::Chat, false);
                        }
                    }
                }
            }
            if weekday == 2 {
                let organizer = members[(day as usize / 7) % members.len()];
                let t = self.work_time(organizer, day);
                self.meeting(organizer, &members, t, 1.0);
            }
        }
        // Caretakers and bottlenecks draw requests from many colleagues.
        for p in 0..org.n() as u32 {
            let (caretaker, bottleneck) = (self.caretaker[p as usize], self.bottleneck[p as usize]);
            if !caretaker && !bottleneck {
                continue;
            }
            let per_day = if bottleneck { 3.5 } else { 2.5 };
            for _ in 0..self.rate(per_day) {
                let Some(asker) = self.partner(p) else {
                    continue;
                };
                let asker = if self.uniform() < 0.5 {
                    self.partner(asker).unwrap_or(asker)
                } else {
                    asker
                };
                if asker == p {
                    continue;
                }
                let t = self.work_time(asker, day);
                self.request(asker, p, t, Channel::Email);
            }
            if caretaker {
                for _ in 0..self.rate(0.6) {
                    if let Some(q) = self.partner(p) {
                        let t = self.work_time(p, day);
                        let kind = if self.uniform() < 0.5 {
                            Kind::FeedbackGiven
                        } else {
                            Kind::Praise
                        };
                        self.send(p, &[q], t, Channel::Chat, kind, None, None);
                    }
                }
            }
        }
    }

    /// Simulates `day` and returns its rows in (time, event) order.
    pub fn day(&mut self, day: i32, base_rate: f64) -> Vec<SimRow> {
        let weekend = Self::is_weekend(day);
        let org = self.org;
        for p in 0..org.n() as u32 {
            let person = &org.people[p as usize];
            let dept_weekend = self.dept_after_hours[person.department as usize];
            let mut rate = base_rate * person.activity;
            if let Some(extra) = self.extra_activity.get(p as usize) {
                rate *= extra;
            }
            if weekend {
                rate *= dept_weekend * 0.5;
            }
            if self.paper[p as usize] {
                rate *= 0.3;
            }
            if self.caretaker[p as usize] {
                rate *= 0.5;
            }
            if self.realism.is_some() && self.back_from(p, day).is_some() {
                continue;
            }
            for _ in 0..self.rate(rate) {
                self.initiate(p, day);
            }
        }
        if !weekend {
            self.planted(day);
        }
        let mut rows = self.buckets.remove(&day).unwrap_or_default();
        // Anything scheduled before this day (should not happen) is emitted now.
        let stale: Vec<i32> = self.buckets.range(..day).map(|(d, _)| *d).collect();
        for d in stale {
            rows.extend(self.buckets.remove(&d).unwrap_or_default());
        }
        rows.sort_by_key(|r| (r.time_ms, r.event_id, r.recipient));
        rows
    }
}
