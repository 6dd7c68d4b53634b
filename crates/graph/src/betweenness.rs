//! Exact betweenness centrality.
//!
//! Reference: Brandes (2001), "A faster algorithm for betweenness centrality", J. Math. Sociol.
//! 25(2). Time O(n·m) unweighted, O(n·m + n²·log n) weighted; memory O(n + m). Normalization
//! follows networkx's `betweenness_centrality` on a directed graph: divided by (n−1)(n−2) when
//! `normalized` (an undirected graph given as its symmetric directed projection gets the same
//! values networkx gives the undirected graph).
//!
//! Sources are split into a fixed number of contiguous blocks that run in parallel and are added
//! up in block order, so the result does not depend on the number of threads.
//!
//! [`approximate_betweenness`] samples shortest paths instead (Riondato & Kornaropoulos 2016,
//! "Fast approximation of betweenness centrality through sampling", Data Min. Knowl. Disc. 30):
//! r = ⌈(c/ε²)(⌊log₂(VD − 2)⌋ + 1 + ln(1/δ))⌉ samples with c = 0.5, each a uniformly random
//! ordered pair (u, v) and one shortest u→v path drawn uniformly among all of them; every inner
//! node of the path gains 1/r. With probability at least 1 − δ, every node's estimate is within ε
//! of its betweenness normalized by n(n−1) — the guarantee is reported in the units asked for.
//! VD bounds the number of nodes on a shortest path. With hop lengths on a symmetric graph (an
//! undirected graph as its directed projection), it is bounded per connected component as the
//! paper does: one breadth-first search from any node s finds its eccentricity e, every shortest
//! path has at most 2e hops, so VD ≤ 2e + 1 (and at most the component's size); otherwise VD is
//! bounded by the size of the largest weakly connected component. With hop lengths each sample is a balanced bidirectional breadth-first search
//! (Borassi & Natale 2016, "KADABRA is an ADaptive Algorithm for Betweenness via Random
//! Approximation", ESA), which on small-world graphs scans far fewer than m edges; with weighted
//! lengths, Dijkstra stopped at the target. Worst case O(r·(m + n log n)).

use crate::components::weak_components;
use crate::paths::{Direction, Length, Search};
use crate::{Graph, Scores};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Blocks of work summed in a fixed order (determinism across thread counts).
const BLOCKS: usize = 32;

fn blocks(n: usize) -> Vec<std::ops::Range<usize>> {
    let per = n.div_ceil(BLOCKS).max(1);
    (0..n).step_by(per).map(|s| s..(s + per).min(n)).collect()
}

fn add_up(parts: Vec<Vec<f64>>, n: usize) -> Vec<f64> {
    let mut total = vec![0.0; n];
    for part in parts {
        for (t, p) in total.iter_mut().zip(part) {
            *t += p;
        }
    }
    total
}

#[derive(Debug, Clone)]
pub struct BetweennessOptions {
    pub length: Length,
    pub normalized: bool,
}

impl Default for BetweennessOptions {
    fn default() -> Self {
        BetweennessOptions {
            length: Length::Hops,
            normalized: true,
        }
    }
}

pub fn betweenness(g: &Graph, opts: &BetweennessOptions) -> Scores {
    let n = g.n();
    let parts: Vec<Vec<f64>> = blocks(n)
        .into_par_iter()
        .map(|range| {
            let mut cb = vec![0.0; n];
            let mut search = Search::new(n);
            let mut delta = vec![0.0; n];
            for s in range {
                search.run(g, s, opts.length, Direction::Out);
                for &v in &search.order {
                    delta[v] = 0.0;
                }
                for &w in search.order.iter().rev() {
                    let coeff = (1.0 + delta[w]) / search.sigma[w];
                    for &v in search.preds(w) {
                        delta[v as usize] += search.sigma[v as usize] * coeff;
                    }
                    if w != s {
                        cb[w] += delta[w];
                    }
                }
            }
            cb
        })
        .collect();
    let mut cb = add_up(parts, n);
    if opts.normalized && n > 2 {
        let scale = 1.0 / ((n - 1) as f64 * (n - 2) as f64);
        for c in cb.iter_mut() {
            *c *= scale;
        }
    }
    Scores(cb)
}

#[derive(Debug, Clone)]
pub struct ApproximateOptions {
    pub length: Length,
    pub normalized: bool,
    /// Largest error allowed, in units of betweenness normalized by n(n−1).
    pub epsilon: f64,
    /// Probability that the error exceeds ε somewhere.
    pub delta: f64,
    pub seed: u64,
}

impl Default for ApproximateOptions {
    fn default() -> Self {
        ApproximateOptions {
            length: Length::Hops,
            normalized: true,
            epsilon: 0.01,
            delta: 0.1,
            seed: 0,
        }
    }
}

/// Sampled betweenness and what the sample guarantees.
#[derive(Debug, Clone)]
pub struct Approximate {
    pub scores: Scores,
    pub samples: usize,
    /// With probability ≥ 1 − δ every score is within this of the exact one (same units as the
    /// scores).
    pub error_bound: f64,
}

/// Number of samples Riondato–Kornaropoulos ask for.
pub fn sample_size(vertex_diameter: usize, epsilon: f64, delta: f64) -> usize {
    let vd = vertex_diameter.saturating_sub(2).max(1) as f64;
    let r = 0.5 / (epsilon * epsilon) * (vd.log2().floor() + 1.0 + (1.0 / delta).ln());
    r.ceil() as usize
}

pub fn approximate_betweenness(
    g: &Graph,
    opts: &ApproximateOptions,
) -> Result<Approximate, String> {
    if !(opts.epsilon > 0.0 && opts.epsilon < 1.0 && opts.delta > 0.0 && opts.delta < 1.0) {
        return Err(format!(
            "epsilon {} and delta {} must both lie strictly between 0 and 1",
            opts.epsilon, opts.delta
        ));
    }
    let n = g.n();
    let n_f = n as f64;
    let scale = if n < 3 {
        0.0
    } else if opts.normalized {
        n_f / (n_f - 2.0)
    } else {
        n_f * (n_f - 1.0)
    };
    if n < 3 {
        return Ok(Approximate {
            scores: Scores(vec![0.0; n]),
            samples: 0,
            error_bound: 0.0,
        });
    }
    let vd = vertex_diameter_bound(g, opts.length);
    let r = sample_size(vd, opts.epsilon, opts.delta);
    let per = r.div_ceil(BLOCKS);
    let parts: Vec<Vec<f64>> = (0..BLOCKS)
        .into_par_iter()
        .map(|block| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
            rng.jump();
            for _ in 0..block {
                rng.jump();
            }
            let mut counts = vec![0.0; n];
            let mut sampler = match opts.length {
                Length::Hops => Sampler::Hops(PathSampler::new(n)),
                Length::Weight => Sampler::Weight(Search::new(n)),
            };
            let count = per.min(r.saturating_sub(block * per));
            for _ in 0..count {
                let u = rng.random_range(0..n);
                let mut v = rng.random_range(0..n - 1);
                if v >= u {
                    v += 1;
                }
                match &mut sampler {
                    Sampler::Hops(s) => s.sample(g, u, v, &mut rng, &mut counts),
                    Sampler::Weight(s) => weighted_sample(g, s, u, v, &mut rng, &mut counts),
                }
            }
            counts
        })
        .collect();
    let total = add_up(parts, n);
    let unit = scale / r as f64;
    Ok(Approximate {
        scores: Scores(total.into_iter().map(|c| c * unit).collect()),
        samples: r,
        error_bound: opts.epsilon * scale,
    })
}

/// An upper bound on the number of nodes on any shortest path (see the module's notes).
pub fn vertex_diameter_bound(g: &Graph, length: Length) -> usize {
    let n = g.n();
    let labels = weak_components(g);
    let mut sizes = vec![0usize; n];
    for &c in &labels {
        sizes[c as usize] += 1;
    }
    if length != Length::Hops || !is_symmetric(g) {
        return sizes.into_iter().max().unwrap_or(0);
    }
    // One breadth-first search per component, from its first node.
    let mut dist = vec![u32::MAX; n];
    let mut queue = Vec::new();
    let mut vd = 0;
    for s in 0..n {
        if dist[s] != u32::MAX {
            continue;
        }
        dist[s] = 0;
        queue.clear();
        queue.push(s);
        let mut head = 0;
        let mut ecc = 0;
        while head < queue.len() {
            let u = queue[head];
            head += 1;
            ecc = ecc.max(dist[u]);
            for (v, _) in g.out_edges(u) {
                if dist[v] == u32::MAX {
                    dist[v] = dist[u] + 1;
                    queue.push(v);
                }
            }
        }
        let size = sizes[labels[s] as usize];
        vd = vd.max(size.min(2 * ecc as usize + 1));
    }
    vd
}

/// Whether every edge u→v has its reverse v→u (weights aside).
fn is_symmetric(g: &Graph) -> bool {
    (0..g.n()).all(|u| {
        g.out_degree(u) == g.in_degree(u)
            && g.out_edges(u).map(|e| e.0).eq(g.in_edges(u).map(|e| e.0))
    })
}

enum Sampler {
    Hops(PathSampler),
    Weight(Search),
}

/// Dijkstra from u stopped at v, then a walk back from v choosing each predecessor with its
/// share of the shortest paths.
fn weighted_sample(
    g: &Graph,
    search: &mut Search,
    u: usize,
    v: usize,
    rng: &mut Xoshiro256PlusPlus,
    counts: &mut [f64],
) {
    search.run_until(g, u, Some(v), Length::Weight, Direction::Out);
    if search.sigma[v] == 0.0 {
        return;
    }
    let mut w = v;
    while w != u {
        let mut pick = rng.random::<f64>() * search.sigma[w];
        let preds = search.preds(w);
        let mut next = preds[preds.len() - 1] as usize;
        for &p in preds {
            let s = search.sigma[p as usize];
            if pick < s {
                next = p as usize;
                break;
            }
            pick -= s;
        }
        if next != u {
            counts[next] += 1.0;
        }
        w = next;
    }
}

/// Balanced bidirectional breadth-first search that draws one shortest u→v path uniformly at
/// random (the sampler of Borassi & Natale's KADABRA, 2016): the side whose frontier has fewer
/// edges to scan grows by one level until the two meet, so on small-world graphs a sample
/// touches a small part of the graph instead of all of it.
struct PathSampler {
    dist_f: Vec<u32>,
    dist_b: Vec<u32>,
    sigma_f: Vec<f64>,
    sigma_b: Vec<f64>,
    seen_f: Vec<u32>,
    seen_b: Vec<u32>,
    meets: Vec<(u32, u32, f64)>,
}

const UNSEEN: u32 = u32::MAX;

impl PathSampler {
    fn new(n: usize) -> PathSampler {
        PathSampler {
            dist_f: vec![UNSEEN; n],
            dist_b: vec![UNSEEN; n],
            sigma_f: vec![0.0; n],
            sigma_b: vec![0.0; n],
            seen_f: Vec::new(),
            seen_b: Vec::new(),
            meets: Vec::new(),
        }
    }

    fn reset(&mut self) {
        for &x in &self.seen_f {
            self.dist_f[x as usize] = UNSEEN;
            self.sigma_f[x as usize] = 0.0;
        }
        for &x in &self.seen_b {
            self.dist_b[x as usize] = UNSEEN;
            self.sigma_b[x as usize] = 0.0;
        }
        self.seen_f.clear();
        self.seen_b.clear();
        self.meets.clear();
    }

    /// Adds one to `counts` for every inner node of a uniformly drawn shortest u→v path; does
    /// nothing when v cannot be reached from u.
    fn sample(
        &mut self,
        g: &Graph,
        u: usize,
        v: usize,
        rng: &mut Xoshiro256PlusPlus,
        counts: &mut [f64],
    ) {
        self.reset();
        self.dist_f[u] = 0;
        self.sigma_f[u] = 1.0;
        self.seen_f.push(u as u32);
        self.dist_b[v] = 0;
        self.sigma_b[v] = 1.0;
        self.seen_b.push(v as u32);
        // Current frontiers as ranges of the seen lists, and the edges each would scan.
        let (mut front_f, mut front_b) = (0..1, 0..1);
        let (mut work_f, mut work_b) = (g.out_degree(u), g.in_degree(v));
        while self.meets.is_empty() {
            if front_f.is_empty() || front_b.is_empty() {
                return;
            }
            let forward = work_f <= work_b;
            let (front, seen, dist, sigma, other) = if forward {
                (
                    &mut front_f,
                    &mut self.seen_f,
                    &mut self.dist_f,
                    &mut self.sigma_f,
                    &self.dist_b,
                )
            } else {
                (
                    &mut front_b,
                    &mut self.seen_b,
                    &mut self.dist_b,
                    &mut self.sigma_b,
                    &self.dist_f,
                )
            };
            let mut work = 0;
            let end = seen.len();
            for i in front.clone() {
                let x = seen[i] as usize;
                let next = dist[x] + 1;
                let sx = sigma[x];
                let mut visit = |y: usize| {
                    if other[y] != UNSEEN {
                        let (a, b) = if forward { (x, y) } else { (y, x) };
                        self.meets.push((a as u32, b as u32, 0.0));
                    } else if dist[y] == UNSEEN {
                        dist[y] = next;
                        sigma[y] = sx;
                        seen.push(y as u32);
                        work += if forward {
                            g.out_degree(y)
                        } else {
                            g.in_degree(y)
                        };
                    } else if dist[y] == next {
                        sigma[y] += sx;
                    }
                };
                if forward {
                    g.out_edges(x).for_each(|(y, _)| visit(y));
                } else {
                    g.in_edges(x).for_each(|(y, _)| visit(y));
                }
            }
            *front = end..seen.len();
            if forward {
                work_f = work;
            } else {
                work_b = work;
            }
        }
        // Every meeting edge a→b lies on a path of length d_f(a) + 1 + d_b(b); keep the shortest
        // and draw one in proportion to the paths through it.
        let length = |&(a, b, _): &(u32, u32, f64)| {
            self.dist_f[a as usize] as u64 + self.dist_b[b as usize] as u64
        };
        let shortest = self.meets.iter().map(length).min().unwrap_or(0);
        let mut total = 0.0;
        for m in self.meets.iter_mut() {
            if self.dist_f[m.0 as usize] as u64 + self.dist_b[m.1 as usize] as u64 == shortest {
                m.2 = self.sigma_f[m.0 as usize] * self.sigma_b[m.1 as usize];
                total += m.2;
            }
        }
        let mut pick = rng.random::<f64>() * total;
        let mut chosen = None;
        for &(a, b, w) in &self.meets {
            if w > 0.0 {
                chosen = Some((a as usize, b as usize));
                if pick < w {
                    break;
                }
                pick -= w;
            }
        }
        let Some((a, b)) = chosen else { return };
        // Back from a to u through forward predecessors, on from b to v through backward ones,
        // each step choosing a neighbour with its share of the paths.
        let mut w = a;
        while w != u {
            counts[w] += 1.0;
            w = Self::step(g.in_edges(w), &self.dist_f, &self.sigma_f, w, rng);
        }
        let mut w = b;
        while w != v {
            counts[w] += 1.0;
            w = Self::step(g.out_edges(w), &self.dist_b, &self.sigma_b, w, rng);
        }
    }

    /// A neighbour one level nearer the search's source, drawn with probability σ(p)/σ(w).
    fn step(
        neighbours: impl Iterator<Item = (usize, f64)>,
        dist: &[u32],
        sigma: &[f64],
        w: usize,
        rng: &mut Xoshiro256PlusPlus,
    ) -> usize {
        let level = dist[w] - 1;
        let mut pick = rng.random::<f64>() * sigma[w];
        let mut last = w;
        for (p, _) in neighbours {
            if dist[p] == level {
                last = p;
                if pick < sigma[p] {
                    return p;
                }
                pick -= sigma[p];
            }
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_centre_of_a_star_lies_on_every_path() {
        let spokes: Vec<(u32, u32)> = (1..6).flat_map(|leaf| [(0, leaf), (leaf, 0)]).collect();
        let g = Graph::from_pairs(6, &spokes).unwrap();
        let b = betweenness(&g, &BetweennessOptions::default());
        assert!((b.get(0) - 1.0).abs() < 1e-12);
        assert!((1..6).all(|leaf| b.get(leaf) == 0.0));
        // A path a -> b -> c: only b is between, once, out of (n-1)(n-2) = 2 ordered pairs.
        let g = Graph::from_pairs(3, &[(0, 1), (1, 2)]).unwrap();
        assert_eq!(
            betweenness(&g, &BetweennessOptions::default()).0,
            vec![0.0, 0.5, 0.0]
        );
    }

    #[test]
    fn the_vertex_diameter_bound_holds_and_is_tight_where_it_can_be() {
        let both = |pairs: &[(u32, u32)]| -> Vec<(u32, u32)> {
            pairs.iter().flat_map(|&(a, b)| [(a, b), (b, a)]).collect()
        };
        // A star: from the centre, eccentricity 1, so 3 nodes (exact).
        let star: Vec<(u32, u32)> = (1..40).map(|leaf| (0, leaf)).collect();
        let g = Graph::from_pairs(40, &both(&star)).unwrap();
        assert_eq!(vertex_diameter_bound(&g, Length::Hops), 3);
        // A path of 10 searched from an end: 2·9 + 1 capped by the component's 10 nodes.
        let path: Vec<(u32, u32)> = (0..9).map(|i| (i, i + 1)).collect();
        let g = Graph::from_pairs(10, &both(&path)).unwrap();
        assert_eq!(vertex_diameter_bound(&g, Length::Hops), 10);
        // A path of 21 searched from its middle (node 0 relabelled to the middle): 2·10 + 1.
        let middle: Vec<(u32, u32)> = (0..20)
            .map(|i| (i, i + 1))
            .map(|(a, b)| ((a + 11) % 21, (b + 11) % 21))
            .collect();
        let g = Graph::from_pairs(21, &both(&middle)).unwrap();
        assert_eq!(vertex_diameter_bound(&g, Length::Hops), 21);
        // Two components: the larger bound wins (a triangle: 3; a 5-path from its end: 5).
        let mut two = both(&[(0, 1), (1, 2), (2, 0)]);
        two.extend(both(&[(3, 4), (4, 5), (5, 6), (6, 7)]));
        let g = Graph::from_pairs(8, &two).unwrap();
        assert_eq!(vertex_diameter_bound(&g, Length::Hops), 5);
        // Directed, or weighted lengths: the component's size.
        let g = Graph::from_pairs(10, &path).unwrap();
        assert_eq!(vertex_diameter_bound(&g, Length::Hops), 10);
        let g = Graph::from_pairs(40, &both(&star)).unwrap();
        assert_eq!(vertex_diameter_bound(&g, Length::Weight), 40);
        // The bound is never below the true number of nodes on a longest shortest path, on
        // random symmetric graphs (checked against every source's breadth-first search).
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for _ in 0..30 {
            let n = rng.random_range(2..40u32);
            let m = rng.random_range(1..3 * n);
            let edges: Vec<(u32, u32)> = (0..m)
                .map(|_| (rng.random_range(0..n), rng.random_range(0..n)))
                .filter(|(a, b)| a != b)
                .collect();
            let g = Graph::from_pairs(n as usize, &both(&edges)).unwrap();
            let mut search = Search::new(n as usize);
            let mut truth = 1;
            for s in 0..n as usize {
                search.run(&g, s, Length::Hops, Direction::Out);
                let far = search
                    .order
                    .iter()
                    .map(|&v| search.dist[v])
                    .fold(0.0, f64::max);
                truth = truth.max(far as usize + 1);
            }
            assert!(vertex_diameter_bound(&g, Length::Hops) >= truth);
        }
    }

    #[test]
    fn sampling_finds_the_centre_of_a_star_and_is_seeded() {
        let spokes: Vec<(u32, u32)> = (1..40).flat_map(|leaf| [(0, leaf), (leaf, 0)]).collect();
        let g = Graph::from_pairs(40, &spokes).unwrap();
        let opts = ApproximateOptions {
            epsilon: 0.05,
            ..Default::default()
        };
        let a = approximate_betweenness(&g, &opts).unwrap();
        // Every pair of leaves goes through the centre: exact value 1; a pair with the centre at
        // one end adds nothing, which the estimator sees as 38·39/(40·39) of pairs, times n/(n−2).
        assert!((a.scores.get(0) - 1.0).abs() <= a.error_bound);
        assert!((1..40).all(|leaf| a.scores.get(leaf) == 0.0));
        let b = approximate_betweenness(&g, &opts).unwrap();
        assert_eq!(a.scores, b.scores);
        // The vertex diameter is bounded by the star's 3 nodes, not its 40.
        assert_eq!(a.samples, sample_size(3, 0.05, 0.1));
    }

    #[test]
    fn sampled_paths_are_uniform_among_many_shortest_ones() {
        // A 7×7 grid: pairs far apart have many shortest paths, so a sampler that did not draw
        // them in proportion to their counts would miss the exact values by far more than ε.
        let side = 7u32;
        let mut pairs = Vec::new();
        for r in 0..side {
            for c in 0..side {
                let v = r * side + c;
                if c + 1 < side {
                    pairs.extend([(v, v + 1), (v + 1, v)]);
                }
                if r + 1 < side {
                    pairs.extend([(v, v + side), (v + side, v)]);
                }
            }
        }
        let g = Graph::from_pairs((side * side) as usize, &pairs).unwrap();
        let exact = betweenness(&g, &BetweennessOptions::default());
        for seed in 0..3 {
            let opts = ApproximateOptions {
                epsilon: 0.02,
                seed,
                ..Default::default()
            };
            let a = approximate_betweenness(&g, &opts).unwrap();
            for v in 0..g.n() {
                let gap = (a.scores.get(v) - exact.get(v)).abs();
                assert!(gap <= a.error_bound, "node {v}: off by {gap}");
            }
        }
    }
}
