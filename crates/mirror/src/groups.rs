//! Silos, coalitions and currency: departments against the communities behaviour forms, and the
//! flows between groups. One long table: (kind, group, other, measure, value, members).
//!
//! - `org`: communities, modularity, NMI and ARI of communities against departments;
//! - `department`: members, E-I index (Krackhardt; weighted, −1 all inside, +1 all outside),
//!   cross-boundary share of event weight, and the currency panel (after-hours and weekend share
//!   of sent events, meeting hours per member, median reply latency, broadcast share of
//!   recipients in copy);
//! - `department_pair`: events each way and the one-way ratio (withholding when ≥ 3);
//! - `one_person_bridge`: a department pair whose traffic runs ≥ 80 % through one person;
//! - `coalition` and `coalition_member`: people tied (≥ 3 events) across departments outside
//!   formal lines. Leiden-CPM on those ties proposes groups; members tied to fewer than half of
//!   the others are dropped; a group is kept when it spans ≥ 3 departments with none over 40 %,
//!   ≥ 60 % of its possible ties are there (a hub with spokes is not a coalition), it is ≥ 20×
//!   as dense in events as the cross-department network, and fewer than 0.01 groups like it are
//!   expected by chance (configuration model, binomial tail).

use crate::input::{Evidence, Org};
use crate::people::{Network, PersonRow};
use crate::stats::{ln_binomial_tail, ln_choose, median};
use graph::community::{ari, ei_index, modularity, nmi};
use rustc_hash::FxHashMap;
use vocab::Activity;

#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    pub kind: &'static str,
    pub group: String,
    pub other: Option<String>,
    pub measure: &'static str,
    pub value: Option<f64>,
    pub members: u32,
    /// A person the row is about (the one-person bridge), by index.
    pub person: Option<u32>,
}

pub const ONE_WAY_AT: f64 = 3.0;
/// A cross-department community is a coalition when it is this many times as dense as the
/// cross-department network.
pub const COALITION_DENSITY_AT: f64 = 20.0;
/// …and when at least this share of its members' possible ties (across departments, outside
/// formal lines) are there.
pub const COALITION_COHESION_AT: f64 = 0.6;
/// The largest share of a coalition's members one department may hold.
pub const COALITION_DEPARTMENT_SHARE_AT: f64 = 0.4;
/// Events between two people (both ways) that make a tie for the coalition search.
pub const COALITION_TIE_AT: f64 = 3.0;
/// …and when fewer than this many groups as large and as tied would arise by chance.
pub const COALITION_CHANCE_AT: f64 = 0.01;
/// A department is a silo when its E-I index is at most this and at least `SILO_MARGIN` below
/// the median department's.
pub const SILO_EI_AT: f64 = -0.5;
pub const SILO_MARGIN: f64 = 0.3;

fn row(
    kind: &'static str,
    group: String,
    measure: &'static str,
    value: Option<f64>,
    members: u32,
) -> GroupRow {
    GroupRow {
        kind,
        group,
        other: None,
        measure,
        value,
        members,
        person: None,
    }
}

pub fn groups(
    org: &Org,
    ev: &Evidence,
    rows: &[PersonRow],
    net: &Network,
    activity: Option<&[Activity]>,
) -> Vec<GroupRow> {
    let n = org.n();
    let mut out = Vec::new();
    let g = &net.undirected;
    out.push(row(
        "org",
        "org".into(),
        "communities",
        Some(net.community_count as f64),
        n as u32,
    ));
    out.push(row(
        "org",
        "org".into(),
        "modularity",
        modularity(g, &net.communities, 1.0, graph::community::Symmetrize::Sum).ok(),
        n as u32,
    ));
    let dept_of: Vec<Option<u32>> = org.department.clone();
    let known: Vec<usize> = (0..n).filter(|&p| dept_of[p].is_some()).collect();
    if org.departments.len() < 2 || known.is_empty() {
        return out;
    }
    let d_labels: Vec<u32> = known.iter().map(|&p| dept_of[p].expect("known")).collect();
    let c_labels: Vec<u32> = known.iter().map(|&p| net.communities[p]).collect();
    out.push(row(
        "org",
        "org".into(),
        "nmi_communities_departments",
        nmi(&d_labels, &c_labels).ok(),
        known.len() as u32,
    ));
    out.push(row(
        "org",
        "org".into(),
        "ari_communities_departments",
        ari(&d_labels, &c_labels).ok(),
        known.len() as u32,
    ));
    // E-I per department over people with a department (others are their own group).
    let nd = org.departments.len() as u32;
    let labels_all: Vec<u32> = (0..n)
        .map(|p| dept_of[p].unwrap_or(nd + p as u32))
        .collect();
    let ei = ei_index(g, &labels_all, true).ok();
    let mut members = vec![0u32; org.departments.len()];
    for d in dept_of.iter().flatten() {
        members[*d as usize] += 1;
    }
    // Flows between departments.
    let mut flow: FxHashMap<(u32, u32), f64> = FxHashMap::default();
    let mut carried: FxHashMap<(u32, u32, u32), f64> = FxHashMap::default();
    let mut out_total = vec![0.0; org.departments.len()];
    let mut out_cross = vec![0.0; org.departments.len()];
    let mut meeting_s = vec![0.0; org.departments.len()];
    let (mut copied, mut addressed) = (
        vec![0.0; org.departments.len()],
        vec![0.0; org.departments.len()],
    );
    for p in ev.pairs() {
        let (a, b) = (p.a as usize, p.b as usize);
        if a >= n || b >= n {
            continue;
        }
        let Some(da) = dept_of[a] else { continue };
        out_total[da as usize] += p.n;
        meeting_s[da as usize] += p.meeting_s;
        copied[da as usize] += p.cc + p.bcc;
        addressed[da as usize] += p.to + p.cc + p.bcc;
        let Some(db) = dept_of[b] else { continue };
        if da != db {
            out_cross[da as usize] += p.n;
            *flow.entry((da, db)).or_default() += p.n;
            let key = (da.min(db), da.max(db));
            *carried.entry((key.0, key.1, p.a)).or_default() += p.n;
            *carried.entry((key.0, key.1, p.b)).or_default() += p.n;
        }
    }
    let mut latencies: Vec<Vec<f64>> = vec![Vec::new(); org.departments.len()];
    for r in rows {
        if let (Some(d), Some(l)) = (dept_of[r.person as usize], r.reply_latency_s) {
            latencies[d as usize].push(l);
        }
    }
    let mut act = vec![(0.0, 0.0, 0.0); org.departments.len()];
    if let Some(acts) = activity {
        for a in acts {
            if let Some(d) = dept_of.get(a.person as usize).copied().flatten() {
                let x = &mut act[d as usize];
                x.0 += a.sent;
                x.1 += a.after_hours;
                x.2 += a.weekend;
            }
        }
    }
    for (d, name) in org.departments.iter().enumerate() {
        let m = members[d];
        let mut push = |measure, value: Option<f64>| {
            out.push(row("department", name.clone(), measure, value, m))
        };
        push("members", Some(m as f64));
        push(
            "ei_index",
            ei.as_ref().and_then(|e| {
                e.per_group
                    .iter()
                    .find(|(l, _)| *l == d as u32)
                    .and_then(|(_, v)| *v)
            }),
        );
        push(
            "cross_boundary_share",
            (out_total[d] > 0.0).then(|| out_cross[d] / out_total[d]),
        );
        if activity.is_some() {
            let (sent, after, weekend) = act[d];
            push("after_hours_share", (sent > 0.0).then(|| after / sent));
            push("weekend_share", (sent > 0.0).then(|| weekend / sent));
        }
        push(
            "meeting_hours_per_member",
            (m > 0).then(|| meeting_s[d] / 3600.0 / m as f64),
        );
        push("reply_median_s", median(&mut latencies[d]));
        push(
            "broadcast_share",
            (addressed[d] > 0.0).then(|| copied[d] / addressed[d]),
        );
    }
    // Department pairs: flows, withholding, one-person bridges.
    let mut pairs: Vec<(u32, u32)> = flow.keys().map(|&(a, b)| (a.min(b), a.max(b))).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut best_carrier: FxHashMap<(u32, u32), (u32, f64)> = FxHashMap::default();
    for (&(a, b, p), &w) in &carried {
        let e = best_carrier.entry((a, b)).or_insert((p, 0.0));
        if w > e.1 || (w == e.1 && p < e.0) {
            *e = (p, w);
        }
    }
    for (a, b) in pairs {
        let ab = flow.get(&(a, b)).copied().unwrap_or(0.0);
        let ba = flow.get(&(b, a)).copied().unwrap_or(0.0);
        let size = members[a as usize].min(members[b as usize]);
        let mut push =
            |measure, value: Option<f64>, other: &str, group: &str, person: Option<u32>| {
                out.push(GroupRow {
                    kind: if measure == "bridge_share" {
                        "one_person_bridge"
                    } else {
                        "department_pair"
                    },
                    group: group.to_string(),
                    other: Some(other.to_string()),
                    measure,
                    value,
                    members: size,
                    person,
                })
            };
        let (na, nb) = (&org.departments[a as usize], &org.departments[b as usize]);
        push("events", Some(ab), nb, na, None);
        push("events", Some(ba), na, nb, None);
        let (hi, lo, from, to) = if ab >= ba {
            (ab, ba, na, nb)
        } else {
            (ba, ab, nb, na)
        };
        push("one_way_ratio", Some(hi / lo.max(1.0)), to, from, None);
        let total = ab + ba;
        if let Some(&(p, w)) = best_carrier.get(&(a, b))
            && total >= 10.0
            && w / total >= 0.8
        {
            push("bridge_share", Some(w / total), nb, na, Some(p));
        }
    }
    // Coalitions: communities of the cross-department network alone (ties between people of
    // different departments), spanning three departments or more and far denser than that
    // network overall.
    // Ties along formal lines (a manager, a report, a skip level, peers under one manager, such
    // as an executive team) are structure, not coalition.
    let formal_line = |u: usize, v: usize| {
        org.chart.as_ref().is_some_and(|c| {
            matches!(
                c.relation(u, v),
                vocab::RelationClass::Up
                    | vocab::RelationClass::Down
                    | vocab::RelationClass::SkipUp
                    | vocab::RelationClass::SkipDown
                    | vocab::RelationClass::Peer
            )
        })
    };
    let cross: Vec<(u32, u32, f64)> = (0..n)
        .flat_map(|u| {
            let (dept_of, formal_line) = (&dept_of, &formal_line);
            g.out_edges(u)
                .filter_map(move |(v, w)| match (dept_of[u], dept_of[v]) {
                    (Some(a), Some(b)) if a != b && !formal_line(u, v) => {
                        Some((u as u32, v as u32, w))
                    }
                    _ => None,
                })
        })
        .collect();
    let cross_total: f64 = cross.iter().map(|e| e.2).sum();
    let in_cross: usize = {
        let mut seen = vec![false; n];
        for e in &cross {
            seen[e.0 as usize] = true;
        }
        seen.iter().filter(|&&x| x).count()
    };
    let overall = if in_cross > 1 {
        cross_total / (in_cross * (in_cross - 1)) as f64
    } else {
        0.0
    };
    // A coalition is a matter of ties, not volume: two people are tied when at least
    // `COALITION_TIE_AT` events passed between them. On that graph, CPM proposes the groups
    // more than about a quarter tied (each pair weighs 2, one per direction, against γ·k²/2; a
    // stricter γ leaves Leiden stuck in pairs on sparse windows); pruning and the chance test
    // below decide.
    let ties: Vec<(u32, u32, f64)> = cross
        .iter()
        .filter(|e| e.2 >= COALITION_TIE_AT)
        .map(|e| (e.0, e.1, 1.0))
        .collect();
    let volume = graph::Graph::from_edges(n, cross).expect("indices from a graph");
    let cross_graph = graph::Graph::from_edges(n, ties).expect("indices from a graph");
    let tie_degree: Vec<usize> = (0..n).map(|u| cross_graph.out_degree(u)).collect();
    let tie_total: usize = tie_degree.iter().sum::<usize>() / 2;
    let Ok(parts) = graph::community::leiden(
        &cross_graph,
        &graph::community::CommunityOptions {
            seed: 7,
            quality: graph::community::Quality::Cpm,
            resolution: 0.5,
            ..Default::default()
        },
    ) else {
        return out;
    };
    let mut by_comm: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    for p in 0..n {
        if cross_graph.out_degree(p) > 0 {
            by_comm.entry(parts.labels[p]).or_default().push(p);
        }
    }
    let mut comms: Vec<(u32, Vec<usize>)> = by_comm.into_iter().collect();
    comms.sort_unstable_by_key(|c| c.0);
    let mut found = 0;
    for (_, mut people) in comms {
        // A coalition is many people tied to each other, not a hub with spokes: members tied to
        // less than half of the others they could be tied to (other departments, outside formal
        // lines) are dropped, the weakest first, and what remains must be mostly tied. `counts`
        // holds (tied, possible) per member, kept up to date as members are dropped.
        let possible =
            |u: usize, v: usize| u != v && dept_of[u] != dept_of[v] && !formal_line(u, v);
        let mut counts: Vec<(usize, usize)> = people
            .iter()
            .map(|&u| {
                people.iter().fold((0, 0), |(t, c), &v| {
                    if possible(u, v) {
                        (t + usize::from(cross_graph.weight(u, v).is_some()), c + 1)
                    } else {
                        (t, c)
                    }
                })
            })
            .collect();
        let share = |(t, c): (usize, usize)| if c == 0 { 0.0 } else { t as f64 / c as f64 };
        while people.len() > 3 {
            let (i, s) = counts
                .iter()
                .enumerate()
                .map(|(i, &tc)| (i, share(tc)))
                .min_by(|a, b| a.1.total_cmp(&b.1).then(people[a.0].cmp(&people[b.0])))
                .expect("non-empty");
            if s >= 0.5 {
                break;
            }
            let u = people.swap_remove(i);
            counts.swap_remove(i);
            for (j, &v) in people.iter().enumerate() {
                if possible(v, u) {
                    counts[j].1 -= 1;
                    if cross_graph.weight(v, u).is_some() {
                        counts[j].0 -= 1;
                    }
                }
            }
        }
        if people.len() < 3 {
            continue;
        }
        let (tied, could) = counts
            .iter()
            .fold((0, 0), |acc, &(t, c)| (acc.0 + t, acc.1 + c));
        let cohesion = share((tied, could));
        if cohesion < COALITION_COHESION_AT {
            continue;
        }
        people.sort_unstable();
        // How many groups this size and this tied would chance alone produce? Each possible tie
        // is present with the probability its two members' tie counts give it (a configuration
        // model), averaged over the group; the count of such groups among everyone in the
        // cross-department network is C(N, k) times the binomial tail.
        let mut p_sum = 0.0;
        for (i, &u) in people.iter().enumerate() {
            for &v in &people[i + 1..] {
                if possible(u, v) {
                    let (du, dv) = (tie_degree[u] as f64, tie_degree[v] as f64);
                    p_sum += (du * dv / (2.0 * tie_total as f64)).min(1.0);
                }
            }
        }
        let p_tie = p_sum / (could / 2).max(1) as f64;
        let ln_chance = ln_choose(in_cross as f64, people.len() as f64)
            + ln_binomial_tail((tied / 2) as u64, (could / 2) as u64, p_tie);
        if ln_chance > COALITION_CHANCE_AT.ln() {
            continue;
        }
        // Reaching across means no department dominates: a department with its outside
        // partners is that department's network, not a coalition.
        let mut per_dept: FxHashMap<u32, usize> = FxHashMap::default();
        for d in people.iter().filter_map(|&p| dept_of[p]) {
            *per_dept.entry(d).or_default() += 1;
        }
        let largest = per_dept.values().copied().max().unwrap_or(0);
        if per_dept.len() < 3
            || largest as f64 > COALITION_DEPARTMENT_SHARE_AT * people.len() as f64
        {
            continue;
        }
        let depts = per_dept.len();
        let set: rustc_hash::FxHashSet<usize> = people.iter().copied().collect();
        let inside: f64 = people
            .iter()
            .flat_map(|&u| {
                volume
                    .out_edges(u)
                    .filter(|(v, _)| set.contains(v))
                    .map(|(_, w)| w)
            })
            .sum();
        let k = people.len();
        let ratio = if overall > 0.0 {
            inside / (k * (k - 1)) as f64 / overall
        } else {
            0.0
        };
        if ratio < COALITION_DENSITY_AT {
            continue;
        }
        let name = format!("coalition {found}");
        found += 1;
        out.push(row(
            "coalition",
            name.clone(),
            "departments",
            Some(depts as f64),
            k as u32,
        ));
        out.push(row(
            "coalition",
            name.clone(),
            "expected_by_chance",
            Some(ln_chance.exp()),
            k as u32,
        ));
        out.push(row(
            "coalition",
            name.clone(),
            "cohesion",
            Some(cohesion),
            k as u32,
        ));
        out.push(row(
            "coalition",
            name.clone(),
            "density_ratio",
            Some(ratio),
            k as u32,
        ));
        for &p in &people {
            out.push(GroupRow {
                kind: "coalition_member",
                group: name.clone(),
                other: None,
                measure: "member",
                value: None,
                members: k as u32,
                person: Some(p as u32),
            });
        }
    }
    out
}
