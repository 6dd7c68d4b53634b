//! The server's own records: accounts, invitations, sessions, failed sign-ins, the access log,
//! background jobs and settings. One set of SQL statements runs on the embedded SQLite file (the
//! default, `.orgmirror/server.sqlite` in the workspace) and on PostgreSQL (`--database
//! postgres://…`): statements use `$1`-style parameters, which both accept.

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
}

struct Lite(rusqlite::Connection);

impl Sql for Lite {
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut st = self.0.prepare_cached(sql)?;
        Ok(st.execute(rusqlite::params_from_iter(params.iter().map(lite_value)))? as u64)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut st = self.0.prepare_cached(sql)?;
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
        Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
        Value::Null => rusqlite::types::Value::Null,
    }
}

struct Pg(postgres::Client);

/// A PostgreSQL parameter: every column the server keeps is BIGINT or TEXT.
fn pg_params(params: &[Value]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
            match v {
                Value::Int(i) => Box::new(*i),
                Value::Text(s) => Box::new(s.clone()),
                Value::Null => Box::new(None::<String>),
            }
        })
        .collect()
}

fn pg_rows(rows: Vec<postgres::Row>) -> Vec<Row> {
    use postgres::types::Type;
    rows.into_iter()
        .map(|r| {
            (0..r.len())
                .map(|i| match *r.columns()[i].type_() {
                    Type::INT8 => r.get::<_, Option<i64>>(i).map_or(Value::Null, Value::Int),
                    Type::INT4 => r
                        .get::<_, Option<i32>>(i)
                        .map_or(Value::Null, |v| Value::Int(v as i64)),
                    _ => r
                        .get::<_, Option<String>>(i)
                        .map_or(Value::Null, Value::Text),
                })
                .collect()
        })
        .collect()
}

impl Sql for Pg {
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let p = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            p.iter().map(|b| b.as_ref()).collect();
        Ok(self.0.execute(sql, &refs)?)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let p = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            p.iter().map(|b| b.as_ref()).collect();
        Ok(pg_rows(self.0.query(sql, &refs)?))
    }
    fn batch(&mut self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()> {
        self.0.batch_execute("BEGIN")?;
        match f(self) {
            Ok(()) => Ok(self.0.batch_execute("COMMIT")?),
            Err(e) => {
                let _ = self.0.batch_execute("ROLLBACK");
                Err(e)
            }
        }
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

/// The server's database: a small pool of connections.
pub struct Db {
    pool: Mutex<Vec<Box<dyn Sql>>>,
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
            pool: Mutex::new(vec![first]),
            open: Box::new(open),
            label: path.display().to_string(),
        };
        db.migrate("INTEGER PRIMARY KEY AUTOINCREMENT")?;
        Ok(db)
    }

    /// A PostgreSQL database (`postgres://user@host:port/db`).
    pub fn postgres(url: &str) -> Result<Db> {
        let u = url.to_string();
        let open = move || -> Result<Box<dyn Sql>> {
            let c = postgres::Client::connect(&u, postgres::NoTls)
                .with_context(|| format!("connecting to {}", redact(&u)))?;
            Ok(Box::new(Pg(c)))
        };
        let first = open()?;
        let db = Db {
            pool: Mutex::new(vec![first]),
            open: Box::new(open),
            label: redact(url),
        };
        db.migrate("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")?;
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

    fn migrate(&self, id: &str) -> Result<()> {
        self.with(|c| {
            for s in SCHEMA {
                c.exec(&s.replace("{id}", id), &[])?;
            }
            Ok(())
        })
    }

    /// Runs `f` on a pooled connection (a new one when all are busy; at most 16 are kept).
    fn with<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let taken = self.pool.lock().expect("pool").pop();
        let mut c = match taken {
            Some(c) => c,
            None => (self.open)()?,
        };
        let out = f(c.as_mut());
        let mut pool = self.pool.lock().expect("pool");
        if pool.len() < 16 {
            pool.push(c);
        }
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
            if !c
                .query(
                    "SELECT id FROM accounts WHERE email = $1",
                    &[email.as_str().into()],
                )?
                .is_empty()
            {
                bail!("an account for {email} exists already");
            }
            c.exec(
                "INSERT INTO accounts (email, role, person, created) VALUES ($1, $2, $3, $4)",
                &[
                    email.as_str().into(),
                    role.into(),
                    person.map(str::to_string).into(),
                    now.into(),
                ],
            )?;
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

    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.with(|c| {
            Ok(c.query(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY email"),
                &[],
            )?
            .iter()
            .map(account)
            .collect())
        })
    }

    pub fn set_password(&self, id: i64, hash: &str) -> Result<()> {
        self.with(|c| {
            c.exec(
                "UPDATE accounts SET password = $1 WHERE id = $2",
                &[hash.into(), id.into()],
            )?;
            // A new password ends every session of the account.
            c.exec("DELETE FROM sessions WHERE account = $1", &[id.into()])?;
            Ok(())
        })
    }

    pub fn set_disabled(&self, id: i64, disabled: bool) -> Result<()> {
        self.with(|c| {
            c.exec(
                "UPDATE accounts SET disabled = $1 WHERE id = $2",
                &[disabled.into(), id.into()],
            )?;
            c.exec("DELETE FROM sessions WHERE account = $1", &[id.into()])?;
            Ok(())
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
                n = c.exec("DELETE FROM accounts WHERE id = $1", &[id.into()])?;
                Ok(())
            })?;
            Ok(n > 0)
        })
    }

    // Invitations (stored by the hash of their token).

    pub fn add_invite(&self, token_hash: &str, account: i64, expires: i64) -> Result<()> {
        self.with(|c| {
            c.exec("DELETE FROM invites WHERE account = $1", &[account.into()])?;
            c.exec(
                "INSERT INTO invites (token, account, expires) VALUES ($1, $2, $3)",
                &[token_hash.into(), account.into(), expires.into()],
            )?;
            Ok(())
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
                 WHERE id < $1 AND ($2 = '' OR viewer = $2) ORDER BY id DESC LIMIT $3",
                &[
                    before.unwrap_or(i64::MAX).into(),
                    viewer.unwrap_or("").into(),
                    limit.into(),
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
                &[limit.into()],
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
        self.with(|c| {
            c.batch(&mut |c| {
                c.exec("DELETE FROM settings WHERE name = $1", &[name.into()])?;
                c.exec(
                    "INSERT INTO settings (name, value) VALUES ($1, $2)",
                    &[name.into(), value.into()],
                )?;
                Ok(())
            })
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
