//! The people graph of one window and layer as GraphML (networkx, igraph, Gephi, yEd) and GEXF
//! 1.2 (Gephi, networkx), with the people table's metrics as node attributes and every layer's
//! weight as edge attributes. Written as a stream: nothing but the node attributes is held.

use crate::Frame;
use mirror::input::{Org, Pair};
use std::io::{self, Write};

/// The layers of the pairs table, with the weight each gives a directed pair.
/// A layer's weight for one directed pair.
pub type Weight = fn(&Pair) -> f64;

pub const LAYERS: &[(&str, Weight)] = &[
    ("contact", |p| p.n.max(p.w_meetings)),
    ("communication", |p| p.w_communication),
    ("meetings", |p| p.w_meetings),
    ("requests", |p| p.request),
    ("help", |p| p.help),
    ("introductions", |p| p.introduction),
    ("feedback", |p| p.feedback_given + p.feedback_asked),
];

pub fn layer(name: &str) -> Option<Weight> {
    LAYERS.iter().find(|l| l.0 == name).map(|l| l.1)
}

pub enum Values {
    Str(Vec<String>),
    Num(Vec<Option<f64>>),
    Int(Vec<Option<i64>>),
}

impl Values {
    /// The type's name in GraphML and GEXF.
    fn type_name(&self) -> &'static str {
        match self {
            Values::Str(_) => "string",
            Values::Num(_) => "double",
            Values::Int(_) => "long",
        }
    }

    /// Person `p`'s value as XML text; `None` when missing.
    fn text(&self, p: usize) -> Option<String> {
        match self {
            Values::Str(s) => Some(xml(&s[p])),
            Values::Num(x) => x[p].map(num),
            Values::Int(x) => x[p].map(|v| v.to_string()),
        }
    }
}

/// Node attributes: one column per attribute, indexed by person.
pub struct Nodes {
    pub ids: Vec<String>,
    pub attrs: Vec<(String, Values)>,
}

/// Columns of the people table that become node attributes (besides id, label, department).
const NODE_NUMBERS: &[&str] = &[
    "formal_pct",
    "influence",
    "influence_pct",
    "betweenness",
    "brokerage_pct",
    "reach",
    "dependence",
    "dependence_pct",
    "informal_pct",
    "power_gap",
    "constraint",
    "effective_size",
    "events_out",
    "events_in",
    "bypass_share",
];
const NODE_INTS: &[&str] = &[
    "level",
    "direct_span",
    "total_span",
    "community",
    "contacts",
];

/// Node attributes for everyone in the org, from the people table's rows of `window`.
pub fn nodes(org: &Org, labels: &[String], people: &Frame, window: &str) -> Nodes {
    let n = org.n();
    let mut attrs: Vec<(String, Values)> = vec![
        ("label".into(), Values::Str(labels.to_vec())),
        (
            "department".into(),
            Values::Str(
                (0..n)
                    .map(|p| {
                        org.department[p]
                            .map_or(String::new(), |d| org.departments[d as usize].clone())
                    })
                    .collect(),
            ),
        ),
    ];
    let rows = people.in_window(window);
    let mut roles = vec![String::new(); n];
    let mut nums: Vec<Vec<Option<f64>>> = vec![vec![None; n]; NODE_NUMBERS.len()];
    let mut ints: Vec<Vec<Option<i64>>> = vec![vec![None; n]; NODE_INTS.len()];
    for &i in &rows {
        let Some(p) = people.person("person", i) else {
            continue;
        };
        let p = p as usize;
        if p >= n {
            continue;
        }
        roles[p] = people.text("roles", i);
        for (k, c) in NODE_NUMBERS.iter().enumerate() {
            nums[k][p] = people.num(c, i).filter(|v| v.is_finite());
        }
        for (k, c) in NODE_INTS.iter().enumerate() {
            ints[k][p] = people.int(c, i);
        }
    }
    attrs.push(("roles".into(), Values::Str(roles)));
    for (k, c) in NODE_NUMBERS.iter().enumerate() {
        attrs.push((c.to_string(), Values::Num(std::mem::take(&mut nums[k]))));
    }
    for (k, c) in NODE_INTS.iter().enumerate() {
        attrs.push((c.to_string(), Values::Int(std::mem::take(&mut ints[k]))));
    }
    Nodes {
        ids: labels.to_vec(),
        attrs,
    }
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn num(v: f64) -> String {
    // Shortest text that reads back as the same f64.
    format!("{v:?}")
}

/// Edge attribute names: weight (of the chosen layer) and every layer's weight.
fn edge_attrs() -> Vec<&'static str> {
    LAYERS.iter().map(|l| l.0).collect()
}

/// The edges of the export: pairs with weight above zero in the layer, between known people.
/// GraphML, GEXF and the edge tables all take their edges from here.
pub fn edges(
    pairs: impl Iterator<Item = Pair>,
    weight: Weight,
    people: usize,
) -> impl Iterator<Item = (Pair, f64)> {
    pairs
        .map(move |p| {
            let w = weight(&p);
            (p, w)
        })
        .filter(move |(p, w)| *w > 0.0 && (p.a as usize) < people && (p.b as usize) < people)
}

/// Every layer's non-zero weight for a pair, by index into [`LAYERS`].
fn layer_values(p: &Pair) -> impl Iterator<Item = (usize, f64)> + '_ {
    LAYERS
        .iter()
        .enumerate()
        .map(move |(k, l)| (k, (l.1)(p)))
        .filter(|(_, v)| *v != 0.0)
}

/// Counts of what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub nodes: usize,
    pub edges: usize,
}

/// Writes GraphML: a directed graph, an edge per pair with weight > 0 in `layer`.
pub fn write_graphml(
    out: &mut impl Write,
    nodes: &Nodes,
    pairs: &mut dyn Iterator<Item = Pair>,
    weight: Weight,
    description: &str,
) -> io::Result<Written> {
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        out,
        "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">"
    )?;
    writeln!(out, "<!-- {} -->", xml(description).replace("--", "- -"))?;
    for (k, (name, v)) in nodes.attrs.iter().enumerate() {
        let ty = v.type_name();
        writeln!(
            out,
            "<key id=\"n{k}\" for=\"node\" attr.name=\"{}\" attr.type=\"{ty}\"/>",
            xml(name)
        )?;
    }
    writeln!(
        out,
        "<key id=\"weight\" for=\"edge\" attr.name=\"weight\" attr.type=\"double\"/>"
    )?;
    for (k, name) in edge_attrs().iter().enumerate() {
        writeln!(
            out,
            "<key id=\"e{k}\" for=\"edge\" attr.name=\"{name}\" attr.type=\"double\"/>"
        )?;
    }
    writeln!(out, "<graph id=\"G\" edgedefault=\"directed\">")?;
    for (p, id) in nodes.ids.iter().enumerate() {
        write!(out, "<node id=\"{}\">", xml(id))?;
        for (k, (_, v)) in nodes.attrs.iter().enumerate() {
            let text = v.text(p);
            if let Some(t) = text {
                write!(out, "<data key=\"n{k}\">{t}</data>")?;
            }
        }
        writeln!(out, "</node>")?;
    }
    let mut edges = 0;
    for (p, w) in self::edges(pairs, weight, nodes.ids.len()) {
        write!(
            out,
            "<edge source=\"{}\" target=\"{}\"><data key=\"weight\">{}</data>",
            xml(&nodes.ids[p.a as usize]),
            xml(&nodes.ids[p.b as usize]),
            num(w)
        )?;
        for (k, v) in layer_values(&p) {
            write!(out, "<data key=\"e{k}\">{}</data>", num(v))?;
        }
        writeln!(out, "</edge>")?;
        edges += 1;
    }
    writeln!(out, "</graph>\n</graphml>")?;
    Ok(Written {
        nodes: nodes.ids.len(),
        edges,
    })
}

/// Writes GEXF 1.2: the same graph as [`write_graphml`].
pub fn write_gexf(
    out: &mut impl Write,
    nodes: &Nodes,
    pairs: &mut dyn Iterator<Item = Pair>,
    weight: Weight,
    description: &str,
) -> io::Result<Written> {
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        out,
        "<gexf xmlns=\"http://www.gexf.net/1.2draft\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd\" version=\"1.2\">"
    )?;
    writeln!(
        out,
        "<meta><creator>orgmirror {}</creator><description>{}</description></meta>",
        env!("CARGO_PKG_VERSION"),
        xml(description)
    )?;
    writeln!(out, "<graph defaultedgetype=\"directed\" mode=\"static\">")?;
    // `label` is GEXF's own node label, not an attribute.
    writeln!(out, "<attributes class=\"node\">")?;
    for (k, (name, v)) in nodes.attrs.iter().enumerate() {
        if name == "label" {
            continue;
        }
        let ty = v.type_name();
        writeln!(
            out,
            "<attribute id=\"n{k}\" title=\"{}\" type=\"{ty}\"/>",
            xml(name)
        )?;
    }
    writeln!(out, "</attributes>\n<attributes class=\"edge\">")?;
    for (k, name) in edge_attrs().iter().enumerate() {
        writeln!(
            out,
            "<attribute id=\"e{k}\" title=\"{name}\" type=\"double\"/>"
        )?;
    }
    writeln!(out, "</attributes>\n<nodes>")?;
    let label = nodes.attrs.iter().find_map(|(n, v)| match v {
        Values::Str(s) if n == "label" => Some(s),
        _ => None,
    });
    for (p, id) in nodes.ids.iter().enumerate() {
        write!(
            out,
            "<node id=\"{}\" label=\"{}\"><attvalues>",
            xml(id),
            xml(label.map_or(id, |l| &l[p]))
        )?;
        for (k, (name, v)) in nodes.attrs.iter().enumerate() {
            if name == "label" {
                continue;
            }
            let text = v.text(p);
            if let Some(t) = text {
                write!(out, "<attvalue for=\"n{k}\" value=\"{t}\"/>")?;
            }
        }
        writeln!(out, "</attvalues></node>")?;
    }
    writeln!(out, "</nodes>\n<edges>")?;
    let mut edges = 0;
    for (p, w) in self::edges(pairs, weight, nodes.ids.len()) {
        write!(
            out,
            "<edge id=\"{edges}\" source=\"{}\" target=\"{}\" weight=\"{}\"><attvalues>",
            xml(&nodes.ids[p.a as usize]),
            xml(&nodes.ids[p.b as usize]),
            num(w)
        )?;
        for (k, v) in layer_values(&p) {
            write!(out, "<attvalue for=\"e{k}\" value=\"{}\"/>", num(v))?;
        }
        writeln!(out, "</attvalues></edge>")?;
        edges += 1;
    }
    writeln!(out, "</edges>\n</graph>\n</gexf>")?;
    Ok(Written {
        nodes: nodes.ids.len(),
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: u32, b: u32, n: f64) -> Pair {
        Pair {
            a,
            b,
            n,
            w_communication: n,
            ..Default::default()
        }
    }

    fn sample() -> Nodes {
        Nodes {
            ids: vec!["a&b".into(), "c".into()],
            attrs: vec![
                (
                    "label".into(),
                    Values::Str(vec!["A <1>".into(), "C".into()]),
                ),
                ("informal_pct".into(), Values::Num(vec![Some(0.25), None])),
                ("level".into(), Values::Int(vec![Some(2), Some(3)])),
            ],
        }
    }

    #[test]
    fn graphml_escapes_and_skips_empty_edges() {
        let mut out = Vec::new();
        let pairs = vec![pair(0, 1, 3.0), pair(1, 0, 0.0)];
        let w = write_graphml(
            &mut out,
            &sample(),
            &mut pairs.into_iter(),
            layer("contact").unwrap(),
            "test -- graph",
        )
        .unwrap();
        assert_eq!(w, Written { nodes: 2, edges: 1 });
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("<node id=\"a&amp;b\">"));
        assert!(text.contains("A &lt;1&gt;"));
        assert!(text.contains("<data key=\"weight\">3.0</data>"));
        assert!(!text.contains("test -- graph"));
        // The missing value is left out, not written as empty or NaN.
        assert_eq!(text.matches("key=\"n1\">").count(), 1);
    }

    #[test]
    fn gexf_has_labels_and_weights() {
        let mut out = Vec::new();
        let pairs = vec![pair(0, 1, 2.5), pair(1, 0, 1.0)];
        let w = write_gexf(
            &mut out,
            &sample(),
            &mut pairs.into_iter(),
            layer("communication").unwrap(),
            "t",
        )
        .unwrap();
        assert_eq!(w.edges, 2);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("label=\"A &lt;1&gt;\""));
        assert!(text.contains("weight=\"2.5\""));
        assert!(text.contains("<edge id=\"1\" source=\"c\" target=\"a&amp;b\""));
    }
}
