//! The random values an alert is created with, and how its token is kept: only the
//! SHA-256 of the token is stored, so a copy of the database manages no alert.

use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

/// `<prefix><2n hex digits>` from `n` random bytes of the system's CSPRNG.
fn random(prefix: &str, bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buffer)
        // The OS generator does not fail once the process runs.
        .expect("the system random generator is available");
    format!("{prefix}{}", hex::encode(buffer))
}

/// An alert id: 128 random bits.
pub fn alert_id() -> String {
    random("alt_", 16)
}

/// A management token: 256 random bits.
pub fn token() -> String {
    random("atk_", 32)
}

/// A signing secret: 256 random bits.
pub fn secret() -> String {
    random("whsec_", 32)
}

/// What the store keeps of a token (or of a client address, as a budget key).
pub fn hash(value: &str) -> String {
    hex::encode(digest(&SHA256, value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_random_and_shaped() {
        assert_ne!(token(), token());
        assert_eq!(alert_id().len(), 4 + 32);
        assert!(token().starts_with("atk_") && token().len() == 68);
        assert!(secret().starts_with("whsec_"));
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
