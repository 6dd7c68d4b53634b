//! Reports people look at: the org mirror and the personal mirror as one self-contained HTML file
//! each (inline CSS, SVG charts drawn here, a WebGL network picture with its data inline; nothing
//! fetched, so a report opens from disk offline and prints), and the people graph as GraphML and
//! GEXF for Gephi, networkx and igraph.
//!
//! Reports read the stored result tables ([`Frame`]) and the window's pairs; they never re-run the
//! model, so the numbers on the page are the numbers in the tables.

pub mod frame;
pub mod graphfile;
mod html;
pub mod layout;
pub mod org;
pub mod person;
mod svg;

pub use frame::Frame;

/// How people are named on a page: by pseudonym, or (for an identified viewer) by the people
/// file's name or id.
pub struct Naming {
    pub labels: Vec<String>,
    pub identified: bool,
}

impl Naming {
    pub fn new(org: &mirror::input::Org, names: Option<&[Option<String>]>) -> Naming {
        match names {
            Some(names) => Naming {
                labels: org
                    .ids
                    .iter()
                    .zip(names)
                    .map(|(id, n)| n.clone().unwrap_or_else(|| id.clone()))
                    .collect(),
                identified: true,
            },
            None => Naming {
                labels: org.pseudonyms.clone(),
                identified: false,
            },
        }
    }
    pub fn of(&self, p: u32) -> &str {
        self.labels.get(p as usize).map_or("?", String::as_str)
    }
}
