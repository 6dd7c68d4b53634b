//! A survey campaign through the server: created by an analyst, invitations exported, answered by
//! invitees (sent, saved, refused), counts only for the analyst, closed by an admin into the
//! workspace's survey answers and a new analysis.

mod common;

use axum::body::Body;
use axum::http::{StatusCode, header};
use common::{Served, Who};

fn day(offset: i64) -> String {
    server::pages::day(server::auth::now().div_euclid(86_400) + offset)
}

async fn answer(s: &Served, token: &str, fields: &str) -> (StatusCode, String) {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(format!("/s/{token}"))
        .header(header::HOST, "localhost")
        .header(header::COOKIE, "om_form=f0rm")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf=f0rm&{fields}")))
        .unwrap();
    let (status, _, body) = s.send(req).await;
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_from_creation_to_the_workspaces_answers() {
    for db in common::databases() {
        let s = Served::start(db, |_| {}).await;
        let label = s.database.clone();
        let before = store::Store::survey_answers(
            app::Session::open(&s.state.config.workspace, "tester")
                .unwrap()
                .store(),
        )
        .unwrap()
        .len();
        let fields = format!(
            "name=Advice+network&department=all&questions=advice%2C+trust&opens={}&closes={}&min_respondents=3",
            day(0),
            day(7)
        );
        let (status, headers, body) = s.post_form(Who::Analyst, "/surveys", &fields, true).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{label}] {body}");
        let page = headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        // Members may not create or see campaigns.
        assert_eq!(s.get(Who::Member, &page).await.0, StatusCode::FORBIDDEN);

        let (status, _, csv) = s
            .get(Who::Analyst, &format!("{page}/invitations.csv"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let rows: Vec<(String, String)> = csv
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (
                    f[0].to_string(),
                    f[f.len() - 2].rsplit('/').next().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(rows.len(), 150, "everyone is invited");
        // The analyst sees pseudonyms only, never names.
        assert!(
            csv.lines().skip(1).all(|l| l.contains(",\"\",")),
            "{}",
            &csv[..300]
        );

        // Five send, one saves (which counts as no answer), one names someone outside the survey.
        let colleague = |i: usize| rows[(i + 1) % rows.len()].0.clone();
        for (i, (_, token)) in rows.iter().take(5).enumerate() {
            let (status, _, form) = s.get(Who::Anonymous, &format!("/s/{token}")).await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                form.contains("Whom do you go to for advice")
                    && form.contains("nobody sees your answers")
            );
            let (status, body) = answer(
                &s,
                token,
                &format!(
                    "a={}&q=advice&w=3&a={}&q=trust&w=1&a=&q=trust&w=1&action=submit",
                    colleague(i),
                    colleague(i + 1)
                ),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "[{label}] {body}");
            assert!(body.contains("Thank you"));
        }
        let (status, body) = answer(
            &s,
            &rows[5].1,
            &format!("a={}&q=advice&w=2&action=save", colleague(5)),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("Saved"));
        // The respondent sees their own saved answer again.
        let (_, _, form) = s.get(Who::Anonymous, &format!("/s/{}", rows[5].1)).await;
        assert!(form.contains(&format!("value=\"{}\"", colleague(5))));
        let (status, _) = answer(
            &s,
            &rows[6].1,
            "a=p0000000000000000&q=advice&w=1&action=submit",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Without the form's cookie, nothing is saved.
        let req = axum::http::Request::builder()
            .method("POST")
            .uri(format!("/s/{}", rows[7].1))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "a={}&q=advice&w=1&action=submit",
                colleague(7)
            )))
            .unwrap();
        assert_eq!(s.send(req).await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            s.get(Who::Anonymous, "/s/not-a-token").await.0,
            StatusCode::NOT_FOUND
        );

        // The analyst sees counts, not answers.
        let (_, _, status_page) = s.get(Who::Analyst, &page).await;
        assert!(
            status_page.contains("data-key=\"submitted\">5<")
                && status_page.contains("data-key=\"invited\">150<"),
            "{status_page}"
        );
        for (who, path) in [
            (Who::Analyst, page.clone()),
            (Who::Admin, page.clone()),
            (Who::Admin, "/audit".to_string()),
            (Who::Analyst, format!("{page}/invitations.csv")),
        ] {
            let (_, _, text) = s.get(who, &path).await;
            assert!(
                !text.contains("q=advice")
                    && !text.contains(&format!("{}\",\"advice", colleague(0))),
                "{path}"
            );
        }

        // Analysts may not close; an admin does, and the answers reach the workspace.
        assert_eq!(
            s.post_form(Who::Analyst, &format!("{page}/close"), "x=1", true)
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (status, _, body) = s
            .post_form(Who::Admin, &format!("{page}/close"), "x=1", true)
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let job = loop {
            let jobs = s.state.db.jobs(10).unwrap();
            let j = jobs.iter().find(|j| j.kind == "survey").cloned();
            if let Some(j) = j.filter(|j| j.state == "done" || j.state == "failed") {
                break j;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the close's job did not finish: {:?}",
                s.state.db.jobs(10).unwrap()
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        assert_eq!(job.state, "done", "[{label}] {}", job.message);
        let after = store::Store::survey_answers(
            app::Session::open(&s.state.config.workspace, "tester")
                .unwrap()
                .store(),
        )
        .unwrap()
        .len();
        // Five sent with two colleagues each; the answer only saved is not stored.
        assert_eq!(after - before, 10, "[{label}] {}", job.message);
        // The raw answers are gone from the server's database; the results are kept.
        assert_eq!(s.state.db.response_count(1).unwrap(), 0, "[{label}]");
        assert!(!s.state.db.campaign_results(1).unwrap().is_empty());
        // Closed: the form says so and takes nothing more.
        let (_, _, form) = s.get(Who::Anonymous, &format!("/s/{}", rows[8].1)).await;
        assert!(form.contains("has closed"));
        assert_eq!(
            answer(
                &s,
                &rows[8].1,
                &format!("a={}&q=advice&w=1&action=submit", colleague(8))
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
    }
}

/// Raw answers leave the database in two places only: the respondent's own form (their own
/// answers, by their link) and the close (into the workspace's survey answers). A new page, API
/// route or export that reads them fails this test.
#[test]
fn raw_answers_are_read_only_by_the_respondents_form_and_the_close() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut readers = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == "db.rs" {
            continue;
        }
        // The function each call sits in: the nearest `fn NAME(` above it.
        for call in ["own_responses(", "campaign_responses("] {
            let mut at = 0;
            while let Some(i) = text[at..].find(call) {
                let pos = at + i;
                let head = &text[..pos];
                let f = head
                    .rfind("fn ")
                    .map(|j| head[j + 3..].split('(').next().unwrap().to_string())
                    .unwrap_or_default();
                readers.push(format!("{name}:{f}:{call}"));
                at = pos + call.len();
            }
        }
    }
    readers.sort();
    assert_eq!(
        readers,
        [
            "survey.rs:begin_close:campaign_responses(",
            "survey.rs:form_page:own_responses(",
        ],
        "who reads raw survey answers"
    );
}
