//! The server's indexed analysis (`Live`) answers what the command line's full read answers: the
//! same personal page (its main part, paths to power included), the same mirror, findings and
//! teams, under the same policy.

use app::live::Live;
use app::{Role, Silent};

/// An access log kept in memory.
#[derive(Default)]
struct Log(Vec<(String, String)>);

impl app::policy::AccessLog for Log {
    fn audit(&mut self, _viewer: &str, action: &str, subject: &str) -> anyhow::Result<()> {
        self.0.push((action.into(), subject.into()));
        Ok(())
    }
}

fn main_part(page: &str) -> String {
    let start = page.find("<main>").expect("a main part");
    let end = page.find("</main>").expect("its end");
    let body = &page[start..end];
    // The server adds "What this is based on"; the rest must be the same.
    match body.find("<section id=\"basis\"") {
        Some(i) => body[..i].to_string(),
        None => body.to_string(),
    }
}

#[test]
fn the_indexed_analysis_answers_as_the_full_read_does() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    let ws = dir.path().join("ws");
    app::ingest::generate(
        &app::ingest::GenerateConfig::new(160, 45, 3),
        &input,
        &Silent,
    )
    .unwrap();
    let mut s = app::Session::init(&ws, "tester", 5).unwrap();
    s.ingest_generated(&input, &Silent).unwrap();
    s.analyze(&Default::default(), &Silent).unwrap();
    let live = Live::load(&s).unwrap();
    let windows = live.windows();
    assert!(windows.len() >= 2, "{windows:?}");
    let mut log = Log::default();
    let policy = s.policy().clone();
    let out = dir.path().join("reports");
    let mut compared = 0;
    for window in &windows {
        for p in live.pseudonyms().iter().step_by(23) {
            let page = live.person_page(&policy, &mut log, p, window).unwrap();
            assert!(page.contains("What this is based on"));
            let mut req = app::reports::ReportRequest::new(out.clone());
            req.person = vec![p.clone()];
            req.window = window.clone();
            let written = s.report(&req).unwrap();
            let cli = std::fs::read_to_string(&written[0].path).unwrap();
            assert_eq!(main_part(&page), main_part(&cli), "{p} in {window}");
            assert!(cli.contains("data-key=\"paths\"") == page.contains("data-key=\"paths\""));
            let a = live.person_mirror(&policy, &mut log, p, window).unwrap();
            let b = s.person_mirror(p, window).unwrap();
            assert_eq!(a.sections, b.sections);
            assert_eq!(
                (a.formal_pct, a.informal_pct),
                (b.formal_pct, b.informal_pct)
            );
            compared += 1;
        }
        let a = live.findings(&policy, &mut log, window, 50).unwrap();
        let b = s.findings(window, 50).unwrap();
        assert_eq!(a.shown, b.shown);
        assert_eq!(a.counts, b.counts);
        for p in live.pseudonyms() {
            for (w, n) in live.teams_led_by(p) {
                if &w == window && n >= 5 {
                    let a = live.team_view(&policy, &mut log, p, window).unwrap();
                    let b = s.team_view(p, window).unwrap();
                    assert_eq!(
                        (a.style, a.team_size, a.position),
                        (b.style, b.team_size, b.position)
                    );
                }
            }
        }
    }
    assert!(compared >= 14, "{compared}");
    // A member is refused another's page, and the refusal is recorded.
    let me = live.pseudonyms()[1].clone();
    let other = live.pseudonyms()[2].clone();
    let member = app::Policy {
        role: Role::Member(me.clone()),
        ..policy.clone()
    };
    assert!(live.person_page(&member, &mut log, &me, "all").is_ok());
    // Pages are kept once made, but every read is still recorded and still asked of the policy:
    // the other person's page is made here for the admin, and the member is refused it after.
    let reads = log.0.len();
    assert!(live.person_page(&member, &mut log, &me, "all").is_ok());
    assert_eq!(log.0.len(), reads + 1);
    assert!(live.person_page(&policy, &mut log, &other, "all").is_ok());
    let refused = live
        .person_page(&member, &mut log, &other, "all")
        .unwrap_err();
    assert!(refused.downcast_ref::<app::Refused>().is_some());
    assert_eq!(
        log.0.last().unwrap(),
        &("refused: report person".to_string(), other)
    );
}
