//! Charts as inline SVG: they need no script, print sharply and read the same in every browser.

use crate::html::esc;
use std::fmt::Write;

/// Categorical colours (departments, communities), chosen to stay apart for colour-blind readers
/// as far as twelve colours can.
pub const PALETTE: [&str; 12] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1b9e77", "#d95f02",
];

pub const OVER: &str = "#d95f02";
pub const WITH: &str = "#1b9e77";
pub const NEUTRAL: &str = "#8c8c8c";

/// White to deep blue for a share in [0, 1].
pub fn blues(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        lerp(247.0, 8.0),
        lerp(251.0, 69.0),
        lerp(255.0, 148.0)
    )
}

/// Orange (−1) through grey (0) to green (+1).
pub fn diverging(t: f64) -> String {
    let t = t.clamp(-1.0, 1.0);
    let (a, b) = if t < 0.0 {
        ((0xd9, 0x5f, 0x02), -t)
    } else {
        ((0x1b, 0x9e, 0x77), t)
    };
    let mix = |c: u8, g: u8| (g as f64 + (c as f64 - g as f64) * b).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, 0xdd),
        mix(a.1, 0xdd),
        mix(a.2, 0xdd)
    )
}

fn open(w: f64, h: f64, label: &str) -> String {
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(label)
    )
}

fn text(s: &mut String, x: f64, y: f64, anchor: &str, class: &str, t: &str) {
    let _ = write!(
        s,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" class=\"{class}\">{}</text>",
        esc(t)
    );
}

/// An upper estimate of the width of `t` drawn `px` pixels high in the page's sans-serif font,
/// to lay out labels without a browser: DejaVu Sans's advances (the widest of the usual system
/// fonts, and what headless Chromium on Linux draws with), rounded up.
pub fn text_width(t: &str, px: f64) -> f64 {
    let em = |c: char| match c {
        'i' | 'j' | 'l' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' => 0.3,
        ' ' => 0.33,
        'f' | 't' | 'r' | 'I' | 'J' | '(' | ')' | '[' | ']' | '-' | '/' => 0.45,
        'm' | 'w' | 'M' | 'W' | '%' | '@' | '…' | '→' | '←' | '—' => 1.0,
        '+' | '=' | '<' | '>' | '~' | '#' | '&' => 0.86,
        'a'..='z' | '0'..='9' => 0.65,
        'A'..='Z' => 0.8,
        c if c.is_ascii() => 0.65,
        // Accented Latin, Greek, Cyrillic; wider scripts (CJK) at a full em.
        c if c.is_alphabetic() && (c as u32) < 0x2e80 => 0.8,
        _ => 1.0,
    };
    t.chars().map(em).sum::<f64>() * px
}

/// Column labels of a heatmap are drawn at this angle (degrees, up and to the right).
const COLUMN_LABEL_ANGLE: f64 = 50.0;
/// Axis text size in pixels (`svg .axis` in report.css).
const AXIS_PX: f64 = 11.0;

/// A matrix of shares with row and column labels; `None` cells are suppressed (hatched). The
/// picture is as large as its labels need (none is cut at an edge); put it in a container that
/// scrolls (see `report.css`, `.scroll-x`) rather than shrinking it.
pub fn heatmap(
    label: &str,
    rows: &[String],
    cols: &[String],
    values: &[Vec<Option<f64>>],
    cell_text: impl Fn(f64) -> String,
) -> String {
    let cell = 34.0_f64.min(560.0 / cols.len().max(1) as f64).max(16.0);
    let col_labels: Vec<String> = cols.iter().map(|c| truncate(c, 18)).collect();
    let row_labels: Vec<String> = rows.iter().map(|r| truncate(r, 32)).collect();
    let (sin, cos) = COLUMN_LABEL_ANGLE.to_radians().sin_cos();
    // A rotated label reaches this far right of and above its anchor (the text's height adds
    // a little on both).
    let reach = |t: &str| {
        let w = text_width(t, AXIS_PX);
        (w * cos + AXIS_PX * sin, w * sin + AXIS_PX * cos)
    };
    let left = row_labels
        .iter()
        .map(|r| text_width(r, AXIS_PX))
        .fold(0.0, f64::max)
        .max(30.0)
        + 12.0;
    let top = col_labels
        .iter()
        .map(|c| reach(c).1)
        .fold(0.0, f64::max)
        .max(20.0)
        + 12.0;
    let w = col_labels
        .iter()
        .enumerate()
        .map(|(j, c)| left + cell * (j as f64 + 0.5) + reach(c).0 + 6.0)
        .fold(left + cell * cols.len() as f64 + 10.0, f64::max);
    let h = top + cell * rows.len() as f64 + 10.0;
    let max = values
        .iter()
        .flatten()
        .flatten()
        .copied()
        .fold(0.0, f64::max)
        .max(1e-12);
    let mut s = open(w, h, label);
    for (j, c) in col_labels.iter().enumerate() {
        let x = left + cell * (j as f64 + 0.5);
        let _ = write!(
            s,
            "<text transform=\"translate({x:.1},{:.1}) rotate(-{COLUMN_LABEL_ANGLE})\" class=\"axis\">{}</text>",
            top - 6.0,
            esc(c)
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + cell * i as f64;
        text(
            &mut s,
            left - 6.0,
            y + cell * 0.62,
            "end",
            "axis",
            &row_labels[i],
        );
        for (j, v) in values[i].iter().enumerate() {
            let x = left + cell * j as f64;
            match v {
                Some(v) => {
                    let t = v / max;
                    let _ = write!(
                        s,
                        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} → {}: {}</title></rect>",
                        cell - 1.0,
                        cell - 1.0,
                        blues(t.sqrt()),
                        esc(r),
                        esc(&cols[j]),
                        esc(&cell_text(*v))
                    );
                    if cell >= 26.0 {
                        text(
                            &mut s,
                            x + cell / 2.0,
                            y + cell * 0.62,
                            "middle",
                            if t.sqrt() > 0.55 {
                                "cell light"
                            } else {
                                "cell"
                            },
                            &cell_text(*v),
                        );
                    }
                }
                None => {
                    let _ = write!(
                        s,
                        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" class=\"suppressed\"><title>suppressed: fewer people than the minimum group size</title></rect>",
                        cell - 1.0,
                        cell - 1.0
                    );
                }
            }
        }
    }
    s.push_str("</svg>");
    s
}

pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub count: usize,
    pub colour: String,
}

/// Vertical bars over [lo, hi] bins, with captions under the two ends of the axis.
pub fn histogram(label: &str, bins: &[Bin], left_caption: &str, right_caption: &str) -> String {
    let (w, h, pad, bottom) = (640.0, 220.0, 40.0, 44.0);
    let max = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let lo = bins.first().map_or(0.0, |b| b.lo);
    let hi = bins.last().map_or(1.0, |b| b.hi);
    let x = |v: f64| pad + (w - 2.0 * pad) * (v - lo) / (hi - lo).max(1e-12);
    let mut s = open(w, h, label);
    let base = h - bottom;
    for b in bins {
        let bh = (base - 16.0) * b.count as f64 / max;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{:.2} to {:.2}: {}</title></rect>",
            x(b.lo) + 1.0,
            base - bh,
            (x(b.hi) - x(b.lo) - 2.0).max(1.0),
            b.colour,
            b.lo,
            b.hi,
            b.count
        );
        if b.count > 0 {
            text(
                &mut s,
                (x(b.lo) + x(b.hi)) / 2.0,
                base - bh - 3.0,
                "middle",
                "small",
                &b.count.to_string(),
            );
        }
    }
    let _ = write!(
        s,
        "<line x1=\"{pad}\" x2=\"{:.1}\" y1=\"{base}\" y2=\"{base}\" class=\"axisline\"/>",
        w - pad
    );
    text(
        &mut s,
        x(lo),
        base + 16.0,
        "start",
        "axis",
        &format!("{lo}"),
    );
    text(&mut s, x(hi), base + 16.0, "end", "axis", &format!("{hi}"));
    if lo < 0.0 && hi > 0.0 {
        text(&mut s, x(0.0), base + 16.0, "middle", "axis", "0");
    }
    text(&mut s, x(lo), base + 34.0, "start", "caption", left_caption);
    text(&mut s, x(hi), base + 34.0, "end", "caption", right_caption);
    s.push_str("</svg>");
    s
}

/// Horizontal bars of values in [0, max] (or [−max, max] when `signed`).
pub fn bars(label: &str, items: &[(String, f64, String, String)], signed: bool) -> String {
    let (w, row, left) = (760.0, 22.0, 190.0);
    let h = row * items.len() as f64 + 10.0;
    let max = items
        .iter()
        .map(|i| i.1.abs())
        .fold(0.0, f64::max)
        .max(1e-12);
    let span = w - left - 180.0;
    let zero = if signed { left + span / 2.0 } else { left };
    let scale = if signed { span / 2.0 } else { span } / max;
    let mut s = open(w, h, label);
    for (k, (name, v, colour, shown)) in items.iter().enumerate() {
        let y = 5.0 + row * k as f64;
        text(
            &mut s,
            left - 6.0,
            y + row * 0.65,
            "end",
            "axis",
            &truncate(name, 28),
        );
        let (x0, bw) = if *v >= 0.0 {
            (zero, v * scale)
        } else {
            (zero + v * scale, -v * scale)
        };
        let _ = write!(
            s,
            "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {}</title></rect>",
            y + 3.0,
            bw.max(0.5),
            row - 6.0,
            esc(name),
            esc(shown)
        );
        text(
            &mut s,
            x0 + bw + 4.0,
            y + row * 0.65,
            "start",
            "small",
            shown,
        );
    }
    if signed {
        let _ = write!(
            s,
            "<line x1=\"{zero:.1}\" x2=\"{zero:.1}\" y1=\"0\" y2=\"{h:.1}\" class=\"axisline\"/>"
        );
    }
    s.push_str("</svg>");
    s
}

/// A compass (radar) of shares per direction against an even spread.
pub fn radar(label: &str, axes: &[(String, f64)], reference: f64) -> String {
    let (w, h) = (600.0, 400.0);
    let (cx, cy, r) = (w / 2.0, h / 2.0, 140.0);
    let k = axes.len().max(3);
    let max = axes.iter().map(|a| a.1).fold(reference, f64::max).max(1e-9);
    let at = |i: usize, v: f64| {
        let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / k as f64;
        (cx + r * v / max * a.cos(), cy + r * v / max * a.sin())
    };
    let mut s = open(w, h, label);
    for ring in 1..=4 {
        let v = max * ring as f64 / 4.0;
        let pts: Vec<String> = (0..k)
            .map(|i| {
                let (x, y) = at(i, v);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(s, "<polygon points=\"{}\" class=\"grid\"/>", pts.join(" "));
    }
    for (i, (name, v)) in axes.iter().enumerate() {
        let (x, y) = at(i, max);
        let _ = write!(
            s,
            "<line x1=\"{cx}\" y1=\"{cy}\" x2=\"{x:.1}\" y2=\"{y:.1}\" class=\"grid\"/>"
        );
        let (lx, ly) = at(i, max * 1.16);
        let anchor = if (lx - cx).abs() < 10.0 {
            "middle"
        } else if lx > cx {
            "start"
        } else {
            "end"
        };
        text(
            &mut s,
            lx,
            ly + 4.0,
            anchor,
            "axis",
            &format!("{name} {:.0}%", 100.0 * v),
        );
    }
    let poly = |vals: &mut dyn Iterator<Item = (usize, f64)>| {
        vals.map(|(i, v)| {
            let (x, y) = at(i, v);
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
    };
    let _ = write!(
        s,
        "<polygon points=\"{}\" class=\"reference\"><title>an even spread: {:.0}% each</title></polygon>",
        poly(&mut (0..axes.len()).map(|i| (i, reference))),
        100.0 * reference
    );
    let _ = write!(
        s,
        "<polygon points=\"{}\" class=\"you\"><title>where your attention goes</title></polygon>",
        poly(&mut axes.iter().enumerate().map(|(i, a)| (i, a.1)))
    );
    for (i, (_, v)) in axes.iter().enumerate() {
        let (x, y) = at(i, *v);
        let _ = write!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" class=\"you-dot\"/>"
        );
    }
    s.push_str("</svg>");
    s
}

pub struct Interval {
    pub label: String,
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
    pub note: String,
}

/// Diverging bars in [−1, 1] with their intervals (whiskers).
pub fn intervals(label: &str, rows: &[Interval], left: &str, right: &str) -> String {
    let (w, row, lpad) = (680.0, 30.0, 170.0);
    let h = row * rows.len() as f64 + 46.0;
    let span = w - lpad - 30.0;
    let x = |v: f64| lpad + span * (v.clamp(-1.0, 1.0) + 1.0) / 2.0;
    let mut s = open(w, h, label);
    for (k, r) in rows.iter().enumerate() {
        let y = 8.0 + row * k as f64;
        text(
            &mut s,
            lpad - 8.0,
            y + row * 0.55,
            "end",
            "axis",
            &truncate(&r.label, 24),
        );
        let (x0, x1) = (x(0.0).min(x(r.value)), x(0.0).max(x(r.value)));
        let colour = if r.value >= 0.0 { WITH } else { OVER };
        let _ = write!(
            s,
            "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\" opacity=\"0.8\"><title>{}: {:+.2} (likely between {:+.2} and {:+.2}). {}</title></rect>",
            y + 6.0,
            (x1 - x0).max(1.0),
            row - 14.0,
            esc(&r.label),
            r.value,
            r.lo,
            r.hi,
            esc(&r.note)
        );
        let ym = y + row / 2.0 - 1.0;
        let _ = write!(
            s,
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{ym:.1}\" y2=\"{ym:.1}\" class=\"whisker\"/><line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"whisker\"/><line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"whisker\"/>",
            x(r.lo),
            x(r.hi),
            x(r.lo),
            x(r.lo),
            ym - 5.0,
            ym + 5.0,
            x(r.hi),
            x(r.hi),
            ym - 5.0,
            ym + 5.0
        );
    }
    let base = 8.0 + row * rows.len() as f64;
    let _ = write!(
        s,
        "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"0\" y2=\"{base:.1}\" class=\"axisline\"/>",
        x(0.0),
        x(0.0)
    );
    text(&mut s, x(-1.0), base + 16.0, "start", "caption", left);
    text(&mut s, x(1.0), base + 16.0, "end", "caption", right);
    text(&mut s, x(0.0), base + 16.0, "middle", "axis", "even");
    s.push_str("</svg>");
    s
}

pub struct Point {
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub colour: String,
    pub class: &'static str,
    pub title: String,
}

/// Points in the unit square with axis captions and quadrant names.
pub fn scatter(
    label: &str,
    points: &[Point],
    xcap: &str,
    ycap: &str,
    quadrants: [&str; 4],
) -> String {
    let (w, h, pad) = (560.0, 460.0, 48.0);
    let x = |v: f64| pad + (w - 2.0 * pad) * v.clamp(0.0, 1.0);
    let y = |v: f64| h - pad - (h - 2.0 * pad) * v.clamp(0.0, 1.0);
    let mut s = open(w, h, label);
    let _ = write!(
        s,
        "<rect x=\"{pad}\" y=\"{pad}\" width=\"{:.0}\" height=\"{:.0}\" class=\"frame\"/>\
         <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{pad}\" y2=\"{:.1}\" class=\"grid\"/>\
         <line x1=\"{pad}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"grid\"/>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" class=\"diagonal\"/>",
        w - 2.0 * pad,
        h - 2.0 * pad,
        x(0.5),
        x(0.5),
        h - pad,
        w - pad,
        y(0.5),
        y(0.5),
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0)
    );
    // top-left, top-right, bottom-left, bottom-right
    text(&mut s, x(0.02), y(0.97), "start", "quadrant", quadrants[0]);
    text(&mut s, x(0.98), y(0.97), "end", "quadrant", quadrants[1]);
    text(&mut s, x(0.02), y(0.02), "start", "quadrant", quadrants[2]);
    text(&mut s, x(0.98), y(0.02), "end", "quadrant", quadrants[3]);
    for p in points {
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{:.1}\" fill=\"{}\" class=\"{}\"><title>{}</title></circle>",
            x(p.x),
            y(p.y),
            p.r,
            p.colour,
            p.class,
            esc(&p.title)
        );
    }
    text(&mut s, w / 2.0, h - 12.0, "middle", "caption", xcap);
    let _ = write!(
        s,
        "<text transform=\"translate(16,{:.1}) rotate(-90)\" text-anchor=\"middle\" class=\"caption\">{}</text>",
        h / 2.0,
        esc(ycap)
    );
    s.push_str("</svg>");
    s
}

pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// Opens an SVG of the given size (for charts drawn elsewhere in the crate).
pub fn svg_open(w: f64, h: f64, label: &str) -> String {
    open(w, h, label)
}

pub fn svg_text(s: &mut String, x: f64, y: f64, anchor: &str, class: &str, t: &str) {
    text(s, x, y, anchor, class, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_scales_end_where_they_should() {
        assert_eq!(blues(0.0), "#f7fbff");
        assert_eq!(blues(1.0), "#084594");
        assert_eq!(diverging(-1.0), OVER);
        assert_eq!(diverging(1.0), WITH);
        assert_eq!(diverging(0.0), "#dddddd");
    }

    #[test]
    fn charts_are_well_formed() {
        let hm = heatmap(
            "flows",
            &["a".into(), "b".into()],
            &["a".into(), "b".into()],
            &[vec![Some(1.0), None], vec![Some(0.5), Some(0.0)]],
            |v| format!("{v:.1}"),
        );
        assert_eq!(hm.matches("<rect").count(), 4);
        assert_eq!(hm.matches("class=\"suppressed\"").count(), 1);
        let r = radar("compass", &[("up".into(), 0.5), ("down".into(), 0.5)], 0.5);
        assert!(r.starts_with("<svg") && r.ends_with("</svg>"));
        assert!(r.contains("up 50%"));
        let iv = intervals(
            "balance",
            &[Interval {
                label: "x<y".into(),
                value: -0.5,
                lo: -0.8,
                hi: -0.2,
                note: String::new(),
            }],
            "they",
            "you",
        );
        assert!(iv.contains("x&lt;y"));
    }
}
