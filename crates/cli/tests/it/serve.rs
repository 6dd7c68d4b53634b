//! `orgmirror user` and `orgmirror serve` as an admin runs them: accounts from the command line,
//! the server on a real socket (plain and TLS), signing in with the invitation's password.

use super::ok;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

/// A generated, analyzed workspace of `people` people over 20 days: the temporary folder, the
/// demo's folder and its workspace.
pub(super) fn demo(people: usize) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let ws = d.join("workspace");
    let (d, ws) = (
        d.to_str().unwrap().to_string(),
        ws.to_str().unwrap().to_string(),
    );
    ok(&[
        "demo",
        "--dir",
        &d,
        "--people",
        &people.to_string(),
        "--days",
        "20",
        "-q",
    ]);
    (dir, d, ws)
}

/// The day `n` days from today (UTC), YYYY-MM-DD.
pub(super) fn in_days(n: u32) -> String {
    let out = Command::new("date")
        .args(["-u", "-d", &format!("+{n} days"), "+%F"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A running `orgmirror serve`, stopped when dropped.
pub(super) struct Server {
    child: Child,
    pub(super) url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `orgmirror serve` on a port of its choosing, with `extra` arguments; what it logs is shown on
/// stderr.
pub(super) fn serve(ws: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orgmirror"))
        .args(["--workspace", ws, "serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .unwrap();
        if let Some(rest) = line.split(" on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep reading its log so that it never blocks on a full pipe; show errors it logs.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            eprintln!("server: {line}");
        }
    });
    Server { child, url }
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "20"])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn accounts_from_the_command_line_and_a_server_on_a_real_socket() {
    let (dir, _, ws) = demo(120);
    let ws = ws.as_str();

    let out = ok(&[
        "--workspace",
        ws,
        "user",
        "add",
        "Admin@Example.org",
        "--role",
        "admin",
        "--base-url",
        "http://mirror.test",
    ]);
    assert!(out.contains("added admin@example.org (admin)"), "{out}");
    let link = out
        .lines()
        .find(|l| l.starts_with("http://mirror.test/invite/"))
        .expect(&out);
    assert_eq!(link.len(), "http://mirror.test/invite/".len() + 64);
    // A member is linked to one person, named by id; the account keeps the pseudonym.
    let out = ok(&[
        "--workspace",
        ws,
        "user",
        "add",
        "m@example.org",
        "--role",
        "member",
        "--person",
        "E000002",
    ]);
    assert!(out.contains("member, person p"), "{out}");
    let bad = super::orgmirror(&[
        "--workspace",
        ws,
        "user",
        "add",
        "x@example.org",
        "--role",
        "member",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("linked to a person"));
    let dup = super::orgmirror(&[
        "--workspace",
        ws,
        "user",
        "add",
        "admin@example.org",
        "--role",
        "analyst",
    ]);
    assert!(String::from_utf8_lossy(&dup.stderr).contains("exists already"));

    // A password from standard input (too short ones refused).
    let set = |email: &str, pw: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_orgmirror"))
            .args(["--workspace", ws, "user", "set-password", email])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(c.stdin.take().unwrap(), "{pw}").unwrap();
        c.wait_with_output().unwrap()
    };
    assert!(!set("m@example.org", "short").status.success());
    assert!(set("m@example.org", "member password 1").status.success());
    assert!(
        set("admin@example.org", "admin password 1")
            .status
            .success()
    );
    let list = ok(&["--workspace", ws, "user", "list"]);
    assert!(
        list.contains("admin@example.org\tadmin\t\tactive")
            && list.contains("m@example.org\tmember\tp"),
        "{list}"
    );

    // The server on a socket: health, sign-in, the member's own mirror, the headers.
    let s = serve(ws, &[]);
    assert_eq!(curl(&[&format!("{}/healthz", s.url)]), "ok");
    let jar = dir.path().join("jar");
    let jar = jar.to_str().unwrap();
    let login = curl(&[
        "-c",
        jar,
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"email":"m@example.org","password":"member password 1"}"#,
        &format!("{}/api/v1/session", s.url),
    ]);
    assert!(login.contains("\"csrf\""), "{login}");
    let mirror = curl(&["-b", jar, &format!("{}/api/v1/me/mirror", s.url)]);
    assert!(mirror.contains("\"sections\""), "{mirror}");
    let head = curl(&[
        "-b",
        jar,
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("{}/me", s.url),
    ]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
    let org = curl(&["-b", jar, &format!("{}/api/v1/org/mirror", s.url)]);
    assert!(org.contains("\"forbidden\""), "{org}");
    drop(s);

    // Disabled accounts cannot sign in.
    ok(&["--workspace", ws, "user", "disable", "m@example.org"]);
    let s = serve(ws, &[]);
    let login = curl(&[
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"email":"m@example.org","password":"member password 1"}"#,
        &format!("{}/api/v1/session", s.url),
    ]);
    assert!(login.contains("wrong_credentials"), "{login}");
    drop(s);

    // HTTPS with a certificate of our own: cookies are Secure and HSTS is sent.
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl makes a test certificate");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let s = serve(
        ws,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(s.url.starts_with("https://"), "{}", s.url);
    let head = curl(&[
        "-k",
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"email":"admin@example.org","password":"admin password 1"}"#,
        &format!("{}/api/v1/session", s.url),
    ]);
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("set-cookie: om_session=") && head.contains("; secure"),
        "{head}"
    );
    assert!(head.contains("strict-transport-security"), "{head}");
    // Plain HTTP to the TLS port gets no answer.
    assert!(!curl(&[&format!("{}/healthz", s.url.replace("https", "http"))]).contains("ok"));
}

#[test]
fn a_survey_campaign_from_the_command_line() {
    let (_dir, _, ws) = demo(80);
    let ws = ws.as_str();
    let closes = in_days(7);
    let out = ok(&[
        "--workspace",
        ws,
        "survey",
        "create",
        "--name",
        "Team advice",
        "--questions",
        "advice,ally",
        "--closes",
        &closes,
    ]);
    assert!(out.starts_with("campaign 1: 80 invited"), "{out}");
    let csv = ok(&[
        "--workspace",
        ws,
        "survey",
        "invite",
        "1",
        "--base-url",
        "http://x.test",
    ]);
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 80);
    assert!(
        rows.iter()
            .all(|r| r[1].starts_with("http://x.test/s/") && r[2] == "false")
    );
    // The links are the same each time they are asked for.
    assert_eq!(
        csv,
        ok(&[
            "--workspace",
            ws,
            "survey",
            "invite",
            "1",
            "--base-url",
            "http://x.test"
        ])
    );

    // Two respondents answer through the server.
    let s = serve(ws, &[]);
    for (i, row) in rows.iter().take(2).enumerate() {
        let token = row[1].rsplit('/').next().unwrap();
        let body = format!(
            "csrf=t&a={}&q=advice&w=2&a={}&q=ally&w=1&action=submit",
            rows[i + 2][0],
            rows[i + 3][0]
        );
        let page = curl(&[
            "-H",
            "cookie: om_form=t",
            "--data",
            &body,
            &format!("{}/s/{token}", s.url),
        ]);
        assert!(page.contains("Thank you"), "{page}");
    }
    drop(s);
    let status = ok(&["--workspace", ws, "survey", "status"]);
    assert!(
        status.contains("\tTeam advice\tall\topen\t2\t80\t0\t5"),
        "{status}"
    );
    // Two respondents are fewer than the campaign's minimum (5): nothing is stored.
    let closed = ok(&["--workspace", ws, "survey", "close", "1", "-q"]);
    assert!(closed.contains("no answers to store"), "{closed}");
    assert!(
        ok(&["--workspace", ws, "survey", "status", "1"])
            .contains("\tclosed: too few respondents\t")
    );
    // A campaign whose minimum is met (never below the workspace's minimum group size, 5) stores
    // its answers and analyzes.
    ok(&[
        "--workspace",
        ws,
        "survey",
        "create",
        "--name",
        "Pair",
        "--closes",
        &closes,
        "--min-respondents",
        "2",
    ]);
    let csv = ok(&["--workspace", ws, "survey", "invite", "2"]);
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let s = serve(ws, &[]);
    for (i, row) in rows.iter().take(5).enumerate() {
        let token = row[1].rsplit('/').next().unwrap();
        let body = format!("csrf=t&a={}&q=advice&w=2&action=submit", rows[i + 5][0]);
        assert!(
            curl(&[
                "-H",
                "cookie: om_form=t",
                "--data",
                &body,
                &format!("{}/s/{token}", s.url)
            ])
            .contains("Thank you")
        );
    }
    drop(s);
    let closed = ok(&["--workspace", ws, "survey", "close", "2", "-q"]);
    assert!(
        closed.contains("campaign 2 closed: 5 answers stored"),
        "{closed}"
    );
    assert!(ok(&["--workspace", ws, "survey", "status", "2"]).contains("\tclosed\t"));
}

/// What the sink received: each message's recipient and text.
type Sunk = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A local SMTP sink: accepts connections and keeps each message's recipient and text.
fn smtp_sink() -> (String, Sunk) {
    use std::io::Read as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let k = kept.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut w) = conn else { break };
            let mut r = BufReader::new(w.try_clone().unwrap());
            let _ = w.write_all(b"220 sink ESMTP\r\n");
            let mut to = String::new();
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                let cmd = line.trim_end().to_string();
                line.clear();
                let up = cmd.to_ascii_uppercase();
                if up.starts_with("EHLO") {
                    let _ = w.write_all(b"250-sink\r\n250 8BITMIME\r\n");
                } else if up.starts_with("RCPT TO:") {
                    to = cmd[8..].trim_matches(['<', '>', ' ']).to_string();
                    let _ = w.write_all(b"250 ok\r\n");
                } else if up == "DATA" {
                    let _ = w.write_all(b"354 go on\r\n");
                    let mut text = String::new();
                    loop {
                        let mut l = String::new();
                        if r.read_line(&mut l).unwrap_or(0) == 0 || l == ".\r\n" {
                            break;
                        }
                        text.push_str(&l);
                    }
                    k.lock().unwrap().push((to.clone(), text));
                    let _ = w.write_all(b"250 queued\r\n");
                } else if up == "QUIT" {
                    let _ = w.write_all(b"221 bye\r\n");
                    break;
                } else {
                    let _ = w.write_all(b"250 ok\r\n");
                }
            }
            let _ = r.read(&mut [0u8; 1]);
        }
    });
    (addr, kept)
}

#[test]
fn invitations_and_reminders_go_through_an_smtp_relay() {
    let (_dir, d, ws) = demo(60);
    let (d, ws) = (d.as_str(), ws.as_str());
    let closes = in_days(7);
    ok(&[
        "--workspace",
        ws,
        "survey",
        "create",
        "--name",
        "Advice",
        "--closes",
        &closes,
    ]);
    let csv = ok(&[
        "--workspace",
        ws,
        "survey",
        "invite",
        "1",
        "--base-url",
        "http://m.test",
    ]);
    let links: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    let (relay, kept) = smtp_sink();
    let out = ok(&[
        "--workspace",
        ws,
        "survey",
        "invite",
        "1",
        "--base-url",
        "http://m.test",
        "--smtp",
        &relay,
        "--from",
        "survey@m.test",
    ]);
    assert!(
        out.starts_with("sent 60 invitations for campaign 1"),
        "{out}"
    );
    let people = std::fs::read_to_string(format!("{d}/input/people.csv")).unwrap();
    {
        let got = kept.lock().unwrap();
        assert_eq!(got.len(), 60);
        for (to, text) in got.iter() {
            assert!(people.contains(to.as_str()), "{to} is someone's address");
            let link = links.iter().filter(|l| text.contains(l.as_str())).count();
            assert_eq!(link, 1, "each message carries exactly one link: {text}");
            assert!(text.contains("Subject: Advice") && !text.contains("password"));
        }
    }
    // One answers; the reminder goes to the other 59.
    let s = serve(ws, &[]);
    let token = links[0].rsplit('/').next().unwrap();
    let other = csv.lines().nth(3).unwrap().split(',').next().unwrap();
    let page = curl(&[
        "-H",
        "cookie: om_form=t",
        "--data",
        &format!("csrf=t&a={other}&q=advice&w=1&action=submit"),
        &format!("{}/s/{token}", s.url),
    ]);
    assert!(page.contains("Thank you"), "{page}");
    drop(s);
    kept.lock().unwrap().clear();
    let out = ok(&[
        "--workspace",
        ws,
        "survey",
        "invite",
        "1",
        "--base-url",
        "http://m.test",
        "--smtp",
        &relay,
        "--from",
        "survey@m.test",
        "--reminder",
    ]);
    assert!(out.starts_with("sent 59 reminders"), "{out}");
    {
        let got = kept.lock().unwrap();
        assert!(got.iter().all(
            |(_, t)| t.contains("Subject: Reminder: Advice") && !t.contains(links[0].as_str())
        ));
    }

    // From the campaign's page: an admin sends reminders through the relay the server names.
    kept.lock().unwrap().clear();
    ok(&[
        "--workspace",
        ws,
        "user",
        "add",
        "admin@m.test",
        "--role",
        "admin",
    ]);
    let mut c = Command::new(env!("CARGO_BIN_EXE_orgmirror"))
        .args(["--workspace", ws, "user", "set-password", "admin@m.test"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(c.stdin.take().unwrap(), "admin password 1").unwrap();
    assert!(c.wait().unwrap().success());
    let s = serve(
        ws,
        &[
            "--smtp",
            &relay,
            "--smtp-from",
            "survey@m.test",
            "--public-url",
            "https://mirror.m.test/",
        ],
    );
    let jar = format!("{d}/jar");
    let login = curl(&[
        "-c",
        &jar,
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"email":"admin@m.test","password":"admin password 1"}"#,
        &format!("{}/api/v1/session", s.url),
    ]);
    let csrf = login
        .split("\"csrf\":\"")
        .nth(1)
        .and_then(|x| x.split('"').next())
        .expect(&login)
        .to_string();
    let page = curl(&["-b", &jar, &format!("{}/surveys/1", s.url)]);
    assert!(
        page.contains("Remind those who have not answered"),
        "{page}"
    );
    let sent = curl(&[
        "-b",
        &jar,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        &format!("origin: {}", s.url),
        "--data",
        &format!("csrf={csrf}&reminder=1"),
        &format!("{}/surveys/1/send", s.url),
    ]);
    assert_eq!(sent, "303");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while kept.lock().unwrap().len() < 59 {
        assert!(
            std::time::Instant::now() < deadline,
            "the page's reminders did not arrive"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let got = kept.lock().unwrap();
    assert_eq!(got.len(), 59);
    assert!(
        got.iter()
            .all(|(_, t)| t.contains("https://mirror.m.test/s/")
                && !t.contains(links[0].rsplit('/').next().unwrap()))
    );
}
