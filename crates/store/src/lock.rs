//! The workspace lock: one orgmirror run that changes a workspace at a time.
//!
//! An advisory lock (`flock` on Unix) on `.orgmirror/lock`, taken with `File::try_lock`, so a
//! second run is refused at once instead of waiting. The holder writes its pid and what it is
//! doing into the file, for the message the second run prints. The operating system drops the
//! lock when the holder exits, even when it is killed, so a crash never leaves it held.

use crate::StoreError;
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Held while a run changes the workspace; released when dropped.
#[derive(Debug)]
pub struct WorkspaceLock {
    file: File,
    path: PathBuf,
}

impl WorkspaceLock {
    pub(crate) fn acquire(path: &Path, what: &str) -> Result<WorkspaceLock, StoreError> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| StoreError::io(path, e))?;
        crate::files::private_file(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let (pid, what) = text
                    .trim()
                    .split_once(' ')
                    .unwrap_or(("unknown", "something"));
                return Err(StoreError::Busy {
                    what: what.to_string(),
                    pid: pid.to_string(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(StoreError::io(path, e)),
        }
        let write = |file: &mut File| -> std::io::Result<()> {
            file.set_len(0)?;
            file.rewind()?;
            writeln!(file, "{} {what}", std::process::id())?;
            file.flush()
        };
        write(&mut file).map_err(|e| StoreError::io(path, e))?;
        Ok(WorkspaceLock {
            file,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkspaceLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}
