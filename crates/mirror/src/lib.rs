//! The mirror model: turns one window of the pair tables (plus the org chart, survey answers and
//! send-time activity) into the people, dyads, inferred managers, groups, leaders, personal
//! mirrors and findings tables. Every table names people by dense index only; ids and names are
//! joined at export, by a role allowed to see them.

pub mod dyads;
pub mod findings;
pub mod groups;
pub mod hierarchy;
pub mod input;
pub mod leaders;
pub mod mirrors;
pub mod people;
pub mod profile;
pub mod stats;

/// A person inside evidence text, by index: `{person:12}`. Front ends render it for their viewer
/// (a name, or a pseudonym), so stored text is the same for the same input in any workspace and
/// never carries a workspace's pseudonyms.
pub fn refer(person: u32) -> String {
    format!("{{person:{person}}}")
}
pub mod status;
pub mod tables;

use dyads::Dyad;
use findings::Finding;
use groups::GroupRow;
use hierarchy::InferredManager;
use input::{Evidence, Org};
use leaders::LeaderRow;
use mirrors::MirrorRow;
use people::{Network, PersonRow};
use store::PeopleTable;
use vocab::Activity;
use vocab::SurveyAnswer;

pub use people::Options;

/// Everything computed for one window.
pub struct WindowResult {
    pub window: String,
    pub people: Vec<PersonRow>,
    pub dyads: Vec<Dyad>,
    pub inferred_managers: Vec<InferredManager>,
    pub groups: Vec<GroupRow>,
    pub leaders: Vec<LeaderRow>,
    pub mirrors: Vec<MirrorRow>,
    pub findings: Vec<Finding>,
    pub evidence: Evidence,
    pub network: Network,
    /// Seconds and peak memory per stage.
    pub stages: Vec<profile::Stage>,
}

impl WindowResult {
    pub fn notes(&self) -> &[String] {
        &self.network.notes
    }
}

/// The organization as the model sees it, from the workspace's people table.
pub fn org_from_people(people: &PeopleTable) -> Org {
    let chart = people.org_chart().ok();
    let mut departments: Vec<String> = people
        .people
        .iter()
        .filter_map(|p| p.person.department.clone())
        .collect();
    departments.sort();
    departments.dedup();
    let dept_index = |d: &Option<String>| {
        d.as_ref()
            .and_then(|d| departments.binary_search(d).ok().map(|i| i as u32))
    };
    Org {
        ids: people.people.iter().map(|p| p.person.id.clone()).collect(),
        pseudonyms: people.people.iter().map(|p| p.pseudo.clone()).collect(),
        department: people
            .people
            .iter()
            .map(|p| dept_index(&p.person.department))
            .collect(),
        chart,
        tags: people
            .people
            .iter()
            .map(|p| p.person.tags.clone())
            .collect(),
        time_zones: people
            .people
            .iter()
            .map(|p| p.person.time_zone.clone())
            .collect(),
        titles: people
            .people
            .iter()
            .map(|p| p.person.title.clone())
            .collect(),
        departments,
    }
}

/// Analyzes one window.
pub fn analyze_window(
    org: &Org,
    window: &str,
    pairs: impl Into<input::PairList>,
    survey: &[SurveyAnswer],
    activity: Option<&[Activity]>,
    opts: &Options,
    previous: Option<(&str, &[PersonRow])>,
) -> WindowResult {
    let mut stages = profile::Stages::new(opts.memory);
    let ev = Evidence::new(pairs, survey);
    stages.lap("index");
    let (rows, network) = people::people(org, &ev, opts);
    stages.lap("people");
    let strengths: Vec<f64> = rows.iter().map(|r| r.status).collect();
    let dyads = dyads::dyads(org, &ev, &strengths, &opts.status);
    stages.lap("dyads");
    // The inferred hierarchy's maximum branching is sequential and nothing after it reads its
    // result, so it runs on a thread of its own beside groups, leaders, mirrors and findings
    // (which use every core). Its stage is that thread's seconds, which overlap theirs; its
    // peak is the process's peak over the stages it ran beside (they include its memory); the
    // time the window then still waits for it is the stage `inferred_managers_wait`.
    let first_beside = stages.stages.len();
    let ((inferred_managers, managers_secs), (groups, leaders, mirrors, findings)) =
        std::thread::scope(|scope| {
            let branching = scope.spawn(|| {
                let clock = std::time::Instant::now();
                let managers = hierarchy::infer_managers(
                    org.n(),
                    &dyads,
                    &network.undirected,
                    &org.department,
                );
                (managers, clock.elapsed().as_secs_f64())
            });
            let groups = groups::groups(org, &ev, &rows, &network, activity);
            stages.lap("groups");
            let leaders = leaders::leaders(org, &ev, &rows, &network.undirected, activity);
            stages.lap("leaders");
            let mirrors = mirrors::mirrors(&mirrors::MirrorInputs {
                org,
                ev: &ev,
                rows: &rows,
                dyads: &dyads,
                leaders: &leaders,
                undirected: &network.undirected,
                min_group: opts.min_group,
            });
            stages.lap("mirrors");
            let findings = findings::findings(&findings::FindingInputs {
                rows: &rows,
                dyads: &dyads,
                groups: &groups,
                leaders: &leaders,
                min_group: opts.min_group,
                previous,
            });
            stages.lap("findings");
            let managers = branching
                .join()
                .expect("the branching thread does not panic");
            stages.lap("inferred_managers_wait");
            (managers, (groups, leaders, mirrors, findings))
        });
    let beside_peak = stages.stages[first_beside..]
        .iter()
        .map(|s| s.peak_bytes)
        .max()
        .unwrap_or(0);
    stages.stages.insert(
        first_beside,
        profile::Stage {
            name: "inferred_managers".into(),
            secs: managers_secs,
            peak_bytes: beside_peak,
        },
    );
    WindowResult {
        window: window.to_string(),
        people: rows,
        dyads,
        inferred_managers,
        groups,
        leaders,
        mirrors,
        findings,
        evidence: ev,
        network,
        stages: stages.stages,
    }
}
