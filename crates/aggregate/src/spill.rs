//! Sorted runs of pair accumulators on disk: each closed partition window (a month) is written
//! here in pair order, and the window `all` is built at the end by merging the runs, so that
//! memory holds only the windows still open, never the whole history.
//!
//! Format of one entry: the key's distance from the previous entry's key (varint), a bit mask
//! of the non-zero integer fields followed by those (varints), a byte saying which of the four
//! float fields are not +0.0 followed by those, the first time (zig-zag varint) and the last
//! time's distance from it, and the latency samples (a varint count, then raw f32). Most fields
//! of most pairs are zero and cost one bit. Entries are encoded into a buffer and written in
//! large blocks, and decoded from one.

use crate::acc::PairAcc;
use crate::varint::{VarintError, put as put_varint, unzigzag, zigzag};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use store::StoreError;

/// An entry without its samples is never longer than this: key, mask and every integer field as
/// varints, the float mask, four floats and two times.
const MAX_ENTRY: usize = 10 + 10 + PairAcc::N_INTS * 5 + 1 + 32 + 10 + 10 + 10;
const BLOCK: usize = 1 << 20;
const _: () = assert!(PairAcc::N_INTS <= 64);

pub struct SpillWriter {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    last_key: u64,
}

impl SpillWriter {
    pub fn create(path: &Path) -> Result<SpillWriter, StoreError> {
        let file = File::create(path).map_err(|e| StoreError::io(path, e))?;
        Ok(SpillWriter {
            path: path.to_path_buf(),
            file,
            buf: Vec::with_capacity(BLOCK + MAX_ENTRY),
            last_key: 0,
        })
    }

    /// Appends one entry; entries must come in increasing key order.
    pub fn write(&mut self, key: u64, p: &PairAcc, latencies: &[f32]) -> Result<(), StoreError> {
        debug_assert!(key >= self.last_key);
        let buf = &mut self.buf;
        put_varint(buf, key - self.last_key);
        self.last_key = key;
        let ints = p.ints();
        let mask = ints
            .iter()
            .enumerate()
            .fold(0u64, |m, (i, &v)| if v != 0 { m | (1 << i) } else { m });
        put_varint(buf, mask);
        for &v in ints.iter().filter(|&&v| v != 0) {
            put_varint(buf, v as u64);
        }
        let floats = p.floats();
        let fmask =
            floats.iter().enumerate().fold(
                0u8,
                |m, (i, f)| if f.to_bits() != 0 { m | (1 << i) } else { m },
            );
        buf.push(fmask);
        for f in floats.iter().filter(|f| f.to_bits() != 0) {
            buf.extend_from_slice(&f.to_le_bytes());
        }
        put_varint(buf, zigzag(p.first));
        put_varint(buf, zigzag(p.last.wrapping_sub(p.first)));
        put_varint(buf, latencies.len() as u64);
        for l in latencies {
            buf.extend_from_slice(&l.to_le_bytes());
        }
        if buf.len() >= BLOCK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        self.file
            .write_all(&self.buf)
            .map_err(|e| StoreError::io(&self.path, e))?;
        self.buf.clear();
        Ok(())
    }

    pub fn finish(mut self) -> Result<PathBuf, StoreError> {
        self.flush()?;
        Ok(self.path)
    }
}

pub struct SpillReader {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    last_key: u64,
}

fn truncated() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, "spilled run is truncated")
}

impl SpillReader {
    pub fn open(path: &Path) -> Result<SpillReader, StoreError> {
        let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
        Ok(SpillReader {
            path: path.to_path_buf(),
            file,
            buf: Vec::with_capacity(BLOCK),
            pos: 0,
            eof: false,
            last_key: 0,
        })
    }

    /// Makes at least `n` unread bytes available, unless the file ends first.
    fn fill(&mut self, n: usize) -> std::io::Result<()> {
        if self.buf.len() - self.pos >= n || self.eof {
            return Ok(());
        }
        self.buf.drain(..self.pos);
        self.pos = 0;
        while self.buf.len() < n.max(BLOCK) {
            let have = self.buf.len();
            self.buf.resize(have + BLOCK, 0);
            let got = self.file.read(&mut self.buf[have..])?;
            self.buf.truncate(have + got);
            if got == 0 {
                self.eof = true;
                break;
            }
        }
        Ok(())
    }

    #[inline]
    fn varint(&mut self) -> std::io::Result<u64> {
        crate::varint::get(&self.buf, &mut self.pos).map_err(|e| match e {
            VarintError::Truncated => truncated(),
            VarintError::TooLong => {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "varint too long")
            }
        })
    }

    fn bytes<const N: usize>(&mut self) -> std::io::Result<[u8; N]> {
        let b = self
            .buf
            .get(self.pos..self.pos + N)
            .ok_or_else(truncated)?
            .try_into()
            .expect("N bytes");
        self.pos += N;
        Ok(b)
    }

    /// The next entry, or `None` at the end.
    pub fn next_entry(&mut self) -> Result<Option<(u64, PairAcc, Vec<f32>)>, StoreError> {
        self.decode().map_err(|e| StoreError::io(&self.path, e))
    }

    fn decode(&mut self) -> std::io::Result<Option<(u64, PairAcc, Vec<f32>)>> {
        self.fill(MAX_ENTRY)?;
        if self.pos == self.buf.len() {
            return Ok(None);
        }
        let key = self.last_key + self.varint()?;
        self.last_key = key;
        let mask = self.varint()?;
        let mut ints = [0u32; PairAcc::N_INTS];
        for (i, v) in ints.iter_mut().enumerate() {
            if mask & (1 << i) != 0 {
                *v = self.varint()? as u32;
            }
        }
        let [fmask] = self.bytes::<1>()?;
        let mut floats = [0f64; 4];
        for (i, f) in floats.iter_mut().enumerate() {
            if fmask & (1 << i) != 0 {
                *f = f64::from_le_bytes(self.bytes::<8>()?);
            }
        }
        let first = unzigzag(self.varint()?);
        let last = first.wrapping_add(unzigzag(self.varint()?));
        let n = self.varint()? as usize;
        let mut latencies = Vec::new();
        if n > 0 {
            self.fill(n.checked_mul(4).ok_or_else(truncated)?)?;
            latencies.reserve(n);
            for _ in 0..n {
                latencies.push(f32::from_le_bytes(self.bytes::<4>()?));
            }
        }
        Ok(Some((
            key,
            PairAcc::from_parts(ints, floats, first, last),
            latencies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run");
        let mut w = SpillWriter::create(&path).unwrap();
        // Enough entries, some with long sample lists, to cross block boundaries.
        let entries: Vec<(u64, PairAcc, Vec<f32>)> = (0..60_000u64)
            .map(|i| {
                let mut ints = [0u32; PairAcc::N_INTS];
                ints[(i as usize) % PairAcc::N_INTS] = (i * 1000) as u32;
                ints[(i as usize * 7) % PairAcc::N_INTS] = u32::MAX - i as u32;
                let floats = [i as f64 * 0.5, 0.0, 1.0 / (i + 1) as f64, -0.0];
                let first = if i % 3 == 0 {
                    i64::MAX
                } else {
                    1_700_000_000_000 + i as i64
                };
                let last = if i % 3 == 0 { i64::MIN } else { -(i as i64) };
                let samples = if i % 997 == 0 { 70_000 } else { i % 4 };
                (
                    i * 7919 + (i << 33),
                    PairAcc::from_parts(ints, floats, first, last),
                    (0..samples).map(|x| x as f32 * 1.5).collect(),
                )
            })
            .collect();
        for (k, acc, l) in &entries {
            w.write(*k, acc, l).unwrap();
        }
        let path = w.finish().unwrap();
        let mut r = SpillReader::open(&path).unwrap();
        for want in &entries {
            let got = r.next_entry().unwrap().unwrap();
            assert_eq!(got.0, want.0);
            assert_eq!(got.1.ints(), want.1.ints());
            assert_eq!(
                got.1.floats().map(f64::to_bits),
                want.1.floats().map(f64::to_bits)
            );
            assert_eq!((got.1.first, got.1.last), (want.1.first, want.1.last));
            assert_eq!(got.2, want.2);
        }
        assert!(r.next_entry().unwrap().is_none());
    }

    #[test]
    fn a_truncated_run_is_an_error_not_a_short_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run");
        let mut w = SpillWriter::create(&path).unwrap();
        let acc = PairAcc {
            n: 3,
            weight: 3.0,
            ..PairAcc::default()
        };
        w.write(5, &acc, &[1.0, 2.0]).unwrap();
        let path = w.finish().unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(len - 3).unwrap();
        let mut r = SpillReader::open(&path).unwrap();
        assert!(r.next_entry().is_err());
    }
}
