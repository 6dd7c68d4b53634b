//! Interactions: metadata of one message, meeting or request, flattened to one row per
//! actor–recipient pair. Never a subject or a body.

use crate::person::PersonIdx;
use serde::{Deserialize, Serialize};

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[repr(u8)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical lower-case word, as stored.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the canonical word or a common synonym, ignoring case, spaces, `-` and `_`.
            pub fn parse(text: &str) -> Option<$name> {
                let folded: String = text
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '-' | '_'))
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                $(
                    if folded == $text.replace('_', "") $(|| folded == $alias)* {
                        return Some($name::$variant);
                    }
                )+
                None
            }

            pub fn from_code(code: u8) -> Option<$name> {
                Self::ALL.get(code as usize).copied()
            }

            pub fn code(self) -> u8 {
                self as u8
            }
        }
    };
}

word_enum! {
    /// How a recipient took part in an interaction.
    Role {
        To = "to",
        Cc = "cc",
        Bcc = "bcc",
        Attendee = "attendee" | "participant" | "required" | "optional",
        /// The organizer's own row of a meeting (recipient = actor); carries their speaking time.
        Organizer = "organizer" | "host",
    }
}

word_enum! {
    /// The medium of an interaction.
    Channel {
        Email = "email" | "mail",
        Chat = "chat" | "im" | "slack" | "teams",
        Meeting = "meeting" | "calendar",
        Call = "call" | "phone",
        Ticket = "ticket" | "issue",
        Review = "review" | "codereview",
        /// A tie reported by a collaboration analytics export rather than a single message.
        Collaboration = "collaboration" | "collab" | "tie",
        Other = "other",
    }
}

word_enum! {
    /// What an interaction does in the relationship.
    Kind {
        Message = "message" | "msg",
        Request = "request" | "ask",
        Reply = "reply" | "response" | "answer",
        Fyi = "fyi" | "inform" | "broadcast",
        Decline = "decline" | "refuse" | "reject",
        Accept = "accept" | "fulfil" | "fulfill" | "done",
        Introduction = "introduction" | "intro",
        FeedbackGiven = "feedback_given" | "feedback" | "feedbackgive",
        FeedbackAsked = "feedback_asked" | "feedbackask" | "feedbackrequest",
        Praise = "praise" | "kudos" | "thanks",
        Decision = "decision" | "signoff" | "approve",
        Meeting = "meeting" | "invite",
        /// A collaboration tie score from an analytics export.
        Tie = "tie",
    }
}

/// A message that opens a thread counts as an ask of its To recipients when it has at most this
/// many of them (a note to many people asks nothing of each one).
pub const MAX_ASK_TO: usize = 3;

/// One actor–recipient row of an interaction. Rows of one interaction share `event_id`, `time`
/// and `actor`, and are stored next to each other.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interaction {
    pub event_id: u64,
    /// Milliseconds since 1970-01-01 UTC; `None` for undated ties (edge lists), which count only
    /// in the window `all`.
    pub time_ms: Option<i64>,
    pub actor: PersonIdx,
    pub recipient: PersonIdx,
    pub role: Role,
    pub channel: Channel,
    pub kind: Kind,
    pub thread_id: Option<u64>,
    /// The `event_id` this interaction answers.
    pub in_reply_to: Option<u64>,
    pub duration_s: Option<u32>,
    /// Seconds the recipient spoke in a meeting (for the organizer row: the organizer).
    pub speaking_s: Option<u32>,
    /// 1 for a single message; a tie score for analytics exports.
    pub weight: f32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse_with_synonyms_and_round_trip() {
        assert_eq!(Kind::parse("Feedback-Given"), Some(Kind::FeedbackGiven));
        assert_eq!(Kind::parse("feedback"), Some(Kind::FeedbackGiven));
        assert_eq!(Channel::parse("Slack"), Some(Channel::Chat));
        assert_eq!(Role::parse("BCC"), Some(Role::Bcc));
        assert_eq!(Role::parse("reader"), None);
        for &k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(Kind::from_code(k.code()), Some(k));
        }
        for &c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
    }
}
