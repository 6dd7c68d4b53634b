//! The metadata-only mode (`GenerateConfig::metadata_only`): what changes so that the generated
//! events carry only what a real export carries, and behave like a real organization's mail.
//!
//! What a row carries: actor, recipient, role (to/cc for mail and chat, organizer/attendee for
//! invitations), channel, time, thread_id, in_reply_to, and the duration of meetings. `kind` is
//! `message` for every mail or chat message (a reply is a message with `in_reply_to`), `meeting`
//! for invitation rows, and `accept`/`decline` only for attendees' answers to invitations (an
//! iTIP REPLY with PARTSTAT ACCEPTED or DECLINED, sent to the organizer as iMIP mail: channel
//! `email`, role `to`, `in_reply_to` and `thread_id` = the invitation). No speaking time, no
//! survey. The organization and the cast are the same as in the full mode for the same seed;
//! the planted dynamics are the same behaviour (who writes to whom, who answers whom how fast
//! or not at all, who routes what through whom, who declines whose invitations), seen through
//! metadata only.
//!
//! Behaviour is matched to the Enron e-mail set (`enron_behaviour.json`, written by
//! `scripts/measure_enron_behaviour.py`, which states the definitions; senior = CEO, President,
//! Vice President, Managing Director; in a generated organization the CEO and the VPs). A reply
//! is the next message back within 7 days, grouped by the direction of the message answered
//! ("down": a junior answering a senior). Measured by that script on the S organization
//! (1,000 people, 90 days, `generate --metadata-only --format csv`), seed 1 (seeds 2 and 3 in
//! brackets where they differ by more than 0.05 or 20 %), against Enron:
//!
//! | statistic | Enron | generated |
//! |---|---|---|
//! | share of senior–junior rows that go up | 0.633 | 0.594 (0.680, 0.659) |
//! | reply rate, all | 0.400 | 0.473 |
//! | … up / down | 0.506 / 0.429 | 0.470 / 0.553 (0.639, 0.621) |
//! | … senior peers / junior peers | 0.396 / 0.259 | 0.592 (0.466, 0.344) / 0.472 |
//! | reply rate of To / Cc recipients | 0.391 / 0.444 | 0.496 / 0.361 |
//! | reply latency h (q1 / median / q3), all | 3.7 / 24.5 / 76.5 | 7.1 / 27.0 / 82.0 |
//! | … up (a senior answering) | 5.1 / 24.7 / 69.8 | 3.0 / 17.7 / 63.7 (53.3) |
//! | … down (a junior answering) | 1.4 / 7.4 / 36.2 | 0.9 / 4.0 (2.8, 2.9) / 22.3 (14.3, 16.5) |
//! | … senior peers | 7.4 / 34.0 / 92.3 | 10.0 (11.2, 19.9) / 29.6 (31.8, 49.5) / 76.8 |
//! | … junior peers | 2.6 / 28.1 / 95.0 | 7.5 / 27.8 / 83.9 |
//! | Cc share, all / up / down | 0.171 / 0.151 / 0.173 | 0.165 / 0.168 / 0.119 (0.093, 0.100) |
//! | Cc share, senior peers / junior peers | 0.228 / 0.133 | 0.223 / 0.166 |
//! | recipients per message: mean / share with one / p90 | 1.71 / 0.699 / 3 | 1.70 / 0.683 / 3 |
//!
//! Where it stays apart, and why. The Enron set keeps only mail among 184 people of a company of
//! about 20,000 over 3.6 years (0.14 rows per person and day; a pair that writes at all writes
//! about once in 17 weeks), while a generated organization is a whole company with about five
//! rows per person and day: the next message back within 7 days is more often an unrelated
//! message, so the reply rate stays higher (most of all between junior peers, who in Enron work
//! far apart) and the fastest quarter of answers is slower. While tuning, answering less
//! barely lowered it; spreading each person's mail over many more colleagues (`contacts`,
//! `to_manager`, `hierarchy`) lowered it by about 0.2. Juniors answering seniors are mostly
//! assistants answering their executive, who answer fast because that is what is planted.
//!
//! `tests/behaviour` measures the same statistics in Rust on the same organization and checks
//! them against the JSON within stated tolerances, and checks that every planted dynamic leaves
//! a trace in metadata alone.

/// How the metadata-only mode bends the simulation. The full mode does not read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Realism {
    /// An answer's latency in hours: `latency_scale · median_h^latency_power · e^(sigma·N(0,1))`,
    /// where `median_h` is what the full mode's answer rule gives for that pair: the power below 1
    /// compresses the planted contrasts (minutes against days) toward the spread real mail shows.
    pub latency_scale: f64,
    pub latency_power: f64,
    pub latency_sigma: f64,
    /// Chance that an answer due between 19:00 and 23:00 local time is written then rather
    /// than the next working morning.
    pub evening: f64,
    /// Of the answers the full mode would give, the share still given (requests; other messages).
    pub answer_requests: f64,
    pub answer_messages: f64,
    /// Messages to at most this many people are answered by each of them like any message (the
    /// full mode never answers a note sent to several people).
    pub answered_list: usize,
    /// Each person's working network: `contacts.0 + [0, contacts.1)` colleagues near them,
    /// chosen evenly (the full mode: 6 + [0, 14), closest most often). Real mail spreads over
    /// many more colleagues, so that a pair writes to each other far less often.
    pub contacts: (usize, usize),
    /// Multiply the chances that an ordinary interaction goes to one's manager, and to one's
    /// reports or peers.
    pub to_manager: f64,
    pub hierarchy: f64,
    /// Chance that an ordinary interaction goes to one's department head instead.
    pub to_head: f64,
    /// Spread (sigma of a lognormal with mean 1) of how much more or less than in the full mode
    /// each person writes: real mail volume is far more uneven between people.
    pub activity_sigma: f64,
    /// Chance that an e-mail that is not a reply adds more people, and how many at most.
    pub cc_chance: f64,
    pub cc_max: u32,
    /// Chance that a reply copies someone.
    pub reply_cc_chance: f64,
    /// Chance that a recipient beyond the first is in To rather than Cc.
    pub extra_to: f64,
    /// Share of days a person is away (holidays, travel, sick days), in blocks of
    /// `away_days.0..=away_days.1` days: they start nothing and answer after they are back, or
    /// not at all (`away_drop`).
    pub away_share: f64,
    pub away_days: (i32, i32),
    pub away_drop: f64,
    /// Invitations: the share of attendees who answer (times 1 − the pair's ignore chance), and
    /// the base chance that an answer is a decline (plus the pair's decline chance and half its
    /// ignore chance, at most 0.8).
    pub meeting_answer: f64,
    pub meeting_decline: f64,
}

impl Realism {
    /// Matched to Enron (`enron_behaviour.json`).
    pub const ENRON: Realism = Realism {
        latency_scale: 2.5,
        latency_power: 0.6,
        latency_sigma: 1.4,
        evening: 0.3,
        answer_requests: 0.8,
        answer_messages: 0.5,
        answered_list: 4,
        contacts: (40, 100),
        to_manager: 0.6,
        hierarchy: 0.3,
        to_head: 0.01,
        activity_sigma: 0.8,
        cc_chance: 0.4,
        cc_max: 3,
        reply_cc_chance: 0.15,
        extra_to: 0.6,
        away_share: 0.12,
        away_days: (1, 8),
        away_drop: 0.3,
        meeting_answer: 0.75,
        meeting_decline: 0.05,
    };
}

/// The Enron statistics the mode is matched to, as `scripts/measure_enron_behaviour.py` wrote them.
pub const ENRON_BEHAVIOUR_JSON: &str = include_str!("enron_behaviour.json");
