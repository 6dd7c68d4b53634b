//! The personal journal: only its author reads, exports or deletes it, through every route; it
//! shows on the author's own mirror page; deleting it removes it from the database.

mod common;

use axum::body::Body;
use axum::http::{StatusCode, header};
use common::{Served, Who, code};

async fn add(s: &Served, who: Who, day: &str, other: &str, what: &str) -> (StatusCode, String) {
    let token = s.session(who).map(|x| x.csrf.clone()).unwrap_or_default();
    let body = serde_json::json!({"day": day, "other": other, "what": what}).to_string();
    let req = s
        .request(who, "POST", "/api/v1/me/journal")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", token)
        .body(Body::from(body))
        .unwrap();
    let (status, _, text) = s.send(req).await;
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_is_its_authors_alone_and_deleting_it_is_real() {
    for db in common::databases() {
        let s = Served::start(db, |_| {}).await;
        let label = s.database.clone();
        // The member records two entries, through the API and through the page's form.
        let (status, body) = add(&s, Who::Member, "2024-02-03", &s.other, "asked").await;
        assert_eq!(status, StatusCode::CREATED, "[{label}] {body}");
        let (status, _, body) = s
            .post_form(
                Who::Member,
                "/me/journal",
                &format!("day=2024-02-04&other={}&what=helped", s.other),
                true,
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{label}] {body}");
        // Bad entries are refused with a reason.
        assert_eq!(
            add(&s, Who::Member, "2024-02-31", &s.other, "asked")
                .await
                .0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            add(&s, Who::Member, "2024-02-03", &s.other, "gossiped")
                .await
                .0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            add(&s, Who::Member, "2024-02-03", "p0000000000000000", "met")
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            add(&s, Who::Member, "2024-02-03", &s.member, "met").await.0,
            StatusCode::FORBIDDEN
        );

        let (status, _, mine) = s.get(Who::Member, "/api/v1/me/journal").await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&mine).unwrap();
        let entries = v["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{mine}");
        let first = entries[0]["id"].as_i64().unwrap();

        // Its author sees it on their own mirror page, beside what the data says.
        let (status, _, page) = s.get(Who::Member, "/me").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("Your journal")
                && page.contains("data-key=\"journal\"")
                && page.contains(&s.other),
            "[{label}]"
        );
        let (_, _, csv) = s.get(Who::Member, "/api/v1/me/journal/export").await;
        assert!(
            csv.starts_with("day,colleague,what\n")
                && csv.contains(&format!("2024-02-03,{},asked", s.other)),
            "{csv}"
        );

        // Nobody else: another person reads their own (empty) journal, analysts and admins none.
        let (_, _, theirs) = s.get(Who::Leader, "/api/v1/me/journal").await;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&theirs).unwrap()["entries"],
            serde_json::json!([])
        );
        for who in [Who::Analyst, Who::Admin] {
            let (status, _, body) = s.get(who, "/api/v1/me/journal").await;
            assert_eq!(
                (status, code(&body).as_str()),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{who:?}"
            );
        }
        let (_, _, org) = s.get(Who::Admin, "/api/v1/org/findings?top=10000").await;
        assert!(!org.contains("journal"));
        // The leader cannot delete the member's entry by its id.
        let token = s.session(Who::Leader).unwrap().csrf.clone();
        let req = s
            .request(
                Who::Leader,
                "DELETE",
                &format!("/api/v1/me/journal/{first}"),
            )
            .header("x-csrf-token", token)
            .body(Body::empty())
            .unwrap();
        assert_eq!(s.send(req).await.0, StatusCode::NOT_FOUND);
        let member_id = s.state.db.account(Who::Member.email()).unwrap().unwrap().id;
        assert_eq!(s.state.db.journal(member_id).unwrap().len(), 2);
        // The access log says that the journal was read, never what it holds.
        let log = s.audit();
        assert!(
            log.iter()
                .any(|l| l.viewer == Who::Member.email() && l.action == "journal add")
        );
        assert!(
            log.iter()
                .filter(|l| l.action.contains("journal") && l.viewer == Who::Member.email())
                .all(|l| l.subject == s.member),
            "{log:?}"
        );
        assert!(
            !log.iter().any(|l| l.subject.contains(&s.other)),
            "no entry's colleague in the log"
        );

        // The author deletes one entry, then all: gone from the database.
        let token = s.session(Who::Member).unwrap().csrf.clone();
        let req = s
            .request(
                Who::Member,
                "DELETE",
                &format!("/api/v1/me/journal/{first}"),
            )
            .header("x-csrf-token", &token)
            .body(Body::empty())
            .unwrap();
        assert_eq!(s.send(req).await.0, StatusCode::NO_CONTENT);
        assert_eq!(s.state.db.journal(member_id).unwrap().len(), 1);
        let (status, _, _) = s
            .post_form(Who::Member, "/me/journal/delete", "entry=all", true)
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            s.state.db.journal(member_id).unwrap().is_empty(),
            "[{label}] deleted for real"
        );
        // Removing an account removes its journal.
        assert_eq!(
            add(&s, Who::Member, "2024-03-01", &s.other, "met").await.0,
            StatusCode::CREATED
        );
        server::users::change(&s.state.db, "tester", Who::Member.email(), "remove").unwrap();
        assert!(s.state.db.journal(member_id).unwrap().is_empty());
    }
}

#[test]
fn days_are_calendar_days() {
    assert_eq!(server::journal::parse_day("1970-01-01"), Some(0));
    assert_eq!(server::journal::parse_day("2024-03-01"), Some(19_783));
    assert_eq!(server::journal::parse_day("2024-02-29"), Some(19_782));
    assert_eq!(server::journal::parse_day("2023-02-29"), None);
    assert_eq!(server::journal::parse_day("2024-13-01"), None);
    assert_eq!(server::journal::parse_day("yesterday"), None);
}
