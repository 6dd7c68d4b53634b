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

/// Breadth-first search by in-edges from every node, in parallel, keeping only what closeness
/// and harmonic need: (nodes reached including the source, Σ distances, Σ 1/distance).
fn hop_sums(g: &Graph) -> Vec<(usize, f64, f64)> {
    let n = g.n();
    (0..n)
        .into_par_iter()
        .with_min_len(16)
        .map_init(
            || (vec![u32::MAX; n], Vec::<u32>::with_capacity(n)),
            |(dist, queue), source| {
                queue.clear();
                queue.push(source as u32);
                dist[source] = 0;
                let (mut total, mut inverse) = (0.0, 0.0);
                let mut head = 0;
                while head < queue.len() {
                    let v = queue[head] as usize;
                    head += 1;
                    let next = dist[v] + 1;
                    for (u, _) in g.in_edges(v) {
                        if dist[u] == u32::MAX {
                            dist[u] = next;
                            queue.push(u as u32);
                            total += next as f64;
                            inverse += 1.0 / next as f64;
                        }
                    }
                }
                for &v in queue.iter() {
                    dist[v as usize] = u32::MAX;
                }
                (queue.len(), total, inverse)
            },
        )
        .collect()
}

fn wf_closeness(reached: f64, total: f64, n: usize) -> f64 {
    if total > 0.0 && n > 1 {
        (reached - 1.0) / total * ((reached - 1.0) / (n as f64 - 1.0))
    } else {
        0.0
    }
}

pub fn closeness(g: &Graph, length: Length) -> Scores {
    if length == Length::Hops {
        let n = g.n();
        return Scores(
            hop_sums(g)
                .into_iter()
                .map(|(r, total, _)| wf_closeness(r as f64, total, n))
                .collect(),
        );
    }
    per_node(g, length, |s, n| {
        let total: f64 = s.order.iter().map(|&v| s.dist[v]).sum();
        wf_closeness(s.order.len() as f64, total, n)
    })
}

pub fn harmonic(g: &Graph, length: Length) -> Scores {
    if length == Length::Hops {
        return Scores(hop_sums(g).into_iter().map(|(_, _, h)| h).collect());
    }
    per_node(g, length, |s, _| {
        s.order
            .iter()
            .map(|&v| s.dist[v])
            .filter(|&d| d > 0.0)
            .map(|d| 1.0 / d)
            .sum()
    })
}
