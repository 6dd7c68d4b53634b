//! A stored result table's columns by name, with typed cell access and row selection.

use store::table::ColumnData;

pub struct Frame(pub Vec<(String, ColumnData)>);

impl Frame {
    fn find(&self, name: &str) -> Option<&ColumnData> {
        self.0.iter().find(|(n, _)| n == name).map(|c| &c.1)
    }

    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// The column; panics on a name the table does not have (a programming error: the tables'
    /// columns are fixed by `mirror::tables`).
    pub fn get(&self, name: &str) -> &ColumnData {
        self.find(name)
            .unwrap_or_else(|| panic!("result table has no column {name}"))
    }

    pub fn text(&self, name: &str, i: usize) -> String {
        self.str(name, i).to_string()
    }

    pub fn str(&self, name: &str, i: usize) -> &str {
        match self.get(name) {
            ColumnData::Str(v) => &v[i],
            ColumnData::OptStr(v) => v[i].as_deref().unwrap_or(""),
            ColumnData::Dict { values, codes } => &values[codes[i] as usize],
            _ => "",
        }
    }

    pub fn int(&self, name: &str, i: usize) -> Option<i64> {
        match self.get(name) {
            ColumnData::I32(v) => Some(v[i] as i64),
            ColumnData::OptI32(v) => v[i].map(|x| x as i64),
            ColumnData::I64(v) => Some(v[i]),
            ColumnData::OptI64(v) => v[i],
            _ => None,
        }
    }

    pub fn person(&self, name: &str, i: usize) -> Option<u32> {
        self.int(name, i).map(|p| p as u32)
    }

    pub fn num(&self, name: &str, i: usize) -> Option<f64> {
        match self.get(name) {
            ColumnData::F64(v) => Some(v[i]),
            ColumnData::OptF64(v) => v[i],
            ColumnData::F32(v) => Some(v[i] as f64),
            ColumnData::OptF32(v) => v[i].map(|x| x as f64),
            ColumnData::I32(v) => Some(v[i] as f64),
            ColumnData::OptI32(v) => v[i].map(|x| x as f64),
            ColumnData::I64(v) => Some(v[i] as f64),
            ColumnData::OptI64(v) => v[i].map(|x| x as f64),
            _ => None,
        }
    }

    pub fn rows(&self) -> usize {
        self.0.first().map_or(0, |c| c.1.len())
    }

    /// Rows whose `window` column is `window`.
    pub fn in_window(&self, window: &str) -> Vec<usize> {
        if !self.has("window") {
            return (0..self.rows()).collect();
        }
        (0..self.rows())
            .filter(|&i| self.str("window", i) == window)
            .collect()
    }

    /// Distinct values of `window`, in table order.
    pub fn windows(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if self.has("window") {
            for i in 0..self.rows() {
                let w = self.str("window", i);
                if !out.iter().any(|x| x == w) {
                    out.push(w.to_string());
                }
            }
        }
        out
    }
}

/// The rows of a column where `keep` is true.
pub fn filter(d: ColumnData, keep: &[bool]) -> ColumnData {
    fn f<T>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
        v.into_iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(x, _)| x)
            .collect()
    }
    match d {
        ColumnData::I32(v) => ColumnData::I32(f(v, keep)),
        ColumnData::I64(v) => ColumnData::I64(f(v, keep)),
        ColumnData::F32(v) => ColumnData::F32(f(v, keep)),
        ColumnData::F64(v) => ColumnData::F64(f(v, keep)),
        ColumnData::Str(v) => ColumnData::Str(f(v, keep)),
        ColumnData::OptI32(v) => ColumnData::OptI32(f(v, keep)),
        ColumnData::OptI64(v) => ColumnData::OptI64(f(v, keep)),
        ColumnData::OptF32(v) => ColumnData::OptF32(f(v, keep)),
        ColumnData::OptF64(v) => ColumnData::OptF64(f(v, keep)),
        ColumnData::OptStr(v) => ColumnData::OptStr(f(v, keep)),
        ColumnData::Dict { values, codes } => ColumnData::Dict {
            values,
            codes: f(codes, keep),
        },
    }
}

/// The rows `rows` of a column, in that order (a dictionary column keeps its shared values).
pub fn take(d: &ColumnData, rows: &[usize]) -> ColumnData {
    fn t<T: Clone>(v: &[T], rows: &[usize]) -> Vec<T> {
        rows.iter().map(|&r| v[r].clone()).collect()
    }
    match d {
        ColumnData::I32(v) => ColumnData::I32(t(v, rows)),
        ColumnData::I64(v) => ColumnData::I64(t(v, rows)),
        ColumnData::F32(v) => ColumnData::F32(t(v, rows)),
        ColumnData::F64(v) => ColumnData::F64(t(v, rows)),
        ColumnData::Str(v) => ColumnData::Str(t(v, rows)),
        ColumnData::OptI32(v) => ColumnData::OptI32(t(v, rows)),
        ColumnData::OptI64(v) => ColumnData::OptI64(t(v, rows)),
        ColumnData::OptF32(v) => ColumnData::OptF32(t(v, rows)),
        ColumnData::OptF64(v) => ColumnData::OptF64(t(v, rows)),
        ColumnData::OptStr(v) => ColumnData::OptStr(t(v, rows)),
        ColumnData::Dict { values, codes } => ColumnData::Dict {
            values: values.clone(),
            codes: t(codes, rows),
        },
    }
}
