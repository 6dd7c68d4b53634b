//! Interaction ingest: streams rows (one per actor–recipient pair, or one per message with a
//! recipient list), groups them into interactions, resolves people, and writes one Parquet
//! segment that is committed only if the whole file was read.

use crate::diag::{Diagnostics, IngestReport};
use crate::error::{IngestError, RowError};
use crate::idset::IdSet;
use crate::mapping::{Binder, EventsMapping, Slot};
use crate::source::{Cell, RecordSource, Row, RowReader};
use crate::value::{
    END_YEAR, FIRST_YEAR, Stamp, check_duration, check_weight, parse_int, parse_number,
    parse_offset, parse_time, year_start_ms,
};
use crate::{
    IngestOptions, Progress, cell_id, file_listing, next_readable, split_list, with_diagnostics,
};
use chrono::FixedOffset;
use std::borrow::Cow;
use std::path::Path;
use store::{IngestCommit, IngestKind, PeopleTable, SegmentWriter, Store, StoredPerson};
use vocab::{Channel, Interaction, Kind, Person, PersonIdx, Role};

const F_EVENT: usize = 0;
const F_TIME: usize = 1;
const F_ACTOR: usize = 2;
const F_RECIPIENT: usize = 3;
const F_RECIPIENTS: usize = 4;
const F_ROLE: usize = 5;
const F_CHANNEL: usize = 6;
const F_KIND: usize = 7;
const F_THREAD: usize = 8;
const F_REPLY: usize = 9;
const F_DURATION: usize = 10;
const F_SPEAKING: usize = 11;
const F_WEIGHT: usize = 12;

/// Parses a word column with a small cache: exports repeat a handful of values.
struct WordCache<T: Copy> {
    cache: Vec<(String, Option<T>)>,
    /// What each symbol of the column parsed to (the column's text, when given as symbols).
    by_symbol: SymbolCache<Option<T>>,
    parse: fn(&str) -> Option<T>,
}

impl<T: Copy> WordCache<T> {
    fn new(parse: fn(&str) -> Option<T>) -> Self {
        WordCache {
            cache: Vec::new(),
            by_symbol: SymbolCache::default(),
            parse,
        }
    }

    /// The word `text`, whose raw value is `symbol` when the reader gives symbols.
    fn get_sym(&mut self, symbol: Option<u32>, text: &str) -> Option<T> {
        if let Some(v) = symbol.and_then(|s| self.by_symbol.get(s)) {
            return v;
        }
        let v = self.get(text);
        if let Some(s) = symbol {
            self.by_symbol.set(s, v);
        }
        v
    }

    fn get(&mut self, text: &str) -> Option<T> {
        if let Some((_, v)) = self.cache.iter().find(|(k, _)| k == text) {
            return *v;
        }
        let v = (self.parse)(text);
        if self.cache.len() < 64 {
            self.cache.push((text.to_string(), v));
        }
        v
    }
}

/// What the distinct raw values of a column (its symbols, [`Cell::Sym`]) were found to be:
/// each is resolved or parsed once, however many rows repeat it.
struct SymbolCache<T: Copy> {
    values: Vec<Option<T>>,
}

impl<T: Copy> Default for SymbolCache<T> {
    fn default() -> Self {
        SymbolCache { values: Vec::new() }
    }
}

impl<T: Copy> SymbolCache<T> {
    fn get(&self, symbol: u32) -> Option<T> {
        self.values.get(symbol as usize).copied().flatten()
    }

    fn set(&mut self, symbol: u32, value: T) {
        let i = symbol as usize;
        if i >= self.values.len() {
            self.values.resize(i + 1, None);
        }
        self.values[i] = Some(value);
    }
}

/// What makes rows one interaction: its id when the file has one, else (actor, time, thread).
type GroupKey = (Option<u64>, u32, Option<i64>, Option<u64>);

/// The rows of one interaction, held until it is complete so that its id can be made from all
/// of it.
#[derive(Default)]
struct Group {
    /// The id from the file's `event_id` column, when it has one.
    source_id: Option<u64>,
    /// Each stored row with the line it came from; `event_id` is set when the group closes.
    rows: Vec<(u64, Interaction)>,
}

/// Where complete interactions go.
struct Output {
    writer: SegmentWriter,
    /// Who appears in a stored row (people added on the way grow the list).
    seen: Vec<bool>,
    /// Every interaction id stored from this file. Memory is 8 bytes (plus the set's overhead)
    /// per interaction of the file, not per row.
    ids: IdSet,
    /// Rows of the file that put at least one row in the store.
    accepted: u64,
}

impl Output {
    /// Gives the complete interaction its id and stores it, or skips it, row by row, as a
    /// duplicate of one already read from this file (an export that lists a message twice).
    fn flush(
        &mut self,
        group: &mut Group,
        file: &Path,
        event_field: &str,
        diag: &mut Diagnostics,
    ) -> Result<(), IngestError> {
        if group.rows.is_empty() {
            return Ok(());
        }
        let id = group.source_id.unwrap_or_else(|| content_id(&group.rows));
        let mut lines: Vec<u64> = group.rows.iter().map(|(line, _)| *line).collect();
        lines.dedup();
        if !self.ids.insert(id) {
            for line in lines {
                diag.skip(RowError::new(
                    file,
                    line,
                    event_field,
                    "duplicate_event",
                    format!("interaction {id:#018x} was already read from this file"),
                ))?;
            }
            group.rows.clear();
            return Ok(());
        }
        self.accepted += lines.len() as u64;
        for (_, mut row) in group.rows.drain(..) {
            row.event_id = id;
            for who in [row.actor, row.recipient] {
                if who.index() >= self.seen.len() {
                    self.seen.resize(who.index() + 1, false);
                }
                self.seen[who.index()] = true;
            }
            self.writer.push(row)?;
        }
        Ok(())
    }
}

/// The id of an interaction whose file gives none: a hash of what it is — time, actor, the set
/// of recipients, kind, channel, thread and the message it answers — so the same interaction
/// gets the same id from any file of the workspace, and overlapping exports can be told apart
/// from new data. The top bit is set: ids from an `event_id` column (`cell_id`) stay below 2^63,
/// so the two never collide.
fn content_id(rows: &[(u64, Interaction)]) -> u64 {
    let first = &rows[0].1;
    let mut recipients: Vec<u32> = rows.iter().map(|(_, r)| r.recipient.0).collect();
    recipients.sort_unstable();
    recipients.dedup();
    let mut h = blake3::Hasher::new();
    h.update(b"orgmirror interaction v1\0");
    let optional = |h: &mut blake3::Hasher, v: Option<u64>| {
        h.update(&[u8::from(v.is_some())]);
        h.update(&v.unwrap_or(0).to_le_bytes());
    };
    optional(&mut h, first.time_ms.map(|t| t as u64));
    h.update(&first.actor.0.to_le_bytes());
    h.update(first.kind.as_str().as_bytes());
    h.update(b"\0");
    h.update(first.channel.as_str().as_bytes());
    h.update(b"\0");
    optional(&mut h, first.thread_id);
    optional(&mut h, first.in_reply_to);
    h.update(&(recipients.len() as u64).to_le_bytes());
    for r in recipients {
        h.update(&r.to_le_bytes());
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.finalize().as_bytes()[..8]);
    (u64::from_le_bytes(b) >> 1) | (1 << 63)
}

/// How unknown people are treated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    Add,
    Reject,
}

pub(crate) fn unknown_policy(text: Option<&str>, file: &Path) -> Result<Unknown, IngestError> {
    match text {
        None | Some("add") => Ok(Unknown::Add),
        Some("reject") => Ok(Unknown::Reject),
        Some(other) => Err(IngestError::Mapping {
            file: file.to_path_buf(),
            reason: format!("unknown_people = `{other}`: expected \"add\" or \"reject\""),
        }),
    }
}

/// Resolves people by id or email, adding unregistered people when allowed.
pub(crate) struct Resolver<'a> {
    pub table: PeopleTable,
    pub added: Vec<StoredPerson>,
    pub policy: Unknown,
    pub store: &'a dyn Store,
    pub recent: [Option<(String, PersonIdx)>; 4],
}

impl Resolver<'_> {
    /// [`Resolver::resolve`], remembering by symbol: a symbol resolved once is the same person
    /// on every later row (an unknown person added on its first row is found on later ones).
    fn resolve_sym(
        &mut self,
        cache: &mut SymbolCache<PersonIdx>,
        symbol: Option<u32>,
        text: &str,
    ) -> Option<(PersonIdx, bool)> {
        if let Some(idx) = symbol.and_then(|s| cache.get(s)) {
            return Some((idx, false));
        }
        let found = self.resolve(text);
        if let (Some(s), Some((idx, _))) = (symbol, found) {
            cache.set(s, idx);
        }
        found
    }

    pub fn resolve(&mut self, text: &str) -> Option<(PersonIdx, bool)> {
        // Rows of one interaction repeat the actor: remember the last few answers.
        let slot = text.len() % self.recent.len();
        if let Some((t, idx)) = &self.recent[slot]
            && t == text
        {
            return Some((*idx, false));
        }
        if let Some(idx) = self.table.lookup(text) {
            self.recent[slot] = Some((text.to_string(), idx));
            return Some((idx, false));
        }
        if self.policy == Unknown::Reject {
            return None;
        }
        let idx = PersonIdx(self.table.len() as u32);
        let person = Person {
            id: text.to_string(),
            emails: if text.contains('@') {
                vec![text.to_string()]
            } else {
                vec![]
            },
            ..Person::default()
        };
        let sp = StoredPerson {
            idx,
            pseudo: self.store.pseudonym(text),
            person,
            registered: false,
        };
        self.table.insert(sp.clone());
        self.added.push(sp);
        Some((idx, true))
    }
}

fn day_ms(text: &str, field: &str, file: &Path) -> Result<i64, IngestError> {
    let stamp = parse_time(
        &Cell::Str(text.to_string()),
        FixedOffset::east_opt(0).expect("utc"),
    );
    stamp.map(|s| s.ms).map_err(|e| IngestError::Mapping {
        file: file.to_path_buf(),
        reason: format!("{field}: {e}"),
    })
}

/// Ingests an interaction file. Rows of one interaction share an `event_id`; without that
/// column, consecutive rows with the same actor, time and thread form one interaction. Ids are
/// stable: the `event_id` column's value (`cell_id`), else a hash of the interaction's content
/// (`content_id`), so an interaction exported twice has one id wherever it is read. An
/// interaction whose id was already stored from this file is skipped, each of its rows as
/// `duplicate_event`; rows of one interaction must therefore be contiguous.
pub fn ingest_events(
    store: &mut dyn Store,
    file: &Path,
    opts: &IngestOptions,
    progress: &dyn Progress,
) -> Result<IngestReport, IngestError> {
    // From the start of the run to its commit: no other run changes the workspace meanwhile.
    let _lock = store.lock("ingest events")?;
    let staging = store.staging_path("events")?;
    let result = with_diagnostics(store, opts.strict, |store, diag| {
        run(store, file, None, opts, progress, diag, &staging)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&staging);
        let _ = std::fs::remove_file(staging.with_extension("parquet.partial"));
    }
    result
}

/// Ingests a connector's interactions (a mail archive, a calendar, a chat export) from
/// `source`, with everything an events file gets: validation, people resolution, grouping into
/// interactions, stable ids, and one all-or-nothing commit. `input` names the file or folder the
/// records come from (in the run record and every listed problem); its bytes, every file under
/// it for a folder, make the content hash that refuses a second ingest of the same input.
pub fn ingest_records(
    store: &mut dyn Store,
    input: &Path,
    source: Box<dyn RecordSource>,
    opts: &IngestOptions,
    progress: &dyn Progress,
) -> Result<IngestReport, IngestError> {
    let _lock = store.lock("ingest events")?;
    let staging = store.staging_path("events")?;
    let result = with_diagnostics(store, opts.strict, |store, diag| {
        run(store, input, Some(source), opts, progress, diag, &staging)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&staging);
        let _ = std::fs::remove_file(staging.with_extension("parquet.partial"));
    }
    result
}

/// BLAKE3 of a file's bytes, or of a folder's files (their paths under it and their hashes, in
/// path order), streamed.
fn input_hash(path: &Path) -> Result<String, IngestError> {
    if !path.is_dir() {
        return Ok(store::file_hash(path)?);
    }
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(path, &mut files).map_err(|e| IngestError::io(path, e))?;
    files.sort();
    let mut h = blake3::Hasher::new();
    for f in files {
        let rel = f.strip_prefix(path).unwrap_or(&f);
        h.update(rel.to_string_lossy().as_bytes());
        h.update(&[0]);
        h.update(store::file_hash(&f)?.as_bytes());
    }
    Ok(h.finalize().to_hex().to_string())
}

#[allow(clippy::too_many_lines)]
fn run(
    store: &mut dyn Store,
    file: &Path,
    records: Option<Box<dyn RecordSource>>,
    opts: &IngestOptions,
    progress: &dyn Progress,
    diag: &mut Diagnostics,
    staging: &Path,
) -> Result<IngestReport, IngestError> {
    let mapping: EventsMapping = opts.mapping.events.clone().unwrap_or_default();
    let assume = match &mapping.assume_offset {
        None => FixedOffset::east_opt(0).expect("utc"),
        Some(t) => parse_offset(t).ok_or_else(|| IngestError::Mapping {
            file: file.to_path_buf(),
            reason: format!("assume_offset `{t}` is not an offset like +02:00"),
        })?,
    };
    // The mapping may narrow the range of sane times, never widen it.
    let valid_from = match &mapping.valid_from {
        Some(text) => day_ms(text, "valid_from", file)?.max(year_start_ms(FIRST_YEAR)),
        None => year_start_ms(FIRST_YEAR),
    };
    let valid_to = match &mapping.valid_to {
        Some(text) => day_ms(text, "valid_to", file)?.min(year_start_ms(END_YEAR)),
        None => year_start_ms(END_YEAR),
    };
    let policy = unknown_policy(mapping.unknown_people.as_deref(), file)?;

    let mut binder = Binder::default();
    let m = &mapping;
    for (name, spec, required) in [
        ("event_id", &m.event_id, false),
        ("time", &m.time, false),
        ("actor", &m.actor, true),
        ("recipient", &m.recipient, false),
        ("recipients", &m.recipients, false),
        ("role", &m.role, false),
        ("channel", &m.channel, false),
        ("kind", &m.kind, false),
        ("thread_id", &m.thread_id, false),
        ("in_reply_to", &m.in_reply_to, false),
        ("duration_s", &m.duration_s, false),
        ("speaking_s", &m.speaking_s, false),
        ("weight", &m.weight, false),
    ] {
        binder.field(name, spec.as_ref(), required);
    }
    let mut reader = match records {
        Some(records) => RowReader::from_records(file, records, &binder.wanted),
        None => {
            let mut source = opts.mapping.source_options(file, opts.format)?;
            // Every cell is read through a `Slot`, which knows symbols.
            source.symbols = true;
            RowReader::open(file, &source, &binder.wanted)?
        }
    };
    let slots: Vec<Slot> = binder.bind(&reader)?;
    if !slots[F_RECIPIENT].is_present() && !slots[F_RECIPIENTS].is_present() {
        return Err(IngestError::MissingColumn {
            file: file.to_path_buf(),
            field: "recipient".into(),
            column: "recipient".into(),
            available: reader.header().join(", "),
        });
    }

    let table = store.people()?;
    let people_seen = table.len();
    let mut resolver = Resolver {
        table,
        added: Vec::new(),
        policy,
        store: &*store,
        recent: Default::default(),
    };
    let mut out = Output {
        writer: SegmentWriter::create(staging)?,
        seen: vec![false; people_seen],
        ids: IdSet::default(),
        accepted: 0,
    };
    let mut roles = WordCache::new(Role::parse);
    let mut channels = WordCache::new(Channel::parse);
    let mut kinds = WordCache::new(Kind::parse);
    let mut actors: SymbolCache<PersonIdx> = SymbolCache::default();
    let mut recipient_people: SymbolCache<PersonIdx> = SymbolCache::default();

    // The current interaction: its grouping key, its rows so far, and their recipients.
    let mut group_key: Option<GroupKey> = None;
    let mut group = Group::default();
    let mut group_recipients: Vec<PersonIdx> = Vec::new();
    let event_field = slots[F_EVENT].column().unwrap_or("event_id").to_string();

    progress.start(reader.total_bytes());
    let mut rows_read = 0u64;
    let mut row = Row::default();
    let mut recipients: Vec<(String, Option<String>)> = Vec::new();
    while next_readable(&mut reader, &mut row, diag, &mut rows_read, progress)? {
        let line = row.line;
        let field_name = |i: usize, default: &str| slots[i].column().unwrap_or(default).to_string();
        let bad = |i: usize, default: &str, reason: &'static str, detail: String| {
            RowError::new(file, line, &field_name(i, default), reason, detail)
        };

        // A symbol resolved before is that person without reading its text (the text tables
        // are rarely in cache); its text is read only to resolve it or to say what went wrong.
        let actor_sym = slots[F_ACTOR].symbol(&row);
        let known_actor = actor_sym.and_then(|s| actors.get(s));
        let actor_text = match known_actor {
            // Unused for a known actor: only resolving a new one and its messages read it.
            Some(_) => Cow::Borrowed(""),
            None => match slots[F_ACTOR].text(&row) {
                Some(t) => t,
                None => {
                    diag.reject(bad(F_ACTOR, "actor", "missing_value", "no actor".into()))?;
                    continue;
                }
            },
        };
        // Time.
        let time_ms = if slots[F_TIME].is_present() {
            let cell = slots[F_TIME].cell(&row);
            if matches!(cell.as_ref(), Cell::Null) || !cell.has_text() {
                diag.reject(bad(F_TIME, "time", "missing_value", "no time".into()))?;
                continue;
            }
            match parse_time(&cell, assume) {
                Ok(Stamp { ms, had_zone }) => {
                    if !(valid_from..valid_to).contains(&ms) {
                        let when = chrono::DateTime::from_timestamp_millis(ms)
                            .map(|d| d.to_rfc3339())
                            .unwrap_or_default();
                        diag.skip(bad(
                            F_TIME,
                            "time",
                            "timestamp_out_of_range",
                            format!("{when} is outside the valid range of this data set"),
                        ))?;
                        continue;
                    }
                    if !had_zone {
                        diag.repair(bad(
                            F_TIME,
                            "time",
                            "timestamp_without_zone",
                            format!("no zone given; {} assumed", assume),
                        ))?;
                    }
                    Some(ms)
                }
                Err(e) => {
                    diag.reject(bad(F_TIME, "time", "bad_timestamp", e))?;
                    continue;
                }
            }
        } else {
            None
        };
        // Words.
        let mut word_error = None;
        let channel = match slots[F_CHANNEL].text(&row) {
            None => Channel::Email,
            Some(t) => channels
                .get_sym(slots[F_CHANNEL].symbol(&row), &t)
                .unwrap_or_else(|| {
                    word_error = Some((
                        F_CHANNEL,
                        "channel",
                        format!(
                            "`{t}` is not a channel ({})",
                            Channel::ALL
                                .iter()
                                .map(|c| c.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                    Channel::Other
                }),
        };
        let kind = match slots[F_KIND].text(&row) {
            None if channel == Channel::Meeting => Kind::Meeting,
            None => Kind::Message,
            Some(t) => kinds
                .get_sym(slots[F_KIND].symbol(&row), &t)
                .unwrap_or_else(|| {
                    word_error = Some((
                        F_KIND,
                        "kind",
                        format!(
                            "`{t}` is not a kind ({})",
                            Kind::ALL
                                .iter()
                                .map(|c| c.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                    Kind::Message
                }),
        };
        let default_role = if channel == Channel::Meeting || kind == Kind::Meeting {
            Role::Attendee
        } else {
            Role::To
        };
        let row_role = match slots[F_ROLE].text(&row) {
            None => default_role,
            Some(t) => roles
                .get_sym(slots[F_ROLE].symbol(&row), &t)
                .unwrap_or_else(|| {
                    word_error = Some((
                        F_ROLE,
                        "role",
                        format!("`{t}` is not a recipient role (to, cc, bcc, attendee, organizer)"),
                    ));
                    Role::To
                }),
        };
        if let Some((i, name, detail)) = word_error {
            diag.reject(bad(i, name, "unknown_value", detail))?;
            continue;
        }
        // Numbers, each within its sane range (see `value::MAX_DURATION_S`, `MAX_WEIGHT`).
        let mut number_error: Option<(usize, &'static str, &'static str, String)> = None;
        let mut count = |i: usize, name: &'static str| -> Option<u32> {
            if !slots[i].has_text(&row) {
                return None;
            }
            match parse_int(&slots[i].cell(&row)).map_err(|e| ("bad_number", e)) {
                Ok(v) => match check_duration(v) {
                    Ok(v) => Some(v),
                    Err((reason, detail)) => {
                        number_error = Some((i, name, reason, detail));
                        None
                    }
                },
                Err((reason, detail)) => {
                    number_error = Some((i, name, reason, detail));
                    None
                }
            }
        };
        let duration_s = count(F_DURATION, "duration_s");
        let speaking_s = count(F_SPEAKING, "speaking_s");
        let weight = if slots[F_WEIGHT].has_text(&row) {
            match parse_number(&slots[F_WEIGHT].cell(&row))
                .map_err(|e| ("bad_number", e))
                .and_then(check_weight)
            {
                Ok(w) => w,
                Err((reason, detail)) => {
                    number_error = Some((F_WEIGHT, "weight", reason, detail));
                    0.0
                }
            }
        } else {
            1.0
        };
        if let Some((i, name, reason, detail)) = number_error {
            diag.reject(bad(i, name, reason, detail))?;
            continue;
        }
        let thread_id = cell_id(&slots[F_THREAD].cell(&row));
        let in_reply_to = cell_id(&slots[F_REPLY].cell(&row));
        // Recipients: one column (borrowed from the row, with its symbol if any) first, then a
        // list's.
        recipients.clear();
        let recipient_sym = slots[F_RECIPIENT].symbol(&row);
        let first = match recipient_sym.and_then(|s| recipient_people.get(s)) {
            Some(known) => Some((Cow::Borrowed(""), recipient_sym, Some(known))),
            None => slots[F_RECIPIENT]
                .text(&row)
                .map(|t| (t, recipient_sym, None)),
        };
        if slots[F_RECIPIENTS].is_present() {
            match slots[F_RECIPIENTS].cell(&row).as_ref() {
                Cell::List(items) => recipients.extend(items.iter().cloned()),
                other => {
                    if let Some(t) = other.text() {
                        recipients.extend(split_list(&t).map(|s| (s.to_string(), None)));
                    }
                }
            }
        }
        if first.is_none() && recipients.is_empty() {
            diag.reject(bad(
                F_RECIPIENT,
                "recipient",
                "missing_value",
                "no recipient".into(),
            ))?;
            continue;
        }
        // People.
        let resolved = match known_actor {
            Some(idx) => Some((idx, false)),
            None => resolver.resolve_sym(&mut actors, actor_sym, &actor_text),
        };
        let Some((actor, actor_new)) = resolved else {
            diag.reject(bad(
                F_ACTOR,
                "actor",
                "unknown_person",
                format!("`{actor_text}` is not in the people table"),
            ))?;
            continue;
        };
        if actor_new {
            diag.repair(bad(
                F_ACTOR,
                "actor",
                "unknown_person_added",
                format!("`{actor_text}` was not in the people table; added as unregistered"),
            ))?;
        }
        // Grouping into interactions.
        let event_id = cell_id(&slots[F_EVENT].cell(&row));
        let key = match event_id {
            Some(id) => (Some(id), 0, None, None),
            None => (None, actor.0, time_ms, thread_id),
        };
        if group_key != Some(key) {
            out.flush(&mut group, file, &event_field, diag)?;
            group.source_id = event_id;
            group_key = Some(key);
            group_recipients.clear();
        }
        let all = (first
            .iter()
            .map(|(t, symbol, known)| (t.as_ref(), &None, *symbol, *known)))
        .chain(recipients.iter().map(|(t, r)| (t.as_str(), r, None, None)));
        for (recipient_text, list_role, symbol, known) in all {
            // What a message names the recipient by (one found by symbol has no text here).
            let shown = || match known {
                Some(_) => slots[F_RECIPIENT]
                    .text(&row)
                    .map(Cow::into_owned)
                    .unwrap_or_default(),
                None => recipient_text.to_string(),
            };
            let role = match list_role {
                None => row_role,
                Some(r) => match roles.get(r) {
                    Some(role) => role,
                    None => {
                        diag.reject(bad(
                            F_RECIPIENTS,
                            "recipients",
                            "unknown_value",
                            format!("`{r}` is not a recipient role"),
                        ))?;
                        continue;
                    }
                },
            };
            let resolved = match known {
                Some(idx) => Some((idx, false)),
                None => resolver.resolve_sym(&mut recipient_people, symbol, recipient_text),
            };
            let Some((recipient, new)) = resolved else {
                diag.reject(bad(
                    F_RECIPIENT,
                    "recipient",
                    "unknown_person",
                    format!("`{recipient_text}` is not in the people table"),
                ))?;
                continue;
            };
            if new {
                diag.repair(bad(
                    F_RECIPIENT,
                    "recipient",
                    "unknown_person_added",
                    format!(
                        "`{recipient_text}` was not in the people table; added as unregistered"
                    ),
                ))?;
            }
            if recipient == actor && role != Role::Organizer {
                diag.skip(bad(
                    F_RECIPIENT,
                    "recipient",
                    "self_loop",
                    format!("`{}` sent to themselves", shown()),
                ))?;
                continue;
            }
            if group_recipients.contains(&recipient) {
                diag.skip(bad(F_RECIPIENT, "recipient", "duplicate_recipient", format!("`{}` already a recipient of this interaction (e.g. a bcc row repeating a cc row)", shown())))?;
                continue;
            }
            if group_recipients.len() < 100_000 {
                group_recipients.push(recipient);
            }
            group.rows.push((
                line,
                Interaction {
                    event_id: 0,
                    time_ms,
                    actor,
                    recipient,
                    role,
                    channel,
                    kind,
                    thread_id,
                    in_reply_to,
                    duration_s,
                    speaking_s,
                    weight,
                },
            ));
        }
    }
    out.flush(&mut group, file, &event_field, diag)?;
    progress.finish();
    let Output {
        writer,
        seen,
        accepted,
        ..
    } = out;
    let stats = writer.finish()?;
    if stats.rows == 0 {
        return Err(IngestError::NothingUsable {
            file: file.to_path_buf(),
            rejected: diag.n_rejected() + diag.n_skipped(),
            reasons: diag.reasons(),
        });
    }
    let listing = diag.finish()?;
    let silent = resolver
        .table
        .people
        .iter()
        .filter(|p| p.registered && !seen.get(p.idx.index()).copied().unwrap_or(false))
        .count() as u64;
    let added = resolver.added;
    let people_added = added.len() as u64;
    let summary = serde_json::json!({
        "rejected": diag.rejected, "repaired": diag.repaired, "skipped": diag.skipped,
        "events": stats.events, "rows": stats.rows, "people_added": people_added,
    });
    let events = stats.events;
    let rows_stored = stats.rows;
    let run = store.commit_ingest(IngestCommit {
        kind: IngestKind::Events,
        source: file.display().to_string(),
        // Streamed, never loaded whole; the same bytes ingested again are refused.
        content_hash: input_hash(file)?,
        people: added,
        people_seen,
        survey: Vec::new(),
        segment: Some((staging.to_path_buf(), stats)),
        accepted,
        rejected: diag.n_rejected(),
        repaired: diag.n_repaired(),
        summary,
    })?;
    let rejects_file = file_listing(listing, store.local_dir(), run);
    Ok(IngestReport {
        people_added,
        people_without_interactions: silent,
        events,
        rows_stored,
        ..IngestReport::base("events", file, run, rows_read, accepted, diag, rejects_file)
    })
}
