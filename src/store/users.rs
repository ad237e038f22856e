//! Users and their sessions.

use super::columns::{col, named};
use super::{Store, StoreError};
use crate::accounts::{Role, User};

/// A new user to create.
pub struct NewUser<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub scopes: &'a [String],
}

fn user(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: col(r, "id")?,
        login: col(r, "login")?,
        display_name: col(r, "display_name")?,
        role: named(r, "role", Role::parse)?,
        scopes: named(r, "scopes", |s| serde_json::from_str(s).ok())?,
    })
}

impl Store {
    /// Creates a user; [`StoreError::Duplicate`] when the login exists.
    pub async fn create_user(&self, u: &NewUser<'_>) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let done = sqlx::query(
            "INSERT INTO users (id, login, display_name, password_hash, role, scopes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (login) DO NOTHING",
        )
        .bind(&id)
        .bind(u.login)
        .bind(u.display_name)
        .bind(u.password_hash)
        .bind(u.role.as_str())
        .bind(serde_json::to_string(u.scopes).unwrap_or_else(|_| "[]".into()))
        .bind(self.now_ms())
        .execute(&self.write)
        .await?;
        super::inserted(done, id)
    }

    /// An enabled user and their password hash, by login.
    pub async fn user_for_login(&self, login: &str) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE login = $1 AND disabled = 0")
            .bind(login)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| Ok((user(&r)?, col(&r, "password_hash")?))).transpose()
    }

    /// Opens a session: the cookie token is stored only as its SHA-256.
    pub async fn create_session(
        &self,
        token_sha256: &str,
        user_id: &str,
        csrf: &str,
        ttl_ms: i64,
    ) -> Result<(), StoreError> {
        let now = self.now_ms();
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.write)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_sha256, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_sha256)
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The user and CSRF token of a live session.
    pub async fn session(&self, token_sha256: &str) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT u.*, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_sha256 = $1 AND s.expires_at > $2 AND u.disabled = 0",
        )
        .bind(token_sha256)
        .bind(self.now_ms())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| Ok((user(&r)?, col(&r, "csrf")?))).transpose()
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
            .bind(token_sha256)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
