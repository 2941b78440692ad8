//! Passwords: the policy a new one must meet, argon2id hashing (PHC
//! strings, parameters of the `argon2` crate's defaults: 19 MiB, 2 passes),
//! and verification. Hashing runs on a blocking thread, at most one per
//! core at a time: each takes 19 MiB and a core for tens of milliseconds,
//! so more at once would only add memory and latency.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::UserError;
use crate::model::Password;

/// Shortest accepted password, in characters (NIST SP 800-63B asks 8 at least).
pub const MIN_CHARS: usize = 12;
/// Longest accepted password, in characters (bounds the hashing work).
pub const MAX_CHARS: usize = 128;

/// Whether `password` meets the policy; the field is named `field`.
pub fn check(password: &Password, field: &str, email: &str) -> Result<(), UserError> {
    let text = password.expose();
    let chars = text.chars().count();
    if chars < MIN_CHARS {
        return Err(UserError::invalid(field, format!("a password needs at least {MIN_CHARS} characters")));
    }
    if chars > MAX_CHARS {
        return Err(UserError::invalid(field, format!("a password has at most {MAX_CHARS} characters")));
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.len() >= 4 && text.to_lowercase().contains(&local) {
        return Err(UserError::invalid(field, "a password must not contain the e-mail address"));
    }
    Ok(())
}

/// Hashings and verifications allowed at once.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// Runs `work` on a blocking thread once a hashing slot is free.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _slot = HASHING.acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
struct HashFailed(#[source] argon2::password_hash::Error);

/// The PHC string of `password`.
pub async fn hash(password: &Password) -> Result<String, UserError> {
    let password = password.clone();
    hashing(move || {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| UserError::Unavailable(Box::new(HashFailed(e))))
    })
    .await
    .unwrap_or_else(|| Err(UserError::Unavailable("password hashing was interrupted".into())))
}

/// Whether `password` matches the PHC string `hash`.
pub async fn verify(password: &Password, hash: &str) -> bool {
    let (password, hash) = (password.clone(), hash.to_owned());
    hashing(move || {
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_salted() {
        let pw = Password::new("correct horse battery staple");
        let (a, b) = (hash(&pw).await.expect("hash"), hash(&pw).await.expect("hash"));
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify(&pw, &a).await);
        assert!(!verify(&Password::new("correct horse battery stapler"), &a).await);
        assert!(!verify(&pw, "not a hash").await);
    }

    #[test]
    fn the_policy_names_the_field() {
        let short = check(&Password::new("short"), "password", "ada@example.com").expect_err("short");
        assert!(matches!(short, UserError::Invalid { field, .. } if field == "password"));
        assert!(
            check(&Password::new("my name is ada.lovelace!"), "new_password", "ada.lovelace@x.org").is_err()
        );
        assert!(check(&Password::new("a long enough passphrase"), "password", "ada@example.com").is_ok());
    }
}
