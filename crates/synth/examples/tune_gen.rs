//! TEMPORARY tuning helper (to delete).
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let mut cfg = synth::GenerateConfig::new(
        a[2].parse().unwrap(),
        a[3].parse().unwrap(),
        a[4].parse().unwrap(),
    );
    cfg.format = synth::EventFormat::Csv;
    cfg.metadata_only = a[5] == "meta";
    let env = |k: &str, d: f64| {
        std::env::var(k)
            .ok()
            .map(|v| v.parse::<f64>().unwrap())
            .unwrap_or(d)
    };
    let r = &mut cfg.realism;
    r.latency_scale = env("LS", r.latency_scale);
    r.latency_power = env("LP", r.latency_power);
    r.latency_sigma = env("LSIG", r.latency_sigma);
    r.answer_requests = env("AR", r.answer_requests);
    r.answer_messages = env("AM", r.answer_messages);
    r.extra_to = env("XTO", r.extra_to);
    r.meeting_answer = env("MA", r.meeting_answer);
    r.to_manager = env("TOMGR", r.to_manager);
    r.answered_list = env("ALIST", r.answered_list as f64) as usize;
    r.to_head = env("HEAD", r.to_head);
    r.activity_sigma = env("ASIG", r.activity_sigma);
    r.evening = env("EVE", r.evening);
    r.hierarchy = env("HIER", r.hierarchy);
    r.contacts.0 = env("CLO", r.contacts.0 as f64) as usize;
    r.contacts.1 = env("CSPAN", r.contacts.1 as f64) as usize;
    r.cc_chance = env("CC", r.cc_chance);
    r.cc_max = env("CCMAX", r.cc_max as f64) as u32;
    r.reply_cc_chance = env("RCC", r.reply_cc_chance);
    r.away_share = env("AWAY", r.away_share);
    r.away_drop = env("AWAYDROP", r.away_drop);
    r.away_days.1 = env("AWAYMAX", r.away_days.1 as f64) as i32;
    if let Ok(e) = std::env::var("EVENTS") {
        cfg.events = Some(e.parse().unwrap());
    }
    let s = synth::generate(&cfg, std::path::Path::new(&a[1]), &|_, _| {}).unwrap();
    eprintln!("{} rows {} events", s.event_rows, s.events);
}
