//! The process's resident memory, for the stage profile `analyze` prints (Linux: /proc/self;
//! elsewhere, or where /proc cannot be read, 0 = unknown).

/// Resets the peak resident memory to the current resident memory (writes 5 to
/// /proc/self/clear_refs).
pub fn reset_peak() {
    #[cfg(target_os = "linux")]
    {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
}

/// The peak resident memory since the last reset (`VmHWM`), in bytes; 0 where unknown.
pub fn peak_bytes() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// The resident memory now (`VmRSS`), in bytes; 0 where unknown.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_shows_an_allocation_until_it_is_reset() {
        if rss_bytes() == 0 {
            return; // no /proc here: nothing to measure
        }
        reset_peak();
        let before = peak_bytes();
        let big: Vec<u8> = vec![1; 256 << 20];
        // Touch every page so that it is resident.
        let touched: u64 = big.iter().step_by(4096).map(|&x| u64::from(x)).sum();
        assert_eq!(touched, (256u64 << 20) / 4096);
        drop(big);
        let with_big = peak_bytes();
        assert!(with_big >= before + (200 << 20), "{before} → {with_big}");
        reset_peak();
        assert!(peak_bytes() + (200 << 20) <= with_big);
    }
}
