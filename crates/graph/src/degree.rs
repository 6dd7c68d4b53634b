//! Degree, strength and reciprocity.
//!
//! Time O(n + m), memory O(n). Degrees count distinct neighbours (parallel edges were merged
//! when the graph was built); strengths add edge weights. Self-loops count once in both the in-
//! and the out-degree, as in networkx's `DiGraph`.

use crate::{Graph, Scores};

pub fn out_degree(g: &Graph) -> Scores {
    Scores((0..g.n()).map(|u| g.out_degree(u) as f64).collect())
}

pub fn in_degree(g: &Graph) -> Scores {
    Scores((0..g.n()).map(|v| g.in_degree(v) as f64).collect())
}

pub fn out_strength(g: &Graph) -> Scores {
    Scores(
        (0..g.n())
            .map(|u| g.out_edges(u).map(|(_, w)| w).sum())
            .collect(),
    )
}

pub fn in_strength(g: &Graph) -> Scores {
    Scores(
        (0..g.n())
            .map(|v| g.in_edges(v).map(|(_, w)| w).sum())
            .collect(),
    )
}

/// Share of edges u -> v (u ≠ v) whose reverse v -> u also exists; networkx's
/// `overall_reciprocity` (self-loops are left out). `None` for a graph without such edges.
pub fn reciprocity(g: &Graph) -> Option<f64> {
    let (mut total, mut mutual) = (0usize, 0usize);
    for (u, v, _) in g.edges() {
        if u != v {
            total += 1;
            if g.weight(v, u).is_some() {
                mutual += 1;
            }
        }
    }
    (total > 0).then(|| mutual as f64 / total as f64)
}

/// Per node: the share of its distinct neighbours (in or out, self excluded) with whom the tie
/// goes both ways; networkx's `reciprocity(G, nodes)`. `None` for a node without neighbours.
pub fn node_reciprocity(g: &Graph) -> Vec<Option<f64>> {
    (0..g.n())
        .map(|u| {
            let out: Vec<usize> = g.out_edges(u).map(|(v, _)| v).filter(|&v| v != u).collect();
            let inn: Vec<usize> = g.in_edges(u).map(|(v, _)| v).filter(|&v| v != u).collect();
            let both = out.iter().filter(|v| inn.binary_search(v).is_ok()).count();
            let total = out.len() + inn.len();
            (total > 0).then(|| 2.0 * both as f64 / total as f64)
        })
        .collect()
}
