//! The org mirror: power map, network picture, silos and coalitions, currency panel, leadership
//! styles, balance, change since the previous window, what to watch next, and the top findings.

use crate::html::{Page, esc, ordinal, pct, script_json, stats, table};
use crate::svg::{self, Bin, Point};
use crate::{Frame, Naming};
use mirror::input::Org;
use rustc_hash::{FxHashMap, FxHashSet};
use std::fmt::Write;

pub struct OrgInputs<'a> {
    pub org: &'a Org,
    pub naming: &'a Naming,
    pub window: &'a str,
    pub min_group: usize,
    pub people: &'a Frame,
    pub dyads: &'a Frame,
    pub groups: &'a Frame,
    pub leaders: &'a Frame,
    pub findings: &'a Frame,
    /// The window's directed contacts (a, b, weight): the network picture's ties.
    pub ties: &'a [(u32, u32, f64)],
    /// At most this many people in the network picture.
    pub max_nodes: usize,
    /// At most this many ties in the network picture.
    pub max_edges: usize,
    /// Where the data came from (workspace, run), for the header.
    pub source: &'a str,
}

/// What the report shows, for the command's summary and for tests.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgSummary {
    pub people: usize,
    pub nodes_shown: usize,
    pub ties: usize,
    pub ties_shown: usize,
    pub findings: usize,
}

/// Findings of the window, as (row, kind).
fn findings_of<'a>(f: &'a Frame, window: &str) -> Vec<(usize, &'a str)> {
    f.in_window(window)
        .into_iter()
        .map(|i| (i, f.str("kind", i)))
        .collect()
}

fn who(f: &Frame, i: usize, naming: &Naming) -> String {
    let group = f.str("group", i);
    match (f.person("person", i), f.person("other", i)) {
        (Some(a), Some(b)) => format!("{} over {}", naming.of(a), naming.of(b)),
        (Some(a), None) if !group.is_empty() => format!("{} ({group})", naming.of(a)),
        (Some(a), None) => naming.of(a).to_string(),
        _ => group.to_string(),
    }
}

pub fn org_report(x: &OrgInputs) -> (String, OrgSummary) {
    let rows = x.people.in_window(x.window);
    let findings = findings_of(x.findings, x.window);
    let persons_of = |kind: &str| -> Vec<u32> {
        findings
            .iter()
            .filter(|f| f.1 == kind)
            .filter_map(|f| x.findings.person("person", f.0))
            .collect()
    };
    let hidden: FxHashSet<u32> = persons_of("hidden_influencer").into_iter().collect();
    let paper: FxHashSet<u32> = persons_of("paper_power").into_iter().collect();
    let group_rows = x.groups.in_window(x.window);
    let measure = |kind: &str, m: &str| -> Option<f64> {
        group_rows
            .iter()
            .find(|&&i| x.groups.str("kind", i) == kind && x.groups.str("measure", i) == m)
            .and_then(|&i| x.groups.num("value", i))
    };
    let coalitions: Vec<usize> = group_rows
        .iter()
        .copied()
        .filter(|&i| {
            x.groups.str("kind", i) == "coalition" && x.groups.str("measure", i) == "density_ratio"
        })
        .collect();
    let leader_rows: Vec<usize> = x
        .leaders
        .in_window(x.window)
        .into_iter()
        .filter(|&i| x.leaders.int("team_size", i).unwrap_or(0) as usize >= x.min_group)
        .collect();
    let style_count = |s: &str| {
        leader_rows
            .iter()
            .filter(|&&i| x.leaders.str("style", i) == s)
            .count()
    };

    // The network picture's data (also counts the ties).
    let net = network_data(x, &rows, &hidden, &paper);

    let mut page = Page::new(&format!("Org mirror · {}", x.window));
    let header = format!(
        "<header><h1>Org mirror</h1><p class=\"sub\">Window <b data-key=\"window\">{}</b> · {} · people named by {} · groups under {} people suppressed</p>{}</header>",
        esc(x.window),
        esc(x.source),
        if x.naming.identified {
            "name (identified viewer)"
        } else {
            "pseudonym"
        },
        x.min_group,
        stats(&[
            ("people", rows.len().to_string(), "people"),
            ("ties", net.ties.to_string(), "ties"),
            ("findings", findings.len().to_string(), "findings"),
            (
                "hidden_influencers",
                hidden.len().to_string(),
                "hidden influencers"
            ),
            ("paper_power", paper.len().to_string(), "paper power"),
            (
                "communities",
                measure("org", "communities").map_or("n/a".into(), |v| format!("{v:.0}")),
                "communities"
            ),
            ("coalitions", coalitions.len().to_string(), "coalitions"),
        ])
    );

    // 1. Power map.
    page.section(
        "power",
        "Power map",
        "The formal tree with informal influence laid over it. Circle size is informal power (how much others seek, depend on and route through a person); colour is the gap between informal and formal power. Hidden influencers (much more informal than formal power) have a purple ring; paper power (formal authority people go around) a dashed ring.",
    );
    if let Some(tree) = power_tree(x, &hidden, &paper) {
        page.raw(&format!("<div class=\"scroll tree\" tabindex=\"0\" role=\"region\" aria-label=\"power map\">{tree}</div>"));
        page.raw(&legend(&[
            (svg::diverging(1.0), "more informal than formal power"),
            (svg::diverging(0.0), "about equal"),
            (svg::diverging(-1.0), "more formal than informal power"),
        ]));
    } else {
        page.note("No org chart with managers was loaded, so there is no formal tree to draw.");
    }
    page.raw(&power_scatter(x, &rows, &hidden, &paper));

    // 2. Network.
    page.section(
        "network",
        "The network",
        "Everyone who interacted in this window, placed so that people who work together sit together: each cloud is a community found from the interactions. Size is informal power. Drag to move, scroll to zoom, hover for details, search by name.",
    );
    page.raw(&format!(
        "<div class=\"netbar\"><label>Colour by <select id=\"net-colour\"><option value=\"dept\">department</option><option value=\"comm\">community</option></select></label> <input id=\"net-search\" type=\"search\" placeholder=\"find a person\" aria-label=\"find a person\"> <span id=\"net-found\" class=\"small\"></span> <button id=\"net-reset\" type=\"button\">reset view</button></div>\
         <div class=\"netwrap\"><canvas id=\"net\" width=\"1100\" height=\"640\" aria-label=\"network picture\"></canvas><div id=\"net-tip\" class=\"tip\" hidden></div></div>\
         <div id=\"net-legend\" class=\"legend\"></div><p class=\"note\" data-key=\"network_note\">{}</p>",
        esc(&net.note)
    ));
    page.raw(&format!(
        "<script type=\"application/json\" id=\"net-data\">{}</script>",
        script_json(&net.json)
    ));
    page.script(crate::html::NETWORK_JS);

    // 3. Silos and coalitions.
    page.section(
        "silos",
        "Silos and coalitions",
        "Who works with whom across departments, how the communities found in the interactions line up with the departments, and informal groups that cut across formal lines.",
    );
    silos(x, &rows, &group_rows, &coalitions, &mut page, &measure);

    // 4. Currency.
    page.section(
        "currency",
        "Currency panel",
        "What each department trades in without saying so: work after hours and at weekends, time in meetings, how fast replies come, and how much goes out to many people at once.",
    );
    currency(x, &group_rows, &mut page);

    // 5. Leadership.
    page.section(
        "leadership",
        "Leadership styles",
        "Where leaders sit between power over their team (directing, talking most, routing everything through themselves) and power with it (asking for input, letting the team act and connect on its own, answering their requests). Teams smaller than the minimum group size are left out.",
    );
    page.raw(&stats(&[
        (
            "leaders_power_over",
            style_count("power_over").to_string(),
            "power over",
        ),
        ("leaders_mixed", style_count("mixed").to_string(), "mixed"),
        (
            "leaders_power_with",
            style_count("power_with").to_string(),
            "power with",
        ),
    ]));
    let bins: Vec<Bin> = (0..10)
        .map(|b| {
            let lo = -1.0 + 0.2 * b as f64;
            let hi = lo + 0.2;
            Bin {
                lo,
                hi,
                count: leader_rows
                    .iter()
                    .filter(|&&i| {
                        let p = x.leaders.num("position", i).unwrap_or(0.0);
                        p >= lo && (p < hi || (b == 9 && p <= hi))
                    })
                    .count(),
                colour: svg::diverging((lo + hi) / 2.0),
            }
        })
        .collect();
    page.raw(&svg::histogram(
        "leaders on the power-over to power-with scale",
        &bins,
        "← power over",
        "power with →",
    ));

    // 6. Balance.
    page.section(
        "balance",
        "Balance across the organization",
        "How even the relationships are: for every pair that worked together, how far power leans to one side (who asks and who gives, who waits for whom, who turns whom down). A pair counts as out of balance when its whole likely range sits on one side.",
    );
    balance(x, &mut page);

    // 7. Change and what to watch.
    page.section("change", "Change since the previous window", "");
    change(x, &mut page);

    // 8. Findings.
    page.section(
        "findings",
        "Top findings",
        "What the mirror shows, strongest first within each kind, with the evidence behind each.",
    );
    let mut per_kind: FxHashMap<&str, usize> = FxHashMap::default();
    let mut trows = Vec::new();
    for &(i, kind) in &findings {
        let c = per_kind.entry(kind).or_default();
        *c += 1;
        if *c > 6 {
            continue;
        }
        trows.push(vec![
            esc(&kind.replace('_', " ")),
            esc(&who(x.findings, i, x.naming)),
            esc(&x.naming.text(x.findings.str("evidence", i))),
            format!("{:.2}", x.findings.num("confidence", i).unwrap_or(0.0)),
        ]);
    }
    if trows.is_empty() {
        page.p("No findings in this window.");
    } else {
        page.raw(&table(
            "findings",
            &["kind", "who", "evidence", "confidence"],
            &trows,
        ));
        let mut kinds: Vec<(&str, usize)> = per_kind.into_iter().collect();
        kinds.sort();
        page.note(&format!(
            "At most six of each kind shown; all {} are in the findings table ({}).",
            findings.len(),
            kinds
                .iter()
                .map(|(k, c)| format!("{c} {}", k.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let summary = OrgSummary {
        people: rows.len(),
        nodes_shown: net.nodes,
        ties: net.ties,
        ties_shown: net.ties_shown,
        findings: findings.len(),
    };
    (page.finish(&header), summary)
}

fn legend(items: &[(String, &str)]) -> String {
    let mut s = String::from("<div class=\"legend\">");
    for (c, l) in items {
        // A drawn swatch (an SVG fill), not an inline style: pages run under a strict
        // Content-Security-Policy.
        let _ = write!(
            s,
            "<span><svg class=\"swatch\" width=\"12\" height=\"12\" aria-hidden=\"true\"><circle cx=\"6\" cy=\"6\" r=\"5.5\" fill=\"{c}\" stroke=\"rgba(0,0,0,.15)\"/></svg>{}</span>",
            esc(l)
        );
    }
    s.push_str("</div>");
    s
}

/// A wide picture in a box of its own that scrolls sideways, so that on a narrow screen it keeps
/// its size (every label legible, every column reachable) instead of shrinking; keyboard users
/// can focus the box and scroll it with the arrow keys.
fn scroll_x(label: &str, picture: &str) -> String {
    format!(
        "<div class=\"scroll-x\" tabindex=\"0\" role=\"region\" aria-label=\"{}\">{picture}</div>",
        esc(label)
    )
}

/// The power tree's label size in pixels (`svg .label` in report.css).
const TREE_LABEL_PX: f64 = 10.0;
/// From a circle's edge to its label, and from a label's end to its connector.
const TREE_LABEL_GAP: f64 = 4.0;
const TREE_LINE_GAP: f64 = 4.0;
/// From a connector's trunk to the next column's centres: the largest circle (radius 10) and a
/// stub of line.
const TREE_TRUNK: f64 = 18.0;
/// The narrowest column.
const TREE_COLUMN: f64 = 190.0;

/// The formal tree's upper levels plus every flagged person with their chain of managers.
fn power_tree(x: &OrgInputs, hidden: &FxHashSet<u32>, paper: &FxHashSet<u32>) -> Option<String> {
    let org = x.org;
    let chart = org.chart.as_ref().filter(|_| org.has_hierarchy())?;
    let rows = x.people.in_window(x.window);
    let mut informal = vec![0.0; org.n()];
    let mut gap = vec![0.0; org.n()];
    for &i in &rows {
        if let Some(p) = x.people.person("person", i) {
            informal[p as usize] = x.people.num("informal_pct", i).unwrap_or(0.0);
            gap[p as usize] = x.people.num("power_gap", i).unwrap_or(0.0);
        }
    }
    let mut roots: Vec<u32> = (0..org.n())
        .filter(|&p| chart.manager(p).is_none() && !chart.reports(p).is_empty())
        .map(|p| p as u32)
        .collect();
    roots.sort_by_key(|&p| (std::cmp::Reverse(chart.total_span(p as usize)), p));
    roots.truncate(12);
    let mut shown: FxHashSet<u32> = roots.iter().copied().collect();
    let mut level = roots.clone();
    while !level.is_empty() {
        let next: Vec<u32> = level
            .iter()
            .flat_map(|&p| chart.reports(p as usize).iter().copied())
            .collect();
        if shown.len() + next.len() > 48 {
            break;
        }
        shown.extend(&next);
        level = next;
    }
    let mut flagged: Vec<u32> = hidden.iter().chain(paper.iter()).copied().collect();
    flagged.sort_by(|a, b| {
        informal[*b as usize]
            .total_cmp(&informal[*a as usize])
            .then(a.cmp(b))
    });
    flagged.dedup();
    flagged.truncate(30);
    for &f in &flagged {
        shown.extend(chart.chain(f as usize).map(|p| p as u32));
        shown.insert(f);
    }
    // Lay out: leaves in depth-first order get consecutive rows.
    let children = |p: u32| -> Vec<u32> {
        let mut c: Vec<u32> = chart
            .reports(p as usize)
            .iter()
            .copied()
            .filter(|r| shown.contains(r))
            .collect();
        c.sort_by_key(|&r| (std::cmp::Reverse(chart.total_span(r as usize)), r));
        c
    };
    let mut y: FxHashMap<u32, f64> = FxHashMap::default();
    let mut order: Vec<(u32, u32)> = Vec::new();
    let mut next_row = 0.0;
    fn place(
        p: u32,
        depth: u32,
        children: &dyn Fn(u32) -> Vec<u32>,
        y: &mut FxHashMap<u32, f64>,
        order: &mut Vec<(u32, u32)>,
        next_row: &mut f64,
    ) -> f64 {
        order.push((p, depth));
        let c = children(p);
        let v = if c.is_empty() {
            *next_row += 1.0;
            *next_row - 1.0
        } else {
            let ys: Vec<f64> = c
                .iter()
                .map(|&k| place(k, depth + 1, children, y, order, next_row))
                .collect();
            (ys[0] + ys[ys.len() - 1]) / 2.0
        };
        y.insert(p, v);
        v
    }
    for &r in &roots {
        place(r, 0, &children, &mut y, &mut order, &mut next_row);
    }
    // What each node shows: its circle's radius and its label (drawn right of the circle).
    let radius = |p: u32| 3.0 + 7.0 * informal[p as usize].clamp(0.0, 1.0);
    let more = |p: u32| chart.reports(p as usize).len() - children(p).len();
    let label = |p: u32| {
        let mut l = svg::truncate(x.naming.of(p), 20);
        if more(p) > 0 {
            let _ = write!(l, " +{}", more(p));
        }
        l
    };
    let labels: FxHashMap<u32, (String, f64)> = order
        .iter()
        .map(|&(p, _)| {
            let l = label(p);
            let w = svg::text_width(&l, TREE_LABEL_PX);
            (p, (l, w))
        })
        .collect();
    // Columns: a manager's connector starts after the end of their name and turns down (or up)
    // to the reports in a trunk just before the next column, so no line runs through a name; a
    // column is as wide as its longest manager's name needs.
    let max_depth = order.iter().map(|o| o.1).max().unwrap_or(0);
    let (row, top) = (20.0, 16.0);
    let mut col_x = vec![14.0; max_depth as usize + 1];
    for d in 0..max_depth as usize {
        let ends = order
            .iter()
            .filter(|&&(p, pd)| pd as usize == d && !children(p).is_empty())
            .map(|&(p, _)| radius(p) + TREE_LABEL_GAP + labels[&p].1)
            .fold(0.0, f64::max);
        col_x[d + 1] = col_x[d] + TREE_COLUMN.max(ends + TREE_LINE_GAP + 12.0 + TREE_TRUNK);
    }
    let px = |d: u32| col_x[d as usize];
    let py = |p: u32| top + row * y[&p];
    let w = order
        .iter()
        .map(|&(p, d)| px(d) + radius(p) + TREE_LABEL_GAP + labels[&p].1 + 12.0)
        .fold(0.0, f64::max);
    let h = row * next_row + 2.0 * top;
    let mut s = svg::svg_open(w, h, "power map: the formal tree with informal power");
    for &(p, d) in &order {
        let (x0, y0) = (px(d), py(p));
        let start = x0 + radius(p) + TREE_LABEL_GAP + labels[&p].1 + TREE_LINE_GAP;
        for k in children(p) {
            let trunk = px(d + 1) - TREE_TRUNK;
            let (x1, y1) = (px(d + 1) - radius(k), py(k));
            let _ = write!(
                s,
                "<path d=\"M{start:.1},{y0:.1} H{trunk:.1} V{y1:.1} H{x1:.1}\" class=\"link\"/>"
            );
        }
    }
    for &(p, d) in &order {
        let (cx, cy) = (px(d), py(p));
        let r = radius(p);
        let mut class = "node".to_string();
        if hidden.contains(&p) {
            class.push_str(" hidden");
        }
        if paper.contains(&p) {
            class.push_str(" paper");
        }
        let more = more(p);
        let title = format!(
            "{}: informal power {} percentile, gap {:+.2}{}{}{}",
            x.naming.of(p),
            ordinal((100.0 * informal[p as usize]).round() as u32),
            gap[p as usize],
            if hidden.contains(&p) {
                "; hidden influencer"
            } else {
                ""
            },
            if paper.contains(&p) {
                "; paper power"
            } else {
                ""
            },
            if more > 0 {
                format!("; {more} more reports not drawn")
            } else {
                String::new()
            }
        );
        let _ = write!(
            s,
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{r:.1}\" fill=\"{}\" class=\"{class}\"><title>{}</title></circle>",
            svg::diverging(gap[p as usize]),
            esc(&title)
        );
        svg::svg_text(
            &mut s,
            cx + r + TREE_LABEL_GAP,
            cy + 0.4 * TREE_LABEL_PX,
            "start",
            "label",
            &labels[&p].0,
        );
    }
    s.push_str("</svg>");
    Some(s)
}

fn power_scatter(
    x: &OrgInputs,
    rows: &[usize],
    hidden: &FxHashSet<u32>,
    paper: &FxHashSet<u32>,
) -> String {
    let with_formal: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&i| x.people.num("formal_pct", i).is_some())
        .collect();
    if with_formal.is_empty() {
        return String::new();
    }
    let step = with_formal.len().div_ceil(3000).max(1);
    let mut points = Vec::new();
    for (k, &i) in with_formal.iter().enumerate() {
        let p = x.people.person("person", i).unwrap_or(0);
        let flagged = hidden.contains(&p) || paper.contains(&p);
        if k % step != 0 && !flagged {
            continue;
        }
        let (colour, class, what) = if hidden.contains(&p) {
            ("#7b3fb5", "pt flagged", "hidden influencer")
        } else if paper.contains(&p) {
            (svg::OVER, "pt flagged", "paper power")
        } else {
            (svg::NEUTRAL, "pt", "")
        };
        let fp = x.people.num("formal_pct", i).unwrap_or(0.0);
        let ip = x.people.num("informal_pct", i).unwrap_or(0.0);
        points.push(Point {
            x: fp,
            y: ip,
            r: if flagged { 5.0 } else { 2.5 },
            colour: colour.to_string(),
            class,
            title: format!(
                "{}: formal {} percentile, informal {} percentile {what}",
                x.naming.of(p),
                ordinal((100.0 * fp).round() as u32),
                ordinal((100.0 * ip).round() as u32)
            ),
        });
    }
    let mut s = String::from("<div class=\"figure\">");
    s.push_str(&svg::scatter(
        "formal against informal power",
        &points,
        "formal power (percentile of rank and span) →",
        "informal power (percentile) →",
        [
            "influence without the title",
            "power in both",
            "on the edge",
            "title without the influence",
        ],
    ));
    let _ = write!(
        s,
        "<p class=\"caption\">Everyone with a place in the org chart{}; on the diagonal, formal and informal power agree. Purple: hidden influencers; orange: paper power.</p></div>",
        if step > 1 {
            format!(" (every {step}th person drawn, and everyone flagged)")
        } else {
            String::new()
        }
    );
    s
}

/// Ties drawn per person in the network picture (the strongest).
const BACKBONE: u32 = 8;

struct NetData {
    json: serde_json::Value,
    note: String,
    nodes: usize,
    ties: usize,
    ties_shown: usize,
}

fn network_data(
    x: &OrgInputs,
    rows: &[usize],
    hidden: &FxHashSet<u32>,
    paper: &FxHashSet<u32>,
) -> NetData {
    let n = x.org.n();
    let mut community = vec![u32::MAX; n];
    let mut influence = vec![0.0; n];
    let mut informal = vec![0.0; n];
    let mut roles: Vec<&str> = vec![""; n];
    let mut in_window = vec![false; n];
    for &i in rows {
        if let Some(p) = x.people.person("person", i) {
            let p = p as usize;
            in_window[p] = true;
            community[p] = x.people.int("community", i).unwrap_or(-1) as u32;
            influence[p] = x.people.num("influence", i).unwrap_or(0.0);
            informal[p] = x.people.num("informal_pct", i).unwrap_or(0.0);
            roles[p] = x.people.str("roles", i);
        }
    }
    // Undirected ties: contacts both ways, meetings counted once per pair.
    let mut ties: FxHashMap<(u32, u32), f64> = FxHashMap::default();
    for &(a, b, w) in x.ties {
        if a == b || a as usize >= n || b as usize >= n {
            continue;
        }
        if w > 0.0 {
            *ties.entry((a.min(b), a.max(b))).or_default() += w;
        }
    }
    let total_ties = ties.len();
    let mut degree = vec![0u32; n];
    for &(a, b) in ties.keys() {
        degree[a as usize] += 1;
        degree[b as usize] += 1;
    }
    // Who is drawn: everyone in the window with a tie, or (above max_nodes) the most influential
    // and everyone named in a finding.
    let mut candidates: Vec<u32> = (0..n as u32)
        .filter(|&p| in_window[p as usize] && degree[p as usize] > 0)
        .collect();
    let active = candidates.len();
    let sampled = candidates.len() > x.max_nodes;
    if sampled {
        candidates.sort_by(|&a, &b| {
            let fa = hidden.contains(&a) || paper.contains(&a);
            let fb = hidden.contains(&b) || paper.contains(&b);
            fb.cmp(&fa)
                .then(influence[b as usize].total_cmp(&influence[a as usize]))
                .then(a.cmp(&b))
        });
        candidates.truncate(x.max_nodes);
        candidates.sort_unstable();
    }
    let mut index = vec![u32::MAX; n];
    for (k, &p) in candidates.iter().enumerate() {
        index[p as usize] = k as u32;
    }
    let mut edges: Vec<(u32, u32, f64)> = ties
        .into_iter()
        .filter(|((a, b), _)| index[*a as usize] != u32::MAX && index[*b as usize] != u32::MAX)
        .map(|((a, b), w)| (index[a as usize], index[b as usize], w))
        .collect();
    let among = edges.len();
    edges.sort_by(|a, b| b.2.total_cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
    // The layout sees every tie among the people drawn.
    let comm: Vec<u32> = candidates.iter().map(|&p| community[p as usize]).collect();
    let imp: Vec<f64> = candidates.iter().map(|&p| influence[p as usize]).collect();
    let pos = crate::layout::layout(&comm, &imp, &edges);
    // The backbone: each person's strongest ties (a tie stays when it is among the strongest of
    // either end), so the picture shows structure rather than a grey mass.
    let mut kept_per = vec![0u32; candidates.len()];
    edges.retain(|e| {
        let keep = kept_per[e.0 as usize] < BACKBONE || kept_per[e.1 as usize] < BACKBONE;
        if keep {
            kept_per[e.0 as usize] += 1;
            kept_per[e.1 as usize] += 1;
        }
        keep
    });
    edges.truncate(x.max_edges);
    let shown_ties = edges.len();
    // Colours: the eleven largest departments and communities, the rest grey.
    let top_of = |key: &dyn Fn(u32) -> Option<u32>| -> (Vec<u32>, Vec<usize>) {
        let mut count: FxHashMap<u32, usize> = FxHashMap::default();
        for &p in &candidates {
            if let Some(k) = key(p) {
                *count.entry(k).or_default() += 1;
            }
        }
        let mut v: Vec<(u32, usize)> = count.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(11);
        (
            v.iter().map(|c| c.0).collect(),
            v.iter().map(|c| c.1).collect(),
        )
    };
    let (top_depts, dept_sizes) = top_of(&|p| x.org.department[p as usize]);
    let (top_comms, comm_sizes) = top_of(&|p| Some(community[p as usize]));
    let slot = |top: &[u32], v: Option<u32>| -> u32 {
        v.and_then(|v| top.iter().position(|&t| t == v))
            .map_or(11, |i| i as u32)
    };
    let round = |v: f32| (v * 100.0).round() / 100.0;
    let mut flag = Vec::with_capacity(candidates.len());
    for &p in &candidates {
        flag.push(u8::from(hidden.contains(&p)) | (u8::from(paper.contains(&p)) << 1));
    }
    let max_w = edges.first().map_or(1.0, |e| e.2).max(1e-9);
    let json = serde_json::json!({
        "x": pos.iter().map(|p| round(p[0])).collect::<Vec<_>>(),
        "y": pos.iter().map(|p| round(p[1])).collect::<Vec<_>>(),
        // Size grows with the square of the informal-power percentile, rounded to 0.01, so the
        // few with the most stand out; the shader keeps every dot at least 2 px wide.
        "size": candidates.iter().map(|&p| (500.0 * informal[p as usize].powi(2)).round().max(1.0) / 100.0).collect::<Vec<_>>(),
        "dept": candidates.iter().map(|&p| slot(&top_depts, x.org.department[p as usize])).collect::<Vec<_>>(),
        "comm": candidates.iter().map(|&p| slot(&top_comms, Some(community[p as usize]))).collect::<Vec<_>>(),
        "deptName": candidates.iter().map(|&p| x.org.department[p as usize].map_or("", |d| x.org.departments[d as usize].as_str())).collect::<Vec<_>>(),
        "commId": candidates.iter().map(|&p| community[p as usize] as i64).collect::<Vec<_>>(),
        "label": candidates.iter().map(|&p| x.naming.of(p)).collect::<Vec<_>>(),
        "informal": candidates.iter().map(|&p| (informal[p as usize] * 100.0).round()).collect::<Vec<_>>(),
        "roles": candidates.iter().map(|&p| roles[p as usize]).collect::<Vec<_>>(),
        "flag": flag,
        "edges": edges.iter().flat_map(|e| [e.0, e.1]).collect::<Vec<_>>(),
        "weight": edges.iter().map(|e| ((e.2 / max_w).sqrt() * 100.0).round() / 100.0).collect::<Vec<_>>(),
        "legend": {
            "dept": top_depts.iter().zip(&dept_sizes).map(|(&d, &c)| format!("{} ({})", x.org.departments[d as usize], group_size(c, x.min_group))).collect::<Vec<_>>(),
            "comm": top_comms.iter().zip(&comm_sizes).map(|(&c, &k)| format!("community {c} ({})", group_size(k, x.min_group))).collect::<Vec<_>>(),
        },
        "palette": &svg::PALETTE[..11],
    });
    let mut note = format!("{} people and {} ties drawn", candidates.len(), shown_ties);
    if sampled {
        let _ = write!(
            note,
            "; {active} people had ties in this window, more than a browser shows fluidly, so the {} with the most informal power (and everyone named in a finding) are drawn",
            candidates.len()
        );
    }
    if shown_ties < among {
        let _ = write!(
            note,
            "; of the {among} ties among them, each person's {BACKBONE} strongest are drawn (the layout used them all)"
        );
    }
    note.push('.');
    NetData {
        json,
        note,
        nodes: candidates.len(),
        ties: total_ties,
        ties_shown: shown_ties,
    }
}

#[allow(clippy::type_complexity)]
fn silos(
    x: &OrgInputs,
    rows: &[usize],
    group_rows: &[usize],
    coalitions: &[usize],
    page: &mut Page,
    measure: &dyn Fn(&str, &str) -> Option<f64>,
) {
    let g = x.groups;
    // Departments by size.
    let mut depts = departments_by_size(g, group_rows);
    let listed = depts.len();
    depts.truncate(30);
    let is_small = |d: &str| {
        depts
            .iter()
            .find(|e| e.0 == d)
            .is_none_or(|e| e.1 < x.min_group)
    };
    if !depts.is_empty() {
        let names: Vec<String> = depts.iter().map(|d| d.0.clone()).collect();
        let mut flows = vec![vec![Some(0.0); names.len()]; names.len()];
        for &i in group_rows {
            if g.str("kind", i) != "department_pair" || g.str("measure", i) != "events" {
                continue;
            }
            let a = names.iter().position(|d| d == g.str("group", i));
            let b = names.iter().position(|d| d == g.str("other_group", i));
            if let (Some(a), Some(b)) = (a, b) {
                flows[a][b] = Some(g.num("value", i).unwrap_or(0.0));
            }
        }
        for (a, row) in flows.iter_mut().enumerate() {
            let total: f64 = row.iter().flatten().sum();
            for (b, v) in row.iter_mut().enumerate() {
                *v = if is_small(&names[a]) || is_small(&names[b]) {
                    None
                } else {
                    v.map(|v| if total > 0.0 { v / total } else { 0.0 })
                };
            }
        }
        page.raw("<h3>Flows between departments</h3>");
        let label = "share of each department's cross-department interactions going to each other department";
        page.raw(&scroll_x(
            label,
            &svg::heatmap(label, &names, &names, &flows, |v| {
                format!("{:.0}", 100.0 * v)
            }),
        ));
        page.note(&format!(
            "Each row is a department's interactions with other departments, as percentages of that row. Hatched cells involve a department smaller than {} people.{}",
            x.min_group,
            if listed > depts.len() {
                format!(" The {} largest of {listed} departments are shown.", depts.len())
            } else {
                String::new()
            }
        ));
        // E-I index per department.
        let mut ei: Vec<(String, f64, String, String)> = Vec::new();
        for &i in group_rows {
            if g.str("kind", i) == "department" && g.str("measure", i) == "ei_index" {
                let d = g.text("group", i);
                if is_small(&d) {
                    continue;
                }
                if let Some(v) = g.num("value", i) {
                    ei.push((d, v, svg::diverging(v), format!("{v:+.2}")));
                }
            }
        }
        ei.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        if !ei.is_empty() {
            page.raw("<h3>Looking inward or outward (E–I index)</h3>");
            page.raw(&svg::bars("E-I index per department", &ei, true));
            page.note("−1: every tie stays inside the department; +1: every tie goes outside. The most inward departments are at the top.");
        }
    }
    // Communities against departments.
    let org = x.org;
    let mut comm_size: FxHashMap<i64, usize> = FxHashMap::default();
    for &i in rows {
        *comm_size
            .entry(x.people.int("community", i).unwrap_or(-1))
            .or_default() += 1;
    }
    let mut comms: Vec<(i64, usize)> = comm_size.into_iter().collect();
    comms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    comms.truncate(14);
    if !depts.is_empty() && !comms.is_empty() {
        let dnames: Vec<String> = depts.iter().take(16).map(|d| d.0.clone()).collect();
        let mut counts = vec![vec![0usize; comms.len()]; dnames.len()];
        for &i in rows {
            let p = x.people.person("person", i).unwrap_or(0) as usize;
            let c = x.people.int("community", i).unwrap_or(-1);
            let Some(cj) = comms.iter().position(|k| k.0 == c) else {
                continue;
            };
            let Some(d) = org.department[p] else { continue };
            if let Some(di) = dnames
                .iter()
                .position(|n| *n == org.departments[d as usize])
            {
                counts[di][cj] += 1;
            }
        }
        let values: Vec<Vec<Option<f64>>> = counts
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(j, &c)| {
                        if c > 0 && c < x.min_group {
                            None
                        } else {
                            Some(c as f64 / comms[j].1.max(1) as f64)
                        }
                    })
                    .collect()
            })
            .collect();
        let cols: Vec<String> = comms
            .iter()
            .map(|c| format!("community {} ({})", c.0, c.1))
            .collect();
        page.raw("<h3>Communities against departments</h3>");
        page.raw(&stats(&[
            (
                "nmi",
                measure("org", "nmi_communities_departments")
                    .map_or("n/a".into(), |v| format!("{v:.2}")),
                "agreement (NMI)",
            ),
            (
                "ari",
                measure("org", "ari_communities_departments")
                    .map_or("n/a".into(), |v| format!("{v:.2}")),
                "agreement (ARI)",
            ),
            (
                "modularity",
                measure("org", "modularity").map_or("n/a".into(), |v| format!("{v:.2}")),
                "modularity",
            ),
        ]));
        let label = "share of each community's people from each department";
        page.raw(&scroll_x(
            label,
            &svg::heatmap(label, &dnames, &cols, &values, |v| {
                format!("{:.0}", 100.0 * v)
            }),
        ));
        page.note(&format!(
            "Each column is a community found from the interactions; a cell is the percentage of its people from that department. A community that is one department is a silo's shape; one spread over several is work that crosses the chart. Cells with fewer than {} people are hatched.",
            x.min_group
        ));
    }
    // Coalitions.
    page.raw("<h3>Coalitions</h3>");
    if coalitions.is_empty() {
        page.p(
            "No informal group across departments passed the test against chance in this window.",
        );
        return;
    }
    let mut trows = Vec::new();
    for &i in coalitions {
        let name = g.text("group", i);
        let of = |m: &str| {
            group_rows
                .iter()
                .find(|&&j| {
                    g.str("kind", j) == "coalition"
                        && g.str("group", j) == name
                        && g.str("measure", j) == m
                })
                .and_then(|&j| g.num("value", j))
        };
        let members: Vec<&str> = group_rows
            .iter()
            .filter(|&&j| g.str("kind", j) == "coalition_member" && g.str("group", j) == name)
            .filter_map(|&j| g.person("person", j))
            .map(|p| x.naming.of(p))
            .collect();
        let size = g.int("members", i).unwrap_or(0) as usize;
        trows.push(vec![
            esc(&name),
            size.to_string(),
            of("departments").map_or("".into(), |v| format!("{v:.0}")),
            of("cohesion").map_or("".into(), pct),
            of("density_ratio").map_or("".into(), |v| format!("{v:.0}×")),
            of("expected_by_chance").map_or("".into(), |v| format!("{v:.1e}")),
            if size < x.min_group {
                "(suppressed)".into()
            } else {
                esc(&members.join(", "))
            },
        ]);
    }
    page.raw(&table(
        "coalitions",
        &[
            "group",
            "people",
            "departments",
            "ties present",
            "denser than between departments",
            "expected by chance",
            "members",
        ],
        &trows,
    ));
}

/// (department, members) of the window, largest first.
fn departments_by_size(g: &Frame, group_rows: &[usize]) -> Vec<(String, usize)> {
    let mut depts: Vec<(String, usize)> = group_rows
        .iter()
        .filter(|&&i| g.str("kind", i) == "department" && g.str("measure", i) == "members")
        .map(|&i| {
            (
                g.text("group", i),
                g.int("members", i).unwrap_or(0) as usize,
            )
        })
        .collect();
    depts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    depts
}

fn currency(x: &OrgInputs, group_rows: &[usize], page: &mut Page) {
    let g = x.groups;
    type Shown = fn(f64) -> String;
    let measures: [(&str, &str, Shown); 5] = [
        ("after_hours_share", "after hours", pct),
        ("weekend_share", "weekends", pct),
        (
            "meeting_hours_per_member",
            "meeting hours per person",
            |v| format!("{v:.1}"),
        ),
        (
            "reply_median_s",
            "typical reply time",
            crate::html::duration,
        ),
        ("broadcast_share", "sent to many", pct),
    ];
    let depts = departments_by_size(g, group_rows);
    if depts.is_empty() {
        page.p("No department figures in this window.");
        return;
    }
    let value = |d: &str, m: &str| {
        group_rows
            .iter()
            .find(|&&i| {
                g.str("kind", i) == "department"
                    && g.str("group", i) == d
                    && g.str("measure", i) == m
            })
            .and_then(|&i| g.num("value", i))
    };
    let max: Vec<f64> = measures
        .iter()
        .map(|m| {
            depts
                .iter()
                .filter(|d| d.1 >= x.min_group)
                .filter_map(|d| value(&d.0, m.0))
                .fold(0.0, f64::max)
                .max(1e-12)
        })
        .collect();
    let mut rows = Vec::new();
    let mut suppressed = 0;
    for (d, members) in depts.iter().take(40) {
        if *members < x.min_group {
            suppressed += 1;
            continue;
        }
        let mut r = vec![esc(d), members.to_string()];
        for (k, m) in measures.iter().enumerate() {
            r.push(match value(d, m.0) {
                Some(v) => format!(
                    "<span class=\"heat\"><svg class=\"swatch\" width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" rx=\"2\" fill=\"{}\"/></svg>{}</span>",
                    svg::blues(0.75 * v / max[k]),
                    esc(&(m.2)(v))
                ),
                None => "n/a".into(),
            });
        }
        rows.push(r);
    }
    let mut head = vec!["department", "people"];
    head.extend(measures.iter().map(|m| m.1));
    page.raw(&table("currency", &head, &rows));
    if suppressed > 0 {
        page.note(&format!(
            "{suppressed} departments with fewer than {} people are not shown.",
            x.min_group
        ));
    }
}

fn balance(x: &OrgInputs, page: &mut Page) {
    let d = x.dyads;
    let rows = d.in_window(x.window);
    if rows.is_empty() {
        page.p("No pairs interacted in this window.");
        return;
    }
    let mut bins: Vec<Bin> = (0..10)
        .map(|b| Bin {
            lo: b as f64 / 10.0,
            hi: (b + 1) as f64 / 10.0,
            count: 0,
            colour: svg::blues(0.2 + 0.08 * b as f64),
        })
        .collect();
    let mut unbalanced = 0;
    let mut by_relation: FxHashMap<String, (usize, usize)> = FxHashMap::default();
    for &i in &rows {
        let b = d.num("balance", i).unwrap_or(0.0).abs();
        bins[((b * 10.0) as usize).min(9)].count += 1;
        let off = d.num("balance_lo", i).unwrap_or(0.0) > 0.0
            || d.num("balance_hi", i).unwrap_or(0.0) < 0.0;
        unbalanced += usize::from(off);
        let rel = d.str("relation", i);
        if !rel.is_empty() {
            let e = by_relation.entry(rel.to_string()).or_default();
            e.0 += 1;
            e.1 += usize::from(off);
        }
    }
    let share = unbalanced as f64 / rows.len() as f64;
    page.raw(&stats(&[
        ("pairs", rows.len().to_string(), "pairs that interacted"),
        ("unbalanced_pairs", unbalanced.to_string(), "out of balance"),
        ("unbalanced_share", pct(share), "share out of balance"),
    ]));
    page.raw(&svg::histogram(
        "how far each pair's power leans to one side",
        &bins,
        "even",
        "all on one side",
    ));
    let mut rel: Vec<(String, f64, String, String)> = by_relation
        .into_iter()
        .filter(|(_, (n, _))| *n >= x.min_group)
        .map(|(r, (n, u))| {
            let s = u as f64 / n as f64;
            (
                r.replace('_', " "),
                s,
                svg::blues(0.3 + 0.7 * s),
                format!("{} of {n}", pct(s)),
            )
        })
        .collect();
    rel.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if !rel.is_empty() {
        page.raw("<h3>Out of balance, by formal relation</h3>");
        page.raw(&svg::bars(
            "share of pairs out of balance by relation",
            &rel,
            false,
        ));
        page.note("Up and down lines are expected to lean; peers and colleagues across the organization leaning hard is what to look at.");
    }
}

/// The window to compare with, and the window compared: for `all`, the last two windows of the
/// same kind (months, quarters); otherwise the window before the shown one of its kind.
fn compared(x: &OrgInputs) -> Option<(String, String)> {
    let windows = x.people.windows();
    let kind = |w: &str| {
        vocab::Window::parse(w)
            .ok()
            .map(|w| std::mem::discriminant(&w))
    };
    if x.window == "all" {
        let rest: Vec<&String> = windows.iter().filter(|w| *w != "all").collect();
        let last = rest.last()?;
        let prev = rest.iter().rev().skip(1).find(|w| kind(w) == kind(last))?;
        Some(((*prev).clone(), (*last).clone()))
    } else {
        let pos = windows.iter().position(|w| w == x.window)?;
        let prev = windows[..pos]
            .iter()
            .rev()
            .find(|w| *w != "all" && kind(w) == kind(x.window))?;
        Some((prev.clone(), x.window.to_string()))
    }
}

fn change(x: &OrgInputs, page: &mut Page) {
    let Some((prev, now)) = compared(x) else {
        page.p("Only one window was analyzed, so there is nothing to compare yet. Analyze with --window month (or quarter) to see change.");
        return;
    };
    page.p(&format!("{now} against {prev}."));
    let count = |w: &str| {
        let mut c: FxHashMap<String, usize> = FxHashMap::default();
        for (_, k) in findings_of(x.findings, w) {
            *c.entry(k.to_string()).or_default() += 1;
        }
        c
    };
    let (a, b) = (count(&prev), count(&now));
    let mut kinds: Vec<&String> = a.keys().chain(b.keys()).collect();
    kinds.sort();
    kinds.dedup();
    let mut rows = Vec::new();
    let mut rising = Vec::new();
    for k in kinds {
        let (p, q) = (
            a.get(k).copied().unwrap_or(0),
            b.get(k).copied().unwrap_or(0),
        );
        let delta = q as i64 - p as i64;
        if delta > 0 && k != "change" {
            rising.push((k.replace('_', " "), delta));
        }
        rows.push(vec![
            esc(&k.replace('_', " ")),
            p.to_string(),
            q.to_string(),
            format!(
                "<span class=\"{}\">{delta:+}</span>",
                if delta > 0 {
                    "up"
                } else if delta < 0 {
                    "down"
                } else {
                    "same"
                }
            ),
        ]);
    }
    page.raw("<h3>Findings</h3>");
    page.raw(&table("change", &["kind", &prev, &now, "change"], &rows));
    // Informal power movers.
    let by_person = |w: &str| -> FxHashMap<u32, f64> {
        x.people
            .in_window(w)
            .into_iter()
            .filter_map(|i| {
                Some((
                    x.people.person("person", i)?,
                    x.people.num("informal_pct", i)?,
                ))
            })
            .collect()
    };
    let (pa, pb) = (by_person(&prev), by_person(&now));
    let mut moves: Vec<(u32, f64, f64)> = pb
        .iter()
        .filter_map(|(&p, &v)| pa.get(&p).map(|&u| (p, u, v)))
        .filter(|m| (m.2 - m.1).abs() >= 0.2)
        .collect();
    moves.sort_by(|a, b| (b.2 - b.1).total_cmp(&(a.2 - a.1)).then(a.0.cmp(&b.0)));
    let mut items: Vec<(String, f64, String, String)> = Vec::new();
    for m in moves.iter().take(8).chain(moves.iter().rev().take(8)) {
        let d = m.2 - m.1;
        if items.iter().any(|i| i.0 == x.naming.of(m.0)) {
            continue;
        }
        items.push((
            x.naming.of(m.0).to_string(),
            d,
            svg::diverging(d.signum()),
            format!(
                "{} → {} percentile",
                ordinal((100.0 * m.1).round() as u32),
                ordinal((100.0 * m.2).round() as u32)
            ),
        ));
    }
    items.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    page.raw("<h3>Biggest moves in informal power</h3>");
    if items.is_empty() {
        page.p("Nobody's informal power moved by 20 percentiles or more.");
    } else {
        page.raw(&svg::bars("change in informal power", &items, true));
    }
    // Leaders whose style changed.
    let styles = |w: &str| -> FxHashMap<u32, String> {
        x.leaders
            .in_window(w)
            .into_iter()
            .filter(|&i| x.leaders.int("team_size", i).unwrap_or(0) as usize >= x.min_group)
            .filter_map(|i| Some((x.leaders.person("leader", i)?, x.leaders.text("style", i))))
            .collect()
    };
    let (sa, sb) = (styles(&prev), styles(&now));
    let changed = sb
        .iter()
        .filter(|(l, s)| sa.get(l).is_some_and(|p| p != *s))
        .count();
    page.p(&format!(
        "{changed} of {} leaders read in both windows changed style.",
        sb.keys().filter(|l| sa.contains_key(l)).count()
    ));
    // What to watch next.
    page.raw("<h3>What to watch next</h3><ul class=\"watch\">");
    let mut watch = Vec::new();
    rising.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (k, d) in rising.iter().take(3) {
        watch.push(format!("{k}: {d} more than in {prev}."));
    }
    if let Some(m) = moves.first().filter(|m| m.2 > m.1) {
        watch.push(format!(
            "{} gained the most informal power ({} to {} percentile): a new go-to person, or someone taking on more than they can carry.",
            x.naming.of(m.0),
            ordinal((100.0 * m.1).round() as u32),
            ordinal((100.0 * m.2).round() as u32)
        ));
    }
    if let Some(m) = moves.last().filter(|m| m.2 < m.1) {
        watch.push(format!(
            "{} lost the most ({} to {} percentile): check whether they are being routed around.",
            x.naming.of(m.0),
            ordinal((100.0 * m.1).round() as u32),
            ordinal((100.0 * m.2).round() as u32)
        ));
    }
    if changed > 0 {
        watch.push(format!(
            "{changed} leaders moved on the power-over ↔ power-with scale; their teams' next window will show whether it holds."
        ));
    }
    if watch.is_empty() {
        watch.push("Nothing moved much between the two windows.".into());
    }
    for w in watch {
        page.raw(&format!("<li>{}</li>", esc(&w)));
    }
    page.raw("</ul>");
}

/// A group's size as the page may show it: under the minimum group size, only that it is small.
fn group_size(n: usize, min_group: usize) -> String {
    if n < min_group {
        format!("fewer than {min_group}")
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::table::ColumnData;

    /// The value of attribute `name` in an element's opening tag.
    fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
        let key = format!(" {name}=\"");
        let start = tag.find(&key)? + key.len();
        Some(&tag[start..start + tag[start..].find('"')?])
    }

    /// Every `<tag ...>` of `html` with its text up to the next `<`.
    fn elements<'a>(html: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
        let open = format!("<{tag} ");
        html.match_indices(&open)
            .map(|(at, _)| {
                let rest = &html[at..];
                let end = rest.find('>').unwrap() + 1;
                let text = &rest[end..end + rest[end..].find('<').unwrap_or(0)];
                (&rest[..end], text)
            })
            .collect()
    }

    fn num(tag: &str, name: &str) -> f64 {
        attr(tag, name).unwrap().parse().unwrap()
    }

    fn unescape(s: &str) -> String {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    /// The straight segments (x0, y0, x1, y1) of a path drawn with M, H and V only.
    fn segments(d: &str) -> Vec<(f64, f64, f64, f64)> {
        let (mut x, mut y) = (0.0, 0.0);
        let mut out = Vec::new();
        for token in d.split_whitespace() {
            let (cmd, rest) = token.split_at(1);
            match cmd {
                "M" => {
                    let (a, b) = rest.split_once(',').unwrap();
                    (x, y) = (a.parse().unwrap(), b.parse().unwrap());
                }
                "H" => {
                    let nx: f64 = rest.parse().unwrap();
                    out.push((x, y, nx, y));
                    x = nx;
                }
                "V" => {
                    let ny: f64 = rest.parse().unwrap();
                    out.push((x, y, x, ny));
                    y = ny;
                }
                other => panic!("unexpected path command {other} in {d}"),
            }
        }
        out
    }

    /// The part of `html` from the first occurrence of `from` to the end of the next SVG.
    fn svg_after<'a>(html: &'a str, from: &str) -> &'a str {
        let at = html
            .find(from)
            .unwrap_or_else(|| panic!("{from} not on the page"));
        let end = at + html[at..].find("</svg>").unwrap() + "</svg>".len();
        &html[at..end]
    }

    fn strs(v: impl IntoIterator<Item = impl Into<String>>) -> ColumnData {
        ColumnData::Str(v.into_iter().map(Into::into).collect())
    }

    /// A four-level organization with long names (a manager with more reports than are drawn,
    /// so "+N" is added to a name), eight departments with long names and fifteen communities.
    fn sample() -> (Org, Naming, Frame, Frame) {
        let mut manager: Vec<Option<u32>> = vec![None];
        manager.extend((1..=4).map(|_| Some(0)));
        manager.extend((5..=12).map(|p| Some((p - 5) / 2 + 1)));
        manager.extend((13..=28).map(|p| Some((p - 13) / 2 + 5)));
        manager.extend((29..=36).map(|p| Some((p - 29) / 2 + 13)));
        manager.extend((37..=59).map(|_| Some(29)));
        let n = manager.len();
        let levels = vec![None; n];
        let chart = vocab::OrgChart::from_managers(manager, &levels).unwrap();
        let departments: Vec<String> = (0..8)
            .map(|d| format!("Department of Wholesale Manufacturing {d}"))
            .collect();
        let org = Org {
            ids: (0..n).map(|p| format!("e{p}")).collect(),
            pseudonyms: (0..n).map(|p| format!("p{p:04}")).collect(),
            department: (0..n).map(|p| Some((p % 8) as u32)).collect(),
            departments: departments.clone(),
            chart: Some(chart),
            tags: vec![vec![]; n],
            time_zones: vec![None; n],
            titles: vec![None; n],
        };
        let surnames = [
            "Wolfeschlegelsteinhausen",
            "Mwangi",
            "Ó Muircheartaigh",
            "Li",
        ];
        let names: Vec<Option<String>> = (0..n)
            .map(|p| Some(format!("MW{p} {}", surnames[p % surnames.len()])))
            .collect();
        let naming = Naming::new(&org, Some(&names));
        let people = Frame(vec![
            ("person".into(), ColumnData::I64((0..n as i64).collect())),
            (
                "informal_pct".into(),
                ColumnData::F64((0..n).map(|p| (p % 11) as f64 / 10.0).collect()),
            ),
            (
                "formal_pct".into(),
                ColumnData::F64((0..n).map(|p| 1.0 - p as f64 / n as f64).collect()),
            ),
            (
                "power_gap".into(),
                ColumnData::F64((0..n).map(|p| (p % 5) as f64 / 2.0 - 1.0).collect()),
            ),
            (
                "community".into(),
                ColumnData::I64((0..n as i64).map(|p| p % 15).collect()),
            ),
            (
                "influence".into(),
                ColumnData::F64((0..n).map(|p| p as f64).collect()),
            ),
            ("roles".into(), strs((0..n).map(|_| ""))),
        ]);
        let groups = Frame(vec![
            ("kind".into(), strs((0..8).map(|_| "department"))),
            ("measure".into(), strs((0..8).map(|_| "members"))),
            ("group".into(), strs(departments)),
            ("other_group".into(), ColumnData::OptStr(vec![None; 8])),
            ("value".into(), ColumnData::OptF64(vec![Some(0.0); 8])),
            (
                "members".into(),
                ColumnData::OptI64((0..8).map(|d| Some(60 / 8 + (d < 4) as i64)).collect()),
            ),
            ("person".into(), ColumnData::OptI64(vec![None; 8])),
        ]);
        (org, naming, people, groups)
    }

    fn page() -> String {
        let (org, naming, people, groups) = sample();
        let empty = Frame(vec![]);
        let ties: Vec<(u32, u32, f64)> = (1..org.n() as u32).map(|p| (p, p / 2, 1.0)).collect();
        let inputs = OrgInputs {
            org: &org,
            naming: &naming,
            window: "all",
            min_group: 1,
            people: &people,
            dyads: &empty,
            groups: &groups,
            leaders: &empty,
            findings: &empty,
            ties: &ties,
            max_nodes: 1000,
            max_edges: 1000,
            source: "test",
        };
        org_report(&inputs).0
    }

    #[test]
    fn power_tree_connectors_run_between_names_and_end_at_circles() {
        let html = page();
        let tree = svg_after(&html, "<div class=\"scroll tree\"");
        assert!(!tree.contains(" style="), "no inline styles (CSP)");
        let circles: Vec<(f64, f64, f64)> = elements(tree, "circle")
            .iter()
            .map(|(t, _)| (num(t, "cx"), num(t, "cy"), num(t, "r")))
            .collect();
        // A label's box: its estimated width (an upper bound of the drawn width), from the top of
        // its capitals to the bottom of its descenders.
        // (text, left, right, top, bottom, the line through its circle's centre)
        let labels: Vec<(String, f64, f64, f64, f64, f64)> = elements(tree, "text")
            .iter()
            .filter(|(t, _)| attr(t, "class") == Some("label"))
            .map(|(t, text)| {
                let text = unescape(text);
                let (x, y) = (num(t, "x"), num(t, "y"));
                let w = svg::text_width(&text, TREE_LABEL_PX);
                let (top, bottom) = (y - 0.8 * TREE_LABEL_PX, y + 0.3 * TREE_LABEL_PX);
                (text, x, x + w, top, bottom, y - 0.4 * TREE_LABEL_PX)
            })
            .collect();
        assert_eq!(labels.len(), 37, "everyone drawn is named");
        assert_eq!(circles.len(), 37);
        assert!(
            labels.iter().any(|l| l.0.ends_with(" +23")),
            "a manager with reports not drawn says how many"
        );
        let paths: Vec<&str> = elements(tree, "path")
            .iter()
            .filter(|(t, _)| attr(t, "class") == Some("link"))
            .map(|(t, _)| attr(t, "d").unwrap())
            .collect();
        assert_eq!(paths.len(), 36, "one connector per report drawn");
        for d in &paths {
            let segs = segments(d);
            for &(x0, y0, x1, y1) in &segs {
                let (sx0, sx1, sy0, sy1) = (x0.min(x1), x0.max(x1), y0.min(y1), y0.max(y1));
                for (text, lx0, lx1, ly0, ly1, _) in &labels {
                    assert!(
                        sx1 <= *lx0 || sx0 >= *lx1 || sy1 <= *ly0 || sy0 >= *ly1,
                        "connector {d} crosses the name {text:?} ({lx0:.1}..{lx1:.1} × {ly0:.1}..{ly1:.1})"
                    );
                }
                // No connector runs through a circle (ending at its edge is fine).
                for &(cx, cy, r) in &circles {
                    let (nx, ny) = (cx.clamp(sx0, sx1), cy.clamp(sy0, sy1));
                    let dist = ((nx - cx).powi(2) + (ny - cy).powi(2)).sqrt();
                    assert!(
                        dist >= r - 0.15,
                        "connector {d} runs into the circle at ({cx}, {cy})"
                    );
                }
            }
            // It starts after a manager's name, on its line, and ends at a report's circle.
            let (sx, sy, _, _) = segs[0];
            assert!(
                labels.iter().any(|l| sx > l.2 && (sy - l.5).abs() < 0.15),
                "connector {d} starts after a name"
            );
            let &(_, _, ex, ey) = segs.last().unwrap();
            assert!(
                circles
                    .iter()
                    .any(|&(cx, cy, r)| (ey - cy).abs() < 0.15 && (cx - r - ex).abs() < 0.15),
                "connector {d} ends at a circle's edge"
            );
        }
        // The picture is wide enough for its longest name.
        let svg_open = elements(tree, "svg")[0].0;
        let width = num(svg_open, "width");
        assert!(
            labels.iter().all(|l| l.2 <= width),
            "a name runs off the picture"
        );
    }

    #[test]
    fn communities_against_departments_scroll_sideways_and_show_every_column() {
        let html = page();
        let part = svg_after(&html, "<h3>Communities against departments</h3>");
        let wrapper = elements(part, "div")
            .into_iter()
            .find(|(t, _)| attr(t, "class").is_some_and(|c| c.contains("scroll-x")))
            .expect("the heatmap sits in a container that scrolls sideways")
            .0;
        assert_eq!(
            attr(wrapper, "tabindex"),
            Some("0"),
            "keyboard users can scroll it"
        );
        let svg = &part[part.find("<svg").unwrap()..];
        assert!(
            part.find(wrapper).unwrap() < part.find("<svg").unwrap(),
            "the heatmap is inside the container"
        );
        assert!(!part.contains(" style="), "no inline styles (CSP)");
        // The container scrolls, and the picture keeps its size in it (is not shrunk to fit),
        // on screen; printed, it fits the page.
        let css = crate::html::CSS;
        let rule = |selector: &str| {
            let at = css
                .find(&format!("{selector} {{"))
                .unwrap_or_else(|| panic!("no rule for {selector}"));
            &css[at..at + css[at..].find('}').unwrap()]
        };
        assert!(rule(".scroll-x").contains("overflow-x: auto"));
        assert!(
            rule(".scroll-x > svg.chart, .scroll.tree > svg.chart").contains("max-width: none")
        );
        // Every column (the last one too) and every row is in the picture, labels included.
        let open = elements(svg, "svg")[0].0;
        let (w, h) = (num(open, "width"), num(open, "height"));
        let cells: Vec<&str> = elements(svg, "rect").iter().map(|r| r.0).collect();
        assert_eq!(
            cells.len(),
            8 * 14,
            "eight departments by the fourteen largest communities"
        );
        for c in &cells {
            assert!(num(c, "x") + num(c, "width") <= w && num(c, "y") + num(c, "height") <= h);
        }
        let (sin, cos) = 50f64.to_radians().sin_cos();
        let mut columns = 0;
        for (t, text) in elements(svg, "text") {
            let text = unescape(text);
            let width = svg::text_width(&text, 11.0);
            if let Some(tr) = attr(t, "transform") {
                let (x, y) = tr["translate(".len()..tr.find(')').unwrap()]
                    .split_once(',')
                    .unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!(
                    x + width * cos <= w,
                    "column label {text:?} cut at the right"
                );
                assert!(
                    y - width * sin >= 0.0,
                    "column label {text:?} cut at the top"
                );
                columns += 1;
            } else if attr(t, "text-anchor") == Some("end") {
                assert!(
                    num(t, "x") - width >= 0.0,
                    "row label {text:?} cut at the left"
                );
            }
        }
        assert_eq!(columns, 14);
    }

    #[test]
    fn power_tree_names_have_a_halo_from_the_style_sheet() {
        let css = crate::html::CSS;
        let at = css
            .find("svg .label {")
            .expect("a rule for the tree's names");
        let rule = &css[at..at + css[at..].find('}').unwrap()];
        assert!(rule.contains("paint-order: stroke") && rule.contains("stroke: #fff"));
        assert!(rule.contains(&format!("font-size: {TREE_LABEL_PX}px")));
    }
}
