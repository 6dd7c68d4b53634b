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

/// Deepest level the bit-parallel search keeps counts for; a graph with longer shortest paths
/// is searched one node at a time instead.
const LEVELS: usize = 64;

/// What closeness and harmonic need, for every node at once, by bit-parallel breadth-first
/// search (Then et al., "The More the Merrier", VLDB 2014): 64 sources per batch advance along
/// out-edges together, one bit each, and every node counts, per distance, how many sources first
/// reached it there. Exact: the counts are integers, and Σ 1/d is summed from them in order of
/// distance (so two nodes with the same distances get the same value). O(m · depth) per 64
/// sources instead of O(m) per source. None when a path is longer than [`LEVELS`].
fn hop_sums_bitwise(g: &Graph) -> Option<Vec<(usize, f64, f64)>> {
    let all: Vec<u32> = (0..g.n() as u32).collect();
    hop_sums_from(g, &all)
}

/// [`hop_sums_bitwise`] from the given sources only: per node, what the searches from
/// `sources` found (nodes reached including the node itself, Σ distances, Σ 1/distance).
fn hop_sums_from(g: &Graph, sources: &[u32]) -> Option<Vec<(usize, f64, f64)>> {
    let n = g.n();
    let batches = sources.len().div_ceil(64);
    let threads = rayon::current_num_threads().clamp(1, batches.max(1));
    // Each worker takes every threads-th batch and keeps its own counts.
    let parts: Vec<Option<Vec<u32>>> = (0..threads)
        .into_par_iter()
        .map(|t| {
            let mut counts = vec![0u32; n * LEVELS];
            let (mut seen, mut frontier, mut next) = (vec![0u64; n], vec![0u64; n], vec![0u64; n]);
            for batch in (t..batches).step_by(threads) {
                let first = batch * 64;
                let last = (first + 64).min(sources.len());
                let full = if last - first == 64 {
                    u64::MAX
                } else {
                    (1u64 << (last - first)) - 1
                };
                seen.iter_mut().for_each(|x| *x = 0);
                frontier.iter_mut().for_each(|x| *x = 0);
                for (bit, &s) in sources[first..last].iter().enumerate() {
                    seen[s as usize] |= 1 << bit;
                    frontier[s as usize] |= 1 << bit;
                }
                let mut level = 0;
                loop {
                    level += 1;
                    let mut any = false;
                    for v in 0..n {
                        let mut bits = 0u64;
                        if seen[v] != full {
                            for &u in g.in_sources(v) {
                                bits |= frontier[u as usize];
                            }
                            bits &= !seen[v];
                        }
                        next[v] = bits;
                        any |= bits != 0;
                    }
                    if !any {
                        break;
                    }
                    if level >= LEVELS {
                        return None;
                    }
                    for v in 0..n {
                        if next[v] != 0 {
                            counts[v * LEVELS + level] += next[v].count_ones();
                            seen[v] |= next[v];
                        }
                    }
                    std::mem::swap(&mut frontier, &mut next);
                }
            }
            Some(counts)
        })
        .collect();
    let mut counts = vec![0u64; n * LEVELS];
    for part in parts {
        for (c, p) in counts.iter_mut().zip(part?) {
            *c += u64::from(p);
        }
    }
    Some(
        (0..n)
            .map(|v| {
                let row = &counts[v * LEVELS..(v + 1) * LEVELS];
                let (mut reached, mut total, mut inverse) = (1usize, 0u64, 0.0f64);
                for (d, &c) in row.iter().enumerate().skip(1) {
                    reached += c as usize;
                    total += c * d as u64;
                    inverse += c as f64 / d as f64;
                }
                (reached, total as f64, inverse)
            })
            .collect(),
    )
}

/// Breadth-first search by in-edges from every node, in parallel, keeping only what closeness
/// and harmonic need: (nodes reached including the source, Σ distances, Σ 1/distance).
fn hop_sums(g: &Graph) -> Vec<(usize, f64, f64)> {
    if let Some(sums) = hop_sums_bitwise(g) {
        return sums;
    }
    hop_sums_one_by_one(g)
}

/// [`hop_sums`] one source at a time (any depth).
fn hop_sums_one_by_one(g: &Graph) -> Vec<(usize, f64, f64)> {
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

/// Harmonic centrality (hops) estimated from a uniform sample of sources, for graphs too large
/// for one search per node.
#[derive(Debug, Clone)]
pub struct SampledHarmonic {
    pub scores: Scores,
    /// Sources searched (a multiple of 64, or every node, when the estimate is exact).
    pub samples: usize,
    /// With probability at least 1 − δ, every node's estimate is within this of its exact
    /// harmonic centrality divided by n − 1 (0 when every node was a source).
    pub error_bound: f64,
}

/// Harmonic centrality by hops (as [`harmonic`]) estimated from k sources drawn uniformly
/// without replacement (Eppstein and Wang, "Fast approximation of centrality", 2004): for each
/// node v, (n / k) · Σ over sampled sources s of 1/d(s → v), unbiased. Each source adds a term
/// in [0, 1], so by Hoeffding's inequality (which holds for sampling without replacement) and a
/// union bound over the n nodes, k = ⌈(n/(n−1))² · ln(2n/δ) / (2ε²)⌉ sources put every
/// estimate within ε·(n − 1) of the exact value with probability at least 1 − δ. k is rounded up
/// to a whole number of 64-source batches (the extra sources are free); when k reaches n every
/// node is a source and the result is [`harmonic`]'s, exact. Deterministic for a seed.
///
/// # Panics
/// If `epsilon` or `delta` is not in (0, 1).
pub fn harmonic_sampled(g: &Graph, epsilon: f64, delta: f64, seed: u64) -> SampledHarmonic {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    assert!(epsilon > 0.0 && epsilon < 1.0, "epsilon in (0, 1)");
    assert!(delta > 0.0 && delta < 1.0, "delta in (0, 1)");
    let n = g.n();
    let needed = |nf: f64| {
        ((nf / (nf - 1.0)).powi(2) * (2.0 * nf / delta).ln() / (2.0 * epsilon * epsilon)).ceil()
    };
    let k = if n < 2 {
        n
    } else {
        (needed(n as f64) as usize).div_ceil(64).saturating_mul(64)
    };
    if k >= n {
        return SampledHarmonic {
            scores: harmonic(g, Length::Hops),
            samples: n,
            error_bound: 0.0,
        };
    }
    let mut sources: Vec<u32> = (0..n as u32).collect();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let (chosen, _) = sources.partial_shuffle(&mut rng, k);
    let mut chosen = chosen.to_vec();
    // Sorted sources read nearby memory together; the set, not the order, is the sample.
    chosen.sort_unstable();
    let scale = n as f64 / k as f64;
    let scores = match hop_sums_from(g, &chosen) {
        Some(sums) => sums.into_iter().map(|(_, _, h)| h * scale).collect(),
        None => {
            // A path longer than the bit-parallel search keeps: one search per source.
            let mut inverse = vec![0.0; n];
            let mut search = Search::new(n);
            for &s in &chosen {
                search.run(g, s as usize, Length::Hops, Direction::Out);
                for &v in &search.order {
                    let d = search.dist[v];
                    if d > 0.0 {
                        inverse[v] += 1.0 / d;
                    }
                }
            }
            inverse.into_iter().map(|h| h * scale).collect()
        }
    };
    let nf = n as f64;
    SampledHarmonic {
        scores: Scores(scores),
        samples: k,
        error_bound: (nf / (nf - 1.0)) * ((2.0 * nf / delta).ln() / (2.0 * k as f64)).sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded random directed graph with `n` nodes and about `m` edges.
    fn random(n: usize, m: usize, seed: u64) -> Graph {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let edges = (0..m)
            .map(|_| ((next() % n as u64) as u32, (next() % n as u64) as u32, 1.0))
            .filter(|e| e.0 != e.1)
            .collect();
        Graph::from_edges(n, edges).unwrap()
    }

    #[test]
    fn the_bit_parallel_search_agrees_with_one_search_per_node() {
        for (n, m, seed) in [
            (1, 0, 1),
            (63, 90, 2),
            (64, 200, 3),
            (65, 80, 4),
            (300, 900, 5),
            (700, 600, 6),
        ] {
            for g in [random(n, m, seed), random(n, m, seed).to_undirected()] {
                let fast = hop_sums_bitwise(&g).expect("shallow");
                let slow = hop_sums_one_by_one(&g);
                for (v, (f, s)) in fast.iter().zip(&slow).enumerate() {
                    assert_eq!((f.0, f.1), (s.0, s.1), "node {v} of n={n}");
                    assert!(
                        (f.2 - s.2).abs() <= 1e-12 * s.2.max(1.0),
                        "node {v}: {f:?} {s:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_path_longer_than_the_levels_kept_falls_back() {
        let n = LEVELS + 10;
        let edges = (0..n - 1).map(|i| (i as u32, i as u32 + 1, 1.0)).collect();
        let g = Graph::from_edges(n, edges).unwrap();
        assert!(hop_sums_bitwise(&g).is_none());
        let sums = hop_sums(&g);
        // The last node is reached from every other: Σ 1/d = H(n − 1).
        let h: f64 = (1..n).map(|d| 1.0 / d as f64).sum();
        assert!((sums[n - 1].2 - h).abs() < 1e-12);
        assert_eq!(sums[n - 1].0, n);
    }

    /// The exact harmonic sum from a given sample of sources, one search per source.
    fn naive_from(g: &Graph, sources: &[u32]) -> Vec<f64> {
        let mut h = vec![0.0; g.n()];
        let mut search = Search::new(g.n());
        for &s in sources {
            search.run(g, s as usize, Length::Hops, Direction::Out);
            for &v in &search.order {
                if search.dist[v] > 0.0 {
                    h[v] += 1.0 / search.dist[v];
                }
            }
        }
        h
    }

    #[test]
    fn searches_from_chosen_sources_agree_with_one_search_per_source() {
        for (n, m, seed) in [(200, 700, 7), (300, 400, 8)] {
            let g = random(n, m, seed);
            let sources: Vec<u32> = (0..n as u32).filter(|v| v % 3 == 1).collect();
            let fast = hop_sums_from(&g, &sources).expect("shallow");
            let slow = naive_from(&g, &sources);
            for (f, s) in fast.iter().zip(&slow) {
                assert!((f.2 - s).abs() <= 1e-12 * s.max(1.0), "{f:?} {s}");
            }
        }
    }

    #[test]
    fn sampled_harmonic_is_exact_when_every_node_is_a_source_and_within_its_bound_otherwise() {
        // Small n needs more sources than nodes: exact.
        let g = random(300, 1500, 9).to_undirected();
        let s = harmonic_sampled(&g, 0.05, 0.1, 1);
        assert_eq!((s.samples, s.error_bound), (300, 0.0));
        assert_eq!(s.scores.0, harmonic(&g, Length::Hops).0);
        // A loose ε on a larger graph samples; every node within the bound (it holds with
        // probability ≥ 0.9 per seed; these seeds are fixed, so the test is deterministic).
        let g = random(6000, 30000, 10).to_undirected();
        let exact = harmonic(&g, Length::Hops).0;
        let norm = (g.n() - 1) as f64;
        for seed in 1..4 {
            let s = harmonic_sampled(&g, 0.12, 0.1, seed);
            assert!(
                s.samples < g.n() && s.samples.is_multiple_of(64),
                "{}",
                s.samples
            );
            let worst = exact
                .iter()
                .zip(&s.scores.0)
                .map(|(e, x)| (e - x).abs() / norm)
                .fold(0.0, f64::max);
            assert!(
                worst <= s.error_bound,
                "seed {seed}: {worst} > {}",
                s.error_bound
            );
            // Not trivially loose: the estimate moves with the seed, and is far better than ε.
            assert!(worst > 0.0 && worst < s.error_bound / 2.0, "{worst}");
            assert_eq!(s.scores.0, harmonic_sampled(&g, 0.12, 0.1, seed).scores.0);
        }
    }
}
