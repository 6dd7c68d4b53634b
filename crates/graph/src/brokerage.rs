//! Brokerage roles of Gould and Fernandez given a partition of the nodes into groups.
//!
//! Reference: Gould & Fernandez (1989), "Structures of mediation: a formal approach to brokerage
//! in transaction networks", Sociological Methodology 19. A node b brokers every open two-path
//! a → b → c (a, b, c distinct, no edge a → c). The role depends on the groups:
//!
//! | role           | groups                  |
//! |----------------|-------------------------|
//! | coordinator    | a, b, c all in one      |
//! | itinerant      | a and c in one, b out   |
//! | representative | a and b in one, c out   |
//! | gatekeeper     | b and c in one, a out   |
//! | liaison        | all three different     |
//!
//! These are the raw counts of statnet's `brokerage()` (Butts), edges unweighted. Time
//! O(Σ_b in(b)·out(b)·log deg), nodes in parallel.

use crate::Graph;
use rayon::prelude::*;

/// Open two-paths a node brokers, by role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Brokerage {
    pub coordinator: u64,
    pub itinerant: u64,
    pub representative: u64,
    pub gatekeeper: u64,
    pub liaison: u64,
}

impl Brokerage {
    pub fn total(&self) -> u64 {
        self.coordinator + self.itinerant + self.representative + self.gatekeeper + self.liaison
    }
}

/// Brokerage counts for every node; `group[v]` is the group of node v.
pub fn brokerage(g: &Graph, group: &[u32]) -> Result<Vec<Brokerage>, String> {
    if group.len() != g.n() {
        return Err(format!(
            "{} group labels for a graph of {} nodes",
            group.len(),
            g.n()
        ));
    }
    Ok((0..g.n())
        .into_par_iter()
        .map(|b| {
            let mut out = Brokerage::default();
            for (a, _) in g.in_edges(b) {
                if a == b {
                    continue;
                }
                for (c, _) in g.out_edges(b) {
                    if c == b || c == a || g.weight(a, c).is_some() {
                        continue;
                    }
                    let (ga, gb, gc) = (group[a], group[b], group[c]);
                    let slot = match (ga == gb, gb == gc, ga == gc) {
                        (true, true, _) => &mut out.coordinator,
                        (false, false, true) => &mut out.itinerant,
                        (true, false, _) => &mut out.representative,
                        (false, true, _) => &mut out.gatekeeper,
                        (false, false, false) => &mut out.liaison,
                    };
                    *slot += 1;
                }
            }
            out
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_on_its_own_two_path() {
        // 0 → 1 → 2 with groups chosen per role; node 1 is the broker.
        let g = Graph::from_pairs(3, &[(0, 1), (1, 2)]).unwrap();
        let role = |groups: [u32; 3]| brokerage(&g, &groups).unwrap()[1];
        assert_eq!(role([0, 0, 0]).coordinator, 1);
        assert_eq!(role([0, 1, 0]).itinerant, 1);
        assert_eq!(role([0, 0, 1]).representative, 1);
        assert_eq!(role([1, 0, 0]).gatekeeper, 1);
        assert_eq!(role([0, 1, 2]).liaison, 1);
        // Closing the path a → c removes the brokerage.
        let closed = Graph::from_pairs(3, &[(0, 1), (1, 2), (0, 2)]).unwrap();
        assert_eq!(brokerage(&closed, &[0, 0, 0]).unwrap()[1].total(), 0);
        assert!(brokerage(&g, &[0, 0]).is_err());
    }
}
