//! Password hashing with argon2id. Slow on purpose; always call it off the executor.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::domain::Password;

/// Hashes a password with argon2id (the crate's default parameters, which follow
/// the OWASP recommendation) and a random salt, in PHC string form.
pub fn hash(password: &Password) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password of up to 1024 characters")
        .to_string()
}

/// Checks a password against a stored hash. With no hash (unknown user) it checks
/// against a dummy hash, so both cases cost the same time and both say `false`.
pub fn verify(stored: Option<&str>, password: &Password) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash(&Password::generate()));
    // No hash, or none usable (an invited user who has not set a password yet):
    // the dummy, so every refusal costs the same.
    let (parsed, real) = match stored.map(PasswordHash::new) {
        Some(Ok(parsed)) => (parsed, true),
        _ => (
            PasswordHash::new(dummy).expect("the dummy hash is a PHC string"),
            false,
        ),
    };
    let ok = Argon2::default()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok();
    ok && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let p = Password::offered("correct horse".into());
        let h = hash(&p);
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(Some(&h), &p));
        assert!(!verify(Some(&h), &Password::offered("wrong".into())));
    }

    #[test]
    fn an_unknown_user_never_verifies() {
        assert!(!verify(None, &Password::offered("anything".into())));
    }

    #[test]
    fn a_corrupt_hash_does_not_verify() {
        assert!(!verify(Some("not a hash"), &Password::offered("x".into())));
    }
}

/// The hashing was abandoned (the process is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("password hashing was cancelled")]
pub struct Cancelled;

/// Runs password work (hashing, verifying) off the executor, on rayon's pool of one
/// thread per core rather than the blocking pool the database uses: argon2id is
/// CPU-bound and takes 19 MiB each, so a crowd of sign-ins queues here instead of
/// taking every thread database work needs, or memory by the hundred MiB.
pub async fn off_executor<T, F>(work: F) -> Result<T, Cancelled>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (done, result) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        // The caller may have gone (a dropped request): nothing to tell.
        let _ = done.send(work());
    });
    result.await.map_err(|_| Cancelled)
}
