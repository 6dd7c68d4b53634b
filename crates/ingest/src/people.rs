//! People ingest: an HRIS export (one row per person), optionally joined with other files by id,
//! validated as a management forest and merged into the workspace (later runs update people).

use crate::diag::{Diagnostics, IngestReport};
use crate::error::{IngestError, RowError};
use crate::mapping::{Binder, PeopleMapping, Slot};
use crate::source::{Format, Row, RowReader, SourceOptions};
use crate::value::{FIRST_PERSON_YEAR, check_day, parse_day, parse_int};
use crate::{IngestOptions, Progress, file_listing, next_readable, split_list, with_diagnostics};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use store::{IngestCommit, IngestKind, Store, StoredPerson};
use vocab::{OrgChart, Person, PersonIdx, RoleTag};

const FIELDS: [&str; 11] = [
    "id",
    "name",
    "emails",
    "manager",
    "title",
    "department",
    "level",
    "time_zone",
    "start",
    "end",
    "tags",
];

/// Reads a join file into id -> (field -> value).
fn load_join(
    spec: &crate::mapping::JoinSpec,
    base: Option<&Path>,
) -> Result<HashMap<String, BTreeMap<String, String>>, IngestError> {
    let path = match base {
        Some(dir) if Path::new(&spec.file).is_relative() => dir.join(&spec.file),
        _ => PathBuf::from(&spec.file),
    };
    let format = match &spec.format {
        Some(f) => Format::parse(f).ok_or_else(|| IngestError::Mapping {
            file: path.clone(),
            reason: format!("unknown join format `{f}`"),
        })?,
        None => Format::from_path(&path).unwrap_or(Format::Csv),
    };
    let opts = SourceOptions {
        format,
        header: spec.header.unwrap_or(true),
        delimiter: None,
        max_line_bytes: 1 << 20,
        symbols: false,
    };
    let mut wanted = vec![spec.key.clone()];
    let fields: Vec<(String, String)> = spec
        .columns
        .iter()
        .map(|(f, c)| (f.clone(), c.clone()))
        .collect();
    for (field, column) in &fields {
        if !FIELDS.contains(&field.as_str()) || field == "id" {
            return Err(IngestError::Mapping {
                file: path.clone(),
                reason: format!(
                    "join field `{field}` is not a people field ({})",
                    FIELDS[1..].join(", ")
                ),
            });
        }
        wanted.push(column.clone());
    }
    let mut reader = RowReader::open(&path, &opts, &wanted)?;
    for (field, column) in
        std::iter::once(("id".to_string(), spec.key.clone())).chain(fields.iter().cloned())
    {
        if !reader.has_column(&column) {
            return Err(IngestError::MissingColumn {
                file: path.clone(),
                field,
                column,
                available: reader.header().join(", "),
            });
        }
    }
    let mut out: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    let mut row = Row::default();
    loop {
        match reader.next_row(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(Ok(e)) => {
                return Err(IngestError::Format {
                    file: path.clone(),
                    reason: e.to_string(),
                });
            }
            Err(Err(e)) => return Err(e),
        }
        let Some(key) = row.cells[0].text().map(|t| t.into_owned()) else {
            continue;
        };
        let entry = out.entry(key).or_default();
        for (k, (field, _)) in fields.iter().enumerate() {
            if let Some(v) = row.cells[k + 1].text() {
                entry.entry(field.clone()).or_insert_with(|| v.into_owned());
            }
        }
    }
    Ok(out)
}

/// Ingests a people file. Duplicated ids are rejected (or the first kept, with
/// `duplicates = "first"`); an unknown manager or a person managing themselves is repaired by
/// clearing the manager; a management cycle fails the run, naming its members.
pub fn ingest_people(
    store: &mut dyn Store,
    file: &Path,
    opts: &IngestOptions,
    progress: &dyn Progress,
) -> Result<IngestReport, IngestError> {
    // From the start of the run to its commit: no other run changes the workspace meanwhile.
    let _lock = store.lock("ingest people")?;
    with_diagnostics(store, opts.strict, |store, diag| {
        run(store, file, opts, progress, diag)
    })
}

fn run(
    store: &mut dyn Store,
    file: &Path,
    opts: &IngestOptions,
    progress: &dyn Progress,
    diag: &mut Diagnostics,
) -> Result<IngestReport, IngestError> {
    let mapping: PeopleMapping = opts.mapping.people.clone().unwrap_or_default();
    let first_only = match mapping.duplicates.as_deref() {
        None | Some("error") => false,
        Some("first") => true,
        Some(other) => {
            return Err(IngestError::Mapping {
                file: file.to_path_buf(),
                reason: format!("duplicates = `{other}`: expected \"error\" or \"first\""),
            });
        }
    };
    let joins = mapping
        .join
        .iter()
        .map(|j| load_join(j, opts.mapping_dir.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    let source = opts.mapping.source_options(file, opts.format)?;
    let mut binder = Binder::default();
    let specs = [
        &mapping.id,
        &mapping.name,
        &mapping.emails,
        &mapping.manager,
        &mapping.title,
        &mapping.department,
        &mapping.level,
        &mapping.time_zone,
        &mapping.start,
        &mapping.end,
        &mapping.tags,
    ];
    for (name, spec) in FIELDS.iter().zip(specs) {
        binder.field(name, spec.as_ref(), *name == "id");
    }
    let mut reader = RowReader::open(file, &source, &binder.wanted)?;
    // Free attributes: only the columns the mapping names. Every other column no field uses
    // (a salary, free-text notes) is dropped unread, and listed in the report.
    let attribute_columns: Vec<String> = mapping.attributes.clone().unwrap_or_default();
    let mut attr_slots = Vec::new();
    for column in &attribute_columns {
        let i = binder.field(
            &format!("attribute {column}"),
            Some(&crate::FieldSpec::Column(column.clone())),
            false,
        );
        attr_slots.push((column.clone(), i));
    }
    reader.set_wanted(&binder.wanted, source.header)?;
    let slots: Vec<Slot> = binder.bind(&reader)?;
    let dropped_columns: Vec<String> = reader
        .header()
        .iter()
        .filter(|h| {
            !slots
                .iter()
                .filter_map(Slot::column)
                .any(|c| c.eq_ignore_ascii_case(h))
        })
        .cloned()
        .collect();

    progress.start(reader.total_bytes());
    let mut rows: Vec<(u64, Person)> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows_read = 0u64;
    let mut row = Row::default();
    while next_readable(&mut reader, &mut row, diag, &mut rows_read, progress)? {
        let line = row.line;
        let bad = |field: &str, reason: &'static str, detail: String| {
            RowError::new(file, line, field, reason, detail)
        };
        let text = |i: usize| slots[i].text(&row).map(|t| t.into_owned());
        let Some(id) = text(0) else {
            diag.reject(bad(
                slots[0].column().unwrap_or("id"),
                "missing_value",
                "the person has no id".into(),
            ))?;
            continue;
        };
        if let Some(&first) = seen.get(&id) {
            let e = bad(
                "id",
                "duplicate_id",
                format!("person `{id}` already appeared on line {first}"),
            );
            if first_only {
                diag.skip(e)?;
            } else {
                diag.reject(e)?;
            }
            continue;
        }
        let mut person = Person {
            id: id.clone(),
            name: text(1),
            emails: text(2)
                .map(|t| split_list(&t).map(String::from).collect())
                .unwrap_or_default(),
            manager: text(3),
            title: text(4),
            department: text(5),
            time_zone: text(7),
            ..Person::default()
        };
        let mut row_ok = true;
        if slots[6].is_present() && slots[6].text(&row).is_some() {
            match parse_int(&slots[6].cell(&row)) {
                Ok(v) if (0..=1000).contains(&v) => person.level = Some(v as u32),
                Ok(v) => {
                    diag.reject(bad(
                        "level",
                        "bad_integer",
                        format!("level {v} is outside 0..1000"),
                    ))?;
                    row_ok = false;
                }
                Err(e) => {
                    diag.reject(bad("level", "bad_integer", e))?;
                    row_ok = false;
                }
            }
        }
        for (i, field) in [(8usize, "start"), (9, "end")] {
            if row_ok && slots[i].text(&row).is_some() {
                match parse_day(&slots[i].cell(&row))
                    .map_err(|e| ("bad_date", e))
                    .and_then(|d| check_day(d, FIRST_PERSON_YEAR))
                {
                    Ok(d) if i == 8 => person.start_day = Some(d),
                    Ok(d) => person.end_day = Some(d),
                    Err((reason, detail)) => {
                        diag.reject(bad(field, reason, detail))?;
                        row_ok = false;
                    }
                }
            }
        }
        if !row_ok {
            continue;
        }
        if let Some(tags) = text(10) {
            for tag in split_list(&tags) {
                match RoleTag::parse(tag) {
                    Some(t) if !person.tags.contains(&t) => person.tags.push(t),
                    Some(_) => {}
                    None => diag.repair(bad("tags", "unknown_tag", format!("tag `{tag}` is not one of assistant, chief_of_staff, executive, contractor; dropped")))?,
                }
            }
        }
        for (column, i) in &attr_slots {
            if let Some(v) = slots[*i].text(&row) {
                person.attributes.insert(column.clone(), v.into_owned());
            }
        }
        seen.insert(id, line);
        rows.push((line, person));
    }
    progress.finish();

    // Joined columns fill fields the main file left empty.
    for join in &joins {
        for (_, person) in rows.iter_mut() {
            let Some(values) = join.get(&person.id) else {
                continue;
            };
            for (field, value) in values {
                match field.as_str() {
                    "manager" if person.manager.is_none() => person.manager = Some(value.clone()),
                    "title" if person.title.is_none() => person.title = Some(value.clone()),
                    "department" if person.department.is_none() => {
                        person.department = Some(value.clone())
                    }
                    "time_zone" if person.time_zone.is_none() => {
                        person.time_zone = Some(value.clone())
                    }
                    "name" if person.name.is_none() => person.name = Some(value.clone()),
                    "emails" if person.emails.is_empty() => {
                        person.emails = split_list(value).map(String::from).collect()
                    }
                    "level" if person.level.is_none() => {
                        person.level = value.parse().ok().filter(|l| *l <= 1000)
                    }
                    "tags" => person
                        .tags
                        .extend(split_list(value).filter_map(RoleTag::parse)),
                    _ => {}
                }
            }
        }
    }

    // Merge with the people already stored.
    let mut table = store.people()?;
    let people_seen = table.len();
    let mut changed: Vec<StoredPerson> = Vec::new();
    let mut line_of: HashMap<u32, u64> = HashMap::new();
    let (mut added, mut updated) = (0u64, 0u64);
    for (line, person) in &rows {
        let sp = match table
            .lookup(&person.id)
            .filter(|i| table.get(*i).person.id == person.id)
        {
            Some(idx) => {
                updated += 1;
                StoredPerson {
                    idx,
                    pseudo: table.get(idx).pseudo.clone(),
                    person: person.clone(),
                    registered: true,
                }
            }
            None => {
                added += 1;
                StoredPerson {
                    idx: PersonIdx(table.len() as u32),
                    pseudo: store.pseudonym(&person.id),
                    person: person.clone(),
                    registered: true,
                }
            }
        };
        line_of.insert(sp.idx.0, *line);
        table.insert(sp);
    }
    // Managers must be known people other than themselves; otherwise the link is cleared.
    let ids: HashMap<String, u32> = table
        .people
        .iter()
        .map(|p| (p.person.id.clone(), p.idx.0))
        .collect();
    for (&idx, &line) in &line_of {
        let p = &table.people[idx as usize].person;
        let Some(m) = p.manager.clone() else { continue };
        let reason = if m == p.id {
            Some((
                "self_managed",
                format!("person `{m}` is listed as their own manager; manager cleared"),
            ))
        } else if !ids.contains_key(&m) {
            Some((
                "unknown_manager",
                format!("manager `{m}` is not in the people table; manager cleared"),
            ))
        } else {
            None
        };
        if let Some((reason, detail)) = reason {
            let e = RowError::new(file, line, "manager", reason, detail);
            if opts.strict {
                return Err(IngestError::Strict(e));
            }
            diag.repair(e)?;
            table.people[idx as usize].person.manager = None;
        }
    }
    let managers: Vec<Option<u32>> = table
        .people
        .iter()
        .map(|p| p.person.manager.as_ref().and_then(|m| ids.get(m).copied()))
        .collect();
    if let Err(cycles) = OrgChart::from_managers(managers, &[]) {
        let members = cycles[0]
            .iter()
            .map(|&i| {
                let id = &table.people[i].person.id;
                match line_of.get(&(i as u32)) {
                    Some(line) => format!("{id} (line {line})"),
                    None => format!("{id} (stored earlier)"),
                }
            })
            .collect();
        return Err(IngestError::Cycle {
            file: file.to_path_buf(),
            members,
        });
    }
    if rows.is_empty() {
        return Err(IngestError::NothingUsable {
            file: file.to_path_buf(),
            rejected: diag.n_rejected(),
            reasons: diag.reasons(),
        });
    }
    let mut idxs: Vec<u32> = line_of.keys().copied().collect();
    idxs.sort_unstable();
    for i in idxs {
        changed.push(table.people[i as usize].clone());
    }
    let listing = diag.finish()?;
    let summary = serde_json::json!({
        "rejected": diag.rejected, "repaired": diag.repaired, "skipped": diag.skipped,
        "people_added": added, "people_updated": updated, "dropped_columns": dropped_columns,
    });
    let run = store.commit_ingest(IngestCommit {
        kind: IngestKind::People,
        source: file.display().to_string(),
        // Streamed, never loaded whole; the same bytes ingested again are refused.
        content_hash: store::file_hash(file)?,
        people: changed,
        people_seen,
        survey: Vec::new(),
        segment: None,
        accepted: rows.len() as u64,
        rejected: diag.n_rejected(),
        repaired: diag.n_repaired(),
        summary,
    })?;
    let rejects_file = file_listing(listing, store.local_dir(), run);
    Ok(IngestReport {
        people_added: added,
        people_updated: updated,
        dropped_columns,
        ..IngestReport::base(
            "people",
            file,
            run,
            rows_read,
            rows.len() as u64,
            diag,
            rejects_file,
        )
    })
}
