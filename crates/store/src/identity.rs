//! Identities at rest: external ids, names and e-mail addresses are sealed with
//! ChaCha20-Poly1305 under an identity key that may live outside the workspace (a customer-held
//! key: `--key-file` or the front end's environment). Without the key a workspace still opens:
//! people are known by pseudonym only, and nothing that needs an identity (ingesting people,
//! showing names) can run.

use crate::StoreError;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::cell::Cell;
use std::path::{Path, PathBuf};

/// Where a workspace keeps its identity key unless told otherwise.
pub const DEFAULT_KEY_FILE: &str = ".orgmirror/identity.key";
const PREFIX: &str = "x1:";
const CHECK: &[u8] = b"orgmirror identity key check";

/// An identity key and a nonce source (a random prefix per process and a counter, so no nonce
/// repeats under one key).
pub struct IdentityKey {
    cipher: ChaCha20Poly1305,
    check: String,
    prefix: Cell<[u8; 8]>,
    counter: Cell<u32>,
    pub path: PathBuf,
}

impl IdentityKey {
    fn from_bytes(key: [u8; 32], path: &Path) -> Result<IdentityKey, StoreError> {
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&crate::keys::random_key()?[..8]);
        Ok(IdentityKey {
            cipher: ChaCha20Poly1305::new(&Key::from(key)),
            check: crate::keys::hex(&blake3::keyed_hash(&key, CHECK).as_bytes()[..8]),
            prefix: Cell::new(prefix),
            counter: Cell::new(0),
            path: path.to_path_buf(),
        })
    }

    /// Reads the key at `path`.
    pub fn read(path: &Path) -> Result<IdentityKey, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| StoreError::io(path, e))?;
        let key = crate::keys::unhex(&text)
            .ok_or_else(|| StoreError::corrupt(path, "not an identity key (64 hex digits)"))?;
        IdentityKey::from_bytes(key, path)
    }

    /// Reads the key at `path`, or makes a new one there (readable by its owner only).
    pub fn read_or_create(path: &Path) -> Result<IdentityKey, StoreError> {
        if path.exists() {
            return IdentityKey::read(path);
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        }
        let key = crate::keys::random_key()?;
        {
            use std::io::Write;
            let mut file = crate::files::create_private(path)?;
            file.write_all((crate::keys::hex(&key) + "\n").as_bytes())
                .map_err(|e| StoreError::io(path, e))?;
        }
        IdentityKey::from_bytes(key, path)
    }

    /// A short fingerprint stored in the workspace, so a wrong key is told apart from no key.
    pub fn check(&self) -> &str {
        &self.check
    }

    /// Seals one value, bound to where it is kept (`place`: the person's index and the column),
    /// so that a sealed value moved to another person or column no longer opens.
    pub fn seal(&self, text: &str, place: &str) -> String {
        let n = self.counter.get();
        self.counter.set(n.wrapping_add(1));
        if n == u32::MAX {
            // Never reuse a nonce: a new prefix after 2^32 values (derived from the old one when
            // no randomness can be read, which still never repeats a prefix under this key).
            let old = self.prefix.get();
            let fresh =
                crate::keys::random_key().unwrap_or_else(|_| *blake3::hash(&old).as_bytes());
            let mut p = [0u8; 8];
            p.copy_from_slice(&fresh[..8]);
            self.prefix.set(p);
        }
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&self.prefix.get());
        nonce[8..].copy_from_slice(&n.to_le_bytes());
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                chacha20poly1305::aead::Payload {
                    msg: text.as_bytes(),
                    aad: place.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 encryption does not fail on a slice");
        let mut out = String::with_capacity(PREFIX.len() + 2 * (12 + sealed.len()));
        out.push_str(PREFIX);
        out.push_str(&crate::keys::hex(&nonce));
        out.push_str(&crate::keys::hex(&sealed));
        out
    }

    /// Opens a sealed value kept at `place` (`db` names the workspace in an error).
    pub fn open(&self, sealed: &str, place: &str, db: &Path) -> Result<String, StoreError> {
        let bad = || StoreError::corrupt(db, "an identity could not be decrypted");
        let body = sealed.strip_prefix(PREFIX).ok_or_else(bad)?;
        let bytes = unhex_any(body).ok_or_else(bad)?;
        if bytes.len() < 12 {
            return Err(bad());
        }
        let nonce = Nonce::try_from(&bytes[..12]).map_err(|_| bad())?;
        let plain = self
            .cipher
            .decrypt(
                &nonce,
                chacha20poly1305::aead::Payload {
                    msg: &bytes[12..],
                    aad: place.as_bytes(),
                },
            )
            .map_err(|_| bad())?;
        String::from_utf8(plain).map_err(|_| bad())
    }
}

/// Whether a stored value is sealed (a workspace made before identities were).
pub fn is_sealed(text: &str) -> bool {
    text.starts_with(PREFIX)
}

fn unhex_any(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_their_key_only_and_never_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let key = IdentityKey::read_or_create(&dir.path().join("k")).unwrap();
        let other = IdentityKey::read_or_create(&dir.path().join("k2")).unwrap();
        let a = key.seal("ann@example.com", "1/emails");
        let b = key.seal("ann@example.com", "1/emails");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("ann"));
        let db = dir.path().join("db");
        assert_eq!(key.open(&a, "1/emails", &db).unwrap(), "ann@example.com");
        assert!(other.open(&a, "1/emails", &db).is_err());
        // Moved to another person or column, it no longer opens.
        assert!(key.open(&a, "2/emails", &db).is_err());
        assert!(key.open(&a, "1/name", &db).is_err());
        assert_ne!(key.check(), other.check());
        let again = IdentityKey::read(&dir.path().join("k")).unwrap();
        assert_eq!(again.open(&b, "1/emails", &db).unwrap(), "ann@example.com");
        assert_eq!(again.check(), key.check());
    }
}
