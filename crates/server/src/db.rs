//! The server's own records: accounts, invitations, sessions, failed sign-ins, the access log,
//! background jobs and settings. One set of SQL statements runs on the embedded SQLite file (the
//! default, `.orgmirror/server.sqlite` in the workspace) and on PostgreSQL (`--database
//! postgres://…`): statements use `$1`-style parameters (read as `?1` on SQLite), and values
//! are bound as the types PostgreSQL infers for them (integers as BIGINT, INTEGER or BOOLEAN,
//! NULL as any type), so the same text runs on both.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::sync::Mutex;

/// A value bound to, or read from, a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    Text(String),
    Null,
}

impl Value {
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            _ => 0,
        }
    }
    pub fn text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Null => String::new(),
        }
    }
    pub fn opt_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            v => Some(v.text()),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        v.map_or(Value::Null, Value::Text)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(v as i64)
    }
}

type Row = Vec<Value>;

/// A database the statements run on.
trait Sql: Send {
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
    /// Runs `f` in one transaction.
    fn batch(&mut self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()>;
    /// False once the connection is gone (it is then not put back in the pool).
    fn usable(&self) -> bool {
        true
    }
}

/// Text as both databases store it: PostgreSQL refuses NUL in text, so NUL becomes U+FFFD in both
/// (a subject with a NUL in it must not fail a batch of access-log lines on one database only).
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', "\u{fffd}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

struct Lite(rusqlite::Connection);

/// A statement with `$1`-style parameters as SQLite reads it: `?1`. SQLite takes `$1` as a *named*
/// parameter and numbers named parameters in the order they first appear, so `… $2 … $1 …` would
/// bind the wrong values; `?N` is bound by its number, as `$N` is on PostgreSQL.
fn lite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    let b = sql.as_bytes();
    if !b.windows(2).any(|w| w[0] == b'$' && w[1].is_ascii_digit()) {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

impl Sql for Lite {
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut st = self.0.prepare_cached(&lite_sql(sql))?;
        Ok(st.execute(rusqlite::params_from_iter(params.iter().map(lite_value)))? as u64)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut st = self.0.prepare_cached(&lite_sql(sql))?;
        let n = st.column_count();
        let rows = st.query_map(
            rusqlite::params_from_iter(params.iter().map(lite_value)),
            |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Integer(v) => Value::Int(v),
                            rusqlite::types::ValueRef::Text(t) => {
                                Value::Text(String::from_utf8_lossy(t).into_owned())
                            }
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Real(v) => Value::Int(v as i64),
                            rusqlite::types::ValueRef::Blob(_) => Value::Null,
                        })
                    })
                    .collect()
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn batch(&mut self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()> {
        self.0.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(()) => Ok(self.0.execute_batch("COMMIT")?),
            Err(e) => {
                let _ = self.0.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

fn lite_value(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Int(i) => rusqlite::types::Value::Integer(*i),
        Value::Text(s) => rusqlite::types::Value::Text(clean(s).into_owned()),
        Value::Null => rusqlite::types::Value::Null,
    }
}

/// A PostgreSQL connection and the statements prepared on it (by their text).
struct Pg {
    /// Always there but while it is being dropped.
    client: Option<postgres::Client>,
    statements: std::collections::HashMap<String, postgres::Statement>,
}

/// Runs blocking work of the `postgres` crate, which drives each connection with a Tokio runtime
/// of its own and so panics ("Cannot start a runtime from within a runtime") when connecting,
/// querying or closing on a thread that runs async tasks. SQLite has no such limit, so neither
/// does `Db`: outside Tokio, or on a blocking thread (`spawn_blocking`, as the server calls it),
/// `f` just runs; on a multi-thread runtime's worker it runs in `block_in_place`; on a
/// current-thread runtime (`#[tokio::test]`) it runs on a thread of its own.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Err(_) => f(),
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        Ok(_) => std::thread::scope(|s| match s.spawn(f).join() {
            Ok(v) => v,
            Err(panic) => std::panic::resume_unwind(panic),
        }),
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        self.statements.clear();
        if let Some(client) = self.client.take() {
            off_runtime(move || drop(client));
        }
    }
}

type PgParam = Box<dyn postgres::types::ToSql + Sync>;

/// A value as the Rust type PostgreSQL wants for a parameter of type `ty` (the server inferred
/// it from the statement): the `postgres` crate binds an `i64` only to BIGINT, a `String` only to
/// text, and even a NULL only as a type that fits.
fn pg_param(v: &Value, ty: &postgres::types::Type, n: usize) -> Result<PgParam> {
    use postgres::types::{ToSql, Type};
    let text = <String as ToSql>::accepts(ty);
    Ok(match (v, ty) {
        (Value::Null, &Type::INT8) => Box::new(None::<i64>),
        (Value::Null, &Type::INT4) => Box::new(None::<i32>),
        (Value::Null, &Type::INT2) => Box::new(None::<i16>),
        (Value::Null, &Type::BOOL) => Box::new(None::<bool>),
        (Value::Null, &Type::FLOAT8) => Box::new(None::<f64>),
        (Value::Null, _) if text => Box::new(None::<String>),
        (Value::Int(i), &Type::INT8) => Box::new(*i),
        (Value::Int(i), &Type::INT4) => Box::new(
            i32::try_from(*i).with_context(|| format!("${n} = {i} does not fit an INTEGER"))?,
        ),
        (Value::Int(i), &Type::INT2) => Box::new(
            i16::try_from(*i).with_context(|| format!("${n} = {i} does not fit a SMALLINT"))?,
        ),
        (Value::Int(i), &Type::BOOL) => Box::new(*i != 0),
        (Value::Int(i), &Type::FLOAT8) => Box::new(*i as f64),
        (Value::Int(i), _) if text => Box::new(i.to_string()),
        (Value::Text(s), _) if text => Box::new(clean(s).into_owned()),
        (v, ty) => bail!("${n}: cannot bind {v:?} to a parameter of type {ty}"),
    })
}

/// A row as values: integers (and booleans, as 0 or 1) as `Int`, text as `Text`.
fn pg_row(r: &postgres::Row) -> Result<Row> {
    use postgres::types::{FromSql, Type};
    (0..r.len())
        .map(|i| {
            let ty = r.columns()[i].type_();
            let v = match *ty {
                Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Value::Int),
                Type::INT4 => r
                    .try_get::<_, Option<i32>>(i)?
                    .map(|v| Value::Int(v.into())),
                Type::INT2 => r
                    .try_get::<_, Option<i16>>(i)?
                    .map(|v| Value::Int(v.into())),
                Type::BOOL => r
                    .try_get::<_, Option<bool>>(i)?
                    .map(|v| Value::Int(v.into())),
                Type::FLOAT8 => r
                    .try_get::<_, Option<f64>>(i)?
                    .map(|v| Value::Int(v as i64)),
                Type::FLOAT4 => r
                    .try_get::<_, Option<f32>>(i)?
                    .map(|v| Value::Int(v as i64)),
                _ if <String as FromSql>::accepts(ty) => {
                    r.try_get::<_, Option<String>>(i)?.map(Value::Text)
                }
                _ => bail!(
                    "column {} is of type {ty}, which the server does not read",
                    r.columns()[i].name()
                ),
            };
            Ok(v.unwrap_or(Value::Null))
        })
        .collect()
}

/// A PostgreSQL error with what the server said (the `postgres` crate's own message is only
/// "db error") and the start of the statement.
fn pg_error(e: postgres::Error, sql: &str) -> anyhow::Error {
    let mut msg = match e.as_db_error() {
        Some(d) => format!("{}: {} ({})", d.severity(), d.message(), d.code().code()),
        None => {
            let mut m = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                m.push_str(": ");
                m.push_str(&s.to_string());
                source = s.source();
            }
            m
        }
    };
    let head: Vec<&str> = sql.split_whitespace().take(6).collect();
    if !head.is_empty() {
        msg.push_str(&format!(" in `{} …`", head.join(" ")));
    }
    anyhow::anyhow!("PostgreSQL: {msg}")
}

impl Pg {
    fn client(&mut self) -> &mut postgres::Client {
        self.client.as_mut().expect("a PostgreSQL connection")
    }

    /// Runs statements with no parameters (and no rows), as text.
    fn simple(&mut self, sql: &str) -> Result<()> {
        let c = self.client();
        off_runtime(|| c.batch_execute(sql).map_err(|e| pg_error(e, sql)))
    }

    /// The statement, prepared once per connection, and the values bound as its parameters' types.
    fn prepare(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> Result<(postgres::Statement, Vec<PgParam>)> {
        let st = match self.statements.get(sql) {
            Some(st) => st.clone(),
            None => {
                let st = self.client().prepare(sql).map_err(|e| pg_error(e, sql))?;
                if self.statements.len() >= 256 {
                    self.statements.clear();
                }
                self.statements.insert(sql.to_string(), st.clone());
                st
            }
        };
        if st.params().len() != params.len() {
            bail!(
                "{} values for the {} parameters of `{sql}`",
                params.len(),
                st.params().len()
            );
        }
        let bound = params
            .iter()
            .zip(st.params())
            .enumerate()
            .map(|(i, (v, ty))| pg_param(v, ty, i + 1))
            .collect::<Result<Vec<_>>>()
            .with_context(|| format!("binding the parameters of `{sql}`"))?;
        Ok((st, bound))
    }
}

fn pg_refs(p: &[PgParam]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    p.iter().map(|b| b.as_ref()).collect()
}

impl Sql for Pg {
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        off_runtime(|| {
            let (st, p) = self.prepare(sql, params)?;
            self.client()
                .execute(&st, &pg_refs(&p))
                .map_err(|e| pg_error(e, sql))
        })
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        off_runtime(|| {
            let (st, p) = self.prepare(sql, params)?;
            let rows = self
                .client()
                .query(&st, &pg_refs(&p))
                .map_err(|e| pg_error(e, sql))?;
            rows.iter().map(pg_row).collect()
        })
    }
    fn batch(&mut self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()> {
        self.simple("BEGIN")?;
        match f(self) {
            Ok(()) => self.simple("COMMIT"),
            Err(e) => {
                let _ = self.simple("ROLLBACK");
                Err(e)
            }
        }
    }
    fn usable(&self) -> bool {
        self.client.as_ref().is_some_and(|c| !c.is_closed())
    }
}

/// The schema; `{id}` is the auto-numbered key of each database.
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS accounts (
        id {id}, email TEXT NOT NULL UNIQUE, role TEXT NOT NULL, person TEXT,
        identified BIGINT NOT NULL DEFAULT 0, password TEXT, disabled BIGINT NOT NULL DEFAULT 0,
        created BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS invites (
        token TEXT PRIMARY KEY, account BIGINT NOT NULL, expires BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sessions (
        token TEXT PRIMARY KEY, account BIGINT NOT NULL, csrf TEXT NOT NULL,
        created BIGINT NOT NULL, seen BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS failures (email TEXT NOT NULL, at BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS failures_email ON failures (email, at)",
    "CREATE TABLE IF NOT EXISTS audit (
        id {id}, at BIGINT NOT NULL, viewer TEXT NOT NULL, action TEXT NOT NULL,
        subject TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS jobs (
        id {id}, kind TEXT NOT NULL, what TEXT NOT NULL, state TEXT NOT NULL,
        stage TEXT NOT NULL, done BIGINT NOT NULL, total BIGINT NOT NULL, message TEXT NOT NULL,
        by_whom TEXT NOT NULL, created BIGINT NOT NULL, finished BIGINT)",
    "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    // A person's own journal: what happened with whom, on which day (never what was said).
    "CREATE TABLE IF NOT EXISTS journal (
        id {id}, account BIGINT NOT NULL, day BIGINT NOT NULL, other TEXT NOT NULL,
        what TEXT NOT NULL, created BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS journal_account ON journal (account, day)",
    // Survey campaigns: invitees by the hash of their link's token; raw answers are read only
    // to turn them into the workspace's survey answers at close (no page, API or export).
    "CREATE TABLE IF NOT EXISTS campaigns (
        id {id}, name TEXT NOT NULL, scope TEXT NOT NULL, questions TEXT NOT NULL,
        opens BIGINT NOT NULL, closes BIGINT NOT NULL, min_respondents BIGINT NOT NULL,
        match_interactions BIGINT NOT NULL, state TEXT NOT NULL, by_whom TEXT NOT NULL,
        created BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS invitees (
        campaign BIGINT NOT NULL, person TEXT NOT NULL, token TEXT NOT NULL UNIQUE,
        saved BIGINT, submitted BIGINT, PRIMARY KEY (campaign, person))",
    "CREATE TABLE IF NOT EXISTS responses (
        campaign BIGINT NOT NULL, respondent TEXT NOT NULL, question TEXT NOT NULL,
        colleague TEXT NOT NULL, weight BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS responses_respondent ON responses (campaign, respondent)",
    // What a closed campaign's answers add up to, computed once at the close (the raw answers
    // are then deleted): per group and question, counts a share or a mean is made of.
    "CREATE TABLE IF NOT EXISTS campaign_results (
        campaign BIGINT NOT NULL, grp TEXT NOT NULL, question TEXT NOT NULL,
        measure TEXT NOT NULL, n BIGINT NOT NULL, k BIGINT NOT NULL, k2 BIGINT NOT NULL,
        PRIMARY KEY (campaign, grp, question, measure))",
    // Per person and question: by how many respondents (of how many who could) they were
    // named. Shown only to that person.
    "CREATE TABLE IF NOT EXISTS campaign_people (
        campaign BIGINT NOT NULL, person TEXT NOT NULL, question TEXT NOT NULL,
        named_by BIGINT NOT NULL, of_respondents BIGINT NOT NULL,
        PRIMARY KEY (campaign, person, question))",
];

/// An account.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
    /// admin, analyst, leader or member.
    pub role: String,
    /// The pseudonym of the person the account is linked to (at most one).
    pub person: Option<String>,
    /// An analyst an admin allowed to see identities.
    pub identified: bool,
    #[serde(skip)]
    pub password: Option<String>,
    pub disabled: bool,
    pub created: i64,
}

const ACCOUNT_COLUMNS: &str = "id, email, role, person, identified, password, disabled, created";

fn account(r: &Row) -> Account {
    Account {
        id: r[0].int(),
        email: r[1].text(),
        role: r[2].text(),
        person: r[3].opt_text(),
        identified: r[4].int() != 0,
        password: r[5].opt_text(),
        disabled: r[6].int() != 0,
        created: r[7].int(),
    }
}

impl Account {
    /// disabled, invited (no password yet) or active.
    pub fn state(&self) -> &'static str {
        if self.disabled {
            "disabled"
        } else if self.password.is_none() {
            "invited"
        } else {
            "active"
        }
    }
}

/// A signed-in session.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub account: i64,
    pub csrf: String,
    pub created: i64,
    pub seen: i64,
}

/// One line of the access log.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub viewer: String,
    pub action: String,
    pub subject: String,
}

/// One entry of a person's journal.
#[derive(Clone, Debug, serde::Serialize)]
pub struct JournalEntry {
    pub id: i64,
    /// Days since 1970-01-01.
    pub day: i64,
    /// The colleague's pseudonym.
    pub other: String,
    /// One of [`JOURNAL_KINDS`].
    pub what: String,
    pub created: i64,
}

/// What a journal entry records (who did what to whom is in the word: "asked" is the author
/// asking the colleague).
pub const JOURNAL_KINDS: &[(&str, &str)] = &[
    ("asked", "I asked them for something"),
    ("helped", "I helped them"),
    ("declined", "I turned down a request of theirs"),
    ("was_declined", "They turned down a request of mine"),
    ("gave_feedback", "I gave them feedback"),
    ("asked_feedback", "I asked them for feedback"),
    ("met", "We met"),
    ("introduced", "I introduced them to someone"),
];

/// A survey campaign with its response counts.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    /// `all`, `department:NAME`, or `list`.
    pub scope: String,
    /// Question words, comma-separated.
    pub questions: String,
    /// Days since 1970-01-01.
    pub opens: i64,
    pub closes: i64,
    pub min_respondents: i64,
    pub match_interactions: bool,
    /// open, closed.
    pub state: String,
    pub by: String,
    pub created: i64,
    pub invited: i64,
    pub submitted: i64,
    /// Saved but not submitted.
    pub partial: i64,
}

/// Counts a closed campaign's result is made of: a share is `k` of `n`; a mean is `k / n` with
/// `k2` the sum of squares (for its spread).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ResultRow {
    /// `everyone` or a department's name.
    pub group: String,
    /// A question word, or `*` for what is not about one question.
    pub question: String,
    pub measure: String,
    pub n: i64,
    pub k: i64,
    pub k2: i64,
}

/// By how many respondents a person was named under one question, of how many could have.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PersonResult {
    pub person: String,
    pub question: String,
    pub named_by: i64,
    pub of: i64,
}

/// A background job.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Job {
    pub id: i64,
    /// ingest or analyze.
    pub kind: String,
    pub what: String,
    /// queued, running, done or failed.
    pub state: String,
    pub stage: String,
    pub done: i64,
    pub total: i64,
    pub message: String,
    pub by: String,
    pub created: i64,
    pub finished: Option<i64>,
}

/// At most this many connections are open at once; a request waits for a free one (a burst
/// of requests then queues instead of opening a connection each).
const POOL_SIZE: usize = 24;

/// The pool's idle connections and how many are open in all.
struct Pool {
    idle: Vec<Box<dyn Sql>>,
    open: usize,
}

/// The server's database: a bounded pool of connections.
pub struct Db {
    pool: Mutex<Pool>,
    freed: std::sync::Condvar,
    open: Box<dyn Fn() -> Result<Box<dyn Sql>> + Send + Sync>,
    /// Where it is, for messages (the URL without its password).
    pub label: String,
}

impl Db {
    /// The embedded database at `path` (made if missing).
    pub fn sqlite(path: &Path) -> Result<Db> {
        let p = path.to_path_buf();
        let open = move || -> Result<Box<dyn Sql>> {
            let c = rusqlite::Connection::open(&p)
                .with_context(|| format!("opening the server database {}", p.display()))?;
            c.busy_timeout(std::time::Duration::from_secs(10))?;
            c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;")?;
            Ok(Box::new(Lite(c)))
        };
        let first = open()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        let db = Db {
            pool: Mutex::new(Pool {
                idle: vec![first],
                open: 1,
            }),
            freed: std::sync::Condvar::new(),
            open: Box::new(open),
            label: path.display().to_string(),
        };
        db.migrate("INTEGER PRIMARY KEY AUTOINCREMENT", None)?;
        Ok(db)
    }

    /// A PostgreSQL database (`postgres://user@host:port/db`, or any connection string the
    /// `postgres` crate reads; without TLS). Unless the URL says otherwise, connecting gives up
    /// after 10 seconds and the server calls itself `orgmirror-server`.
    pub fn postgres(url: &str) -> Result<Db> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| anyhow::anyhow!("{}: {e}", redact(url)))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("orgmirror-server");
        }
        let label = redact(url);
        let open = move || -> Result<Box<dyn Sql>> {
            let client = off_runtime(|| config.connect(postgres::NoTls))
                .map_err(|e| pg_error(e, ""))
                .with_context(|| format!("connecting to {label}"))?;
            Ok(Box::new(Pg {
                client: Some(client),
                statements: Default::default(),
            }))
        };
        let first = open()?;
        let db = Db {
            pool: Mutex::new(Pool {
                idle: vec![first],
                open: 1,
            }),
            freed: std::sync::Condvar::new(),
            open: Box::new(open),
            label: redact(url),
        };
        // Servers (or tests) starting at once on one database make the schema one at a time:
        // concurrent `CREATE TABLE IF NOT EXISTS` can fail on PostgreSQL.
        db.migrate(
            "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            Some("SELECT pg_advisory_xact_lock(7306694915174446445)"),
        )?;
        Ok(db)
    }

    /// Opens the database a `--database` value names: a PostgreSQL URL, or (None) the embedded
    /// file in the workspace.
    pub fn open(url: Option<&str>, workspace: &Path) -> Result<Db> {
        match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Db::postgres(u)
            }
            Some(u) if u.starts_with("sqlite:") => Db::sqlite(Path::new(&u["sqlite:".len()..])),
            Some(u) => bail!(
                "--database {}: give a postgres://user@host:port/database URL or sqlite:PATH",
                redact(u)
            ),
            None => Db::sqlite(&workspace.join(".orgmirror").join("server.sqlite")),
        }
    }

    /// Makes the tables (in one transaction, after `lock` if given).
    fn migrate(&self, id: &str, lock: Option<&str>) -> Result<()> {
        self.with(|c| {
            c.batch(&mut |c| {
                if let Some(lock) = lock {
                    c.exec(lock, &[])?;
                }
                for s in SCHEMA {
                    c.exec(&s.replace("{id}", id), &[])?;
                }
                Ok(())
            })
        })
    }

    /// Runs `f` on a pooled connection: an idle one, a new one while fewer than [`POOL_SIZE`]
    /// are open, else the next one freed. A wait longer than ten seconds opens one more all
    /// the same, so that a caller holding a connection can never wait on itself.
    fn with<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let mut c = {
            let mut pool = self.pool.lock().expect("pool");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                if let Some(c) = pool.idle.pop() {
                    break c;
                }
                let now = std::time::Instant::now();
                if pool.open < POOL_SIZE || now >= deadline {
                    pool.open += 1;
                    drop(pool);
                    match (self.open)() {
                        Ok(c) => break c,
                        Err(e) => {
                            self.pool.lock().expect("pool").open -= 1;
                            self.freed.notify_one();
                            return Err(e);
                        }
                    }
                }
                pool = self
                    .freed
                    .wait_timeout(pool, deadline - now)
                    .expect("pool")
                    .0;
            }
        };
        let out = f(c.as_mut());
        let mut pool = self.pool.lock().expect("pool");
        if c.usable() && pool.idle.len() < POOL_SIZE {
            pool.idle.push(c);
        } else {
            pool.open -= 1;
        }
        drop(pool);
        self.freed.notify_one();
        out
    }

    // Accounts.

    pub fn add_account(
        &self,
        email: &str,
        role: &str,
        person: Option<&str>,
        now: i64,
    ) -> Result<Account> {
        let email = normalize_email(email)?;
        self.with(|c| {
            // One statement, so two requests adding one address at once get one account and
            // one "exists already" (not a constraint error).
            let added = c.exec(
                "INSERT INTO accounts (email, role, person, created) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (email) DO NOTHING",
                &[
                    email.as_str().into(),
                    role.into(),
                    person.map(str::to_string).into(),
                    now.into(),
                ],
            )?;
            if added == 0 {
                bail!("an account for {email} exists already");
            }
            Ok(())
        })?;
        self.account(&email)?.context("the account just added")
    }

    pub fn account(&self, email: &str) -> Result<Option<Account>> {
        let email = email.trim().to_ascii_lowercase();
        self.with(|c| {
            Ok(c.query(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1"),
                &[email.into()],
            )?
            .first()
            .map(account))
        })
    }

    pub fn account_by_id(&self, id: i64) -> Result<Option<Account>> {
        self.with(|c| {
            Ok(c.query(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"),
                &[id.into()],
            )?
            .first()
            .map(account))
        })
    }

    /// Every account, by e-mail address (in byte order on both databases: PostgreSQL's
    /// `ORDER BY` follows the database's locale).
    pub fn accounts(&self) -> Result<Vec<Account>> {
        let mut all: Vec<Account> = self.with(|c| {
            Ok(
                c.query(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts"), &[])?
                    .iter()
                    .map(account)
                    .collect(),
            )
        })?;
        all.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(all)
    }

    pub fn set_password(&self, id: i64, hash: &str) -> Result<()> {
        self.with(|c| {
            c.batch(&mut |c| {
                c.exec(
                    "UPDATE accounts SET password = $1 WHERE id = $2",
                    &[hash.into(), id.into()],
                )?;
                // A new password ends every session of the account.
                c.exec("DELETE FROM sessions WHERE account = $1", &[id.into()])?;
                Ok(())
            })
        })
    }

    pub fn set_disabled(&self, id: i64, disabled: bool) -> Result<()> {
        self.with(|c| {
            c.batch(&mut |c| {
                c.exec(
                    "UPDATE accounts SET disabled = $1 WHERE id = $2",
                    &[disabled.into(), id.into()],
                )?;
                c.exec("DELETE FROM sessions WHERE account = $1", &[id.into()])?;
                Ok(())
            })
        })
    }

    pub fn set_identified(&self, id: i64, identified: bool) -> Result<()> {
        self.with(|c| {
            c.exec(
                "UPDATE accounts SET identified = $1 WHERE id = $2",
                &[identified.into(), id.into()],
            )?;
            Ok(())
        })
    }

    pub fn remove_account(&self, id: i64) -> Result<bool> {
        self.with(|c| {
            let mut n = 0;
            c.batch(&mut |c| {
                c.exec("DELETE FROM sessions WHERE account = $1", &[id.into()])?;
                c.exec("DELETE FROM invites WHERE account = $1", &[id.into()])?;
                c.exec("DELETE FROM journal WHERE account = $1", &[id.into()])?;
                n = c.exec("DELETE FROM accounts WHERE id = $1", &[id.into()])?;
                Ok(())
            })?;
            Ok(n > 0)
        })
    }

    // Invitations (stored by the hash of their token).

    pub fn add_invite(&self, token_hash: &str, account: i64, expires: i64) -> Result<()> {
        self.with(|c| {
            c.batch(&mut |c| {
                c.exec("DELETE FROM invites WHERE account = $1", &[account.into()])?;
                c.exec(
                    "INSERT INTO invites (token, account, expires) VALUES ($1, $2, $3)",
                    &[token_hash.into(), account.into(), expires.into()],
                )?;
                Ok(())
            })
        })
    }

    /// The account an unexpired invitation is for (the invitation stays until it is used).
    pub fn invite(&self, token_hash: &str, now: i64) -> Result<Option<i64>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT account FROM invites WHERE token = $1 AND expires > $2",
                &[token_hash.into(), now.into()],
            )?
            .first()
            .map(|r| r[0].int()))
        })
    }

    pub fn use_invite(&self, token_hash: &str) -> Result<()> {
        self.with(|c| {
            c.exec("DELETE FROM invites WHERE token = $1", &[token_hash.into()])?;
            Ok(())
        })
    }

    // Sessions (stored by the hash of their token).

    pub fn add_session(&self, token_hash: &str, account: i64, csrf: &str, now: i64) -> Result<()> {
        self.with(|c| {
            c.exec(
                "INSERT INTO sessions (token, account, csrf, created, seen) VALUES ($1, $2, $3, $4, $4)",
                &[token_hash.into(), account.into(), csrf.into(), now.into()],
            )?;
            Ok(())
        })
    }

    pub fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT account, csrf, created, seen FROM sessions WHERE token = $1",
                &[token_hash.into()],
            )?
            .first()
            .map(|r| SessionRow {
                account: r[0].int(),
                csrf: r[1].text(),
                created: r[2].int(),
                seen: r[3].int(),
            }))
        })
    }

    pub fn touch_session(&self, token_hash: &str, now: i64) -> Result<()> {
        self.with(|c| {
            c.exec(
                "UPDATE sessions SET seen = $1 WHERE token = $2",
                &[now.into(), token_hash.into()],
            )?;
            Ok(())
        })
    }

    pub fn end_session(&self, token_hash: &str) -> Result<()> {
        self.with(|c| {
            c.exec(
                "DELETE FROM sessions WHERE token = $1",
                &[token_hash.into()],
            )?;
            Ok(())
        })
    }

    /// Removes sessions idle since `idle_before` or made before `made_before`.
    pub fn expire_sessions(&self, idle_before: i64, made_before: i64) -> Result<u64> {
        self.with(|c| {
            c.exec(
                "DELETE FROM sessions WHERE seen < $1 OR created < $2",
                &[idle_before.into(), made_before.into()],
            )
        })
    }

    // Failed sign-ins.

    pub fn add_failure(&self, email: &str, now: i64) -> Result<()> {
        self.with(|c| {
            c.exec(
                "INSERT INTO failures (email, at) VALUES ($1, $2)",
                &[email.to_ascii_lowercase().into(), now.into()],
            )?;
            Ok(())
        })
    }

    /// Failed sign-ins for `email` since `since`, and the time of the latest.
    pub fn failures(&self, email: &str, since: i64) -> Result<(i64, i64)> {
        self.with(|c| {
            let r = c.query(
                "SELECT COUNT(*), COALESCE(MAX(at), 0) FROM failures WHERE email = $1 AND at >= $2",
                &[email.to_ascii_lowercase().into(), since.into()],
            )?;
            Ok(r.first().map_or((0, 0), |r| (r[0].int(), r[1].int())))
        })
    }

    pub fn clear_failures(&self, email: &str) -> Result<()> {
        self.with(|c| {
            c.exec(
                "DELETE FROM failures WHERE email = $1",
                &[email.to_ascii_lowercase().into()],
            )?;
            Ok(())
        })
    }

    // The access log.

    /// Appends lines in one transaction (a group commit of many requests' records).
    pub fn audit(&self, lines: &[(i64, String, String, String)]) -> Result<()> {
        self.with(|c| {
            c.batch(&mut |c| {
                for (at, viewer, action, subject) in lines {
                    c.exec(
                        "INSERT INTO audit (at, viewer, action, subject) VALUES ($1, $2, $3, $4)",
                        &[
                            (*at).into(),
                            viewer.as_str().into(),
                            action.as_str().into(),
                            subject.as_str().into(),
                        ],
                    )?;
                }
                Ok(())
            })
        })
    }

    /// The latest `limit` lines before id `before` (newest first), optionally of one viewer.
    pub fn audit_lines(
        &self,
        limit: i64,
        before: Option<i64>,
        viewer: Option<&str>,
    ) -> Result<Vec<AuditRow>> {
        self.with(|c| {
            let rows = c.query(
                "SELECT id, at, viewer, action, subject FROM audit
                 WHERE id < $1 AND (CAST($2 AS TEXT) = '' OR viewer = $2) ORDER BY id DESC LIMIT $3",
                &[
                    before.unwrap_or(i64::MAX).into(),
                    viewer.unwrap_or("").into(),
                    // SQLite reads a negative limit as none, PostgreSQL refuses it.
                    limit.max(0).into(),
                ],
            )?;
            Ok(rows
                .iter()
                .map(|r| AuditRow {
                    id: r[0].int(),
                    at: r[1].int(),
                    viewer: r[2].text(),
                    action: r[3].text(),
                    subject: r[4].text(),
                })
                .collect())
        })
    }

    // Jobs.

    pub fn add_job(&self, kind: &str, what: &str, by: &str, now: i64) -> Result<i64> {
        self.with(|c| {
            let r = c.query(
                "INSERT INTO jobs (kind, what, state, stage, done, total, message, by_whom, created)
                 VALUES ($1, $2, 'queued', '', 0, 0, '', $3, $4) RETURNING id",
                &[kind.into(), what.into(), by.into(), now.into()],
            )?;
            Ok(r.first().context("no job id returned")?[0].int())
        })
    }

    #[allow(clippy::too_many_arguments)] // one per column the job's progress sets
    pub fn update_job(
        &self,
        id: i64,
        state: &str,
        stage: &str,
        done: i64,
        total: i64,
        message: &str,
        finished: Option<i64>,
    ) -> Result<()> {
        self.with(|c| {
            c.exec(
                "UPDATE jobs SET state = $1, stage = $2, done = $3, total = $4, message = $5,
                 finished = $6 WHERE id = $7",
                &[
                    state.into(),
                    stage.into(),
                    done.into(),
                    total.into(),
                    message.into(),
                    finished.map_or(Value::Null, Value::Int),
                    id.into(),
                ],
            )?;
            Ok(())
        })
    }

    pub fn jobs(&self, limit: i64) -> Result<Vec<Job>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT id, kind, what, state, stage, done, total, message, by_whom, created, finished
                 FROM jobs ORDER BY id DESC LIMIT $1",
                &[limit.max(0).into()],
            )?
            .iter()
            .map(|r| Job {
                id: r[0].int(),
                kind: r[1].text(),
                what: r[2].text(),
                state: r[3].text(),
                stage: r[4].text(),
                done: r[5].int(),
                total: r[6].int(),
                message: r[7].text(),
                by: r[8].text(),
                created: r[9].int(),
                finished: match r[10] {
                    Value::Null => None,
                    ref v => Some(v.int()),
                },
            })
            .collect())
        })
    }

    /// Marks jobs a stopped server left running as failed.
    pub fn abandon_jobs(&self, now: i64) -> Result<()> {
        self.with(|c| {
            c.exec(
                "UPDATE jobs SET state = 'failed', message = 'the server stopped during the job', finished = $1
                 WHERE state IN ('queued', 'running')",
                &[now.into()],
            )?;
            Ok(())
        })
    }

    // Journals: every statement is scoped to the author's account.

    pub fn add_journal(
        &self,
        account: i64,
        day: i64,
        other: &str,
        what: &str,
        now: i64,
    ) -> Result<i64> {
        self.with(|c| {
            let r = c.query(
                "INSERT INTO journal (account, day, other, what, created) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[account.into(), day.into(), other.into(), what.into(), now.into()],
            )?;
            Ok(r.first().context("no journal id returned")?[0].int())
        })
    }

    /// An author's entries, newest day first.
    pub fn journal(&self, account: i64) -> Result<Vec<JournalEntry>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT id, day, other, what, created FROM journal WHERE account = $1 ORDER BY day DESC, id DESC",
                &[account.into()],
            )?
            .iter()
            .map(|r| JournalEntry {
                id: r[0].int(),
                day: r[1].int(),
                other: r[2].text(),
                what: r[3].text(),
                created: r[4].int(),
            })
            .collect())
        })
    }

    /// Deletes one of an author's entries (another author's id deletes nothing).
    pub fn delete_journal(&self, account: i64, id: i64) -> Result<bool> {
        self.with(|c| {
            Ok(c.exec(
                "DELETE FROM journal WHERE id = $1 AND account = $2",
                &[id.into(), account.into()],
            )? > 0)
        })
    }

    /// Deletes all of an author's entries; returns how many.
    pub fn clear_journal(&self, account: i64) -> Result<u64> {
        self.with(|c| c.exec("DELETE FROM journal WHERE account = $1", &[account.into()]))
    }

    // Survey campaigns.

    #[allow(clippy::too_many_arguments)]
    pub fn add_campaign(
        &self,
        name: &str,
        scope: &str,
        questions: &str,
        opens: i64,
        closes: i64,
        min_respondents: i64,
        match_interactions: bool,
        by: &str,
        now: i64,
    ) -> Result<i64> {
        self.with(|c| {
            let r = c.query(
                "INSERT INTO campaigns (name, scope, questions, opens, closes, min_respondents,
                 match_interactions, state, by_whom, created)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9) RETURNING id",
                &[
                    name.into(),
                    scope.into(),
                    questions.into(),
                    opens.into(),
                    closes.into(),
                    min_respondents.into(),
                    match_interactions.into(),
                    by.into(),
                    now.into(),
                ],
            )?;
            Ok(r.first().context("no campaign id returned")?[0].int())
        })
    }

    pub fn campaigns(&self) -> Result<Vec<Campaign>> {
        self.campaigns_where("", &[])
    }

    fn campaigns_where(&self, filter: &str, params: &[Value]) -> Result<Vec<Campaign>> {
        self.with(|c| {
            Ok(c.query(
                &format!(
                    "SELECT id, name, scope, questions, opens, closes, min_respondents,
                 match_interactions, state, by_whom, created,
                 (SELECT COUNT(*) FROM invitees i WHERE i.campaign = campaigns.id),
                 (SELECT COUNT(*) FROM invitees i WHERE i.campaign = campaigns.id AND i.submitted IS NOT NULL),
                 (SELECT COUNT(*) FROM invitees i WHERE i.campaign = campaigns.id AND i.saved IS NOT NULL AND i.submitted IS NULL)
                 FROM campaigns {filter} ORDER BY id DESC"
                ),
                params,
            )?
            .iter()
            .map(|r| Campaign {
                id: r[0].int(),
                name: r[1].text(),
                scope: r[2].text(),
                questions: r[3].text(),
                opens: r[4].int(),
                closes: r[5].int(),
                min_respondents: r[6].int(),
                match_interactions: r[7].int() != 0,
                state: r[8].text(),
                by: r[9].text(),
                created: r[10].int(),
                invited: r[11].int(),
                submitted: r[12].int(),
                partial: r[13].int(),
            })
            .collect())
        })
    }

    pub fn campaign(&self, id: i64) -> Result<Option<Campaign>> {
        Ok(self
            .campaigns_where("WHERE id = $1", &[id.into()])?
            .into_iter()
            .next())
    }

    pub fn set_campaign_state(&self, id: i64, state: &str) -> Result<()> {
        self.with(|c| {
            c.exec(
                "UPDATE campaigns SET state = $1 WHERE id = $2",
                &[state.into(), id.into()],
            )?;
            Ok(())
        })
    }

    /// Adds invitees (person pseudonym, token hash); existing ones are kept.
    pub fn add_invitees(&self, campaign: i64, invitees: &[(String, String)]) -> Result<()> {
        self.with(|c| {
            c.batch(&mut |c| {
                for (person, token) in invitees {
                    c.exec(
                        "INSERT INTO invitees (campaign, person, token) VALUES ($1, $2, $3)
                         ON CONFLICT (campaign, person) DO NOTHING",
                        &[
                            campaign.into(),
                            person.as_str().into(),
                            token.as_str().into(),
                        ],
                    )?;
                }
                Ok(())
            })
        })
    }

    /// The campaign and person a link's token hash belongs to.
    pub fn invitee(&self, token_hash: &str) -> Result<Option<(i64, String, Option<i64>)>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT campaign, person, submitted FROM invitees WHERE token = $1",
                &[token_hash.into()],
            )?
            .first()
            .map(|r| {
                let submitted = match r[2] {
                    Value::Null => None,
                    ref v => Some(v.int()),
                };
                (r[0].int(), r[1].text(), submitted)
            }))
        })
    }

    /// The invitees of a campaign with whether they have answered (never what).
    pub fn invitees(&self, campaign: i64) -> Result<Vec<(String, bool)>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT person, submitted FROM invitees WHERE campaign = $1 ORDER BY person",
                &[campaign.into()],
            )?
            .iter()
            .map(|r| (r[0].text(), r[1] != Value::Null))
            .collect())
        })
    }

    /// Replaces a respondent's answers (save, or submit when `submit`).
    pub fn save_responses(
        &self,
        campaign: i64,
        respondent: &str,
        answers: &[(String, String, i64)],
        submit: bool,
        now: i64,
    ) -> Result<()> {
        self.with(|c| {
            c.batch(&mut |c| {
                c.exec(
                    "DELETE FROM responses WHERE campaign = $1 AND respondent = $2",
                    &[campaign.into(), respondent.into()],
                )?;
                for (q, colleague, w) in answers {
                    c.exec(
                        "INSERT INTO responses (campaign, respondent, question, colleague, weight)
                         VALUES ($1, $2, $3, $4, $5)",
                        &[
                            campaign.into(),
                            respondent.into(),
                            q.as_str().into(),
                            colleague.as_str().into(),
                            (*w).into(),
                        ],
                    )?;
                }
                c.exec(
                    "UPDATE invitees SET saved = $1, submitted = CASE WHEN $2 = 1 THEN $1 ELSE submitted END
                     WHERE campaign = $3 AND person = $4",
                    &[now.into(), submit.into(), campaign.into(), respondent.into()],
                )?;
                Ok(())
            })
        })
    }

    /// A respondent's own answers (for their form, and for nobody else).
    pub fn own_responses(
        &self,
        campaign: i64,
        respondent: &str,
    ) -> Result<Vec<(String, String, i64)>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT question, colleague, weight FROM responses WHERE campaign = $1 AND respondent = $2
                 ORDER BY question, colleague",
                &[campaign.into(), respondent.into()],
            )?
            .iter()
            .map(|r| (r[0].text(), r[1].text(), r[2].int()))
            .collect())
        })
    }

    /// Every answer of a campaign, for turning them into the workspace's survey answers at close.
    pub fn campaign_responses(&self, campaign: i64) -> Result<Vec<(String, String, String, i64)>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT respondent, question, colleague, weight FROM responses WHERE campaign = $1
                 ORDER BY respondent, question, colleague",
                &[campaign.into()],
            )?
            .iter()
            .map(|r| (r[0].text(), r[1].text(), r[2].text(), r[3].int()))
            .collect())
        })
    }

    /// Deletes a campaign's raw answers (once they are stored in the workspace, or when the
    /// campaign closed with too few respondents); returns how many rows went.
    pub fn delete_responses(&self, campaign: i64) -> Result<u64> {
        self.with(|c| {
            c.exec(
                "DELETE FROM responses WHERE campaign = $1",
                &[campaign.into()],
            )
        })
    }

    /// How many raw answers a campaign still holds (counts only).
    pub fn response_count(&self, campaign: i64) -> Result<i64> {
        self.with(|c| {
            Ok(c.query(
                "SELECT COUNT(*) FROM responses WHERE campaign = $1",
                &[campaign.into()],
            )?
            .first()
            .map_or(0, |r| r[0].int()))
        })
    }

    /// Stores a closed campaign's results (replacing any earlier ones).
    pub fn set_campaign_results(
        &self,
        campaign: i64,
        rows: &[ResultRow],
        people: &[PersonResult],
    ) -> Result<()> {
        self.with(|c| {
            c.batch(&mut |c| {
                c.exec(
                    "DELETE FROM campaign_results WHERE campaign = $1",
                    &[campaign.into()],
                )?;
                c.exec(
                    "DELETE FROM campaign_people WHERE campaign = $1",
                    &[campaign.into()],
                )?;
                for r in rows {
                    c.exec(
                        "INSERT INTO campaign_results (campaign, grp, question, measure, n, k, k2)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        &[
                            campaign.into(),
                            r.group.as_str().into(),
                            r.question.as_str().into(),
                            r.measure.as_str().into(),
                            r.n.into(),
                            r.k.into(),
                            r.k2.into(),
                        ],
                    )?;
                }
                for p in people {
                    c.exec(
                        "INSERT INTO campaign_people (campaign, person, question, named_by, of_respondents)
                         VALUES ($1, $2, $3, $4, $5)",
                        &[
                            campaign.into(),
                            p.person.as_str().into(),
                            p.question.as_str().into(),
                            p.named_by.into(),
                            p.of.into(),
                        ],
                    )?;
                }
                Ok(())
            })
        })
    }

    /// A closed campaign's results (groups under any minimum included: the caller filters).
    pub fn campaign_results(&self, campaign: i64) -> Result<Vec<ResultRow>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT grp, question, measure, n, k, k2 FROM campaign_results WHERE campaign = $1
                 ORDER BY grp, question, measure",
                &[campaign.into()],
            )?
            .iter()
            .map(|r| ResultRow {
                group: r[0].text(),
                question: r[1].text(),
                measure: r[2].text(),
                n: r[3].int(),
                k: r[4].int(),
                k2: r[5].int(),
            })
            .collect())
        })
    }

    /// One person's results in a campaign (for that person only).
    pub fn person_results(&self, campaign: i64, person: &str) -> Result<Vec<PersonResult>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT question, named_by, of_respondents FROM campaign_people
                 WHERE campaign = $1 AND person = $2 ORDER BY question",
                &[campaign.into(), person.into()],
            )?
            .iter()
            .map(|r| PersonResult {
                person: person.to_string(),
                question: r[0].text(),
                named_by: r[1].int(),
                of: r[2].int(),
            })
            .collect())
        })
    }

    // Settings.

    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        self.with(|c| {
            Ok(
                c.query("SELECT value FROM settings WHERE name = $1", &[name.into()])?
                    .first()
                    .map(|r| r[0].text()),
            )
        })
    }

    pub fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        // One statement: a delete and an insert race on PostgreSQL (two at once both insert).
        self.with(|c| {
            c.exec(
                "INSERT INTO settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                &[name.into(), value.into()],
            )?;
            Ok(())
        })
    }
}

/// An e-mail address as accounts key it (trimmed, lower case), or an error naming the problem.
pub fn normalize_email(email: &str) -> Result<String> {
    let e = email.trim().to_ascii_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && !d.is_empty()
                && !d.starts_with('.')
                && !e.contains(char::is_whitespace)
        });
    if !ok {
        bail!("`{email}` is not an e-mail address");
    }
    Ok(e)
}

/// A database URL without its password.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_reads_dollar_parameters_by_number() {
        assert_eq!(lite_sql("SELECT 1"), "SELECT 1");
        assert_eq!(
            lite_sql("UPDATE t SET a = $2 WHERE b = $1 AND c = $10"),
            "UPDATE t SET a = ?2 WHERE b = ?1 AND c = ?10"
        );
        let mut c = Lite(rusqlite::Connection::open_in_memory().unwrap());
        let r = c
            .query("SELECT $2, $1, $2", &["a".into(), 7.into()])
            .unwrap();
        assert_eq!(r, [vec![Value::Int(7), "a".into(), Value::Int(7)]]);
    }
}
