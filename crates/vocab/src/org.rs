//! The formal hierarchy as a validated forest, and the relation class of any ordered pair of people.

use crate::person::Person;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How person `b` stands relative to person `a` in the formal hierarchy, seen from `a`.
///
/// Levels are compared as "level bands": the explicit `level` of each person when every person has
/// one, otherwise the depth in the tree (the top is level 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationClass {
    /// `b` is `a`'s direct manager.
    Up,
    /// `b` is above `a`'s manager in `a`'s management chain.
    SkipUp,
    /// `b` reports directly to `a`.
    Down,
    /// `b` is below `a`'s direct reports in `a`'s subtree.
    SkipDown,
    /// `a` and `b` have the same manager.
    Peer,
    /// Same level band, different branch.
    LeftRight,
    /// Everything else: another branch and another level.
    CrossLevel,
    /// `a == b`.
    Itself,
}

impl RelationClass {
    pub const ALL: [RelationClass; 7] = [
        RelationClass::Up,
        RelationClass::SkipUp,
        RelationClass::Down,
        RelationClass::SkipDown,
        RelationClass::Peer,
        RelationClass::LeftRight,
        RelationClass::CrossLevel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RelationClass::Up => "up",
            RelationClass::SkipUp => "skip_up",
            RelationClass::Down => "down",
            RelationClass::SkipDown => "skip_down",
            RelationClass::Peer => "peer",
            RelationClass::LeftRight => "left_right",
            RelationClass::CrossLevel => "cross_level",
            RelationClass::Itself => "self",
        }
    }
}

/// What is wrong with a hierarchy. Positions are indices into the slice of people that was given,
/// so that the caller can name file lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HierarchyError {
    #[error("person `{id}` appears more than once (positions {positions:?})")]
    DuplicateId { id: String, positions: Vec<usize> },
    #[error("person `{id}` names `{manager}` as manager, who is not in the people table")]
    UnknownManager {
        position: usize,
        id: String,
        manager: String,
    },
    #[error("person `{id}` is their own manager")]
    SelfManaged { position: usize, id: String },
    #[error("management cycle: {}", ids.join(" -> "))]
    Cycle {
        positions: Vec<usize>,
        ids: Vec<String>,
    },
}

/// A validated management forest over people 0..n. Cheap queries: manager, depth, level band,
/// direct and total span, and relation class of any ordered pair in O(depth).
#[derive(Debug, Clone)]
pub struct OrgChart {
    manager: Vec<Option<u32>>,
    depth: Vec<u32>,
    level: Vec<u32>,
    children_start: Vec<u32>,
    children: Vec<u32>,
    total_span: Vec<u32>,
}

impl OrgChart {
    /// Builds the chart from people with string ids; managers are resolved by id.
    /// Returns every problem found, not only the first.
    pub fn from_people(people: &[Person]) -> Result<OrgChart, Vec<HierarchyError>> {
        let mut errors = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(people.len());
        let mut duplicates: HashMap<&str, Vec<usize>> = HashMap::new();
        for (pos, person) in people.iter().enumerate() {
            if let Some(&first) = index.get(person.id.as_str()) {
                duplicates
                    .entry(person.id.as_str())
                    .or_insert_with(|| vec![first])
                    .push(pos);
            } else {
                index.insert(person.id.as_str(), pos);
            }
        }
        let mut dup_list: Vec<_> = duplicates.into_iter().collect();
        dup_list.sort_by_key(|(_, p)| p[0]);
        for (id, positions) in dup_list {
            errors.push(HierarchyError::DuplicateId {
                id: id.to_string(),
                positions,
            });
        }
        let mut manager = vec![None; people.len()];
        for (pos, person) in people.iter().enumerate() {
            let Some(m) = person.manager.as_deref() else {
                continue;
            };
            if m == person.id {
                errors.push(HierarchyError::SelfManaged {
                    position: pos,
                    id: person.id.clone(),
                });
                continue;
            }
            match index.get(m) {
                Some(&mp) => manager[pos] = Some(mp as u32),
                None => errors.push(HierarchyError::UnknownManager {
                    position: pos,
                    id: person.id.clone(),
                    manager: m.to_string(),
                }),
            }
        }
        let levels: Vec<Option<u32>> = people.iter().map(|p| p.level).collect();
        match OrgChart::from_managers(manager, &levels) {
            Ok(chart) if errors.is_empty() => Ok(chart),
            Ok(_) => Err(errors),
            Err(cycles) => {
                for positions in cycles {
                    let ids = positions.iter().map(|&p| people[p].id.clone()).collect();
                    errors.push(HierarchyError::Cycle { positions, ids });
                }
                Err(errors)
            }
        }
    }

    /// Builds the chart from dense manager pointers. `levels[i]` is used as the level band of
    /// person `i` when every person has one; otherwise depth + 1 is used for everyone.
    /// Fails with the members of every cycle, each cycle listed from its smallest position.
    pub fn from_managers(
        manager: Vec<Option<u32>>,
        levels: &[Option<u32>],
    ) -> Result<OrgChart, Vec<Vec<usize>>> {
        let n = manager.len();
        // Cycle detection on a functional graph: 0 = unseen, 1 = on the current walk, 2 = done.
        let mut state = vec![0u8; n];
        let mut cycles = Vec::new();
        let mut walk = Vec::new();
        for start in 0..n {
            if state[start] != 0 {
                continue;
            }
            walk.clear();
            let mut node = start;
            loop {
                if state[node] == 1 {
                    let from = walk.iter().position(|&w| w == node).expect("on walk");
                    let mut cycle: Vec<usize> = walk[from..].to_vec();
                    let min_at = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                    cycle.rotate_left(min_at);
                    cycles.push(cycle);
                    break;
                }
                if state[node] == 2 {
                    break;
                }
                state[node] = 1;
                walk.push(node);
                match manager[node] {
                    Some(m) => node = m as usize,
                    None => break,
                }
            }
            for &w in &walk {
                state[w] = 2;
            }
        }
        if !cycles.is_empty() {
            cycles.sort();
            return Err(cycles);
        }
        // Children in CSR form, ordered by index for determinism.
        let mut counts = vec![0u32; n + 1];
        for m in manager.iter().flatten() {
            counts[*m as usize + 1] += 1;
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let children_start = counts.clone();
        let mut fill = counts;
        let mut children = vec![0u32; children_start[n] as usize];
        for (child, m) in manager.iter().enumerate() {
            if let Some(m) = m {
                let slot = &mut fill[*m as usize];
                children[*slot as usize] = child as u32;
                *slot += 1;
            }
        }
        // Depth by a walk from the roots; total span by the reverse of that order.
        let mut depth = vec![0u32; n];
        let mut order = Vec::with_capacity(n);
        let mut stack: Vec<u32> = (0..n as u32)
            .filter(|&i| manager[i as usize].is_none())
            .collect();
        stack.reverse();
        while let Some(node) = stack.pop() {
            order.push(node);
            let (s, e) = (
                children_start[node as usize] as usize,
                children_start[node as usize + 1] as usize,
            );
            for &c in children[s..e].iter().rev() {
                depth[c as usize] = depth[node as usize] + 1;
                stack.push(c);
            }
        }
        let mut total_span = vec![0u32; n];
        for &node in order.iter().rev() {
            if let Some(m) = manager[node as usize] {
                total_span[m as usize] += total_span[node as usize] + 1;
            }
        }
        let all_levels = levels.len() == n && levels.iter().all(|l| l.is_some());
        let level = if all_levels {
            levels.iter().map(|l| l.unwrap_or(1)).collect()
        } else {
            depth.iter().map(|d| d + 1).collect()
        };
        Ok(OrgChart {
            manager,
            depth,
            level,
            children_start,
            children,
            total_span,
        })
    }

    pub fn len(&self) -> usize {
        self.manager.len()
    }

    pub fn is_empty(&self) -> bool {
        self.manager.is_empty()
    }

    pub fn manager(&self, person: usize) -> Option<usize> {
        self.manager[person].map(|m| m as usize)
    }

    /// Distance to the top of the person's tree (the top is 0).
    pub fn depth(&self, person: usize) -> u32 {
        self.depth[person]
    }

    /// Level band used for left/right comparisons (1 = top).
    pub fn level(&self, person: usize) -> u32 {
        self.level[person]
    }

    pub fn reports(&self, person: usize) -> &[u32] {
        let s = self.children_start[person] as usize;
        let e = self.children_start[person + 1] as usize;
        &self.children[s..e]
    }

    pub fn direct_span(&self, person: usize) -> usize {
        self.reports(person).len()
    }

    /// Everyone below the person, at any depth.
    pub fn total_span(&self, person: usize) -> usize {
        self.total_span[person] as usize
    }

    /// The person's management chain, nearest manager first.
    pub fn chain(&self, person: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.manager(person), move |&m| self.manager(m))
    }

    /// True when `above` is in `below`'s management chain.
    pub fn is_ancestor(&self, above: usize, below: usize) -> bool {
        let (da, db) = (self.depth[above], self.depth[below]);
        if da >= db {
            return false;
        }
        let mut node = below;
        for _ in 0..(db - da) {
            node = self.manager[node].expect("depth implies a manager") as usize;
        }
        node == above
    }

    /// How `b` stands relative to `a`, seen from `a`.
    pub fn relation(&self, a: usize, b: usize) -> RelationClass {
        if a == b {
            return RelationClass::Itself;
        }
        let (ma, mb) = (self.manager[a], self.manager[b]);
        if ma == Some(b as u32) {
            return RelationClass::Up;
        }
        if mb == Some(a as u32) {
            return RelationClass::Down;
        }
        if ma.is_some() && ma == mb {
            return RelationClass::Peer;
        }
        if self.is_ancestor(b, a) {
            return RelationClass::SkipUp;
        }
        if self.is_ancestor(a, b) {
            return RelationClass::SkipDown;
        }
        if self.level[a] == self.level[b] {
            RelationClass::LeftRight
        } else {
            RelationClass::CrossLevel
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, manager: Option<&str>) -> Person {
        Person {
            id: id.into(),
            manager: manager.map(Into::into),
            ..Person::default()
        }
    }

    /// ceo -> {vp1, vp2}; vp1 -> {m1, m2}; vp2 -> {m3}; m1 -> {e1}
    fn sample() -> OrgChart {
        let people = vec![
            person("ceo", None),
            person("vp1", Some("ceo")),
            person("vp2", Some("ceo")),
            person("m1", Some("vp1")),
            person("m2", Some("vp1")),
            person("m3", Some("vp2")),
            person("e1", Some("m1")),
        ];
        OrgChart::from_people(&people).unwrap()
    }

    #[test]
    fn relation_classes_cover_every_case() {
        let org = sample();
        let check = |a, b, want| assert_eq!(org.relation(a, b), want, "{a} -> {b}");
        check(6, 3, RelationClass::Up);
        check(6, 1, RelationClass::SkipUp);
        check(6, 0, RelationClass::SkipUp);
        check(3, 6, RelationClass::Down);
        check(1, 6, RelationClass::SkipDown);
        check(0, 6, RelationClass::SkipDown);
        check(3, 4, RelationClass::Peer);
        check(1, 2, RelationClass::Peer);
        check(3, 5, RelationClass::LeftRight);
        check(6, 5, RelationClass::CrossLevel);
        check(2, 3, RelationClass::CrossLevel);
        check(4, 4, RelationClass::Itself);
    }

    #[test]
    fn spans_and_depths() {
        let org = sample();
        assert_eq!(org.total_span(0), 6);
        assert_eq!(org.direct_span(0), 2);
        assert_eq!(org.total_span(1), 3);
        assert_eq!(org.depth(6), 3);
        assert_eq!(org.level(6), 4);
        assert_eq!(org.chain(6).collect::<Vec<_>>(), vec![3, 1, 0]);
    }

    #[test]
    fn every_hierarchy_error_is_reported_with_positions() {
        let people = vec![
            person("a", Some("b")),
            person("b", Some("c")),
            person("c", Some("a")),
            person("d", Some("d")),
            person("e", Some("ghost")),
            person("a", None),
        ];
        let errors = OrgChart::from_people(&people).unwrap_err();
        assert!(errors.contains(&HierarchyError::DuplicateId {
            id: "a".into(),
            positions: vec![0, 5]
        }));
        assert!(errors.contains(&HierarchyError::SelfManaged {
            position: 3,
            id: "d".into()
        }));
        assert!(errors.contains(&HierarchyError::UnknownManager {
            position: 4,
            id: "e".into(),
            manager: "ghost".into()
        }));
        assert!(errors.contains(&HierarchyError::Cycle {
            positions: vec![0, 1, 2],
            ids: vec!["a".into(), "b".into(), "c".into()]
        }));
    }

    #[test]
    fn explicit_levels_are_used_only_when_complete() {
        let org = OrgChart::from_managers(vec![None, Some(0), None], &[Some(1), Some(3), Some(3)])
            .unwrap();
        assert_eq!(org.relation(1, 2), RelationClass::LeftRight);
        let org =
            OrgChart::from_managers(vec![None, Some(0), None], &[Some(1), Some(3), None]).unwrap();
        assert_eq!(org.relation(1, 2), RelationClass::CrossLevel);
    }
}
