//! Closeness and harmonic centrality, by incoming distance as networkx computes them on directed
//! graphs (how near the others are *to* a node: a node many can reach quickly is central).
//!
//! Closeness: Wasserman–Faust's improved form for graphs that are not strongly connected,
//! networkx's `closeness_centrality(wf_improved=True)`: (r−1)/Σd · (r−1)/(n−1), where r counts
//! the nodes that reach the node (itself included). Harmonic: Marchiori and Latora (2000),
//! Σ over other nodes of 1/d(v → u), networkx's `harmonic_centrality`. Time O(n·m) with hops,
//! O(n·(m + n log n)) with weighted lengths; memory O(n + m).

use crate::paths::{Direction, Length, Search};
use crate::{Graph, Scores};
use rayon::prelude::*;

/// One search per node, nodes in parallel (each value depends on its own search only).
fn per_node(g: &Graph, length: Length, f: impl Fn(&Search, usize) -> f64 + Sync) -> Scores {
    let n = g.n();
    Scores(
        (0..n)
            .into_par_iter()
            .map_init(
                || Search::new(n),
                |search, u| {
                    search.run(g, u, length, Direction::In);
                    f(search, n)
                },
            )
            .collect(),
    )
}

pub fn closeness(g: &Graph, length: Length) -> Scores {
    per_node(g, length, |s, n| {
        let total: f64 = s.order.iter().map(|&v| s.dist[v]).sum();
        let reached = s.order.len() as f64;
        if total > 0.0 && n > 1 {
            (reached - 1.0) / total * ((reached - 1.0) / (n as f64 - 1.0))
        } else {
            0.0
        }
    })
}

pub fn harmonic(g: &Graph, length: Length) -> Scores {
    per_node(g, length, |s, _| {
        s.order
            .iter()
            .map(|&v| s.dist[v])
            .filter(|&d| d > 0.0)
            .map(|d| 1.0 / d)
            .sum()
    })
}
