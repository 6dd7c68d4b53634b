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
        let rows = common::invitation_rows(&csv);
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
        // By name, as the form offers colleagues (the workspace holds identities); two
        // colleagues with one name are told apart by pseudonym.
        let plain = s.state.live().unwrap().colleague_label(&colleague(5));
        assert_ne!(plain, colleague(5));
        let twin = format!("{plain} ({})", colleague(5));
        let name = if form.contains(&format!("value=\"{twin}\"")) {
            twin
        } else {
            plain
        };
        assert!(form.contains(&format!("value=\"{name}\"")), "{form}");
        assert!(!form.contains(&format!("value=\"{}\"", colleague(5))));
        // A name is taken as the form offered it.
        let (status, _) = answer(
            &s,
            &rows[5].1,
            &format!("a={}&q=advice&w=2&action=save", name.replace(' ', "+")),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
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

/// Answers of campaign `id` for `respondents`: each sends the names `pick` gives them.
async fn respond(s: &Served, id: i64, respondents: &[String], pick: impl Fn(usize) -> Vec<String>) {
    for (i, p) in respondents.iter().enumerate() {
        let token = server::survey::invite_token(&s.state.db, id, p).unwrap();
        let fields: String = pick(i)
            .iter()
            .map(|c| format!("a={c}&q=advice&w=2&"))
            .collect();
        let (status, body) = answer(s, &token, &format!("{fields}action=submit")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// Closes a campaign as the server does at its closing day and waits for the job.
async fn close_and_wait(s: &Served, id: i64) {
    let state = s.state.clone();
    let job = tokio::task::spawn_blocking(move || {
        server::survey::close(&state, &server::Viewer::system("test"), id)
    })
    .await
    .unwrap()
    .unwrap();
    let Some(job) = job else { return };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let j = s
            .state
            .db
            .jobs(50)
            .unwrap()
            .into_iter()
            .find(|j| j.id == job)
            .unwrap();
        if j.state != "running" && j.state != "queued" {
            assert_eq!(j.state, "done", "{}", j.message);
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the close did not finish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

fn campaign(name: &str, opens: i64, closes: i64) -> server::survey::NewCampaign {
    server::survey::NewCampaign {
        name: name.into(),
        department: "all".into(),
        questions: "advice".into(),
        opens: day(opens),
        closes: day(closes),
        min_respondents: 5,
        match_interactions: Some("on".into()),
        ..Default::default()
    }
}

/// Two campaigns on one scope: results only after the close, for leaders and org viewers,
/// with intervals; a person named by many more in the second sees the change as clear in their
/// own mirror, by their link; the aggregates say what moved. Scopes of a team with its
/// neighbours and of a list, and a campaign closed by its date.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_change_between_campaigns_and_scopes() {
    for db in common::databases() {
        results_on(db).await;
    }
}

async fn results_on(db: Option<String>) {
    let s = Served::start(db, |_| {}).await;
    let people: Vec<String> = s
        .state
        .live()
        .unwrap()
        .members_of(None)
        .into_iter()
        .collect();
    let star = people[0].clone();
    let respondents: Vec<String> = people[1..31].to_vec();

    let first = server::survey::create(&s.state, "tester", &campaign("First", 0, 7)).unwrap();
    // Each names the next two respondents.
    respond(&s, first, &respondents, |i| {
        vec![
            respondents[(i + 1) % 30].clone(),
            respondents[(i + 2) % 30].clone(),
        ]
    })
    .await;
    let results = format!("/surveys/{first}/results");
    let (status, _, page) = s.get(Who::Leader, &results).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("shown once the campaign closes"), "{page}");
    assert!(!page.contains("data-value"));
    close_and_wait(&s, first).await;

    let second = server::survey::create(&s.state, "tester", &campaign("Second", 0, 7)).unwrap();
    // Now everyone also names the star.
    respond(&s, second, &respondents, |i| {
        vec![star.clone(), respondents[(i + 1) % 30].clone()]
    })
    .await;
    close_and_wait(&s, second).await;

    // Leaders find the results from their teams page.
    let (_, _, teams) = s.get(Who::Leader, "/teams").await;
    assert!(
        teams.contains(&format!("/surveys/{second}/results")),
        "{teams}"
    );
    // The aggregates: members are refused; a leader sees them, with the change since the first.
    assert_eq!(
        s.get(Who::Member, &format!("/surveys/{second}/results"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, _, json) = s
        .get(Who::Leader, &format!("/api/v1/surveys/{second}/results"))
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["since"][0], first);
    let line = |m: &str| {
        let q = if m == "response" { "*" } else { "advice" };
        v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["group"] == "everyone" && l["question"] == q && l["measure"] == m)
            .unwrap_or_else(|| panic!("no {m}: {json}"))
            .clone()
    };
    // 30 respondents of 150, two names each, both times.
    assert_eq!(line("given")["value"], 2.0);
    assert_eq!(line("given")["change"]["delta"], 0.0);
    let response = line("response");
    assert!((response["value"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    assert!(line("matched")["n"].as_i64().unwrap() == 60);
    // Half the names now go to one person outside the respondents: the names received by
    // members of some department fell, clearly (its interval is below zero).
    assert!(
        v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["measure"] == "received"
                && l["change"]["high"].as_f64().is_some_and(|h| h < 0.0)),
        "{json}"
    );
    assert!(v["hidden_groups"].as_i64().unwrap() >= 1);
    // 120 of 150 did not answer: the page says what that means.
    let (_, _, page) = s
        .get(Who::Analyst, &format!("/surveys/{second}/results"))
        .await;
    assert!(page.contains("did not answer") && page.contains("Changes are since"));

    // The star's own mirror, by their link: named by none of 30, then by all 30.
    let token = server::survey::invite_token(&s.state.db, second, &star).unwrap();
    let (status, _, mirror) = s.get(Who::Anonymous, &format!("/s/{token}/mirror")).await;
    assert_eq!(status, StatusCode::OK, "{mirror}");
    assert!(
        mirror.contains("data-key=\"named|advice\" data-value=\"30/30\"")
            && mirror.contains("in “First” 0 of 30")
            && mirror.contains("change clear"),
        "{mirror}"
    );
    let (_, _, form) = s.get(Who::Anonymous, &format!("/s/{token}")).await;
    assert!(form.contains(&format!("/s/{token}/mirror")));
    // Stored: per person, not the answers.
    assert_eq!(
        s.state.db.person_results(second, &star).unwrap()[0].named_by,
        30
    );
    assert_eq!(s.state.db.response_count(second).unwrap(), 0);

    // A team and its neighbours.
    let mut team = campaign("Team", 0, 7);
    team.team = s.leader.clone();
    let id = server::survey::create(&s.state, "tester", &team).unwrap();
    let c = server::survey::campaign(&s.state.db, id).unwrap();
    assert_eq!(c.scope, format!("team:{}", s.leader));
    let live = s.state.live().unwrap();
    let (members, near) = live.team_and_neighbours(&s.leader).unwrap();
    assert!(members.contains(&s.leader) && members.len() >= 5);
    assert!(!near.is_empty() && near.len() <= members.len());
    assert_eq!(c.invited as usize, members.len() + near.len());
    // A member manages nobody: refused, saying why.
    let mut nobody = campaign("Nobody", 0, 7);
    nobody.team = s.member.clone();
    let e = server::survey::create(&s.state, "tester", &nobody).unwrap_err();
    assert!(e.to_string().contains("manages nobody"), "{e}");

    // A list, and a list with a stranger in it (named by its entry).
    let mut list = campaign("List", 0, 7);
    list.people = format!("{}\n{}\n\n{}", people[3], people[4], people[5]);
    let id = server::survey::create(&s.state, "tester", &list).unwrap();
    let invited: Vec<String> = s
        .state
        .db
        .invitees(id)
        .unwrap()
        .into_iter()
        .map(|i| i.0)
        .collect();
    let mut want = people[3..6].to_vec();
    want.sort();
    assert_eq!(invited, want);
    list.people = format!("{}\nnot-a-person", people[3]);
    let e = server::survey::create(&s.state, "tester", &list).unwrap_err();
    assert!(e.to_string().contains("entry 2: `not-a-person`"), "{e}");

    // Past its closing day, the server closes a campaign by itself; its links stop working.
    let late = server::survey::create(&s.state, "tester", &campaign("Late", -3, -1)).unwrap();
    let state = s.state.clone();
    tokio::task::spawn_blocking(move || server::survey::close_due(&state))
        .await
        .unwrap()
        .unwrap();
    let c = server::survey::campaign(&s.state.db, late).unwrap();
    assert_eq!(c.state, "closed: too few respondents");
    let open = server::survey::campaign(&s.state.db, id).unwrap();
    assert_eq!(open.state, "open");

    // The same answers as the second campaign's, on the same day: stored all the same (the
    // workspace does not take them for one file ingested twice).
    let again = server::survey::create(&s.state, "tester", &campaign("Again", 0, 7)).unwrap();
    respond(&s, again, &respondents, |i| {
        vec![star.clone(), respondents[(i + 1) % 30].clone()]
    })
    .await;
    close_and_wait(&s, again).await;
    assert_eq!(
        server::survey::campaign(&s.state.db, again).unwrap().state,
        "closed"
    );
}
