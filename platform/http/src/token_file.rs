//! A bearer token kept in a file something else renews: a projected
//! service-account token (the KafkaSink publisher's), or a Secret mounted
//! as a volume (the service token), both of which the kubelet replaces in
//! place. Read again whenever the file's modification time or length
//! changes.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// A token file and the token last read from it.
#[derive(Debug)]
pub struct TokenFile {
    path: PathBuf,
    /// (modification time, length, token) of the last read.
    last: Mutex<Option<(SystemTime, u64, String)>>,
}

impl TokenFile {
    /// The token of `path`, which must be readable and not empty now.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = Self { path: path.to_owned(), last: Mutex::new(None) };
        file.token()?;
        Ok(file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current token: the cached one unless the file changed.
    pub fn token(&self) -> std::io::Result<String> {
        let meta = std::fs::metadata(&self.path)?;
        let stamp = (meta.modified()?, meta.len());
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((modified, len, token)) = last.as_ref()
            && (*modified, *len) == stamp
        {
            return Ok(token.clone());
        }
        let token = std::fs::read_to_string(&self.path)?.trim().to_owned();
        if token.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "the token file is empty"));
        }
        *last = Some((stamp.0, stamp.1, token.clone()));
        Ok(token)
    }
}
