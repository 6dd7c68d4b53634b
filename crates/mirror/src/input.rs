//! What the model reads: the organization (from the people table) and one window's pair rows
//! (from the `pairs` table the aggregation wrote), plus survey answers.

use rustc_hash::FxHashMap;
use vocab::{OrgChart, Question, RoleTag, SurveyAnswer};

/// The people the model speaks of, by dense index.
#[derive(Debug, Clone)]
pub struct Org {
    /// External ids (as in the people file).
    pub ids: Vec<String>,
    /// Keyed pseudonyms.
    pub pseudonyms: Vec<String>,
    /// Department index per person, into `departments`.
    pub department: Vec<Option<u32>>,
    pub departments: Vec<String>,
    /// The formal hierarchy, when a people file with managers was given.
    pub chart: Option<OrgChart>,
    pub tags: Vec<Vec<RoleTag>>,
    /// Time zone as given (IANA name, or an offset such as `+05:30` or `UTC-8`).
    pub time_zones: Vec<Option<String>>,
    /// Titles, when given (Enron positions, HR titles).
    pub titles: Vec<Option<String>>,
}

impl Org {
    pub fn n(&self) -> usize {
        self.ids.len()
    }

    /// True when the people file gave a hierarchy with at least one manager.
    pub fn has_hierarchy(&self) -> bool {
        self.chart
            .as_ref()
            .is_some_and(|c| (0..c.len()).any(|p| c.manager(p).is_some()))
    }

    pub fn manager(&self, p: usize) -> Option<usize> {
        self.chart.as_ref().and_then(|c| c.manager(p))
    }

    pub fn reports(&self, p: usize) -> &[u32] {
        self.chart.as_ref().map_or(&[], |c| c.reports(p))
    }
}

/// One directed pair row of a window: what `a` did toward `b`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pair {
    pub a: u32,
    pub b: u32,
    pub n: f64,
    pub w_communication: f64,
    pub w_meetings: f64,
    pub meeting_s: f64,
    /// Requests a made of b.
    pub request: f64,
    pub reply: f64,
    pub message: f64,
    pub fyi: f64,
    /// Declines a sent b.
    pub decline: f64,
    pub accept: f64,
    pub introduction: f64,
    pub feedback_given: f64,
    pub feedback_asked: f64,
    pub praise: f64,
    pub decision: f64,
    pub meeting: f64,
    pub to: f64,
    pub cc: f64,
    pub bcc: f64,
    /// Requests of b that a fulfilled.
    pub help: f64,
    /// Requests of b that a left unanswered.
    pub ignored: f64,
    /// Replies of a to b with a measured latency, and their median (seconds).
    pub n_latency: f64,
    /// Asks a made of b (messages that opened a thread, To a few people), asks of b that a
    /// answered in the thread, and asks of b that a left unanswered.
    pub ask: f64,
    pub answered: f64,
    pub unanswered: f64,
    pub latency_median_s: Option<f64>,
}

/// `starts[a]`: where a's run begins in a list sorted by a (one past the largest a at the end).
fn run_starts(sorted_a: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut starts = Vec::new();
    let mut i = 0u32;
    for a in sorted_a {
        while starts.len() <= a as usize {
            starts.push(i);
        }
        i += 1;
    }
    starts.push(i);
    starts
}

/// Columns of the `pairs` table that the model reads, in [`Pair`] order after `window`.
pub const PAIR_FIELDS: [&str; 27] = [
    "a",
    "b",
    "n",
    "w_communication",
    "w_meetings",
    "meeting_s",
    "n_request",
    "n_reply",
    "n_message",
    "n_fyi",
    "n_decline",
    "n_accept",
    "n_introduction",
    "n_feedback_given",
    "n_feedback_asked",
    "n_praise",
    "n_decision",
    "n_meeting",
    "n_to",
    "n_cc",
    "n_bcc",
    "w_help",
    "n_ignored",
    "n_latency",
    "n_ask",
    "n_answered",
    "n_unanswered",
];

/// The counts of a [`Pair`], in [`PackedPair::counts`] order.
const COUNTS: usize = 22;

/// A [`Pair`] in about half the memory (128 bytes instead of 224): its counts as `u32`. Only
/// pairs whose counts are all whole numbers in `u32` range pack, so unpacking gives back the
/// same pair exactly; the pairs table's counts always are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PackedPair {
    pub a: u32,
    pub b: u32,
    counts: [u32; COUNTS],
    w_communication: f64,
    w_meetings: f64,
    meeting_s: f64,
    /// NaN: none.
    latency_median_s: f64,
}

impl PackedPair {
    /// The pair packed, or `None` when a count is not a whole number in `u32` range (or the
    /// median latency is NaN, which stands for "none" here).
    pub fn pack(p: &Pair) -> Option<PackedPair> {
        let c = [
            p.n,
            p.request,
            p.reply,
            p.message,
            p.fyi,
            p.decline,
            p.accept,
            p.introduction,
            p.feedback_given,
            p.feedback_asked,
            p.praise,
            p.decision,
            p.meeting,
            p.to,
            p.cc,
            p.bcc,
            p.help,
            p.ignored,
            p.n_latency,
            p.ask,
            p.answered,
            p.unanswered,
        ];
        let mut counts = [0u32; COUNTS];
        for (out, x) in counts.iter_mut().zip(c) {
            // −0.0 would unpack as +0.0: not exact, so it does not pack.
            if !(x.is_sign_positive() && x.fract() == 0.0 && x <= u32::MAX as f64) {
                return None;
            }
            *out = x as u32;
        }
        if p.latency_median_s.is_some_and(f64::is_nan) {
            return None;
        }
        Some(PackedPair {
            a: p.a,
            b: p.b,
            counts,
            w_communication: p.w_communication,
            w_meetings: p.w_meetings,
            meeting_s: p.meeting_s,
            latency_median_s: p.latency_median_s.unwrap_or(f64::NAN),
        })
    }

    #[inline]
    pub fn unpack(&self) -> Pair {
        let c = self.counts.map(f64::from);
        Pair {
            a: self.a,
            b: self.b,
            n: c[0],
            w_communication: self.w_communication,
            w_meetings: self.w_meetings,
            meeting_s: self.meeting_s,
            request: c[1],
            reply: c[2],
            message: c[3],
            fyi: c[4],
            decline: c[5],
            accept: c[6],
            introduction: c[7],
            feedback_given: c[8],
            feedback_asked: c[9],
            praise: c[10],
            decision: c[11],
            meeting: c[12],
            to: c[13],
            cc: c[14],
            bcc: c[15],
            help: c[16],
            ignored: c[17],
            n_latency: c[18],
            ask: c[19],
            answered: c[20],
            unanswered: c[21],
            latency_median_s: (!self.latency_median_s.is_nan()).then_some(self.latency_median_s),
        }
    }

    /// Reads requests, help and ignored requests from asks, answers and unanswered asks.
    fn requests_from_asks(&mut self) {
        self.counts[1] = self.counts[19];
        self.counts[16] = self.counts[20];
        self.counts[17] = self.counts[21];
    }

    fn request(&self) -> u32 {
        self.counts[1]
    }

    fn ask(&self) -> u32 {
        self.counts[19]
    }
}

/// A window's pair rows as given to [`Evidence::new`]: plain, or already packed (the pairs
/// table's reader packs as it reads, so a window never sits in memory at full size).
pub enum PairList {
    Plain(Vec<Pair>),
    Packed(Vec<PackedPair>),
}

impl PairList {
    /// The pairs at full size.
    pub fn into_plain(self) -> Vec<Pair> {
        match self {
            PairList::Plain(v) => v,
            PairList::Packed(v) => v.iter().map(PackedPair::unpack).collect(),
        }
    }
}

impl From<Vec<Pair>> for PairList {
    fn from(v: Vec<Pair>) -> Self {
        PairList::Plain(v)
    }
}

impl From<Vec<PackedPair>> for PairList {
    fn from(v: Vec<PackedPair>) -> Self {
        PairList::Packed(v)
    }
}

/// One window's evidence, indexed for lookups both ways. Pairs are held packed when every
/// pair packs (always for the pairs table), sorted by (a, b), with the start of each `a`'s run:
/// a lookup is one offset and a binary search among a's colleagues.
pub struct Evidence {
    pairs: PairList,
    /// `pairs[starts[a]..starts[a + 1]]` are a's rows; a ≥ `starts.len() - 1` has none.
    starts: Vec<u32>,
    /// Each row's b, apart: a lookup searches 4-byte keys, not 128-byte rows (4 bytes a row).
    targets: Vec<u32>,
    /// Survey answers per (respondent, colleague): weight per question.
    pub survey: FxHashMap<(u32, u32), [f64; 9]>,
    /// The data had no request kinds but threads with reply ids (a real mail export): requests,
    /// help and ignored requests were read from asks (messages that opened a thread To a few
    /// people), answers in the thread, and asks left unanswered.
    pub requests_from_asks: bool,
}

pub fn question_slot(q: &Question) -> usize {
    match q {
        Question::Advice => 0,
        Question::Information => 1,
        Question::Energy => 2,
        Question::Trust => 3,
        Question::Decision => 4,
        Question::CannotDecline => 5,
        Question::Ally => 6,
        Question::Other(_) => 7,
        Question::Expertise => 8,
    }
}

/// The standard questions, one per slot of [`Evidence::survey`] but `Other`.
pub const SURVEY_QUESTIONS: [Question; 8] = [
    Question::Advice,
    Question::Information,
    Question::Energy,
    Question::Trust,
    Question::Decision,
    Question::CannotDecline,
    Question::Ally,
    Question::Expertise,
];

impl Evidence {
    pub fn new(pairs: impl Into<PairList>, answers: &[SurveyAnswer]) -> Evidence {
        let mut pairs = match pairs.into() {
            PairList::Plain(v) => match v.iter().map(PackedPair::pack).collect() {
                Some(packed) => PairList::Packed(packed),
                None => PairList::Plain(v),
            },
            packed => packed,
        };
        let requests_from_asks;
        let starts;
        match &mut pairs {
            PairList::Plain(pairs) => {
                pairs.retain(|p| p.a != p.b);
                requests_from_asks =
                    pairs.iter().all(|p| p.request == 0.0) && pairs.iter().any(|p| p.ask > 0.0);
                if requests_from_asks {
                    for p in pairs.iter_mut() {
                        p.request = p.ask;
                        p.help = p.answered;
                        p.ignored = p.unanswered;
                    }
                }
                pairs.sort_by_key(|p| (p.a, p.b));
                starts = run_starts(pairs.iter().map(|p| p.a));
            }
            PairList::Packed(pairs) => {
                pairs.retain(|p| p.a != p.b);
                requests_from_asks =
                    pairs.iter().all(|p| p.request() == 0) && pairs.iter().any(|p| p.ask() > 0);
                if requests_from_asks {
                    pairs.iter_mut().for_each(PackedPair::requests_from_asks);
                }
                if !pairs.is_sorted_by_key(|p| (p.a, p.b)) {
                    pairs.sort_by_key(|p| (p.a, p.b));
                }
                starts = run_starts(pairs.iter().map(|p| p.a));
            }
        }
        let targets = match &pairs {
            PairList::Plain(v) => v.iter().map(|p| p.b).collect(),
            PairList::Packed(v) => v.iter().map(|p| p.b).collect(),
        };
        let mut survey: FxHashMap<(u32, u32), [f64; 9]> = FxHashMap::default();
        for s in answers {
            if s.respondent == s.colleague {
                continue;
            }
            survey.entry((s.respondent.0, s.colleague.0)).or_default()
                [question_slot(&s.question)] += s.weight as f64;
        }
        Evidence {
            pairs,
            starts,
            targets,
            survey,
            requests_from_asks,
        }
    }

    /// How many pair rows.
    pub fn len(&self) -> usize {
        match &self.pairs {
            PairList::Plain(v) => v.len(),
            PairList::Packed(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The i-th pair row in (a, b) order.
    #[inline]
    pub fn pair(&self, i: usize) -> Pair {
        match &self.pairs {
            PairList::Plain(v) => v[i].clone(),
            PairList::Packed(v) => v[i].unpack(),
        }
    }

    /// Every pair row, in (a, b) order.
    pub fn pairs(&self) -> impl ExactSizeIterator<Item = Pair> + '_ {
        (0..self.len()).map(|i| self.pair(i))
    }

    /// The people of the i-th pair row (who did, toward whom), without unpacking the row.
    #[inline]
    pub fn ends(&self, i: usize) -> (u32, u32) {
        match &self.pairs {
            PairList::Plain(v) => (v[i].a, v[i].b),
            PairList::Packed(v) => (v[i].a, v[i].b),
        }
    }

    /// The row of what a did toward b, if any.
    #[inline]
    pub fn index(&self, a: u32, b: u32) -> Option<usize> {
        let a_ = a as usize;
        if a_ + 1 >= self.starts.len() {
            return None;
        }
        let (lo, hi) = (self.starts[a_] as usize, self.starts[a_ + 1] as usize);
        self.targets[lo..hi].binary_search(&b).ok().map(|i| lo + i)
    }

    /// What a did toward b, if anything.
    #[inline]
    pub fn get(&self, a: u32, b: u32) -> Option<Pair> {
        self.index(a, b).map(|i| self.pair(i))
    }

    /// Survey weight that `respondent` gave `colleague` on a question.
    pub fn named(&self, respondent: u32, colleague: u32, q: Question) -> f64 {
        self.survey
            .get(&(respondent, colleague))
            .map_or(0.0, |w| w[question_slot(&q)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn random_pair(rng: &mut rand_xoshiro::Xoshiro256PlusPlus, n: u32) -> Pair {
        let mut c = || f64::from(rng.random_range(0..4u32) * rng.random_range(0..50u32));
        let mut p = Pair {
            a: 0,
            b: 0,
            n: c(),
            w_communication: 0.0,
            w_meetings: 0.0,
            meeting_s: c() * 900.0,
            request: c(),
            reply: c(),
            message: c(),
            fyi: c(),
            decline: c(),
            accept: c(),
            introduction: c(),
            feedback_given: c(),
            feedback_asked: c(),
            praise: c(),
            decision: c(),
            meeting: c(),
            to: c(),
            cc: c(),
            bcc: c(),
            help: c(),
            ignored: c(),
            n_latency: c(),
            ask: c(),
            answered: c(),
            unanswered: c(),
            latency_median_s: None,
        };
        p.a = rng.random_range(0..n);
        p.b = rng.random_range(0..n);
        p.w_communication = rng.random::<f64>() * 10.0;
        p.w_meetings = rng.random::<f64>();
        p.latency_median_s = rng.random_bool(0.5).then(|| rng.random::<f64>() * 1e5);
        p
    }

    #[test]
    fn a_packed_pair_unpacks_to_the_same_pair_and_a_fraction_does_not_pack() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        for _ in 0..1000 {
            let p = random_pair(&mut rng, 50);
            assert_eq!(PackedPair::pack(&p).expect("whole counts pack").unpack(), p);
        }
        let mut p = random_pair(&mut rng, 50);
        p.help = 2.5;
        assert!(PackedPair::pack(&p).is_none());
        p.help = -1.0;
        assert!(PackedPair::pack(&p).is_none());
        p.help = -0.0;
        assert!(PackedPair::pack(&p).is_none());
        p.help = 5e9;
        assert!(PackedPair::pack(&p).is_none());
        p.help = 3.0;
        p.latency_median_s = Some(f64::NAN);
        assert!(PackedPair::pack(&p).is_none());
    }

    /// Packed and plain evidence answer every lookup and iterate alike, against a naive map.
    #[test]
    fn packed_and_plain_evidence_agree_with_a_naive_lookup() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        for round in 0..20 {
            let n = 2 + round * 3;
            let mut pairs: Vec<Pair> = (0..rng.random_range(0..200))
                .map(|_| random_pair(&mut rng, n))
                .collect();
            // One key once (the pairs table has each (a, b) once per window).
            pairs.sort_by_key(|p| (p.a, p.b));
            pairs.dedup_by_key(|p| (p.a, p.b));
            // The table's order is (a, b); a plain list may come in any order.
            let mut shuffled = pairs.clone();
            shuffled.reverse();
            let packed = Evidence::new(pairs.clone(), &[]);
            assert!(matches!(packed.pairs, PairList::Packed(_)));
            let mut fractional = shuffled.clone();
            if let Some(p) = fractional.first_mut() {
                p.help += 0.5;
            }
            let plain = Evidence::new(fractional.clone(), &[]);
            let naive: FxHashMap<(u32, u32), Pair> = pairs
                .iter()
                .filter(|p| p.a != p.b)
                .map(|p| ((p.a, p.b), p.clone()))
                .collect();
            let naive_plain: FxHashMap<(u32, u32), Pair> = fractional
                .iter()
                .filter(|p| p.a != p.b)
                .map(|p| ((p.a, p.b), p.clone()))
                .collect();
            assert_eq!(packed.len(), naive.len());
            assert_eq!(plain.len(), naive_plain.len());
            for a in 0..n + 2 {
                for b in 0..n + 2 {
                    assert_eq!(packed.get(a, b).as_ref(), naive.get(&(a, b)));
                    assert_eq!(plain.get(a, b).as_ref(), naive_plain.get(&(a, b)));
                }
            }
            let keys: Vec<(u32, u32)> = packed.pairs().map(|p| (p.a, p.b)).collect();
            assert!(keys.is_sorted());
            let plain_keys: Vec<(u32, u32)> = plain.pairs().map(|p| (p.a, p.b)).collect();
            assert_eq!(keys, plain_keys);
        }
    }

    #[test]
    fn requests_are_read_from_asks_in_packed_and_plain_evidence_alike() {
        let p = |a, b, ask: f64, answered: f64, unanswered: f64| Pair {
            a,
            b,
            n: 3.0,
            ask,
            answered,
            unanswered,
            ..Default::default()
        };
        let pairs = vec![p(0, 1, 4.0, 1.0, 2.0), p(1, 0, 0.0, 3.0, 0.0)];
        let mut odd = pairs.clone();
        odd[1].cc = 0.25;
        for ev in [Evidence::new(pairs, &[]), Evidence::new(odd, &[])] {
            assert!(ev.requests_from_asks);
            let x = ev.get(0, 1).expect("pair");
            assert_eq!((x.request, x.help, x.ignored), (4.0, 1.0, 2.0));
            let y = ev.get(1, 0).expect("pair");
            assert_eq!((y.request, y.help, y.ignored), (0.0, 3.0, 0.0));
        }
    }

    #[test]
    fn run_starts_mark_each_persons_rows() {
        assert_eq!(run_starts([].into_iter()), vec![0]);
        assert_eq!(
            run_starts([0, 0, 2, 2, 2, 5].into_iter()),
            vec![0, 2, 2, 5, 5, 5, 6]
        );
        assert_eq!(run_starts([3].into_iter()), vec![0, 0, 0, 0, 1]);
    }
}
