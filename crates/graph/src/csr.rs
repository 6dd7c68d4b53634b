//! Compressed sparse rows in both directions. Building sorts the edge list once (the in-lists
//! are a counting sort of the out-lists), merges parallel edges by adding their weights, and
//! keeps self-loops (algorithms that ignore them say so). The undirected projection and the
//! graph without self-loops are made from the rows in O(n + m), without sorting. Memory:
//! 2·(n+1) offsets and 2·m (target, weight) pairs.

/// Index of a node, 0..n.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeIdx(pub u32);

/// A weighted directed graph over nodes 0..n.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    n: usize,
    out_offsets: Vec<u32>,
    out_targets: Vec<u32>,
    out_weights: Vec<f64>,
    in_offsets: Vec<u32>,
    in_sources: Vec<u32>,
    in_weights: Vec<f64>,
}

fn csr(n: usize, edges: &[(u32, u32, f64)]) -> (Vec<u32>, Vec<u32>, Vec<f64>) {
    let mut offsets = vec![0u32; n + 1];
    for &(u, _, _) in edges {
        offsets[u as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let targets = edges.iter().map(|e| e.1).collect();
    let weights = edges.iter().map(|e| e.2).collect();
    (offsets, targets, weights)
}

/// Sorts by (source, target) and adds up the weights of parallel edges.
fn normalize(mut edges: Vec<(u32, u32, f64)>) -> Vec<(u32, u32, f64)> {
    edges.sort_unstable_by_key(|&(u, v, _)| (u, v));
    let mut out: Vec<(u32, u32, f64)> = Vec::with_capacity(edges.len());
    for (u, v, w) in edges {
        match out.last_mut() {
            Some(last) if last.0 == u && last.1 == v => last.2 += w,
            _ => out.push((u, v, w)),
        }
    }
    out
}

impl Graph {
    /// Builds a graph with `n` nodes. Edges naming a node ≥ n, or with a weight that is not
    /// finite and non-negative, are refused with the first offender.
    pub fn from_edges(n: usize, edges: Vec<(u32, u32, f64)>) -> Result<Graph, String> {
        if n > u32::MAX as usize {
            return Err(format!("{n} nodes is more than u32 indices hold"));
        }
        if let Some(e) = edges
            .iter()
            .find(|e| e.0 as usize >= n || e.1 as usize >= n)
        {
            return Err(format!(
                "edge {} -> {} names a node outside 0..{n}",
                e.0, e.1
            ));
        }
        if let Some(e) = edges.iter().find(|e| !(e.2.is_finite() && e.2 >= 0.0)) {
            return Err(format!("edge {} -> {} has weight {}", e.0, e.1, e.2));
        }
        let edges = normalize(edges);
        let (out_offsets, out_targets, out_weights) = csr(n, &edges);
        Ok(Graph::with_transpose(
            n,
            out_offsets,
            out_targets,
            out_weights,
        ))
    }

    /// The graph of these out-lists (each row sorted, no parallel edges), its in-lists made by
    /// a counting sort of the out-lists by target: O(n + m), and each in-list comes out in
    /// increasing order because the rows are read in order of source.
    fn with_transpose(
        n: usize,
        out_offsets: Vec<u32>,
        out_targets: Vec<u32>,
        out_weights: Vec<f64>,
    ) -> Graph {
        let mut in_offsets = vec![0u32; n + 1];
        for &v in &out_targets {
            in_offsets[v as usize + 1] += 1;
        }
        for i in 0..n {
            in_offsets[i + 1] += in_offsets[i];
        }
        let mut next: Vec<u32> = in_offsets[..n].to_vec();
        let mut in_sources = vec![0u32; out_targets.len()];
        let mut in_weights = vec![0.0; out_targets.len()];
        for u in 0..n {
            for k in out_offsets[u] as usize..out_offsets[u + 1] as usize {
                let v = out_targets[k] as usize;
                let at = next[v] as usize;
                in_sources[at] = u as u32;
                in_weights[at] = out_weights[k];
                next[v] += 1;
            }
        }
        Graph {
            n,
            out_offsets,
            out_targets,
            out_weights,
            in_offsets,
            in_sources,
            in_weights,
        }
    }

    /// A symmetric graph from its out-lists: the in-lists are the same lists.
    fn symmetric(n: usize, offsets: Vec<u32>, targets: Vec<u32>, weights: Vec<f64>) -> Graph {
        Graph {
            n,
            in_offsets: offsets.clone(),
            in_sources: targets.clone(),
            in_weights: weights.clone(),
            out_offsets: offsets,
            out_targets: targets,
            out_weights: weights,
        }
    }

    /// Unweighted convenience: every edge weighs 1.
    pub fn from_pairs(n: usize, pairs: &[(u32, u32)]) -> Result<Graph, String> {
        Graph::from_edges(n, pairs.iter().map(|&(u, v)| (u, v, 1.0)).collect())
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of distinct directed edges (parallel edges merged).
    pub fn m(&self) -> usize {
        self.out_targets.len()
    }

    /// Out-neighbours of `u` with weights, in increasing order.
    pub fn out_edges(&self, u: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let (s, e) = (
            self.out_offsets[u] as usize,
            self.out_offsets[u + 1] as usize,
        );
        self.out_targets[s..e]
            .iter()
            .zip(&self.out_weights[s..e])
            .map(|(&v, &w)| (v as usize, w))
    }

    /// In-neighbours of `v` with weights, in increasing order.
    pub fn in_edges(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let (s, e) = (self.in_offsets[v] as usize, self.in_offsets[v + 1] as usize);
        self.in_sources[s..e]
            .iter()
            .zip(&self.in_weights[s..e])
            .map(|(&u, &w)| (u as usize, w))
    }

    /// Out-neighbours of `u`, in increasing order, without weights.
    pub fn out_targets(&self, u: usize) -> &[u32] {
        &self.out_targets[self.out_offsets[u] as usize..self.out_offsets[u + 1] as usize]
    }

    /// In-neighbours of `v`, in increasing order, without weights.
    pub fn in_sources(&self, v: usize) -> &[u32] {
        &self.in_sources[self.in_offsets[v] as usize..self.in_offsets[v + 1] as usize]
    }

    pub fn out_degree(&self, u: usize) -> usize {
        (self.out_offsets[u + 1] - self.out_offsets[u]) as usize
    }

    pub fn in_degree(&self, v: usize) -> usize {
        (self.in_offsets[v + 1] - self.in_offsets[v]) as usize
    }

    /// Weight of the edge u -> v, if any (binary search in u's row).
    pub fn weight(&self, u: usize, v: usize) -> Option<f64> {
        let (s, e) = (
            self.out_offsets[u] as usize,
            self.out_offsets[u + 1] as usize,
        );
        self.out_targets[s..e]
            .binary_search(&(v as u32))
            .ok()
            .map(|i| self.out_weights[s + i])
    }

    /// Whether every edge u→v has a twin v→u of the same weight (an undirected graph held both
    /// ways). O(m): the in-lists then equal the out-lists.
    pub fn is_symmetric(&self) -> bool {
        self.out_offsets == self.in_offsets
            && self.out_targets == self.in_sources
            && self.out_weights == self.in_weights
    }

    /// Neighbours of `v` ignoring direction (in or out, each once, `v` itself left out), in
    /// increasing order; a merge of the two sorted lists, nothing allocated.
    pub fn neighbors(&self, v: usize) -> impl Iterator<Item = usize> + '_ {
        let out = &self.out_targets[self.out_offsets[v] as usize..self.out_offsets[v + 1] as usize];
        let inn = &self.in_sources[self.in_offsets[v] as usize..self.in_offsets[v + 1] as usize];
        let (mut i, mut j) = (0, 0);
        std::iter::from_fn(move || {
            loop {
                let next = match (out.get(i), inn.get(j)) {
                    (None, None) => return None,
                    (Some(&a), None) => {
                        i += 1;
                        a
                    }
                    (None, Some(&b)) => {
                        j += 1;
                        b
                    }
                    (Some(&a), Some(&b)) => {
                        if a <= b {
                            i += 1;
                        }
                        if b <= a {
                            j += 1;
                        }
                        a.min(b)
                    }
                };
                if next as usize != v {
                    return Some(next as usize);
                }
            }
        })
    }

    /// Every edge once, in (source, target) order.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.n).flat_map(move |u| self.out_edges(u).map(move |(v, w)| (u, v, w)))
    }

    /// The undirected projection as a symmetric directed graph: u–v weighs w(u,v) + w(v,u), a
    /// self-loop its own weight. O(n + m): each node's out- and in-lists are merged (both are
    /// sorted), and the in-lists of the result are its out-lists.
    pub fn to_undirected(&self) -> Graph {
        let n = self.n;
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0u32);
        let mut targets = Vec::with_capacity(2 * self.m());
        let mut weights = Vec::with_capacity(2 * self.m());
        for u in 0..n {
            let (out, out_w) = self.out_row(u);
            let (inn, in_w) = self.in_row(u);
            let (mut i, mut j) = (0, 0);
            while i < out.len() || j < inn.len() {
                let (v, w) = match (out.get(i), inn.get(j)) {
                    (Some(&a), Some(&b)) if a == b => {
                        i += 1;
                        j += 1;
                        // A self-loop is in both lists once; a pair both ways adds its two.
                        (
                            a,
                            if a as usize == u {
                                out_w[i - 1]
                            } else {
                                out_w[i - 1] + in_w[j - 1]
                            },
                        )
                    }
                    (Some(&a), Some(&b)) if a < b => {
                        i += 1;
                        (a, out_w[i - 1])
                    }
                    (Some(&a), None) => {
                        i += 1;
                        (a, out_w[i - 1])
                    }
                    (_, Some(&b)) => {
                        j += 1;
                        (b, in_w[j - 1])
                    }
                    (None, None) => unreachable!("one list has more"),
                };
                targets.push(v);
                weights.push(w);
            }
            offsets.push(targets.len() as u32);
        }
        Graph::symmetric(n, offsets, targets, weights)
    }

    /// The same nodes without self-loops. O(n + m): each row filtered, nothing sorted.
    pub fn without_self_loops(&self) -> Graph {
        let filter = |offsets: &[u32], ends: &[u32], weights: &[f64]| {
            let mut o = Vec::with_capacity(self.n + 1);
            o.push(0u32);
            let (mut t, mut w) = (
                Vec::with_capacity(ends.len()),
                Vec::with_capacity(ends.len()),
            );
            for u in 0..self.n {
                for k in offsets[u] as usize..offsets[u + 1] as usize {
                    if ends[k] as usize != u {
                        t.push(ends[k]);
                        w.push(weights[k]);
                    }
                }
                o.push(t.len() as u32);
            }
            (o, t, w)
        };
        let (out_offsets, out_targets, out_weights) =
            filter(&self.out_offsets, &self.out_targets, &self.out_weights);
        let (in_offsets, in_sources, in_weights) =
            filter(&self.in_offsets, &self.in_sources, &self.in_weights);
        Graph {
            n: self.n,
            out_offsets,
            out_targets,
            out_weights,
            in_offsets,
            in_sources,
            in_weights,
        }
    }

    fn out_row(&self, u: usize) -> (&[u32], &[f64]) {
        let r = self.out_offsets[u] as usize..self.out_offsets[u + 1] as usize;
        (&self.out_targets[r.clone()], &self.out_weights[r])
    }

    fn in_row(&self, v: usize) -> (&[u32], &[f64]) {
        let r = self.in_offsets[v] as usize..self.in_offsets[v + 1] as usize;
        (&self.in_sources[r.clone()], &self.in_weights[r])
    }
}

/// Several named layers over the same nodes (communication, meetings, requests, ...).
#[derive(Debug, Clone)]
pub struct MultiLayer {
    n: usize,
    layers: Vec<(String, Graph)>,
}

impl MultiLayer {
    pub fn new(n: usize) -> MultiLayer {
        MultiLayer {
            n,
            layers: Vec::new(),
        }
    }

    /// Adds a layer; its graph must have the same nodes.
    pub fn add(&mut self, name: &str, graph: Graph) -> Result<(), String> {
        if graph.n() != self.n {
            return Err(format!(
                "layer `{name}` has {} nodes, the graph {}",
                graph.n(),
                self.n
            ));
        }
        if self.layers.iter().any(|(l, _)| l == name) {
            return Err(format!("layer `{name}` exists already"));
        }
        self.layers.push((name.to_string(), graph));
        Ok(())
    }

    pub fn layer(&self, name: &str) -> Option<&Graph> {
        self.layers.iter().find(|(l, _)| l == name).map(|(_, g)| g)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.layers.iter().map(|(l, _)| l.as_str())
    }

    /// One graph from a weighted subset of layers: w(u,v) = Σ factor_l · w_l(u,v).
    pub fn combine(&self, factors: &[(&str, f64)]) -> Result<Graph, String> {
        let mut edges = Vec::new();
        for &(name, factor) in factors {
            let g = self
                .layer(name)
                .ok_or_else(|| format!("no layer `{name}`"))?;
            edges.extend(g.edges().map(|(u, v, w)| (u as u32, v as u32, w * factor)));
        }
        Graph::from_edges(self.n, edges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_edges_merge_and_both_directions_agree() {
        let g = Graph::from_edges(
            4,
            vec![
                (0, 1, 1.0),
                (2, 1, 2.0),
                (0, 1, 0.5),
                (1, 3, 1.0),
                (3, 3, 4.0),
            ],
        )
        .unwrap();
        assert_eq!(g.m(), 4);
        assert_eq!(g.weight(0, 1), Some(1.5));
        assert_eq!(g.weight(1, 0), None);
        assert_eq!(g.in_edges(1).collect::<Vec<_>>(), vec![(0, 1.5), (2, 2.0)]);
        assert_eq!(g.in_degree(3), 2);
        let u = g.to_undirected();
        assert_eq!(u.weight(1, 0), Some(1.5));
        assert_eq!(u.weight(3, 3), Some(4.0));
        assert_eq!(g.without_self_loops().m(), 3);
        assert!(Graph::from_edges(2, vec![(0, 2, 1.0)]).is_err());
        assert!(Graph::from_edges(2, vec![(0, 1, f64::NAN)]).is_err());
    }

    /// The constructions as they were, by sorting edge lists: the references for the linear ones.
    fn sorted_in_lists(g: &Graph) -> Vec<Vec<(usize, f64)>> {
        let mut reversed: Vec<(u32, u32, f64)> =
            g.edges().map(|(u, v, w)| (v as u32, u as u32, w)).collect();
        reversed.sort_unstable_by_key(|&(v, u, _)| (v, u));
        let mut lists = vec![Vec::new(); g.n()];
        for (v, u, w) in reversed {
            lists[v as usize].push((u as usize, w));
        }
        lists
    }

    fn undirected_by_sorting(g: &Graph) -> Graph {
        let mut edges = Vec::new();
        for (u, v, w) in g.edges() {
            edges.push((u as u32, v as u32, w));
            if u != v {
                edges.push((v as u32, u as u32, w));
            }
        }
        Graph::from_edges(g.n(), edges).unwrap()
    }

    #[test]
    fn linear_constructions_equal_the_sorting_ones() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        for round in 0..200 {
            let n = rng.random_range(1..40);
            let m = rng.random_range(0..4 * n);
            let edges: Vec<(u32, u32, f64)> = (0..m)
                .map(|_| {
                    (
                        rng.random_range(0..n as u32),
                        rng.random_range(0..n as u32),
                        rng.random::<f64>() * 3.0,
                    )
                })
                .collect();
            let g = Graph::from_edges(n, edges).unwrap();
            let ins: Vec<Vec<(usize, f64)>> = (0..n).map(|v| g.in_edges(v).collect()).collect();
            assert_eq!(ins, sorted_in_lists(&g), "round {round}: in-lists");
            let u = g.to_undirected();
            assert_eq!(u, undirected_by_sorting(&g), "round {round}: undirected");
            assert!(u.is_symmetric());
            let loopless: Vec<(u32, u32, f64)> = g
                .edges()
                .filter(|e| e.0 != e.1)
                .map(|(a, b, w)| (a as u32, b as u32, w))
                .collect();
            assert_eq!(
                g.without_self_loops(),
                Graph::from_edges(n, loopless).unwrap(),
                "round {round}: without self-loops"
            );
            assert_eq!(
                u.without_self_loops(),
                undirected_by_sorting(&g.without_self_loops()),
                "round {round}: both"
            );
        }
    }

    #[test]
    fn layers_combine_with_factors() {
        let mut ml = MultiLayer::new(3);
        ml.add("email", Graph::from_pairs(3, &[(0, 1), (1, 2)]).unwrap())
            .unwrap();
        ml.add("meetings", Graph::from_edges(3, vec![(0, 1, 0.5)]).unwrap())
            .unwrap();
        assert!(ml.add("email", Graph::from_pairs(3, &[]).unwrap()).is_err());
        let g = ml.combine(&[("email", 1.0), ("meetings", 2.0)]).unwrap();
        assert_eq!(g.weight(0, 1), Some(2.0));
        assert_eq!(g.weight(1, 2), Some(1.0));
        assert!(ml.combine(&[("chat", 1.0)]).is_err());
    }
}
