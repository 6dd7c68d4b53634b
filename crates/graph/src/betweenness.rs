//! Exact betweenness centrality.
//!
//! Reference: Brandes (2001), "A faster algorithm for betweenness centrality", J. Math. Sociol.
//! 25(2). Time O(n·m) unweighted, O(n·m + n²·log n) weighted; memory O(n + m). Normalization
//! follows networkx's `betweenness_centrality` on a directed graph: divided by (n−1)(n−2) when
//! `normalized` (an undirected graph given as its symmetric directed projection gets the same
//! values networkx gives the undirected graph).

use crate::paths::{Direction, Length, Search};
use crate::{Graph, Scores};

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
    let mut cb = vec![0.0; n];
    let mut search = Search::new(n);
    let mut delta = vec![0.0; n];
    for s in 0..n {
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
    if opts.normalized && n > 2 {
        let scale = 1.0 / ((n - 1) as f64 * (n - 2) as f64);
        for c in cb.iter_mut() {
            *c *= scale;
        }
    }
    Scores(cb)
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
}
