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

/// One window's evidence, indexed for lookups both ways.
pub struct Evidence {
    pub pairs: Vec<Pair>,
    index: FxHashMap<(u32, u32), u32>,
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
    pub fn new(mut pairs: Vec<Pair>, answers: &[SurveyAnswer]) -> Evidence {
        pairs.retain(|p| p.a != p.b);
        let requests_from_asks =
            pairs.iter().all(|p| p.request == 0.0) && pairs.iter().any(|p| p.ask > 0.0);
        if requests_from_asks {
            for p in &mut pairs {
                p.request = p.ask;
                p.help = p.answered;
                p.ignored = p.unanswered;
            }
        }
        pairs.sort_by_key(|p| (p.a, p.b));
        let index = pairs
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.a, p.b), i as u32))
            .collect();
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
            index,
            survey,
            requests_from_asks,
        }
    }

    pub fn get(&self, a: u32, b: u32) -> Option<&Pair> {
        self.index.get(&(a, b)).map(|&i| &self.pairs[i as usize])
    }

    /// Survey weight that `respondent` gave `colleague` on a question.
    pub fn named(&self, respondent: u32, colleague: u32, q: Question) -> f64 {
        self.survey
            .get(&(respondent, colleague))
            .map_or(0.0, |w| w[question_slot(&q)])
    }
}
