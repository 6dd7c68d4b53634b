//! Where time and memory go: each stage's seconds and the process's peak resident memory while
//! it ran (Linux: `VmHWM` of /proc/self/status, reset before the stage by writing 5 to
//! /proc/self/clear_refs). Elsewhere, or where /proc is not readable, the peak is unknown (0).

use std::time::Instant;

/// One stage: its name, seconds, and the peak resident bytes while it ran (0: unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: String,
    pub secs: f64,
    pub peak_bytes: u64,
}

/// Times consecutive stages; each `lap` closes the stage that ran since the last one.
pub struct Stages {
    pub stages: Vec<Stage>,
    clock: Instant,
}

impl Default for Stages {
    fn default() -> Self {
        Self::new()
    }
}

impl Stages {
    pub fn new() -> Stages {
        reset_peak();
        Stages {
            stages: Vec::new(),
            clock: Instant::now(),
        }
    }

    /// Closes the running stage as `name` and starts the next.
    pub fn lap(&mut self, name: &str) {
        self.stages.push(Stage {
            name: name.to_string(),
            secs: self.clock.elapsed().as_secs_f64(),
            peak_bytes: peak_bytes(),
        });
        reset_peak();
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

/// Resets the peak resident memory to the current resident memory.
pub fn reset_peak() {
    #[cfg(target_os = "linux")]
    {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
}

/// The peak resident memory since the last reset, in bytes (0 where unknown).
pub fn peak_bytes() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// The resident memory now, in bytes (0 where unknown).
pub fn rss_bytes() -> u64 {
    status_kib("VmRSS:") * 1024
}

fn status_kib(field: &str) -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
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

    #[test]
    fn a_stage_that_allocates_shows_a_higher_peak_than_the_one_after_it() {
        if rss_bytes() == 0 {
            return; // no /proc here: nothing to measure
        }
        let mut s = Stages::new();
        let big: Vec<u8> = vec![1; 256 << 20];
        // Touch every page so that it is resident.
        let sum: u64 = big.iter().step_by(4096).map(|&x| x as u64).sum();
        assert_eq!(sum, (256u64 << 20) / 4096);
        drop(big);
        s.lap("big");
        s.lap("small");
        let (big, small) = (&s.stages[0], &s.stages[1]);
        assert!(
            big.peak_bytes >= small.peak_bytes + (200 << 20),
            "{big:?} vs {small:?}"
        );
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
