//! Agency tokens (digests only) and the replay store of signed callbacks.

use super::columns::col;
use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use super::{Store, StoreError};

/// A fresh random token (256 bits, `lt_` and hex) and its hex SHA-256, the only part stored.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = format!("lt_{}", hex::encode(bytes));
    let digest = token_digest(&token);
    (token, digest)
}

/// The hex SHA-256 a token is stored and looked up by.
pub fn token_digest(token: &str) -> String {
    token_digest_bytes(token.trim().as_bytes())
}

/// The hex SHA-256 of bytes (a token, or a certificate pinned by `client_cert_sha256`).
pub fn token_digest_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One issued token, as an operator lists it (the token itself is never stored).
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub system_id: String,
    pub label: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// The public id of a token: short, derived from its digest, safe to print and log.
pub fn token_id(sha256_hex: &str) -> String {
    format!("tk-{}", &sha256_hex[..12])
}

impl Store {
    /// Records a token digest for a system unless that digest is already known: a token revoked
    /// once stays revoked even if its digest is still in the configuration.
    pub async fn seed_token(&self, system_id: &str, sha256_hex: &str, label: &str) -> Result<(), StoreError> {
        match self.add_token(system_id, sha256_hex, label).await {
            Ok(_) | Err(StoreError::Duplicate) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Stores a new token's digest; [`StoreError::Duplicate`] if it (or its id) exists.
    pub async fn add_token(&self, system_id: &str, sha256_hex: &str, label: &str) -> Result<String, StoreError> {
        let sha256_hex = sha256_hex.to_ascii_lowercase();
        let id = token_id(&sha256_hex);
        let done = sqlx::query(
            "INSERT INTO api_tokens (id, system_id, token_sha256, label, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(system_id)
        .bind(&sha256_hex)
        .bind(label)
        .bind(self.now_ms())
        .execute(&self.write)
        .await?;
        super::inserted(done, id)
    }

    /// Revokes a token by id; false when no active token has that id.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(self.now_ms())
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every token ever issued, newest first.
    pub async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM api_tokens ORDER BY created_at DESC, id")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRow {
                    id: col(r, "id")?,
                    system_id: col(r, "system_id")?,
                    label: col(r, "label")?,
                    created_at: col(r, "created_at")?,
                    revoked_at: col(r, "revoked_at")?,
                })
            })
            .collect()
    }

    /// The token id and system of an active token digest. Read on every request, so a revoked
    /// token is refused at once by every gateway instance.
    pub async fn token_owner(&self, sha256_hex: &str) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query("SELECT id, system_id FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL")
            .bind(sha256_hex)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| Ok((col(&r, "id")?, col(&r, "system_id")?))).transpose()
    }

    /// Remembers a signature; false when it was seen before (a replay). Signatures older than
    /// `keep_ms` are forgotten first: their timestamps are refused as stale anyway.
    pub async fn remember_signature(&self, signature: &str, keep_ms: i64) -> Result<bool, StoreError> {
        let now = crate::clock::Clock::system().now_ms();
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM seen_signatures WHERE seen_at < $1")
            .bind(now - keep_ms)
            .execute(&mut *tx)
            .await?;
        let done =
            sqlx::query("INSERT INTO seen_signatures (signature, seen_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(signature)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
