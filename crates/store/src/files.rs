//! Files the workspace owns: private modes (folders 0700, files 0600) and content checksums.

use crate::StoreError;
use std::path::Path;

/// The BLAKE3 hash of a file's bytes as lower-case hex, read in a stream (never whole).
pub fn file_hash(path: &Path) -> Result<String, StoreError> {
    let file = std::fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
    let mut hasher = blake3::Hasher::new();
    hasher
        .update_reader(std::io::BufReader::with_capacity(1 << 16, file))
        .map_err(|e| StoreError::io(path, e))?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// Checks a stored file against the checksum recorded when it was committed.
pub(crate) fn verify_file(path: &Path, checksum: Option<&str>) -> Result<(), StoreError> {
    let Some(want) = checksum else {
        // Recorded before checksums existed and never migrated: nothing to compare with.
        return Ok(());
    };
    if file_hash(path)? != want {
        return Err(StoreError::Damaged {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Creates a folder (and its parents) readable by the owner only; an existing one is made so.
pub(crate) fn private_dir(path: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(|e| StoreError::io(path, e))?;
    set_mode(path, 0o700)
}

/// Makes a file readable and writable by the owner only.
pub(crate) fn private_file(path: &Path) -> Result<(), StoreError> {
    set_mode(path, 0o600)
}

/// Creates (or truncates) a file readable and writable by the owner only.
pub(crate) fn create_private(path: &Path) -> Result<std::fs::File, StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(|e| StoreError::io(path, e))?;
    private_file(path)?;
    Ok(file)
}

fn set_mode(path: &Path, mode: u32) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| StoreError::io(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}
