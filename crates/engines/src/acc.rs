//! The pair accumulator of the engines (update / state / merge / evaluate), the parameters every
//! function of the plan receives as one text literal, and window codes.
//!
//! Sums come out bit-identical to the streaming path: integer counters are integers; the
//! message weights (`weight`, `w_communication`) are summed exactly ([`ExactSum`], every `f32`
//! being a multiple of 2^-149), which equals the streaming path's sum in time order whenever no
//! partial sum needs rounding (checked; otherwise the run fails rather than differ); the meeting
//! weights 1/(k−1) are summed in the streaming path's order, (time, event) within a window and
//! window by window for `all`.

use aggregate::varint::{put as varint, unzigzag, zigzag};
use vocab::{Window, WindowSpec};

pub(crate) const N_KINDS: usize = 13;
pub(crate) const N_CHANNELS: usize = 8;
pub(crate) const N_ROLES: usize = 5;
/// n, w_requests, w_help, kinds, channels, roles, n_ignored, n_ask, n_answered, n_unanswered.
pub(crate) const N_INTS: usize = 3 + N_KINDS + N_CHANNELS + N_ROLES + 4;
pub(crate) const I_N: usize = 0;
pub(crate) const I_REQ: usize = 1;
pub(crate) const I_HELP: usize = 2;
pub(crate) const I_KIND: usize = 3;
pub(crate) const I_CHANNEL: usize = I_KIND + N_KINDS;
pub(crate) const I_ROLE: usize = I_CHANNEL + N_CHANNELS;
pub(crate) const I_IGNORED: usize = I_ROLE + N_ROLES;
pub(crate) const I_ASK: usize = I_IGNORED + 1;
pub(crate) const I_ANSWERED: usize = I_IGNORED + 2;
pub(crate) const I_UNANSWERED: usize = I_IGNORED + 3;

/// The exact sum of non-negative `f32` values, in units of 2^-149 (256 bits: weights are at
/// most 1e6 < 2^20, so 2^87 of them fit).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ExactSum {
    limbs: [u64; 4],
    /// Lowest set bit over all terms (in units of 2^-149); `u32::MAX` when no term is non-zero.
    low_bit: u32,
    /// A negative or non-finite term: the sum cannot be reproduced.
    bad: bool,
}

impl ExactSum {
    pub(crate) fn new() -> ExactSum {
        ExactSum {
            limbs: [0; 4],
            low_bit: u32::MAX,
            bad: false,
        }
    }

    pub(crate) fn add_f32(&mut self, x: f32) {
        if x == 0.0 {
            return;
        }
        if !(x.is_finite() && x > 0.0) {
            self.bad = true;
            return;
        }
        let bits = x.to_bits();
        let exp = ((bits >> 23) & 0xff) as u32;
        let frac = bits & 0x7f_ffff;
        // x = mantissa * 2^(shift - 149)
        let (mantissa, shift) = if exp == 0 {
            (frac as u64, 0u32)
        } else {
            ((frac | 0x80_0000) as u64, exp - 1)
        };
        self.low_bit = self.low_bit.min(shift + mantissa.trailing_zeros());
        self.add_shifted(mantissa, shift);
    }

    fn add_shifted(&mut self, value: u64, shift: u32) {
        let (limb, bit) = ((shift / 64) as usize, shift % 64);
        let wide = (value as u128) << bit;
        let mut carry = 0u128;
        for (i, part) in [wide as u64, (wide >> 64) as u64].into_iter().enumerate() {
            if limb + i >= 4 {
                if part != 0 {
                    self.bad = true;
                }
                continue;
            }
            let s = self.limbs[limb + i] as u128 + part as u128 + carry;
            self.limbs[limb + i] = s as u64;
            carry = s >> 64;
        }
        let mut j = limb + 2;
        while carry != 0 {
            if j >= 4 {
                self.bad = true;
                return;
            }
            let s = self.limbs[j] as u128 + carry;
            self.limbs[j] = s as u64;
            carry = s >> 64;
            j += 1;
        }
    }

    pub(crate) fn merge(&mut self, o: &ExactSum) {
        self.bad |= o.bad;
        self.low_bit = self.low_bit.min(o.low_bit);
        for (i, &l) in o.limbs.iter().enumerate() {
            if l != 0 {
                self.add_shifted(l, 64 * i as u32);
            }
        }
    }

    /// The sum as an `f64`, when every partial sum of the terms, in any order, is an `f64`
    /// (then the streaming path's sequential sum is this exact value).
    pub(crate) fn value(&self) -> Option<f64> {
        if self.bad {
            return None;
        }
        if self.low_bit == u32::MAX {
            return Some(0.0);
        }
        // sum >> low_bit must fit 53 bits: every partial sum is a multiple of 2^low_bit and
        // at most the sum, so none of them rounds.
        let lb = self.low_bit;
        let mut shifted = [0u64; 4];
        for i in 0..4 {
            let src = i as u32 * 64 + lb;
            let (limb, bit) = ((src / 64) as usize, src % 64);
            if limb < 4 {
                let lo = self.limbs[limb] >> bit;
                let hi = if bit > 0 && limb + 1 < 4 {
                    self.limbs[limb + 1] << (64 - bit)
                } else {
                    0
                };
                shifted[i] = lo | hi;
            }
        }
        if shifted[1] != 0 || shifted[2] != 0 || shifted[3] != 0 || shifted[0] >= 1 << 53 {
            return None;
        }
        Some(shifted[0] as f64 * 2f64.powi(lb as i32 - 149))
    }

    /// A flag byte (bit 0: bad; bits 1–4: which limbs are not zero), those limbs, and the
    /// lowest bit plus one (wrapping, so that "no term" is 0) as a varint.
    fn write(&self, out: &mut Vec<u8>) {
        let mut flags = u8::from(self.bad);
        for (i, l) in self.limbs.iter().enumerate() {
            if *l != 0 {
                flags |= 2 << i;
            }
        }
        out.push(flags);
        for l in self.limbs.iter().filter(|l| **l != 0) {
            out.extend_from_slice(&l.to_le_bytes());
        }
        varint(out, self.low_bit.wrapping_add(1) as u64);
    }

    fn read(r: &mut Reader) -> ExactSum {
        let flags = r.u8();
        let mut limbs = [0u64; 4];
        for (i, l) in limbs.iter_mut().enumerate() {
            if flags & (2 << i) != 0 {
                *l = r.u64();
            }
        }
        ExactSum {
            limbs,
            low_bit: (r.varint() as u32).wrapping_sub(1),
            bad: flags & 1 != 0,
        }
    }
}

/// One pair's accumulator in one window.
#[derive(Debug, Clone)]
pub(crate) struct Acc {
    pub(crate) ints: [u32; N_INTS],
    pub(crate) weight: ExactSum,
    pub(crate) communication: ExactSum,
    /// Meeting weights with their (time, event): summed in that order at the end.
    pub(crate) meetings: Vec<(i64, u64, f64)>,
    /// Meeting seconds (whole seconds, so any order sums alike).
    pub(crate) meeting_s: u64,
    pub(crate) latencies: Vec<f32>,
    pub(crate) first: i64,
    pub(crate) last: i64,
}

impl Default for Acc {
    fn default() -> Acc {
        Acc {
            ints: [0; N_INTS],
            weight: ExactSum::new(),
            communication: ExactSum::new(),
            meetings: Vec::new(),
            meeting_s: 0,
            latencies: Vec::new(),
            first: i64::MAX,
            last: i64::MIN,
        }
    }
}

/// A pair's finished row: what the `pairs` table holds besides window, pair and relation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PairRow {
    pub(crate) ints: [u32; N_INTS],
    pub(crate) weight: f64,
    pub(crate) communication: f64,
    pub(crate) meetings: f64,
    pub(crate) meeting_s: f64,
    pub(crate) n_latency: u32,
    pub(crate) median: Option<f64>,
    pub(crate) mean: Option<f64>,
    pub(crate) first: Option<i64>,
    pub(crate) last: Option<i64>,
}

impl Acc {
    pub(crate) fn merge(&mut self, o: &Acc) {
        for (a, b) in self.ints.iter_mut().zip(o.ints) {
            *a += b;
        }
        self.weight.merge(&o.weight);
        self.communication.merge(&o.communication);
        self.meetings.extend_from_slice(&o.meetings);
        self.meeting_s += o.meeting_s;
        self.latencies.extend_from_slice(&o.latencies);
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }

    pub(crate) fn size(&self) -> usize {
        std::mem::size_of::<Acc>()
            + self.meetings.capacity() * std::mem::size_of::<(i64, u64, f64)>()
            + self.latencies.capacity() * 4
    }

    /// The accumulator as a partial aggregate's state, compact because states cross a
    /// shuffle (at M, 13.5 M of them): which counters are not zero (a varint mask) and those as
    /// varints, the two exact sums, the meeting seconds, whether there are times and then the
    /// first (zigzag) and the span, then the meetings and latencies as they are.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let mask = self
            .ints
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0)
            .fold(0u64, |m, (i, _)| m | 1 << i);
        varint(out, mask);
        for v in self.ints.iter().filter(|v| **v != 0) {
            varint(out, *v as u64);
        }
        self.weight.write(out);
        self.communication.write(out);
        varint(out, self.meeting_s);
        let timed = self.first != i64::MAX || self.last != i64::MIN;
        out.push(u8::from(timed));
        if timed {
            varint(out, zigzag(self.first));
            varint(out, self.last.wrapping_sub(self.first) as u64);
        }
        varint(out, self.meetings.len() as u64);
        for (t, e, w) in &self.meetings {
            out.extend_from_slice(&t.to_le_bytes());
            out.extend_from_slice(&e.to_le_bytes());
            out.extend_from_slice(&w.to_le_bytes());
        }
        varint(out, self.latencies.len() as u64);
        for l in &self.latencies {
            out.extend_from_slice(&l.to_le_bytes());
        }
    }

    pub(crate) fn decode(bytes: &[u8]) -> Acc {
        let mut r = Reader { bytes, at: 0 };
        let mut acc = Acc::default();
        let mask = r.varint();
        for (i, v) in acc.ints.iter_mut().enumerate() {
            if mask & 1 << i != 0 {
                *v = r.varint() as u32;
            }
        }
        acc.weight = ExactSum::read(&mut r);
        acc.communication = ExactSum::read(&mut r);
        acc.meeting_s = r.varint();
        if r.u8() != 0 {
            acc.first = unzigzag(r.varint());
            acc.last = acc.first.wrapping_add(r.varint() as i64);
        }
        let n = r.varint() as usize;
        acc.meetings.reserve(n);
        for _ in 0..n {
            let t = r.u64() as i64;
            let e = r.u64();
            let w = f64::from_bits(r.u64());
            acc.meetings.push((t, e, w));
        }
        let n = r.varint() as usize;
        acc.latencies.reserve(n);
        for _ in 0..n {
            acc.latencies.push(f32::from_bits(r.u32()));
        }
        acc
    }

    /// The finished row of window `window`. `fold`: the partition spec whose windows the
    /// streaming path folds into `all` (meeting weights of `all` are then summed per partition
    /// window first, as the streaming path merges its closed windows).
    pub(crate) fn finish(
        mut self,
        window: Window,
        fold: Option<&WindowSpec>,
    ) -> Result<PairRow, String> {
        let inexact = |what: &str| {
            format!(
                "the {what} weights of a pair cannot be summed exactly as the local engine sums them \
                 (weights too fine for 53 bits); use --engine local for this data"
            )
        };
        let weight = self.weight.value().ok_or_else(|| inexact("message"))?;
        let communication = self
            .communication
            .value()
            .ok_or_else(|| inexact("communication"))?;
        self.meetings.sort_by_key(|&(t, e, _)| (t, e));
        let meetings = match (window, fold) {
            (Window::All, Some(part)) => {
                let mut total = 0.0f64;
                let mut current: Option<(Option<Window>, f64)> = None;
                for &(t, _, w) in &self.meetings {
                    let key = (t != i64::MIN).then(|| part.window_of(Some(t))).flatten();
                    match current.as_mut() {
                        Some((k, s)) if *k == key => *s += w,
                        _ => {
                            if let Some((_, s)) = current.take() {
                                total += s;
                            }
                            current = Some((key, 0.0 + w));
                        }
                    }
                }
                if let Some((_, s)) = current {
                    total += s;
                }
                total
            }
            _ => {
                let mut s = 0.0f64;
                for &(_, _, w) in &self.meetings {
                    s += w;
                }
                s
            }
        };
        let (n_latency, median, mean) = if self.latencies.is_empty() {
            (0, None, None)
        } else {
            let l = &mut self.latencies;
            l.sort_unstable_by(f32::total_cmp);
            let m = l.len();
            let median = if m % 2 == 1 {
                l[m / 2] as f64
            } else {
                (l[m / 2 - 1] as f64 + l[m / 2] as f64) / 2.0
            };
            let mean = l.iter().map(|&x| x as f64).sum::<f64>() / m as f64;
            (m as u32, Some(median), Some(mean))
        };
        Ok(PairRow {
            ints: self.ints,
            weight,
            communication,
            meetings,
            meeting_s: self.meeting_s as f64,
            n_latency,
            median,
            mean,
            first: (self.first != i64::MAX).then_some(self.first),
            last: (self.last != i64::MIN).then_some(self.last),
        })
    }
}

impl PairRow {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        for v in self.ints {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for f in [
            self.weight,
            self.communication,
            self.meetings,
            self.meeting_s,
        ] {
            out.extend_from_slice(&f.to_le_bytes());
        }
        out.extend_from_slice(&self.n_latency.to_le_bytes());
        for o in [self.median, self.mean] {
            out.push(u8::from(o.is_some()));
            out.extend_from_slice(&o.unwrap_or(0.0).to_le_bytes());
        }
        for o in [self.first, self.last] {
            out.push(u8::from(o.is_some()));
            out.extend_from_slice(&o.unwrap_or(0).to_le_bytes());
        }
    }

    pub(crate) fn decode(bytes: &[u8]) -> PairRow {
        let mut r = Reader { bytes, at: 0 };
        let mut ints = [0u32; N_INTS];
        for v in &mut ints {
            *v = r.u32();
        }
        let mut f = || f64::from_bits(r.u64());
        let (weight, communication, meetings, meeting_s) = (f(), f(), f(), f());
        let n_latency = r.u32();
        let opt_f = |r: &mut Reader| {
            let some = r.u8() != 0;
            let v = f64::from_bits(r.u64());
            some.then_some(v)
        };
        let median = opt_f(&mut r);
        let mean = opt_f(&mut r);
        let opt_i = |r: &mut Reader| {
            let some = r.u8() != 0;
            let v = r.u64() as i64;
            some.then_some(v)
        };
        let first = opt_i(&mut r);
        let last = opt_i(&mut r);
        PairRow {
            ints,
            weight,
            communication,
            meetings,
            meeting_s,
            n_latency,
            median,
            mean,
            first,
            last,
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        b.copy_from_slice(&self.bytes[self.at..self.at + N]);
        self.at += N;
        b
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    fn varint(&mut self) -> u64 {
        aggregate::varint::get(self.bytes, &mut self.at).expect("a state this crate encoded")
    }
}

/// When a window with bounds closed in the streaming path: after the group at (time, event)
/// whose close check first came at or past its end plus the reply window. Increments that the
/// streaming path makes to a closed window are lost there, and so here.
pub(crate) type Trigger = (i64, u64);

/// Everything the plan's functions need besides their columns, passed as one text literal so
/// that a Ballista executor gets it with the plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Params {
    pub(crate) specs: Vec<WindowSpec>,
    pub(crate) reply_window_ms: i64,
    pub(crate) max_meeting_size: usize,
    /// The last dated row's time (the streaming path's `last_seen`).
    pub(crate) max_time: Option<i64>,
    /// Close triggers of windows with bounds, by window code (only when they matter).
    pub(crate) triggers: Vec<(i64, Trigger)>,
}

impl Params {
    pub(crate) fn fold(&self) -> Option<(usize, usize)> {
        let all = self.specs.iter().position(|w| *w == WindowSpec::All)?;
        let part = self
            .specs
            .iter()
            .position(|w| matches!(w, WindowSpec::Months | WindowSpec::Quarters))?;
        Some((all, part))
    }

    pub(crate) fn encode(&self) -> String {
        let specs: Vec<String> = self
            .specs
            .iter()
            .map(|s| match s {
                WindowSpec::All => "all".to_string(),
                WindowSpec::Months => "months".to_string(),
                WindowSpec::Quarters => "quarters".to_string(),
                WindowSpec::Fixed(w) => match w {
                    Window::Range { start_ms, end_ms } => format!("range:{start_ms}:{end_ms}"),
                    other => other.label(),
                },
            })
            .collect();
        let triggers: Vec<String> = self
            .triggers
            .iter()
            .map(|(w, (t, e))| format!("{w}:{t}:{e}"))
            .collect();
        format!(
            "v1;s={};w={};m={};t={};c={}",
            specs.join(","),
            self.reply_window_ms,
            self.max_meeting_size,
            self.max_time.map(|t| t.to_string()).unwrap_or_default(),
            triggers.join(",")
        )
    }

    pub(crate) fn decode(text: &str) -> Result<Params, String> {
        let bad = || format!("malformed engine parameters `{text}`");
        let mut p = Params {
            specs: Vec::new(),
            reply_window_ms: 0,
            max_meeting_size: 0,
            max_time: None,
            triggers: Vec::new(),
        };
        let mut parts = text.split(';');
        if parts.next() != Some("v1") {
            return Err(bad());
        }
        for part in parts {
            let (k, v) = part.split_once('=').ok_or_else(bad)?;
            match k {
                "s" => {
                    for s in v.split(',').filter(|s| !s.is_empty()) {
                        let spec = if let Some(r) = s.strip_prefix("range:") {
                            let (a, b) = r.split_once(':').ok_or_else(bad)?;
                            WindowSpec::Fixed(Window::Range {
                                start_ms: a.parse().map_err(|_| bad())?,
                                end_ms: b.parse().map_err(|_| bad())?,
                            })
                        } else {
                            WindowSpec::parse(s)?
                        };
                        p.specs.push(spec);
                    }
                }
                "w" => p.reply_window_ms = v.parse().map_err(|_| bad())?,
                "m" => p.max_meeting_size = v.parse().map_err(|_| bad())?,
                "t" => {
                    p.max_time = (!v.is_empty())
                        .then(|| v.parse())
                        .transpose()
                        .map_err(|_| bad())?
                }
                "c" => {
                    for c in v.split(',').filter(|c| !c.is_empty()) {
                        let mut it = c.split(':');
                        let mut n = || it.next().ok_or_else(bad);
                        let w: i64 = n()?.parse().map_err(|_| bad())?;
                        let t: i64 = n()?.parse().map_err(|_| bad())?;
                        let e: u64 = n()?.parse().map_err(|_| bad())?;
                        p.triggers.push((w, (t, e)));
                    }
                }
                _ => return Err(bad()),
            }
        }
        Ok(p)
    }

    fn trigger(&self, code: i64) -> Option<Trigger> {
        self.triggers
            .iter()
            .find(|(w, _)| *w == code)
            .map(|(_, t)| *t)
    }

    /// Whether window `w` was closed when the group at `at` was processed (`None`: never
    /// dropped; `(i64::MAX, _)`: at the end of the data).
    fn closed(&self, w: &Window, at: Option<Trigger>) -> bool {
        let Some(at) = at else { return false };
        match self.trigger(self.code(w)) {
            Some(trigger) => trigger < at,
            None => false,
        }
    }

    /// The windows an increment at window time `wt` goes to, as codes; `at` is when it was
    /// made, for increments the streaming path drops when their window has closed.
    pub(crate) fn windows_of(&self, wt: Option<i64>, at: Option<Trigger>, out: &mut Vec<i64>) {
        out.clear();
        let fold = self.fold();
        for (s, spec) in self.specs.iter().enumerate() {
            if let (Some(t), Some((all, part))) = (wt, fold)
                && all == s
            {
                // Folded: `all` gets a dated increment only through its partition window.
                if let Some(w) = self.specs[part].window_of(Some(t))
                    && self.closed(&w, at)
                {
                    continue;
                }
                out.push(self.code(&Window::All));
                continue;
            }
            let Some(w) = spec.window_of(wt) else {
                continue;
            };
            if self.closed(&w, at) {
                continue;
            }
            out.push(self.code(&w));
        }
    }

    /// A window's code: `all` 0, months and quarters by their number, a fixed range by its spec.
    pub(crate) fn code(&self, w: &Window) -> i64 {
        match *w {
            Window::All => 0,
            Window::Month { year, month } => (1 << 40) + year as i64 * 12 + month as i64 - 1,
            Window::Quarter { year, quarter } => (2 << 40) + year as i64 * 4 + quarter as i64 - 1,
            Window::Range { .. } => {
                let i = self
                    .specs
                    .iter()
                    .position(|s| *s == WindowSpec::Fixed(*w))
                    .unwrap_or(usize::MAX >> 24);
                (3 << 40) + i as i64
            }
        }
    }

    pub(crate) fn window(&self, code: i64) -> Option<Window> {
        let (kind, n) = (code >> 40, code & ((1 << 40) - 1));
        let n = if kind == 1 || kind == 2 {
            // Years may be negative in principle; codes are offsets from 0.
            code - (kind << 40)
        } else {
            n
        };
        match kind {
            0 if code == 0 => Some(Window::All),
            1 => Some(Window::Month {
                year: n.div_euclid(12) as i32,
                month: (n.rem_euclid(12) + 1) as u32,
            }),
            2 => Some(Window::Quarter {
                year: n.div_euclid(4) as i32,
                quarter: (n.rem_euclid(4) + 1) as u32,
            }),
            3 => match self.specs.get(n as usize) {
                Some(WindowSpec::Fixed(w)) => Some(*w),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sums_match_sequential_sums_of_coarse_weights() {
        let values = [1.0f32, 0.25, 0.3, 7.5, 0.1, 1e5, 3.0e-3];
        let mut s = ExactSum::new();
        let mut seq = 0.0f64;
        for v in values {
            s.add_f32(v);
            seq += v as f64;
        }
        assert_eq!(s.value(), Some(seq));
        let mut rev = ExactSum::new();
        for v in values.iter().rev() {
            rev.add_f32(*v);
        }
        let mut merged = ExactSum::new();
        merged.merge(&rev);
        assert_eq!(merged.value(), Some(seq));
    }

    #[test]
    fn accumulators_round_trip_through_their_state() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let same = |a: &Acc, b: &Acc| {
            a.ints == b.ints
                && a.weight == b.weight
                && a.communication == b.communication
                && a.meeting_s == b.meeting_s
                && a.first == b.first
                && a.last == b.last
                && a.latencies
                    .iter()
                    .map(|l| l.to_bits())
                    .eq(b.latencies.iter().map(|l| l.to_bits()))
                && a.meetings
                    .iter()
                    .map(|m| (m.0, m.1, m.2.to_bits()))
                    .eq(b.meetings.iter().map(|m| (m.0, m.1, m.2.to_bits())))
        };
        let edge = [
            0i64,
            1,
            -1,
            i64::MIN,
            i64::MAX,
            1_714_435_199_976,
            -86_400_000,
        ];
        for case in 0..500 {
            let mut acc = Acc::default();
            for v in acc.ints.iter_mut() {
                *v = match next() % 4 {
                    0 => 0,
                    1 => (next() % 200) as u32,
                    2 => u32::MAX,
                    _ => next() as u32,
                };
            }
            for _ in 0..next() % 4 {
                acc.weight
                    .add_f32(f32::from_bits((next() % 0x7f00_0000) as u32));
            }
            if case % 7 == 0 {
                acc.communication.add_f32(-1.0);
            }
            acc.communication.add_f32(0.25);
            acc.meeting_s = if case % 3 == 0 {
                u64::MAX
            } else {
                next() % 10_000
            };
            if case % 5 != 0 {
                let t = [edge[case % edge.len()], edge[(case / 7) % edge.len()]];
                acc.first = t[0].min(t[1]);
                acc.last = t[0].max(t[1]);
            } else if case % 10 == 5 {
                acc.first = 3; // a first time without a last one cannot occur, but round-trips
            }
            for _ in 0..next() % 3 {
                acc.meetings
                    .push((next() as i64, next(), f64::from_bits(next())));
            }
            for _ in 0..next() % 4 {
                acc.latencies.push(f32::from_bits(next() as u32));
            }
            let mut bytes = Vec::new();
            acc.encode(&mut bytes);
            let back = Acc::decode(&bytes);
            assert!(
                same(&acc, &back),
                "case {case}: {acc:?} came back as {back:?}"
            );
        }
        // An empty accumulator's state is a few bytes, not the fixed-width record's 238.
        let mut bytes = Vec::new();
        Acc::default().encode(&mut bytes);
        assert!(bytes.len() <= 10, "{} bytes", bytes.len());
    }

    #[test]
    fn a_sum_that_would_round_is_refused() {
        let mut s = ExactSum::new();
        s.add_f32(1e6);
        s.add_f32(1e-30);
        assert_eq!(s.value(), None);
    }

    #[test]
    fn params_and_window_codes_round_trip() {
        let p = Params {
            specs: vec![
                WindowSpec::All,
                WindowSpec::Months,
                WindowSpec::Fixed(Window::parse("2024-01-01..2024-02-15").unwrap()),
            ],
            reply_window_ms: 5,
            max_meeting_size: 50,
            max_time: Some(-3),
            triggers: vec![(1 << 40, (7, u64::MAX))],
        };
        assert_eq!(Params::decode(&p.encode()).unwrap(), p);
        for w in [
            Window::All,
            Window::Month {
                year: 2001,
                month: 12,
            },
            Window::Quarter {
                year: 1999,
                quarter: 1,
            },
            Window::parse("2024-01-01..2024-02-15").unwrap(),
        ] {
            assert_eq!(p.window(p.code(&w)), Some(w));
        }
    }
}
