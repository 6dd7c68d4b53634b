//! The page around the charts: one HTML file with its style and script inline.

use std::fmt::Write;

pub const CSS: &str = include_str!("../assets/report.css");
pub const NETWORK_JS: &str = include_str!("../assets/network.js");

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside a `<script>` element.
pub fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

pub struct Page {
    title: String,
    body: String,
    toc: Vec<(String, String)>,
    scripts: Vec<String>,
}

impl Page {
    pub fn new(title: &str) -> Page {
        Page {
            title: title.to_string(),
            body: String::new(),
            toc: Vec::new(),
            scripts: Vec::new(),
        }
    }

    /// Starts a section with an id for the table of contents.
    pub fn section(&mut self, id: &str, heading: &str, intro: &str) {
        if !self.toc.is_empty() {
            self.body.push_str("</section>\n");
        }
        self.toc.push((id.to_string(), heading.to_string()));
        let _ = writeln!(self.body, "<section id=\"{id}\"><h2>{}</h2>", esc(heading));
        if !intro.is_empty() {
            let _ = writeln!(self.body, "<p class=\"intro\">{}</p>", esc(intro));
        }
    }

    pub fn raw(&mut self, html: &str) {
        self.body.push_str(html);
        self.body.push('\n');
    }

    pub fn p(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p>{}</p>", esc(text));
    }

    pub fn note(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p class=\"note\">{}</p>", esc(text));
    }

    pub fn script(&mut self, js: &str) {
        self.scripts.push(js.to_string());
    }

    pub fn finish(mut self, header: &str) -> String {
        if !self.toc.is_empty() {
            self.body.push_str("</section>\n");
        }
        let mut out = String::with_capacity(self.body.len() + 16_384);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"generator\" content=\"orgmirror {}\">\
             <title>{}</title><style>{CSS}</style></head><body>\n{header}\n<nav class=\"toc\">",
            env!("CARGO_PKG_VERSION"),
            esc(&self.title)
        );
        for (id, h) in &self.toc {
            let _ = write!(out, "<a href=\"#{id}\">{}</a>", esc(h));
        }
        out.push_str("</nav>\n<main>\n");
        out.push_str(&self.body);
        out.push_str("</main>\n");
        for s in &self.scripts {
            let _ = writeln!(out, "<script>{s}</script>");
        }
        out.push_str("</body></html>\n");
        out
    }
}

/// A row of headline numbers; each carries `data-key` so tests can compare it with the tables.
pub fn stats(items: &[(&str, String, &str)]) -> String {
    let mut s = String::from("<div class=\"stats\">");
    for (key, value, label) in items {
        let _ = write!(
            s,
            "<div class=\"stat\"><span class=\"value\" data-key=\"{key}\">{}</span><span class=\"label\">{}</span></div>",
            esc(value),
            esc(label)
        );
    }
    s.push_str("</div>");
    s
}

/// A table from a header and rows of already-escaped cells.
pub fn table(class: &str, head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("<table class=\"{class}\"><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{c}</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

pub fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A duration in seconds as people say it.
pub fn duration(s: f64) -> String {
    if s < 90.0 {
        format!("{s:.0} s")
    } else if s < 5400.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86_400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(
            script_json(&serde_json::json!({"x": "</script>"})),
            "{\"x\":\"\\u003c/script\\u003e\"}"
        );
        assert_eq!(ordinal(1), "1st");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(23), "23rd");
        assert_eq!(ordinal(91), "91st");
        assert_eq!(ordinal(111), "111th");
        assert_eq!(ordinal(100), "100th");
        assert_eq!(duration(3600.0 * 47.2), "47.2 h");
    }
}
