//! Sorted runs of pair accumulators on disk: each closed partition window (a month) is written
//! here in pair order, and the window `all` is built at the end by merging the runs, so that
//! memory holds only the windows still open, never the whole history.
//!
//! Format of one entry: key (varint), the integer fields (varints), a byte saying which of the
//! four float fields are non-zero followed by those, first and last time (zig-zag varints), and
//! the latency samples (a varint count, then raw f32). Most fields of most pairs are zero and
//! take one byte.

use crate::pairs::PairAcc;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use store::StoreError;

fn put_varint(w: &mut impl Write, mut v: u64) -> std::io::Result<()> {
    let mut buf = [0u8; 10];
    let mut i = 0;
    loop {
        let byte = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            buf[i] = byte;
            i += 1;
            break;
        }
        buf[i] = byte | 0x80;
        i += 1;
    }
    w.write_all(&buf[..i])
}

fn get_varint(r: &mut impl Read) -> std::io::Result<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let mut b = [0u8; 1];
        r.read_exact(&mut b)?;
        v |= ((b[0] & 0x7F) as u64) << shift;
        if b[0] & 0x80 == 0 {
            return Ok(v);
        }
        shift += 7;
        if shift > 63 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "varint too long",
            ));
        }
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub struct SpillWriter {
    path: PathBuf,
    w: BufWriter<File>,
}

impl SpillWriter {
    pub fn create(path: &Path) -> Result<SpillWriter, StoreError> {
        let file = File::create(path).map_err(|e| StoreError::io(path, e))?;
        Ok(SpillWriter {
            path: path.to_path_buf(),
            w: BufWriter::with_capacity(1 << 20, file),
        })
    }

    /// Appends one entry; entries must come in increasing key order.
    pub fn write(&mut self, key: u64, p: &PairAcc, latencies: &[f32]) -> Result<(), StoreError> {
        self.encode(key, p, latencies)
            .map_err(|e| StoreError::io(&self.path, e))
    }

    fn encode(&mut self, key: u64, p: &PairAcc, latencies: &[f32]) -> std::io::Result<()> {
        let w = &mut self.w;
        put_varint(w, key)?;
        for v in p.ints() {
            put_varint(w, v as u64)?;
        }
        let floats = p.floats();
        let mask = floats
            .iter()
            .enumerate()
            .fold(0u8, |m, (i, f)| if *f != 0.0 { m | (1 << i) } else { m });
        w.write_all(&[mask])?;
        for f in floats.iter().filter(|f| **f != 0.0) {
            w.write_all(&f.to_le_bytes())?;
        }
        put_varint(w, zigzag(p.first))?;
        put_varint(w, zigzag(p.last))?;
        put_varint(w, latencies.len() as u64)?;
        for l in latencies {
            w.write_all(&l.to_le_bytes())?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<PathBuf, StoreError> {
        self.w.flush().map_err(|e| StoreError::io(&self.path, e))?;
        Ok(self.path)
    }
}

pub struct SpillReader {
    path: PathBuf,
    r: BufReader<File>,
}

impl SpillReader {
    pub fn open(path: &Path) -> Result<SpillReader, StoreError> {
        let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
        Ok(SpillReader {
            path: path.to_path_buf(),
            r: BufReader::with_capacity(1 << 20, file),
        })
    }

    /// The next entry, or `None` at the end.
    pub fn next_entry(&mut self) -> Result<Option<(u64, PairAcc, Vec<f32>)>, StoreError> {
        let key = match get_varint(&mut self.r) {
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(StoreError::io(&self.path, e)),
        };
        self.decode(key)
            .map(Some)
            .map_err(|e| StoreError::io(&self.path, e))
    }

    fn decode(&mut self, key: u64) -> std::io::Result<(u64, PairAcc, Vec<f32>)> {
        let r = &mut self.r;
        let mut ints = [0u32; PairAcc::N_INTS];
        for v in ints.iter_mut() {
            *v = get_varint(r)? as u32;
        }
        let mut mask = [0u8; 1];
        r.read_exact(&mut mask)?;
        let mut floats = [0f64; 4];
        for (i, f) in floats.iter_mut().enumerate() {
            if mask[0] & (1 << i) != 0 {
                let mut b = [0u8; 8];
                r.read_exact(&mut b)?;
                *f = f64::from_le_bytes(b);
            }
        }
        let first = unzigzag(get_varint(r)?);
        let last = unzigzag(get_varint(r)?);
        let n = get_varint(r)? as usize;
        let mut latencies = Vec::with_capacity(n);
        for _ in 0..n {
            let mut b = [0u8; 4];
            r.read_exact(&mut b)?;
            latencies.push(f32::from_le_bytes(b));
        }
        Ok((
            key,
            PairAcc::from_parts(ints, floats, first, last),
            latencies,
        ))
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
        let mut p = PairAcc::default();
        let entries: Vec<(u64, PairAcc, Vec<f32>)> = (0..50u64)
            .map(|i| {
                let mut ints = [0u32; PairAcc::N_INTS];
                ints[(i as usize) % PairAcc::N_INTS] = (i * 1000) as u32;
                let floats = [i as f64 * 0.5, 0.0, 1.0 / (i + 1) as f64, 0.0];
                let first = if i % 3 == 0 {
                    i64::MAX
                } else {
                    1_700_000_000_000 + i as i64
                };
                let last = if i % 3 == 0 { i64::MIN } else { -(i as i64) };
                (
                    i * 7919 + (i << 33),
                    PairAcc::from_parts(ints, floats, first, last),
                    (0..i % 4).map(|x| x as f32 * 1.5).collect(),
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
            assert_eq!(got.1.floats(), want.1.floats());
            assert_eq!((got.1.first, got.1.last), (want.1.first, want.1.last));
            assert_eq!(got.2, want.2);
        }
        assert!(r.next_entry().unwrap().is_none());
        p.n = 1;
        assert_eq!(p.ints()[0], 1);
    }
}
