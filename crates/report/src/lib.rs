//! Reports people look at: the org mirror and the personal mirror as one self-contained HTML file
//! each (inline CSS, SVG charts drawn here, a WebGL network picture with its data inline; nothing
//! fetched, so a report opens from disk offline and prints), and the people graph as GraphML and
//! GEXF for Gephi, networkx and igraph.
//!
//! Reports read the stored result tables ([`Frame`]) and the window's pairs; they never re-run the
//! model, so the numbers on the page are the numbers in the tables.

pub mod frame;
pub mod graphfile;
pub mod html;
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

    /// Evidence text with its people (`{person:N}`, see [`mirror::refer`]) named for this viewer.
    pub fn text(&self, s: &str) -> String {
        const OPEN: &str = "{person:";
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(start) = rest.find(OPEN) {
            out.push_str(&rest[..start]);
            let tail = &rest[start + OPEN.len()..];
            let digits = tail
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(tail.len());
            match (
                tail[..digits].parse::<u32>(),
                tail[digits..].starts_with('}'),
            ) {
                (Ok(p), true) => {
                    out.push_str(self.of(p));
                    rest = &tail[digits + 1..];
                }
                _ => {
                    out.push_str(OPEN);
                    rest = tail;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_names_people_as_the_viewer_may_see_them() {
        let org = mirror::input::Org {
            ids: vec!["e1".into(), "e2".into()],
            pseudonyms: vec!["p00aa".into(), "p00bb".into()],
            department: vec![None, None],
            departments: vec![],
            chart: None,
            tags: vec![vec![], vec![]],
            time_zones: vec![None, None],
            titles: vec![None, None],
        };
        let names = vec![Some("Ann".to_string()), None];
        let named = Naming::new(&org, Some(&names));
        let text = format!(
            "close to {} (3 events), help {}; p00cc {{person:x}} {{person:7",
            mirror::refer(1),
            mirror::refer(0)
        );
        assert_eq!(
            named.text(&text),
            "close to e2 (3 events), help Ann; p00cc {person:x} {person:7"
        );
        let hidden = Naming::new(&org, None);
        assert_eq!(
            hidden.text(&text),
            "close to p00bb (3 events), help p00aa; p00cc {person:x} {person:7"
        );
        assert_eq!(hidden.of(1), "p00bb");
    }
}
