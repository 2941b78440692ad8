//! Secrets that change while a sandbox lives (a service token of 12 hours,
//! rotated in Secrets Manager): kept in files that the code reads again
//! when they change (`<NAME>_FILE`), and read again from the extension
//! before an invocation once `every` has passed since the last read, or
//! once the value, a JWT, expires within [`MARGIN`]. Wall-clock time: a
//! frozen sandbox's monotonic clock may not advance.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{SecretError, Source, fetch_one};

/// How long before a JWT's expiry it is read again.
pub const MARGIN: Duration = Duration::from_secs(15 * 60);
/// The least time between two reads of a secret (the extension caches
/// values for 5 minutes by default; a token not yet rotated is asked for at
/// most this often).
pub const LEAST_GAP: Duration = Duration::from_secs(5);

/// Secrets in files, read again when due.
#[derive(Debug)]
pub struct SecretFiles {
    port: u16,
    token: String,
    every: Duration,
    secrets: Vec<SecretFile>,
}

#[derive(Debug)]
struct SecretFile {
    name: String,
    source: Source,
    path: PathBuf,
    /// When it was last read, and when its value expires (a JWT's `exp`).
    read: Mutex<(SystemTime, Option<SystemTime>)>,
}

impl SecretFiles {
    /// Reads each of `wanted` from the extension on `port` (with the
    /// session `token`) and writes it to `dir/<NAME>`; they are read again
    /// `every` (or sooner, see the module's doc).
    pub fn load(
        wanted: Vec<(String, Source)>,
        dir: &Path,
        port: u16,
        token: &str,
        every: Duration,
    ) -> Result<Self, SecretError> {
        let unwritable = |name: &str, source| SecretError::File { variable: name.to_owned(), source };
        std::fs::create_dir_all(dir).map_err(|e| unwritable("the secrets' directory", e))?;
        let mut secrets = Vec::with_capacity(wanted.len());
        for (name, source) in wanted {
            let value = fetch_one(&name, &source, port, token)?;
            let path = dir.join(&name);
            write(&path, &value).map_err(|e| unwritable(&name, e))?;
            let read = Mutex::new((SystemTime::now(), expiry(&value)));
            secrets.push(SecretFile { name, source, path, read });
        }
        Ok(Self { port, token: token.to_owned(), every, secrets })
    }

    /// Each secret's variable and the file that holds its value.
    pub fn files(&self) -> impl Iterator<Item = (&str, &Path)> {
        self.secrets.iter().map(|s| (s.name.as_str(), s.path.as_path()))
    }

    /// Whether a secret is to be read again at `now`.
    pub fn due(&self, now: SystemTime) -> bool {
        self.secrets.iter().any(|s| self.is_due(s, now))
    }

    fn is_due(&self, secret: &SecretFile, now: SystemTime) -> bool {
        let (read, expires) = *secret.read.lock().unwrap_or_else(PoisonError::into_inner);
        let since = now.duration_since(read).unwrap_or_default();
        let expiring = expires.is_some_and(|e| now + MARGIN >= e);
        since >= self.every || (expiring && since >= LEAST_GAP.min(self.every))
    }

    /// Reads again the secrets due at `now` and rewrites their files (a
    /// new file renamed over the old: a reader sees one or the other); how
    /// many were read. A secret that cannot be read keeps its file.
    pub fn refresh(&self, now: SystemTime) -> Result<usize, SecretError> {
        let mut read = 0;
        for secret in self.secrets.iter().filter(|s| self.is_due(s, now)) {
            let value = fetch_one(&secret.name, &secret.source, self.port, &self.token)?;
            write(&secret.path, &value)
                .map_err(|source| SecretError::File { variable: secret.name.clone(), source })?;
            *secret.read.lock().unwrap_or_else(PoisonError::into_inner) = (now, expiry(&value));
            read += 1;
        }
        Ok(read)
    }
}

/// Writes `value` to `path` by renaming a new file over it, readable by
/// this user alone.
fn write(path: &Path, value: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let new = path.with_extension("new");
    let mut file =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&new)?;
    file.write_all(value.as_bytes())?;
    std::fs::rename(&new, path)
}

/// When `value` expires, if it is a JWT with an `exp` claim.
fn expiry(value: &str) -> Option<SystemTime> {
    let mut parts = value.trim().split('.');
    let (_, claims, _, None) = (parts.next()?, parts.next()?, parts.next()?, parts.next()) else {
        return None;
    };
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    Some(UNIX_EPOCH + Duration::from_secs(exp))
}

#[cfg(test)]
mod tests;
