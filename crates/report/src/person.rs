//! The personal mirror: one person's stakeholder compass, relationships out of balance, allies,
//! missing partners, paths to power and suggestions, in words a person who is not an analyst
//! reads without help.

use crate::html::{Page, esc, ordinal, stats};
use crate::svg::{self, Interval};
use crate::{Frame, Naming};
use mirror::input::{Evidence, Org};
use std::fmt::Write;

pub struct PersonInputs<'a> {
    pub org: &'a Org,
    pub naming: &'a Naming,
    pub window: &'a str,
    pub person: u32,
    pub people: &'a Frame,
    pub dyads: &'a Frame,
    pub mirrors: &'a Frame,
    /// The window's pairs touching this person or the people with the most informal power
    /// ([`power_candidates`]), and the survey answers: for paths to power. With `paths`, only
    /// this person's pairs are read.
    pub evidence: &'a Evidence,
    /// The window's [`PathsIndex`], when the caller built it once for many pages (a server);
    /// None builds the graph from `evidence` for this page.
    pub paths: Option<&'a PathsIndex>,
    pub source: &'a str,
}

/// Plain names for the compass directions.
fn direction(class: &str) -> &str {
    match class {
        "up" => "your manager",
        "skip_up" => "your manager's manager and above",
        "down" => "your direct reports",
        "skip_down" => "the people below your reports",
        "peer" => "your peers (same manager)",
        "left_right" => "your level in other branches",
        "cross_level" => "everyone else",
        other => other,
    }
}

pub fn person_report(x: &PersonInputs) -> String {
    let me = x.person;
    let name = x.naming.of(me);
    let prow = x
        .people
        .in_window(x.window)
        .into_iter()
        .find(|&i| x.people.person("person", i) == Some(me));
    let rows: Vec<usize> = x
        .mirrors
        .in_window(x.window)
        .into_iter()
        .filter(|&i| x.mirrors.person("person", i) == Some(me))
        .collect();
    let section = |s: &str| -> Vec<usize> {
        let mut v: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| x.mirrors.str("section", i) == s)
            .collect();
        v.sort_by_key(|&i| x.mirrors.int("rank", i).unwrap_or(0));
        v
    };
    let pct_of = |c: &str| prow.and_then(|i| x.people.num(c, i));
    let show_pct = |v: Option<f64>| v.map_or("n/a".into(), |v| ordinal((100.0 * v).round() as u32));

    let mut page = Page::new(&format!("Mirror of {name} · {}", x.window));
    let header = format!(
        "<header><h1>Your mirror</h1><p class=\"sub\"><b data-key=\"person\">{}</b> · window <b data-key=\"window\">{}</b> · {} · only you (and people you allow) should see this page</p>{}</header>",
        esc(name),
        esc(x.window),
        esc(x.source),
        stats(&[
            (
                "formal_pct",
                show_pct(pct_of("formal_pct")),
                "formal power (percentile)"
            ),
            (
                "informal_pct",
                show_pct(pct_of("informal_pct")),
                "informal power (percentile)"
            ),
            (
                "contacts",
                prow.and_then(|i| x.people.int("contacts", i))
                    .map_or("0".into(), |v| v.to_string()),
                "people you worked with"
            ),
        ])
    );

    // Summary in words.
    page.section("summary", "In a sentence", "");
    let summary = match (pct_of("formal_pct"), pct_of("informal_pct")) {
        (Some(f), Some(i)) if i - f >= 0.2 => format!(
            "People seek you out, depend on you and route work through you more than your place in the org chart suggests: your title puts you at the {} percentile, how people work with you at the {}.",
            ordinal((100.0 * f).round() as u32),
            ordinal((100.0 * i).round() as u32)
        ),
        (Some(f), Some(i)) if f - i >= 0.2 => format!(
            "Your title carries more weight than the way people work with you: the org chart puts you at the {} percentile, how people seek you out and depend on you at the {}. Work may be going around you.",
            ordinal((100.0 * f).round() as u32),
            ordinal((100.0 * i).round() as u32)
        ),
        (Some(f), Some(i)) => format!(
            "Your formal place ({} percentile) and the way people work with you ({} percentile) roughly agree.",
            ordinal((100.0 * f).round() as u32),
            ordinal((100.0 * i).round() as u32)
        ),
        (None, Some(i)) => format!(
            "How people seek you out and depend on you puts you at the {} percentile of the organization.",
            ordinal((100.0 * i).round() as u32)
        ),
        _ => "There is too little interaction in this window to say much yet.".into(),
    };
    page.p(&summary);
    if let Some(i) = prow {
        let roles = x.people.str("role_evidence", i);
        if !roles.is_empty() {
            page.note(&format!(
                "Roles the interactions show: {}.",
                x.naming.text(roles)
            ));
        }
    }

    // Compass.
    page.section(
        "compass",
        "Your stakeholder compass",
        "Where your attention and requests go, by the formal relation to each person, against an even spread over the directions you have.",
    );
    // Built from attention, or (no interaction records) from whom the person named in a survey.
    let from_survey = section("compass").is_empty() && !section("compass_named").is_empty();
    let compass = if from_survey {
        section("compass_named")
    } else {
        section("compass")
    };
    if compass.is_empty() {
        page.p("No org chart was loaded, so there is no compass.");
    } else {
        let axes: Vec<(String, f64)> = compass
            .iter()
            .map(|&i| {
                (
                    x.mirrors.str("label", i).replace('_', " "),
                    x.mirrors.num("value", i).unwrap_or(0.0),
                )
            })
            .collect();
        let reference = 1.0 / axes.len() as f64;
        page.raw(&format!(
            "<div class=\"figure\">{}</div>",
            svg::radar("your stakeholder compass", &axes, reference)
        ));
        let mut low: Vec<(&str, f64)> = compass
            .iter()
            .map(|&i| {
                (
                    x.mirrors.str("label", i),
                    x.mirrors.num("value", i).unwrap_or(0.0),
                )
            })
            .collect();
        low.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (most, most_v) = *low.last().unwrap_or(&("", 0.0));
        let (least, least_v) = low[0];
        if from_survey {
            page.p(&format!(
                "There are no interaction records for you, so this compass is built from whom you named in the survey: it shows whom you turn to, not how you spend your time. Most of the colleagues you named are {} ({:.0}%); the fewest are {} ({:.0}%, where an even spread would be {:.0}%).",
                direction(most),
                100.0 * most_v,
                direction(least),
                100.0 * least_v,
                100.0 * reference
            ));
        } else {
            page.p(&format!(
                "Most of your attention goes to {} ({:.0}%); {} get the least ({:.0}%, where an even spread would be {:.0}%).",
                direction(most),
                100.0 * most_v,
                direction(least),
                100.0 * least_v,
                100.0 * reference
            ));
        }
        page.raw("<ul class=\"compass-list\" data-key=\"compass\">");
        for &i in &compass {
            page.raw(&format!(
                "<li><b>{}</b>: {}</li>",
                esc(direction(x.mirrors.str("label", i))),
                esc(&x.naming.text(x.mirrors.str("evidence", i)))
            ));
        }
        page.raw("</ul>");
    }

    // Out of balance.
    page.section(
        "balance",
        "Relationships out of balance",
        "Pairs where power clearly leans one way: who asks and who gives, who waits for whom, who turns whom down. The bar is the best estimate, the whiskers how far it could plausibly be either way.",
    );
    let unbalanced = section("out_of_balance");
    if unbalanced.is_empty() {
        page.p("None of your relationships leans clearly to one side.");
    } else {
        let dyad_rows = x.dyads.in_window(x.window);
        let mut bars = Vec::new();
        for &i in &unbalanced {
            let Some(other) = x.mirrors.person("other", i) else {
                continue;
            };
            let (a, b) = (me.min(other), me.max(other));
            let d = dyad_rows
                .iter()
                .copied()
                .find(|&j| x.dyads.person("a", j) == Some(a) && x.dyads.person("b", j) == Some(b));
            let value = x.mirrors.num("value", i).unwrap_or(0.0);
            let (lo, hi) = match d {
                Some(j) => {
                    let lo = x.dyads.num("balance_lo", j).unwrap_or(value);
                    let hi = x.dyads.num("balance_hi", j).unwrap_or(value);
                    if me == a { (lo, hi) } else { (-hi, -lo) }
                }
                None => (value, value),
            };
            bars.push(Interval {
                label: x.naming.of(other).to_string(),
                value,
                lo,
                hi,
                note: x.naming.text(x.mirrors.str("evidence", i)),
            });
        }
        page.raw(&format!(
            "<div class=\"figure\">{}</div>",
            svg::intervals(
                "relationships out of balance",
                &bars,
                "← they hold more power",
                "you hold more power →"
            )
        ));
        let list: Vec<String> = bars
            .iter()
            .map(|b| {
                format!(
                    "<li><b>{}</b> ({}): {}</li>",
                    esc(&b.label),
                    if b.value > 0.0 {
                        "you hold more power"
                    } else {
                        "they hold more power"
                    },
                    esc(&b.note)
                )
            })
            .collect();
        page.raw(&format!(
            "<ul data-key=\"out_of_balance\" data-count=\"{}\">{}</ul>",
            bars.len(),
            list.join("")
        ));
    }

    // Allies and adversaries.
    page.section(
        "allies",
        "Allies",
        "People you have an even exchange with: help, requests fulfilled and feedback going both ways. Worthy adversaries are people you engage with a lot and openly disagree with.",
    );
    let allies = section("ally");
    let adversaries = section("adversary");
    let people_list = |rows: &[usize], key: &str| {
        let mut s = format!("<ul data-key=\"{key}\" data-count=\"{}\">", rows.len());
        for &i in rows {
            let other = x.mirrors.person("other", i).map_or("", |o| x.naming.of(o));
            let _ = write!(
                s,
                "<li><b>{}</b>: {}</li>",
                esc(other),
                esc(&x.naming.text(x.mirrors.str("evidence", i)))
            );
        }
        s.push_str("</ul>");
        s
    };
    if allies.is_empty() {
        page.p("Nobody yet meets the bar for an ally: an exchange that runs evenly both ways, with help and feedback in both directions.");
    } else {
        page.raw(&people_list(&allies, "allies"));
    }
    if !adversaries.is_empty() {
        page.raw("<h3>Worthy adversaries</h3>");
        page.raw(&people_list(&adversaries, "adversaries"));
    }

    // Missing partners.
    page.section(
        "partners",
        "Partners you are missing",
        "People close to those you depend on, or in the trenches of your own and your peers' teams, whom you have no contact with.",
    );
    let missing = section("missing_partner");
    if missing.is_empty() {
        page.p("No missing partners stand out.");
    } else {
        page.raw(&people_list(&missing, "missing_partners"));
    }

    // Paths to power.
    page.section(
        "paths",
        "Paths to power",
        "The people with the most informal power whom you do not work with directly, and who among your two-way ties could introduce you.",
    );
    paths(x, &mut page);

    // Suggestions.
    page.section(
        "suggestions",
        "What you could do",
        "Each suggestion comes with what it rests on. They are prompts to think with, not verdicts.",
    );
    let suggestions = section("suggestion");
    if suggestions.is_empty() {
        page.p("No suggestions this window.");
    } else {
        let mut s = format!(
            "<ol class=\"suggestions\" data-key=\"suggestions\" data-count=\"{}\">",
            suggestions.len()
        );
        for &i in &suggestions {
            let _ = write!(
                s,
                "<li><span class=\"kind\">{}</span> {}</li>",
                esc(&x.mirrors.str("label", i).replace('_', " ")),
                esc(&x.naming.text(x.mirrors.str("evidence", i)))
            );
        }
        s.push_str("</ol>");
        page.raw(&s);
    }
    page.finish(&header)
}

/// The people a path to power may lead to: this many with the most informal power.
pub const PATH_CANDIDATES: usize = 50;

/// What paths to power are found in, for one window: built once by a caller that shows many
/// personal pages, instead of once a page (at 10,000 people, most of a page's time).
pub struct PathsIndex {
    /// The undirected contact graph without self-loops.
    graph: graph::Graph,
    /// Whether the window has pairs touching the people with the most informal power.
    candidates_have_pairs: bool,
}

impl PathsIndex {
    /// From the window's evidence (all its pairs, and the survey answers) and its
    /// [`power_candidates`]: the same paths as a page's own evidence gives.
    pub fn new(org: &Org, ev: &Evidence, candidates: &[u32]) -> PathsIndex {
        let candidates: rustc_hash::FxHashSet<u32> = candidates.iter().copied().collect();
        PathsIndex {
            graph: paths_graph(org, ev),
            candidates_have_pairs: ev
                .pairs()
                .any(|p| candidates.contains(&p.a) || candidates.contains(&p.b)),
        }
    }
}

/// The graph paths are found in: contacts (and survey ties) made undirected, without
/// self-loops. Paths from a person to a candidate read only its edges touching either, so the
/// pairs touching them give the same paths as all of the window's.
fn paths_graph(org: &Org, ev: &Evidence) -> graph::Graph {
    let (contact, _) = mirror::people::build_graphs(org, ev);
    contact.to_undirected().without_self_loops()
}

/// The `k` people with the most informal power in the window, strongest first.
pub fn power_candidates(people: &Frame, window: &str, k: usize) -> Vec<u32> {
    let mut ranked: Vec<(u32, f64)> = people
        .in_window(window)
        .into_iter()
        .filter_map(|i| Some((people.person("person", i)?, people.num("informal_pct", i)?)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(k);
    ranked.into_iter().map(|r| r.0).collect()
}

fn paths(x: &PersonInputs, page: &mut Page) {
    let me = x.person;
    let ev = x.evidence;
    let pct: rustc_hash::FxHashMap<u32, f64> = x
        .people
        .in_window(x.window)
        .into_iter()
        .filter_map(|i| {
            Some((
                x.people.person("person", i)?,
                x.people.num("informal_pct", i)?,
            ))
        })
        .collect();
    let ranked: Vec<(u32, f64)> = power_candidates(x.people, x.window, PATH_CANDIDATES)
        .into_iter()
        .filter(|&p| p != me && ev.get(me, p).is_none() && ev.get(p, me).is_none())
        .map(|p| (p, pct[&p]))
        .collect();
    let no_pairs = ev.is_empty() && x.paths.is_none_or(|p| !p.candidates_have_pairs);
    if ranked.is_empty() || no_pairs {
        page.p("No interactions in this window to find paths in.");
        return;
    }
    let built;
    let undirected = match x.paths {
        Some(p) => &p.graph,
        None => {
            built = paths_graph(x.org, ev);
            &built
        }
    };
    let mut s = String::from("<div class=\"paths\" data-key=\"paths\">");
    let mut any = false;
    for &(target, informal) in ranked.iter().take(3) {
        let via = mirror::mirrors::paths_to(ev, undirected, me, target);
        let _ = write!(
            s,
            "<div class=\"path\"><p><b>{}</b> ({} percentile of informal power)</p>",
            esc(x.naming.of(target)),
            ordinal((100.0 * informal).round() as u32)
        );
        if via.is_empty() {
            s.push_str("<p class=\"note\">Nobody you have a two-way tie with works with them.</p>");
        } else {
            any = true;
            s.push_str("<ul>");
            for (c, _, why) in via.iter().take(3) {
                let _ = write!(
                    s,
                    "<li>via <b>{}</b>: {}</li>",
                    esc(x.naming.of(*c)),
                    esc(why)
                );
            }
            s.push_str("</ul>");
        }
        s.push_str("</div>");
    }
    s.push_str("</div>");
    page.raw(&s);
    if !any {
        page.note("None of your two-way ties reaches them yet: a tie that runs both ways with someone in their circle is the first step.");
    }
}

/// What a personal page rests on, for "What this is based on".
pub struct Basis<'a> {
    pub window: &'a str,
    /// People the person interacted with, and the interactions between them (meetings weighted
    /// by length).
    pub people: usize,
    pub weight: f64,
    /// Survey answers the person gave, and answers in which colleagues named them.
    pub given: u32,
    pub named: u32,
    /// People in the organization, and the minimum group size.
    pub org_size: usize,
    pub min_group: usize,
}

/// "What this is based on": the interactions and answers a page rests on, and how sure it is.
pub fn basis_section(b: &Basis) -> String {
    format!(
        "<section id=\"basis\" class=\"basis\"><h2>What this is based on</h2><p>In window <b>{}</b>: <b data-key=\"basis_people\">{}</b> people you interacted with, <b data-key=\"basis_weight\">{:.0}</b> interactions between you (meetings weighted by length), <b data-key=\"basis_given\">{}</b> survey answers you gave and <b data-key=\"basis_named\">{}</b> in which colleagues named you. Only who interacted with whom and when is used, never what was said.</p><p>How sure it is: each relationship's balance comes with a 90% interval, wide when it rests on few interactions; a finding with no evidence is not shown. Percentiles rank you among the {} people of the organization; a change of a few points is within the noise of one month's interactions. Groups of fewer than {} people are never shown.</p></section>",
        esc(b.window),
        b.people,
        b.weight,
        b.given,
        b.named,
        b.org_size,
        b.min_group
    )
}

/// One colleague in a person's journal: what they recorded, and the data's balance of the pair.
pub struct JournalRow {
    pub colleague: String,
    pub gave: usize,
    pub asked: usize,
    pub turned_down: usize,
    pub met: usize,
    /// The pair's balance from the person's side (positive: the person holds more power), when the
    /// data has the pair.
    pub balance: Option<f64>,
}

/// A person's journal beside what the interaction data says of the same relationships.
pub fn journal_section(rows: &[JournalRow]) -> String {
    let mut s = String::from(
        "<section id=\"journal\"><h2>Your journal</h2><p class=\"intro\">What you recorded yourself, beside what the interaction data shows of the same relationships. Only you see your journal; it is never part of anyone else's view or of the organization's results.</p>",
    );
    if rows.is_empty() {
        s.push_str("<p>No entries yet.</p></section>");
        return s;
    }
    s.push_str("<table class=\"list\" data-key=\"journal\"><thead><tr><th scope=\"col\">Colleague</th><th scope=\"col\">You gave</th><th scope=\"col\">You asked</th><th scope=\"col\">Turned down</th><th scope=\"col\">Met</th><th scope=\"col\">Your journal says</th><th scope=\"col\">The data says</th></tr></thead><tbody>");
    for r in rows {
        let says = match r.gave.cmp(&r.asked) {
            std::cmp::Ordering::Greater => "you give more than you ask",
            std::cmp::Ordering::Less => "you ask more than you give",
            std::cmp::Ordering::Equal => "even",
        };
        let data = r
            .balance
            .map_or("no interactions in the data".to_string(), |v| {
                let side = if v > 0.1 {
                    "you hold more power"
                } else if v < -0.1 {
                    "they hold more power"
                } else {
                    "balanced"
                };
                format!("{side} ({v:+.2})")
            });
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{says}</td><td>{}</td></tr>",
            esc(&r.colleague),
            r.gave,
            r.asked,
            r.turned_down,
            r.met,
            esc(&data)
        );
    }
    s.push_str("</tbody></table></section>");
    s
}

#[cfg(test)]
mod journal_tests {
    use super::*;

    #[test]
    fn a_journal_row_says_which_side_holds_power_and_escapes_names() {
        let row = |balance| JournalRow {
            colleague: "<b>Ana</b>".into(),
            gave: 2,
            asked: 1,
            turned_down: 0,
            met: 3,
            balance,
        };
        let html = journal_section(&[row(Some(0.5)), row(Some(-0.5)), row(None)]);
        assert!(html.contains("you hold more power (+0.50)"));
        assert!(html.contains("they hold more power (-0.50)"));
        assert!(html.contains("no interactions in the data"));
        assert!(html.contains("you give more than you ask"));
        assert!(html.contains("&lt;b&gt;Ana") && !html.contains("<b>Ana"));
        assert!(journal_section(&[]).contains("No entries yet."));
    }
}
