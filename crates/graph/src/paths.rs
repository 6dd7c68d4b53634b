//! Single-source shortest paths shared by betweenness, closeness and harmonic centrality:
//! breadth-first search when edges count as one hop, Dijkstra when an edge's weight is its
//! length (networkx's `weight=` convention: a larger weight is a *longer* edge; turn tie
//! strengths into lengths, e.g. 1/w, before calling).

use crate::Graph;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// How long an edge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// Every edge is one hop.
    Hops,
    /// An edge is as long as its weight.
    Weight,
}

/// Which way edges are followed from the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Out,
    In,
}

/// Reusable buffers for one search at a time.
pub struct Search {
    pub dist: Vec<f64>,
    /// Number of shortest paths from the source.
    pub sigma: Vec<f64>,
    /// Nodes in the order they were settled (non-decreasing distance).
    pub order: Vec<usize>,
    /// Predecessors of each node on shortest paths from the source.
    preds: Vec<Vec<u32>>,
    settled: Vec<bool>,
    queue: std::collections::VecDeque<usize>,
    heap: BinaryHeap<Reverse<(OrdF64, usize)>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct OrdF64(f64);
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Search {
    pub fn new(n: usize) -> Search {
        Search {
            dist: vec![f64::INFINITY; n],
            sigma: vec![0.0; n],
            order: Vec::with_capacity(n),
            preds: vec![Vec::new(); n],
            settled: vec![false; n],
            queue: Default::default(),
            heap: BinaryHeap::new(),
        }
    }

    pub fn preds(&self, v: usize) -> &[u32] {
        &self.preds[v]
    }

    /// Runs from `source`, leaving distances, path counts, settle order and predecessors.
    pub fn run(&mut self, g: &Graph, source: usize, length: Length, direction: Direction) {
        self.run_until(g, source, None, length, direction)
    }

    /// As [`Search::run`], but stops once `target` is settled: its distance, path count and
    /// predecessors are then final (those of farther nodes are not).
    pub fn run_until(
        &mut self,
        g: &Graph,
        source: usize,
        target: Option<usize>,
        length: Length,
        direction: Direction,
    ) {
        for &v in &self.order {
            self.settled[v] = false;
            self.dist[v] = f64::INFINITY;
            self.sigma[v] = 0.0;
            self.preds[v].clear();
        }
        self.order.clear();
        self.dist[source] = 0.0;
        self.sigma[source] = 1.0;
        let neighbours = |u: usize| -> Box<dyn Iterator<Item = (usize, f64)> + '_> {
            match direction {
                Direction::Out => Box::new(g.out_edges(u)),
                Direction::In => Box::new(g.in_edges(u)),
            }
        };
        match length {
            Length::Hops => {
                self.queue.push_back(source);
                while let Some(u) = self.queue.pop_front() {
                    self.order.push(u);
                    if Some(u) == target {
                        // Queued nodes were touched; keep them in `order` for the reset.
                        self.order.extend(self.queue.drain(..));
                        break;
                    }
                    let du = self.dist[u];
                    for (v, _) in neighbours(u) {
                        if self.dist[v].is_infinite() {
                            self.dist[v] = du + 1.0;
                            self.queue.push_back(v);
                        }
                        if self.dist[v] == du + 1.0 {
                            self.sigma[v] += self.sigma[u];
                            self.preds[v].push(u as u32);
                        }
                    }
                }
            }
            Length::Weight => {
                // Every node whose distance becomes finite is pushed, so popped and settled:
                // `order` lists every node touched, which is what the reset above relies on.
                self.heap.push(Reverse((OrdF64(0.0), source)));
                while let Some(Reverse((OrdF64(d), u))) = self.heap.pop() {
                    if self.settled[u] || d > self.dist[u] {
                        continue;
                    }
                    self.settled[u] = true;
                    self.order.push(u);
                    if Some(u) == target {
                        // Nodes still in the heap were touched; list them for the reset.
                        for Reverse((_, v)) in self.heap.drain() {
                            if !self.settled[v] {
                                self.settled[v] = true;
                                self.order.push(v);
                            }
                        }
                        break;
                    }
                    for (v, w) in neighbours(u) {
                        let alt = d + w;
                        if alt < self.dist[v] {
                            self.dist[v] = alt;
                            self.sigma[v] = self.sigma[u];
                            self.preds[v].clear();
                            self.preds[v].push(u as u32);
                            self.heap.push(Reverse((OrdF64(alt), v)));
                        } else if alt == self.dist[v] && !self.settled[v] {
                            self.sigma[v] += self.sigma[u];
                            self.preds[v].push(u as u32);
                        }
                    }
                }
            }
        }
    }
}
