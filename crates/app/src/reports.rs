//! Pages people look at: the org mirror and personal mirrors, as self-contained HTML.

use crate::Session;
use anyhow::{Context, Result, bail};
use mirror::input::{Evidence, Pair};
use std::path::PathBuf;
use std::time::Instant;
use store::Store;

/// What to write.
#[derive(Clone, Debug)]
pub struct ReportRequest {
    /// Folder for the HTML files (created if missing).
    pub out: PathBuf,
    /// Personal mirrors of these people instead of the org mirror.
    pub person: Vec<String>,
    pub window: String,
    /// A larger minimum group size than the workspace's (never smaller).
    pub min_group: Option<usize>,
    pub max_nodes: usize,
    pub max_edges: usize,
}

impl ReportRequest {
    pub fn new(out: PathBuf) -> ReportRequest {
        ReportRequest {
            out,
            person: Vec::new(),
            window: "all".into(),
            min_group: None,
            max_nodes: 20_000,
            max_edges: 150_000,
        }
    }
}

/// One page written.
#[derive(Clone, Debug)]
pub struct Page {
    pub path: PathBuf,
    /// Whose mirror (as the viewer names them), or None for the org mirror.
    pub person: Option<String>,
    /// For the org mirror: people and ties drawn, ties in all, findings.
    pub nodes_shown: usize,
    pub ties_shown: usize,
    pub ties: usize,
    pub findings: usize,
    pub seconds: f64,
}

impl Session {
    /// Writes the org mirror, or the personal mirrors asked for.
    pub fn report(&mut self, args: &ReportRequest) -> Result<Vec<Page>> {
        let started = Instant::now();
        if args.person.is_empty() {
            self.policy.require_org(&mut self.store, "the org mirror")?;
        }
        let min_group = self.policy.group_floor(&mut self.store, args.min_group)?;
        let org = self.org()?;
        let names = self.naming(&org)?;
        let people = self.load("people")?;
        if people.in_window(&args.window).is_empty() {
            bail!(
                "no analysis of window {} (analyzed: {})",
                args.window,
                people.windows().join(", ")
            );
        }
        let dyads = self.page_dyads(Some(&args.window))?;
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("creating {}", args.out.display()))?;
        let source = format!("{} people in {}", org.n(), self.store.root().display());
        let mut written = Vec::new();
        if args.person.is_empty() {
            let groups = self.load("groups")?;
            let leaders = self.load("leaders")?;
            let findings = {
                // Group findings about groups under this page's minimum are left out.
                let f = self.load("findings")?;
                let keep: Vec<bool> = (0..f.rows())
                    .map(|i| {
                        !f.has("group_size")
                            || f.int("group_size", i)
                                .is_none_or(|m| m < 0 || m as usize >= min_group)
                    })
                    .collect();
                report::Frame(
                    f.0.into_iter()
                        .map(|(n, d)| (n, report::frame::filter(d, &keep)))
                        .collect(),
                )
            };
            let (html, summary) = report::org::org_report(&report::org::OrgInputs {
                org: &org,
                naming: &names,
                window: &args.window,
                min_group,
                people: &people,
                dyads: &dyads,
                groups: &groups,
                leaders: &leaders,
                findings: &findings,
                ties: &self.window_contacts(&args.window, None)?,
                max_nodes: args.max_nodes,
                max_edges: args.max_edges,
                source: &source,
            });
            let path = args.out.join("org-mirror.html");
            self.policy
                .record(&mut self.store, "report org", &args.window)?;
            std::fs::write(&path, html).with_context(|| format!("writing {}", path.display()))?;
            written.push(Page {
                path,
                person: None,
                nodes_shown: summary.nodes_shown,
                ties_shown: summary.ties_shown,
                ties: summary.ties,
                findings: summary.findings,
                seconds: started.elapsed().as_secs_f64(),
            });
        } else {
            let mirrors = self.load("mirrors")?;
            let survey = self.store.survey_answers()?;
            for who in &args.person {
                let me = self.person_index(&org, who)?;
                self.policy.read_person(
                    &mut self.store,
                    "report person",
                    &org.pseudonyms[me as usize],
                )?;
                // Paths to power need only the pairs that touch this person or the people with the
                // most informal power (the candidates a path could lead to).
                let mut touch: rustc_hash::FxHashSet<u32> = report::person::power_candidates(
                    &people,
                    &args.window,
                    report::person::PATH_CANDIDATES,
                )
                .into_iter()
                .collect();
                touch.insert(me);
                let pairs: Vec<Pair> = self
                    .window_contacts(&args.window, Some(&touch))?
                    .into_iter()
                    .map(|(a, b, n)| Pair {
                        a,
                        b,
                        n,
                        ..Default::default()
                    })
                    .collect();
                let evidence = Evidence::new(pairs, &survey);
                let html = report::person::person_report(&report::person::PersonInputs {
                    org: &org,
                    naming: &names,
                    window: &args.window,
                    person: me,
                    people: &people,
                    dyads: &dyads,
                    mirrors: &mirrors,
                    evidence: &evidence,
                    paths: None,
                    source: &source,
                });
                let path = args.out.join(format!(
                    "mirror-{}.html",
                    file_safe(&org.pseudonyms[me as usize])
                ));
                std::fs::write(&path, html)
                    .with_context(|| format!("writing {}", path.display()))?;
                written.push(Page {
                    path,
                    person: Some(names.of(me).to_string()),
                    nodes_shown: 0,
                    ties_shown: 0,
                    ties: 0,
                    findings: 0,
                    seconds: started.elapsed().as_secs_f64(),
                });
            }
        }
        Ok(written)
    }
}

impl Session {
    /// The dyads' columns the pages use, of one window or (None) all.
    pub(crate) fn page_dyads(&self, window: Option<&str>) -> Result<report::Frame> {
        Ok(crate::tables::read_some(
            &self
                .store
                .table_path("dyads")?
                .context("no dyads table: run `orgmirror analyze` first")?,
            Some(&[
                "window",
                "a",
                "b",
                "relation",
                "balance",
                "balance_lo",
                "balance_hi",
            ]),
            window,
        )?)
    }
}

fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
