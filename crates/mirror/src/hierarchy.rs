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
    use rayon::prelude::*;
    let total: Vec<f64> = (0..n.min(ties.n()))
        .map(|v| ties.out_edges(v).map(|(_, w)| w).sum())
        .collect();
    // Tie strength is looked up once per pair where the ties are undirected.
    let symmetric = ties.is_symmetric();
    let weight = |v: u32, u: u32| -> f64 {
        if (v as usize) < ties.n() && (u as usize) < ties.n() {
            ties.weight(v as usize, u as usize).unwrap_or(0.0)
        } else {
            0.0
        }
    };
    // u's share of v's ties, given the tie's strength w(v, u).
    let share = |w: f64, u: u32, v: u32| -> f64 {
        let (u, v) = (u as usize, v as usize);
        if v >= total.len() || total[v] <= 0.0 {
            return 0.0;
        }
        let same = department.get(u).copied().flatten().is_some()
            && department.get(u) == department.get(v);
        w / total[v] * if same { SAME_DEPARTMENT } else { 1.0 }
    };
    let usable = |d: &Dyad| (d.a as usize) < n && (d.b as usize) < n;
    // (a's share among b's ties, b's share among a's ties) of every dyad.
    let shares: Vec<(f64, f64)> = dyads
        .par_iter()
        .map(|d| {
            if !usable(d) {
                return (0.0, 0.0);
            }
            let w_ba = weight(d.b, d.a);
            let w_ab = if symmetric { w_ba } else { weight(d.a, d.b) };
            (share(w_ba, d.a, d.b), share(w_ab, d.b, d.a))
        })
        .collect();
    // Each person's candidates in dyad order: (person, candidate, P(candidate above), share).
    let candidates = || {
        dyads
            .iter()
            .zip(&shares)
            .filter(|(d, _)| usable(d))
            .flat_map(|(d, &(s_ab, s_ba))| {
                let p = d.dominance_p;
                [(d.b, d.a, p, s_ab), (d.a, d.b, 1.0 - p, s_ba)]
            })
            .filter(|c| c.3 > 0.0)
    };
    // P(no manager in the data) and the mass of P(above) · share, per person.
    let mut p_top = vec![1.0f64; n];
    let mut mass = vec![0.0f64; n];
    for (v, _, p_above, s) in candidates() {
        p_top[v as usize] *= 1.0 - p_above;
        mass[v as usize] += p_above * s;
    }
    let root: Vec<f64> = p_top.iter().map(|p| p.max(FLOOR).ln()).collect();
    let manager_p = |v: u32, p_above: f64, s: f64| {
        let v = v as usize;
        (1.0 - p_top[v]) * p_above * s / mass[v]
    };
    let mut arcs = Vec::new();
    let mut counted = vec![0u32; n];
    for (v, u, p_above, s) in candidates() {
        if mass[v as usize] <= 0.0 {
            continue;
        }
        let p = manager_p(v, p_above, s);
        counted[v as usize] += (p > 0.0) as u32;
        // An arc lighter than v's root weight is in no best branching (making v a root
        // instead gains), so it is left out: the same branching from fewer arcs.
        let weight = p.max(FLOOR).ln();
        if weight >= root[v as usize] {
            arcs.push((u, v, weight));
        }
    }
    drop(shares);
    let parents = maximum_branching(n, &arcs, &root);
    // The chosen manager's probability, from the pair's dyad (dyads are sorted by (a, b)).
    let chosen_p = |v: u32, m: u32| -> f64 {
        let key = (v.min(m), v.max(m));
        let Ok(i) = dyads.binary_search_by(|d| (d.a, d.b).cmp(&key)) else {
            return 0.0;
        };
        let d = &dyads[i];
        let p_above = if d.a == m {
            d.dominance_p
        } else {
            1.0 - d.dominance_p
        };
        let w = weight(v, m);
        let s = share(w, m, v);
        if s > 0.0 && mass[v as usize] > 0.0 {
            manager_p(v, p_above, s)
        } else {
            0.0
        }
    };
    parents
        .iter()
        .enumerate()
        .filter_map(|(v, parent)| {
            let m = (*parent)?;
            Some(InferredManager {
                person: v as u32,
                manager: m,
                p: chosen_p(v as u32, m),
                candidates: counted[v],
            })
        })
        .collect()
}
