//! The stage profile an analysis reports: the people stage's parts, in the order they run, add up
//! to no more than the stage itself, in every window.

use app::analyze::AnalyzeRequest;
use app::{Session, Silent};

#[test]
fn the_people_stage_is_profiled_by_part() {
    let dir = tempfile::tempdir().unwrap();
    let gen_dir = dir.path().join("input");
    app::ingest::generate(&synth::GenerateConfig::new(80, 20, 7), &gen_dir, &Silent).unwrap();
    let w = dir.path().join("ws");
    let mut s = Session::init(&w, "owner", 5).unwrap();
    s.ingest_generated(&gen_dir, &Silent).unwrap();
    let a = s.analyze(&AnalyzeRequest::default(), &Silent).unwrap();
    assert!(a.windows.len() > 1, "all and at least one month");
    let names: Vec<&str> = a.people_parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "graphs",
            "influence",
            "brokerage",
            "reach",
            "holes",
            "communities",
            "flows_status",
            "roles"
        ]
    );
    let people = a.stages.iter().find(|s| s.name == "people").unwrap().secs;
    let parts: f64 = a.people_parts.iter().map(|p| p.secs).sum();
    assert!(
        parts > 0.0 && parts <= people,
        "{parts} s of parts, {people} s of people"
    );
    // The window kept carries its own parts, no more than the totals over windows.
    let kept = &a.results[0].network.parts;
    assert_eq!(kept.len(), names.len());
    for (k, t) in kept.iter().zip(&a.people_parts) {
        assert!(k.secs <= t.secs, "{}: {} > {}", k.name, k.secs, t.secs);
    }
}
