//! The analysis held in memory for a server: every result table read once, indexed by window and
//! person, so that a person's mirror, a team or the org's findings are answered without reading
//! files. Every answer goes through the same [`Policy`] as the command line's, and every read is
//! recorded in the given [`AccessLog`] before anything is returned.

use crate::Session;
use crate::policy::{AccessLog, Policy, Refused, Role};
use crate::views::{FindingView, Findings, MirrorRow, MirrorSection, PersonMirror, TeamView};
use anyhow::{Context, Result};
use mirror::input::{Evidence, Org, Pair};
use report::{Frame, Naming};
use rustc_hash::FxHashMap;
use store::Store;
use vocab::SurveyAnswer;

/// One analyzed window, indexed.
struct Window {
    label: String,
    /// Row of each person in `people`.
    people_row: FxHashMap<u32, usize>,
    /// Rows of each person's mirror in `mirrors`, in table order.
    mirror_rows: FxHashMap<u32, Vec<usize>>,
    /// Rows of `dyads` that involve each person.
    dyad_rows: FxHashMap<u32, Vec<usize>>,
    /// Directed contacts (a, b, weight) touching each person.
    contacts: FxHashMap<u32, Vec<(u32, u32, f64)>>,
    /// The people with the most informal power (paths to power lead to them).
    candidates: Vec<u32>,
    /// Row of each leader in `leaders`.
    leader_row: FxHashMap<u32, usize>,
    /// The graph paths to power are found in, built once for every personal page.
    paths: report::person::PathsIndex,
}

/// A department or community in one window, as the org mirror lists them.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GroupView {
    /// `department` or `community`.
    pub kind: String,
    pub group: String,
    pub members: usize,
    /// The group's measures (name, value); empty when the group is under the minimum size.
    pub measures: Vec<(String, f64)>,
    /// True when the group is smaller than the minimum group size (its figures are withheld).
    pub suppressed: bool,
}

/// The workspace's analysis, read once.
pub struct Live {
    org: Org,
    by_pseudonym: FxHashMap<String, u32>,
    pseudonymous: Naming,
    identified: Option<Naming>,
    source: String,
    people: Frame,
    mirrors: Frame,
    dyads: Frame,
    leaders: Frame,
    groups: Frame,
    findings: Frame,
    survey: Vec<SurveyAnswer>,
    /// Survey answers each person gave, and in how many colleagues named them.
    answers: Vec<(u32, u32)>,
    windows: Vec<Window>,
    /// Contacts of every window, for the org page's network picture.
    ties: FxHashMap<String, Vec<(u32, u32, f64)>>,
    /// Personal pages made, by (person, window, identities shown, minimum group size).
    pages: std::sync::Mutex<FxHashMap<PageKey, std::sync::Arc<String>>>,
}

type PageKey = (u32, String, bool, usize);

/// Personal pages kept in memory (about 60 kB each); when full, all are dropped at once.
const PAGES_KEPT: usize = 2_000;

impl Live {
    /// Reads the analysis of the session's workspace.
    pub fn load(session: &Session) -> Result<Live> {
        let org = session.org()?;
        let store = session.store();
        let names = if store.has_identities() {
            let people = store.people()?;
            let names: Vec<Option<String>> = people
                .people
                .iter()
                .map(|p| p.person.name.clone())
                .collect();
            Some(Naming::new(&org, Some(&names)))
        } else {
            None
        };
        let people = session.load("people")?;
        let mirrors = session.load("mirrors")?;
        let leaders = session.load("leaders")?;
        let groups = session.load("groups")?;
        let findings = session.load("findings")?;
        let dyads = session.page_dyads(None)?;
        let survey = store.survey_answers()?;
        let mut answers = vec![(0u32, 0u32); org.n()];
        for a in &survey {
            if let Some(x) = answers.get_mut(a.respondent.0 as usize) {
                x.0 += 1;
            }
            if let Some(x) = answers.get_mut(a.colleague.0 as usize) {
                x.1 += 1;
            }
        }
        let labels = people.windows();
        let mut ties = FxHashMap::default();
        let mut windows = Vec::new();
        for label in labels {
            let contacts = session.window_contacts(&label, None)?;
            windows.push(index_window(
                &org, &label, &people, &mirrors, &dyads, &leaders, &contacts, &survey,
            ));
            ties.insert(label, contacts);
        }
        let by_pseudonym = org
            .pseudonyms
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i as u32))
            .collect();
        Ok(Live {
            pseudonymous: Naming::new(&org, None),
            identified: names,
            source: format!("{} people", org.n()),
            by_pseudonym,
            org,
            people,
            mirrors,
            dyads,
            leaders,
            groups,
            findings,
            answers,
            survey,
            windows,
            ties,
            pages: Default::default(),
        })
    }

    /// The analyzed windows, in table order.
    pub fn windows(&self) -> Vec<String> {
        self.windows.iter().map(|w| w.label.clone()).collect()
    }

    pub fn people(&self) -> usize {
        self.org.n()
    }

    /// The person with this pseudonym, if any.
    pub fn person(&self, pseudonym: &str) -> Option<u32> {
        self.by_pseudonym.get(pseudonym).copied()
    }

    pub fn pseudonym(&self, person: u32) -> &str {
        &self.org.pseudonyms[person as usize]
    }

    /// Every pseudonym (for tests and for linking accounts).
    pub fn pseudonyms(&self) -> &[String] {
        &self.org.pseudonyms
    }

    /// The person with this id in the people file (for an admin linking an account).
    pub fn person_by_id(&self, id: &str) -> Option<u32> {
        self.org.ids.iter().position(|x| x == id).map(|i| i as u32)
    }

    fn naming(&self, policy: &Policy) -> &Naming {
        match &self.identified {
            Some(n) if policy.identities() => n,
            _ => &self.pseudonymous,
        }
    }

    fn window(&self, label: &str) -> Result<&Window> {
        self.windows
            .iter()
            .find(|w| w.label == label)
            .with_context(|| {
                format!(
                    "no analysis of window {label} (analyzed: {})",
                    self.windows().join(", ")
                )
            })
    }

    /// The person a member or leader is (their own pseudonym), or the one asked for.
    fn resolve(
        &self,
        policy: &Policy,
        log: &mut dyn AccessLog,
        action: &str,
        pseudonym: &str,
    ) -> Result<u32> {
        // The policy decides first, so that asking for someone else's mirror says nothing about
        // whether that pseudonym exists.
        policy.read_person(log, action, pseudonym)?;
        self.person(pseudonym)
            .with_context(|| format!("no person with pseudonym `{pseudonym}`"))
    }

    /// A person's mirror in `window`.
    pub fn person_mirror(
        &self,
        policy: &Policy,
        log: &mut dyn AccessLog,
        pseudonym: &str,
        window: &str,
    ) -> Result<PersonMirror> {
        let me = self.resolve(policy, log, "show person", pseudonym)?;
        let w = self.window(window)?;
        let prow = *w
            .people_row
            .get(&me)
            .with_context(|| format!("{pseudonym} is not in window {window}"))?;
        let rows = w.mirror_rows.get(&me).map_or(&[][..], Vec::as_slice);
        Ok(mirror_view(
            self.naming(policy),
            &self.people,
            prow,
            &self.mirrors,
            rows,
            me,
            pseudonym,
            window,
        ))
    }

    /// A person's mirror as the personal report's page (a whole HTML document).
    pub fn person_page(
        &self,
        policy: &Policy,
        log: &mut dyn AccessLog,
        pseudonym: &str,
        window: &str,
    ) -> Result<std::sync::Arc<String>> {
        let me = self.resolve(policy, log, "report person", pseudonym)?;
        let w = self.window(window)?;
        // A page depends only on the analysis (this value), the person, the window, and how the
        // viewer names people and the minimum group size: pages already made are kept (the
        // read above is recorded all the same).
        let key = (
            me,
            window.to_string(),
            self.naming(policy).identified,
            policy.min_group,
        );
        if let Some(page) = self.pages.lock().expect("pages").get(&key) {
            return Ok(page.clone());
        }
        let page = std::sync::Arc::new(self.make_person_page(policy, w, me)?);
        let mut pages = self.pages.lock().expect("pages");
        if pages.len() >= PAGES_KEPT {
            pages.clear();
        }
        pages.insert(key, page.clone());
        Ok(page)
    }

    fn make_person_page(&self, policy: &Policy, w: &Window, me: u32) -> Result<String> {
        let window = w.label.as_str();
        // The rows the page reads: the person's and the path candidates' people rows, their own
        // mirror rows and dyads, and their own contacts (the window's paths graph has the rest).
        let mut people_rows: Vec<usize> = w
            .candidates
            .iter()
            .chain(std::iter::once(&me))
            .filter_map(|p| w.people_row.get(p).copied())
            .collect();
        people_rows.sort_unstable();
        people_rows.dedup();
        let people = take(&self.people, &people_rows);
        let mirrors = take(
            &self.mirrors,
            w.mirror_rows.get(&me).map_or(&[][..], Vec::as_slice),
        );
        let dyads = take(
            &self.dyads,
            w.dyad_rows.get(&me).map_or(&[][..], Vec::as_slice),
        );
        let pairs: Vec<Pair> = w
            .contacts
            .get(&me)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&(a, b, n)| Pair {
                a,
                b,
                n,
                ..Default::default()
            })
            .collect();
        // The survey's ties touching the person (the paths' two-way ties read only those).
        let answers: Vec<SurveyAnswer> = self
            .survey
            .iter()
            .filter(|a| a.respondent.0 == me || a.colleague.0 == me)
            .cloned()
            .collect();
        let evidence = Evidence::new(pairs, &answers);
        let page = report::person::person_report(&report::person::PersonInputs {
            org: &self.org,
            naming: self.naming(policy),
            window,
            person: me,
            people: &people,
            dyads: &dyads,
            mirrors: &mirrors,
            evidence: &evidence,
            paths: Some(&w.paths),
            source: &self.source,
        });
        let basis = self.basis(w, me, policy.min_group);
        Ok(page.replacen("</main>", &format!("{basis}</main>"), 1))
    }

    /// "What this is based on": the interactions and answers a person's page rests on, and how
    /// sure it is.
    fn basis(&self, w: &Window, me: u32, min_group: usize) -> String {
        let mine = w.contacts.get(&me).map_or(&[][..], Vec::as_slice);
        let people: rustc_hash::FxHashSet<u32> = mine
            .iter()
            .map(|&(a, b, _)| if a == me { b } else { a })
            .filter(|&o| o != me)
            .collect();
        let (given, named) = self.answers.get(me as usize).copied().unwrap_or((0, 0));
        report::person::basis_section(&report::person::Basis {
            window: &w.label,
            people: people.len(),
            weight: mine.iter().map(|c| c.2).sum(),
            given,
            named,
            org_size: self.org.n(),
            min_group,
        })
    }

    /// The viewer's own journal set beside what the interaction data says of the same
    /// relationships, as a section of their mirror page. `lines` gives the viewer's own entries
    /// (day, colleague's pseudonym, kind), asked for only once the policy allowed; they feed
    /// this section only, never the organization's results.
    pub fn journal_section(
        &self,
        policy: &Policy,
        log: &mut dyn AccessLog,
        window: &str,
        lines: impl FnOnce() -> Result<Vec<(i64, String, String)>>,
    ) -> Result<String> {
        let me_p = policy.own_journal(log, "journal read")?;
        let lines = lines()?;
        let me = self
            .person(&me_p)
            .with_context(|| format!("no person with pseudonym `{me_p}`"))?;
        let w = self.window(window)?;
        let naming = self.naming(policy);
        // Per colleague: counts of each kind.
        let mut by: std::collections::BTreeMap<&str, FxHashMap<&str, usize>> = Default::default();
        for (_, other, what) in &lines {
            *by.entry(other.as_str())
                .or_default()
                .entry(what.as_str())
                .or_default() += 1;
        }
        let rows: Vec<report::person::JournalRow> = by
            .iter()
            .map(|(other, k)| {
                let n = |x: &str| k.get(x).copied().unwrap_or(0);
                let o = self.person(other);
                // The pair's balance, from this person's side.
                let balance = o.and_then(|o| {
                    let (a, b) = (me.min(o), me.max(o));
                    let j = w.dyad_rows.get(&me)?.iter().copied().find(|&j| {
                        self.dyads.person("a", j) == Some(a) && self.dyads.person("b", j) == Some(b)
                    })?;
                    let v = self.dyads.num("balance", j)?;
                    Some(if me == a { v } else { -v })
                });
                report::person::JournalRow {
                    colleague: o.map_or(other.to_string(), |o| naming.of(o).to_string()),
                    gave: n("helped") + n("gave_feedback") + n("introduced"),
                    asked: n("asked") + n("asked_feedback"),
                    turned_down: n("declined") + n("was_declined"),
                    met: n("met"),
                    balance,
                }
            })
            .collect();
        Ok(report::person::journal_section(&rows))
    }

    /// The people the viewer's own mirror names in `window` (whom a journal entry is usually
    /// about), by pseudonym.
    pub fn named_in_mirror(&self, pseudonym: &str, window: &str) -> Vec<String> {
        let (Some(me), Ok(w)) = (self.person(pseudonym), self.window(window)) else {
            return Vec::new();
        };
        let mut out: Vec<u32> = w
            .mirror_rows
            .get(&me)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|&i| self.mirrors.person("other", i))
            .filter(|&o| o != me)
            .collect();
        out.sort_unstable();
        out.dedup();
        out.into_iter()
            .map(|o| self.pseudonym(o).to_string())
            .collect()
    }

    /// The people of a department (by its name), by pseudonym; every person for `None`.
    pub fn members_of(&self, department: Option<&str>) -> Vec<String> {
        let d = department.map(|d| self.org.departments.iter().position(|x| x == d));
        (0..self.org.n())
            .filter(|&i| match d {
                None => true,
                Some(None) => false,
                Some(Some(d)) => self.org.department[i] == Some(d as u32),
            })
            .map(|i| self.org.pseudonyms[i].clone())
            .collect()
    }

    /// A person's department, by pseudonym.
    pub fn department_of(&self, pseudonym: &str) -> Option<&str> {
        let i = self.person(pseudonym)? as usize;
        let d = self.org.department[i]?;
        self.org.departments.get(d as usize).map(String::as_str)
    }

    /// A team and its neighbours, by pseudonym: the leader and their direct reports in the
    /// people file, then, in the first window, the people outside the team with the most
    /// interaction with it (at most as many as the team has members, each with at least one
    /// contact). Fails when `leader` manages nobody.
    pub fn team_and_neighbours(&self, leader: &str) -> Result<(Vec<String>, Vec<String>)> {
        let me = self
            .person(leader)
            .with_context(|| format!("no person with pseudonym `{leader}`"))?
            as usize;
        let reports = self.org.reports(me);
        if reports.is_empty() {
            anyhow::bail!("{leader} manages nobody in the people file");
        }
        let mut team: Vec<u32> = std::iter::once(me as u32)
            .chain(reports.iter().copied())
            .collect();
        team.sort_unstable();
        let inside: rustc_hash::FxHashSet<u32> = team.iter().copied().collect();
        let mut weight: FxHashMap<u32, f64> = FxHashMap::default();
        if let Some(ties) = self.windows.first().and_then(|w| self.ties.get(&w.label)) {
            for &(a, b, w) in ties {
                match (inside.contains(&a), inside.contains(&b)) {
                    (true, false) => *weight.entry(b).or_default() += w,
                    (false, true) => *weight.entry(a).or_default() += w,
                    _ => {}
                }
            }
        }
        let mut near: Vec<(u32, f64)> = weight.into_iter().filter(|x| x.1 > 0.0).collect();
        near.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        near.truncate(team.len());
        let names = |v: &mut dyn Iterator<Item = u32>| -> Vec<String> {
            v.map(|i| self.pseudonym(i).to_string()).collect()
        };
        Ok((
            names(&mut team.into_iter()),
            names(&mut near.into_iter().map(|x| x.0)),
        ))
    }

    /// Who interacted with whom (either way) in `window`, by pseudonym: the test answers are
    /// matched against.
    pub fn interacted(&self, window: &str) -> Result<impl Fn(&str, &str) -> bool + '_> {
        self.window(window)?;
        let pairs: rustc_hash::FxHashSet<(u32, u32)> = self
            .ties
            .get(window)
            .map(|t| {
                t.iter()
                    .filter(|x| x.2 > 0.0)
                    .map(|&(a, b, _)| (a.min(b), a.max(b)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(
            move |a: &str, b: &str| match (self.person(a), self.person(b)) {
                (Some(a), Some(b)) => pairs.contains(&(a.min(b), a.max(b))),
                _ => false,
            },
        )
    }

    /// The departments' names.
    pub fn departments(&self) -> &[String] {
        &self.org.departments
    }

    /// How a person is shown to colleagues choosing whom to name in a survey: their name when the
    /// workspace holds identities (a respondent must recognize colleagues), else the pseudonym.
    pub fn colleague_label(&self, pseudonym: &str) -> String {
        match (self.person(pseudonym), &self.identified) {
            (Some(i), Some(n)) => n.of(i).to_string(),
            _ => pseudonym.to_string(),
        }
    }

    /// The windows in which `pseudonym` leads a team, with the team's size.
    pub fn teams_led_by(&self, pseudonym: &str) -> Vec<(String, usize)> {
        let Some(me) = self.person(pseudonym) else {
            return Vec::new();
        };
        self.windows
            .iter()
            .filter_map(|w| {
                let row = *w.leader_row.get(&me)?;
                let size = self.leaders.int("team_size", row).unwrap_or(0).max(0) as usize;
                Some((w.label.clone(), size))
            })
            .collect()
    }

    /// The team led by `leader` (a pseudonym) in `window`.
    pub fn team_view(
        &self,
        policy: &Policy,
        log: &mut dyn AccessLog,
        leader: &str,
        window: &str,
    ) -> Result<TeamView> {
        policy.may_see_team(log, leader)?;
        let me = self
            .person(leader)
            .with_context(|| format!("no person with pseudonym `{leader}`"))?;
        let w = self.window(window)?;
        let row = *w
            .leader_row
            .get(&me)
            .with_context(|| format!("{leader} leads no team in window {window}"))?;
        let size = self.leaders.int("team_size", row).unwrap_or(0).max(0) as usize;
        policy.read_team(log, leader, size)?;
        Ok(team_of(
            self.naming(policy).of(me),
            &self.leaders,
            row,
            window,
        ))
    }

    /// The findings of `window` (viewers who see the organization).
    pub fn findings(
        &self,
        policy: &Policy,
        log: &mut dyn AccessLog,
        window: &str,
        top: usize,
    ) -> Result<Findings> {
        policy.require_org(log, "the org's findings")?;
        self.window(window)?;
        let rows = visible_findings(&self.findings, window, policy.min_group);
        policy.record(log, "show findings", window)?;
        Ok(findings_view(
            &self.findings,
            rows,
            self.naming(policy),
            window,
            top,
        ))
    }

    /// Departments and communities of `window` (viewers who see the organization); groups
    /// under the minimum group size are listed with their figures withheld.
    pub fn groups(
        &self,
        policy: &Policy,
        log: &mut dyn AccessLog,
        window: &str,
    ) -> Result<Vec<GroupView>> {
        policy.require_org(log, "the org's groups")?;
        self.window(window)?;
        policy.record(log, "show groups", window)?;
        let g = &self.groups;
        let mut out: Vec<GroupView> = Vec::new();
        for i in g.in_window(window) {
            let kind = g.str("kind", i);
            if kind != "department" && kind != "community" {
                continue;
            }
            let name = g.str("group", i);
            let members = g.int("members", i).unwrap_or(0).max(0) as usize;
            let suppressed = members < policy.min_group;
            let at = match out.iter().position(|v| v.kind == kind && v.group == name) {
                Some(k) => k,
                None => {
                    out.push(GroupView {
                        kind: kind.to_string(),
                        group: name.to_string(),
                        members,
                        measures: Vec::new(),
                        suppressed,
                    });
                    out.len() - 1
                }
            };
            if !suppressed
                && g.str("other_group", i).is_empty()
                && let Some(v) = g.num("value", i)
            {
                out[at].measures.push((g.text("measure", i), v));
            }
        }
        // Communities (who works with whom, whatever the chart says) from the people table:
        // their size, how many departments they span, and their members' mean standing.
        let w = self.window(window)?;
        let p = &self.people;
        let mut by: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
        for &row in w.people_row.values() {
            if let Some(c) = p.int("community", row) {
                by.entry(c).or_default().push(row);
            }
        }
        for (c, rows) in by {
            let members = rows.len();
            let suppressed = members < policy.min_group;
            let mut measures = Vec::new();
            if !suppressed {
                let mut depts: FxHashMap<u32, usize> = FxHashMap::default();
                for &r in &rows {
                    if let Some(d) = p
                        .person("person", r)
                        .and_then(|x| self.org.department[x as usize])
                    {
                        *depts.entry(d).or_default() += 1;
                    }
                }
                let top = depts.values().copied().max().unwrap_or(0);
                measures.push(("departments".to_string(), depts.len() as f64));
                measures.push((
                    "largest_department_share".to_string(),
                    top as f64 / members as f64,
                ));
                for col in ["informal_pct", "formal_pct", "contacts", "constraint"] {
                    let vals: Vec<f64> = rows.iter().filter_map(|&r| p.num(col, r)).collect();
                    if !vals.is_empty() {
                        measures.push((
                            format!("mean_{col}"),
                            vals.iter().sum::<f64>() / vals.len() as f64,
                        ));
                    }
                }
            }
            out.push(GroupView {
                kind: "community".into(),
                group: format!("community {c}"),
                members,
                measures,
                suppressed,
            });
        }
        Ok(out)
    }

    /// The org mirror page of `window` (a whole HTML document; viewers who see the organization).
    pub fn org_page(
        &self,
        policy: &Policy,
        log: &mut dyn AccessLog,
        window: &str,
    ) -> Result<String> {
        policy.require_org(log, "the org mirror")?;
        self.window(window)?;
        let keep: Vec<bool> = (0..self.findings.rows())
            .map(|i| finding_shown(&self.findings, i, policy.min_group))
            .collect();
        let findings = Frame(
            self.findings
                .0
                .iter()
                .map(|(n, d)| (n.clone(), report::frame::filter(d.clone(), &keep)))
                .collect(),
        );
        let (html, _) = report::org::org_report(&report::org::OrgInputs {
            org: &self.org,
            naming: self.naming(policy),
            window,
            min_group: policy.min_group,
            people: &self.people,
            dyads: &self.dyads,
            groups: &self.groups,
            leaders: &self.leaders,
            findings: &findings,
            ties: self.ties.get(window).map_or(&[][..], Vec::as_slice),
            max_nodes: 2_000,
            max_edges: 20_000,
            source: &self.source,
        });
        policy.record(log, "report org", window)?;
        Ok(html)
    }

    /// Whether `role` is linked to a person of this analysis (accounts of leaders and members).
    pub fn check_link(&self, role: &Role) -> Result<()> {
        if let Role::Leader(p) | Role::Member(p) = role
            && self.person(p).is_none()
        {
            return Err(Refused(format!("no person with pseudonym `{p}` in the analysis")).into());
        }
        Ok(())
    }
}

/// The report's style and its network script, for a server that serves them as files.
pub use report::html::{CSS as REPORT_CSS, NETWORK_JS, duration, esc};

/// A report page with its style sheet and script linked (`css`, `js`) instead of inline, for a
/// Content-Security-Policy that allows no inline style or script.
pub fn link_assets(doc: &str, css: &str, js: &str) -> String {
    doc.replacen(
        &format!("<style>{REPORT_CSS}</style>"),
        &format!("<link rel=\"stylesheet\" href=\"{}\">", esc(css)),
        1,
    )
    .replace(
        &format!("<script>{NETWORK_JS}</script>"),
        &format!("<script src=\"{}\"></script>", esc(js)),
    )
}

#[allow(clippy::too_many_arguments)]
fn index_window(
    org: &Org,
    label: &str,
    people: &Frame,
    mirrors: &Frame,
    dyads: &Frame,
    leaders: &Frame,
    contacts: &[(u32, u32, f64)],
    survey: &[SurveyAnswer],
) -> Window {
    let mut people_row = FxHashMap::default();
    for i in people.in_window(label) {
        if let Some(p) = people.person("person", i) {
            people_row.insert(p, i);
        }
    }
    let mut mirror_rows: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    for i in mirrors.in_window(label) {
        if let Some(p) = mirrors.person("person", i) {
            mirror_rows.entry(p).or_default().push(i);
        }
    }
    let mut dyad_rows: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    for i in dyads.in_window(label) {
        let (a, b) = (dyads.person("a", i), dyads.person("b", i));
        if let Some(a) = a {
            dyad_rows.entry(a).or_default().push(i);
        }
        if let Some(b) = b
            && Some(b) != a
        {
            dyad_rows.entry(b).or_default().push(i);
        }
    }
    let mut by_person: FxHashMap<u32, Vec<(u32, u32, f64)>> = FxHashMap::default();
    for &(a, b, n) in contacts {
        by_person.entry(a).or_default().push((a, b, n));
        if b != a {
            by_person.entry(b).or_default().push((a, b, n));
        }
    }
    let mut leader_row = FxHashMap::default();
    for i in leaders.in_window(label) {
        if let Some(p) = leaders.person("leader", i) {
            leader_row.insert(p, i);
        }
    }
    let candidates =
        report::person::power_candidates(people, label, report::person::PATH_CANDIDATES);
    // All of the window's contacts: a page's paths read only the edges touching its person or a
    // candidate, which are the same in this graph as in one of their pairs only.
    let all: Vec<Pair> = contacts
        .iter()
        .map(|&(a, b, n)| Pair {
            a,
            b,
            n,
            ..Default::default()
        })
        .collect();
    let paths = report::person::PathsIndex::new(org, &Evidence::new(all, survey), &candidates);
    Window {
        label: label.to_string(),
        people_row,
        mirror_rows,
        dyad_rows,
        contacts: by_person,
        candidates,
        leader_row,
        paths,
    }
}

/// The rows `rows` of a frame, in that order.
fn take(frame: &Frame, rows: &[usize]) -> Frame {
    Frame(
        frame
            .0
            .iter()
            .map(|(n, d)| (n.clone(), report::frame::take(d, rows)))
            .collect(),
    )
}

/// Whether a stored finding is shown under a minimum group size of `floor` (group findings about
/// smaller groups are left out; the minimum may have been raised since the analysis).
pub(crate) fn finding_shown(f: &Frame, i: usize, floor: usize) -> bool {
    !f.has("group_size")
        || f.int("group_size", i)
            .is_none_or(|m| m < 0 || m as usize >= floor)
}

/// The rows of `window`'s findings a viewer may see.
pub(crate) fn visible_findings(f: &Frame, window: &str, floor: usize) -> Vec<usize> {
    (0..f.rows())
        .filter(|&i| f.str("window", i) == window && finding_shown(f, i, floor))
        .collect()
}

/// Findings of a window, at most `top`, taking each kind in turn.
pub(crate) fn findings_view(
    f: &Frame,
    rows: Vec<usize>,
    naming: &Naming,
    window: &str,
    top: usize,
) -> Findings {
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut by_kind: Vec<Vec<usize>> = Vec::new();
    for &i in &rows {
        let kind = f.text("kind", i);
        match counts.iter().position(|c| c.0 == kind) {
            Some(k) => {
                counts[k].1 += 1;
                by_kind[k].push(i);
            }
            None => {
                counts.push((kind, 1));
                by_kind.push(vec![i]);
            }
        }
    }
    // Round-robin over kinds, each kind strongest first as stored.
    let mut picked = Vec::new();
    let mut depth = 0;
    while picked.len() < top && by_kind.iter().any(|k| k.len() > depth) {
        for k in &by_kind {
            if let Some(&i) = k.get(depth)
                && picked.len() < top
            {
                picked.push(i);
            }
        }
        depth += 1;
    }
    picked.sort_unstable();
    let person = |c: &str, i: usize| f.int(c, i).map(|p| naming.of(p as u32).to_string());
    let shown = picked
        .into_iter()
        .map(|i| FindingView {
            kind: f.text("kind", i),
            person: person("person", i),
            other: person("other", i),
            group: Some(f.text("group", i)).filter(|g| !g.is_empty()),
            value: f.num("value", i).unwrap_or(0.0),
            confidence: f.num("confidence", i).unwrap_or(0.0),
            evidence: naming.text(&f.text("evidence", i)),
        })
        .collect();
    Findings {
        window: window.to_string(),
        shown,
        counts,
    }
}

/// A person's mirror from their people row and mirror rows.
#[allow(clippy::too_many_arguments)]
pub(crate) fn mirror_view(
    naming: &Naming,
    people: &Frame,
    prow: usize,
    m: &Frame,
    rows: &[usize],
    me: u32,
    pseudonym: &str,
    window: &str,
) -> PersonMirror {
    let mut sections: Vec<MirrorSection> = Vec::new();
    for &i in rows {
        let s = m.str("section", i);
        if sections.last().is_none_or(|x| x.section != s) {
            sections.push(MirrorSection {
                section: s.to_string(),
                rows: Vec::new(),
            });
        }
        let other = m.int("other", i).map(|o| naming.of(o as u32).to_string());
        sections.last_mut().expect("pushed").rows.push(MirrorRow {
            other,
            label: m.text("label", i),
            value: m.num("value", i).unwrap_or(0.0),
            rank: m.int("rank", i),
            evidence: naming.text(m.str("evidence", i)),
        });
    }
    PersonMirror {
        person: me,
        name: naming.of(me).to_string(),
        pseudonym: pseudonym.to_string(),
        window: window.to_string(),
        formal_pct: people.num("formal_pct", prow),
        informal_pct: people.num("informal_pct", prow),
        power_gap: people.num("power_gap", prow),
        roles: naming.text(people.str("role_evidence", prow)),
        sections,
    }
}

/// A team's aggregates from its `leaders` row.
pub(crate) fn team_of(leader: &str, l: &Frame, row: usize, window: &str) -> TeamView {
    TeamView {
        leader: leader.to_string(),
        window: window.to_string(),
        team_size: l.int("team_size", row).unwrap_or(0).max(0) as usize,
        style: l.text("style", row),
        position: l.num("position", row).unwrap_or(0.0),
        directive_ratio: l.num("directive_ratio", row),
        autonomy: l.num("autonomy", row),
        airtime: l.num("airtime", row),
        reciprocity: l.num("reciprocity", row),
        leaderfulness: l.num("leaderfulness", row),
        evidence_events: l.num("evidence_events", row).unwrap_or(0.0),
    }
}
