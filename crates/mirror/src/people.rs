//! Formal and informal power per person, the power gap, and relationship roles with the values
//! that triggered them.
//!
//! Graphs (one window): the *contact* graph (events a→b, symmetrized for brokerage and
//! communities) and the *attention* graph, where an edge x→y carries the attention x gives y:
//! replies and acknowledgements, requests x waits on y for, fulfilled requests, messages and
//! notes (½), meeting hours (¼) and survey answers naming y for advice, sign-off or
//! cannot-decline (2 each).
//!
//! Informal power is the percentile of the person's status strength from the status model
//! (`status`: learned on real organizations from how sought-after and central people are). Its
//! readable components are kept beside it: influence (PageRank of the attention graph),
//! brokerage (betweenness of the contact graph, exact up to `exact_betweenness_max` people,
//! sampled with a stated error above) and dependence (distinct people who made requests of the
//! person or need their sign-off). Formal power is the percentile of (−level, total span). The
//! power gap is informal minus formal percentile.

use crate::input::{Evidence, Org};
use crate::stats::{median, percentiles};
use crate::status::{self, StatusModel};
use graph::Graph;
use graph::betweenness::{
    ApproximateOptions, BetweennessOptions, approximate_betweenness, betweenness,
};
use graph::closeness::harmonic;
use graph::community::{CommunityOptions, leiden};
use graph::constraint::structural_holes;
use graph::page_rank::{PageRankOptions, page_rank};
use graph::paths::Length;
use vocab::Question;

#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    /// Largest population for exact betweenness; above it, sampled.
    pub exact_betweenness_max: usize,
    /// Largest population for exact harmonic reach; above it, estimated from sampled sources
    /// within ±[`REACH_EPSILON`] (as a share of everyone) with probability 0.9.
    pub exact_reach_max: usize,
    pub min_group: usize,
    /// The status model (shipped weights, or a workspace's own from `orgmirror calibrate`).
    pub status: StatusModel,
    /// Reads peak memory for the stage profile (none: unknown).
    pub memory: Option<crate::profile::MemoryProbe>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 42,
            exact_betweenness_max: 5_000,
            exact_reach_max: 20_000,
            min_group: 5,
            status: StatusModel::shipped(),
            memory: None,
        }
    }
}

/// How close sampled reach is to exact, as a share of everyone (probability 0.9).
pub const REACH_EPSILON: f64 = 0.05;

/// Requests up the line a manager's reports must have sent before the bypass share is given.
pub const BYPASS_MIN_REQUESTS: f64 = 10.0;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonRow {
    pub person: u32,
    pub level: Option<u32>,
    pub direct_span: Option<u32>,
    pub total_span: Option<u32>,
    pub distance_to_top: Option<u32>,
    pub formal_pct: Option<f64>,
    pub influence: f64,
    pub influence_pct: f64,
    pub betweenness: f64,
    pub brokerage_pct: f64,
    pub reach: f64,
    pub dependence: f64,
    pub dependence_pct: f64,
    /// Status strength from the status model (`Σ βₖ fₖ`); differences are log-odds.
    pub status: f64,
    /// The status model's features, percentiles in [0, 1] (`status::FEATURES` order).
    pub status_features: [f64; status::K],
    /// Percentile of `status` in the organization: informal power.
    pub informal_pct: f64,
    pub power_gap: Option<f64>,
    pub constraint: Option<f64>,
    pub effective_size: Option<f64>,
    pub community: u32,
    pub contacts: u32,
    pub events_out: f64,
    pub events_in: f64,
    pub requests_made: f64,
    pub requests_received: f64,
    pub help_given: f64,
    pub help_received: f64,
    /// Median over partners of this person's median reply latency (seconds).
    pub reply_latency_s: Option<f64>,
    /// Share of requests received that were declined or left unanswered.
    pub unanswered_share: Option<f64>,
    /// For a manager: of the requests their direct reports sent up the line (to them, to their
    /// manager or to their peers), the share that went around them; `None` under
    /// `BYPASS_MIN_REQUESTS` such requests.
    pub bypass_share: Option<f64>,
    /// Lower end of the 90 % interval of that share (Beta posterior, uniform prior).
    pub bypass_lo: Option<f64>,
    pub roles: Vec<Role>,
}

/// A role and the numbers behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub name: &'static str,
    pub evidence: String,
    /// Strength of the pattern in [0, 1], for ranking.
    pub strength: f64,
}

/// What the people stage computed besides the rows (for groups, leaders and mirrors).
pub struct Network {
    pub contact: Graph,
    pub undirected: Graph,
    pub attention: Graph,
    pub communities: Vec<u32>,
    pub community_count: usize,
    pub notes: Vec<String>,
    /// Seconds of the people stage's parts (graphs, influence, brokerage, reach, structural
    /// holes, communities, flows and status, roles), for the stage profile; no peaks.
    pub parts: Vec<crate::profile::Stage>,
}

pub fn build_graphs(org: &Org, ev: &Evidence) -> (Graph, Graph) {
    let n = org.n() as u32;
    let mut contact = Vec::with_capacity(ev.len());
    let mut attention = Vec::with_capacity(ev.len() * 2);
    for p in ev.pairs() {
        if p.a >= n || p.b >= n {
            continue;
        }
        if p.n > 0.0 || p.w_meetings > 0.0 {
            contact.push((p.a, p.b, p.n.max(p.w_meetings)));
        }
        let given = p.reply
            + p.accept
            + p.help
            + 0.5 * (p.message + p.fyi + p.praise)
            + 0.25 * p.meeting_s / 3600.0;
        if given > 0.0 {
            attention.push((p.a, p.b, given));
        }
        if p.request > 0.0 {
            attention.push((p.a, p.b, p.request));
        }
    }
    for (&(r, c), w) in &ev.survey {
        if r < n && c < n {
            let named = w[crate::input::question_slot(&Question::Advice)]
                + w[crate::input::question_slot(&Question::Decision)]
                + w[crate::input::question_slot(&Question::CannotDecline)];
            if named > 0.0 {
                attention.push((r, c, 2.0 * named));
            }
            let any: f64 = w.iter().sum();
            if any > 0.0 {
                contact.push((r, c, any));
            }
        }
    }
    (
        Graph::from_edges(n as usize, contact).expect("indices checked"),
        Graph::from_edges(n as usize, attention).expect("indices checked"),
    )
}

pub fn people(org: &Org, ev: &Evidence, opts: &Options) -> (Vec<PersonRow>, Network) {
    let n = org.n();
    let mut notes = Vec::new();
    if ev.requests_from_asks {
        notes.push(format!(
            "the data carries no request kinds: requests are read as messages that opened a thread To at most {} people, help as answers in the thread, ignored requests as asks left unanswered for the reply window",
            vocab::MAX_ASK_TO
        ));
    }
    let behaviour = ev.pairs().any(|p| p.n > 0.0);
    if behaviour && !ev.pairs().any(|p| p.request > 0.0 || p.decline > 0.0) {
        notes.push(
            "the data carries neither request kinds nor reply ids: who asks whom and who turns whom down cannot be read, so relationships are judged only where reply times both ways or survey answers speak; status comes from how sought-after and central people are".to_string(),
        );
    }
    let mut parts = crate::profile::Stages::new(None);
    let (contact, attention) = build_graphs(org, ev);
    let undirected = contact.to_undirected().without_self_loops();
    parts.lap("graphs");
    let influence = page_rank(
        &attention,
        &PageRankOptions {
            tolerance: 1e-10,
            ..Default::default()
        },
    )
    .map(|s| s.0)
    .unwrap_or_else(|_| vec![1.0 / n.max(1) as f64; n]);
    parts.lap("influence");
    let between = if n <= opts.exact_betweenness_max {
        betweenness(&undirected, &BetweennessOptions::default()).0
    } else {
        let a = approximate_betweenness(
            &undirected,
            &ApproximateOptions {
                epsilon: 0.01,
                seed: opts.seed,
                ..Default::default()
            },
        )
        .expect("valid options");
        notes.push(format!(
            "betweenness sampled ({} shortest paths; within ±{:.4} of exact with probability 0.9) because {n} people exceed the exact limit of {}",
            a.samples, a.error_bound, opts.exact_betweenness_max
        ));
        a.scores.0
    };
    parts.lap("brokerage");
    let reach: Vec<f64> = if n <= opts.exact_reach_max {
        harmonic(&undirected, Length::Hops).0
    } else {
        let h = graph::closeness::harmonic_sampled(&undirected, REACH_EPSILON, 0.1, opts.seed);
        notes.push(format!(
            "reach estimated from searches out of {} sampled people (within ±{:.3} of exact, as a share of everyone, with probability 0.9) because {n} people exceed the exact limit of {}",
            h.samples, h.error_bound, opts.exact_reach_max
        ));
        h.scores.0
    };
    parts.lap("reach");
    let holes = structural_holes(&undirected);
    parts.lap("holes");
    let partition = leiden(
        &undirected,
        &CommunityOptions {
            seed: opts.seed,
            ..Default::default()
        },
    )
    .expect("valid options");
    parts.lap("communities");

    let mut rows: Vec<PersonRow> = (0..n)
        .map(|p| PersonRow {
            person: p as u32,
            influence: influence[p],
            betweenness: between[p],
            reach: reach[p],
            community: partition.labels[p],
            contacts: undirected.out_degree(p) as u32,
            constraint: Some(holes.constraint.get(p)).filter(|c| c.is_finite()),
            effective_size: Some(holes.effective_size.get(p)).filter(|c| c.is_finite()),
            ..Default::default()
        })
        .collect();
    // Request and help flows, latencies.
    let mut latencies: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut addressed = vec![(0.0, 0.0); n];
    let mut refused = vec![0.0; n];
    let mut requesters = vec![0.0; n];
    for p in ev.pairs() {
        let (a, b) = (p.a as usize, p.b as usize);
        if a >= n || b >= n {
            continue;
        }
        rows[a].events_out += p.n;
        rows[b].events_in += p.n;
        rows[a].requests_made += p.request;
        rows[b].requests_received += p.request;
        rows[a].help_given += p.help;
        rows[b].help_received += p.help;
        refused[a] += p.decline + p.ignored;
        addressed[b].0 += p.to;
        addressed[b].1 += p.to + p.cc;
        if p.request > 0.0 {
            requesters[b] += 1.0;
        }
        if let Some(l) = p.latency_median_s.filter(|_| p.n_latency > 0.0) {
            latencies[a].push(l);
        }
    }
    // Requests a manager's reports send up the line: to the manager, or around them (to the
    // manager's own manager or the manager's peers).
    let mut to_manager = vec![0.0; n];
    let mut around = vec![0.0; n];
    if let Some(chart) = org.chart.as_ref() {
        for p in ev.pairs().filter(|p| p.request > 0.0) {
            let (a, b) = (p.a as usize, p.b as usize);
            let Some(m) = chart.manager(a).filter(|_| a < n && b < n) else {
                continue;
            };
            let boss = chart.manager(m);
            if b == m {
                to_manager[m] += p.request;
            } else if boss.is_some() && (boss == Some(b) || (chart.manager(b) == boss && b != a)) {
                around[m] += p.request;
            }
        }
    }
    for p in 0..n {
        let total = to_manager[p] + around[p];
        if total >= BYPASS_MIN_REQUESTS {
            rows[p].bypass_share = Some(around[p] / total);
            rows[p].bypass_lo = Some(crate::stats::beta_quantile(
                0.05,
                1.0 + around[p],
                1.0 + to_manager[p],
            ));
        }
    }
    for (&(r, c), w) in &ev.survey {
        let (r, c) = (r as usize, c as usize);
        if r < n && c < n && w[crate::input::question_slot(&Question::Decision)] > 0.0 {
            requesters[c] += 1.0;
        }
    }
    for (p, row) in rows.iter_mut().enumerate() {
        row.dependence = requesters[p];
        row.reply_latency_s = median(&mut latencies[p]);
        row.unanswered_share =
            (row.requests_received > 0.0).then(|| (refused[p] / row.requests_received).min(1.0));
    }
    // Status, its percentile (informal power), the components and the gap.
    let latency: Vec<Option<f64>> = rows.iter().map(|r| r.reply_latency_s).collect();
    let to_share: Vec<Option<f64>> = addressed
        .iter()
        .map(|&(to, all)| (all > 0.0).then(|| to / all))
        .collect();
    let features = status::features(org, ev, &latency, &to_share);
    let strengths = opts.status.strengths(&features);
    let informal = percentiles(&strengths);
    let pct = |f: &dyn Fn(&PersonRow) -> f64, rows: &[PersonRow]| {
        percentiles(&rows.iter().map(f).collect::<Vec<_>>())
    };
    let inf = pct(&|r| r.influence, &rows);
    let bro = pct(&|r| r.betweenness, &rows);
    let dep = pct(&|r| r.dependence, &rows);
    let formal = org.has_hierarchy().then(|| {
        let chart = org.chart.as_ref().expect("has hierarchy");
        percentiles(
            &(0..n)
                .map(|p| -(chart.level(p) as f64) * 1e6 + chart.total_span(p) as f64)
                .collect::<Vec<_>>(),
        )
    });
    for (p, row) in rows.iter_mut().enumerate() {
        row.influence_pct = inf[p];
        row.brokerage_pct = bro[p];
        row.dependence_pct = dep[p];
        row.informal_pct = informal[p];
        row.status = strengths[p];
        row.status_features = features.values[p];
        if let (Some(f), Some(chart)) = (&formal, org.chart.as_ref()) {
            row.level = Some(chart.level(p));
            row.direct_span = Some(chart.direct_span(p) as u32);
            row.total_span = Some(chart.total_span(p) as u32);
            row.distance_to_top = Some(chart.depth(p));
            row.formal_pct = Some(f[p]);
            row.power_gap = Some(informal[p] - f[p]);
        }
    }
    parts.lap("flows_status");
    let mut network = Network {
        contact,
        undirected,
        attention,
        communities: partition.labels,
        community_count: partition.count,
        notes,
        parts: Vec::new(),
    };
    assign_roles(org, ev, &mut rows, &network);
    parts.lap("roles");
    network.parts = parts.stages;
    (rows, network)
}

fn assign_roles(org: &Org, ev: &Evidence, rows: &mut [PersonRow], net: &Network) {
    let n = rows.len();
    if n == 0 {
        return;
    }
    let org_latency = median(
        &mut rows
            .iter()
            .filter_map(|r| r.reply_latency_s)
            .collect::<Vec<_>>(),
    )
    .unwrap_or(f64::NAN);
    let help_pct = percentiles(&rows.iter().map(|r| r.help_given).collect::<Vec<_>>());
    let req_pct = percentiles(&rows.iter().map(|r| r.requests_received).collect::<Vec<_>>());
    let volume_pct = percentiles(
        &rows
            .iter()
            .map(|r| r.events_in + r.events_out)
            .collect::<Vec<_>>(),
    );
    // Weight each person sends to and receives from each community.
    let labels = &net.communities;
    let g = &net.undirected;
    // Inbound communication of each person, to find who carries most of a leader's traffic.
    let mut inbound = vec![0.0; n];
    for p in ev.pairs() {
        if (p.b as usize) < n {
            inbound[p.b as usize] += p.n;
        }
    }
    let mut roles: Vec<Vec<Role>> = vec![Vec::new(); n];
    // Community-to-community weight, to tell whether a person carries a link between groups.
    let mut between_groups: rustc_hash::FxHashMap<(u32, u32), f64> = Default::default();
    for u in 0..n {
        for (v, w) in g.out_edges(u) {
            let (cu, cv) = (labels[u], labels[v]);
            if cu < cv {
                *between_groups.entry((cu, cv)).or_default() += w;
            }
        }
    }
    for p in 0..n {
        let r = &rows[p];
        // Community spread of the person's ties.
        let mut by_group: rustc_hash::FxHashMap<u32, f64> = Default::default();
        let mut total = 0.0;
        for (v, w) in g.out_edges(p) {
            *by_group.entry(labels[v]).or_default() += w;
            total += w;
        }
        let mut shares: Vec<(u32, f64)> =
            by_group.into_iter().map(|(c, w)| (c, w / total)).collect();
        shares.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let spanned = shares.iter().filter(|s| s.1 >= 0.1).count();
        if r.brokerage_pct >= 0.95 && spanned >= 3 {
            roles[p].push(Role {
                name: "broker",
                evidence: format!(
                    "betweenness {:.4} (top {:.0}%), ties into {spanned} communities",
                    r.betweenness,
                    (1.0 - r.brokerage_pct) * 100.0
                ),
                strength: r.brokerage_pct,
            });
        }
        // Bridge: a person whose ties are split between their own community and another, and who
        // carries at least a third of all traffic between the two.
        let own = labels[p];
        if let Some(&(other, share)) = shares.iter().find(|s| s.0 != own)
            && share >= 0.25
            && shares.iter().find(|s| s.0 == own).map_or(0.0, |s| s.1) >= 0.25
        {
            let carried: f64 = g
                .out_edges(p)
                .filter(|&(v, _)| labels[v] == other)
                .map(|(_, w)| w)
                .sum();
            let key = (own.min(other), own.max(other));
            let all = between_groups.get(&key).copied().unwrap_or(0.0);
            if all > 0.0 && carried / all >= 1.0 / 3.0 {
                roles[p].push(Role {
                    name: "bridge",
                    evidence: format!(
                        "carries {:.0}% of the traffic between communities {own} and {other}",
                        100.0 * carried / all
                    ),
                    strength: carried / all,
                });
            }
        }
        // Caretaker: gives much help (top decile, ten times what they ask for).
        if help_pct[p] >= 0.9
            && r.help_given >= 10.0
            && r.help_given >= 10.0 * r.requests_made.max(1.0)
        {
            roles[p].push(Role {
                name: "caretaker",
                evidence: format!(
                    "fulfilled {:.0} requests, made {:.0}",
                    r.help_given, r.requests_made
                ),
                strength: help_pct[p],
            });
        }
        // Bottleneck: many inbound requests (top decile, from five people or more), answered
        // slowly (median reply over a day and three times the org's) and often not at all.
        if req_pct[p] >= 0.9
            && r.dependence >= 5.0
            && r.reply_latency_s
                .is_some_and(|l| l >= (3.0 * org_latency).max(86_400.0))
            && r.unanswered_share.is_some_and(|s| s >= 0.1)
        {
            roles[p].push(Role {
                name: "bottleneck",
                evidence: format!(
                    "{:.0} requests from {:.0} people; median reply {}; {:.0}% declined or unanswered",
                    r.requests_received,
                    r.dependence,
                    r.reply_latency_s.map_or("n/a".into(), hours),
                    100.0 * r.unanswered_share.unwrap_or(0.0)
                ),
                strength: req_pct[p],
            });
        }
        if r.contacts <= 1 || (volume_pct[p] <= 0.02 && r.contacts <= 3) {
            roles[p].push(Role {
                name: "isolate",
                evidence: format!(
                    "{} contacts, {:.0} events",
                    r.contacts,
                    r.events_in + r.events_out
                ),
                strength: 1.0 - volume_pct[p],
            });
        }
    }
    // Gatekeeper: someone who sends a leader at least a quarter of their inbound traffic and is
    // themselves asked by many.
    if org.has_hierarchy() {
        let chart = org.chart.as_ref().expect("hierarchy");
        for p in ev.pairs() {
            let (g_, l) = (p.a as usize, p.b as usize);
            if g_ >= n
                || l >= n
                || chart.total_span(l) < 5
                || chart.total_span(g_) >= chart.total_span(l)
            {
                continue;
            }
            let share = if inbound[l] > 0.0 {
                p.n / inbound[l]
            } else {
                0.0
            };
            if share >= 0.25 && rows[g_].dependence >= 5.0 {
                roles[g_].push(Role {
                    name: "gatekeeper",
                    evidence: format!(
                        "sends {:.0}% of {}'s inbound traffic; asked by {:.0} people",
                        100.0 * share,
                        crate::refer(l as u32),
                        rows[g_].dependence
                    ),
                    strength: share,
                });
            }
        }
    }
    for (row, r) in rows.iter_mut().zip(roles) {
        row.roles = r;
    }
}

pub fn hours(seconds: f64) -> String {
    if seconds < 3600.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}
