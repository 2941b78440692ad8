//! The JWT secret: `HRMS_JWT_SECRET`, or else one generated once and kept in
//! the data directory (`jwt-secret`, readable by its owner only), so that
//! `hrms dev` and `hrms token` agree without configuration.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

const FILE: &str = "jwt-secret";

/// The secret bytes, creating the file if there is neither variable nor file.
pub fn jwt_secret(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(secret) = std::env::var("HRMS_JWT_SECRET") {
        if secret.len() < 32 {
            bail!("HRMS_JWT_SECRET must be at least 32 characters");
        }
        return Ok(secret.into_bytes());
    }
    let path = data_dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => return Ok(text.trim().as_bytes().to_vec()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let hex = random_token().context("no randomness for the JWT secret")?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(hex.as_bytes()).with_context(|| format!("writing {}", path.display()))?
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return jwt_secret(data_dir),
        Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
    }
    Ok(hex.into_bytes())
}

/// 32 random bytes as 64 hex characters: a secret of the operating
/// system's randomness (the JWT secret; a delivery token nobody else knows).
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
