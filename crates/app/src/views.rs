//! What a viewer looks at: the org's findings, a person's mirror, paths to a person. Each view is
//! a value, with people named as the policy decides; front ends only lay it out.

use crate::Session;
use anyhow::{Context, Result, bail};
use mirror::input::Evidence;
use store::Store;

/// One finding, people already named for the viewer.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FindingView {
    pub kind: String,
    /// The person it is about, and the other person in a relationship finding.
    pub person: Option<String>,
    pub other: Option<String>,
    pub group: Option<String>,
    pub value: f64,
    pub confidence: f64,
    pub evidence: String,
}

/// Findings of one window, strongest first within each kind.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Findings {
    pub window: String,
    /// At most `top` findings, taking each kind in turn so that one kind does not crowd out the
    /// others.
    pub shown: Vec<FindingView>,
    /// Every kind with its count in the window, in order of first appearance.
    pub counts: Vec<(String, usize)>,
}

/// One row of a personal mirror section.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MirrorRow {
    pub other: Option<String>,
    pub label: String,
    pub value: f64,
    pub rank: Option<i64>,
    pub evidence: String,
}

/// A section of a personal mirror (compass, out of balance, allies, …, suggestions).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MirrorSection {
    /// The stored section name (`compass`, `compass_named`, `suggestion`, …).
    pub section: String,
    pub rows: Vec<MirrorRow>,
}

/// One person's mirror in one window.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PersonMirror {
    /// The person's index in this analysis (internal: never sent to a browser).
    #[serde(skip)]
    pub person: u32,
    /// The person as the viewer sees them (name, or pseudonym).
    pub name: String,
    pub pseudonym: String,
    pub window: String,
    pub formal_pct: Option<f64>,
    pub informal_pct: Option<f64>,
    pub power_gap: Option<f64>,
    pub roles: String,
    pub sections: Vec<MirrorSection>,
}

/// One way to reach someone: a colleague with a two-way tie to the person who is in contact with
/// the target.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PathStep {
    pub via: String,
    pub why: String,
}

/// A team as its leader (or an analyst) sees it: aggregates only, never its members one by one.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TeamView {
    pub leader: String,
    pub window: String,
    pub team_size: usize,
    /// power_over, mixed or power_with.
    pub style: String,
    /// −1 (power over) … +1 (power with), against the organization's own leaders.
    pub position: f64,
    pub directive_ratio: Option<f64>,
    pub autonomy: Option<f64>,
    pub airtime: Option<f64>,
    pub reciprocity: Option<f64>,
    pub leaderfulness: Option<f64>,
    /// Events between the leader and the team that the position rests on.
    pub evidence_events: f64,
}

impl Session {
    /// The team led by `leader` in `window`: for viewers who see the organization, or for that
    /// leader; refused (and recorded) for a team under the minimum group size.
    pub fn team_view(&mut self, leader: &str, window: &str) -> Result<TeamView> {
        let org = self.org()?;
        let me = self.person_index(&org, leader)?;
        let pseudonym = org.pseudonyms[me as usize].clone();
        self.policy.may_see_team(&mut self.store, &pseudonym)?;
        let l = self.load("leaders")?;
        let row = (0..l.rows())
            .find(|&i| l.text("window", i) == window && l.int("leader", i) == Some(me as i64))
            .with_context(|| format!("{leader} leads no team in window {window}"))?;
        let size = l.int("team_size", row).unwrap_or(0).max(0) as usize;
        self.policy.read_team(&mut self.store, &pseudonym, size)?;
        let naming = self.naming(&org)?;
        Ok(crate::live::team_of(naming.of(me), &l, row, window))
    }

    /// The findings of `window` (viewers who see the organization).
    pub fn findings(&mut self, window: &str, top: usize) -> Result<Findings> {
        self.policy
            .require_org(&mut self.store, "the org's findings")?;
        let org = self.org()?;
        let naming = self.naming(&org)?;
        let f = self.load("findings")?;
        let rows = crate::live::visible_findings(&f, window, self.policy.min_group);
        if rows.is_empty() {
            let people = self.load("people")?;
            if people.in_window(window).is_empty() {
                bail!(
                    "no analysis of window {window} (analyzed: {})",
                    people.windows().join(", ")
                );
            }
        }
        self.policy
            .record(&mut self.store, "show findings", window)?;
        Ok(crate::live::findings_view(&f, rows, &naming, window, top))
    }

    /// One person's mirror (recorded in the access log before it is read).
    pub fn person_mirror(&mut self, who: &str, window: &str) -> Result<PersonMirror> {
        let org = self.org()?;
        let me = self.person_index(&org, who)?;
        let pseudonym = org.pseudonyms[me as usize].clone();
        self.policy
            .read_person(&mut self.store, "show person", &pseudonym)?;
        let naming = self.naming(&org)?;
        let people = self.load("people")?;
        let row = (0..people.rows())
            .find(|&i| {
                people.text("window", i) == window && people.int("person", i) == Some(me as i64)
            })
            .with_context(|| {
                format!(
                    "no analysis of window {window} (analyzed: {})",
                    people.windows().join(", ")
                )
            })?;
        let m = self.load("mirrors")?;
        let rows: Vec<usize> = (0..m.rows())
            .filter(|&i| m.str("window", i) == window && m.int("person", i) == Some(me as i64))
            .collect();
        Ok(crate::live::mirror_view(
            &naming, &people, row, &m, &rows, me, &pseudonym, window,
        ))
    }

    /// Who could take `who` to `target` in `window` (a person-level read of both).
    pub fn paths_to(&mut self, who: &str, target: &str, window: &str) -> Result<Vec<PathStep>> {
        let org = self.org()?;
        let me = self.person_index(&org, who)?;
        let to = self.person_index(&org, target)?;
        self.policy
            .read_person(&mut self.store, "paths", &org.pseudonyms[me as usize])?;
        // The people the person's own mirror names (for members and leaders, the only targets).
        let m = self.load("mirrors")?;
        let named = (0..m.rows()).any(|i| {
            m.text("window", i) == window
                && m.int("person", i) == Some(me as i64)
                && m.int("other", i) == Some(to as i64)
        });
        self.policy
            .read_target(&mut self.store, &org.pseudonyms[to as usize], named)?;
        let naming = self.naming(&org)?;
        let pairs = self.window_pairs(window)?;
        let ev = Evidence::new(pairs, &self.store.survey_answers()?);
        let (contact, _) = mirror::people::build_graphs(&org, &ev);
        let undirected = contact.to_undirected().without_self_loops();
        Ok(mirror::mirrors::paths_to(&ev, &undirected, me, to)
            .into_iter()
            .map(|(c, _, why)| PathStep {
                via: naming.of(c).to_string(),
                why: naming.text(&why),
            })
            .collect())
    }

    /// The viewer's own name for a person index (for front ends printing a target's name).
    pub fn name_of(&self, who: &str) -> Result<String> {
        let org = self.org()?;
        let i = self.person_index(&org, who)?;
        Ok(self.naming(&org)?.of(i).to_string())
    }
}
