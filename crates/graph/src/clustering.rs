//! Local clustering coefficient on directed, optionally weighted graphs.
//!
//! Reference: Fagiolo (2007), "Clustering in complex directed networks", Phys. Rev. E 76; the
//! weighted form takes the geometric mean of the three normalized weights of each triangle
//! (Onnela et al. 2005), with weights divided by the largest weight in the graph. This is
//! networkx's `clustering(G, weight=...)` on a `DiGraph`:
//!
//! c(u) = T(u) / (2 · (d_tot(u)·(d_tot(u) − 1) − 2·d_bi(u)))
//!
//! where T(u) counts (or weighs) the directed triangles through u over all eight orientations,
//! d_tot = in-degree + out-degree and d_bi the number of reciprocated neighbours (self-loops left
//! out). On a symmetric graph (an undirected graph given both ways) this equals networkx's
//! undirected clustering. Nodes without a triangle get 0.
//!
//! Time O(Σ_u Σ_{j ∈ N(u)} deg(j)), memory O(n) per thread; nodes run in parallel.

use crate::{Graph, Scores};
use rayon::prelude::*;

const ABSENT: f64 = -1.0;

/// Per-thread marks: the normalized weight of u→k and k→u for every neighbour k of u.
struct Marks {
    to: Vec<f64>,
    from: Vec<f64>,
}

pub fn clustering(g: &Graph, weighted: bool) -> Scores {
    let n = g.n();
    let max_w = if weighted {
        g.edges().map(|e| e.2).fold(0.0, f64::max)
    } else {
        1.0
    };
    let scale = if max_w > 0.0 { 1.0 / max_w } else { 1.0 };
    let wt = |w: f64| if weighted { w * scale } else { 1.0 };
    let values: Vec<f64> = (0..n)
        .into_par_iter()
        .map_init(
            || Marks {
                to: vec![ABSENT; n],
                from: vec![ABSENT; n],
            },
            |marks, u| {
                for (k, w) in g.out_edges(u) {
                    if k != u {
                        marks.to[k] = wt(w);
                    }
                }
                for (k, w) in g.in_edges(u) {
                    if k != u {
                        marks.from[k] = wt(w);
                    }
                }
                let mut triangles = 0.0;
                // Every neighbour j of u, once per direction of the tie u–j, times every
                // neighbour k of j (per direction of j–k) that is also a neighbour of u (per
                // direction of u–k).
                let mut add = |j: usize, w_uj: f64| {
                    let mut third = |k: usize, w_jk: f64| {
                        if k == j || k == u {
                            return;
                        }
                        for w_uk in [marks.to[k], marks.from[k]] {
                            if w_uk != ABSENT {
                                triangles += if weighted {
                                    (w_uj * w_jk * w_uk).cbrt()
                                } else {
                                    1.0
                                };
                            }
                        }
                    };
                    for (k, w) in g.out_edges(j) {
                        third(k, wt(w));
                    }
                    for (k, w) in g.in_edges(j) {
                        third(k, wt(w));
                    }
                };
                for (j, w) in g.out_edges(u) {
                    if j != u {
                        add(j, wt(w));
                    }
                }
                for (j, w) in g.in_edges(u) {
                    if j != u {
                        add(j, wt(w));
                    }
                }
                let out = g.out_edges(u).filter(|&(k, _)| k != u).count();
                let inn = g.in_edges(u).filter(|&(k, _)| k != u).count();
                let both = g
                    .out_edges(u)
                    .filter(|&(k, _)| k != u && marks.from[k] != ABSENT)
                    .count();
                for (k, _) in g.out_edges(u) {
                    marks.to[k] = ABSENT;
                }
                for (k, _) in g.in_edges(u) {
                    marks.from[k] = ABSENT;
                }
                let total = (out + inn) as f64;
                let denominator = 2.0 * (total * (total - 1.0) - 2.0 * both as f64);
                if triangles == 0.0 || denominator <= 0.0 {
                    0.0
                } else {
                    triangles / denominator
                }
            },
        )
        .collect();
    Scores(values)
}

/// The mean of the local coefficients over all nodes (networkx's `average_clustering`).
pub fn average_clustering(g: &Graph, weighted: bool) -> f64 {
    let c = clustering(g, weighted);
    if c.is_empty() {
        0.0
    } else {
        c.0.iter().sum::<f64>() / c.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_triangle_is_fully_clustered_and_a_star_not_at_all() {
        let both = |pairs: &[(u32, u32)]| -> Vec<(u32, u32)> {
            pairs.iter().flat_map(|&(a, b)| [(a, b), (b, a)]).collect()
        };
        let g = Graph::from_pairs(3, &both(&[(0, 1), (1, 2), (0, 2)])).unwrap();
        assert_eq!(clustering(&g, false).0, vec![1.0, 1.0, 1.0]);
        let star = Graph::from_pairs(4, &both(&[(0, 1), (0, 2), (0, 3)])).unwrap();
        assert_eq!(clustering(&star, true).0, vec![0.0; 4]);
        // A directed cycle 0→1→2→0: one triangle orientation out of a possible four per node.
        let cycle = Graph::from_pairs(3, &[(0, 1), (1, 2), (2, 0)]).unwrap();
        assert_eq!(clustering(&cycle, false).0, vec![0.5; 3]);
    }
}
