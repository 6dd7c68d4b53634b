//! The synthetic organization: a management tree with realistic spans and depths, departments,
//! offices in several time zones, assistants and chiefs of staff next to the executives, and the
//! people chosen to carry each planted dynamic.

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_xoshiro::Xoshiro256PlusPlus;

pub const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Operations",
    "Legal",
    "People",
    "Product",
    "Support",
    "Research",
    "Data",
    "Security",
    "Design",
    "Procurement",
    "Facilities",
    "Partnerships",
    "Communications",
    "Strategy",
    "Quality",
    "Logistics",
];

/// Offices: (IANA name, fixed UTC offset in minutes; daylight saving is not modelled).
pub const OFFICES: &[(&str, i32)] = &[
    ("America/Los_Angeles", -8 * 60),
    ("America/New_York", -5 * 60),
    ("Europe/London", 0),
    ("Europe/Berlin", 60),
    ("Asia/Kolkata", 5 * 60 + 30),
    ("Asia/Singapore", 8 * 60),
];

const FIRST: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kira",
    "Luis", "Mina", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Viktor",
    "Wen", "Xavi", "Yara", "Zane", "Amir", "Bea", "Carlos", "Dana", "Emil", "Fatima", "Gus",
    "Hana", "Ivan", "Jia",
];
const LAST: &[&str] = &[
    "Abe", "Bauer", "Costa", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kim", "Larsen", "Moreau", "Nakamura", "Okafor", "Patel", "Quist", "Rossi", "Singh", "Tanaka",
    "Usman", "Varga", "Wong", "Xu", "Yilmaz", "Zhou", "Alvarez", "Brown", "Chen", "Dubois",
    "Eriksen", "Silva",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staff {
    Regular,
    Assistant,
    ChiefOfStaff,
}

#[derive(Debug, Clone)]
pub struct SynthPerson {
    pub id: String,
    pub name: String,
    pub email: String,
    pub manager: Option<u32>,
    pub reports: Vec<u32>,
    pub title: String,
    pub department: u32,
    pub level: u32,
    pub office: u32,
    pub staff: Staff,
    /// For assistants and chiefs of staff: the executive they work for.
    pub principal: Option<u32>,
    /// Days since 1970-01-01.
    pub start_day: i32,
    /// Relative activity (lognormal around 1).
    pub activity: f64,
}

#[derive(Debug, Clone)]
pub struct Org {
    pub people: Vec<SynthPerson>,
    pub departments: Vec<String>,
    /// Each department's head (VP).
    pub heads: Vec<u32>,
    pub ceo: u32,
    /// Members of each department (including its head and the head's assistant).
    pub members: Vec<Vec<u32>>,
    /// Assistant or chief of staff of each person, if any.
    pub support_of: Vec<Option<u32>>,
}

impl Org {
    pub fn n(&self) -> usize {
        self.people.len()
    }

    /// People with the same manager, the person excluded.
    pub fn peers(&self, p: u32) -> &[u32] {
        match self.people[p as usize].manager {
            Some(m) => &self.people[m as usize].reports,
            None => &[],
        }
    }
}

fn department_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let base = DEPARTMENTS[i % DEPARTMENTS.len()];
            if i < DEPARTMENTS.len() {
                base.to_string()
            } else {
                format!("{base} {}", i / DEPARTMENTS.len() + 1)
            }
        })
        .collect()
}

fn ic_title(dept: &str, rng: &mut Xoshiro256PlusPlus) -> String {
    let options: &[&str] = match dept.split(' ').next().unwrap_or("") {
        "Engineering" | "Security" | "Data" | "Research" => {
            &["Engineer", "Senior Engineer", "Scientist", "Analyst"]
        }
        "Sales" | "Partnerships" => &[
            "Account Executive",
            "Sales Representative",
            "Account Manager",
        ],
        "Legal" => &["Counsel", "Paralegal"],
        "Finance" | "Procurement" => &["Accountant", "Financial Analyst", "Buyer"],
        _ => &["Specialist", "Coordinator", "Analyst", "Associate"],
    };
    options
        .choose(rng)
        .copied()
        .unwrap_or("Specialist")
        .to_string()
}

/// Builds an organization of exactly `n` people (n >= 20).
pub fn build(n: usize, start_day: i32, rng: &mut Xoshiro256PlusPlus) -> Org {
    let n_depts = (n / 150).clamp(3, 40).min(n / 6).max(3);
    let departments = department_names(n_depts);
    let mut people: Vec<SynthPerson> = Vec::with_capacity(n);
    let add = |people: &mut Vec<SynthPerson>,
               manager: Option<u32>,
               title: String,
               department: u32,
               level: u32,
               office: u32,
               staff: Staff,
               rng: &mut Xoshiro256PlusPlus|
     -> u32 {
        let i = people.len() as u32;
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let last = LAST[rng.random_range(0..LAST.len())];
        let tenure_days = (rng.random::<f64>().powi(2) * 15.0 * 365.0) as i32;
        let activity = (0.45 * crate::sim::standard_normal(rng)).exp();
        people.push(SynthPerson {
            id: format!("E{:06}", i + 1),
            name: format!("{first} {last}"),
            email: format!(
                "{}.{}.{}@example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                i + 1
            ),
            manager,
            reports: Vec::new(),
            title,
            department,
            level,
            office,
            staff,
            principal: None,
            start_day: start_day - 30 - tenure_days,
            activity,
        });
        if let Some(m) = manager {
            people[m as usize].reports.push(i);
        }
        i
    };
    let dept_office: Vec<u32> = (0..n_depts).map(|d| (d % OFFICES.len()) as u32).collect();
    let ceo = add(
        &mut people,
        None,
        "Chief Executive Officer".into(),
        n_depts as u32 - 1,
        1,
        1,
        Staff::Regular,
        rng,
    );
    // The CEO, their assistant and chief of staff belong to the last department.
    let mut support_of_pairs: Vec<(u32, u32)> = Vec::new();
    let ceo_assistant = add(
        &mut people,
        Some(ceo),
        "Executive Assistant to the CEO".into(),
        n_depts as u32 - 1,
        6,
        1,
        Staff::Assistant,
        rng,
    );
    let ceo_cos = add(
        &mut people,
        Some(ceo),
        "Chief of Staff".into(),
        n_depts as u32 - 1,
        5,
        1,
        Staff::ChiefOfStaff,
        rng,
    );
    people[ceo_assistant as usize].principal = Some(ceo);
    people[ceo_cos as usize].principal = Some(ceo);
    support_of_pairs.push((ceo, ceo_assistant));
    let mut heads = Vec::new();
    for d in 0..n_depts {
        let title = format!("VP {}", departments[d]);
        let head = add(
            &mut people,
            Some(ceo),
            title,
            d as u32,
            2,
            dept_office[d],
            Staff::Regular,
            rng,
        );
        heads.push(head);
    }
    // Executives with an assistant: every VP when the organization is large enough, else half.
    for (d, &head) in heads.iter().enumerate() {
        if n >= 200 || d % 2 == 0 {
            let a = add(
                &mut people,
                Some(head),
                format!("Executive Assistant, {}", departments[d]),
                d as u32,
                6,
                dept_office[d],
                Staff::Assistant,
                rng,
            );
            people[a as usize].principal = Some(head);
            support_of_pairs.push((head, a));
        }
    }
    // Split the rest among departments by random weights, then grow each department's tree
    // breadth first with spans of 3 to 9.
    let remaining = n - people.len();
    let weights: Vec<f64> = (0..n_depts).map(|_| 0.5 + rng.random::<f64>()).collect();
    let total_w: f64 = weights.iter().sum();
    let mut sizes: Vec<usize> = weights
        .iter()
        .map(|w| (w / total_w * remaining as f64).floor() as usize)
        .collect();
    let mut short = remaining - sizes.iter().sum::<usize>();
    let mut d = 0;
    while short > 0 {
        sizes[d % n_depts] += 1;
        short -= 1;
        d += 1;
    }
    for dept in 0..n_depts {
        let mut queue = std::collections::VecDeque::from([heads[dept]]);
        let mut left = sizes[dept];
        while left > 0 {
            let Some(manager) = queue.pop_front() else {
                break;
            };
            let span = rng.random_range(3..=9).min(left);
            let level = people[manager as usize].level + 1;
            for _ in 0..span {
                let office = if rng.random::<f64>() < 0.8 {
                    people[manager as usize].office
                } else {
                    rng.random_range(0..OFFICES.len() as u32)
                };
                let child = add(
                    &mut people,
                    Some(manager),
                    String::new(),
                    dept as u32,
                    level,
                    office,
                    Staff::Regular,
                    rng,
                );
                queue.push_back(child);
                left -= 1;
            }
        }
    }
    // Titles by position: managers by depth, individual contributors by department.
    for i in 0..people.len() {
        if !people[i].title.is_empty() {
            continue;
        }
        let dept = departments[people[i].department as usize].clone();
        people[i].title = if people[i].reports.is_empty() {
            ic_title(&dept, rng)
        } else {
            match people[i].level {
                3 => format!("Director, {dept}"),
                4 => "Senior Manager".to_string(),
                _ => "Manager".to_string(),
            }
        };
    }
    let mut members = vec![Vec::new(); n_depts];
    for (i, p) in people.iter().enumerate() {
        members[p.department as usize].push(i as u32);
    }
    let mut support_of = vec![None; people.len()];
    for (exec, a) in support_of_pairs {
        support_of[exec as usize] = Some(a);
    }
    Org {
        people,
        departments,
        heads,
        ceo,
        members,
        support_of,
    }
}

/// Who carries each planted dynamic. Chosen so that roles do not overlap.
#[derive(Debug, Clone, Default)]
pub struct Cast {
    /// (person, principal)
    pub hidden: Vec<(u32, u32)>,
    /// Managers whose reports go around them.
    pub paper: Vec<u32>,
    /// (holder, yielder)
    pub unbalanced: Vec<(u32, u32)>,
    pub power_over: Vec<u32>,
    pub power_with: Vec<u32>,
    pub silos: Vec<u32>,
    pub coalition: Vec<u32>,
    pub caretakers: Vec<u32>,
    pub bottlenecks: Vec<u32>,
    pub allies: Vec<(u32, u32)>,
}

pub fn cast(org: &Org, rng: &mut Xoshiro256PlusPlus) -> Cast {
    let n = org.n();
    let mut used = vec![false; n];
    let mut c = Cast::default();
    for (i, p) in org.people.iter().enumerate() {
        if p.staff != Staff::Regular
            && let Some(principal) = p.principal
        {
            c.hidden.push((i as u32, principal));
            used[i] = true;
        }
    }
    used[org.ceo as usize] = true;
    for &h in &org.heads {
        used[h as usize] = true;
    }
    let n_depts = org.departments.len();
    // Silos: one department in small organizations, two from eight departments up.
    let n_silos = if n_depts >= 8 { 2 } else { 1 };
    let mut depts: Vec<u32> = (0..n_depts as u32).collect();
    depts.shuffle(rng);
    c.silos = depts[..n_silos].to_vec();
    c.silos.sort_unstable();
    let in_silo = |p: u32| c.silos.contains(&org.people[p as usize].department);

    let managers: Vec<u32> = (0..n as u32)
        .filter(|&i| org.people[i as usize].reports.len() >= 4 && org.people[i as usize].level >= 3)
        .collect();
    let mut pool = managers.clone();
    pool.shuffle(rng);
    let n_style = (managers.len() / 8).clamp(2, 200);
    for &m in &pool {
        if used[m as usize] {
            continue;
        }
        // Keep leaders' teams disjoint from each other's.
        let clash = |list: &Vec<u32>| {
            list.iter().any(|&o| {
                org.people[o as usize].manager == Some(m)
                    || org.people[m as usize].manager == Some(o)
            })
        };
        if clash(&c.power_over) || clash(&c.power_with) {
            continue;
        }
        if c.power_over.len() < n_style {
            c.power_over.push(m);
        } else if c.power_with.len() < n_style {
            c.power_with.push(m);
        } else if c.paper.len() < (n_style / 2).max(1) {
            c.paper.push(m);
        } else {
            break;
        }
        used[m as usize] = true;
    }
    let mut ics: Vec<u32> = (0..n as u32)
        .filter(|&i| {
            !used[i as usize]
                && org.people[i as usize].staff == Staff::Regular
                && org.people[i as usize].level >= 3
        })
        .collect();
    ics.shuffle(rng);
    let take = |count: usize, filter: &dyn Fn(u32) -> bool, used: &mut Vec<bool>| -> Vec<u32> {
        let mut out = Vec::new();
        for &i in ics.iter() {
            if out.len() == count {
                break;
            }
            if !used[i as usize] && filter(i) {
                used[i as usize] = true;
                out.push(i);
            }
        }
        out
    };
    let n_small = (n / 200).clamp(3, 300);
    c.caretakers = take(
        n_small,
        &|i| org.people[i as usize].reports.is_empty(),
        &mut used,
    );
    c.bottlenecks = take(n_small, &|_| true, &mut used);
    // Coalition: members from at least three departments outside the silos.
    let size = (n / 100).clamp(6, 24);
    let per_dept = (size / 3).max(2);
    let mut counts = vec![0usize; n_depts];
    for &i in ics.iter() {
        if c.coalition.len() == size {
            break;
        }
        let d = org.people[i as usize].department as usize;
        if !used[i as usize] && !in_silo(i) && counts[d] < per_dept {
            counts[d] += 1;
            used[i as usize] = true;
            c.coalition.push(i);
        }
    }
    // Too few departments outside the silos for three of them: no coalition is planted.
    if counts.iter().filter(|&&k| k > 0).count() < 3 {
        for &i in &c.coalition {
            used[i as usize] = false;
        }
        c.coalition.clear();
    }
    let n_pairs = (n / 100).clamp(5, 1000);
    // Unbalanced pairs: peers or same-level colleagues, so that the org chart does not explain them.
    let candidates: Vec<u32> = ics.iter().copied().filter(|&i| !used[i as usize]).collect();
    let mut k = 0;
    while c.unbalanced.len() < n_pairs && k < candidates.len() {
        let a = candidates[k];
        k += 1;
        if used[a as usize] {
            continue;
        }
        let partner = org.peers(a).iter().copied().find(|&b| {
            b != a && !used[b as usize] && org.people[b as usize].staff == Staff::Regular
        });
        if let Some(b) = partner {
            used[a as usize] = true;
            used[b as usize] = true;
            // a holds power over b
            c.unbalanced.push((a, b));
        }
    }
    // Allies: pairs across teams (same department or not), both unused.
    let candidates: Vec<u32> = ics.iter().copied().filter(|&i| !used[i as usize]).collect();
    let mut k = 0;
    while c.allies.len() < n_pairs && k + 1 < candidates.len() {
        let a = candidates[k];
        let b = candidates[k + 1];
        k += 2;
        if org.people[a as usize].manager != org.people[b as usize].manager
            && !in_silo(a)
            && !in_silo(b)
        {
            used[a as usize] = true;
            used[b as usize] = true;
            c.allies.push((a.min(b), a.max(b)));
        }
    }
    c.power_over.sort_unstable();
    c.power_with.sort_unstable();
    c.paper.sort_unstable();
    c.caretakers.sort_unstable();
    c.bottlenecks.sort_unstable();
    c.coalition.sort_unstable();
    c
}
