//! The vocabulary of orgmirror: people, the formal hierarchy, interactions, survey answers and
//! time windows. This crate does no IO; every other crate speaks in its types.

pub mod activity;
pub mod interaction;
pub mod org;
pub mod person;
pub mod survey;
pub mod window;

pub use activity::Activity;
pub use interaction::{Channel, Interaction, Kind, MAX_ASK_TO, Role};
pub use org::{HierarchyError, OrgChart, RelationClass};
pub use person::{Person, PersonIdx, RoleTag};
pub use survey::{Question, SurveyAnswer};
pub use window::{Window, WindowSpec};
