//! One result shape for every node measure: a value per node, with ranking helpers.

/// A value for each node 0..n.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores(pub Vec<f64>);

impl Scores {
    pub fn get(&self, node: usize) -> f64 {
        self.0[node]
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `k` highest-scoring nodes, highest first; ties go to the smaller index.
    pub fn top(&self, k: usize) -> Vec<(usize, f64)> {
        let mut order: Vec<usize> = (0..self.0.len()).collect();
        order.sort_by(|&a, &b| self.0[b].total_cmp(&self.0[a]).then(a.cmp(&b)));
        order.into_iter().take(k).map(|i| (i, self.0[i])).collect()
    }

    /// Rank of every node (0 = highest), ties broken by index.
    pub fn ranks(&self) -> Vec<usize> {
        let mut ranks = vec![0; self.0.len()];
        for (rank, (node, _)) in self.top(self.0.len()).into_iter().enumerate() {
            ranks[node] = rank;
        }
        ranks
    }

    /// Percentile of every node in [0, 1] (the share of nodes scoring strictly lower; ties share
    /// the same percentile).
    pub fn percentiles(&self) -> Vec<f64> {
        let n = self.0.len();
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        self.0
            .iter()
            .map(|v| {
                let below = sorted.partition_point(|x| x.total_cmp(v).is_lt());
                if n > 1 {
                    below as f64 / (n - 1) as f64
                } else {
                    0.0
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_is_deterministic_on_ties() {
        let s = Scores(vec![0.2, 0.5, 0.2, 0.1]);
        assert_eq!(s.top(3), vec![(1, 0.5), (0, 0.2), (2, 0.2)]);
        assert_eq!(s.ranks(), vec![1, 0, 2, 3]);
        assert_eq!(s.percentiles(), vec![1.0 / 3.0, 1.0, 1.0 / 3.0, 0.0]);
    }
}
