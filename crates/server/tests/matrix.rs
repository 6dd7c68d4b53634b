//! Every route × every role, from the router's own table: who may knock (the gate), what the
//! policy lets through (person-level routes), and what every answer carries. A new route is in
//! the matrix the moment it is in the table; a new route about a person without a rule here
//! fails the test.

mod common;

use axum::body::Body;
use axum::http::StatusCode;
use common::{EVERYONE, Served, Who, code};
use server::routes::{Gate, ROUTES, Route};

/// What a request should get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Anything but a refusal or a server error.
    Through,
    /// 401 (API) or a redirect to the sign-in page.
    SignInFirst,
    /// 403 with the code `forbidden` (the policy refused).
    Forbidden,
    /// 403 with the code `csrf` (a change without the page's token).
    Csrf,
}

/// Routes whose answer depends on which person they name, with the rule for each viewer (the
/// path's parameter is the leader with a big team, or someone other than the viewer).
fn person_rule(route: &Route, who: Who) -> Option<Expect> {
    use Expect::*;
    use Who::*;
    match route.path {
        "/teams/{leader}" | "/api/v1/teams/{leader}" => Some(match who {
            Anonymous => SignInFirst,
            Leader | Analyst | Admin => Through,
            Member | SmallLeader => Forbidden,
        }),
        // A campaign's aggregates: leaders and org viewers, never members.
        "/surveys/{id}/results" | "/api/v1/surveys/{id}/results" => Some(match who {
            Anonymous => SignInFirst,
            Leader | SmallLeader | Analyst | Admin => Through,
            Member => Forbidden,
        }),
        "/api/v1/people/{pseudonym}/mirror" => Some(match who {
            Anonymous => SignInFirst,
            Analyst | Admin => Through,
            Member | Leader | SmallLeader => Forbidden,
        }),
        _ => None,
    }
}

fn expected(route: &Route, who: Who) -> Expect {
    use Expect::*;
    let changes = route.method != "GET";
    if let Some(e) = person_rule(route, who) {
        return e;
    }
    // A journal is kept by members and leaders only: the policy refuses anyone else.
    if route.path.contains("/journal") && !changes && matches!(who, Who::Analyst | Who::Admin) {
        return Forbidden;
    }
    let signed_in = who != Who::Anonymous;
    let org = matches!(who, Who::Analyst | Who::Admin);
    let admin = who == Who::Admin;
    let allowed = match route.gate {
        Gate::Public | Gate::SignInForm => true,
        Gate::SignedIn => signed_in,
        Gate::Org => org,
        Gate::Admin => admin,
    };
    match route.gate {
        Gate::Public => Through,
        // Posted without the sign-in form's cookie and field.
        Gate::SignInForm if changes => Csrf,
        Gate::SignInForm => Through,
        _ if !signed_in => SignInFirst,
        _ if !allowed => Forbidden,
        // The matrix posts without the token: every change is refused.
        _ if changes => Csrf,
        _ => Through,
    }
}

fn path_for(route: &Route, s: &Served) -> String {
    route
        .path
        .replace("{leader}", &s.leader)
        .replace("{pseudonym}", &s.other)
        .replace("{name}", "app.css")
        .replace("{token}", &"0".repeat(64))
        .replace("{table}", "people")
        .replace("{id}", "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_for_every_role() {
    for db in common::databases() {
        let s = Served::start(db, |_| {}).await;
        // Routes about a person must have a rule here.
        for r in ROUTES {
            if r.path.contains("{leader}") || r.path.contains("{pseudonym}") {
                assert!(
                    person_rule(r, Who::Member).is_some(),
                    "{} {} names a person and has no rule in this test",
                    r.method,
                    r.path
                );
            }
        }
        let mut checked = 0;
        for r in ROUTES {
            for &who in EVERYONE {
                let path = path_for(r, &s);
                let mut b = s.request(who, r.method, &path);
                if r.method != "GET" {
                    b = b.header("content-type", "application/x-www-form-urlencoded");
                }
                let (status, headers, body) = s.send(b.body(Body::empty()).unwrap()).await;
                let want = expected(r, who);
                let what = format!(
                    "[{}] {} {path} as {who:?}: {status} {}",
                    s.database,
                    r.method,
                    &body[..body.len().min(200)]
                );
                match want {
                    Expect::Through => assert!(
                        status != StatusCode::UNAUTHORIZED
                            && status != StatusCode::FORBIDDEN
                            && !status.is_server_error(),
                        "{what}: expected through"
                    ),
                    Expect::SignInFirst => assert!(
                        status == StatusCode::UNAUTHORIZED
                            || (status.is_redirection()
                                && headers.get("location").is_some_and(|l| l == "/login")),
                        "{what}: expected sign in first"
                    ),
                    Expect::Forbidden => {
                        assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
                        assert_eq!(code(&body), "forbidden", "{what}");
                    }
                    Expect::Csrf => {
                        assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
                        assert_eq!(code(&body), "csrf", "{what}");
                    }
                }
                // Every answer carries the security headers.
                let csp = headers
                    .get("content-security-policy")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                assert!(
                    csp.contains("default-src 'none'")
                        && csp.contains("frame-ancestors 'none'")
                        && !csp.contains("unsafe"),
                    "{what}: CSP {csp}"
                );
                assert_eq!(
                    headers.get("x-content-type-options").unwrap(),
                    "nosniff",
                    "{what}"
                );
                assert_eq!(headers.get("x-frame-options").unwrap(), "DENY", "{what}");
                assert_eq!(
                    headers.get("referrer-policy").unwrap(),
                    "same-origin",
                    "{what}"
                );
                // No people-file id in a link, and none at all for a viewer who sees pseudonyms.
                for href in body
                    .split("href=\"")
                    .skip(1)
                    .filter_map(|h| h.split('"').next())
                {
                    assert!(
                        !s.ids.iter().any(|id| href.contains(id.as_str())),
                        "{what}: link {href} names a person id"
                    );
                }
                if matches!(
                    who,
                    Who::Member | Who::Leader | Who::SmallLeader | Who::Analyst
                ) {
                    // Ids are E000123-like; a pseudonymous page shows none of them.
                    if let Some(id) = s.ids.iter().find(|id| {
                        body.contains(&format!(">{id}<")) || body.contains(&format!("\"{id}\""))
                    }) {
                        panic!("{what}: a pseudonymous viewer sees the id {id}");
                    }
                }
                checked += 1;
            }
        }
        assert_eq!(checked, ROUTES.len() * EVERYONE.len());

        // The policy behind the pages: a member's own mirror, never another's, and guessing a
        // pseudonym says nothing about whether it exists.
        let own = format!("/api/v1/people/{}/mirror", s.member);
        assert_eq!(s.get(Who::Member, &own).await.0, StatusCode::OK);
        assert_eq!(
            s.get(Who::Member, "/api/v1/me/mirror").await.0,
            StatusCode::OK
        );
        let guessed = s
            .get(Who::Member, "/api/v1/people/p0123456789abcdef/mirror")
            .await;
        assert_eq!(guessed.0, StatusCode::FORBIDDEN, "guessing: {}", guessed.2);
        let another = s
            .get(Who::Member, &format!("/api/v1/people/{}/mirror", s.other))
            .await;
        assert_eq!(another.0, StatusCode::FORBIDDEN);
        assert_eq!(
            code(&guessed.2),
            code(&another.2),
            "a guess and a real pseudonym are refused alike"
        );
        assert_eq!(
            s.get(Who::Analyst, "/api/v1/people/p0123456789abcdef/mirror")
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        // Leaders: their own team; not a team under the minimum size, even their own.
        assert_eq!(
            s.get(Who::Leader, &format!("/api/v1/teams/{}", s.leader))
                .await
                .0,
            StatusCode::OK
        );
        let small = s
            .get(
                Who::SmallLeader,
                &format!("/api/v1/teams/{}", s.small_leader),
            )
            .await;
        assert_eq!(small.0, StatusCode::FORBIDDEN, "{}", small.2);
        assert!(small.2.contains("fewer than 5"), "{}", small.2);
        let small = s
            .get(Who::Analyst, &format!("/api/v1/teams/{}", s.small_leader))
            .await;
        assert_eq!(
            small.0,
            StatusCode::FORBIDDEN,
            "analysts see no small team either"
        );
        // A page's answer for a leader is aggregates only: the JSON names no member.
        let team = s
            .get(Who::Leader, &format!("/api/v1/teams/{}", s.leader))
            .await
            .2;
        assert!(
            !team.contains(&s.member) && !team.contains(&s.other),
            "{team}"
        );
        // Analysts see pseudonyms; the mirror's people are named by pseudonym.
        let m = s
            .get(Who::Analyst, &format!("/api/v1/people/{}/mirror", s.other))
            .await
            .2;
        assert!(m.contains(&s.other), "{m}");
        // Anything not in the table is 404.
        assert_eq!(
            s.get(Who::Admin, "/api/v1/secret").await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            s.get(Who::Admin, "/etc/passwd").await.0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_file_lists_every_api_route_of_the_table() {
    let doc = server::openapi::document();
    for r in ROUTES.iter().filter(|r| r.path.starts_with("/api/")) {
        assert!(
            doc["paths"][r.path][r.method.to_ascii_lowercase()].is_object(),
            "{} {} is missing from the OpenAPI file",
            r.method,
            r.path
        );
    }
    // The committed docs/openapi.json is this document (ORGMIRROR_BLESS=1 rewrites it).
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("ORGMIRROR_BLESS").is_some() {
        std::fs::write(&file, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
    let committed = std::fs::read_to_string(&file).expect(
        "docs/openapi.json (write it with ORGMIRROR_BLESS=1 cargo test -p server --test matrix)",
    );
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(
        committed, doc,
        "docs/openapi.json is stale: ORGMIRROR_BLESS=1 cargo test -p server --test matrix"
    );
}
