//! Raw survey answers and journal entries are their owner's alone, shown by difference: two
//! servers on copies of one analyzed workspace differ only in what the same respondents answered
//! (same counts, other colleagues and weights) and in what one member's journal holds (same
//! number of entries, other colleagues, kinds and days). Every GET route of the router's table,
//! for every viewer, answers the same on both (after erasing per-request noise by exact, named
//! rules); only the owners' own views may differ, and must. Then the deletions are checked in
//! the database itself, through a connection of the test's own.
//!
//! A new GET route is crawled the moment it is in the table; one with a path parameter this test
//! does not know fails it, naming the route, until [`choices`] says what to fill in.

mod common;

use axum::http::{StatusCode, header};
use common::{EVERYONE, Served, Who};
use server::routes::{ROUTES, Route};
use std::path::Path;
use std::time::{Duration, Instant};

/// Routes that show the journal's author their own journal: the only ones that may differ for
/// the author (and must, while the journal holds entries).
const OWN_JOURNAL: &[&str] = &["/me", "/api/v1/me/journal", "/api/v1/me/journal/export"];

/// The respondent's own form: the only route that may show raw answers, by the respondent's
/// link, before the close.
const OWN_FORM: &str = "/s/{token}";

/// What a path parameter is filled with on one side: the same text on both servers, or an
/// invitee's link token (each server derives its own from its own secret).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Choice {
    Same(String),
    Token(String),
}

/// The people the crawl asks about, on both servers alike.
#[derive(Default)]
struct World {
    campaign: i64,
    leader: String,
    small_leader: String,
    member: String,
    /// Invited, answered nothing.
    bystander: String,
    /// Answered differently on the two servers (sent, then saved only).
    respondents: Vec<String>,
    /// Named by a respondent on either server.
    named: Vec<String>,
}

/// The values the crawl gives a route's path parameter; None for a parameter this test does not
/// know, which fails it (teach it here what the parameter is, and the route is covered).
fn choices(param: &str, w: &World) -> Option<Vec<Choice>> {
    let same = |v: &[&String]| v.iter().map(|p| Choice::Same(p.to_string())).collect();
    Some(match param {
        "name" => vec![Choice::Same("app.css".into())],
        "leader" => same(&[&w.leader, &w.small_leader]),
        // The respondents, the people they named and the journal's author: a person's page is
        // where their answers, or what was said about them, would show.
        "pseudonym" => {
            let mut v: Vec<&String> = vec![&w.member, &w.bystander];
            v.extend(&w.respondents);
            v.extend(&w.named);
            same(&v)
        }
        "table" => app::policy::TABLES
            .iter()
            .map(|t| Choice::Same(t.name.to_string()))
            .collect(),
        "id" => vec![Choice::Same(w.campaign.to_string())],
        // Someone who did not answer, then each respondent (whose own form alone may differ).
        "token" => std::iter::once(&w.bystander)
            .chain(&w.respondents)
            .map(|p| Choice::Token(p.clone()))
            .collect(),
        _ => return None,
    })
}

/// A route's path parameters, in order.
fn params(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|x| x.0))
        .collect()
}

/// Every filling of a route's parameters (all combinations of their choices).
fn fillings(route: &Route, w: &World) -> Vec<Vec<(String, Choice)>> {
    let mut out = vec![Vec::new()];
    for p in params(route.path) {
        let Some(values) = choices(p, w) else {
            panic!(
                "{} {} has the path parameter {{{p}}}, which this test does not know: say in \
                 `choices` (crates/server/tests/raw_answers.rs) what to fill in",
                route.method, route.path
            );
        };
        out = out
            .into_iter()
            .flat_map(|f| {
                values.iter().map(move |v| {
                    let mut f = f.clone();
                    f.push((p.to_string(), v.clone()));
                    f
                })
            })
            .collect();
    }
    out
}

/// One server of the two, with what differs on it by construction.
struct Side {
    s: Served,
    noise: Noise,
    /// Each invitee's link token on this server.
    tokens: Vec<(String, String)>,
}

impl Side {
    fn token(&self, person: &str) -> &str {
        &self
            .tokens
            .iter()
            .find(|t| t.0 == person)
            .unwrap_or_else(|| panic!("{person} is not invited"))
            .1
    }

    fn path(&self, route: &Route, filling: &[(String, Choice)]) -> String {
        let mut path = route.path.to_string();
        for (p, c) in filling {
            let value = match c {
                Choice::Same(v) => v.as_str(),
                Choice::Token(person) => self.token(person),
            };
            path = path.replace(&format!("{{{p}}}"), value);
        }
        path
    }
}

/// What a GET answered, as far as it is compared.
struct Got {
    status: StatusCode,
    /// The headers that carry content (not Set-Cookie, which is per request by design).
    headers: String,
    body: String,
    /// The form token this answer issued (its `om_form` cookie), if any.
    form: Option<String>,
}

async fn fetch(s: &Served, who: Who, path: &str) -> Got {
    let (status, headers, body) = s.get(who, path).await;
    let form = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next()?.strip_prefix("om_form="))
        .find(|v| !v.is_empty())
        .map(str::to_string);
    let shown = [
        header::CONTENT_TYPE,
        header::CONTENT_DISPOSITION,
        header::LOCATION,
    ]
    .iter()
    .map(|h| {
        let v = headers.get(h).and_then(|v| v.to_str().ok()).unwrap_or("");
        format!("{h}: {v}\n")
    })
    .collect();
    Got {
        status,
        headers: shown,
        body,
        form,
    }
}

/// The per-request and per-server noise, erased before two answers are compared. Each rule
/// replaces exact strings known to differ by construction; none can erase a pseudonym, a weight,
/// a question or a day (checked by `the_comparison_tells_one_pseudonym_from_another`).
struct Noise {
    /// Exact strings with their stand-ins:
    /// - each account's session CSRF token (random per sign-in; pages embed it in their forms,
    ///   `/api/v1/me` returns it) → `{csrf}`;
    /// - each account's session cookie value (random per sign-in) → `{session}`;
    /// - each invitee's link token (keyed by the server's own random secret; the invitation
    ///   CSV lists them) → `{invite:PSEUDONYM}`, so who a link belongs to is still compared;
    /// - the workspace's directory and the database's name (each server has its own copy)
    ///   → `{workspace}`, `{database}`.
    secrets: Vec<(String, String)>,
    /// This run began here: times from then to now are when the two servers did the same
    /// thing a moment apart.
    since: i64,
}

impl Noise {
    fn new(s: &Served, tokens: &[(String, String)], since: i64) -> Noise {
        let mut secrets = Vec::new();
        for (_, signed) in &s.signed {
            secrets.push((signed.csrf.clone(), "{csrf}".to_string()));
            let session = signed.cookie.split_once('=').map_or("", |x| x.1);
            secrets.push((session.to_string(), "{session}".to_string()));
        }
        for (person, token) in tokens {
            secrets.push((token.clone(), format!("{{invite:{person}}}")));
        }
        secrets.push((
            s.state.config.workspace.display().to_string(),
            "{workspace}".into(),
        ));
        secrets.push((s.state.db.label.clone(), "{database}".into()));
        if let Some(url) = &s.state.config.database {
            secrets.push((url.clone(), "{database}".into()));
        }
        // Longest first, so that no rule cuts into a longer secret.
        secrets.sort_by_key(|x| std::cmp::Reverse(x.0.len()));
        for (secret, _) in &secrets {
            assert!(
                secret.len() >= 20,
                "a noise string this short could erase content: {secret:?}"
            );
        }
        Noise { secrets, since }
    }

    /// The answer as compared: status, content headers and body, noise erased.
    fn normalize(&self, got: &Got) -> String {
        let mut text = format!("{}\n{}\n{}", got.status, got.headers, got.body);
        // The form token the page itself issued (a fresh random one per page view).
        if let Some(form) = got.form.as_deref().filter(|f| f.len() >= 20) {
            text = text.replace(form, "{form}");
        }
        for (secret, stand_in) in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), stand_in);
            }
        }
        erase_times(&text, self.since, server::auth::now() + 1)
    }
}

/// Replaces every time of this run — seconds since 1970 as a 10-digit number, or as
/// `YYYY-MM-DD hh:mm:ss` (how pages show them) — between `from` and `to` with `{time}`, when it
/// stands alone (no letter or digit on either side: a pseudonym's hex digits are never touched).
fn erase_times(text: &str, from: i64, to: i64) -> String {
    let b = text.as_bytes();
    let alone = |start: usize, end: usize| {
        (start == 0 || !b[start - 1].is_ascii_alphanumeric())
            && (end == b.len() || !b[end].is_ascii_alphanumeric())
    };
    let time_at = |i: usize| -> Option<usize> {
        // `YYYY-MM-DD hh:mm:ss`
        if let Some(s) = text.get(i..i + 19)
            && s.is_ascii()
            && alone(i, i + 19)
            && let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            && t.format("%Y-%m-%d %H:%M:%S").to_string() == s
            && (from..=to).contains(&t.and_utc().timestamp())
        {
            return Some(19);
        }
        // A 10-digit number of seconds.
        if let Some(s) = text.get(i..i + 10)
            && s.bytes().all(|c| c.is_ascii_digit())
            && alone(i, i + 10)
            && s.parse::<i64>().is_ok_and(|t| (from..=to).contains(&t))
        {
            return Some(10);
        }
        None
    };
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && let Some(n) = time_at(i)
        {
            out.push_str(&text[copied..i]);
            out.push_str("{time}");
            i += n;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Where two normalized answers first differ, with some context from each; None when equal.
fn difference(a: &str, b: &str) -> Option<String> {
    if a == b {
        return None;
    }
    let at = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let around = |s: &str| {
        let mut start = at.saturating_sub(120);
        while !s.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + 120).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        s[start..end].to_string()
    };
    Some(format!(
        "first difference at byte {at}:\n  one: …{}…\n  two: …{}…",
        around(a),
        around(b)
    ))
}

/// Compares one request on the two servers: the normalized difference, if any, and the first
/// server's status.
async fn compare(
    one: &Side,
    two: &Side,
    who: Who,
    route: &Route,
    f: &[(String, Choice)],
) -> (Option<String>, StatusCode) {
    let (p1, p2) = (one.path(route, f), two.path(route, f));
    let g1 = fetch(&one.s, who, &p1).await;
    let g2 = fetch(&two.s, who, &p2).await;
    (
        difference(&one.noise.normalize(&g1), &two.noise.normalize(&g2)),
        g1.status,
    )
}

fn day(offset: i64) -> String {
    server::pages::day(server::auth::now().div_euclid(86_400) + offset)
}

/// Copies a directory tree (a workspace: plain files and directories).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A number from the server's database, read through a connection of the test's own (not the
/// server's `Db`): what the store holds, whatever the server's code believes.
fn count_rows(s: &Served, table: &str, column: &str, key: i64) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
    match s.state.config.database.clone() {
        None => {
            let file = s
                .state
                .config
                .workspace
                .join(".orgmirror")
                .join("server.sqlite");
            let c = rusqlite::Connection::open(file).unwrap();
            c.query_row(&sql, [key], |r| r.get(0)).unwrap()
        }
        // The postgres client runs its own runtime: not on a test's async thread.
        Some(url) => std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.query_one(sql.as_str(), &[&key]).unwrap().get::<_, i64>(0)
        })
        .join()
        .unwrap(),
    }
}

/// The workspace's stored survey answers (what a close writes).
fn stored_answers(s: &Served) -> usize {
    let session = app::Session::open(&s.state.config.workspace, "tester").unwrap();
    store::Store::survey_answers(session.store()).unwrap().len()
}

/// Posts a respondent's form (with the form's double-submit token).
async fn answer(s: &Served, token: &str, fields: &str) -> StatusCode {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(format!("/s/{token}"))
        .header(header::HOST, "localhost")
        .header(header::COOKIE, "om_form=f0rm")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!("csrf=f0rm&{fields}")))
        .unwrap();
    s.send(req).await.0
}

/// Adds a journal entry through the API as the member.
async fn journal_add(s: &Served, day: &str, other: &str, what: &str) {
    let token = s.session(Who::Member).unwrap().csrf.clone();
    let body = serde_json::json!({"day": day, "other": other, "what": what}).to_string();
    let req = s
        .request(Who::Member, "POST", "/api/v1/me/journal")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", token)
        .body(axum::body::Body::from(body))
        .unwrap();
    let (status, _, text) = s.send(req).await;
    assert_eq!(status, StatusCode::CREATED, "[{}] {text}", s.database);
}

/// Starts a server on its own copy of the workspace `ws`.
async fn start_on_copy(ws: &Path, into: &Path, database: Option<String>) -> Served {
    copy_tree(ws, into);
    let at = into.to_path_buf();
    Served::start(database, move |cfg| cfg.workspace = at).await
}

/// The invitees of a campaign with their link tokens, from its invitation CSV (as an analyst
/// downloads it), checked against the server's own derivation.
async fn invitations(s: &Served, campaign: i64) -> Vec<(String, String)> {
    let (status, _, csv) = s
        .get(
            Who::Analyst,
            &format!("/surveys/{campaign}/invitations.csv"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let rows = common::invitation_rows(&csv);
    for (person, token) in &rows {
        assert_eq!(
            *token,
            server::survey::invite_token(&s.state.db, campaign, person).unwrap()
        );
    }
    rows
}

/// One side's answers: every respondent names as many colleagues per question on both sides;
/// `side` picks whom (disjoint pools) and how often.
fn answers_of(w: &World, pool: &[String], side: usize) -> Vec<(String, String)> {
    let weights = [["3", "1"], ["4", "2"]][side];
    let mut next = pool.iter();
    let mut name = |me: &str| loop {
        let p = next.next().expect("enough colleagues").clone();
        if p != me {
            return p;
        }
    };
    let mut out = Vec::new();
    for (i, r) in w.respondents.iter().enumerate() {
        let last = i + 1 == w.respondents.len();
        let fields = if last {
            // The last one saves without sending.
            format!("a={}&q=advice&w={}&action=save", name(r), weights[0])
        } else {
            format!(
                "a={}&q=advice&w={}&a={}&q=advice&w={}&a={}&q=trust&w=1&a={}&q=energy&w=1&a=&q=energy&w=1&action=submit",
                name(r),
                weights[0],
                name(r),
                weights[1],
                name(r),
                name(r)
            )
        };
        out.push((r.clone(), fields));
    }
    out
}

/// Starts the two servers and makes them differ only in answers and journal entries.
async fn twins(
    ws: &Path,
    dir: &Path,
    dbs: (Option<String>, Option<String>),
    since: i64,
) -> (Side, Side, World) {
    let one = start_on_copy(ws, &dir.join("workspace-one"), dbs.0).await;
    let two = start_on_copy(ws, &dir.join("workspace-two"), dbs.1).await;
    let label = one.database.clone();
    // One workspace: the same people, pseudonyms and accounts on both.
    assert_eq!(
        (&one.member, &one.leader, &one.small_leader, &one.other),
        (&two.member, &two.leader, &two.small_leader, &two.other)
    );
    let fields = format!(
        "name=Advice+network&department=all&questions=advice%2C+trust%2C+energy&opens={}&closes={}&min_respondents=3",
        day(0),
        day(7)
    );
    let mut campaign = Vec::new();
    for s in [&one, &two] {
        let (status, headers, body) = s.post_form(Who::Analyst, "/surveys", &fields, true).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{label}] {body}");
        let at = headers["location"].to_str().unwrap();
        campaign.push(at.rsplit('/').next().unwrap().parse::<i64>().unwrap());
    }
    assert_eq!(campaign[0], campaign[1]);
    let campaign = campaign[0];
    let tokens = (
        invitations(&one, campaign).await,
        invitations(&two, campaign).await,
    );
    let invited: Vec<&String> = tokens.0.iter().map(|t| &t.0).collect();
    assert_eq!(invited, tokens.1.iter().map(|t| &t.0).collect::<Vec<_>>());
    assert!(invited.contains(&&one.leader) && invited.contains(&&one.small_leader));

    // Respondents: both leaders (signed-in viewers whose own pages must not show their
    // answers) and three more send (the minimum group size); one more saves only. The member
    // keeps a journal instead.
    let accounts = [&one.member, &one.leader, &one.small_leader, &one.other];
    let strangers: Vec<String> = invited
        .iter()
        .filter(|p| !accounts.contains(p))
        .map(|p| p.to_string())
        .collect();
    let mut w = World {
        campaign,
        leader: one.leader.clone(),
        small_leader: one.small_leader.clone(),
        member: one.member.clone(),
        bystander: one.other.clone(),
        respondents: vec![
            one.leader.clone(),
            one.small_leader.clone(),
            strangers[0].clone(),
            strangers[1].clone(),
            strangers[2].clone(),
            strangers[3].clone(),
        ],
        named: Vec::new(),
    };
    // Disjoint pools of colleagues; the member is named on the first side only.
    let rest = &strangers[4..];
    let pools = [
        std::iter::once(one.member.clone())
            .chain(rest[..30].iter().cloned())
            .collect::<Vec<_>>(),
        rest[30..60].to_vec(),
    ];
    for (side, s) in [&one, &two].into_iter().enumerate() {
        let mine = if side == 0 { &tokens.0 } else { &tokens.1 };
        for (respondent, fields) in answers_of(&w, &pools[side], side) {
            let token = &mine.iter().find(|t| t.0 == respondent).unwrap().1;
            assert_eq!(
                answer(s, token, &fields).await,
                StatusCode::OK,
                "[{label}] {fields}"
            );
            for f in fields.split('&') {
                if let Some(p) = f.strip_prefix("a=").filter(|p| !p.is_empty())
                    && !w.named.iter().any(|n| n == p)
                {
                    w.named.push(p.to_string());
                }
            }
        }
    }
    // The member's journal: as many entries on both, about other people, kinds and days (the
    // leaders among them: their pages must not show that they are in someone's journal).
    let entries = [
        [
            ("2024-02-03", &one.leader, "asked"),
            ("2024-02-04", &rest[61], "helped"),
        ],
        [
            ("2024-05-20", &one.small_leader, "met"),
            ("2024-06-01", &rest[62], "was_declined"),
        ],
    ];
    for (s, list) in [&one, &two].into_iter().zip(entries) {
        for (d, other, what) in list {
            journal_add(s, d, other, what).await;
        }
    }
    let sides = [(one, tokens.0), (two, tokens.1)].map(|(s, tokens)| Side {
        noise: Noise::new(&s, &tokens, since),
        s,
        tokens,
    });
    let [one, two] = sides;
    (one, two, w)
}

/// Routes with a path parameter that answer no viewer with content at crawl time, and why;
/// every other route with a parameter must answer someone (else its filling is wrong, and the
/// comparison of two refusals would pass by accident).
const ANSWER_NOBODY: &[(&str, &str)] = &[
    (
        "/invite/{token}",
        "an account's invitation to choose a password: no survey link is one, and no survey \
         answer is behind one",
    ),
    (
        "/api/v1/jobs/{id}",
        "no job runs while the campaign is open; the close's job is read through it afterwards",
    ),
];

/// The comparisons of one crawl: how many, and what went wrong.
#[derive(Default)]
struct Crawl {
    compared: usize,
    routes: usize,
    failures: Vec<String>,
}

/// Every GET route of the table, every filling of its parameters, every viewer.
async fn crawl(one: &Side, two: &Side, w: &World, journal_kept: bool) -> Crawl {
    let mut c = Crawl::default();
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        c.routes += 1;
        let mut answered = false;
        for filling in fillings(route, w) {
            let respondent = filling
                .iter()
                .any(|(_, ch)| matches!(ch, Choice::Token(p) if w.respondents.contains(p)));
            for &who in EVERYONE {
                let owners_view = (route.path == OWN_FORM && respondent)
                    || (journal_kept && who == Who::Member && OWN_JOURNAL.contains(&route.path));
                let (diff, status) = compare(one, two, who, route, &filling).await;
                answered |= status.is_success();
                c.compared += 1;
                let what = format!(
                    "[{}] GET {} as {who:?}",
                    one.s.database,
                    one.path(route, &filling)
                );
                match (owners_view, diff) {
                    (false, Some(d)) => c.failures.push(format!(
                        "{what}: differs between the two servers, so it shows raw answers or journal entries (or another route that shows an owner their own belongs in OWN_JOURNAL / OWN_FORM): {d}"
                    )),
                    (true, None) => c.failures.push(format!(
                        "{what}: the owner's own view is the same on both servers, so the owner does not see their own entries (or the two servers do not differ)"
                    )),
                    _ => {}
                }
            }
        }
        let exempt = ANSWER_NOBODY.iter().any(|x| x.0 == route.path);
        if !params(route.path).is_empty() && answered == exempt {
            c.failures.push(format!(
                "[{}] GET {}: {}",
                one.s.database,
                route.path,
                if exempt {
                    "now answers someone: take it out of ANSWER_NOBODY"
                } else {
                    "answered no viewer with content for any filling of its parameters: the \
                     crawl fills them wrongly (see `choices`), and comparing refusals proves \
                     nothing"
                }
            ));
        }
    }
    c
}

/// Results routes (paths ending in `/results`): for every viewer let through, each answer's lines
/// of results (`lines`, in the API's JSON); with `open`, also that it names nobody at all.
async fn results_answers(side: &Side, w: &World, open: bool) -> Vec<(String, usize)> {
    let everyone = side.s.state.live().unwrap().pseudonyms().to_vec();
    let mut out = Vec::new();
    for route in ROUTES
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/results"))
    {
        for filling in fillings(route, w) {
            for &who in EVERYONE {
                let path = side.path(route, &filling);
                let got = fetch(&side.s, who, &path).await;
                if !got.status.is_success() {
                    continue;
                }
                let what = format!("[{}] GET {path} as {who:?}", side.s.database);
                if open && let Some(p) = everyone.iter().find(|p| got.body.contains(p.as_str())) {
                    panic!("{what}: names {p} before the close: {}", got.body);
                }
                if route.path.starts_with("/api/") {
                    let v: serde_json::Value = serde_json::from_str(&got.body).unwrap();
                    let lines = v["lines"].as_array().unwrap_or_else(|| {
                        panic!(
                            "{what}: no `lines` in the results API's answer; say here what holds \
                             its results: {v}"
                        )
                    });
                    out.push((what, lines.len()));
                }
            }
        }
    }
    out
}

/// Waits for the newest job of `kind` to end, through the API as an admin; its JSON.
async fn wait_for_job(s: &Served, kind: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    let (_, _, list) = s.get(Who::Admin, "/api/v1/jobs").await;
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let id = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["kind"] == kind)
        .unwrap_or_else(|| panic!("[{}] no {kind} job: {list}", s.database))["id"]
        .as_i64()
        .unwrap();
    loop {
        let (_, _, job) = s.get(Who::Admin, &format!("/api/v1/jobs/{id}")).await;
        let job: serde_json::Value = serde_json::from_str(&job).unwrap();
        if job["state"] == "done" || job["state"] == "failed" {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "the {kind} job did not end: {job}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_answers_and_journals_reach_nobody_but_their_owner() {
    let began = Instant::now();
    let since = server::auth::now() - 1;
    // One analyzed workspace, copied for each server (a workspace's pseudonyms are keyed by a
    // random key of its own: two generated workspaces would name everyone differently).
    let (_generated, ws) = common::workspace(150);
    for dbs in common::databases().into_iter().zip(common::databases()) {
        let dir = tempfile::tempdir().unwrap();
        let (one, two, w) = twins(&ws, dir.path(), dbs, since).await;
        let label = one.s.database.clone();
        let member = one
            .s
            .state
            .db
            .account(Who::Member.email())
            .unwrap()
            .unwrap()
            .id;

        // The store holds what differs, on both sides: the crawl below compares something.
        let stored_responses = 5 * 4 + 1;
        for side in [&one, &two] {
            assert_eq!(count_rows(&side.s, "journal", "account", member), 2);
            assert_eq!(
                count_rows(&side.s, "responses", "campaign", w.campaign),
                stored_responses
            );
        }

        // Open campaign: every route, every viewer, the same on both servers but for the
        // owners' own views.
        let c = crawl(&one, &two, &w, true).await;
        assert!(
            c.failures.is_empty(),
            "{} of {} comparisons failed:\n{}",
            c.failures.len(),
            c.compared,
            c.failures.join("\n\n")
        );
        // And the results routes show nothing before the close: no person, no line.
        for side in [&one, &two] {
            let results = results_answers(side, &w, true).await;
            assert!(!results.is_empty(), "[{label}] no results API answered");
            for (what, lines) in results {
                assert_eq!(lines, 0, "{what}: results before the close");
            }
        }
        eprintln!(
            "[{label}] open campaign: {} GET routes, {} comparisons (route × filling × viewer), all as expected ({:.1?} so far)",
            c.routes,
            c.compared,
            began.elapsed()
        );

        // The author deletes their journal, by the page's form on one side and the API on the
        // other: no row of the account remains in the store, and the author's own pages are the
        // same on both sides again.
        let (status, _, body) = one
            .s
            .post_form(Who::Member, "/me/journal/delete", "entry=all", true)
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{label}] {body}");
        let token = two.s.session(Who::Member).unwrap().csrf.clone();
        let req = two
            .s
            .request(Who::Member, "DELETE", "/api/v1/me/journal")
            .header("x-csrf-token", token)
            .body(axum::body::Body::empty())
            .unwrap();
        let (status, _, body) = two.s.send(req).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "{\"deleted\":2}"));
        for side in [&one, &two] {
            assert_eq!(
                count_rows(&side.s, "journal", "account", member),
                0,
                "[{label}] the journal's rows are gone from the store"
            );
        }
        for path in OWN_JOURNAL {
            let route = ROUTES
                .iter()
                .find(|r| r.path == *path && r.method == "GET")
                .unwrap();
            let (d, _) = compare(&one, &two, Who::Member, route, &[]).await;
            assert!(
                d.is_none(),
                "[{label}] {path} after the deletion: {}",
                d.unwrap()
            );
        }

        // An admin closes the campaign on both sides; the answers reach the workspace and the
        // raw answers leave the store.
        let before = (stored_answers(&one.s), stored_answers(&two.s));
        for side in [&one, &two] {
            let (status, _, body) = side
                .s
                .post_form(
                    Who::Admin,
                    &format!("/surveys/{}/close", w.campaign),
                    "x=1",
                    true,
                )
                .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "[{label}] {body}");
            let job = wait_for_job(&side.s, "survey").await;
            assert_eq!(job["state"], "done", "[{label}] {job}");
        }
        let added = (
            stored_answers(&one.s) - before.0,
            stored_answers(&two.s) - before.1,
        );
        // Five sent, four names each (the saved-only answer is not sent, or counts once).
        assert!(added.0 > 0 && added.0 == added.1, "[{label}] {added:?}");
        for side in [&one, &two] {
            // Issue 17: the close deletes the campaign's raw answers once they are stored in the
            // workspace. This assertion waits for that change of the server's close.
            assert_eq!(
                count_rows(&side.s, "responses", "campaign", w.campaign),
                0,
                "[{label}] the campaign's raw answers are still in the store after its close"
            );
        }
        // The results exist now (so "nothing before the close" above was not nothing always).
        for side in [&one, &two] {
            let results = results_answers(side, &w, false).await;
            assert!(
                results.iter().any(|r| r.1 > 0),
                "[{label}] no results after the close: {results:?}"
            );
        }
        // Closed: not even a respondent's own link shows their answers any more.
        let form = ROUTES
            .iter()
            .find(|r| r.path == OWN_FORM && r.method == "GET")
            .unwrap();
        for p in &w.respondents {
            let filling = [("token".to_string(), Choice::Token(p.clone()))];
            let (d, _) = compare(&one, &two, Who::Anonymous, form, &filling).await;
            assert!(
                d.is_none(),
                "[{label}] {p}'s form after the close: {}",
                d.unwrap()
            );
        }
        eprintln!("[{label}] done in {:.1?}", began.elapsed());
    }
}

/// Every GET route's path parameters are known to the crawl (a new one fails here first,
/// naming the route, before any server starts).
#[test]
fn every_get_route_has_its_parameters_filled() {
    let w = World {
        campaign: 1,
        respondents: vec!["r".into()],
        ..Default::default()
    };
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        assert!(!fillings(route, &w).is_empty(), "{}", route.path);
    }
}

/// The normalizer erases noise and nothing else: two answers that differ by one pseudonym (even
/// one whose hex digits look like a time of this run), one weight or one day still differ.
#[test]
fn the_comparison_tells_one_pseudonym_from_another() {
    let now = server::auth::now();
    let noise = |csrf: &str| Noise {
        secrets: vec![(csrf.to_string(), "{csrf}".to_string())],
        since: now - 5,
    };
    let (one, two) = (noise(&"a".repeat(64)), noise(&"b".repeat(64)));
    let page = |csrf: &str, form: &str, person: &str, weight: u8, at: i64| Got {
        status: StatusCode::OK,
        headers: String::new(),
        body: format!(
            "<input name=\"csrf\" value=\"{csrf}\"><input name=\"csrf\" value=\"{form}\"><td>{person}</td><td>{weight}</td><td>2024-02-03</td><td>{}</td><td>{at}</td>",
            server::pages::utc(at)
        ),
        form: Some(form.to_string()),
    };
    // A pseudonym is `p` and 16 hex digits; this one holds the current time in decimal.
    let tricky = format!("p{now}abcdef");
    assert_eq!(tricky.len(), 17);
    let other = "p0123456789abcdef";
    let (c1, c2, f1, f2) = (
        &"a".repeat(64),
        &"b".repeat(64),
        &"c".repeat(64),
        &"d".repeat(64),
    );
    let same = |x: &Got, y: &Got| difference(&one.normalize(x), &two.normalize(y));
    // Noise alone: equal.
    assert_eq!(
        same(
            &page(c1, f1, &tricky, 3, now),
            &page(c2, f2, &tricky, 3, now - 3)
        ),
        None
    );
    // One pseudonym, one weight, one day (outside the run's times): different.
    assert!(same(&page(c1, f1, &tricky, 3, now), &page(c2, f2, other, 3, now)).is_some());
    assert!(same(&page(c1, f1, other, 3, now), &page(c2, f2, other, 4, now)).is_some());
    assert!(
        same(
            &page(c1, f1, other, 3, now - 86_400),
            &page(c2, f2, other, 3, now - 86_401)
        )
        .is_some()
    );
    // The pseudonym that looks like a time survives normalization as it is.
    assert!(
        one.normalize(&page(c1, f1, &tricky, 3, now))
            .contains(&tricky)
    );
    assert_eq!(erase_times(&format!("x{now}"), now, now), format!("x{now}"));
    assert_eq!(erase_times(&format!("{now}1"), now, now), format!("{now}1"));
    assert_eq!(erase_times(&format!("\"{now}\""), now, now), "\"{time}\"");
    // A route that differs is reported, with where.
    let d = difference("<td>p0123456789abcdef</td>", "<td>p0123456789abcdee</td>").unwrap();
    assert!(d.contains("byte 20"), "{d}");
}
