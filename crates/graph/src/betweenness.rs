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
//! VD bounds the number of nodes on a shortest path: the size of the largest weakly connected
//! component. Time O(r·(m + n log n)), one search per sample, stopped at the target.

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
    let labels = weak_components(g);
    let mut sizes = vec![0usize; n];
    for &c in &labels {
        sizes[c as usize] += 1;
    }
    let vd = sizes.into_iter().max().unwrap_or(0);
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
            let mut search = Search::new(n);
            let count = per.min(r.saturating_sub(block * per));
            for _ in 0..count {
                let u = rng.random_range(0..n);
                let mut v = rng.random_range(0..n - 1);
                if v >= u {
                    v += 1;
                }
                search.run_until(g, u, Some(v), opts.length, Direction::Out);
                if search.sigma[v] == 0.0 {
                    continue;
                }
                // Walk back from v, choosing each predecessor with its share of paths.
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
        assert_eq!(a.samples, sample_size(40, 0.05, 0.1));
    }
}
