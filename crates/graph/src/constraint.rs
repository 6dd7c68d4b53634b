//! Structural holes: Burt's constraint, effective size, efficiency and hierarchy.
//!
//! Reference: Burt (1992), *Structural Holes*; constraint and effective size follow networkx's
//! `constraint` and `effective_size` on weighted directed graphs exactly: a tie's strength is the
//! mutual weight w(u,v) + w(v,u); p(u,v) is that strength over the sum of u's strengths to all of
//! its in- and out-neighbours. Constraint(u) = Σ_j (p(u,j) + Σ_q p(u,q)·p(q,j))². Effective
//! size(u) = Σ_j (1 − Σ_q p(u,q)·m(j,q)), with m(j,q) = strength(j,q) / max strength of j.
//! Efficiency = effective size / number of contacts; hierarchy = how unevenly the constraint is
//! concentrated on one contact (Burt's Coleman–Theil index, 0 when spread evenly). Isolated
//! nodes (no contact but themselves) get NaN, as networkx's matrix path gives (its pure-Python
//! path, used only for a subset of nodes, also gives NaN to nodes without out-edges).
//!
//! networkx's two code paths for effective size disagree on some graphs: its per-node path applies
//! the formula literally (and agrees with this module), its sparse-matrix path does not (on
//! email-Eu-core, node 0: 32.0915 against 32.0070). The tests follow the literal formula.
//!
//! Time O(Σ_u Σ_{q ∈ N(u)} deg(q)) with O(1) work per step (contacts are flagged in per-thread
//! scratch, not searched), memory O(n + m) plus O(n) per thread; nodes in parallel.

use crate::{Graph, Scores};
use rayon::prelude::*;

/// Per node: its contacts (in- or out-neighbours, itself excluded, in increasing order) with
/// mutual strengths, flat; and each node's total and largest strength.
struct Ties {
    offsets: Vec<usize>,
    ties: Vec<(usize, f64)>,
    sum: Vec<f64>,
    max: Vec<f64>,
}

impl Ties {
    fn new(g: &Graph) -> Ties {
        let n = g.n();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut ties = Vec::with_capacity(2 * g.m());
        let (mut sum, mut max) = (vec![0.0; n], vec![0.0; n]);
        for u in 0..n {
            // Merge the sorted out- and in-lists; a tie both ways has strength w(u,v) + w(v,u).
            let mut out = g.out_edges(u).filter(|&(v, _)| v != u).peekable();
            let mut inn = g.in_edges(u).filter(|&(v, _)| v != u).peekable();
            let start = ties.len();
            loop {
                let next = match (out.peek().copied(), inn.peek().copied()) {
                    (None, None) => break,
                    (Some(a), None) => {
                        out.next();
                        a
                    }
                    (None, Some(b)) => {
                        inn.next();
                        b
                    }
                    (Some(a), Some(b)) if a.0 == b.0 => {
                        out.next();
                        inn.next();
                        (a.0, a.1 + b.1)
                    }
                    (Some(a), Some(b)) if a.0 < b.0 => {
                        out.next();
                        a
                    }
                    (Some(_), Some(b)) => {
                        inn.next();
                        b
                    }
                };
                ties.push(next);
            }
            let mine = &ties[start..];
            sum[u] = mine.iter().map(|t| t.1).sum();
            max[u] = mine.iter().map(|t| t.1).fold(0.0, f64::max);
            offsets.push(ties.len());
        }
        Ties {
            offsets,
            ties,
            sum,
            max,
        }
    }

    fn contacts(&self, u: usize) -> &[(usize, f64)] {
        &self.ties[self.offsets[u]..self.offsets[u + 1]]
    }
}

/// Burt's structural-hole measures of every node.
#[derive(Debug, Clone)]
pub struct StructuralHoles {
    pub constraint: Scores,
    pub effective_size: Scores,
    pub efficiency: Scores,
    pub hierarchy: Scores,
}

/// Per-thread scratch, indexed by node: p(u, ·) over u's contacts (0 elsewhere) and the
/// indirect investment Σ_q p(u,q)·p(q,·).
struct Scratch {
    p: Vec<f64>,
    indirect: Vec<f64>,
    /// Whether a node is one of u's contacts (a contact with zero mutual strength has p = 0).
    contact: Vec<bool>,
}

pub fn structural_holes(g: &Graph) -> StructuralHoles {
    let n = g.n();
    let ties = Ties::new(g);
    let rows: Vec<[f64; 4]> = (0..n)
        .into_par_iter()
        .with_min_len(64)
        .map_init(
            || Scratch {
                p: vec![0.0; n],
                indirect: vec![0.0; n],
                contact: vec![false; n],
            },
            |scratch, u| node(&ties, u, scratch),
        )
        .collect();
    let column = |i: usize| Scores(rows.iter().map(|r| r[i]).collect());
    StructuralHoles {
        constraint: column(0),
        effective_size: column(1),
        efficiency: column(2),
        hierarchy: column(3),
    }
}

/// [constraint, effective size, efficiency, hierarchy] of `u`, walking two steps out from u
/// once: O(Σ_{q ∈ N(u)} deg(q)) with dense scratch instead of a lookup per pair.
fn node(ties: &Ties, u: usize, scratch: &mut Scratch) -> [f64; 4] {
    let contacts = ties.contacts(u);
    if contacts.is_empty() {
        return [f64::NAN; 4];
    }
    let share = |x: usize, strength: f64| {
        if ties.sum[x] > 0.0 {
            strength / ties.sum[x]
        } else {
            0.0
        }
    };
    // Membership is a flag, not p > 0: a contact with zero mutual strength has p = 0 like a
    // stranger.
    for &(j, s) in contacts {
        scratch.p[j] = share(u, s);
        scratch.contact[j] = true;
    }
    let mut redundancy = 0.0;
    for &(q, s_uq) in contacts {
        let p_uq = share(u, s_uq);
        if p_uq == 0.0 {
            continue;
        }
        for &(j, s_qj) in ties.contacts(q) {
            if j == u || !scratch.contact[j] {
                continue;
            }
            scratch.indirect[j] += p_uq * share(q, s_qj);
            if ties.max[j] > 0.0 {
                redundancy += p_uq * s_qj / ties.max[j];
            }
        }
    }
    let locals: Vec<f64> = contacts
        .iter()
        .map(|&(j, _)| (scratch.p[j] + scratch.indirect[j]).powi(2))
        .collect();
    for &(j, _) in contacts {
        scratch.p[j] = 0.0;
        scratch.indirect[j] = 0.0;
        scratch.contact[j] = false;
    }
    let c: f64 = locals.iter().sum();
    let k = contacts.len();
    let effective = k as f64 - redundancy;
    let hierarchy = if k > 1 && c > 0.0 {
        let mean = c / k as f64;
        locals
            .iter()
            .map(|&l| {
                if l > 0.0 {
                    (l / mean) * (l / mean).ln()
                } else {
                    0.0
                }
            })
            .sum::<f64>()
            / (k as f64 * (k as f64).ln())
    } else {
        0.0
    };
    [c, effective, effective / k as f64, hierarchy]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(n: usize, pairs: &[(u32, u32)]) -> Graph {
        let both: Vec<(u32, u32)> = pairs.iter().flat_map(|&(a, b)| [(a, b), (b, a)]).collect();
        Graph::from_pairs(n, &both).unwrap()
    }

    #[test]
    fn triangle_and_star_match_burt() {
        // In a triangle each contact constrains (1/2 + 1/2·1/2)² = 9/16: total 1.125.
        let t = structural_holes(&sym(3, &[(0, 1), (1, 2), (2, 0)]));
        assert!((t.constraint.get(0) - 1.125).abs() < 1e-12);
        assert!((t.effective_size.get(0) - 1.0).abs() < 1e-12);
        assert!(
            t.hierarchy.get(0).abs() < 1e-12,
            "even constraint: no hierarchy"
        );
        // The centre of a star with 4 unconnected leaves: constraint 4·(1/4)² = 1/4, effective
        // size 4, efficiency 1.
        let s = structural_holes(&sym(5, &[(0, 1), (0, 2), (0, 3), (0, 4)]));
        assert!((s.constraint.get(0) - 0.25).abs() < 1e-12);
        assert!((s.effective_size.get(0) - 4.0).abs() < 1e-12);
        assert!((s.efficiency.get(0) - 1.0).abs() < 1e-12);
        // A node that only receives is fully constrained by its one contact; an isolate is undefined.
        let g = Graph::from_pairs(3, &[(0, 1)]).unwrap();
        assert_eq!(structural_holes(&g).constraint.get(1), 1.0);
        assert!(structural_holes(&g).constraint.get(2).is_nan());
    }

    #[test]
    fn hierarchy_grows_when_one_contact_holds_the_constraint() {
        // Ego 0 with contacts 1..3, where 1 is tied to 2 and 3: constraint concentrates on 1.
        let h = structural_holes(&sym(4, &[(0, 1), (0, 2), (0, 3), (1, 2), (1, 3)]));
        assert!(h.hierarchy.get(0) > 0.0);
    }
}
