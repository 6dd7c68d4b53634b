//! The metadata-only mode measured as real mail is: the Enron statistics of
//! `src/enron_behaviour.json` (same definitions as `scripts/measure_enron_behaviour.py`), and
//! the planted dynamics visible in metadata alone.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;
use synth::{EventFormat, GenerateConfig, Truth, generate};

const DAY_S: i64 = 86_400;

/// One event row of a generated `events.csv`.
#[derive(Debug, Clone)]
pub struct Row {
    pub event: u64,
    /// Seconds since 1970-01-01.
    pub time: i64,
    pub actor: u32,
    pub recipient: u32,
    pub role: String,
    pub channel: String,
    pub kind: String,
    pub thread: Option<u64>,
    pub in_reply_to: Option<u64>,
    pub duration: Option<u32>,
    pub speaking: Option<u32>,
}

/// A generated organization read back from its files.
pub struct Generated {
    pub ids: Vec<String>,
    pub title: Vec<String>,
    pub manager: Vec<Option<u32>>,
    pub department: Vec<String>,
    pub rows: Vec<Row>,
    pub truth: Truth,
}

impl Generated {
    pub fn read(dir: &Path) -> Generated {
        let mut people = csv::Reader::from_path(dir.join("people.csv")).unwrap();
        let records: Vec<csv::StringRecord> = people.records().map(|r| r.unwrap()).collect();
        let ids: Vec<String> = records.iter().map(|r| r[0].to_string()).collect();
        let index: HashMap<&str, u32> = ids
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i as u32))
            .collect();
        let manager = records.iter().map(|r| index.get(&r[3]).copied()).collect();
        let title = records.iter().map(|r| r[4].to_string()).collect();
        let department = records.iter().map(|r| r[5].to_string()).collect();
        let mut events = csv::Reader::from_path(dir.join("events.csv")).unwrap();
        let opt = |s: &str| (!s.is_empty()).then(|| s.parse().unwrap());
        let rows = events
            .records()
            .map(|r| {
                let r = r.unwrap();
                Row {
                    event: r[0].parse().unwrap(),
                    time: chrono::DateTime::parse_from_rfc3339(&r[1])
                        .unwrap()
                        .timestamp(),
                    actor: index[&r[2]],
                    recipient: index[&r[3]],
                    role: r[4].to_string(),
                    channel: r[5].to_string(),
                    kind: r[6].to_string(),
                    thread: opt(&r[7]),
                    in_reply_to: opt(&r[8]),
                    duration: opt(&r[9]).map(|v: u64| v as u32),
                    speaking: opt(&r[10]).map(|v: u64| v as u32),
                }
            })
            .collect();
        let truth =
            serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
        Generated {
            ids,
            title,
            manager,
            department,
            rows,
            truth,
        }
    }

    pub fn idx(&self, id: &str) -> u32 {
        self.ids.iter().position(|x| x == id).unwrap() as u32
    }

    fn senior(&self, p: u32) -> bool {
        let t = &self.title[p as usize];
        t == "Chief Executive Officer" || t.starts_with("VP ")
    }
}

/// The S organization (1,000 people, 90 days, seed 1) in the metadata-only mode, generated once
/// for every test that reads it.
pub fn s_org() -> &'static Generated {
    static ORG: OnceLock<Generated> = OnceLock::new();
    ORG.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = GenerateConfig::new(1000, 90, 1);
        cfg.format = EventFormat::Csv;
        cfg.metadata_only = true;
        generate(&cfg, dir.path(), &|_, _| {}).unwrap();
        Generated::read(dir.path())
    })
}

/// One message: sender, time, and each recipient with whether they are only in Cc.
type Message = (u32, i64, Vec<(u32, bool)>);

/// Messages the way the script reads them: mail and chat rows, but answers to meeting
/// invitations.
fn messages(g: &Generated) -> Vec<Message> {
    let invitations: HashSet<u64> = g
        .rows
        .iter()
        .filter(|r| r.channel == "meeting")
        .map(|r| r.event)
        .collect();
    let mut out: Vec<Message> = Vec::new();
    let mut last = None;
    for r in &g.rows {
        let calendar = matches!(r.kind.as_str(), "accept" | "decline")
            && r.in_reply_to.is_some_and(|e| invitations.contains(&e));
        if !matches!(r.channel.as_str(), "email" | "chat") || calendar || r.actor == r.recipient {
            continue;
        }
        if last != Some(r.event) {
            out.push((r.actor, r.time, Vec::new()));
            last = Some(r.event);
        }
        let rec = &mut out.last_mut().unwrap().2;
        match rec.iter_mut().find(|(b, _)| *b == r.recipient) {
            Some(x) => x.1 = x.1 && r.role != "to",
            None => rec.push((r.recipient, r.role != "to")),
        }
    }
    out
}

fn quantile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let x = p * (v.len() - 1) as f64;
    let lo = x.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (v[hi] - v[lo]) * (x - lo as f64)
}

/// The statistics of `scripts/measure_enron_behaviour.py`, by direction.
#[derive(Debug, Default)]
pub struct Behaviour {
    pub up_share: f64,
    /// (reply rate, latency hours q1, median, q3, cc share) for all, up, down, senior_peer,
    /// junior_peer
    pub by_direction: HashMap<&'static str, (f64, f64, f64, f64, f64)>,
    pub recipients_mean: f64,
    pub share_one: f64,
}

pub fn behaviour(g: &Generated) -> Behaviour {
    let msgs = messages(g);
    let mut sent: HashMap<(u32, u32), Vec<i64>> = HashMap::new();
    for (a, t, rec) in &msgs {
        for (b, _) in rec {
            sent.entry((*a, *b)).or_default().push(*t);
        }
    }
    for v in sent.values_mut() {
        v.sort_unstable();
    }
    let mut rows: HashMap<&'static str, (u64, u64, u64, Vec<f64>)> = HashMap::new();
    for (a, t, rec) in &msgs {
        for &(b, cc) in rec {
            let dir = match (g.senior(*a), g.senior(b)) {
                (false, true) => "up",
                (true, false) => "down",
                (true, true) => "senior_peer",
                (false, false) => "junior_peer",
            };
            let back = sent.get(&(b, *a)).map(Vec::as_slice).unwrap_or(&[]);
            let i = back.partition_point(|&x| x <= *t);
            let answer = back.get(i).filter(|&&x| x - t <= 7 * DAY_S);
            for key in ["all", dir] {
                let e = rows.entry(key).or_default();
                e.0 += 1;
                e.1 += cc as u64;
                if let Some(x) = answer {
                    e.2 += 1;
                    e.3.push((x - t) as f64 / 3600.0);
                }
            }
        }
    }
    let n = |k: &str| rows.get(k).map_or(0, |e| e.0) as f64;
    let up_share = n("up") / (n("up") + n("down"));
    let by_direction = rows
        .iter_mut()
        .map(|(k, (n, cc, answered, lat))| {
            (
                *k,
                (
                    *answered as f64 / *n as f64,
                    quantile(lat, 0.25),
                    quantile(lat, 0.5),
                    quantile(lat, 0.75),
                    *cc as f64 / *n as f64,
                ),
            )
        })
        .collect();
    let recipients: Vec<usize> = msgs.iter().map(|m| m.2.len()).collect();
    Behaviour {
        up_share,
        by_direction,
        recipients_mean: recipients.iter().sum::<usize>() as f64 / recipients.len() as f64,
        share_one: recipients.iter().filter(|&&k| k == 1).count() as f64 / recipients.len() as f64,
    }
}

#[test]
fn metadata_only_behaves_like_enron_mail() {
    let enron: serde_json::Value =
        serde_json::from_str(synth::realism::ENRON_BEHAVIOUR_JSON).unwrap();
    let g = s_org();
    let b = behaviour(g);
    let e = |path: &[&str]| {
        let mut v = &enron;
        for p in path {
            v = &v[p];
        }
        v.as_f64().unwrap()
    };
    let close = |name: &str, got: f64, want: f64, tolerance: f64| {
        assert!(
            (got - want).abs() <= tolerance,
            "{name}: generated {got:.3}, Enron {want:.3} (tolerance {tolerance})"
        );
    };
    // Within a factor.
    let near = |name: &str, got: f64, want: f64, factor: f64| {
        assert!(
            got <= want * factor && got >= want / factor,
            "{name}: generated {got:.2} h, Enron {want:.2} h (within a factor {factor})"
        );
    };
    close("up share", b.up_share, e(&["up_share"]), 0.08);
    close(
        "recipients per message",
        b.recipients_mean,
        e(&["recipients_per_message", "mean"]),
        0.15,
    );
    close(
        "share of messages to one person",
        b.share_one,
        e(&["recipients_per_message", "share_one"]),
        0.06,
    );
    for dir in ["all", "up", "down", "senior_peer", "junior_peer"] {
        let (rate, q1, median, q3, cc) = b.by_direction[dir];
        let tolerance = if dir == "all" { 0.1 } else { 0.3 };
        close(
            &format!("reply rate {dir}"),
            rate,
            e(&["reply_rate", dir]),
            tolerance,
        );
        close(&format!("cc share {dir}"), cc, e(&["cc_share", dir]), 0.07);
        // Groups with few rows (seniors) vary more between seeds.
        let factor = if dir == "all" { 1.25 } else { 2.5 };
        near(
            &format!("reply latency median {dir}"),
            median,
            e(&["reply_latency_h", dir, "median"]),
            factor,
        );
        near(
            &format!("reply latency q3 {dir}"),
            q3,
            e(&["reply_latency_h", dir, "q3"]),
            factor,
        );
        // The fast end is where generated mail is furthest from Enron's (see realism.rs).
        near(
            &format!("reply latency q1 {dir}"),
            q1,
            e(&["reply_latency_h", dir, "q1"]),
            3.5,
        );
    }
    // Juniors answer seniors faster than seniors answer juniors, as in Enron.
    assert!(b.by_direction["down"].2 < b.by_direction["up"].2);
}

fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty());
    quantile(&mut v, 0.5)
}

/// Per person and per pair, what metadata shows: replies (by in_reply_to) and their latency,
/// messages started, and who wrote to whom.
struct Traces {
    /// (replier, asker) → reply latencies in hours.
    latency: HashMap<(u32, u32), Vec<f64>>,
    /// (a, b) → messages a started to b (not replies; recipients in To).
    started: HashMap<(u32, u32), u64>,
    /// (a, b) → messages of a's (To) that b answered.
    answered: HashMap<(u32, u32), u64>,
    /// person → distinct people who wrote to them.
    senders: Vec<HashSet<u32>>,
}

fn traces(g: &Generated) -> Traces {
    let n = g.ids.len();
    let mut t = Traces {
        latency: HashMap::new(),
        started: HashMap::new(),
        answered: HashMap::new(),
        senders: vec![HashSet::new(); n],
    };
    let mut sent_at: HashMap<u64, (u32, i64)> = HashMap::new();
    let mut last = None;
    for r in g.rows.iter().filter(|r| r.kind == "message") {
        let first = last != Some(r.event);
        last = Some(r.event);
        if first {
            sent_at.insert(r.event, (r.actor, r.time));
        }
        t.senders[r.recipient as usize].insert(r.actor);
        if r.role != "to" {
            continue;
        }
        match r.in_reply_to.map(|e| sent_at.get(&e)) {
            Some(Some(&(asker, asked))) if asker == r.recipient => {
                t.latency
                    .entry((r.actor, asker))
                    .or_default()
                    .push((r.time - asked) as f64 / 3600.0);
                *t.answered.entry((asker, r.actor)).or_default() += 1;
            }
            Some(_) => {}
            None => *t.started.entry((r.actor, r.recipient)).or_default() += 1,
        }
    }
    t
}

impl Traces {
    /// Median latency of `p`'s replies to anyone.
    fn replier_median(&self, p: u32) -> Option<f64> {
        let v: Vec<f64> = self
            .latency
            .iter()
            .filter(|((r, _), _)| *r == p)
            .flat_map(|(_, l)| l.iter().copied())
            .collect();
        (!v.is_empty()).then(|| median(v))
    }

    fn pair_median(&self, replier: u32, asker: u32) -> Option<f64> {
        self.latency
            .get(&(replier, asker))
            .map(|l| median(l.clone()))
    }

    fn started(&self, a: u32, b: u32) -> u64 {
        self.started.get(&(a, b)).copied().unwrap_or(0)
    }
}

#[test]
fn planted_dynamics_leave_traces_in_metadata_only() {
    let g = s_org();
    let t = traces(g);
    let truth = &g.truth;
    let n = g.ids.len() as u32;
    let everyone: Vec<f64> = (0..n).filter_map(|p| t.replier_median(p)).collect();
    let typical = median(everyone.clone());
    let set = |ids: &[String]| ids.iter().map(|s| g.idx(s)).collect::<Vec<u32>>();

    // Bottlenecks answer slowly, though much comes to them.
    let mut inbound = vec![0u64; n as usize];
    for (&(_, b), &c) in &t.started {
        inbound[b as usize] += c;
    }
    let typical_inbound = median(inbound.iter().map(|&c| c as f64).collect());
    let bottlenecks = set(&truth.bottlenecks);
    for &p in &bottlenecks {
        let m = t.replier_median(p).unwrap();
        assert!(
            m > 2.0 * typical,
            "bottleneck {p}: {m:.1} h vs {typical:.1} h"
        );
        let got = inbound[p as usize];
        assert!(
            got as f64 > 1.2 * typical_inbound,
            "bottleneck {p}: {got} messages to them, typically {typical_inbound}"
        );
    }
    let group = median(
        bottlenecks
            .iter()
            .map(|&p| inbound[p as usize] as f64)
            .collect(),
    );
    assert!(
        group > 1.5 * typical_inbound,
        "bottlenecks get {group}, typically {typical_inbound}"
    );
    // Caretakers answer fast and answer more of what comes to them. (Their praise and feedback
    // are messages they start, so "asks little" has no trace in metadata.)
    let mut answered_by = vec![0u64; n as usize];
    for (&(_, replier), &c) in &t.answered {
        answered_by[replier as usize] += c;
    }
    let answer_share = |p: u32| answered_by[p as usize] as f64 / inbound[p as usize].max(1) as f64;
    let typical_answer_share = median((0..n).map(answer_share).collect());
    for p in set(&truth.caretakers) {
        assert!(t.replier_median(p).unwrap() < typical);
        assert!(
            answer_share(p) > 1.5 * typical_answer_share,
            "caretaker {p}: answers {:.2} of what comes to them (typically {typical_answer_share:.2})",
            answer_share(p),
        );
    }
    // Unbalanced pairs: the yielder answers the holder faster than the other way round, and the
    // holder answers a smaller share of the yielder's messages.
    let mut faster = 0;
    for u in &truth.unbalanced_pairs {
        let (h, y) = (g.idx(&u.holder), g.idx(&u.yielder));
        let (yl, hl) = (t.pair_median(y, h).unwrap(), t.pair_median(h, y).unwrap());
        faster += (yl * 4.0 < hl) as usize;
        let rate = |asker: u32, replier: u32| {
            t.answered.get(&(asker, replier)).copied().unwrap_or(0) as f64
                / t.started(asker, replier).max(1) as f64
        };
        assert!(rate(y, h) < rate(h, y), "{u:?}");
        assert!(t.started(h, y) > t.started(y, h), "{u:?}");
    }
    assert!(
        faster * 10 >= truth.unbalanced_pairs.len() * 9,
        "{faster} of {}",
        truth.unbalanced_pairs.len()
    );
    // Allies answer each other fast, both ways, and write to each other often.
    let mut ally_medians = Vec::new();
    for a in &truth.allies {
        let (x, y) = (g.idx(&a.a), g.idx(&a.b));
        for (p, q) in [(x, y), (y, x)] {
            ally_medians.push(t.pair_median(p, q).unwrap());
            assert!(t.started(p, q) >= 20, "{a:?}: {} messages", t.started(p, q));
        }
    }
    let allies = median(ally_medians);
    assert!(
        allies < 0.5 * typical,
        "allies answer in {allies:.1} h, typically {typical:.1} h"
    );
    // Assistants and chiefs of staff hear from many people, and much.
    let hidden: Vec<u32> = truth
        .hidden_influencers
        .iter()
        .map(|h| g.idx(&h.person))
        .collect();
    let group = median(hidden.iter().map(|&p| inbound[p as usize] as f64).collect());
    assert!(
        group > 1.2 * typical_inbound,
        "hidden influencers get {group}, typically {typical_inbound}"
    );
    // Leaders: power-with leaders answer their team faster than power-over leaders do.
    let team_median = |style: &str| {
        median(
            truth
                .leaders
                .iter()
                .filter(|l| l.style == style)
                .filter_map(|l| {
                    let m = g.idx(&l.leader);
                    let v: Vec<f64> = l
                        .team
                        .iter()
                        .filter_map(|r| t.latency.get(&(m, g.idx(r))))
                        .flatten()
                        .copied()
                        .collect();
                    (!v.is_empty()).then(|| median(v))
                })
                .collect(),
        )
    };
    assert!(4.0 * team_median("power_with") < team_median("power_over"));
    // Paper power: their reports write to them less than other managers' reports do.
    let reports_share = |m: u32| {
        let reports: Vec<u32> = (0..n)
            .filter(|&r| g.manager[r as usize] == Some(m))
            .collect();
        let to_m: u64 = reports.iter().map(|&r| t.started(r, m)).sum();
        let all: u64 = reports
            .iter()
            .map(|&r| {
                t.started
                    .iter()
                    .filter(|((a, _), _)| *a == r)
                    .map(|(_, c)| c)
                    .sum::<u64>()
            })
            .sum();
        to_m as f64 / all.max(1) as f64
    };
    let paper = set(&truth.paper_power);
    let others: Vec<f64> = (0..n)
        .filter(|m| {
            !paper.contains(m)
                && (0..n)
                    .filter(|&r| g.manager[r as usize] == Some(*m))
                    .count()
                    >= 4
        })
        .map(reports_share)
        .collect();
    let typical_share = median(others);
    for &m in &paper {
        assert!(reports_share(m) < 0.6 * typical_share, "paper power {m}");
    }
    // Silos write across departments far less than other departments do.
    let cross_share = |dept: &str| {
        let (mut cross, mut all) = (0u64, 0u64);
        for ((a, b), c) in &t.started {
            if g.department[*a as usize] == dept {
                all += c;
                cross += c * (g.department[*b as usize] != dept) as u64;
            }
        }
        cross as f64 / all as f64
    };
    let departments: HashSet<&String> = g.department.iter().collect();
    let open = median(
        departments
            .iter()
            .filter(|d| !truth.siloed_departments.contains(d))
            .map(|d| cross_share(d))
            .collect(),
    );
    for d in &truth.siloed_departments {
        let silo = cross_share(d);
        assert!(
            silo < 0.4 * open,
            "silo {d}: {silo:.3} of messages cross, typically {open:.3}"
        );
    }
    // The coalition writes among itself far more than chance.
    let members = set(&truth.coalitions[0].members);
    let inside: u64 = members
        .iter()
        .flat_map(|&a| members.iter().map(move |&b| (a, b)))
        .map(|(a, b)| t.started(a, b))
        .sum();
    let outside: u64 = t
        .started
        .iter()
        .filter(|((a, _), _)| members.contains(a))
        .map(|(_, c)| c)
        .sum();
    let share = inside as f64 / outside as f64;
    let chance = members.len() as f64 / n as f64;
    assert!(
        share > 5.0 * chance,
        "coalition writes {share:.3} of its messages among itself, chance {chance:.3}"
    );
}
