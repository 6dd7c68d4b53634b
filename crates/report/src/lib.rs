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
    /// Pseudonym → person, to rename people inside evidence text.
    by_pseudonym: rustc_hash::FxHashMap<String, u32>,
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
                by_pseudonym: org
                    .pseudonyms
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.clone(), i as u32))
                    .collect(),
            },
            None => Naming {
                labels: org.pseudonyms.clone(),
                identified: false,
                by_pseudonym: Default::default(),
            },
        }
    }
    pub fn of(&self, p: u32) -> &str {
        self.labels.get(p as usize).map_or("?", String::as_str)
    }

    /// Evidence text with the pseudonyms in it replaced by this viewer's names for people.
    pub fn text(&self, s: &str) -> String {
        if !self.identified || !s.contains('p') {
            return s.to_string();
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(start) = rest.find('p') {
            out.push_str(&rest[..start]);
            let tail = &rest[start..];
            let end = tail[1..]
                .find(|c: char| !c.is_ascii_hexdigit())
                .map_or(tail.len(), |e| e + 1);
            match self.by_pseudonym.get(&tail[..end]) {
                Some(&p) => out.push_str(self.of(p)),
                None => out.push_str(&tail[..end.max(1)]),
            }
            rest = &tail[end.max(1)..];
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
        assert_eq!(
            named.text("close to p00bb (3 events), help p00aa; p00cc pp"),
            "close to e2 (3 events), help Ann; p00cc pp"
        );
        let hidden = Naming::new(&org, None);
        assert_eq!(hidden.text("close to p00bb"), "close to p00bb");
        assert_eq!(hidden.of(1), "p00bb");
    }
}
