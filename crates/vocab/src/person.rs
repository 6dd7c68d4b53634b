//! A person as the org chart knows them, and the dense index every table uses to refer to them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Dense index of a person in a workspace: 0..n_people, assigned once at first sight and never
/// reused. Interaction and pair tables store this index, never names or external ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PersonIdx(pub u32);

impl PersonIdx {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Tags an HRIS export or a user may attach to a person; they change how findings read
/// (an assistant with high informal power is expected, not a surprise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleTag {
    Assistant,
    ChiefOfStaff,
    Executive,
    Contractor,
}

impl RoleTag {
    pub fn parse(text: &str) -> Option<RoleTag> {
        let t: String = text
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        Some(match t.as_str() {
            "assistant" | "ea" | "executiveassistant" | "pa" => RoleTag::Assistant,
            "chiefofstaff" | "cos" => RoleTag::ChiefOfStaff,
            "executive" | "exec" => RoleTag::Executive,
            "contractor" => RoleTag::Contractor,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RoleTag::Assistant => "assistant",
            RoleTag::ChiefOfStaff => "chief_of_staff",
            RoleTag::Executive => "executive",
            RoleTag::Contractor => "contractor",
        }
    }
}

/// One person. `id` is the id of the people file (kept in the identity table of the store,
/// never in analysis tables); `manager` refers to another person's `id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: Option<String>,
    pub emails: Vec<String>,
    pub manager: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    /// 1 = top of the organization; larger is further down. Derived from depth when absent.
    pub level: Option<u32>,
    pub time_zone: Option<String>,
    /// Days since 1970-01-01 (UTC).
    pub start_day: Option<i32>,
    pub end_day: Option<i32>,
    pub tags: Vec<RoleTag>,
    /// Columns of the people file that have no field of their own (location, gender, ...).
    pub attributes: BTreeMap<String, String>,
}
