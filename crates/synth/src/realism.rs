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
//! ("down": a junior answering a senior). Measured by that script on a generated S organization
//! (1,000 people, 90 days, seed 1, `generate --metadata-only --format csv`), against Enron:
//!
//! | statistic | Enron | generated |
//! |---|---|---|
//! | share of senior–junior rows that go up | 0.633 | GEN_UP |
//! | reply rate, all / up / down / senior peers / junior peers | 0.400 / 0.506 / 0.429 / 0.396 / 0.259 | GEN_RATE |
//! | reply rate of To / Cc recipients | 0.391 / 0.444 | GEN_ROLE |
//! | reply latency h (q1 / median / q3), all | 3.7 / 24.5 / 76.5 | GEN_LAT_ALL |
//! | … up (a senior answering) | 5.1 / 24.7 / 69.8 | GEN_LAT_UP |
//! | … down (a junior answering) | 1.4 / 7.4 / 36.2 | GEN_LAT_DOWN |
//! | … senior peers | 7.4 / 34.0 / 92.3 | GEN_LAT_SP |
//! | … junior peers | 2.6 / 28.1 / 95.0 | GEN_LAT_JP |
//! | Cc share, all / up / down / senior peers / junior peers | 0.171 / 0.151 / 0.173 / 0.228 / 0.133 | GEN_CC |
//! | recipients per message: mean / share with one / p90 | 1.71 / 0.699 / 3 | GEN_RCPT |
//!
//! `tests/behaviour.rs` measures the same statistics in Rust on a smaller organization and checks
//! them against the JSON within stated tolerances.

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
    /// the base chance that an answer is a decline (plus twice the pair's decline chance and its
    /// ignore chance).
    pub meeting_answer: f64,
    pub meeting_decline: f64,
}

impl Realism {
    /// Matched to Enron (`enron_behaviour.json`).
    pub const ENRON: Realism = Realism {
        latency_scale: 5.0,
        latency_power: 0.6,
        latency_sigma: 1.4,
        evening: 0.3,
        answer_requests: 0.7,
        answer_messages: 0.6,
        answered_list: 4,
        contacts: (20, 60),
        to_manager: 0.5,
        hierarchy: 0.5,
        to_head: 0.005,
        activity_sigma: 0.8,
        cc_chance: 0.4,
        cc_max: 4,
        reply_cc_chance: 0.15,
        extra_to: 0.6,
        away_share: 0.12,
        away_days: (1, 8),
        away_drop: 0.3,
        meeting_answer: 0.75,
        meeting_decline: 0.08,
    };
}

/// The Enron statistics the mode is matched to, as `scripts/measure_enron_behaviour.py` wrote them.
pub const ENRON_BEHAVIOUR_JSON: &str = include_str!("enron_behaviour.json");
