//! Column mappings: a small TOML file that tells orgmirror which column of a user's file holds
//! which field, so real exports load without editing. See `examples/*.toml`.
//!
//! ```toml
//! [source]
//! format = "csv"        # csv | tsv | whitespace | jsonl | parquet (default: from the extension)
//! header = true         # false: columns are addressed by position "0", "1", ...
//!
//! [events]
//! actor = "from_vid"                      # a column
//! channel = { value = "email" }           # a constant
//! role = { column = "Reciptype", map = { "to" = "to" } }   # a column with a value map
//! ```

use crate::error::IngestError;
use crate::source::{Cell, Format, Row, RowReader, SourceOptions, text_value};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub source: SourceSection,
    pub people: Option<PeopleMapping>,
    pub events: Option<EventsMapping>,
    pub survey: Option<SurveyMapping>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    pub format: Option<String>,
    pub header: Option<bool>,
    pub delimiter: Option<String>,
    pub max_line_bytes: Option<usize>,
}

/// Where a field's value comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldSpec {
    Column(String),
    Detailed {
        column: Option<String>,
        value: Option<String>,
        /// Replaces whole values (after trimming), e.g. `{ "1" = "partner" }`.
        #[serde(default)]
        map: BTreeMap<String, String>,
    },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeopleMapping {
    pub id: Option<FieldSpec>,
    pub name: Option<FieldSpec>,
    /// One or more addresses separated by `;` or `,`.
    pub emails: Option<FieldSpec>,
    pub manager: Option<FieldSpec>,
    pub title: Option<FieldSpec>,
    pub department: Option<FieldSpec>,
    pub level: Option<FieldSpec>,
    pub time_zone: Option<FieldSpec>,
    pub start: Option<FieldSpec>,
    pub end: Option<FieldSpec>,
    /// Role tags (assistant, chief_of_staff, executive, contractor) separated by `;` or `,`.
    pub tags: Option<FieldSpec>,
    /// Columns kept as free attributes (`Person::attributes`); default: none. Columns that no
    /// field and no attribute names are dropped unread and listed in the report.
    pub attributes: Option<Vec<String>>,
    /// What to do with an id seen twice in one file: "error" (default) or "first".
    pub duplicates: Option<String>,
    /// Columns taken from other files by a key (e.g. a separate reports-to file).
    #[serde(default)]
    pub join: Vec<JoinSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinSpec {
    /// Relative to the mapping file's folder, or absolute.
    pub file: String,
    /// The join file's column that holds the person id.
    pub key: String,
    /// Field name -> column of the join file (fields: manager, title, department, level, time_zone, tags, name, emails).
    pub columns: BTreeMap<String, String>,
    pub format: Option<String>,
    pub header: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsMapping {
    pub event_id: Option<FieldSpec>,
    pub time: Option<FieldSpec>,
    pub actor: Option<FieldSpec>,
    pub recipient: Option<FieldSpec>,
    /// A list of recipients in one cell (`;`-separated, or a JSON array).
    pub recipients: Option<FieldSpec>,
    pub role: Option<FieldSpec>,
    pub channel: Option<FieldSpec>,
    pub kind: Option<FieldSpec>,
    pub thread_id: Option<FieldSpec>,
    pub in_reply_to: Option<FieldSpec>,
    pub duration_s: Option<FieldSpec>,
    pub speaking_s: Option<FieldSpec>,
    pub weight: Option<FieldSpec>,
    /// Offset assumed for timestamps without a zone, e.g. "-05:00" (default "+00:00").
    pub assume_offset: Option<String>,
    /// Interactions before this date are skipped as out of range (default, and earliest, 1970-01-01).
    pub valid_from: Option<String>,
    /// Interactions on or after this date are skipped as out of range (default, and latest,
    /// 2100-01-01).
    pub valid_to: Option<String>,
    /// "add" (default): people not in the people table are added, unregistered; "reject".
    pub unknown_people: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyMapping {
    pub respondent: Option<FieldSpec>,
    pub question: Option<FieldSpec>,
    pub colleague: Option<FieldSpec>,
    pub weight: Option<FieldSpec>,
    pub time: Option<FieldSpec>,
    pub unknown_people: Option<String>,
}

impl Mapping {
    pub fn load(path: &Path) -> Result<Mapping, IngestError> {
        let text = std::fs::read_to_string(path).map_err(|e| IngestError::io(path, e))?;
        toml::from_str(&text).map_err(|e| IngestError::Mapping {
            file: path.to_path_buf(),
            reason: e.to_string().replace('\n', " "),
        })
    }

    /// Layout options for `file`: the mapping's `[source]`, else the file's extension.
    pub fn source_options(
        &self,
        file: &Path,
        format_override: Option<Format>,
    ) -> Result<SourceOptions, IngestError> {
        let format = match (format_override, &self.source.format) {
            (Some(f), _) => f,
            (None, Some(text)) => Format::parse(text).ok_or_else(|| IngestError::Mapping {
                file: file.to_path_buf(),
                reason: format!("unknown format `{text}` (csv, tsv, whitespace, jsonl, parquet)"),
            })?,
            (None, None) => Format::from_path(file).ok_or_else(|| IngestError::Format {
                file: file.to_path_buf(),
                reason: "cannot tell the format from the extension; pass --format csv|tsv|whitespace|jsonl|parquet".into(),
            })?,
        };
        let delimiter = match &self.source.delimiter {
            None => None,
            Some(d) if d == "\\t" || d == "tab" => Some(b'\t'),
            Some(d) if d.len() == 1 => Some(d.as_bytes()[0]),
            Some(d) => {
                return Err(IngestError::Mapping {
                    file: file.to_path_buf(),
                    reason: format!("delimiter `{d}` must be one character"),
                });
            }
        };
        Ok(SourceOptions {
            format,
            header: self.source.header.unwrap_or(true),
            delimiter,
            max_line_bytes: self.source.max_line_bytes.unwrap_or(1 << 20),
            symbols: false,
        })
    }
}

/// A field bound to a column of the open file (or a constant).
#[derive(Debug, Clone)]
pub enum Slot {
    Absent,
    Column {
        index: usize,
        column: String,
        map: BTreeMap<String, String>,
    },
    Constant(Cell),
}

impl Slot {
    /// The raw cell (constants and value maps give text cells).
    pub fn cell<'a>(&'a self, row: &'a Row) -> Cow<'a, Cell> {
        match self {
            Slot::Absent => Cow::Owned(Cell::Null),
            Slot::Constant(c) => Cow::Borrowed(c),
            Slot::Column { index, map, .. } => {
                let cell = &row.cells[*index];
                if let Cell::Sym(sym) = cell {
                    let Some(raw) = row.symbols.get(*index).and_then(|t| t.get(*sym as usize))
                    else {
                        return Cow::Owned(Cell::Null);
                    };
                    let mapped = text_value(raw).and_then(|t| map.get(t));
                    return Cow::Owned(Cell::Str(mapped.unwrap_or(raw).clone()));
                }
                if map.is_empty() {
                    return Cow::Borrowed(cell);
                }
                match cell.text().and_then(|t| map.get(t.as_ref())) {
                    Some(mapped) => Cow::Owned(Cell::Str(mapped.clone())),
                    None => Cow::Borrowed(cell),
                }
            }
        }
    }

    /// The value as trimmed text; `None` when empty or missing.
    pub fn text<'a>(&'a self, row: &'a Row) -> Option<Cow<'a, str>> {
        if let Slot::Column { index, map, .. } = self
            && let Cell::Sym(sym) = row.cells[*index]
        {
            let text = row.symbol_text(*index, sym)?;
            return match map.get(text) {
                Some(mapped) => text_value(mapped).map(|t| Cow::Owned(t.to_string())),
                None => Some(Cow::Borrowed(text)),
            };
        }
        match self.cell(row) {
            Cow::Borrowed(c) => c.text(),
            Cow::Owned(c) => c.text().map(|t| Cow::Owned(t.into_owned())),
        }
    }

    /// Whether [`Slot::text`] would give text, without making it (numbers are not formatted).
    pub fn has_text(&self, row: &Row) -> bool {
        match self {
            Slot::Column { index, map, .. } if map.is_empty() => match row.cells[*index] {
                Cell::Sym(sym) => row.symbol_text(*index, sym).is_some(),
                ref cell => cell.has_text(),
            },
            _ => self.text(row).is_some(),
        }
    }

    /// The symbol of the value, when the reader gives the column as symbols: the same symbol
    /// is the same raw value, so whatever is made of it can be remembered by symbol.
    pub fn symbol(&self, row: &Row) -> Option<u32> {
        match self {
            Slot::Column { index, .. } => match row.cells[*index] {
                Cell::Sym(sym) => Some(sym),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn is_present(&self) -> bool {
        !matches!(self, Slot::Absent)
    }

    /// The column name, for messages.
    pub fn column(&self) -> Option<&str> {
        match self {
            Slot::Column { column, .. } => Some(column),
            _ => None,
        }
    }
}

/// Collects the columns a run needs, then binds each field to its place in the row.
#[derive(Debug, Default)]
pub struct Binder {
    pub wanted: Vec<String>,
    pending: Vec<(String, Option<FieldSpec>, bool)>,
}

impl Binder {
    /// Declares a field. With no spec, the column of the field's own name is used if the file has
    /// it. `required` fields must end up bound.
    pub fn field(&mut self, name: &str, spec: Option<&FieldSpec>, required: bool) -> usize {
        let columns = match spec {
            None => default_columns(name),
            Some(FieldSpec::Column(c)) => vec![c.clone()],
            Some(FieldSpec::Detailed { column, .. }) => column.iter().cloned().collect(),
        };
        for c in columns {
            if !self.wanted.contains(&c) {
                self.wanted.push(c);
            }
        }
        self.pending
            .push((name.to_string(), spec.cloned(), required));
        self.pending.len() - 1
    }

    /// Binds every declared field against the open reader, in declaration order.
    pub fn bind(&self, reader: &RowReader) -> Result<Vec<Slot>, IngestError> {
        let available = || {
            let h = reader.header();
            if h.len() > 12 {
                format!("{}, ... ({} in all)", h[..12].join(", "), h.len())
            } else {
                h.join(", ")
            }
        };
        let mut slots = Vec::new();
        for (name, spec, required) in &self.pending {
            let (column, constant, map, explicit) = match spec {
                None => {
                    let found = default_columns(name)
                        .into_iter()
                        .find(|c| reader.has_column(c));
                    (
                        Some(found.unwrap_or_else(|| name.clone())),
                        None,
                        BTreeMap::new(),
                        false,
                    )
                }
                Some(FieldSpec::Column(c)) => (Some(c.clone()), None, BTreeMap::new(), true),
                Some(FieldSpec::Detailed { column, value, map }) => {
                    (column.clone(), value.clone(), map.clone(), true)
                }
            };
            let slot = match (column, constant) {
                (Some(c), _) if reader.has_column(&c) => Slot::Column {
                    index: self.wanted.iter().position(|w| *w == c).expect("declared"),
                    column: c,
                    map,
                },
                (Some(c), _) if explicit || *required => {
                    return Err(IngestError::MissingColumn {
                        file: reader.path().to_path_buf(),
                        field: name.clone(),
                        column: c,
                        available: available(),
                    });
                }
                (_, Some(v)) => Slot::Constant(Cell::Str(v)),
                _ => Slot::Absent,
            };
            slots.push(slot);
        }
        Ok(slots)
    }
}

/// Column names tried, in order, for a field the mapping does not name.
fn default_columns(field: &str) -> Vec<String> {
    let names: &[&str] = match field {
        "emails" => &["emails", "email", "mail"],
        "manager" => &["manager", "manager_id"],
        "time_zone" => &["time_zone", "timezone", "tz"],
        "start" => &["start", "start_date", "hire_date"],
        "end" => &["end", "end_date", "termination_date"],
        "tags" => &["tags", "role_tags"],
        "time" => &["time", "timestamp"],
        _ => &[],
    };
    if names.is_empty() {
        vec![field.to_string()]
    } else {
        names.iter().map(|n| n.to_string()).collect()
    }
}
