//! Relational survey answers: a respondent names a colleague in answer to a question.

use crate::person::PersonIdx;
use serde::{Deserialize, Serialize};

/// The standard questions, plus any other the survey asked (stored by its own name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Question {
    /// Whom do you go to for advice?
    Advice,
    /// From whom do you get information you need?
    Information,
    /// Who gives you energy?
    Energy,
    /// Whom do you trust?
    Trust,
    /// Whose sign-off do you need?
    Decision,
    /// Whose requests can you not refuse?
    CannotDecline,
    /// Who would back you if you made a mistake?
    Ally,
    /// Whose expertise matters to the work you do? (a rating such as Cross & Parker's)
    Expertise,
    Other(String),
}

impl Question {
    pub fn parse(text: &str) -> Question {
        let folded: String = text
            .trim()
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        match folded.as_str() {
            "advice" => Question::Advice,
            "information" | "info" => Question::Information,
            "energy" => Question::Energy,
            "trust" => Question::Trust,
            "decision" | "sign_off" | "signoff" => Question::Decision,
            "cannot_decline" | "cant_decline" => Question::CannotDecline,
            "ally" | "allies" => Question::Ally,
            "expertise" | "expertise_value" => Question::Expertise,
            _ => Question::Other(folded),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Question::Advice => "advice",
            Question::Information => "information",
            Question::Energy => "energy",
            Question::Trust => "trust",
            Question::Decision => "decision",
            Question::CannotDecline => "cannot_decline",
            Question::Ally => "ally",
            Question::Expertise => "expertise",
            Question::Other(name) => name,
        }
    }
}

/// One named colleague in one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyAnswer {
    pub respondent: PersonIdx,
    pub question: Question,
    pub colleague: PersonIdx,
    pub weight: f32,
    /// Day the answer was given (days since 1970-01-01), when known.
    pub day: Option<i32>,
}
