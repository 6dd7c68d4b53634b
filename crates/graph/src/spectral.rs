//! Eigenvector, HITS and Katz centrality by power iteration on in-edges.
//!
//! - Eigenvector: Bonacich (1972); networkx's `eigenvector_centrality` — iterates A + I (the shift
//!   avoids oscillation on bipartite-like graphs), Euclidean norm 1, a node's score gathered from
//!   the scores of those pointing at it, times the edge weight.
//! - HITS: Kleinberg (1999), "Authoritative sources in a hyperlinked environment"; authorities
//!   are the dominant right singular vector of the weighted adjacency matrix, hubs = A·a; both
//!   scaled to sum 1 as networkx's `hits` does.
//! - Katz: Katz (1953); networkx's `katz_centrality` — x = α·Aᵀx + β, Euclidean norm 1. α must
//!   be below 1/λ_max or the iteration diverges (reported as not converged).
//!
//! Time O(iterations · (n + m)), memory O(n).

use crate::{Graph, Scores};
use rayon::prelude::*;

#[derive(Debug, Clone)]
pub struct PowerOptions {
    /// Stop when Σ|x − x_last| < n · tolerance.
    pub tolerance: f64,
    pub max_iterations: usize,
}

impl Default for PowerOptions {
    fn default() -> Self {
        PowerOptions {
            tolerance: 1e-6,
            max_iterations: 1000,
        }
    }
}

/// The iteration did not settle; the last iterate is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct NotConverged(pub Scores);

fn l1_change(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
}

fn l2_normalize(x: &mut [f64]) {
    let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        x.iter_mut().for_each(|v| *v /= norm);
    }
}

pub fn eigenvector(g: &Graph, opts: &PowerOptions) -> Result<Scores, NotConverged> {
    let n = g.n();
    let mut x = vec![1.0 / n.max(1) as f64; n];
    let mut next = vec![0.0; n];
    for _ in 0..opts.max_iterations {
        for (v, slot) in next.iter_mut().enumerate() {
            *slot = x[v] + g.in_edges(v).map(|(u, w)| x[u] * w).sum::<f64>();
        }
        l2_normalize(&mut next);
        let change = l1_change(&next, &x);
        std::mem::swap(&mut x, &mut next);
        if change < n as f64 * opts.tolerance {
            return Ok(Scores(x));
        }
    }
    Err(NotConverged(Scores(x)))
}

/// (hubs, authorities)
pub fn hits(g: &Graph, opts: &PowerOptions) -> Result<(Scores, Scores), NotConverged> {
    let n = g.n();
    let mut a = vec![1.0 / n.max(1) as f64; n];
    let mut h = vec![0.0; n];
    let mut next = vec![0.0; n];
    let scale_sum = |x: &mut [f64]| {
        let s: f64 = x.iter().sum();
        if s > 0.0 {
            x.iter_mut().for_each(|v| *v /= s);
        }
    };
    for _ in 0..opts.max_iterations {
        // h = A a, then a = Aᵀ h; rows in parallel, each sum in the same order as one thread's.
        h.par_iter_mut()
            .enumerate()
            .with_min_len(crate::ROWS_PER_TASK)
            .for_each(|(u, slot)| *slot = g.out_edges(u).map(|(v, w)| w * a[v]).sum());
        next.par_iter_mut()
            .enumerate()
            .with_min_len(crate::ROWS_PER_TASK)
            .for_each(|(v, slot)| *slot = g.in_edges(v).map(|(u, w)| w * h[u]).sum());
        scale_sum(&mut next);
        let change = l1_change(&next, &a);
        std::mem::swap(&mut a, &mut next);
        if change < n as f64 * opts.tolerance {
            for (u, slot) in h.iter_mut().enumerate() {
                *slot = g.out_edges(u).map(|(v, w)| w * a[v]).sum();
            }
            scale_sum(&mut h);
            return Ok((Scores(h), Scores(a)));
        }
    }
    Err(NotConverged(Scores(a)))
}

pub fn katz(g: &Graph, alpha: f64, beta: f64, opts: &PowerOptions) -> Result<Scores, NotConverged> {
    let n = g.n();
    let mut x = vec![0.0; n];
    let mut next = vec![0.0; n];
    for _ in 0..opts.max_iterations {
        for (v, slot) in next.iter_mut().enumerate() {
            *slot = alpha * g.in_edges(v).map(|(u, w)| x[u] * w).sum::<f64>() + beta;
        }
        let change = l1_change(&next, &x);
        std::mem::swap(&mut x, &mut next);
        if !change.is_finite() {
            break;
        }
        if change < n as f64 * opts.tolerance {
            l2_normalize(&mut x);
            return Ok(Scores(x));
        }
    }
    Err(NotConverged(Scores(x)))
}

/// Estimate of the spectral radius λ_max of the weighted adjacency matrix (the Perron root), as
/// the growth rate of power iteration on A + I started from all ones: the shift makes λ_max + 1
/// the one eigenvalue of largest modulus, so the iteration cannot oscillate. Meant for choosing
/// Katz's α below 1/λ_max; stops when the rate changes by less than `tolerance` (relative).
pub fn spectral_radius(g: &Graph, opts: &PowerOptions) -> f64 {
    let n = g.n();
    if n == 0 || g.m() == 0 {
        return 0.0;
    }
    let mut x = vec![1.0 / (n as f64).sqrt(); n];
    let mut next = vec![0.0; n];
    let mut rate = 0.0;
    for _ in 0..opts.max_iterations {
        for (v, slot) in next.iter_mut().enumerate() {
            *slot = x[v] + g.in_edges(v).map(|(u, w)| x[u] * w).sum::<f64>();
        }
        let norm = next.iter().map(|v| v * v).sum::<f64>().sqrt();
        let last = rate;
        rate = norm;
        next.iter_mut().for_each(|v| *v /= norm);
        std::mem::swap(&mut x, &mut next);
        if (rate - last).abs() <= opts.tolerance * rate {
            break;
        }
    }
    (rate - 1.0).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directed_cycle_gives_everyone_the_same_score() {
        let g = Graph::from_pairs(3, &[(0, 1), (1, 2), (2, 0)]).unwrap();
        let opts = PowerOptions {
            tolerance: 1e-14,
            ..Default::default()
        };
        let e = eigenvector(&g, &opts).unwrap();
        assert!(e.0.iter().all(|v| (v - 1.0 / 3f64.sqrt()).abs() < 1e-9));
        let k = katz(&g, 0.5, 1.0, &opts).unwrap();
        assert!(k.0.iter().all(|v| (v - 1.0 / 3f64.sqrt()).abs() < 1e-9));
        // Above 1/λ_max = 1 the Katz series diverges.
        assert!(katz(&g, 1.5, 1.0, &opts).is_err());
        let (h, a) = hits(&g, &opts).unwrap();
        assert!(h.0.iter().chain(&a.0).all(|v| (v - 1.0 / 3.0).abs() < 1e-9));
        assert!((spectral_radius(&g, &opts) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn spectral_radius_of_a_weighted_clique() {
        // K4 with every edge weighing 2: λ_max = 2·3.
        let mut edges = Vec::new();
        for u in 0..4 {
            for v in 0..4 {
                if u != v {
                    edges.push((u, v, 2.0));
                }
            }
        }
        let g = Graph::from_edges(4, edges).unwrap();
        let opts = PowerOptions {
            tolerance: 1e-14,
            ..Default::default()
        };
        assert!((spectral_radius(&g, &opts) - 6.0).abs() < 1e-9);
        // A star's radius is √(leaves).
        let star = Graph::from_pairs(
            5,
            &[
                (0, 1),
                (1, 0),
                (0, 2),
                (2, 0),
                (0, 3),
                (3, 0),
                (0, 4),
                (4, 0),
            ],
        )
        .unwrap();
        assert!((spectral_radius(&star, &opts) - 2.0).abs() < 1e-6);
    }
}
