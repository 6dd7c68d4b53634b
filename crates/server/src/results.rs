//! What a closed campaign's answers add up to. At the close, [`summarize`] turns the raw answers
//! into counts per group and question (and, per person, by how many respondents they were
//! named); the raw answers are then deleted. Pages show shares and means made from those counts
//! with 95% intervals (Wilson for a share, normal for a mean, Newcombe for the change of a
//! share), never a group under the minimum size.

use crate::db::{PersonResult, ResultRow};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The group every invitee is in.
pub const EVERYONE: &str = "everyone";

/// The measures, in the order pages list them: (name, what it says, a share or a mean).
pub const MEASURES: &[(&str, &str, Kind)] = &[
    ("given", "colleagues each respondent named", Kind::Mean),
    ("received", "times each member was named", Kind::Mean),
    (
        "inside",
        "of the names given, share inside the group",
        Kind::Share,
    ),
    (
        "density",
        "of the ties respondents could name inside the group, share named",
        Kind::Share,
    ),
    (
        "reciprocated",
        "of the names between two respondents, share named back",
        Kind::Share,
    ),
    (
        "matched",
        "of the names given, share also seen in the interaction data",
        Kind::Share,
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Share,
    Mean,
}

/// What a campaign's close summarizes.
pub struct Inputs<'a> {
    /// Every invitee (pseudonym) and whether they sent their answers.
    pub invitees: &'a [(String, bool)],
    /// Sent answers: respondent, question, colleague.
    pub answers: &'a [(String, String, String)],
    pub questions: &'a [String],
    /// A person's department, if any.
    pub group_of: &'a dyn Fn(&str) -> Option<String>,
    /// Whether two people interacted (when the campaign matches answers against interactions).
    pub tied: Option<&'a Tied<'a>>,
}

/// Whether two people (by pseudonym) interacted.
pub type Tied<'a> = dyn Fn(&str, &str) -> bool + 'a;

#[derive(Default)]
struct Acc {
    n: i64,
    k: i64,
    k2: i64,
}

impl Acc {
    fn share(&mut self, hit: bool) {
        self.n += 1;
        self.k += i64::from(hit);
    }
    fn value(&mut self, v: i64) {
        self.n += 1;
        self.k += v;
        self.k2 += v * v;
    }
}

type Counts = BTreeMap<(String, String, String), Acc>;

fn at<'a>(acc: &'a mut Counts, group: &str, question: &str, measure: &str) -> &'a mut Acc {
    acc.entry((group.to_string(), question.to_string(), measure.to_string()))
        .or_default()
}

/// The counts of a campaign's results, and each person's.
pub fn summarize(x: &Inputs) -> (Vec<ResultRow>, Vec<PersonResult>) {
    let sent: HashSet<&str> = x
        .invitees
        .iter()
        .filter(|i| i.1)
        .map(|i| i.0.as_str())
        .collect();
    let groups_of = |p: &str| -> Vec<String> {
        let mut g = vec![EVERYONE.to_string()];
        g.extend((x.group_of)(p));
        g
    };
    let mut acc: Counts = BTreeMap::new();
    // Counts per group: members and respondents.
    let mut members: HashMap<String, Vec<&str>> = HashMap::new();
    for (p, answered) in x.invitees {
        for g in groups_of(p) {
            members.entry(g.clone()).or_default().push(p);
            at(&mut acc, &g, "*", "response").share(*answered);
        }
    }
    // Distinct names per (respondent, question).
    let mut named: HashMap<(&str, &str), HashSet<&str>> = HashMap::new();
    for (r, q, c) in x.answers {
        if sent.contains(r.as_str()) && r != c {
            named.entry((r, q)).or_default().insert(c);
        }
    }
    let group_key = |p: &str| (x.group_of)(p);
    let mut people = Vec::new();
    for q in x.questions {
        let q = q.as_str();
        let mut received: HashMap<&str, i64> = HashMap::new();
        for ((r, rq), names) in &named {
            if *rq != q {
                continue;
            }
            for c in names {
                *received.entry(c).or_default() += 1;
            }
            let rg = group_key(r);
            for g in groups_of(r) {
                for c in names {
                    let inside = g == EVERYONE || group_key(c) == rg;
                    at(&mut acc, &g, q, "inside").share(inside);
                    if sent.contains(c) {
                        let back = named.get(&(*c, q)).is_some_and(|b| b.contains(r));
                        at(&mut acc, &g, q, "reciprocated").share(back);
                    }
                    if let Some(tied) = x.tied {
                        at(&mut acc, &g, q, "matched").share(tied(r, c));
                    }
                }
            }
        }
        for (g, ms) in &members {
            let inside: HashSet<&str> = ms.iter().copied().collect();
            for p in ms {
                at(&mut acc, g, q, "received").value(received.get(p).copied().unwrap_or(0));
                if sent.contains(p) {
                    let names = named.get(&(*p, q));
                    let given = names.map_or(0, |n| n.len() as i64);
                    at(&mut acc, g, q, "given").value(given);
                    // Density: of the other members the respondent could name, how many named.
                    let hit = names.map_or(0, |n| n.iter().filter(|c| inside.contains(*c)).count());
                    let a = at(&mut acc, g, q, "density");
                    a.n += ms.len() as i64 - 1;
                    a.k += hit as i64;
                }
            }
        }
        // Non-response: are those who did not answer named as often as those who did?
        for (p, answered) in x.invitees {
            let m = if *answered {
                "received_respondents"
            } else {
                "received_nonrespondents"
            };
            at(&mut acc, EVERYONE, q, m).value(received.get(p.as_str()).copied().unwrap_or(0));
            let of = sent.len() as i64 - i64::from(*answered);
            people.push(PersonResult {
                person: p.clone(),
                question: q.to_string(),
                named_by: received.get(p.as_str()).copied().unwrap_or(0),
                of,
            });
        }
    }
    let rows = acc
        .into_iter()
        .map(|((group, question, measure), a)| ResultRow {
            group,
            question,
            measure,
            n: a.n,
            k: a.k,
            k2: a.k2,
        })
        .collect();
    (rows, people)
}

const Z: f64 = 1.959_964;

/// A share or a mean with its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub n: i64,
}

/// `k` of `n` with its Wilson interval.
pub fn share(k: i64, n: i64) -> Estimate {
    if n <= 0 {
        return Estimate {
            value: 0.0,
            low: 0.0,
            high: 1.0,
            n: 0,
        };
    }
    let (k, nf) = (k as f64, n as f64);
    let p = k / nf;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = Z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Estimate {
        value: p,
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
        n,
    }
}

/// A mean from its sum and sum of squares, with a normal interval.
pub fn mean(sum: i64, squares: i64, n: i64) -> Estimate {
    if n <= 0 {
        return Estimate {
            value: 0.0,
            low: 0.0,
            high: 0.0,
            n: 0,
        };
    }
    let nf = n as f64;
    let m = sum as f64 / nf;
    let var = if n > 1 {
        ((squares as f64 - nf * m * m) / (nf - 1.0)).max(0.0)
    } else {
        0.0
    };
    let half = Z * (var / nf).sqrt();
    Estimate {
        value: m,
        low: (m - half).max(0.0),
        high: m + half,
        n,
    }
}

/// The estimate a stored row stands for.
pub fn estimate(r: &ResultRow) -> Estimate {
    match kind(&r.measure) {
        Kind::Share => share(r.k, r.n),
        Kind::Mean => mean(r.k, r.k2, r.n),
    }
}

/// Whether a measure is a share or a mean: as [`MEASURES`] says; `response` is a share, and the
/// non-response comparison's `received_*` are means like `received`.
pub fn kind(measure: &str) -> Kind {
    let base = if measure.starts_with("received_") {
        "received"
    } else {
        measure
    };
    MEASURES
        .iter()
        .find(|m| m.0 == base)
        .map_or(Kind::Share, |m| m.2)
}

/// A change from `before` to `after`, with its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Change {
    pub delta: f64,
    pub low: f64,
    pub high: f64,
}

impl Change {
    /// The interval excludes no change.
    pub fn clear(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// The change of a share (Newcombe's hybrid score interval from the two Wilson intervals) or
/// of a mean (normal, from the two standard errors). The two campaigns are treated as
/// independent samples.
pub fn change(kind: Kind, before: &Estimate, after: &Estimate) -> Change {
    let d = after.value - before.value;
    match kind {
        Kind::Share => Change {
            delta: d,
            low: d
                - ((after.value - after.low).powi(2) + (before.high - before.value).powi(2)).sqrt(),
            high: d
                + ((after.high - after.value).powi(2) + (before.value - before.low).powi(2)).sqrt(),
        },
        Kind::Mean => {
            let se = |e: &Estimate| (e.high - e.value) / Z;
            let half = Z * (se(before).powi(2) + se(after).powi(2)).sqrt();
            Change {
                delta: d,
                low: d - half,
                high: d + half,
            }
        }
    }
}

/// The groups whose figures may be shown: at least `min` members and `min` respondents. When
/// the people left out would number between one and `min - 1` (so that "everyone" minus the
/// shown groups would describe a group under the minimum), the smallest shown group is left
/// out as well, until the rest is empty or large enough.
pub fn visible_groups(rows: &[ResultRow], min: usize) -> Vec<String> {
    let min = min as i64;
    let sizes: Vec<(&str, i64, i64)> = rows
        .iter()
        .filter(|r| r.question == "*" && r.measure == "response")
        .map(|r| (r.group.as_str(), r.n, r.k))
        .collect();
    let Some(&(_, everyone, answered)) = sizes.iter().find(|x| x.0 == EVERYONE) else {
        return Vec::new();
    };
    if everyone < min || answered < min {
        return Vec::new();
    }
    let mut shown: Vec<(&str, i64, i64)> = sizes
        .iter()
        .filter(|x| x.0 != EVERYONE && x.1 >= min && x.2 >= min)
        .copied()
        .collect();
    shown.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    loop {
        let (members, respondents) = shown
            .iter()
            .fold((0, 0), |acc, x| (acc.0 + x.1, acc.1 + x.2));
        let (rest, rest_answered) = (everyone - members, answered - respondents);
        let small = |x: i64| x > 0 && x < min;
        if shown.is_empty() || !(small(rest) || small(rest_answered)) {
            break;
        }
        shown.pop();
    }
    let mut out = vec![EVERYONE.to_string()];
    out.extend(shown.into_iter().map(|x| x.0.to_string()));
    out
}

/// One figure of a results page.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Line {
    pub group: String,
    pub question: String,
    pub measure: String,
    #[serde(flatten)]
    pub estimate: Estimate,
    /// Since the previous campaign on the same scope, when the group was shown in both.
    pub change: Option<Change>,
}

/// A campaign's results as pages and the API show them.
#[derive(Clone, Debug, serde::Serialize)]
pub struct View {
    pub campaign: i64,
    pub name: String,
    pub scope: String,
    pub state: String,
    pub invited: i64,
    pub answered: i64,
    /// The campaign's questions, in its order.
    pub questions: Vec<String>,
    /// Why there are no figures, or what non-response means for them.
    pub notes: Vec<String>,
    /// The campaign changes are measured from.
    pub since: Option<(i64, String)>,
    /// Groups left out for being under the minimum (or to keep a left-out rest from being
    /// inferred).
    pub hidden_groups: usize,
    pub lines: Vec<Line>,
}

/// The results of `c` (stored `rows`), compared with `before` when given, for a viewer whose
/// minimum group size is `min`.
pub fn view(
    c: &crate::db::Campaign,
    rows: &[ResultRow],
    before: Option<(&crate::db::Campaign, &[ResultRow])>,
    min: usize,
) -> View {
    let mut v = View {
        campaign: c.id,
        name: c.name.clone(),
        scope: c.scope.clone(),
        state: c.state.clone(),
        invited: c.invited,
        answered: c.submitted,
        questions: c.questions.split(',').map(str::to_string).collect(),
        notes: Vec::new(),
        since: None,
        hidden_groups: 0,
        lines: Vec::new(),
    };
    if c.state != "closed" || rows.is_empty() {
        v.notes.push(match c.state.as_str() {
            "open" | "closing" => "Results are shown once the campaign closes.".to_string(),
            _ => format!(
                "This campaign closed without results ({}): nothing was stored.",
                c.state.trim_start_matches("closed: ")
            ),
        });
        return v;
    }
    let shown = visible_groups(rows, min);
    let all_groups: HashSet<&str> = rows.iter().map(|r| r.group.as_str()).collect();
    v.hidden_groups = all_groups.len().saturating_sub(shown.len());
    if shown.is_empty() {
        v.notes.push(format!(
            "Fewer than {min} people answered or were asked: no figures are shown."
        ));
        return v;
    }
    let before_shown = before.map(|(b, r)| (b, r, visible_groups(r, min)));
    if let Some((b, _, _)) = &before_shown {
        v.since = Some((b.id, b.name.clone()));
    }
    for r in rows {
        if !shown.contains(&r.group) || r.measure.starts_with("received_") {
            continue;
        }
        let e = estimate(r);
        let change = before_shown.as_ref().and_then(|(_, br, bs)| {
            if !bs.contains(&r.group) {
                return None;
            }
            let b = br.iter().find(|x| {
                x.group == r.group && x.question == r.question && x.measure == r.measure
            })?;
            Some(change(kind(&r.measure), &estimate(b), &e))
        });
        v.lines.push(Line {
            group: r.group.clone(),
            question: r.question.clone(),
            measure: r.measure.clone(),
            estimate: e,
            change,
        });
    }
    v.notes.extend(non_response(c, rows, min));
    v
}

/// What non-response means for the figures: always what is missing, and, when both sides are
/// large enough to show, whether those who did not answer sit on the network's edge.
fn non_response(c: &crate::db::Campaign, rows: &[ResultRow], min: usize) -> Vec<String> {
    let missing = c.invited - c.submitted;
    let mut out = Vec::new();
    if missing == 0 {
        out.push("Everyone asked answered.".to_string());
        return out;
    }
    out.push(format!(
        "{missing} of {} people asked did not answer ({:.0}%). The colleagues they would have named are missing: \"named per respondent\", density and reciprocity describe those who answered; \"times named\" still counts names given to people who did not answer, but their own ties out are unseen, so every group looks less connected than it is, most where fewer answered.",
        c.invited,
        100.0 * missing as f64 / c.invited.max(1) as f64
    ));
    let find = |q: &str, m: &str| {
        rows.iter()
            .find(|r| r.group == EVERYONE && r.question == q && r.measure == m)
    };
    for q in c.questions.split(',') {
        let (Some(a), Some(b)) = (
            find(q, "received_respondents"),
            find(q, "received_nonrespondents"),
        ) else {
            continue;
        };
        if (a.n as usize) < min || (b.n as usize) < min {
            continue;
        }
        let (ea, eb) = (estimate(a), estimate(b));
        let d = change(Kind::Mean, &ea, &eb);
        let verdict = if d.clear() && d.delta < 0.0 {
            "named less often than those who answered: they are likely nearer the edge of this network, and the results lean toward its better-connected part"
        } else if d.clear() {
            "named more often than those who answered: well-connected people are missing, and with them many of the ties that hold the network together"
        } else {
            "named about as often as those who answered (the difference is within the noise): no sign that they sit on the network's edge"
        };
        out.push(format!(
            "Under `{q}`, those who did not answer were {verdict} ({:.1} vs {:.1} times each).",
            eb.value, ea.value
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn response(g: &str, n: i64, k: i64) -> ResultRow {
        ResultRow {
            group: g.into(),
            question: "*".into(),
            measure: "response".into(),
            n,
            k,
            k2: 0,
        }
    }

    #[test]
    fn small_groups_and_small_remainders_are_hidden() {
        // Minimum 5: B is too small; A and C are shown; the rest (B, 3 people) would be
        // everyone minus A minus C, so C (the smaller) goes too, leaving a rest of 9.
        let rows = vec![
            response(EVERYONE, 23, 20),
            response("A", 14, 12),
            response("B", 3, 3),
            response("C", 6, 5),
        ];
        assert_eq!(visible_groups(&rows, 5), vec![EVERYONE, "A"]);
        // Without B, the rest is empty: both shown.
        let rows = vec![
            response(EVERYONE, 20, 17),
            response("A", 14, 12),
            response("C", 6, 5),
        ];
        assert_eq!(visible_groups(&rows, 5), vec![EVERYONE, "A", "C"]);
        // Too few respondents overall: nothing.
        assert!(visible_groups(&[response(EVERYONE, 20, 4)], 5).is_empty());
        // A group with enough members but few respondents is hidden.
        let rows = vec![
            response(EVERYONE, 30, 16),
            response("A", 15, 12),
            response("B", 15, 4),
        ];
        assert_eq!(visible_groups(&rows, 5), vec![EVERYONE]);
    }

    #[test]
    fn wilson_matches_the_textbook_values() {
        // Newcombe (1998), table I: 81/263 → 0.2553–0.3662; 15/148 → 0.0624–0.1605.
        let e = share(81, 263);
        assert!(
            (e.low - 0.2553).abs() < 5e-4 && (e.high - 0.3662).abs() < 5e-4,
            "{e:?}"
        );
        let e = share(15, 148);
        assert!(
            (e.low - 0.0624).abs() < 5e-4 && (e.high - 0.1605).abs() < 5e-4,
            "{e:?}"
        );
        // Newcombe (1998), method 10 for 56/70 − 48/80: 0.0524 to 0.3339.
        let c = change(Kind::Share, &share(48, 80), &share(56, 70));
        assert!(
            (c.low - 0.0524).abs() < 5e-4 && (c.high - 0.3339).abs() < 5e-4,
            "{c:?}"
        );
        assert!(c.clear());
    }

    #[test]
    fn a_mean_and_its_interval() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample sd 2.138.
        let v = [2i64, 4, 4, 4, 5, 5, 7, 9];
        let e = mean(v.iter().sum(), v.iter().map(|x| x * x).sum(), 8);
        assert!((e.value - 5.0).abs() < 1e-12);
        assert!((e.high - 5.0 - 1.959_964 * 2.138_090 / 8f64.sqrt()).abs() < 1e-5);
        let c = change(Kind::Mean, &e, &e);
        assert_eq!(c.delta, 0.0);
        assert!(!c.clear());
    }

    /// The counts against a plain recount of the same answers.
    #[test]
    fn counts_match_a_naive_recount() {
        let invitees: Vec<(String, bool)> = [
            ("a", true),
            ("b", true),
            ("c", true),
            ("d", false),
            ("e", true),
        ]
        .iter()
        .map(|(p, s)| (p.to_string(), *s))
        .collect();
        let dept = |p: &str| -> Option<String> {
            Some(if "abc".contains(p) { "X" } else { "Y" }.to_string())
        };
        let answers: Vec<(String, String, String)> = [
            ("a", "advice", "b"),
            ("a", "advice", "d"),
            ("a", "advice", "d"), // a duplicate counts once
            ("b", "advice", "a"),
            ("c", "advice", "a"),
            ("c", "advice", "e"),
            ("e", "advice", "a"),
            ("d", "advice", "a"), // d did not send: not counted
            ("a", "trust", "c"),
        ]
        .iter()
        .map(|(r, q, c)| (r.to_string(), q.to_string(), c.to_string()))
        .collect();
        let tied = |a: &str, b: &str| (a, b) == ("a", "b") || (a, b) == ("b", "a");
        let questions = s(&["advice", "trust"]);
        let (rows, people) = summarize(&Inputs {
            invitees: &invitees,
            answers: &answers,
            questions: &questions,
            group_of: &dept,
            tied: Some(&tied),
        });
        let get = |g: &str, q: &str, m: &str| {
            rows.iter()
                .find(|r| r.group == g && r.question == q && r.measure == m)
                .map(|r| (r.n, r.k, r.k2))
                .unwrap_or_else(|| panic!("no {g}/{q}/{m}"))
        };
        assert_eq!(get(EVERYONE, "*", "response"), (5, 4, 0));
        assert_eq!(get("X", "*", "response"), (3, 3, 0));
        assert_eq!(get("Y", "*", "response"), (2, 1, 0));
        // Names given under advice: a 2, b 1, c 2, e 1.
        assert_eq!(get(EVERYONE, "advice", "given"), (4, 6, 4 + 1 + 4 + 1));
        assert_eq!(get("X", "advice", "given"), (3, 5, 9));
        // Received: a 3, b 1, d 1, e 1, c 0.
        assert_eq!(get(EVERYONE, "advice", "received"), (5, 6, 9 + 1 + 1 + 1));
        assert_eq!(get("Y", "advice", "received"), (2, 2, 2));
        // Inside X: a→b in, a→d out, b→a in, c→a in, c→e out.
        assert_eq!(get("X", "advice", "inside"), (5, 3, 0));
        // Density in X: 3 respondents × 2 others = 6 possible; a→b, b→a, c→a named.
        assert_eq!(get("X", "advice", "density"), (6, 3, 0));
        // Between respondents: a→b (back), b→a (back), c→a (no), c→e (no), e→a (no).
        assert_eq!(get(EVERYONE, "advice", "reciprocated"), (5, 2, 0));
        // Matched: only a↔b interacted.
        assert_eq!(get(EVERYONE, "advice", "matched"), (6, 2, 0));
        assert_eq!(
            get(EVERYONE, "advice", "received_nonrespondents"),
            (1, 1, 1)
        );
        assert_eq!(get(EVERYONE, "advice", "received_respondents"), (4, 5, 11));
        let a = people
            .iter()
            .find(|p| p.person == "a" && p.question == "advice")
            .unwrap();
        assert_eq!((a.named_by, a.of), (3, 3));
        let d = people
            .iter()
            .find(|p| p.person == "d" && p.question == "advice")
            .unwrap();
        assert_eq!((d.named_by, d.of), (1, 4));
        assert_eq!(get(EVERYONE, "trust", "given"), (4, 1, 1));
    }
}
