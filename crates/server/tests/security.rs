//! Sessions (expired, forged, signed out), CSRF, cross-site posts, sign-in lockout and throttling,
//! the single-sign-on proxy header, and the access log, on every database.

mod common;

use axum::body::Body;
use axum::http::{StatusCode, header};
use common::{PASSWORD, Served, Who, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_forgeries_fail_and_changes_need_the_token() {
    for db in common::databases() {
        let s = Served::start(db, |_| {}).await;
        let label = s.database.clone();

        // A session cookie carries HttpOnly and SameSite=Strict (Secure only over TLS).
        let body =
            serde_json::json!({"email": Who::Member.email(), "password": PASSWORD}).to_string();
        let req = s
            .request(Who::Anonymous, "POST", "/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let (status, headers, _) = s.send(req).await;
        assert_eq!(status, StatusCode::OK, "[{label}]");
        let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Strict")
                && !cookie.contains("Secure"),
            "{cookie}"
        );

        // A forged session signs nobody in.
        let forged = s
            .request(Who::Anonymous, "GET", "/api/v1/me")
            .header(header::COOKIE, format!("om_session={}", "ab".repeat(32)))
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = s.send(forged).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "[{label}] {body}");
        assert_eq!(code(&body), "unauthenticated");

        // An idle session, and one past its absolute lifetime, have ended.
        let member = s.session(Who::Member).unwrap().clone();
        assert_eq!(s.get(Who::Member, "/api/v1/me").await.0, StatusCode::OK);
        let token = member.cookie.trim_start_matches("om_session=").to_string();
        let hash = server::auth::token_hash(&token);
        let idle = s.state.config.idle_seconds;
        s.state
            .db
            .touch_session(&hash, server::auth::now() - idle - 5)
            .unwrap();
        assert_eq!(
            s.get(Who::Member, "/api/v1/me").await.0,
            StatusCode::UNAUTHORIZED,
            "[{label}] idle"
        );
        assert!(
            s.state.db.session(&hash).unwrap().is_none(),
            "an expired session is removed"
        );
        let (_, analyst, _) = s
            .sign_in(Who::Analyst.email(), PASSWORD, "127.0.0.1:1")
            .await;
        let analyst = analyst.unwrap();
        let ahash = server::auth::token_hash(analyst.cookie.trim_start_matches("om_session="));
        let old = server::auth::now() - s.state.config.absolute_seconds - 5;
        s.state
            .db
            .add_session(&server::auth::token_hash("old"), 1, "x", old)
            .unwrap();
        s.state
            .db
            .expire_sessions(
                server::auth::now() - idle,
                server::auth::now() - s.state.config.absolute_seconds,
            )
            .unwrap();
        assert!(
            s.state
                .db
                .session(&server::auth::token_hash("old"))
                .unwrap()
                .is_none()
        );
        assert!(s.state.db.session(&ahash).unwrap().is_some());

        // Changes need the session's token; a wrong one or none is refused, the right one passes.
        let admin = s.session(Who::Admin).unwrap().clone();
        let (status, _, body) = s
            .post_form(Who::Admin, "/settings", "min_group=5&windows=all", false)
            .await;
        assert_eq!(
            (status, code(&body).as_str()),
            (StatusCode::FORBIDDEN, "csrf"),
            "[{label}]"
        );
        let wrong = s
            .request(Who::Admin, "POST", "/settings")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={}&min_group=5&windows=all",
                "0".repeat(64)
            )))
            .unwrap();
        assert_eq!(s.send(wrong).await.0, StatusCode::FORBIDDEN);
        let (status, headers, _) = s
            .post_form(
                Who::Admin,
                "/settings",
                "min_group=6&windows=all%2C+month",
                true,
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{label}]");
        assert_eq!(headers.get("location").unwrap(), "/settings");
        assert_eq!(
            s.state.min_group.load(std::sync::atomic::Ordering::Relaxed),
            6
        );
        // Never lowered.
        let (status, _, body) = s
            .post_form(Who::Admin, "/settings", "min_group=3&windows=all", true)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{label}] {body}");
        // A post from another site is refused even with the right token.
        let cross = s
            .request(Who::Admin, "POST", "/settings")
            .header(header::ORIGIN, "http://evil.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={}&min_group=6&windows=all",
                admin.csrf
            )))
            .unwrap();
        let (status, _, body) = s.send(cross).await;
        assert_eq!(
            (status, code(&body).as_str()),
            (StatusCode::FORBIDDEN, "cross_origin")
        );
        // `Origin: null` (what browsers send under some referrer policies) proves nothing: the
        // token decides.
        let null = s
            .request(Who::Admin, "POST", "/settings")
            .header(header::ORIGIN, "null")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={}&min_group=6&windows=all",
                admin.csrf
            )))
            .unwrap();
        assert_eq!(s.send(null).await.0, StatusCode::SEE_OTHER);
        let same = s
            .request(Who::Admin, "POST", "/settings")
            .header(header::ORIGIN, "http://localhost")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={}&min_group=6&windows=all",
                admin.csrf
            )))
            .unwrap();
        let (status, headers, _) = s.send(same).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        // Browsers send the page's origin on same-site posts only under this policy.
        assert_eq!(headers.get("referrer-policy").unwrap(), "same-origin");
        // The API's sign-out needs the token in a header.
        let out = s
            .request(Who::Leader, "DELETE", "/api/v1/session")
            .body(Body::empty())
            .unwrap();
        assert_eq!(s.send(out).await.0, StatusCode::FORBIDDEN);
        let leader = s.session(Who::Leader).unwrap().clone();
        let out = s
            .request(Who::Leader, "DELETE", "/api/v1/session")
            .header("x-csrf-token", &leader.csrf)
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = s.send(out).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(
            headers
                .get(header::SET_COOKIE)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(
            s.get(Who::Leader, "/api/v1/me").await.0,
            StatusCode::UNAUTHORIZED,
            "signed out"
        );

        // The sign-in form needs its own cookie and field (no login CSRF).
        let (status, _, body) = s
            .post_form(Who::Anonymous, "/login", "email=a%40b.c&password=x", false)
            .await;
        assert_eq!(
            (status, code(&body).as_str()),
            (StatusCode::FORBIDDEN, "csrf")
        );
        let login = s
            .request(Who::Anonymous, "POST", "/login")
            .header(header::COOKIE, "om_form=abc123")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf=abc123&email={}&password={}",
                Who::Member.email().replace('@', "%40"),
                PASSWORD.replace(' ', "+")
            )))
            .unwrap();
        let (status, headers, _) = s.send(login).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            headers
                .get_all(header::SET_COOKIE)
                .iter()
                .any(|c| c.to_str().unwrap().starts_with("om_session="))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_locks_after_failures_and_throttles_an_address() {
    for db in common::databases() {
        let s = Served::start(db, |_| {}).await;
        let label = s.database.clone();
        // Wrong passwords: the same answer for an unknown e-mail and a wrong password.
        let (st, _, unknown) = s.sign_in("nobody@test.org", PASSWORD, "10.1.0.1:1").await;
        let (st2, _, wrong) = s
            .sign_in(Who::Member.email(), "wrong password!!", "10.1.0.1:1")
            .await;
        assert_eq!(
            (st, st2),
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            unknown, wrong,
            "[{label}] an unknown account is not told apart"
        );
        for i in 0..4 {
            let (st, _, _) = s
                .sign_in(
                    Who::Member.email(),
                    "wrong password!!",
                    &format!("10.1.0.{}:1", i + 2),
                )
                .await;
            assert_eq!(st, StatusCode::UNAUTHORIZED);
        }
        // Five failures lock the account, even with the right password, from any address.
        let (st, signed, body) = s.sign_in(Who::Member.email(), PASSWORD, "10.2.0.1:1").await;
        assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "[{label}] {body}");
        assert!(signed.is_none());
        assert_eq!(code(&body), "locked");
        // Another account is not locked.
        assert_eq!(
            s.sign_in(Who::Analyst.email(), PASSWORD, "10.2.0.1:1")
                .await
                .0,
            StatusCode::OK
        );
        // One address may try 20 times a minute.
        let mut last = StatusCode::OK;
        for _ in 0..21 {
            last = s
                .sign_in("someone@test.org", "wrong password!!", "10.3.0.1:1")
                .await
                .0;
        }
        assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
        // A disabled account cannot sign in, and its sessions end.
        assert_eq!(
            s.get(Who::SmallLeader, "/api/v1/me").await.0,
            StatusCode::OK
        );
        server::users::change(&s.state.db, "tester", Who::SmallLeader.email(), "disable").unwrap();
        assert_eq!(
            s.get(Who::SmallLeader, "/api/v1/me").await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s.sign_in(Who::SmallLeader.email(), PASSWORD, "10.4.0.1:1")
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        // Sign-ins and their refusals are in the access log, and no password or token is.
        let log = s.audit();
        assert!(log.iter().any(|l| l.action == "refused: sign in"
            && l.viewer == Who::Member.email()
            && l.subject == "locked"));
        assert!(
            log.iter()
                .any(|l| l.action == "sign in" && l.viewer == Who::Analyst.email())
        );
        let session = s.session(Who::Member).unwrap();
        for l in &log {
            let line = format!("{} {} {}", l.viewer, l.action, l.subject);
            assert!(
                !line.contains(PASSWORD)
                    && !line.contains("wrong password")
                    && !line.contains(&session.csrf)
                    && !line.contains(session.cookie.trim_start_matches("om_session=")),
                "{line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_header_signs_in_from_loopback_only() {
    for db in common::databases() {
        let s = Served::start(db, |c| {
            c.trust_proxy_header = Some("X-Forwarded-Email".into())
        })
        .await;
        let ask = |peer: &str| {
            axum::http::Request::builder()
                .uri("/api/v1/me/mirror")
                .header("x-forwarded-email", Who::Member.email())
                .extension(axum::extract::ConnectInfo(
                    peer.parse::<std::net::SocketAddr>().unwrap(),
                ))
                .body(Body::empty())
                .unwrap()
        };
        let (status, _, body) = s.send(ask("127.0.0.1:5000")).await;
        assert_eq!(status, StatusCode::OK, "[{}] {body}", s.database);
        assert!(body.contains(&s.member));
        let (status, _, _) = s.send(ask("192.0.2.7:5000")).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "the header from another host is ignored"
        );
        // A proxy's viewer still needs the token for changes.
        let post = axum::http::Request::builder()
            .method("POST")
            .uri("/logout")
            .header("x-forwarded-email", Who::Member.email())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .extension(axum::extract::ConnectInfo(
                "127.0.0.1:5000".parse::<std::net::SocketAddr>().unwrap(),
            ))
            .body(Body::from("x=1"))
            .unwrap();
        assert_eq!(s.send(post).await.0, StatusCode::FORBIDDEN);
        // Without the option, the header means nothing.
        let plain = Served::start(None, |_| {}).await;
        assert_eq!(
            plain.send(ask("127.0.0.1:5000")).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_person_level_read_and_export_is_in_the_access_log_before_it_is_shown() {
    for db in common::databases() {
        let s = Served::start(db, |_| {}).await;
        let before = s.audit().len();
        assert_eq!(s.get(Who::Member, "/me").await.0, StatusCode::OK);
        assert_eq!(
            s.get(Who::Member, "/api/v1/me/mirror").await.0,
            StatusCode::OK
        );
        assert_eq!(
            s.get(Who::Member, &format!("/api/v1/people/{}/mirror", s.other))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            s.get(Who::Leader, &format!("/teams/{}", s.leader)).await.0,
            StatusCode::OK
        );
        let (status, headers, csv) = s.get(Who::Analyst, "/api/v1/org/export/people").await;
        assert_eq!(status, StatusCode::OK, "{csv}");
        assert!(
            headers
                .get(header::CONTENT_TYPE)
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(csv.lines().count() > 100, "{}", &csv[..csv.len().min(300)]);
        assert!(
            !s.ids.iter().any(|id| csv.contains(id.as_str())),
            "an analyst's export names nobody by id"
        );
        let log = s.audit();
        let new: Vec<_> = log[before..]
            .iter()
            .map(|l| (l.viewer.as_str(), l.action.as_str(), l.subject.as_str()))
            .collect();
        let m = Who::Member.email();
        assert!(
            new.contains(&(m, "report person", s.member.as_str())),
            "{new:?}"
        );
        assert!(
            new.contains(&(m, "show person", s.member.as_str())),
            "{new:?}"
        );
        assert!(
            new.contains(&(m, "refused: show person", s.other.as_str())),
            "{new:?}"
        );
        assert!(
            new.contains(&(Who::Leader.email(), "team view", s.leader.as_str())),
            "{new:?}"
        );
        assert!(
            new.contains(&(Who::Analyst.email(), "export", "people")),
            "{new:?}"
        );
        // Admins read the log (the page, the API and CSV), and reading it is recorded too.
        let (status, _, page) = s.get(Who::Admin, "/audit").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("refused: show person"));
        let (status, _, api) = s.get(Who::Admin, "/api/v1/audit?limit=5").await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&api).unwrap();
        assert_eq!(v["lines"].as_array().unwrap().len(), 5);
        assert_eq!(
            v["lines"][0]["action"], "view audit",
            "newest first, this read included"
        );
        let (status, _, csv) = s.get(Who::Admin, "/audit.csv").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            csv.starts_with("id,at_utc,viewer,action,subject\n")
                && csv.contains("\"report person\"")
        );
        assert_eq!(
            s.get(Who::Analyst, "/api/v1/audit").await.0,
            StatusCode::FORBIDDEN
        );
    }
}
