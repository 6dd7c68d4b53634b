//! Community detection (Louvain, Leiden), the quality of a partition (modularity, CPM), the
//! agreement of two partitions (NMI, ARI) and Krackhardt's E-I index.
//!
//! Louvain and Leiden work on undirected weighted graphs. A directed graph is first made
//! undirected ([`Symmetrize::Sum`]: the tie u–v weighs w(u,v) + w(v,u), as igraph's
//! `as_undirected(combine_edges="sum")`), or taken as it is when it already holds every edge
//! both ways with the same weight ([`Symmetrize::AsGiven`], an undirected graph).
//!
//! Both methods maximize one quality function, H = (1/m) Σ_c [L_c − γ'·X_c²/2], with L_c the
//! weight inside community c (a self-loop counted once), m the total weight and X_c the sum of a
//! node weight over c:
//! - **modularity** (Newman & Girvan 2004, with resolution γ as Reichardt & Bornholdt 2006):
//!   node weight = weighted degree (a self-loop counted twice), γ' = γ / 2m. H is then exactly
//!   networkx's `modularity(G, communities, weight, resolution)`.
//! - **CPM**, the constant Potts model (Traag, Van Dooren & Nesterov 2011): node weight = 1
//!   (the number of original nodes inside an aggregate), γ' = γ. A community must have a
//!   density above γ to be worth keeping.
//!
//! References: Blondel, Guillaume, Lambiotte & Lefebvre (2008), "Fast unfolding of communities in
//! large networks" (Louvain); Traag, Waltman & van Eck (2019), "From Louvain to Leiden:
//! guaranteeing well-connected communities", Sci. Rep. 9 (Leiden: fast local moving with a
//! queue, refinement by randomized merges among well-connected subsets with randomness θ = 0.01,
//! aggregation of the refined partition started from the unrefined one).
//!
//! Both are deterministic for a seed (node orders and refinement choices come from a
//! xoshiro256++ stream). By default each makes two independent starts, in parallel, and keeps
//! the better partition: a single Leiden run here lands, on average, slightly below igraph's on
//! the reference graphs (igraph's refinement counts a node that stays alone as twice as well
//! connected as it is, which lets more nodes merge); two starts land above it at no extra wall
//! time on two cores. `starts: 1` is one plain run. Leiden runs whole passes until the partition stops changing (igraph's
//! `n_iterations=-1`) unless told a number of passes. Time per pass roughly O(m) per level,
//! memory O(n + m).

use crate::Graph;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::collections::VecDeque;

/// How a directed graph becomes undirected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symmetrize {
    /// u–v weighs w(u,v) + w(v,u).
    Sum,
    /// The graph is already symmetric (an undirected graph stored both ways); checked.
    AsGiven,
}

/// What a partition is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    Modularity,
    Cpm,
}

#[derive(Debug, Clone)]
pub struct CommunityOptions {
    pub quality: Quality,
    /// γ: above 1 gives more, smaller communities under modularity; under CPM it is the density
    /// a community must exceed.
    pub resolution: f64,
    pub seed: u64,
    /// Leiden passes; `None` repeats until the partition no longer changes.
    pub passes: Option<usize>,
    /// Independent starts (run in parallel, seeds derived from `seed`); the partition of
    /// highest quality is kept, the earliest start on a tie. 1 is a single plain run.
    pub starts: usize,
    pub symmetrize: Symmetrize,
}

impl Default for CommunityOptions {
    fn default() -> Self {
        CommunityOptions {
            quality: Quality::Modularity,
            resolution: 1.0,
            seed: 0,
            passes: None,
            starts: 2,
            symmetrize: Symmetrize::Sum,
        }
    }
}

/// A community label per node (0.. in order of each community's smallest node) and the quality
/// reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    pub labels: Vec<u32>,
    pub count: usize,
    pub quality: f64,
}

/// An undirected weighted network with node weights, the working form of both methods.
#[derive(Debug, Clone)]
struct Net {
    offsets: Vec<usize>,
    nbrs: Vec<u32>,
    weights: Vec<f64>,
    /// Weight of a node's self-loop, counted once (as inside weight).
    self_w: Vec<f64>,
    /// Weighted degree, self-loop counted twice.
    degree: Vec<f64>,
    /// Original nodes inside.
    size: Vec<f64>,
    /// Σ degree = 2m.
    total: f64,
}

impl Net {
    fn from_graph(g: &Graph, how: Symmetrize) -> Result<Net, String> {
        let sym;
        let g = match how {
            Symmetrize::Sum => {
                sym = g.to_undirected();
                &sym
            }
            Symmetrize::AsGiven => {
                if let Some((u, v, w)) = g.edges().find(|&(u, v, w)| g.weight(v, u) != Some(w)) {
                    return Err(format!(
                        "the graph is not symmetric: {u} -> {v} weighs {w}, {v} -> {u} {:?}",
                        g.weight(v, u)
                    ));
                }
                g
            }
        };
        let n = g.n();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let (mut nbrs, mut weights) = (Vec::with_capacity(g.m()), Vec::with_capacity(g.m()));
        let mut self_w = vec![0.0; n];
        for (u, own) in self_w.iter_mut().enumerate() {
            for (v, w) in g.out_edges(u) {
                if v == u {
                    *own = w;
                } else {
                    nbrs.push(v as u32);
                    weights.push(w);
                }
            }
            offsets.push(nbrs.len());
        }
        Ok(Net::finish(offsets, nbrs, weights, self_w, vec![1.0; n]))
    }

    fn finish(
        offsets: Vec<usize>,
        nbrs: Vec<u32>,
        weights: Vec<f64>,
        self_w: Vec<f64>,
        size: Vec<f64>,
    ) -> Net {
        let n = self_w.len();
        let degree: Vec<f64> = (0..n)
            .map(|u| weights[offsets[u]..offsets[u + 1]].iter().sum::<f64>() + 2.0 * self_w[u])
            .collect();
        let total = degree.iter().sum();
        Net {
            offsets,
            nbrs,
            weights,
            self_w,
            degree,
            size,
            total,
        }
    }

    fn n(&self) -> usize {
        self.self_w.len()
    }

    fn edges(&self, u: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.offsets[u]..self.offsets[u + 1];
        self.nbrs[r.clone()]
            .iter()
            .zip(&self.weights[r])
            .map(|(&v, &w)| (v as usize, w))
    }

    /// Node weights and γ' of the quality function.
    fn null_model(&self, quality: Quality, resolution: f64) -> (Vec<f64>, f64) {
        match quality {
            Quality::Modularity => (
                self.degree.clone(),
                if self.total > 0.0 {
                    resolution / self.total
                } else {
                    0.0
                },
            ),
            Quality::Cpm => (self.size.clone(), resolution),
        }
    }

    /// H of a partition of this network's nodes.
    fn quality(&self, labels: &[u32], quality: Quality, resolution: f64) -> f64 {
        let (x, gamma) = self.null_model(quality, resolution);
        let k = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
        let (mut inside, mut weight) = (vec![0.0; k], vec![0.0; k]);
        for u in 0..self.n() {
            let c = labels[u] as usize;
            weight[c] += x[u];
            inside[c] += self.self_w[u];
            for (v, w) in self.edges(u) {
                if labels[v] as usize == c {
                    inside[c] += w / 2.0;
                }
            }
        }
        let m = self.total / 2.0;
        if m == 0.0 {
            return 0.0;
        }
        (0..k)
            .map(|c| inside[c] - gamma * weight[c] * weight[c] / 2.0)
            .sum::<f64>()
            / m
    }

    /// Collapses each group into one node. Returns the new network.
    fn aggregate(&self, group: &[u32], groups: usize) -> Net {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups];
        for (u, &c) in group.iter().enumerate() {
            members[c as usize].push(u);
        }
        let mut acc = vec![0.0; groups];
        let mut touched: Vec<usize> = Vec::new();
        let mut offsets = vec![0];
        let (mut nbrs, mut weights) = (Vec::new(), Vec::new());
        let mut self_w = vec![0.0; groups];
        let mut size = vec![0.0; groups];
        for (c, list) in members.iter().enumerate() {
            for &u in list {
                size[c] += self.size[u];
                self_w[c] += self.self_w[u];
                for (v, w) in self.edges(u) {
                    let d = group[v] as usize;
                    if d == c {
                        self_w[c] += w / 2.0;
                    } else {
                        if acc[d] == 0.0 {
                            touched.push(d);
                        }
                        acc[d] += w;
                    }
                }
            }
            touched.sort_unstable();
            for &d in &touched {
                nbrs.push(d as u32);
                weights.push(acc[d]);
                acc[d] = 0.0;
            }
            touched.clear();
            offsets.push(nbrs.len());
        }
        Net::finish(offsets, nbrs, weights, self_w, size)
    }
}

/// Community bookkeeping during local moving.
struct Moves {
    community: Vec<u32>,
    weight: Vec<f64>,
    members: Vec<u32>,
    empty: Vec<u32>,
    /// Scratch: weight from the current node to each community.
    link: Vec<f64>,
    seen: Vec<bool>,
    touched: Vec<usize>,
}

impl Moves {
    fn new(community: Vec<u32>, x: &[f64]) -> Moves {
        let n = community.len();
        let (mut weight, mut members) = (vec![0.0; n], vec![0u32; n]);
        for (u, &c) in community.iter().enumerate() {
            weight[c as usize] += x[u];
            members[c as usize] += 1;
        }
        let empty = (0..n as u32)
            .rev()
            .filter(|&c| members[c as usize] == 0)
            .collect();
        Moves {
            community,
            weight,
            members,
            empty,
            link: vec![0.0; n],
            seen: vec![false; n],
            touched: Vec::new(),
        }
    }

    /// Moves `u` to the community with the best gain (an empty one counts as gain 0);
    /// returns whether it changed community.
    fn best_move(&mut self, net: &Net, x: &[f64], gamma: f64, u: usize) -> bool {
        let old = self.community[u] as usize;
        for (v, w) in net.edges(u) {
            let c = self.community[v] as usize;
            if !self.seen[c] {
                self.seen[c] = true;
                self.touched.push(c);
            }
            self.link[c] += w;
        }
        self.weight[old] -= x[u];
        self.members[old] -= 1;
        let mut best = old;
        let mut best_gain = self.link[old] - gamma * x[u] * self.weight[old];
        for &c in &self.touched {
            let gain = self.link[c] - gamma * x[u] * self.weight[c];
            if gain > best_gain {
                best_gain = gain;
                best = c;
            }
        }
        if best_gain < 0.0
            && self.members[old] > 0
            && let Some(c) = self.empty.pop()
        {
            best = c as usize;
        }
        for &c in &self.touched {
            self.link[c] = 0.0;
            self.seen[c] = false;
        }
        self.touched.clear();
        if self.members[old] == 0 && best != old {
            self.empty.push(old as u32);
        }
        self.weight[best] += x[u];
        self.members[best] += 1;
        self.community[u] = best as u32;
        best != old
    }
}

/// Relabels to 0..k by order of first appearance; returns k.
fn renumber(labels: &mut [u32]) -> usize {
    let mut map = vec![u32::MAX; labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0)];
    let mut next = 0u32;
    for l in labels.iter_mut() {
        if map[*l as usize] == u32::MAX {
            map[*l as usize] = next;
            next += 1;
        }
        *l = map[*l as usize];
    }
    next as usize
}

/// Louvain's local moving: sweeps in random order until a sweep moves nobody.
fn sweep_moves(
    net: &Net,
    community: Vec<u32>,
    x: &[f64],
    gamma: f64,
    rng: &mut impl Rng,
) -> (Vec<u32>, bool) {
    let mut moves = Moves::new(community, x);
    let mut order: Vec<usize> = (0..net.n()).collect();
    let mut any = false;
    loop {
        order.shuffle(rng);
        let mut moved = false;
        for &u in &order {
            moved |= moves.best_move(net, x, gamma, u);
        }
        any |= moved;
        if !moved {
            return (moves.community, any);
        }
    }
}

/// Leiden's fast local moving: a queue of nodes whose neighbourhood changed.
fn queue_moves(
    net: &Net,
    community: Vec<u32>,
    x: &[f64],
    gamma: f64,
    rng: &mut impl Rng,
) -> (Vec<u32>, bool) {
    let n = net.n();
    let mut moves = Moves::new(community, x);
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut queue: VecDeque<usize> = order.into();
    let mut queued = vec![true; n];
    let mut any = false;
    while let Some(u) = queue.pop_front() {
        queued[u] = false;
        if moves.best_move(net, x, gamma, u) {
            any = true;
            let c = moves.community[u];
            for (v, _) in net.edges(u) {
                if !queued[v] && moves.community[v] != c {
                    queued[v] = true;
                    queue.push_back(v);
                }
            }
        }
    }
    (moves.community, any)
}

/// Leiden's refinement: inside each community, singletons merge into well-connected subsets,
/// chosen at random with probability ∝ exp(gain / θ) among non-negative gains.
fn refine(net: &Net, community: &[u32], x: &[f64], gamma: f64, rng: &mut impl Rng) -> Vec<u32> {
    const THETA: f64 = 0.01;
    let n = net.n();
    let k = community.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut comm_x = vec![0.0; k];
    for u in 0..n {
        comm_x[community[u] as usize] += x[u];
    }
    let mut refined: Vec<u32> = (0..n as u32).collect();
    let mut sub_x = x.to_vec();
    let mut members = vec![1u32; n];
    // ext[s]: weight from refined subset s to the rest of its community.
    let mut ext = vec![0.0; n];
    for u in 0..n {
        ext[u] = net
            .edges(u)
            .filter(|&(v, _)| community[v] == community[u])
            .map(|(_, w)| w)
            .sum();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let (mut link, mut seen) = (vec![0.0; n], vec![false; n]);
    let mut touched: Vec<usize> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    for &u in &order {
        let c = community[u] as usize;
        if members[refined[u] as usize] != 1 || ext[u] < gamma * x[u] * (comm_x[c] - x[u]) {
            continue;
        }
        for (v, w) in net.edges(u) {
            if community[v] as usize != c {
                continue;
            }
            let s = refined[v] as usize;
            if !seen[s] {
                seen[s] = true;
                touched.push(s);
            }
            link[s] += w;
        }
        // Candidates: u's own singleton (gain 0) and well-connected subsets with gain ≥ 0.
        let own = refined[u] as usize;
        let mut candidates: Vec<(usize, f64)> = vec![(own, 0.0)];
        for &s in &touched {
            if s == own {
                continue;
            }
            let gain = link[s] - gamma * x[u] * sub_x[s];
            let connected = ext[s] >= gamma * sub_x[s] * (comm_x[c] - sub_x[s]);
            if gain >= 0.0 && connected {
                candidates.push((s, gain));
            }
        }
        let top = candidates.iter().map(|c| c.1).fold(f64::MIN, f64::max);
        weights.clear();
        weights.extend(candidates.iter().map(|c| ((c.1 - top) / THETA).exp()));
        let total: f64 = weights.iter().sum();
        let mut pick = rng.random::<f64>() * total;
        let mut chosen = candidates[candidates.len() - 1].0;
        for (cand, w) in candidates.iter().zip(&weights) {
            if pick < *w {
                chosen = cand.0;
                break;
            }
            pick -= w;
        }
        if chosen != own {
            ext[chosen] += ext[u] - 2.0 * link[chosen];
            sub_x[chosen] += x[u];
            sub_x[own] = 0.0;
            members[own] = 0;
            members[chosen] += 1;
            refined[u] = chosen as u32;
        }
        for &s in &touched {
            link[s] = 0.0;
            seen[s] = false;
        }
        touched.clear();
    }
    refined
}

fn run(g: &Graph, opts: &CommunityOptions, leiden: bool) -> Result<Partition, String> {
    if !(opts.resolution.is_finite() && opts.resolution >= 0.0) {
        return Err(format!(
            "resolution {} is not a non-negative number",
            opts.resolution
        ));
    }
    let base = Net::from_graph(g, opts.symmetrize)?;
    let runs: Vec<Partition> = (0..opts.starts.max(1) as u64)
        .into_par_iter()
        .map(|r| {
            let seed = opts
                .seed
                .wrapping_add(r.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            one_start(&base, opts, leiden, seed)
        })
        .collect();
    // The best start; `max_by` would keep the last of equals, so compare by (quality, −index).
    let best = runs
        .into_iter()
        .enumerate()
        .reduce(|a, b| if b.1.quality > a.1.quality { b } else { a })
        .map(|(_, p)| p)
        .expect("at least one start");
    Ok(best)
}

fn one_start(base: &Net, opts: &CommunityOptions, leiden: bool, seed: u64) -> Partition {
    let n = base.n();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut labels: Vec<u32> = (0..n as u32).collect();
    let passes = if leiden { opts.passes } else { Some(1) };
    let mut pass = 0;
    loop {
        let before = labels.clone();
        labels = one_pass(base, labels, opts, leiden, &mut rng);
        pass += 1;
        let stable = labels == before;
        if stable || passes.is_some_and(|p| pass >= p) {
            break;
        }
    }
    let count = renumber(&mut labels);
    let quality = base.quality(&labels, opts.quality, opts.resolution);
    Partition {
        labels,
        count,
        quality,
    }
}

/// One full multi-level pass from `start` (a partition of the base network's nodes).
fn one_pass(
    base: &Net,
    start: Vec<u32>,
    opts: &CommunityOptions,
    leiden: bool,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<u32> {
    let mut net = base.clone();
    // node_of[u]: the aggregate node holding original node u.
    let mut node_of: Vec<u32> = (0..base.n() as u32).collect();
    let mut community = start;
    loop {
        let (x, gamma) = net.null_model(opts.quality, opts.resolution);
        let (moved, _) = if leiden {
            queue_moves(&net, community, &x, gamma, rng)
        } else {
            sweep_moves(&net, community, &x, gamma, rng)
        };
        community = moved;
        let mut flat = community.clone();
        let groups = renumber(&mut flat);
        if groups == net.n() {
            break;
        }
        let (aggregate_by, start_of_aggregate) = if leiden {
            let mut refined = refine(&net, &flat, &x, gamma, rng);
            let parts = renumber(&mut refined);
            if parts < net.n() {
                // Each refined subset starts in the community that holds it.
                let mut start = vec![0u32; parts];
                for u in 0..net.n() {
                    start[refined[u] as usize] = flat[u];
                }
                (refined, start)
            } else {
                (flat.clone(), (0..groups as u32).collect())
            }
        } else {
            (flat.clone(), (0..groups as u32).collect())
        };
        let parts = start_of_aggregate.len();
        net = net.aggregate(&aggregate_by, parts);
        for u in node_of.iter_mut() {
            *u = aggregate_by[*u as usize];
        }
        community = start_of_aggregate;
    }
    node_of.iter().map(|&a| community[a as usize]).collect()
}

/// Louvain: local moving by sweeps, then aggregation, level after level.
pub fn louvain(g: &Graph, opts: &CommunityOptions) -> Result<Partition, String> {
    run(g, opts, false)
}

/// Leiden: fast local moving, refinement, aggregation of the refined partition; communities are
/// guaranteed connected.
pub fn leiden(g: &Graph, opts: &CommunityOptions) -> Result<Partition, String> {
    run(g, opts, true)
}

/// Modularity of a partition of an undirected graph (networkx's `modularity`; see the module
/// documentation for how a directed graph is made undirected).
pub fn modularity(
    g: &Graph,
    labels: &[u32],
    resolution: f64,
    how: Symmetrize,
) -> Result<f64, String> {
    quality(g, labels, Quality::Modularity, resolution, how)
}

/// Quality H of any partition under either function.
pub fn quality(
    g: &Graph,
    labels: &[u32],
    quality: Quality,
    resolution: f64,
    how: Symmetrize,
) -> Result<f64, String> {
    check_labels(g.n(), labels)?;
    let mut labels = labels.to_vec();
    renumber(&mut labels);
    Ok(Net::from_graph(g, how)?.quality(&labels, quality, resolution))
}

/// Leicht & Newman's (2008) directed modularity, networkx's `modularity` on a `DiGraph`:
/// (1/m) Σ_c [L_c − γ·out_c·in_c/m], with L_c the weight of edges inside c.
pub fn directed_modularity(g: &Graph, labels: &[u32], resolution: f64) -> Result<f64, String> {
    check_labels(g.n(), labels)?;
    let k = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let (mut inside, mut out, mut inn) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    let mut m = 0.0;
    for (u, v, w) in g.edges() {
        m += w;
        out[labels[u] as usize] += w;
        inn[labels[v] as usize] += w;
        if labels[u] == labels[v] {
            inside[labels[u] as usize] += w;
        }
    }
    if m == 0.0 {
        return Ok(0.0);
    }
    Ok((0..k)
        .map(|c| inside[c] / m - resolution * out[c] * inn[c] / (m * m))
        .sum())
}

fn check_labels(n: usize, labels: &[u32]) -> Result<(), String> {
    if labels.len() != n {
        return Err(format!("{} labels for a graph of {n} nodes", labels.len()));
    }
    Ok(())
}

/// Contingency counts of two labelings of the same nodes.
struct Contingency {
    /// Non-zero joint counts, in (a, b) label order.
    cells: Vec<f64>,
    /// Group sizes of `a` and of `b`.
    ra: Vec<f64>,
    rb: Vec<f64>,
    n: f64,
}

fn contingency(a: &[u32], b: &[u32]) -> Result<Contingency, String> {
    if a.len() != b.len() {
        return Err(format!("partitions of {} and {} nodes", a.len(), b.len()));
    }
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    let (ka, kb) = (renumber(&mut a), renumber(&mut b));
    let mut joint: std::collections::HashMap<(u32, u32), f64> = Default::default();
    let (mut ra, mut rb) = (vec![0.0; ka], vec![0.0; kb]);
    for (&x, &y) in a.iter().zip(&b) {
        *joint.entry((x, y)).or_default() += 1.0;
        ra[x as usize] += 1.0;
        rb[y as usize] += 1.0;
    }
    let mut cells: Vec<((u32, u32), f64)> = joint.into_iter().collect();
    cells.sort_by_key(|c| c.0);
    Ok(Contingency {
        cells: cells.into_iter().map(|c| c.1).collect(),
        ra,
        rb,
        n: a.len() as f64,
    })
}

/// Normalized mutual information, 2·I(A;B) / (H(A) + H(B)) (Danon et al. 2005; igraph's
/// `compare_communities(method="nmi")`). 1 when both partitions are a single group.
pub fn nmi(a: &[u32], b: &[u32]) -> Result<f64, String> {
    let Contingency { cells, ra, rb, n } = contingency(a, b)?;
    if n == 0.0 {
        return Ok(1.0);
    }
    let entropy = |counts: &[f64]| -> f64 {
        counts
            .iter()
            .filter(|&&c| c > 0.0)
            .map(|&c| -(c / n) * (c / n).ln())
            .sum()
    };
    let (ha, hb) = (entropy(&ra), entropy(&rb));
    if ha + hb == 0.0 {
        return Ok(1.0);
    }
    // I = H(A) + H(B) − H(A,B).
    let mi = ha + hb - entropy(&cells);
    Ok((2.0 * mi / (ha + hb)).clamp(0.0, 1.0))
}

/// Adjusted Rand index (Hubert & Arabie 1985; igraph's `compare_communities(method=
/// "adjusted_rand")`). 1 for identical partitions, about 0 for independent ones.
pub fn ari(a: &[u32], b: &[u32]) -> Result<f64, String> {
    let Contingency { cells, ra, rb, n } = contingency(a, b)?;
    let pairs = |x: f64| x * (x - 1.0) / 2.0;
    let index: f64 = cells.iter().map(|&c| pairs(c)).sum();
    let (sa, sb): (f64, f64) = (
        ra.iter().map(|&c| pairs(c)).sum(),
        rb.iter().map(|&c| pairs(c)).sum(),
    );
    let total = pairs(n);
    if total == 0.0 {
        return Ok(1.0);
    }
    let expected = sa * sb / total;
    let max = (sa + sb) / 2.0;
    if max == expected {
        return Ok(1.0);
    }
    Ok((index - expected) / (max - expected))
}

/// Krackhardt & Stern's (1988) E-I index: (E − I) / (E + I) over ties between distinct nodes,
/// E the ties that cross a group boundary and I those inside one; −1 all inside, +1 all across.
#[derive(Debug, Clone, PartialEq)]
pub struct EiIndex {
    pub overall: Option<f64>,
    /// Per group label present: the index over the ties with at least one end in the group.
    pub per_group: Vec<(u32, Option<f64>)>,
}

pub fn ei_index(g: &Graph, labels: &[u32], weighted: bool) -> Result<EiIndex, String> {
    check_labels(g.n(), labels)?;
    let k = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let (mut ext, mut int) = (vec![0.0; k], vec![0.0; k]);
    let (mut e, mut i) = (0.0, 0.0);
    let mut present = vec![false; k];
    for &l in labels {
        present[l as usize] = true;
    }
    for (u, v, w) in g.edges() {
        if u == v {
            continue;
        }
        let w = if weighted { w } else { 1.0 };
        let (a, b) = (labels[u] as usize, labels[v] as usize);
        if a == b {
            i += w;
            int[a] += w;
        } else {
            e += w;
            ext[a] += w;
            ext[b] += w;
        }
    }
    let index = |e: f64, i: f64| (e + i > 0.0).then(|| (e - i) / (e + i));
    Ok(EiIndex {
        overall: index(e, i),
        per_group: (0..k)
            .filter(|&c| present[c])
            .map(|c| (c as u32, index(ext[c], int[c])))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_cliques() -> Graph {
        // Two 4-cliques joined by one edge 3–4.
        let mut pairs = Vec::new();
        for block in [0u32, 4] {
            for a in block..block + 4 {
                for b in block..block + 4 {
                    if a != b {
                        pairs.push((a, b));
                    }
                }
            }
        }
        pairs.extend([(3, 4), (4, 3)]);
        Graph::from_pairs(8, &pairs).unwrap()
    }

    #[test]
    fn both_methods_find_two_cliques() {
        let g = two_cliques();
        let opts = CommunityOptions {
            symmetrize: Symmetrize::AsGiven,
            ..Default::default()
        };
        for p in [louvain(&g, &opts).unwrap(), leiden(&g, &opts).unwrap()] {
            assert_eq!(p.labels, vec![0, 0, 0, 0, 1, 1, 1, 1]);
            assert_eq!(p.count, 2);
            let q = modularity(&g, &p.labels, 1.0, Symmetrize::AsGiven).unwrap();
            assert!((p.quality - q).abs() < 1e-12);
            // m = 13 edges; each clique holds 6 with degree sum 13: 2·(6/13 − (13/26)²).
            assert!((q - 2.0 * (6.0 / 13.0 - 0.25)).abs() < 1e-12);
        }
    }

    #[test]
    fn agreement_measures() {
        let a = [0, 0, 1, 1];
        assert_eq!(nmi(&a, &[5, 5, 7, 7]).unwrap(), 1.0);
        assert_eq!(ari(&a, &[5, 5, 7, 7]).unwrap(), 1.0);
        assert!(nmi(&a, &[0, 1, 0, 1]).unwrap().abs() < 1e-12);
        assert!(ari(&a, &[0, 0, 0, 0]).unwrap().abs() < 1e-12);
        let ei = ei_index(&two_cliques(), &[0, 0, 0, 0, 1, 1, 1, 1], false).unwrap();
        // 24 ties inside, 2 across.
        assert_eq!(ei.overall, Some((2.0 - 24.0) / 26.0));
        assert_eq!(ei.per_group[0], (0, Some((2.0 - 12.0) / 14.0)));
    }
}
