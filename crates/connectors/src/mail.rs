//! Mail archives: Maildir (with Maildir++ `.Folder`s and nested folders) and mbox (mboxo,
//! mboxrd, Pipermail monthly archives, Gmail Takeout), headers only.
//!
//! Each message's header block is read up to the blank line that ends it, and only From,
//! Sender, To, Cc, Bcc, Date, Message-ID, In-Reply-To, References, List-Id, Precedence and
//! Auto-Submitted are parsed; a Subject line is dropped as it is read, before any parsing. A
//! Maildir message's file is never read past its headers. In an mbox the bytes after the headers
//! are scanned only for the next `From ` separator line (a line starting `From ` after an empty
//! line), never decoded or kept. A record's position is the line of its `From ` separator in an
//! mbox, and the message's number (files in path order) in a Maildir; a problem with one message
//! names its own file. Message ids become keyed hashes ([`crate::Ids`]); messages tie
//! into threads through In-Reply-To and References, so a reply pairs with what it answers.
//!
//! A message becomes one interaction: its sender to each To (role `to`), Cc (`cc`) and Bcc
//! (`bcc`) recipient the [`Directory`] keeps; external addresses, lists and shared mailboxes are
//! left out. Mailing-list traffic (a List-Id, or Precedence list/bulk) and automated mail
//! (Auto-Submitted other than `no`, Precedence junk) are skipped unless asked for.

use crate::identity::{Directory, Who};
use crate::{COLUMNS, Ids, blank, col};
use ingest::{Cell, Problem, RecordSource, RowError};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The two archive layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailFormat {
    Maildir,
    Mbox,
}

/// What to keep that is left out by default.
#[derive(Clone, Copy, Debug, Default)]
pub struct MailOptions {
    /// Keep mailing-list messages (a List-Id, or Precedence list/bulk).
    pub include_lists: bool,
    /// Keep automated messages (Auto-Submitted, Precedence junk).
    pub include_automated: bool,
}

/// A mail archive that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a mail archive ({reason})", path.display())]
    Format { path: PathBuf, reason: String },
}

/// Largest header block read for one message; a longer one is rejected, and the message skipped.
pub const MAX_HEADER_BYTES: usize = 256 * 1024;

/// The layout of `path`: a folder is a Maildir, a file an mbox (checked by its first line).
pub fn detect(path: &Path) -> Result<MailFormat, MailError> {
    let meta = std::fs::metadata(path).map_err(|source| MailError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Ok(MailFormat::Maildir);
    }
    let mut first = Vec::new();
    let mut r = BufReader::new(File::open(path).map_err(|source| MailError::Io {
        path: path.to_path_buf(),
        source,
    })?);
    r.read_until(b'\n', &mut first)
        .map_err(|source| MailError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if first.starts_with(b"From ") {
        Ok(MailFormat::Mbox)
    } else {
        Err(MailError::Format {
            path: path.to_path_buf(),
            reason: "an mbox starts with a `From ` line; give a Maildir folder or an mbox file"
                .into(),
        })
    }
}

/// One message's header block and where it was.
struct Raw {
    file: PathBuf,
    /// The line of the file the message starts at (1 for a Maildir file).
    line: u64,
    /// Where the message is in the archive, for the records: the line its `From ` separator is
    /// on in an mbox, the message's number (in path order) in a Maildir.
    position: u64,
    /// Header lines without Subject, CRLF or LF kept as read.
    headers: Vec<u8>,
    too_long: bool,
}

/// Reads header lines from `r` up to the empty line that ends them (dropping Subject and its
/// continuation lines); returns (bytes consumed, lines consumed, whether the block was cut at the
/// limit). No line is read past [`MAX_HEADER_BYTES`]: a file without a blank line (or without
/// line ends) is not read whole.
fn read_headers(r: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<(u64, u64, bool)> {
    let mut consumed = 0u64;
    let mut lines = 0u64;
    let mut line = Vec::new();
    let mut in_subject = false;
    let mut too_long = false;
    loop {
        line.clear();
        let n = r
            .by_ref()
            .take(MAX_HEADER_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        consumed += n as u64;
        lines += 1;
        if line == b"\n" || line == b"\r\n" {
            break;
        }
        if n > MAX_HEADER_BYTES || consumed > 4 * MAX_HEADER_BYTES as u64 {
            // Not a header block: stop here (the rest is scanned as a body, never kept).
            too_long = true;
            break;
        }
        let continuation = line[0] == b' ' || line[0] == b'\t';
        if !continuation {
            in_subject = line.len() >= 8 && line[..8].eq_ignore_ascii_case(b"subject:");
        }
        if in_subject {
            continue;
        }
        if out.len() + line.len() > MAX_HEADER_BYTES {
            too_long = true;
            continue;
        }
        out.extend_from_slice(&line);
    }
    Ok((consumed, lines, too_long))
}

enum Walker {
    Maildir {
        files: std::vec::IntoIter<PathBuf>,
        count: u64,
    },
    Mbox {
        path: PathBuf,
        reader: BufReader<File>,
        /// Line number of the next line to read (1-based).
        line: u64,
        /// The `From ` line of the next message has been read already.
        at_separator: bool,
        done: bool,
    },
}

/// Every message file under a Maildir (cur/, new/, Maildir++ `.Folder`s, nested folders, and
/// files directly in a folder), in path order; `tmp/` and dot-files are left out.
fn maildir_files(root: &Path) -> Result<Vec<PathBuf>, MailError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type()?.is_dir() {
                // Maildir++ folders start with a dot; notmuch's index and tmp/ are not mail.
                if name == "tmp" || name == ".notmuch" || name == ".git" {
                    continue;
                }
                walk(&p, out)?;
            } else if !name.starts_with('.') && !is_control_file(&name) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, &mut out).map_err(|source| MailError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    out.sort();
    Ok(out)
}

/// Files mail servers and clients keep beside the messages (Dovecot's indexes and uid lists,
/// Courier's and Maildir++'s markers), which are not messages.
fn is_control_file(name: &str) -> bool {
    name.starts_with("dovecot")
        || name.starts_with("courier")
        || matches!(
            name,
            "maildirfolder" | "maildirsize" | "subscriptions" | "xapian" | "uidvalidity"
        )
}

impl Walker {
    fn next(&mut self, bytes: &mut u64, header_bytes: &mut u64) -> Option<Result<Raw, RowError>> {
        match self {
            Walker::Maildir { files, count } => {
                let file = files.next()?;
                *count += 1;
                let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
                *bytes += size;
                let f = match File::open(&file) {
                    Ok(f) => f,
                    Err(e) => {
                        return Some(Err(RowError::new(
                            &file,
                            1,
                            "",
                            "unreadable_message",
                            e.to_string(),
                        )));
                    }
                };
                let mut counted = Counted { inner: f, read: 0 };
                let mut headers = Vec::new();
                let result = {
                    let mut r = BufReader::with_capacity(8 * 1024, &mut counted);
                    // A Maildir file may keep an mbox `From ` line first.
                    let mut first = Vec::new();
                    match r.fill_buf() {
                        Ok(buf) if buf.starts_with(b"From ") => {
                            let _ = r.read_until(b'\n', &mut first);
                        }
                        _ => {}
                    }
                    read_headers(&mut r, &mut headers)
                };
                *header_bytes += counted.read;
                Some(match result {
                    Ok((_, _, too_long)) => Ok(Raw {
                        file,
                        line: 1,
                        position: *count,
                        headers,
                        too_long,
                    }),
                    Err(e) => Err(RowError::new(
                        &file,
                        1,
                        "",
                        "unreadable_message",
                        e.to_string(),
                    )),
                })
            }
            Walker::Mbox {
                path,
                reader,
                line,
                at_separator,
                done,
            } => {
                if *done {
                    return None;
                }
                let mut buf = Vec::new();
                // The separator: the first line, or the one the last body scan stopped at.
                if !*at_separator {
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => return None,
                        Ok(n) => {
                            *bytes += n as u64;
                            *line += 1;
                        }
                        Err(e) => {
                            *done = true;
                            return Some(Err(RowError::new(
                                path,
                                *line,
                                "",
                                "unreadable_mbox",
                                e.to_string(),
                            )));
                        }
                    }
                }
                let start = *line - 1;
                let mut headers = Vec::new();
                let (consumed, lines, too_long) = match read_headers(reader, &mut headers) {
                    Ok(x) => x,
                    Err(e) => {
                        *done = true;
                        return Some(Err(RowError::new(
                            path,
                            start,
                            "",
                            "unreadable_mbox",
                            e.to_string(),
                        )));
                    }
                };
                *bytes += consumed;
                *header_bytes += consumed;
                *line += lines;
                // Scan (never decode) the body for the next separator: `From ` after an empty
                // line, as mboxo and mboxrd write them.
                let mut previous_empty = true;
                *at_separator = false;
                loop {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => {
                            *done = true;
                            break;
                        }
                        Ok(n) => {
                            *bytes += n as u64;
                            *line += 1;
                            if previous_empty && buf.starts_with(b"From ") {
                                *at_separator = true;
                                break;
                            }
                            previous_empty = buf == b"\n" || buf == b"\r\n";
                        }
                        Err(e) => {
                            *done = true;
                            return Some(Err(RowError::new(
                                path,
                                *line,
                                "",
                                "unreadable_mbox",
                                e.to_string(),
                            )));
                        }
                    }
                }
                Some(Ok(Raw {
                    file: path.clone(),
                    line: start.max(1),
                    position: start.max(1),
                    headers,
                    too_long,
                }))
            }
        }
    }
}

/// Counts the bytes read from a message file (headers only, proved by the tests).
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// What the archive holds, counted before anything is classified or left out (the numbers an
/// independent reader gives: `tests/reference/mail_reference.py`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MailStats {
    pub messages: u64,
    pub to: u64,
    pub cc: u64,
    pub bcc: u64,
    pub message_id: u64,
    /// Messages that answer another (an In-Reply-To or References id).
    pub replies: u64,
    pub list_id: u64,
    /// Messages whose Date parses.
    pub dated: u64,
}

/// A mail archive as records for ingest.
pub struct MailSource {
    stats: MailStats,
    walker: Walker,
    dir: Directory,
    ids: Ids,
    opts: MailOptions,
    pending: VecDeque<(u64, Vec<Cell>)>,
    total_bytes: u64,
    bytes: u64,
    header_bytes: u64,
    messages: u64,
}

impl MailSource {
    /// Opens a Maildir folder or an mbox file (`format` forces the layout).
    pub fn open(
        path: &Path,
        format: Option<MailFormat>,
        dir: Directory,
        ids: Ids,
        opts: MailOptions,
    ) -> Result<MailSource, MailError> {
        let format = match format {
            Some(f) => f,
            None => detect(path)?,
        };
        let (walker, total_bytes) = match format {
            MailFormat::Maildir => {
                let files = maildir_files(path)?;
                let total = files
                    .iter()
                    .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
                    .sum();
                if files.is_empty() {
                    return Err(MailError::Format {
                        path: path.to_path_buf(),
                        reason: "no message files in this folder".into(),
                    });
                }
                (
                    Walker::Maildir {
                        files: files.into_iter(),
                        count: 0,
                    },
                    total,
                )
            }
            MailFormat::Mbox => {
                detect(path).and_then(|f| match f {
                    MailFormat::Mbox => Ok(()),
                    MailFormat::Maildir => Err(MailError::Format {
                        path: path.to_path_buf(),
                        reason: "a folder, not an mbox file".into(),
                    }),
                })?;
                let file = File::open(path).map_err(|source| MailError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                let total = file.metadata().map(|m| m.len()).unwrap_or(0);
                (
                    Walker::Mbox {
                        path: path.to_path_buf(),
                        reader: BufReader::with_capacity(64 * 1024, file),
                        line: 1,
                        at_separator: false,
                        done: false,
                    },
                    total,
                )
            }
        };
        Ok(MailSource {
            stats: MailStats::default(),
            walker,
            dir,
            ids,
            opts,
            pending: VecDeque::new(),
            total_bytes,
            bytes: 0,
            header_bytes: 0,
            messages: 0,
        })
    }

    /// Bytes of header blocks read (the rest of each message is never decoded).
    pub fn header_bytes(&self) -> u64 {
        self.header_bytes
    }

    /// Messages read so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// What the archive held, before classification.
    pub fn stats(&self) -> &MailStats {
        &self.stats
    }

    /// The directory, with its unmatched addresses.
    pub fn directory(&self) -> &Directory {
        &self.dir
    }

    /// One message's rows into `pending`, or why it has none.
    fn message(&mut self, raw: Raw) -> Result<(), Problem> {
        let at = |field: &str, reason: &'static str, detail: String| {
            RowError::new(&raw.file, raw.line, field, reason, detail)
        };
        if raw.too_long {
            return Err(Problem::Reject(at(
                "",
                "header_too_long",
                format!("the header block is over {MAX_HEADER_BYTES} bytes"),
            )));
        }
        let (headers, _) = mailparse::parse_headers(&raw.headers)
            .map_err(|e| Problem::Reject(at("", "bad_header", e.to_string())))?;
        let get = |name: &str| -> Option<String> {
            headers
                .iter()
                .find(|h| h.get_key_ref().eq_ignore_ascii_case(name))
                .map(|h| h.get_value())
        };
        let all = |name: &str| -> Vec<String> {
            headers
                .iter()
                .filter(|h| h.get_key_ref().eq_ignore_ascii_case(name))
                .map(|h| h.get_value())
                .collect()
        };
        // What the message holds, before anything is left out.
        self.stats.messages += 1;
        for (h, n) in [
            ("To", &mut self.stats.to),
            ("Cc", &mut self.stats.cc),
            ("Bcc", &mut self.stats.bcc),
        ] {
            *n += all(h)
                .iter()
                .map(|v| {
                    let (good, bad) = lenient(v);
                    (good.len() + bad.len()) as u64
                })
                .sum::<u64>();
        }
        self.stats.message_id += u64::from(get("Message-ID").is_some_and(|v| !v.trim().is_empty()));
        self.stats.replies +=
            u64::from(get("In-Reply-To").is_some() || get("References").is_some());
        self.stats.list_id += u64::from(get("List-Id").is_some());
        self.stats.dated += u64::from(
            get("Date")
                .is_some_and(|d| !d.trim().is_empty() && mailparse::dateparse(d.trim()).is_ok()),
        );
        // Lists and automated mail.
        let precedence = get("Precedence").map(|p| p.trim().to_ascii_lowercase());
        let list = get("List-Id").is_some()
            || matches!(precedence.as_deref(), Some("list") | Some("bulk"));
        let automated = get("Auto-Submitted").is_some_and(|a| !a.trim().eq_ignore_ascii_case("no"))
            || precedence.as_deref() == Some("junk");
        if list && !self.opts.include_lists {
            return Err(Problem::Skip(at(
                "List-Id",
                "mailing_list",
                "list traffic (--include-lists keeps it)".into(),
            )));
        }
        if automated && !self.opts.include_automated {
            return Err(Problem::Skip(at(
                "Auto-Submitted",
                "automated",
                "automated mail (--include-automated keeps it)".into(),
            )));
        }
        // The sender.
        let from = get("From").or_else(|| get("Sender"));
        let Some(from) = from.filter(|f| !f.trim().is_empty()) else {
            return Err(Problem::Reject(at(
                "From",
                "missing_value",
                "no From or Sender".into(),
            )));
        };
        let senders = singles(&from).map_err(|e| Problem::Reject(at("From", "bad_address", e)))?;
        let Some((addr, display)) = senders.into_iter().next() else {
            return Err(Problem::Reject(at(
                "From",
                "bad_address",
                format!("no address in `{}`", from.trim()),
            )));
        };
        let actor = self.dir.resolve(&addr, display.as_deref());
        let Some(actor) = actor.person().map(str::to_string) else {
            return Err(Problem::Skip(at(
                "From",
                actor.reason(),
                "the sender is outside the organization's people".into(),
            )));
        };
        // Recipients by role, each once, the sender left out.
        let mut recipients: Vec<(String, &'static str)> = Vec::new();
        for (header, role) in [("To", "to"), ("Cc", "cc"), ("Bcc", "bcc")] {
            let mut list = Vec::new();
            for value in all(header) {
                list.extend(
                    singles(&value).map_err(|e| Problem::Reject(at(header, "bad_address", e)))?,
                );
            }
            for (a, d) in list {
                let who = self.dir.resolve(&a, d.as_deref());
                if let Who::Person(p) | Who::Unknown(p) = who
                    && p != actor
                    && !recipients.iter().any(|r| r.0 == p)
                {
                    recipients.push((p, role));
                }
            }
        }
        if recipients.is_empty() {
            return Err(Problem::Skip(at(
                "To",
                "no_recipient_kept",
                "no recipient inside the organization".into(),
            )));
        }
        // Time: RFC 2822 Date.
        let time = match get("Date").filter(|d| !d.trim().is_empty()) {
            None => None,
            Some(d) => match mailparse::dateparse(d.trim()) {
                Ok(secs) => chrono::DateTime::from_timestamp(secs, 0).map(|t| t.to_rfc3339()),
                Err(e) => {
                    return Err(Problem::Reject(at(
                        "Date",
                        "bad_timestamp",
                        format!("`{}`: {e}", d.trim()),
                    )));
                }
            },
        };
        // Ids, threads and replies, as keyed hashes.
        let ids = |h: &str| -> Vec<String> {
            get(h)
                .map(|v| {
                    mailparse::msgidparse(&v)
                        .map(|l| l.to_vec())
                        .unwrap_or_default()
                })
                .unwrap_or_default()
        };
        let own = ids("Message-ID").into_iter().next();
        let parent = ids("In-Reply-To")
            .into_iter()
            .next()
            .or_else(|| ids("References").into_iter().last());
        let root = ids("References").into_iter().next().or(parent.clone());
        let keyed = |s: &Option<String>| {
            s.as_ref()
                .map_or(Cell::Null, |m| Cell::Int((self.ids)(&format!("mid:{m}"))))
        };
        let event = keyed(&own);
        let thread = match (&root, &own) {
            (Some(_), _) => keyed(&root),
            (None, Some(_)) => keyed(&own),
            (None, None) => Cell::Null,
        };
        let reply = keyed(&parent);
        for (r, role) in recipients {
            let mut cells = Vec::new();
            blank(&mut cells);
            cells[col::EVENT_ID] = event.clone();
            cells[col::TIME] = time.clone().map_or(Cell::Null, Cell::Str);
            cells[col::ACTOR] = Cell::Str(actor.clone());
            cells[col::RECIPIENT] = Cell::Str(r);
            cells[col::ROLE] = Cell::Str(role.into());
            cells[col::CHANNEL] = Cell::Str("email".into());
            cells[col::KIND] = Cell::Str("message".into());
            cells[col::THREAD_ID] = thread.clone();
            cells[col::IN_REPLY_TO] = reply.clone();
            self.pending.push_back((raw.position, cells));
        }
        Ok(())
    }
}

/// The single addresses of an address-list header value (groups flattened), with display
/// names. A list that does not parse as a whole (a header cut short, a stray quote) is read item
/// by item (split at commas outside quotes and angle brackets); items that still do not parse,
/// or have no `@`, come back apart as the second list.
fn singles(value: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let (good, bad) = lenient(value);
    if good.is_empty() && !bad.is_empty() {
        return Err(format!("`{}`: no address could be read", value.trim()));
    }
    Ok(good)
}

fn lenient(value: &str) -> (Vec<(String, Option<String>)>, Vec<String>) {
    // Pipermail archives write `ann at example.org (Ann)`.
    let unmasked;
    let value = if !value.contains('@') && value.contains(" at ") {
        unmasked = value.replacen(" at ", "@", 1);
        unmasked.as_str()
    } else {
        value
    };
    let flatten = |list: mailparse::MailAddrList| {
        let mut out = Vec::new();
        for a in list.iter() {
            match a {
                mailparse::MailAddr::Single(s) => {
                    out.push((s.addr.clone(), s.display_name.clone()))
                }
                mailparse::MailAddr::Group(g) => {
                    for s in &g.addrs {
                        out.push((s.addr.clone(), s.display_name.clone()));
                    }
                }
            }
        }
        out
    };
    let split = |good: Vec<(String, Option<String>)>| -> (Vec<_>, Vec<String>) {
        let (ok, no): (Vec<_>, Vec<_>) = good.into_iter().partition(|(a, _)| a.contains('@'));
        (
            ok,
            no.into_iter()
                .map(|(a, _)| a)
                .filter(|a| !a.is_empty())
                .collect(),
        )
    };
    if let Ok(list) = mailparse::addrparse(value) {
        return split(flatten(list));
    }
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for item in split_top_level(value) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        match mailparse::addrparse(item) {
            Ok(list) => {
                let (ok, no) = split(flatten(list));
                good.extend(ok);
                bad.extend(no);
            }
            Err(_) => bad.push(item.to_string()),
        }
    }
    (good, bad)
}

/// Splits an address list at commas outside quotes, comments and angle brackets.
fn split_top_level(value: &str) -> Vec<&str> {
    let (mut out, mut start) = (Vec::new(), 0);
    let (mut quoted, mut angle, mut comment, mut escaped) = (false, 0i32, 0i32, false);
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' if comment == 0 => quoted = !quoted,
            '<' if !quoted && comment == 0 => angle += 1,
            '>' if !quoted && comment == 0 => angle = (angle - 1).max(0),
            '(' if !quoted => comment += 1,
            ')' if !quoted => comment = (comment - 1).max(0),
            ',' if !quoted && angle == 0 && comment == 0 => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

impl RecordSource for MailSource {
    fn columns(&self) -> Vec<String> {
        COLUMNS.iter().map(|c| c.to_string()).collect()
    }

    fn next_record(&mut self, cells: &mut Vec<Cell>) -> Result<Option<u64>, Problem> {
        loop {
            if let Some((line, row)) = self.pending.pop_front() {
                *cells = row;
                return Ok(Some(line));
            }
            let raw = match self.walker.next(&mut self.bytes, &mut self.header_bytes) {
                None => return Ok(None),
                Some(Err(e)) => return Err(Problem::Reject(e)),
                Some(Ok(raw)) => raw,
            };
            self.messages += 1;
            self.message(raw)?;
        }
    }

    fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}
