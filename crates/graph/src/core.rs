//! k-core decomposition: the core number of every node of the undirected projection.
//!
//! Reference: Batagelj and Zaversnik (2003), "An O(m) algorithm for cores decomposition of
//! networks". Time O(n + m), memory O(n). Self-loops are ignored and direction is dropped, as
//! networkx's `core_number` requires.

use crate::Graph;

pub fn core_numbers(g: &Graph) -> Vec<u32> {
    let n = g.n();
    let mut degree: Vec<usize> = (0..n).map(|v| g.neighbors(v).count()).collect();
    let max_degree = degree.iter().copied().max().unwrap_or(0);
    // Bucket sort of nodes by degree.
    let mut bin = vec![0usize; max_degree + 2];
    for &d in &degree {
        bin[d] += 1;
    }
    let mut start = 0;
    for b in bin.iter_mut() {
        let count = *b;
        *b = start;
        start += count;
    }
    let mut pos = vec![0usize; n];
    let mut order = vec![0usize; n];
    for v in 0..n {
        pos[v] = bin[degree[v]];
        order[pos[v]] = v;
        bin[degree[v]] += 1;
    }
    for d in (1..=max_degree + 1).rev() {
        bin[d] = bin[d - 1];
    }
    bin[0] = 0;
    for i in 0..n {
        let v = order[i];
        for w in g.neighbors(v) {
            if degree[w] > degree[v] {
                let dw = degree[w];
                let pw = pos[w];
                let first = bin[dw];
                let x = order[first];
                if x != w {
                    order[pw] = x;
                    pos[x] = pw;
                    order[first] = w;
                    pos[w] = first;
                }
                bin[dw] += 1;
                degree[w] -= 1;
            }
        }
    }
    degree.into_iter().map(|d| d as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_triangle_with_a_tail() {
        let g = Graph::from_pairs(5, &[(0, 1), (1, 2), (2, 0), (2, 3), (3, 4)]).unwrap();
        assert_eq!(core_numbers(&g), vec![2, 2, 2, 1, 1]);
    }
}
