//! The hierarchy behaviour implies: for each person, the colleague most likely to be their
//! manager, using no org chart at all.
//!
//! For a person v and a colleague u they interacted with (or named, or were named by):
//! - P(u ranks above v) is the dyad's dominance probability (status model plus the pair's
//!   balance, see `status` and `dyads`);
//! - u's share of v's ties is w(u, v) / Σ w(·, v) on the undirected contact graph (events either
//!   way, survey answers either way), times `SAME_DEPARTMENT` when the people file puts both in
//!   one department: a manager is one of a person's strongest ties, usually in their department.
//!
//! v has no manager in the data (the top, or a manager outside it) with probability
//! `p_top = Π_u (1 − P(u above v))`; otherwise the manager is u with probability proportional to
//! `P(u above v) · share(u)`. So `P(manager = u) = (1 − p_top) · P(u above v) · share(u) /
//! Σ P(· above v) · share(·)`, and the probabilities of a person's candidates and of "none" sum
//! to one. The inferred hierarchy is the most probable *consistent* one: the maximum spanning
//! branching (Chu–Liu/Edmonds, `graph::arborescence`) over arcs u → v weighted ln P(manager =
//! u) with ln p_top as v's weight for staying a root, so that no one is their own manager's
//! manager. Each person's row carries the chosen manager and that manager's probability.

use crate::dyads::Dyad;
use graph::Graph;
use graph::arborescence::maximum_branching;

#[derive(Debug, Clone, PartialEq)]
pub struct InferredManager {
    pub person: u32,
    pub manager: u32,
    pub p: f64,
    /// How many colleagues were candidates.
    pub candidates: u32,
}

/// How much more a tie inside the person's own department weighs as a manager candidate.
pub const SAME_DEPARTMENT: f64 = 4.0;

/// Probabilities below this are treated as this (logs stay finite).
const FLOOR: f64 = 1e-9;

pub fn infer_managers(
    n: usize,
    dyads: &[Dyad],
    ties: &Graph,
    department: &[Option<u32>],
) -> Vec<InferredManager> {
    // (candidate, P(candidate above person) · share) per person.
    let mut cands: Vec<Vec<(u32, f64, f64)>> = vec![Vec::new(); n];
    let total: Vec<f64> = (0..n.min(ties.n()))
        .map(|v| ties.out_edges(v).map(|(_, w)| w).sum())
        .collect();
    let share = |u: u32, v: u32| -> f64 {
        let (u, v) = (u as usize, v as usize);
        if v >= total.len() || total[v] <= 0.0 {
            return 0.0;
        }
        let same = department.get(u).copied().flatten().is_some()
            && department.get(u) == department.get(v);
        ties.weight(v, u).unwrap_or(0.0) / total[v] * if same { SAME_DEPARTMENT } else { 1.0 }
    };
    for d in dyads {
        if (d.a as usize) >= n || (d.b as usize) >= n {
            continue;
        }
        let p = d.dominance_p;
        cands[d.b as usize].push((d.a, p, share(d.a, d.b)));
        cands[d.a as usize].push((d.b, 1.0 - p, share(d.b, d.a)));
    }
    let mut arcs = Vec::new();
    let mut root = vec![0.0; n];
    let mut prob: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    for (v, list) in cands.iter().enumerate() {
        let list: Vec<&(u32, f64, f64)> = list.iter().filter(|c| c.2 > 0.0).collect();
        let p_top: f64 = list.iter().map(|c| 1.0 - c.1).product();
        let mass: f64 = list.iter().map(|c| c.1 * c.2).sum();
        root[v] = p_top.max(FLOOR).ln();
        for &&(u, p_above, s) in &list {
            if mass <= 0.0 {
                continue;
            }
            let p = (1.0 - p_top) * p_above * s / mass;
            prob[v].push((u, p));
            // An arc lighter than v's root weight is in no best branching (making v a root
            // instead gains), so it is left out: the same branching from fewer arcs.
            let weight = p.max(FLOOR).ln();
            if weight >= root[v] {
                arcs.push((u, v as u32, weight));
            }
        }
    }
    let parents = maximum_branching(n, &arcs, &root);
    parents
        .iter()
        .enumerate()
        .filter_map(|(v, parent)| {
            let m = (*parent)?;
            let p = prob[v].iter().find(|c| c.0 == m).map_or(0.0, |c| c.1);
            Some(InferredManager {
                person: v as u32,
                manager: m,
                p,
                candidates: prob[v].iter().filter(|c| c.1 > 0.0).count() as u32,
            })
        })
        .collect()
}
