//! The pair accumulator and the compact records that update it. The pass over the interactions
//! does not update accumulators in place: it appends one 24-byte [`Rec`] per update to the
//! window's buffer, and the buffer is later sorted by pair (a stable radix sort) and applied in
//! one sequential sweep ([`Reduced::absorb`]). Applying a pair's records in their original order
//! gives every floating-point sum the same order, hence the same bits, as updating a hash map
//! row by row; the sweep touches memory in order instead of at random.
//!
//! Update / state / merge / evaluate: [`PairAcc::apply`] is the update, [`Reduced`] the state of
//! a window (sorted accumulators and latency samples), [`PairAcc::merge`] the merge of two
//! states (a month's into `all`), and the writer evaluates columns from it.

use vocab::{Channel, Interaction, Kind, Role};

pub(crate) const N_KINDS: usize = 13;
pub(crate) const N_CHANNELS: usize = 8;
pub(crate) const N_ROLES: usize = 5;

/// Everything known about one directed pair in one window.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PairAcc {
    pub(crate) n: u32,
    pub(crate) weight: f64,
    pub(crate) w_communication: f64,
    pub(crate) w_meetings: f64,
    pub(crate) meeting_s: f64,
    pub(crate) w_requests: u32,
    pub(crate) w_help: u32,
    pub(crate) kinds: [u32; N_KINDS],
    pub(crate) channels: [u32; N_CHANNELS],
    pub(crate) roles: [u32; N_ROLES],
    pub(crate) n_ignored: u32,
    /// Asks a made of b that were decided (answered, or left unanswered for the reply window),
    /// counted in the ask's windows: messages that opened a thread, To at most `MAX_ASK_TO`
    /// people. Asks still open when the data ends count nowhere.
    pub(crate) n_ask: u32,
    /// Asks of b that a answered in the thread.
    pub(crate) n_answered: u32,
    /// Asks of b that a left without an answer in the thread for the reply window.
    pub(crate) n_unanswered: u32,
    pub(crate) first: i64,
    pub(crate) last: i64,
}

/// Where the counters after the roles start in [`PairAcc::ints`].
const TAIL: usize = 3 + N_KINDS + N_CHANNELS + N_ROLES;

impl PairAcc {
    pub(crate) const N_INTS: usize = TAIL + 4;

    /// The integer fields, in a fixed order (for spilling).
    pub(crate) fn ints(&self) -> [u32; Self::N_INTS] {
        let mut out = [0u32; Self::N_INTS];
        out[0] = self.n;
        out[1] = self.w_requests;
        out[2] = self.w_help;
        out[3..3 + N_KINDS].copy_from_slice(&self.kinds);
        out[3 + N_KINDS..3 + N_KINDS + N_CHANNELS].copy_from_slice(&self.channels);
        out[3 + N_KINDS + N_CHANNELS..TAIL].copy_from_slice(&self.roles);
        out[TAIL] = self.n_ignored;
        out[TAIL + 1] = self.n_ask;
        out[TAIL + 2] = self.n_answered;
        out[TAIL + 3] = self.n_unanswered;
        out
    }

    pub(crate) fn floats(&self) -> [f64; 4] {
        [
            self.weight,
            self.w_communication,
            self.w_meetings,
            self.meeting_s,
        ]
    }

    pub(crate) fn from_parts(
        ints: [u32; Self::N_INTS],
        floats: [f64; 4],
        first: i64,
        last: i64,
    ) -> PairAcc {
        let mut p = PairAcc {
            n: ints[0],
            w_requests: ints[1],
            w_help: ints[2],
            n_ignored: ints[TAIL],
            n_ask: ints[TAIL + 1],
            n_answered: ints[TAIL + 2],
            n_unanswered: ints[TAIL + 3],
            weight: floats[0],
            w_communication: floats[1],
            w_meetings: floats[2],
            meeting_s: floats[3],
            first,
            last,
            ..PairAcc::default()
        };
        p.kinds.copy_from_slice(&ints[3..3 + N_KINDS]);
        p.channels
            .copy_from_slice(&ints[3 + N_KINDS..3 + N_KINDS + N_CHANNELS]);
        p.roles
            .copy_from_slice(&ints[3 + N_KINDS + N_CHANNELS..TAIL]);
        p
    }

    /// Adds another window's accumulator of the same pair (a month's, into `all`).
    pub(crate) fn merge(&mut self, o: &PairAcc) {
        self.n += o.n;
        self.weight += o.weight;
        self.w_communication += o.w_communication;
        self.w_meetings += o.w_meetings;
        self.meeting_s += o.meeting_s;
        self.w_requests += o.w_requests;
        self.w_help += o.w_help;
        for (a, b) in self.kinds.iter_mut().zip(o.kinds) {
            *a += b;
        }
        for (a, b) in self.channels.iter_mut().zip(o.channels) {
            *a += b;
        }
        for (a, b) in self.roles.iter_mut().zip(o.roles) {
            *a += b;
        }
        self.n_ignored += o.n_ignored;
        self.n_ask += o.n_ask;
        self.n_answered += o.n_answered;
        self.n_unanswered += o.n_unanswered;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }

    /// Applies one update record; a latency sample goes to `latencies`.
    #[inline]
    pub(crate) fn apply(&mut self, rec: &Rec, latencies: &mut Vec<f32>) {
        let tag = rec.tag;
        match tag & OP_MASK {
            OP_ROW => {
                let w = f32::from_bits(rec.y) as f64;
                self.n += 1;
                self.weight += w;
                self.kinds[((tag >> KIND_SHIFT) & 0xF) as usize] += 1;
                self.channels[((tag >> CHANNEL_SHIFT) & 0x7) as usize] += 1;
                self.roles[((tag >> ROLE_SHIFT) & 0x7) as usize] += 1;
                if tag & DATED != 0 {
                    let t = rec.x as i64;
                    self.first = self.first.min(t);
                    self.last = self.last.max(t);
                }
                if tag & COMMUNICATION != 0 {
                    self.w_communication += w;
                }
                if tag & REQUEST_TO != 0 {
                    self.w_requests += 1;
                }
            }
            OP_MEETING => {
                let k = rec.x as u32;
                let duration = (rec.x >> 32) as u32;
                self.w_meetings += 1.0 / (k as f64 - 1.0);
                self.meeting_s += duration as f64;
            }
            OP_LATENCY => {
                latencies.push(f32::from_bits(rec.y));
                if tag & HELP != 0 {
                    self.w_help += 1;
                }
            }
            OP_HELP => self.w_help += 1,
            OP_IGNORED => self.n_ignored += 1,
            OP_ASK => self.n_ask += 1,
            OP_ANSWERED => self.n_answered += 1,
            _ => self.n_unanswered += 1,
        }
    }
}

impl Default for PairAcc {
    fn default() -> Self {
        PairAcc {
            n: 0,
            weight: 0.0,
            w_communication: 0.0,
            w_meetings: 0.0,
            meeting_s: 0.0,
            w_requests: 0,
            w_help: 0,
            kinds: [0; N_KINDS],
            channels: [0; N_CHANNELS],
            roles: [0; N_ROLES],
            n_ignored: 0,
            n_ask: 0,
            n_answered: 0,
            n_unanswered: 0,
            first: i64::MAX,
            last: i64::MIN,
        }
    }
}

pub(crate) fn pair_key(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

const OP_MASK: u32 = 0xF;
const OP_ROW: u32 = 0;
const OP_MEETING: u32 = 1;
const OP_LATENCY: u32 = 2;
const OP_HELP: u32 = 3;
const OP_IGNORED: u32 = 4;
const OP_ASK: u32 = 5;
const OP_ANSWERED: u32 = 6;
const OP_UNANSWERED: u32 = 7;
const KIND_SHIFT: u32 = 4;
const CHANNEL_SHIFT: u32 = 8;
const ROLE_SHIFT: u32 = 11;
const DATED: u32 = 1 << 14;
const COMMUNICATION: u32 = 1 << 15;
const REQUEST_TO: u32 = 1 << 16;
const HELP: u32 = 1 << 17;

/// A counter that some later event adds one to (`n_ignored`, `n_ask`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    Help,
    Ignored,
    Ask,
    Answered,
    Unanswered,
}

/// One update of one pair's accumulator: a row, a co-attendance, a paired reply or a count.
/// 24 bytes: the pair, then what the update needs (a time, a weight, codes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rec {
    pub(crate) key: u64,
    /// A row's time; a meeting's size (low half) and duration in seconds (high half).
    x: u64,
    /// A row's weight or a latency in seconds (f32 bits).
    y: u32,
    /// The operation and, for a row, its codes and flags.
    tag: u32,
}

impl Rec {
    /// A row a→b of an interaction (`meeting`: the interaction is a meeting).
    #[inline]
    pub(crate) fn row(key: u64, r: &Interaction, meeting: bool) -> Rec {
        let mut tag = OP_ROW
            | (r.kind.code() as u32) << KIND_SHIFT
            | (r.channel.code() as u32) << CHANNEL_SHIFT
            | (r.role.code() as u32) << ROLE_SHIFT;
        if r.time_ms.is_some() {
            tag |= DATED;
        }
        if !meeting {
            tag |= COMMUNICATION;
        }
        if r.kind == Kind::Request && r.role == Role::To {
            tag |= REQUEST_TO;
        }
        Rec {
            key,
            x: r.time_ms.unwrap_or(0) as u64,
            y: r.weight.to_bits(),
            tag,
        }
    }

    /// Co-attendance in a meeting of `k` people lasting `duration_s`.
    #[inline]
    pub(crate) fn meeting(key: u64, k: u32, duration_s: u32) -> Rec {
        Rec {
            key,
            x: k as u64 | (duration_s as u64) << 32,
            y: 0,
            tag: OP_MEETING,
        }
    }

    /// A paired reply of a to b after `latency_s`; `help`: it fulfilled b's request.
    #[inline]
    pub(crate) fn latency(key: u64, latency_s: f32, help: bool) -> Rec {
        Rec {
            key,
            x: 0,
            y: latency_s.to_bits(),
            tag: OP_LATENCY | if help { HELP } else { 0 },
        }
    }

    #[inline]
    pub(crate) fn count(key: u64, what: Count) -> Rec {
        let op = match what {
            Count::Help => OP_HELP,
            Count::Ignored => OP_IGNORED,
            Count::Ask => OP_ASK,
            Count::Answered => OP_ANSWERED,
            Count::Unanswered => OP_UNANSWERED,
        };
        Rec {
            key,
            x: 0,
            y: 0,
            tag: op,
        }
    }
}

/// Whether a kind and channel code fit the record's bit fields (checked once, in tests).
const _: () = assert!(N_KINDS <= 16 && N_CHANNELS <= 8 && N_ROLES <= 8);
const _: () = assert!(std::mem::size_of::<Rec>() == 24);

/// Sorts records by pair, stably (records of one pair keep their order): a least-significant-
/// digit radix sort over only the bits that the keys use (both people indices), 11 bits a pass.
/// `scratch` is working memory, left with unspecified contents.
pub(crate) fn sort_by_pair(recs: &mut Vec<Rec>, scratch: &mut Vec<Rec>) {
    if recs.len() < 512 {
        recs.sort_by_key(|r| r.key);
        return;
    }
    let (mut max_a, mut max_b) = (0u32, 0u32);
    for r in recs.iter() {
        max_a = max_a.max((r.key >> 32) as u32);
        max_b = max_b.max(r.key as u32);
    }
    const BITS: u32 = 11;
    let mut digits: Vec<u32> = Vec::new();
    for (base, max) in [(0u32, max_b), (32, max_a)] {
        let used = 32 - max.leading_zeros();
        let mut shift = 0;
        while shift < used {
            digits.push(base + shift);
            shift += BITS;
        }
    }
    let mask = (1u64 << BITS) - 1;
    let mut counts = vec![[0usize; 1 << BITS]; digits.len()];
    for r in recs.iter() {
        for (c, &shift) in counts.iter_mut().zip(&digits) {
            c[((r.key >> shift) & mask) as usize] += 1;
        }
    }
    let len = recs.len();
    for (c, &shift) in counts.iter().zip(&digits) {
        if c.contains(&len) {
            continue; // every key has the same digit here
        }
        let mut offsets = [0usize; 1 << BITS];
        let mut sum = 0;
        for (o, &n) in offsets.iter_mut().zip(c.iter()) {
            *o = sum;
            sum += n;
        }
        // Every slot of scratch[..len] is written once: the offsets partition 0..len.
        scratch.resize(len, Rec::count(0, Count::Help));
        for r in recs.iter() {
            let d = ((r.key >> shift) & mask) as usize;
            scratch[offsets[d]] = *r;
            offsets[d] += 1;
        }
        std::mem::swap(recs, scratch);
    }
}

/// A window's accumulated state: accumulators and latency samples, both sorted by pair (the
/// samples of one pair in the order they were recorded).
#[derive(Debug, Default)]
pub(crate) struct Reduced {
    pub(crate) accs: Vec<(u64, PairAcc)>,
    pub(crate) latencies: Vec<(u64, f32)>,
}

impl Reduced {
    /// The state with `recs` (sorted by pair) applied after everything already in it; the
    /// accumulators of `self` are moved, never recomputed.
    pub(crate) fn absorb(self, recs: &[Rec]) -> Reduced {
        let mut out = Reduced::default();
        self.sweep(recs, |key, acc, samples| {
            out.accs.push((key, acc));
            out.latencies.extend(samples.iter().map(|&l| (key, l)));
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|never| match never {});
        out
    }

    /// Walks every pair of the state with `recs` (sorted by pair) applied, in pair order, and
    /// hands each to `f` with its latency samples (the state's first), without building the
    /// new state.
    pub(crate) fn sweep<E>(
        self,
        recs: &[Rec],
        mut f: impl FnMut(u64, PairAcc, &[f32]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut old = self.accs.into_iter().peekable();
        let mut old_samples = self.latencies.into_iter().peekable();
        let mut samples: Vec<f32> = Vec::new();
        let mut i = 0;
        loop {
            let key = match (old.peek(), recs.get(i)) {
                (None, None) => return Ok(()),
                (Some((k, _)), None) => *k,
                (None, Some(r)) => r.key,
                (Some((k, _)), Some(r)) => (*k).min(r.key),
            };
            samples.clear();
            let mut acc = match old.peek() {
                Some((k, _)) if *k == key => {
                    while let Some((k, l)) = old_samples.peek()
                        && *k == key
                    {
                        samples.push(*l);
                        old_samples.next();
                    }
                    old.next().expect("peeked").1
                }
                _ => PairAcc::default(),
            };
            while let Some(r) = recs.get(i)
                && r.key == key
            {
                acc.apply(r, &mut samples);
                i += 1;
            }
            f(key, acc, &samples)?;
        }
    }
}

/// Latency statistics of one pair's samples: count, median and mean (seconds), computed on the
/// samples sorted by value so that the result does not depend on their order.
pub(crate) fn latency_stats(samples: &mut [f32]) -> (i64, Option<f64>, Option<f64>) {
    if samples.is_empty() {
        return (0, None, None);
    }
    samples.sort_unstable_by(f32::total_cmp);
    let m = samples.len();
    let median = if m % 2 == 1 {
        samples[m / 2] as f64
    } else {
        (samples[m / 2 - 1] as f64 + samples[m / 2] as f64) / 2.0
    };
    let mean = samples.iter().map(|&x| x as f64).sum::<f64>() / m as f64;
    (m as i64, Some(median), Some(mean))
}

/// The column name of a kind's count.
pub(crate) fn kind_column(k: Kind) -> &'static str {
    match k {
        Kind::Message => "n_message",
        Kind::Request => "n_request",
        Kind::Reply => "n_reply",
        Kind::Fyi => "n_fyi",
        Kind::Decline => "n_decline",
        Kind::Accept => "n_accept",
        Kind::Introduction => "n_introduction",
        Kind::FeedbackGiven => "n_feedback_given",
        Kind::FeedbackAsked => "n_feedback_asked",
        Kind::Praise => "n_praise",
        Kind::Decision => "n_decision",
        Kind::Meeting => "n_meeting",
        Kind::Tie => "n_tie",
    }
}

pub(crate) fn channel_column(c: Channel) -> &'static str {
    match c {
        Channel::Email => "ch_email",
        Channel::Chat => "ch_chat",
        Channel::Meeting => "ch_meeting",
        Channel::Call => "ch_call",
        Channel::Ticket => "ch_ticket",
        Channel::Review => "ch_review",
        Channel::Collaboration => "ch_collaboration",
        Channel::Other => "ch_other",
    }
}

pub(crate) fn role_column(r: Role) -> &'static str {
    match r {
        Role::To => "n_to",
        Role::Cc => "n_cc",
        Role::Bcc => "n_bcc",
        Role::Attendee => "n_attendee",
        Role::Organizer => "n_organizer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use vocab::PersonIdx;

    fn random_recs(rng: &mut impl Rng, n: usize, people: u32) -> Vec<Rec> {
        (0..n)
            .map(|i| {
                let key = pair_key(rng.random_range(0..people), rng.random_range(0..people));
                match rng.random_range(0..4) {
                    0 => Rec::row(
                        key,
                        &Interaction {
                            event_id: i as u64,
                            time_ms: rng
                                .random_bool(0.9)
                                .then(|| rng.random_range(0..1i64 << 42)),
                            actor: PersonIdx((key >> 32) as u32),
                            recipient: PersonIdx(key as u32),
                            role: Role::ALL[rng.random_range(0..Role::ALL.len())],
                            channel: Channel::ALL[rng.random_range(0..Channel::ALL.len())],
                            kind: Kind::ALL[rng.random_range(0..Kind::ALL.len())],
                            thread_id: None,
                            in_reply_to: None,
                            duration_s: None,
                            speaking_s: None,
                            weight: rng.random_range(0.0..3.0f32),
                        },
                        rng.random_bool(0.3),
                    ),
                    1 => Rec::meeting(key, rng.random_range(2..60), rng.random_range(0..90_000)),
                    2 => Rec::latency(key, rng.random_range(0.0..1e6f32), rng.random_bool(0.5)),
                    _ => Rec::count(
                        key,
                        [
                            Count::Help,
                            Count::Ignored,
                            Count::Ask,
                            Count::Answered,
                            Count::Unanswered,
                        ][rng.random_range(0..5)],
                    ),
                }
            })
            .collect()
    }

    /// The radix sort is a stable sort by pair, for small and large people indices.
    #[test]
    fn radix_sort_is_a_stable_sort_by_pair() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        for (n, people) in [
            (100, 5),
            (5000, 3),
            (20_000, 1000),
            (20_000, u32::MAX),
            (3000, 1),
        ] {
            let recs = random_recs(&mut rng, n, people);
            let mut want = recs.clone();
            want.sort_by_key(|r| r.key);
            let mut got = recs;
            sort_by_pair(&mut got, &mut Vec::new());
            assert_eq!(got, want, "{n} records over {people} people");
        }
    }

    /// Absorbing records in batches gives exactly (bit for bit) what applying them in order to
    /// a map of accumulators gives.
    #[test]
    fn batches_absorbed_equal_updates_in_order() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(6);
        for batches in [1usize, 2, 7] {
            let recs = random_recs(&mut rng, 30_000, 40);
            let mut naive: std::collections::BTreeMap<u64, (PairAcc, Vec<f32>)> =
                Default::default();
            for r in &recs {
                let e = naive.entry(r.key).or_default();
                e.0.apply(r, &mut e.1);
            }
            let mut state = Reduced::default();
            let size = recs.len().div_ceil(batches);
            for chunk in recs.chunks(size) {
                let mut chunk = chunk.to_vec();
                sort_by_pair(&mut chunk, &mut Vec::new());
                state = state.absorb(&chunk);
            }
            assert_eq!(state.accs.len(), naive.len());
            for ((k, acc), (nk, (nacc, nlat))) in state.accs.iter().zip(&naive) {
                assert_eq!(k, nk);
                assert_eq!(acc, nacc, "pair {k:#x} in {batches} batches");
                assert_eq!(acc.weight.to_bits(), nacc.weight.to_bits());
                let lat: Vec<f32> = state
                    .latencies
                    .iter()
                    .filter(|(lk, _)| lk == k)
                    .map(|(_, l)| *l)
                    .collect();
                assert_eq!(&lat, nlat);
            }
        }
    }
}
