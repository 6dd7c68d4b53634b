//! Weakly and strongly connected components.
//!
//! Weak: union–find over the edges, O(m α(n)). Strong: Tarjan (1972), "Depth-first search and
//! linear graph algorithms", iterative so that deep graphs do not overflow the stack; O(n + m).
//! Components are numbered in the order of their smallest node, so the numbering depends only
//! on the graph.

use crate::Graph;

fn renumber_by_smallest(labels: &[u32]) -> Vec<u32> {
    let mut map = vec![u32::MAX; labels.len()];
    let mut next = 0;
    labels
        .iter()
        .map(|&l| {
            if map[l as usize] == u32::MAX {
                map[l as usize] = next;
                next += 1;
            }
            map[l as usize]
        })
        .collect()
}

/// Component id of every node, ignoring edge direction.
pub fn weak_components(g: &Graph) -> Vec<u32> {
    let n = g.n();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let grand = parent[parent[x as usize] as usize];
            parent[x as usize] = grand;
            x = grand;
        }
        x
    }
    for u in 0..n {
        let mut a = find(&mut parent, u as u32);
        for &v in g.out_targets(u) {
            let b = find(&mut parent, v);
            if a != b {
                // The smaller root wins, so every root is its component's smallest node.
                let (lo, hi) = (a.min(b), a.max(b));
                parent[hi as usize] = lo;
                a = lo;
            }
        }
    }
    // Roots are smallest members, so one pass in node order numbers components by them.
    let mut label = vec![0u32; n];
    let mut next = 0;
    for x in 0..n {
        let root = find(&mut parent, x as u32) as usize;
        label[x] = if root == x {
            next += 1;
            next - 1
        } else {
            label[root]
        };
    }
    label
}

/// Strongly connected component id of every node.
///
/// Pearce's space-saving variant of Tarjan ("A space-efficient algorithm for finding strongly
/// connected components", IPL 116, 2016): one array holds the visit index while a node is open
/// and its component once closed.
pub fn strong_components(g: &Graph) -> Vec<u32> {
    let n = g.n();
    const UNSEEN: u32 = u32::MAX;
    // While open: visit index (low-link). Once closed: DONE + component (never compared again).
    let mut rindex = vec![UNSEEN; n];
    let mut done = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut comp = vec![0u32; n];
    let mut components = 0u32;
    let mut counter = 0u32;
    // Call stack of (node, position in its out-neighbour list, whether it is a root so far).
    let mut calls: Vec<(u32, u32, bool)> = Vec::new();
    for start in 0..n {
        if rindex[start] != UNSEEN {
            continue;
        }
        rindex[start] = counter;
        counter += 1;
        calls.push((start as u32, 0, true));
        while let Some(top) = calls.last_mut() {
            let u = top.0 as usize;
            let targets = g.out_targets(u);
            let mut descended = false;
            while (top.1 as usize) < targets.len() {
                let v = targets[top.1 as usize] as usize;
                top.1 += 1;
                if rindex[v] == UNSEEN {
                    rindex[v] = counter;
                    counter += 1;
                    calls.push((v as u32, 0, true));
                    descended = true;
                    break;
                }
                if !done[v] && rindex[v] < rindex[u] {
                    rindex[u] = rindex[v];
                    top.2 = false;
                }
            }
            if descended {
                continue;
            }
            let (_, _, root) = calls.pop().expect("a call is open");
            if root {
                done[u] = true;
                comp[u] = components;
                while let Some(&w) = stack.last() {
                    if rindex[w as usize] < rindex[u] {
                        break;
                    }
                    stack.pop();
                    done[w as usize] = true;
                    comp[w as usize] = components;
                }
                components += 1;
            } else {
                stack.push(u as u32);
            }
            if let Some(parent) = calls.last_mut() {
                let p = parent.0 as usize;
                if !done[u] && rindex[u] < rindex[p] {
                    rindex[p] = rindex[u];
                    parent.2 = false;
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
