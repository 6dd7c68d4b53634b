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
//! Time O(Σ_u deg(u)² · log deg), memory O(n + m).

use crate::{Graph, Scores};

/// Per node: its contacts (in- or out-neighbours, itself excluded) and mutual strengths.
struct Ties {
    contacts: Vec<Vec<(usize, f64)>>,
    sum: Vec<f64>,
    max: Vec<f64>,
}

impl Ties {
    fn new(g: &Graph) -> Ties {
        let n = g.n();
        let mut contacts = Vec::with_capacity(n);
        let (mut sum, mut max) = (vec![0.0; n], vec![0.0; n]);
        for u in 0..n {
            let mut list: Vec<usize> = g
                .out_edges(u)
                .map(|(v, _)| v)
                .chain(g.in_edges(u).map(|(v, _)| v))
                .filter(|&v| v != u)
                .collect();
            list.sort_unstable();
            list.dedup();
            let ties: Vec<(usize, f64)> = list
                .into_iter()
                .map(|v| {
                    (
                        v,
                        g.weight(u, v).unwrap_or(0.0) + g.weight(v, u).unwrap_or(0.0),
                    )
                })
                .collect();
            sum[u] = ties.iter().map(|t| t.1).sum();
            max[u] = ties.iter().map(|t| t.1).fold(0.0, f64::max);
            contacts.push(ties);
        }
        Ties { contacts, sum, max }
    }

    fn strength(&self, u: usize, v: usize) -> f64 {
        let list = &self.contacts[u];
        list.binary_search_by_key(&v, |t| t.0)
            .map(|i| list[i].1)
            .unwrap_or(0.0)
    }

    /// p(u, v): share of u's tie strength invested in v.
    fn p(&self, u: usize, v: usize) -> f64 {
        if self.sum[u] > 0.0 {
            self.strength(u, v) / self.sum[u]
        } else {
            0.0
        }
    }

    /// Local constraint of j on u: (p(u,j) + Σ_q p(u,q)·p(q,j))².
    fn local_constraint(&self, u: usize, j: usize) -> f64 {
        let indirect: f64 = self.contacts[u]
            .iter()
            .map(|&(q, _)| self.p(u, q) * self.p(q, j))
            .sum();
        (self.p(u, j) + indirect).powi(2)
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

pub fn structural_holes(g: &Graph) -> StructuralHoles {
    let n = g.n();
    let ties = Ties::new(g);
    let (mut constraint, mut effective, mut efficiency, mut hierarchy) = (
        vec![f64::NAN; n],
        vec![f64::NAN; n],
        vec![f64::NAN; n],
        vec![f64::NAN; n],
    );
    for u in 0..n {
        let contacts = &ties.contacts[u];
        if contacts.is_empty() {
            continue;
        }
        let locals: Vec<f64> = contacts
            .iter()
            .map(|&(j, _)| ties.local_constraint(u, j))
            .collect();
        let c: f64 = locals.iter().sum();
        constraint[u] = c;
        let e: f64 = contacts
            .iter()
            .map(|&(j, _)| {
                let redundancy: f64 = contacts
                    .iter()
                    .map(|&(q, _)| {
                        if ties.max[j] > 0.0 {
                            ties.p(u, q) * ties.strength(j, q) / ties.max[j]
                        } else {
                            0.0
                        }
                    })
                    .sum();
                1.0 - redundancy
            })
            .sum();
        effective[u] = e;
        let k = contacts.len();
        efficiency[u] = if k > 0 { e / k as f64 } else { f64::NAN };
        hierarchy[u] = if k > 1 && c > 0.0 {
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
    }
    StructuralHoles {
        constraint: Scores(constraint),
        effective_size: Scores(effective),
        efficiency: Scores(efficiency),
        hierarchy: Scores(hierarchy),
    }
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
