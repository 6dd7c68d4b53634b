//! Maximum-weight spanning branching: every node gets at most one parent, no cycles, the sum of
//! chosen arc weights plus the root weights of the nodes left as roots is as large as possible.
//!
//! Reference: Chu and Liu (1965), "On the shortest arborescence of a directed graph", and
//! Edmonds (1967), "Optimum branchings" (cycle contraction); implemented as in Tarjan (1977),
//! "Finding optimum branchings", Networks 7, with the correction of Camerini, Fratta and Maffioli
//! (1979): each contracted node keeps its incoming arcs in a mergeable heap with a lazy weight
//! offset, contractions live in a union–find with rollback, and the tree is read back by undoing
//! the contractions newest first. The heap is a leftist heap of *runs*: each original node's
//! arcs sorted best first in one array, so the heaps have n elements, not m, and popping an arc
//! reads the next one of its run in order (at L, 100,000 people and tens of millions of arcs,
//! a heap of single arcs spent its time on cache misses). Each solve runs on each node's best
//! arcs only; the arcs left out are checked against the solution's Edmonds duals and the solve
//! repeated with more where one could improve it ([`maximum_branching_from_best`]). A solve is
//! O(m log n) time, memory O(n + m), for n nodes and m candidate arcs.
//!
//! Conventions. A virtual root n gets an arc n → v of weight `root_weight[v]` for every v, and the
//! result is the maximum spanning arborescence rooted there (networkx's
//! `maximum_spanning_arborescence` on that graph gives the same total; with ties the trees may
//! differ). Arcs whose weight is not finite (NaN, ±∞) are ignored, as are self-loops; of parallel
//! arcs the heaviest counts. A root weight that is not finite is ignored the same way: such a node
//! is left a root only where no branching can give it a parent, as few such nodes as possible are
//! left roots, and they add nothing to the total. Weights may be negative. Among equally good
//! incoming arcs the one from the lower parent index is taken (the virtual root counts as index
//! n), so the result depends only on the input, not on the order of `arcs`.

use rayon::prelude::*;

const NONE: u32 = u32::MAX;

/// An arc's worth, compared lexicographically: fewer roots forced by a non-finite root weight
/// first, then more weight. Edmonds' algorithm needs only a totally ordered group, so the forced
/// roots count is carried through every reduction exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Gain {
    forced_roots: i64,
    weight: f64,
}

impl Gain {
    const ZERO: Gain = Gain {
        forced_roots: 0,
        weight: 0.0,
    };

    fn plus(self, other: Gain) -> Gain {
        Gain {
            forced_roots: self.forced_roots + other.forced_roots,
            weight: self.weight + other.weight,
        }
    }

    fn minus(self, other: Gain) -> Gain {
        Gain {
            forced_roots: self.forced_roots - other.forced_roots,
            weight: self.weight - other.weight,
        }
    }

    fn cmp(self, other: Gain) -> std::cmp::Ordering {
        // total_cmp so that an overflow to NaN in the reduced weights cannot panic.
        other
            .forced_roots
            .cmp(&self.forced_roots)
            .then(self.weight.total_cmp(&other.weight))
    }
}

/// One node's incoming arcs, best first, as an element of the leftist heaps: a contracted node's
/// heap holds the runs of its members, so a heap has at most n elements however many arcs there
/// are. Popping an arc advances its run (the next arc of the same original node, read in order
/// from one array) and puts the run back with its new head.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// The head arc (an index into the arc arrays) and the end of this run's arcs.
    pos: u32,
    end: u32,
    /// The head arc's reduced gain: its own plus `shift`.
    gain: Gain,
    /// Every offset applied to this run so far (the next head's reduced gain is its own plus this).
    shift: Gain,
    /// Offset still to be added to this run and every run below it.
    delta: Gain,
    left: u32,
    right: u32,
    /// Length of the right spine (the leftist heap's s-value); 0 stands for an empty heap.
    rank: u32,
}

/// Leftist max-heaps of runs in one arena; a heap is named by the index of its top run.
struct Heaps<'a> {
    runs: Vec<Run>,
    /// The arcs this solve sees (ids into `arcs`), each node's run in one stretch, best first.
    ids: Vec<u32>,
    arcs: &'a Arcs,
}

impl Heaps<'_> {
    fn ends(&self, pos: u32) -> (u32, u32) {
        self.arcs.ends[self.ids[pos as usize] as usize]
    }

    fn rank(&self, heap: u32) -> u32 {
        if heap == NONE {
            0
        } else {
            self.runs[heap as usize].rank
        }
    }

    fn push_down(&mut self, heap: u32) {
        let run = self.runs[heap as usize];
        if run.delta == Gain::ZERO {
            return;
        }
        for below in [run.left, run.right] {
            if below != NONE {
                let b = &mut self.runs[below as usize];
                b.delta = b.delta.plus(run.delta);
            }
        }
        let r = &mut self.runs[heap as usize];
        r.gain = r.gain.plus(run.delta);
        r.shift = r.shift.plus(run.delta);
        r.delta = Gain::ZERO;
    }

    /// The arc at the top of a heap (pushed down first).
    fn top(&mut self, heap: u32) -> u32 {
        self.push_down(heap);
        self.ids[self.runs[heap as usize].pos as usize]
    }

    /// Whether run `a`'s head comes out before run `b`'s; both pushed down. Ties go to the lower
    /// parent, then the lower child, so the order is total.
    fn before(&self, a: u32, b: u32) -> bool {
        let (x, y) = (&self.runs[a as usize], &self.runs[b as usize]);
        x.gain
            .cmp(y.gain)
            .then_with(|| self.ends(y.pos).cmp(&self.ends(x.pos)))
            .is_gt()
    }

    /// Recursion follows right spines only, so its depth is at most 2 log₂ n.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NONE {
            return b;
        }
        if b == NONE {
            return a;
        }
        self.push_down(a);
        self.push_down(b);
        let (top, other) = if self.before(b, a) { (b, a) } else { (a, b) };
        let right = self.merge(self.runs[top as usize].right, other);
        let left = self.runs[top as usize].left;
        let (left, right) = if self.rank(left) < self.rank(right) {
            (right, left)
        } else {
            (left, right)
        };
        let rank = self.rank(right) + 1;
        let t = &mut self.runs[top as usize];
        t.left = left;
        t.right = right;
        t.rank = rank;
        top
    }

    /// The heap without its top arc, after adding `offset` to every arc in it: the top run
    /// leaves, and comes back with its next arc as head unless it is spent.
    fn pop(&mut self, heap: u32, offset: Gain) -> u32 {
        self.runs[heap as usize].delta = self.runs[heap as usize].delta.plus(offset);
        self.push_down(heap);
        let run = self.runs[heap as usize];
        let rest = self.merge(run.left, run.right);
        let pos = run.pos + 1;
        if pos == run.end {
            return rest;
        }
        let r = &mut self.runs[heap as usize];
        r.pos = pos;
        r.gain = self.arcs.gains[self.ids[pos as usize] as usize].plus(run.shift);
        r.left = NONE;
        r.right = NONE;
        r.rank = 1;
        self.merge(rest, heap)
    }
}

/// Union–find by size without path compression, so that unions can be undone in reverse order.
struct RollbackUnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
    /// Roots attached under another root, oldest first.
    history: Vec<u32>,
}

impl RollbackUnionFind {
    fn new(n: usize) -> Self {
        RollbackUnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
            history: Vec::new(),
        }
    }

    fn find(&self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x
    }

    /// Joins the sets of `a` and `b`; false if they were one set already.
    fn join(&mut self, a: u32, b: u32) -> bool {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return false;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
        self.history.push(b);
        true
    }

    fn time(&self) -> usize {
        self.history.len()
    }

    fn rollback(&mut self, time: usize) {
        while self.history.len() > time {
            let b = self.history.pop().expect("history is longer than time");
            let a = self.parent[b as usize];
            self.size[a as usize] -= self.size[b as usize];
            self.parent[b as usize] = b;
        }
    }
}

/// Maximum-weight spanning branching over candidate arcs `(parent, child, weight)` on `n` nodes.
/// Every node gets at most one parent; the result has no cycles; nodes may stay roots.
/// `root_weight[v]` is the score of leaving v without a parent (a virtual root arc n → v);
/// the returned forest maximizes the sum of chosen arc weights plus root weights of roots.
/// Returns parent[v] (None = root). Deterministic: ties broken by lower parent index.
///
/// Arcs with a weight that is not finite are ignored, and so are self-loops; a non-finite root
/// weight leaves a node a root only where nothing can be its parent (see the module docs).
///
/// # Panics
/// If `root_weight.len() != n`, if an arc names a node ≥ n, or if n ≥ u32::MAX − 1: these are
/// the caller's bugs, not data.
pub fn maximum_branching(
    n: usize,
    arcs: &[(u32, u32, f64)],
    root_weight: &[f64],
) -> Vec<Option<u32>> {
    maximum_branching_from_best(n, arcs, root_weight, FIRST_ARCS)
}

/// How many of each node's best arcs the first solve sees (the rest are checked against its
/// dual, see [`maximum_branching_from_best`]).
pub const FIRST_ARCS: usize = 16;

/// [`maximum_branching`], solving first on each node's `first` best arcs only: the rest are
/// checked against that solution's dual, and where one of them could improve it, its child's
/// arcs are widened (four times as many) and the solve repeated. The result is optimal for all
/// the arcs whatever `first` is; `first` only sets the work. Public so that tests can run the
/// widening with small values.
pub fn maximum_branching_from_best(
    n: usize,
    arcs: &[(u32, u32, f64)],
    root_weight: &[f64],
    first: usize,
) -> Vec<Option<u32>> {
    assert_eq!(root_weight.len(), n, "one root weight per node");
    assert!(n < NONE as usize - 1, "too many nodes for u32 indices");
    if n == 0 {
        return Vec::new();
    }
    let root = n as u32;

    // Candidates grouped by child, one per (parent, child): the heaviest.
    let mut candidates: Vec<(u32, u32, f64)> = Vec::with_capacity(arcs.len());
    for &(parent, child, weight) in arcs {
        assert!(
            (parent as usize) < n && (child as usize) < n,
            "arc ({parent}, {child}) names a node outside 0..{n}"
        );
        if parent != child && weight.is_finite() {
            // + 0.0 turns −0 into +0, so that equal weights tie.
            candidates.push((parent, child, weight + 0.0));
        }
    }
    candidates.par_sort_unstable_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)).then(b.2.total_cmp(&a.2)));
    candidates.dedup_by_key(|a| (a.1, a.0));

    // Each node's arcs with its root arc, best first: its run. Arc ids index these arrays.
    let mut all = Arcs {
        ends: Vec::with_capacity(candidates.len() + n),
        gains: Vec::with_capacity(candidates.len() + n),
        starts: Vec::with_capacity(n + 1),
        root_arc: Vec::with_capacity(n),
    };
    let mut group: Vec<(Gain, u32)> = Vec::new();
    let mut next = 0;
    for (v, &w) in root_weight.iter().enumerate() {
        group.clear();
        while next < candidates.len() && candidates[next].1 as usize == v {
            let (parent, _, weight) = candidates[next];
            group.push((
                Gain {
                    forced_roots: 0,
                    weight,
                },
                parent,
            ));
            next += 1;
        }
        let root_gain = if w.is_finite() {
            Gain {
                forced_roots: 0,
                weight: w + 0.0,
            }
        } else {
            Gain {
                forced_roots: 1,
                weight: 0.0,
            }
        };
        group.push((root_gain, root));
        // Best first; among equal gains the lower parent (one child: (parent, child) order).
        group.sort_unstable_by(|x, y| y.0.cmp(x.0).then(x.1.cmp(&y.1)));
        all.starts.push(all.ends.len() as u32);
        for &(gain, parent) in &group {
            if parent == root {
                all.root_arc.push(all.ends.len() as u32);
            }
            all.ends.push((parent, v as u32));
            all.gains.push(gain);
        }
    }
    all.starts.push(all.ends.len() as u32);
    drop(candidates);

    // Solve on each node's `first` best arcs, then check every arc left out against the
    // solution's dual (Edmonds' duals: what each node and each contracted cycle paid for its
    // chosen arc). An arc left out whose gain over what the sets it enters paid is not positive
    // could not improve the branching (LP duality), so the solution is optimal for all the arcs.
    // Where some arc could, its child's run is widened and the solve repeated.
    let mut kept: Vec<u32> = (0..n)
        .map(|v| (all.starts[v + 1] - all.starts[v]).min(first.clamp(1, u32::MAX as usize) as u32))
        .collect();
    loop {
        let solution = solve(n, &all, &kept);
        let mut widened = false;
        if kept
            .iter()
            .enumerate()
            .any(|(v, &k)| k < all.starts[v + 1] - all.starts[v])
        {
            let forest = DualForest::new(&solution.tree_parent, &solution.dual);
            // Each node's arcs left out, checked in parallel (the check only reads).
            let violated: Vec<bool> = kept
                .par_iter()
                .enumerate()
                .map(|(v, &k)| {
                    (all.starts[v] + k..all.starts[v + 1]).any(|a| {
                        let ends = all.ends[a as usize];
                        ends.0 != root && forest.improves(ends, all.gains[a as usize])
                    })
                })
                .collect();
            for (v, k) in kept.iter_mut().enumerate() {
                if violated[v] {
                    *k = (*k)
                        .saturating_mul(4)
                        .min(all.starts[v + 1] - all.starts[v]);
                    widened = true;
                }
            }
        }
        if !widened {
            return solution
                .incoming
                .iter()
                .map(|&a| {
                    let parent = all.ends[a as usize].0;
                    (parent != root).then_some(parent)
                })
                .collect();
        }
    }
}

/// Every candidate arc, grouped by child, each child's run best first with its root arc in it.
struct Arcs {
    ends: Vec<(u32, u32)>,
    gains: Vec<Gain>,
    /// Where each node's run starts (n + 1 entries).
    starts: Vec<u32>,
    /// The id of each node's root arc.
    root_arc: Vec<u32>,
}

/// A branching and its dual: the contraction forest (leaves 0..n are the nodes, node n + k the
/// k-th contracted cycle) and what each of its nodes paid for the arc it chose.
struct Solution {
    /// The chosen arc into each node (an id into `Arcs`).
    incoming: Vec<u32>,
    tree_parent: Vec<u32>,
    dual: Vec<Gain>,
}

/// Tarjan's walk over the first `kept[v]` arcs of each node's run (and its root arc).
fn solve(n: usize, all: &Arcs, kept: &[u32]) -> Solution {
    let root = n as u32;
    let n_all = n + 1;
    let mut ids: Vec<u32> = Vec::with_capacity(kept.iter().map(|&k| k as usize + 1).sum());
    let mut runs: Vec<Run> = Vec::with_capacity(n);
    for (v, &k) in kept.iter().enumerate() {
        let start = all.starts[v];
        let pos = ids.len() as u32;
        ids.extend(start..start + k);
        // The root arc keeps every node attachable; left out, it is the worst of the run.
        if all.root_arc[v] >= start + k {
            ids.push(all.root_arc[v]);
        }
        runs.push(Run {
            pos,
            end: ids.len() as u32,
            gain: all.gains[ids[pos as usize] as usize],
            shift: Gain::ZERO,
            delta: Gain::ZERO,
            left: NONE,
            right: NONE,
            rank: 1,
        });
    }
    let mut heaps = Heaps {
        runs,
        ids,
        arcs: all,
    };
    let mut heap: Vec<u32> = (0..n as u32).chain([NONE]).collect();

    // Tarjan's walk: from each unattached node, follow best incoming arcs until the walk reaches
    // an attached node (or the root), contracting every cycle it closes into one node.
    let mut sets = RollbackUnionFind::new(n_all);
    let mut seen = vec![NONE; n_all];
    seen[n] = root;
    let mut incoming = vec![NONE; n_all];
    let mut path_arcs: Vec<u32> = Vec::new();
    let mut path_nodes: Vec<u32> = Vec::new();
    // Per contraction: the contracted node, the union-find time before it, its cycle's arcs.
    let mut contractions: Vec<(u32, usize, std::ops::Range<usize>)> = Vec::new();
    let mut cycle_arcs: Vec<u32> = Vec::new();
    // The dual: each set's node in the contraction forest, its parent there, what it paid.
    let mut tree_of: Vec<u32> = (0..n_all as u32).collect();
    let mut tree_parent: Vec<u32> = vec![NONE; n];
    let mut dual: Vec<Gain> = vec![Gain::ZERO; n];
    for start in 0..n as u32 {
        let mut u = start;
        path_arcs.clear();
        path_nodes.clear();
        while seen[u as usize] == NONE {
            // Every node has its root arc, which is never internal, so the heap cannot run dry.
            let best = loop {
                let top = heap[u as usize];
                assert!(top != NONE, "every node keeps its virtual root arc");
                let arc = heaps.top(top);
                if sets.find(all.ends[arc as usize].0) == u {
                    heap[u as usize] = heaps.pop(top, Gain::ZERO);
                } else {
                    break top;
                }
            };
            let arc = heaps.ids[heaps.runs[best as usize].pos as usize];
            // Every other arc into u is now worth its gain over the chosen one.
            let chosen = heaps.runs[best as usize].gain;
            dual[tree_of[u as usize] as usize] = chosen;
            heap[u as usize] = heaps.pop(best, Gain::ZERO.minus(chosen));
            path_arcs.push(arc);
            path_nodes.push(u);
            seen[u as usize] = start;
            u = sets.find(all.ends[arc as usize].0);
            if seen[u as usize] == start {
                let time = sets.time();
                let cycle = tree_parent.len() as u32;
                tree_parent.push(NONE);
                dual.push(Gain::ZERO);
                let mut merged = NONE;
                loop {
                    let w = path_nodes.pop().expect("the cycle is on the path");
                    merged = heaps.merge(merged, heap[w as usize]);
                    tree_parent[tree_of[w as usize] as usize] = cycle;
                    if !sets.join(u, w) {
                        break;
                    }
                }
                let first = cycle_arcs.len();
                cycle_arcs.extend(path_arcs.drain(path_nodes.len()..));
                u = sets.find(u);
                tree_of[u as usize] = cycle;
                contractions.push((u, time, first..cycle_arcs.len()));
                heap[u as usize] = merged;
                seen[u as usize] = NONE;
            }
        }
        for &a in &path_arcs {
            incoming[sets.find(all.ends[a as usize].1) as usize] = a;
        }
    }

    // Expand contractions newest first: the arc entering a contracted node enters one member;
    // the cycle's arcs stay for the others.
    for (u, time, arcs_of_cycle) in contractions.into_iter().rev() {
        sets.rollback(time);
        let entering = incoming[u as usize];
        for &a in &cycle_arcs[arcs_of_cycle] {
            incoming[sets.find(all.ends[a as usize].1) as usize] = a;
        }
        incoming[sets.find(all.ends[entering as usize].1) as usize] = entering;
    }
    incoming.truncate(n);
    Solution {
        incoming,
        tree_parent,
        dual,
    }
}

/// The contraction forest under one extra top node (so that it is one tree) with, for each
/// node, what it and every set above it paid; lowest common ancestors by a sparse table over an
/// Euler tour (O(1) a query).
struct DualForest {
    /// Sum of the duals of a forest node and its ancestors.
    paid: Vec<Gain>,
    /// Each node's first place in the tour.
    first: Vec<u32>,
    /// `table[k][i]`: the shallowest node among tour places i .. i + 2^k, as (depth, node).
    table: Vec<Vec<(u32, u32)>>,
}

impl DualForest {
    fn new(tree_parent: &[u32], dual: &[Gain]) -> DualForest {
        let t = tree_parent.len();
        let top = t as u32;
        let parent = |x: usize| match tree_parent[x] {
            NONE => top,
            p => p,
        };
        // A cycle's node comes after every node in it, so parents have higher ids.
        let mut paid = dual.to_vec();
        paid.push(Gain::ZERO);
        let mut depth = vec![0u32; t + 1];
        for x in (0..t).rev() {
            let p = parent(x) as usize;
            paid[x] = paid[x].plus(paid[p]);
            depth[x] = depth[p] + 1;
        }
        // Children lists, then an iterative Euler tour from the top.
        let mut child_start = vec![0u32; t + 2];
        for x in 0..t {
            child_start[parent(x) as usize + 1] += 1;
        }
        for i in 0..=t {
            child_start[i + 1] += child_start[i];
        }
        let mut fill = child_start.clone();
        let mut children = vec![0u32; t];
        for x in 0..t {
            let p = parent(x) as usize;
            children[fill[p] as usize] = x as u32;
            fill[p] += 1;
        }
        let mut first = vec![0u32; t + 1];
        let mut tour: Vec<(u32, u32)> = Vec::with_capacity(2 * t + 1);
        let mut stack: Vec<(u32, u32)> = vec![(top, child_start[t])];
        tour.push((0, top));
        while let Some(&mut (x, ref mut next)) = stack.last_mut() {
            if *next < child_start[x as usize + 1] {
                let c = children[*next as usize];
                *next += 1;
                first[c as usize] = tour.len() as u32;
                tour.push((depth[c as usize], c));
                stack.push((c, child_start[c as usize]));
            } else {
                stack.pop();
                if let Some(&(p, _)) = stack.last() {
                    tour.push((depth[p as usize], p));
                }
            }
        }
        let mut table = vec![tour];
        let mut width = 1;
        while 2 * width <= table[0].len() {
            let below = table.last().expect("level 0 exists");
            let level: Vec<(u32, u32)> = (0..below.len() - width)
                .map(|i| below[i].min(below[i + width]))
                .collect();
            table.push(level);
            width *= 2;
        }
        DualForest { paid, first, table }
    }

    /// The lowest common ancestor of two nodes.
    fn common(&self, a: u32, b: u32) -> u32 {
        let (x, y) = (self.first[a as usize], self.first[b as usize]);
        let (i, j) = (x.min(y) as usize, x.max(y) as usize);
        let k = (usize::BITS - 1 - (j - i + 1).leading_zeros()) as usize;
        self.table[k][i].min(self.table[k][j + 1 - (1 << k)]).1
    }

    /// Whether arc `(parent, child)` of gain `gain` has a positive reduced gain: more than what
    /// the sets it enters (containing the child, not the parent) paid.
    fn improves(&self, (parent, child): (u32, u32), gain: Gain) -> bool {
        let common = self.common(parent, child);
        debug_assert!(
            common != child,
            "an arc's child does not contain its parent"
        );
        let entered = self.paid[child as usize].minus(self.paid[common as usize]);
        gain.minus(entered).cmp(Gain::ZERO).is_gt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_is_broken_where_it_loses_least() {
        // 0 → 1 → 2 → 0 is the best in-arc everywhere; the root arc into 1 costs least to take.
        let arcs = [(0, 1, 5.0), (1, 2, 5.0), (2, 0, 5.0), (0, 2, 1.0)];
        assert_eq!(
            maximum_branching(3, &arcs, &[0.0, 4.0, 0.0]),
            vec![Some(2), None, Some(1)]
        );
    }
}
