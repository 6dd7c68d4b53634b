//! Where time and memory go: each stage's seconds and the process's peak resident memory while
//! it ran. The model does no IO, so the memory is read through a probe the caller hands in
//! (`store::memory` in the application); without one the peak is unknown (0).

use std::time::Instant;

/// One stage: its name, seconds, and the peak resident bytes while it ran (0: unknown).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stage {
    pub name: String,
    pub secs: f64,
    pub peak_bytes: u64,
}

/// Reads the process's peak resident memory (`peak`) and resets it to the current (`reset`).
#[derive(Debug, Clone, Copy)]
pub struct MemoryProbe {
    pub reset: fn(),
    pub peak: fn() -> u64,
}

/// Times consecutive stages; each `lap` closes the stage that ran since the last one.
pub struct Stages {
    pub stages: Vec<Stage>,
    clock: Instant,
    probe: Option<MemoryProbe>,
}

impl Stages {
    pub fn new(probe: Option<MemoryProbe>) -> Stages {
        if let Some(p) = probe {
            (p.reset)();
        }
        Stages {
            stages: Vec::new(),
            clock: Instant::now(),
            probe,
        }
    }

    /// Closes the running stage as `name` and starts the next.
    pub fn lap(&mut self, name: &str) {
        self.stages.push(Stage {
            name: name.to_string(),
            secs: self.clock.elapsed().as_secs_f64(),
            peak_bytes: self.probe.map_or(0, |p| (p.peak)()),
        });
        if let Some(p) = self.probe {
            (p.reset)();
        }
        self.clock = Instant::now();
    }

    /// Adds `other`'s stages into totals: seconds summed, the peak the largest, by name, in
    /// first-seen order.
    pub fn add_totals(totals: &mut Vec<Stage>, other: &[Stage]) {
        for s in other {
            match totals.iter_mut().find(|t| t.name == s.name) {
                Some(t) => {
                    t.secs += s.secs;
                    t.peak_bytes = t.peak_bytes.max(s.peak_bytes);
                }
                None => totals.push(s.clone()),
            }
        }
    }
}

/// "1.2 GB", "340 MB": bytes for a person to read (decimal units); "?" when unknown.
pub fn human_bytes(b: u64) -> String {
    match b {
        0 => "?".to_string(),
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b => format!("{:.0} MB", (b as f64 / 1e6).max(1.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    static PEAK: AtomicU64 = AtomicU64::new(0);
    static RESETS: AtomicU64 = AtomicU64::new(0);

    #[test]
    fn each_lap_reads_the_peak_then_resets_it() {
        let probe = MemoryProbe {
            reset: || {
                RESETS.fetch_add(1, Ordering::SeqCst);
                PEAK.store(10, Ordering::SeqCst);
            },
            peak: || PEAK.load(Ordering::SeqCst),
        };
        let mut s = Stages::new(Some(probe));
        PEAK.store(500, Ordering::SeqCst);
        s.lap("big");
        s.lap("small");
        let peaks: Vec<u64> = s.stages.iter().map(|x| x.peak_bytes).collect();
        assert_eq!(peaks, [500, 10]);
        assert_eq!(RESETS.load(Ordering::SeqCst), 3);
        let mut none = Stages::new(None);
        none.lap("x");
        assert_eq!(none.stages[0].peak_bytes, 0);
    }

    #[test]
    fn totals_sum_seconds_and_keep_the_largest_peak() {
        let st = |name: &str, secs, peak_bytes| Stage {
            name: name.into(),
            secs,
            peak_bytes,
        };
        let mut t = Vec::new();
        Stages::add_totals(&mut t, &[st("a", 1.0, 5), st("b", 2.0, 1)]);
        Stages::add_totals(&mut t, &[st("b", 3.0, 7), st("a", 0.5, 2)]);
        assert_eq!(t, vec![st("a", 1.5, 5), st("b", 5.0, 7)]);
        assert_eq!(human_bytes(0), "?");
        assert_eq!(human_bytes(2_345_000_000), "2.3 GB");
        assert_eq!(human_bytes(340_400_000), "340 MB");
    }
}
