//! LEB128 varints (seven bits a byte, low first, the high bit set on every byte but the last)
//! and zig-zag signs: the compact integers of spilled runs (`spill`) and of the DataFusion
//! engine's accumulator states (crates/engines).

#[inline]
pub fn put(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push(v as u8 | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Why [`get`] read no varint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// The bytes end before the varint does.
    Truncated,
    /// More than 64 bits.
    TooLong,
}

/// The varint at `*pos`, moving `*pos` past it.
#[inline]
pub fn get(bytes: &[u8], pos: &mut usize) -> Result<u64, VarintError> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let &b = bytes.get(*pos).ok_or(VarintError::Truncated)?;
        *pos += 1;
        v |= ((b & 0x7F) as u64) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
        shift += 7;
        if shift > 63 {
            return Err(VarintError::TooLong);
        }
    }
}

pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_signs_round_trip() {
        let mut buf = Vec::new();
        let values = [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX];
        for v in values {
            put(&mut buf, v);
        }
        let mut pos = 0;
        for v in values {
            assert_eq!(get(&buf, &mut pos), Ok(v));
        }
        assert_eq!(pos, buf.len());
        assert_eq!(get(&buf, &mut pos), Err(VarintError::Truncated));
        assert_eq!(get(&[0x80; 11], &mut 0), Err(VarintError::TooLong));
        for v in [0i64, 1, -1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
    }
}
