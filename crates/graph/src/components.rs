//! Weakly and strongly connected components.
//!
//! Weak: union–find over the edges, O(m α(n)). Strong: Tarjan (1972), "Depth-first search and
//! linear graph algorithms", iterative so that deep graphs do not overflow the stack; O(n + m).
//! Components are numbered in the order of their smallest node, so the numbering depends only
//! on the graph.

use crate::Graph;

fn renumber_by_smallest(labels: &[usize]) -> Vec<u32> {
    let mut map = vec![u32::MAX; labels.len()];
    let mut next = 0;
    labels
        .iter()
        .map(|&l| {
            if map[l] == u32::MAX {
                map[l] = next;
                next += 1;
            }
            map[l]
        })
        .collect()
}

/// Component id of every node, ignoring edge direction.
pub fn weak_components(g: &Graph) -> Vec<u32> {
    let n = g.n();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (u, v, _) in g.edges() {
        let (a, b) = (find(&mut parent, u), find(&mut parent, v));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let roots: Vec<usize> = (0..n).map(|x| find(&mut parent, x)).collect();
    renumber_by_smallest(&roots)
}

/// Strongly connected component id of every node.
pub fn strong_components(g: &Graph) -> Vec<u32> {
    let n = g.n();
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut comp = vec![usize::MAX; n];
    let mut counter = 0u32;
    // Call stack of (node, position in its out-edge list).
    let mut calls: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        calls.push((root, 0));
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (u, ref mut pos)) = calls.last_mut() {
            let next = g.out_edges(u).nth(*pos).map(|(v, _)| v);
            *pos += 1;
            match next {
                Some(v) if index[v] == UNSEEN => {
                    index[v] = counter;
                    low[v] = counter;
                    counter += 1;
                    stack.push(v);
                    on_stack[v] = true;
                    calls.push((v, 0));
                }
                Some(v) => {
                    if on_stack[v] {
                        low[u] = low[u].min(index[v]);
                    }
                }
                None => {
                    calls.pop();
                    if let Some(&(parent, _)) = calls.last() {
                        low[parent] = low[parent].min(low[u]);
                    }
                    if low[u] == index[u] {
                        while let Some(w) = stack.pop() {
                            on_stack[w] = false;
                            comp[w] = u;
                            if w == u {
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
    renumber_by_smallest(&comp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cycles_joined_one_way() {
        let g = Graph::from_pairs(6, &[(0, 1), (1, 0), (1, 2), (2, 3), (3, 2), (4, 4)]).unwrap();
        assert_eq!(strong_components(&g), vec![0, 0, 1, 1, 2, 3]);
        assert_eq!(weak_components(&g), vec![0, 0, 0, 0, 1, 2]);
    }
}
