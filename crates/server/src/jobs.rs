//! Background jobs: an upload's ingest and an analysis run on their own thread, one at a time,
//! with their progress in the server's database; the pages keep answering from the analysis in
//! memory meanwhile, and switch to the new one when an analysis finishes.

use crate::db::Db;
use crate::{State, Viewer, auth};
use anyhow::Result;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What an upload holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upload {
    People,
    Events,
    Survey,
    /// An mbox file or a zip of a Maildir.
    Mail,
    Calendar,
    /// A Slack export (zip).
    Chat,
    /// A Viva Insights person-to-person query (CSV).
    Viva,
}

impl Upload {
    pub const ALL: &[(Upload, &str, &str)] = &[
        (
            Upload::People,
            "people",
            "People (CSV, Parquet or JSON; docs/INPUTS.md)",
        ),
        (
            Upload::Events,
            "events",
            "Interactions (CSV, Parquet or JSON)",
        ),
        (
            Upload::Survey,
            "survey",
            "Survey answers (CSV, Parquet or JSON)",
        ),
        (Upload::Mail, "mail", "Mail archive (mbox)"),
        (Upload::Calendar, "calendar", "Calendar (.ics)"),
        (Upload::Chat, "chat", "Slack export (.zip)"),
        (
            Upload::Viva,
            "viva",
            "Viva Insights person-to-person query (CSV)",
        ),
    ];

    pub fn parse(s: &str) -> Option<Upload> {
        Upload::ALL.iter().find(|u| u.1 == s).map(|u| u.0)
    }

    pub fn name(self) -> &'static str {
        Upload::ALL.iter().find(|u| u.0 == self).map_or("", |u| u.1)
    }
}

/// A job's progress, written to the database at most twice a second.
struct JobProgress {
    db: Arc<Db>,
    id: i64,
}

struct JobStage<'a> {
    p: &'a JobProgress,
    name: String,
    state: Mutex<(i64, i64, Instant)>,
}

impl JobStage<'_> {
    fn write(&self, force: bool) {
        let mut s = self.state.lock().expect("stage");
        if force || s.2.elapsed() >= Duration::from_millis(500) {
            s.2 = Instant::now();
            let _ = self
                .p
                .db
                .update_job(self.p.id, "running", &self.name, s.0, s.1, "", None);
        }
    }
}

impl app::Stage for JobStage<'_> {
    fn set_length(&self, n: u64) {
        self.state.lock().expect("stage").1 = n as i64;
        self.write(true);
    }
    fn set_position(&self, n: u64) {
        self.state.lock().expect("stage").0 = n as i64;
        self.write(false);
    }
    fn set_message(&self, _: &str) {}
    fn done(&self) {
        {
            let mut s = self.state.lock().expect("stage");
            s.0 = s.1;
        }
        self.write(true);
    }
}

impl app::Progress for JobProgress {
    fn stage(&self, what: &str, _bytes: bool) -> Box<dyn app::Stage + '_> {
        let s = JobStage {
            p: self,
            name: what.to_string(),
            state: Mutex::new((0, 0, Instant::now())),
        };
        s.write(true);
        Box::new(s)
    }
}

/// A message without the server's folders (`…/.orgmirror/server-tmp/<token>/file` → `file`).
fn hide_folder(message: &str, workspace: &std::path::Path) -> String {
    let tmp = workspace.join(".orgmirror").join("server-tmp");
    let tmp = tmp.to_string_lossy();
    let mut out = String::new();
    let mut rest = message;
    while let Some(i) = rest.find(tmp.as_ref()) {
        out.push_str(&rest[..i]);
        // `/<token>/file…` → `file…`.
        let after = rest[i + tmp.len()..].trim_start_matches('/');
        rest = after.find('/').map_or("", |j| &after[j + 1..]);
    }
    out.push_str(rest);
    out
}

/// Queues a job and runs it on its own thread; returns its id.
pub fn run(
    state: &State,
    viewer: &Viewer,
    kind: &str,
    what: &str,
    work: impl FnOnce(&mut app::Session, &dyn app::Progress) -> Result<String> + Send + 'static,
) -> Result<i64> {
    let id = state
        .db
        .add_job(kind, what, &viewer.account.email, auth::now())?;
    let s = state.clone();
    let v = viewer.clone();
    std::thread::Builder::new()
        .name(format!("job-{id}"))
        .spawn(move || {
            let _one = s.job_lock.lock().unwrap_or_else(|e| e.into_inner());
            let progress = JobProgress {
                db: s.db.clone(),
                id,
            };
            let result = crate::open_session(&s.config, &v.account.email, v.role())
                .and_then(|mut session| work(&mut session, &progress));
            let (state, message) = match result {
                Ok(m) => ("done", m),
                // The upload's private folder means nothing to the reader: its file name does.
                Err(e) => (
                    "failed",
                    hide_folder(&format!("{e:#}"), &s.config.workspace),
                ),
            };
            let _ =
                s.db.update_job(id, state, "", 0, 0, &message, Some(auth::now()));
        })?;
    Ok(id)
}

/// Ingests an uploaded file (then removes it).
pub fn ingest(
    state: &State,
    viewer: &Viewer,
    kind: Upload,
    file: PathBuf,
    name: &str,
) -> Result<i64> {
    let shown = format!("{} {name}", kind.name());
    run(state, viewer, "ingest", &shown, move |session, progress| {
        let req = app::ingest::IngestRequest::default();
        let out = match kind {
            Upload::People => session
                .ingest(app::ingest::Kind::People, &file, &req, progress)
                .map(summary),
            Upload::Events => session
                .ingest(app::ingest::Kind::Events, &file, &req, progress)
                .map(summary),
            Upload::Survey => session
                .ingest(app::ingest::Kind::Survey, &file, &req, progress)
                .map(summary),
            Upload::Mail => session
                .ingest_mail(
                    &file,
                    Some(app::ingest::MailFormat::Mbox),
                    app::ingest::MailOptions::default(),
                    &req,
                    progress,
                )
                .map(|r| summary(r.0)),
            Upload::Calendar => session
                .ingest_calendar(&file, &req, progress)
                .map(|r| summary(r.0)),
            Upload::Chat => session
                .ingest_chat(&file, &req, progress)
                .map(|r| summary(r.0)),
            Upload::Viva => session
                .ingest_viva(&file, &req, progress)
                .map(|r| summary(r.0)),
        };
        if let Some(dir) = file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
        out
    })
}

fn summary(r: app::ingest::IngestReport) -> String {
    let rejected: u64 = r.rejected.values().sum();
    format!(
        "{} rows read, {} accepted, {rejected} rejected; {} people added, {} interactions, {} survey answers",
        r.rows_read, r.accepted, r.people_added, r.events, r.answers
    )
}

/// Analyzes the workspace in `windows`, then serves the new analysis.
pub fn analyze(state: &State, viewer: &Viewer, windows: Vec<String>) -> Result<i64> {
    let s = state.clone();
    run(
        state,
        viewer,
        "analyze",
        &windows.join(", "),
        move |session, progress| {
            let req = app::analyze::AnalyzeRequest {
                windows,
                ..Default::default()
            };
            let a = session.analyze(&req, progress)?;
            s.reload()?;
            Ok(format!(
                "{} people in {} windows{}",
                a.org.n(),
                a.windows.len(),
                if a.empty_windows.is_empty() {
                    String::new()
                } else {
                    format!(" ({} without interactions)", a.empty_windows.join(", "))
                }
            ))
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn failed_jobs_do_not_show_the_servers_folders() {
        let ws = std::path::Path::new("/srv/ws");
        let m =
            "people.csv: /srv/ws/.orgmirror/server-tmp/abc123/people.csv: line 3, field id: empty";
        assert_eq!(
            super::hide_folder(m, ws),
            "people.csv: people.csv: line 3, field id: empty"
        );
        assert_eq!(super::hide_folder("no folder here", ws), "no folder here");
    }
}
