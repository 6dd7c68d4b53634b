//! Slack exports (the official layout: `users.json`, `channels.json`, `groups.json`,
//! `dms.json`, `mpims.json` and one folder per conversation with one JSON file per day), as a
//! folder or a zip, read as records in orgmirror's event columns.
//!
//! What is read: user ids, e-mail addresses, real names and the bot and deleted flags of
//! `users.json`; conversation ids, names and member lists; of each message its `user`, `ts`,
//! `subtype`, `bot_id`, `thread_ts`, `parent_user_id`, the reacting users of `reactions`, and
//! the `<@U…>` mention tokens of `text`. The text itself is dropped as soon as the mention
//! tokens are taken from it: no message text, file, attachment or link reaches a record.
//!
//! What a message becomes (one interaction, `event_id` = keyed id of `slack:<conversation
//! id>:<ts>`, time = `ts`, channel `chat`):
//! - a message of subtype `file_share`, `me_message` or `thread_broadcast` counts as a message
//!   (a thread broadcast as the thread reply it is);
//! - in a DM or a group DM: kind `message` (`reply` in a thread), role `to`, weight 1, to each
//!   other member;
//! - a thread reply in a channel: kind `reply`, role `to`, weight 1, to the thread's parent
//!   author (or, when the parent's author replies in their own thread, to the latest other
//!   poster of the thread), `thread_id` = keyed id of the thread, `in_reply_to` = the
//!   answered message's `event_id`;
//! - a top-level channel message: a broadcast, kind `fyi`, role `cc`, to every other member of
//!   the channel, each row weighted 1/(number of such rows) so that one broadcast weighs as
//!   much as one direct message in all (`aggregate` sums row weights per pair);
//! - `<@U…>` mentions: the mentioned person gets a row of role `to`, kind `message` (there is
//!   no `mention` kind), weight 1, in place of their `cc` row; these rows come first, so a
//!   message that mentions at most [`vocab::interaction::MAX_ASK_TO`] people counts as an ask
//!   of them.
//! - reactions: one interaction per reacting person and message (`event_id` = keyed id of
//!   `slack:<conversation id>:<ts>:reaction:<user>`), from the reacting person to the
//!   message's author, kind `fyi`, role `cc`, weight [`REACTION_WEIGHT`], at the message's time
//!   (exports carry no reaction time), never `in_reply_to` (that would pair as a reply with a
//!   made-up latency).
//!
//! Left out on purpose (`Problem::Skip`, reason): bots (`is_bot`, `USLACKBOT`, a `bot_id`,
//! subtype `bot_message` or `bot_*`) `bot`; joins, leaves, topic, purpose, name, archive and
//! pin events `channel_event` (a channel the export lists no members of, as archived channels,
//! has as members the users seen joining or posting in it so far, leavers removed); `tombstone` (a deleted message) `deleted`; `file_comment`
//! `file_comment`; a message without a `user` `no_user`; a message with nobody to reach
//! (a channel without a member list) `no_recipients`; a member whose address is external or a
//! list (see [`crate::identity`]) by that reason. A day file that is not valid JSON is
//! rejected as a whole (`bad_json`, with line and column) and reading goes on.
//!
//! Day files are read one at a time, in conversation then date order; memory holds the users,
//! the conversations and, per thread, its author and latest posters.

use crate::identity::Directory;
use crate::{Ids, blank, col};
use ingest::{Cell, Problem, RecordSource, RowError};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Weight of one reaction: a glance, not a message.
pub const REACTION_WEIGHT: f64 = 0.25;

/// Why an export cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a Slack export: no users.json (the export's list of members) in it", path.display())]
    MissingUsers { path: PathBuf },
    #[error("{}:{line}:{column}: {field}: {reason}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        field: String,
        reason: String,
    },
    #[error("{}: not a readable zip: {reason}", path.display())]
    Zip { path: PathBuf, reason: String },
}

/// Who a Slack user is, decided once per user.
#[derive(Clone, Debug)]
enum Ident {
    /// The text ingest finds the person by (an address, or the Slack user id).
    Person(String),
    /// Left out: external address, list, ...
    Left(&'static str),
    Bot,
}

#[derive(Deserialize)]
struct RawUser {
    id: String,
    #[serde(default)]
    real_name: Option<String>,
    #[serde(default)]
    is_bot: bool,
    #[serde(default)]
    profile: RawProfile,
}

#[derive(Deserialize, Default)]
struct RawProfile {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    real_name: Option<String>,
}

#[derive(Deserialize)]
struct RawConversation {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    members: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawMessage {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    ts: Option<String>,
    #[serde(default)]
    subtype: Option<String>,
    #[serde(default)]
    bot_id: Option<String>,
    #[serde(default)]
    thread_ts: Option<String>,
    #[serde(default)]
    parent_user_id: Option<String>,
    /// The mention tokens of `text`; the text itself is dropped while parsing.
    #[serde(default, rename = "text", deserialize_with = "mentions_only")]
    mentions: Vec<String>,
    #[serde(default)]
    reactions: Option<Vec<RawReaction>>,
}

#[derive(Deserialize)]
struct RawReaction {
    #[serde(default)]
    users: Vec<String>,
}

/// The user ids of `<@U…>` (and `<@U…|name>`) tokens, in order, without repeats.
pub fn mention_ids(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("<@") {
        rest = &rest[i + 2..];
        let end = rest.find(['>', '|']).unwrap_or(rest.len());
        let id = &rest[..end];
        if !id.is_empty()
            && id.len() <= 32
            && id.chars().all(|c| c.is_ascii_alphanumeric())
            && !out.iter().any(|o| o == id)
        {
            out.push(id.to_string());
        }
    }
    out
}

fn mentions_only<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let text: Option<std::borrow::Cow<'de, str>> = Option::deserialize(d)?;
    Ok(text.map(|t| mention_ids(&t)).unwrap_or_default())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ConvKind {
    /// A channel (public or private): top-level messages are broadcasts.
    Channel,
    /// A DM or a group DM: every message is addressed to the other members.
    Direct,
}

struct Conversation {
    id: String,
    kind: ConvKind,
    members: Vec<String>,
    /// Whether the export listed the members; if not (archived channels), the members are the
    /// users seen joining or posting so far.
    listed: bool,
}

/// A thread's author and its latest distinct posters (most recent last, at most 8).
#[derive(Default)]
struct Thread {
    author: Option<String>,
    posters: Vec<(String, String)>,
}

enum Root {
    Dir(PathBuf),
    Zip(Box<zip::ZipArchive<File>>),
}

enum Item {
    Row(Vec<Cell>, u64),
    Problem(Problem),
}

/// A Slack export as records; see the module documentation for what each message becomes.
pub struct SlackSource {
    path: PathBuf,
    root: Root,
    ids: Ids,
    dir: Directory,
    users: FxHashMap<String, Ident>,
    conversations: Vec<Conversation>,
    /// Day files: (conversation index, name under the root, size in bytes).
    days: Vec<(usize, String, u64)>,
    next_day: usize,
    queue: VecDeque<Item>,
    threads: FxHashMap<(usize, String), Thread>,
    n_messages: u64,
    total_bytes: u64,
    bytes_read: u64,
}

/// Reads a whole small file of the root; `None` when it is not there.
fn read_entry(root: &mut Root, path: &Path, name: &str) -> Result<Option<Vec<u8>>, SlackError> {
    let mut buf = Vec::new();
    match root {
        Root::Dir(dir) => {
            let p = dir.join(name);
            match File::open(&p) {
                Ok(mut f) => f
                    .read_to_end(&mut buf)
                    .map_err(|source| SlackError::Io { path: p, source })?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(source) => return Err(SlackError::Io { path: p, source }),
            };
        }
        Root::Zip(z) => match z.by_name(name) {
            Ok(mut f) => {
                f.read_to_end(&mut buf).map_err(|source| SlackError::Io {
                    path: path.join(name),
                    source,
                })?;
            }
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => {
                return Err(SlackError::Zip {
                    path: path.join(name),
                    reason: e.to_string(),
                });
            }
        },
    }
    Ok(Some(buf))
}

/// A JSON error as a one-line error: file, line, column, field, reason.
fn json_error(path: &Path, field: &str, e: &serde_json::Error) -> SlackError {
    let text = e.to_string();
    let reason = text
        .rsplit_once(" at line ")
        .map(|(r, _)| r.to_string())
        .unwrap_or(text);
    SlackError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        field: field.to_string(),
        reason,
    }
}

fn parse_list<T: serde::de::DeserializeOwned>(
    root: &mut Root,
    path: &Path,
    name: &str,
    field: &str,
) -> Result<Option<Vec<T>>, SlackError> {
    match read_entry(root, path, name)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| json_error(&path.join(name), field, &e)),
    }
}

/// Milliseconds of a Slack `ts` ("1736478514.897649": seconds, then microseconds).
fn ts_ms(ts: &str) -> Option<i64> {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
    let secs: i64 = secs.parse().ok()?;
    let mut ms = 0i64;
    for (i, c) in frac.chars().take(3).enumerate() {
        let d = c.to_digit(10)? as i64;
        ms += d * 10i64.pow(2 - i as u32);
    }
    secs.checked_mul(1000)?.checked_add(ms)
}

impl SlackSource {
    /// Opens an export folder or zip. `users.json` is required; the conversation lists
    /// (`channels.json`, `groups.json`, `dms.json`, `mpims.json`) are read where present (a
    /// folder none of them lists is a conversation without a member list). Users are resolved
    /// once here against `dir`: the profile's e-mail address, else a unique name match, else
    /// the Slack user id (an unknown colleague).
    pub fn open(path: &Path, mut dir: Directory, ids: Ids) -> Result<SlackSource, SlackError> {
        let io = |source| SlackError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        let mut root = if meta.is_dir() {
            Root::Dir(path.to_path_buf())
        } else {
            let file = File::open(path).map_err(io)?;
            let archive = zip::ZipArchive::new(file).map_err(|e| SlackError::Zip {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            Root::Zip(Box::new(archive))
        };
        let raw_users: Vec<RawUser> = parse_list(&mut root, path, "users.json", "users")?
            .ok_or_else(|| SlackError::MissingUsers {
                path: path.to_path_buf(),
            })?;
        let mut users = FxHashMap::default();
        for u in raw_users {
            let ident = if u.is_bot || u.id == "USLACKBOT" {
                Ident::Bot
            } else {
                let name = u
                    .real_name
                    .or(u.profile.real_name)
                    .filter(|n| !n.is_empty());
                match u.profile.email.filter(|e| e.contains('@')) {
                    Some(email) => {
                        let who = dir.resolve(&email, name.as_deref());
                        match who.person() {
                            Some(p) => Ident::Person(p.to_string()),
                            None => Ident::Left(who.reason()),
                        }
                    }
                    None => match name.as_deref().and_then(|n| dir.by_name(n)) {
                        Some(a) => Ident::Person(a),
                        None => Ident::Person(u.id.clone()),
                    },
                }
            };
            users.insert(u.id, ident);
        }
        // Conversations, by the folder that holds their days.
        let mut by_folder: FxHashMap<String, (String, ConvKind, Vec<String>)> =
            FxHashMap::default();
        for (file, kind, folder_is_id) in [
            ("channels.json", ConvKind::Channel, false),
            ("groups.json", ConvKind::Channel, false),
            ("mpims.json", ConvKind::Direct, false),
            ("dms.json", ConvKind::Direct, true),
        ] {
            let list: Vec<RawConversation> =
                parse_list(&mut root, path, file, "conversations")?.unwrap_or_default();
            for c in list {
                let folder = if folder_is_id {
                    c.id.clone()
                } else {
                    c.name.clone().unwrap_or_else(|| c.id.clone())
                };
                by_folder.insert(folder, (c.id, kind, c.members.unwrap_or_default()));
            }
        }
        // Day files.
        let mut found: Vec<(String, String, u64)> = Vec::new();
        match &mut root {
            Root::Dir(d) => {
                let mut folders: Vec<_> = std::fs::read_dir(&*d)
                    .map_err(io)?
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .collect();
                folders.sort_by_key(|e| e.file_name());
                for f in folders {
                    let folder = f.file_name().to_string_lossy().into_owned();
                    let entries = std::fs::read_dir(f.path()).map_err(|source| SlackError::Io {
                        path: f.path(),
                        source,
                    })?;
                    for e in entries.filter_map(|e| e.ok()) {
                        let name = e.file_name().to_string_lossy().into_owned();
                        if name.ends_with(".json") && e.path().is_file() {
                            let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                            found.push((folder.clone(), format!("{folder}/{name}"), size));
                        }
                    }
                }
            }
            Root::Zip(z) => {
                for i in 0..z.len() {
                    let entry = z.by_index_raw(i).map_err(|e| SlackError::Zip {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    })?;
                    let name = entry
                        .name()
                        .map_err(|e| SlackError::Zip {
                            path: path.to_path_buf(),
                            reason: e.to_string(),
                        })?
                        .to_string();
                    let parts: Vec<&str> = name.split('/').collect();
                    if parts.len() == 2
                        && parts[1].ends_with(".json")
                        && !parts[0].starts_with("__MACOSX")
                    {
                        found.push((parts[0].to_string(), name.clone(), entry.size()));
                    }
                }
            }
        }
        found.sort_by(|a, b| a.1.cmp(&b.1));
        let mut conversations: Vec<Conversation> = Vec::new();
        let mut index: FxHashMap<String, usize> = FxHashMap::default();
        let mut days = Vec::new();
        for (folder, name, size) in found {
            let i = *index.entry(folder.clone()).or_insert_with(|| {
                let (id, kind, members) = by_folder.get(&folder).cloned().unwrap_or((
                    folder.clone(),
                    ConvKind::Channel,
                    Vec::new(),
                ));
                let listed = !members.is_empty();
                conversations.push(Conversation {
                    id,
                    kind,
                    members,
                    listed,
                });
                conversations.len() - 1
            });
            days.push((i, name, size));
        }
        let total_bytes = days.iter().map(|d| d.2).sum();
        Ok(SlackSource {
            path: path.to_path_buf(),
            root,
            ids,
            dir,
            users,
            conversations,
            days,
            next_day: 0,
            queue: VecDeque::new(),
            threads: FxHashMap::default(),
            n_messages: 0,
            total_bytes,
            bytes_read: 0,
        })
    }

    /// The directory the users were resolved with (its unmatched addresses and names).
    pub fn directory(&self) -> &Directory {
        &self.dir
    }

    /// Number of day files in the export.
    pub fn n_day_files(&self) -> usize {
        self.days.len()
    }

    fn ident(&self, user: &str) -> Ident {
        self.users
            .get(user)
            .cloned()
            .unwrap_or_else(|| Ident::Person(user.to_string()))
    }

    /// Reads the next day file into the queue; `false` when there is none.
    fn load_next_day(&mut self) -> bool {
        let Some((conv, name, size)) = self.days.get(self.next_day).cloned() else {
            return false;
        };
        self.next_day += 1;
        self.bytes_read += size;
        let file = self.path.join(&name);
        let parsed = read_entry(&mut self.root, &self.path, &name).and_then(|bytes| {
            serde_json::from_slice::<Vec<RawMessage>>(&bytes.unwrap_or_default())
                .map_err(|e| json_error(&file, "messages", &e))
        });
        let mut messages = match parsed {
            Ok(m) => m,
            Err(e) => {
                let (line, detail) = match &e {
                    SlackError::Json { line, .. } => (*line as u64, e.to_string()),
                    _ => (0, e.to_string()),
                };
                self.queue
                    .push_back(Item::Problem(Problem::Reject(RowError::new(
                        &file, line, "", "bad_json", detail,
                    ))));
                return true;
            }
        };
        // Keep the file's order for equal stamps; order by time otherwise.
        messages.sort_by_key(|m| m.ts.as_deref().and_then(ts_ms).unwrap_or(i64::MIN));
        for (i, m) in messages.into_iter().enumerate() {
            self.n_messages += 1;
            let position = self.n_messages;
            if let Err(problem) = self.message(conv, &file, i as u64 + 1, position, m) {
                self.queue.push_back(Item::Problem(problem));
            }
        }
        true
    }

    #[allow(clippy::too_many_lines)]
    fn message(
        &mut self,
        conv: usize,
        file: &Path,
        line: u64,
        position: u64,
        m: RawMessage,
    ) -> Result<(), Problem> {
        let skip = |field: &str, reason: &'static str, detail: String| {
            Problem::Skip(RowError::new(file, line, field, reason, detail))
        };
        let Some(ts) = m.ts.clone() else {
            return Err(Problem::Reject(RowError::new(
                file,
                line,
                "ts",
                "missing_value",
                "a message without ts".into(),
            )));
        };
        let Some(time_ms) = ts_ms(&ts) else {
            return Err(Problem::Reject(RowError::new(
                file,
                line,
                "ts",
                "bad_timestamp",
                format!("`{ts}` is not a Slack ts (seconds.micro)"),
            )));
        };
        let conv_id = self.conversations[conv].id.clone();
        let kind = self.conversations[conv].kind;
        let is_reply = m.thread_ts.as_deref().is_some_and(|t| t != ts);
        let thread_key = m.thread_ts.clone().map(|t| (conv, t));
        // A thread's parent is remembered even when it is left out (a deleted parent).
        if let (Some(key), false, Some(user)) = (&thread_key, is_reply, &m.user) {
            self.threads.entry(key.clone()).or_default().author = Some(user.clone());
        }
        let subtype = m.subtype.as_deref().unwrap_or("");
        if !self.conversations[conv].listed
            && let Some(user) = &m.user
        {
            let members = &mut self.conversations[conv].members;
            if matches!(subtype, "channel_leave" | "group_leave") {
                members.retain(|u| u != user);
            } else if (subtype.is_empty() || subtype.ends_with("_join") || subtype == "file_share")
                && !members.contains(user)
            {
                members.push(user.clone());
            }
        }
        let user_ident = m.user.as_deref().map(|u| self.ident(u));
        if subtype == "bot_message"
            || subtype.starts_with("bot_")
            || m.bot_id.as_deref().is_some_and(|b| !b.is_empty())
            || matches!(user_ident, Some(Ident::Bot))
        {
            return Err(skip("user", "bot", "a message from a bot".into()));
        }
        match subtype {
            "" | "file_share" | "me_message" | "thread_broadcast" => {}
            "tombstone" | "message_deleted" => {
                return Err(skip("subtype", "deleted", format!("subtype {subtype}")));
            }
            "file_comment" => {
                return Err(skip(
                    "subtype",
                    "file_comment",
                    "a comment on a file".into(),
                ));
            }
            other => {
                return Err(skip(
                    "subtype",
                    "channel_event",
                    format!("subtype {other}: not a message between people"),
                ));
            }
        }
        let Some(user) = m.user.clone() else {
            return Err(skip("user", "no_user", "a message without a user".into()));
        };
        let actor = match user_ident {
            Some(Ident::Person(p)) => p,
            Some(Ident::Left(reason)) => {
                return Err(skip("user", reason, format!("sender {user} is left out")));
            }
            _ => unreachable!("bots returned above"),
        };
        let event_key = format!("slack:{conv_id}:{ts}");
        let event_id = (self.ids)(&event_key);
        let thread_id = m
            .thread_ts
            .as_ref()
            .map(|t| (self.ids)(&format!("slack:{conv_id}:{t}")));

        // (recipient, role, kind, weight)
        let mut rows: Vec<(String, &'static str, &'static str, f64)> = Vec::new();
        let mut in_reply_to = None;
        let push = |rows: &mut Vec<(String, &'static str, &'static str, f64)>,
                    who: String,
                    role: &'static str,
                    kind: &'static str,
                    weight: f64| {
            if who != actor && !rows.iter().any(|r| r.0 == who) {
                rows.push((who, role, kind, weight));
            }
        };
        let person = |s: &SlackSource, u: &str| match s.ident(u) {
            Ident::Person(p) => Some(p),
            _ => None,
        };
        let msg_kind = if is_reply { "reply" } else { "message" };
        // Mentions first: they address the message to someone.
        for u in &m.mentions {
            if let Some(p) = person(self, u) {
                push(&mut rows, p, "to", msg_kind, 1.0);
            }
        }
        if is_reply {
            let key = thread_key.clone().expect("a reply has a thread");
            let thread = self.threads.entry(key).or_default();
            if thread.author.is_none() {
                thread.author = m.parent_user_id.clone();
            }
            if kind == ConvKind::Channel {
                // The parent's author, or the latest other poster when they answer themselves.
                let target = match &thread.author {
                    Some(a) if *a != user => Some((a.clone(), m.thread_ts.clone().unwrap())),
                    _ => thread
                        .posters
                        .iter()
                        .rev()
                        .find(|(u, _)| *u != user)
                        .cloned(),
                };
                if let Some((u, answered_ts)) = target {
                    in_reply_to = Some((self.ids)(&format!("slack:{conv_id}:{answered_ts}")));
                    let p = match self.users.get(&u) {
                        Some(Ident::Person(p)) => Some(p.clone()),
                        Some(_) => None,
                        None => Some(u.clone()),
                    };
                    if let Some(p) = p {
                        push(&mut rows, p, "to", "reply", 1.0);
                    }
                }
            } else {
                in_reply_to = thread_id;
            }
            let thread = self
                .threads
                .get_mut(&thread_key.clone().unwrap())
                .expect("entry made above");
            thread.posters.retain(|(u, _)| *u != user);
            thread.posters.push((user.clone(), ts.clone()));
            if thread.posters.len() > 8 {
                thread.posters.remove(0);
            }
        }
        let members = self.conversations[conv].members.clone();
        match kind {
            ConvKind::Direct => {
                for u in &members {
                    if let Some(p) = person(self, u) {
                        push(&mut rows, p, "to", msg_kind, 1.0);
                    }
                }
            }
            ConvKind::Channel if !is_reply => {
                let others: Vec<String> = members
                    .iter()
                    .filter_map(|u| person(self, u))
                    .filter(|p| *p != actor && !rows.iter().any(|r| r.0 == *p))
                    .collect();
                let w = 1.0 / others.len().max(1) as f64;
                for p in others {
                    push(&mut rows, p, "cc", "fyi", w);
                }
            }
            ConvKind::Channel => {}
        }
        // Reactions: from each reacting person to the author.
        let mut reactors: Vec<String> = Vec::new();
        for r in m.reactions.iter().flatten() {
            for u in &r.users {
                if let Some(p) = person(self, u)
                    && p != actor
                    && !reactors.contains(&p)
                {
                    reactors.push(p);
                }
            }
        }
        let row = |recipient: &str,
                   actor: &str,
                   role: &str,
                   kind: &str,
                   weight: f64,
                   event_id: i64,
                   in_reply_to: Option<i64>| {
            let mut cells = Vec::new();
            blank(&mut cells);
            cells[col::EVENT_ID] = Cell::Int(event_id);
            cells[col::TIME] = Cell::TimeMs(time_ms);
            cells[col::ACTOR] = Cell::Str(actor.to_string());
            cells[col::RECIPIENT] = Cell::Str(recipient.to_string());
            cells[col::ROLE] = Cell::Str(role.to_string());
            cells[col::CHANNEL] = Cell::Str("chat".to_string());
            cells[col::KIND] = Cell::Str(kind.to_string());
            if let Some(t) = thread_id {
                cells[col::THREAD_ID] = Cell::Int(t);
            }
            if let Some(r) = in_reply_to {
                cells[col::IN_REPLY_TO] = Cell::Int(r);
            }
            cells[col::WEIGHT] = Cell::Float(weight);
            cells
        };
        if rows.is_empty() {
            self.queue.push_back(Item::Problem(skip(
                "",
                "no_recipients",
                "nobody else is known to be in this conversation".into(),
            )));
        }
        for (recipient, role, kind, weight) in &rows {
            self.queue.push_back(Item::Row(
                row(
                    recipient,
                    &actor,
                    role,
                    kind,
                    *weight,
                    event_id,
                    in_reply_to,
                ),
                position,
            ));
        }
        for reactor in reactors {
            let id = (self.ids)(&format!("{event_key}:reaction:{reactor}"));
            self.queue.push_back(Item::Row(
                row(&actor, &reactor, "cc", "fyi", REACTION_WEIGHT, id, None),
                position,
            ));
        }
        Ok(())
    }
}

impl RecordSource for SlackSource {
    fn columns(&self) -> Vec<String> {
        crate::COLUMNS.iter().map(|c| c.to_string()).collect()
    }

    fn next_record(&mut self, cells: &mut Vec<Cell>) -> Result<Option<u64>, Problem> {
        loop {
            match self.queue.pop_front() {
                Some(Item::Row(row, position)) => {
                    *cells = row;
                    return Ok(Some(position));
                }
                Some(Item::Problem(p)) => return Err(p),
                None => {
                    if !self.load_next_day() {
                        return Ok(None);
                    }
                }
            }
        }
    }

    fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_and_stamps() {
        assert_eq!(
            mention_ids("hi <@U1> and <@U2|bo> and <@U1> <#C1> <@>"),
            vec!["U1".to_string(), "U2".to_string()]
        );
        assert_eq!(ts_ms("1736478514.897649"), Some(1_736_478_514_897));
        assert_eq!(ts_ms("1736478514"), Some(1_736_478_514_000));
        assert_eq!(ts_ms("x.1"), None);
    }
}
