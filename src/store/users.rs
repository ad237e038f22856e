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
        let mut tx = self.write.begin().await?;
        let id = insert_user(&mut tx, u, self.now_ms()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An administrator creates a user from the browser; the creation is recorded.
    pub async fn create_user_by(&self, u: &NewUser<'_>, actor: &str) -> Result<String, StoreError> {
        let now = self.now_ms();
        let mut tx = self.write.begin().await?;
        let id = insert_user(&mut tx, u, now).await?;
        record_change(&mut tx, &id, now, actor, AccountChange::Created).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An administrator changes a user's role and scopes; the next page they open follows them.
    pub async fn set_role(&self, user_id: &str, role: Role, scopes: &[String], actor: &str) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("UPDATE users SET role = $1, scopes = $2 WHERE id = $3")
            .bind(role.as_str())
            .bind(scopes_json(scopes))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        record_change(&mut tx, user_id, self.now_ms(), actor, AccountChange::Rescoped).await?;
        tx.commit().await?;
        Ok(())
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

fn scopes_json(scopes: &[String]) -> String {
    serde_json::to_string(scopes).unwrap_or_else(|_| "[]".into())
}

async fn insert_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    u: &NewUser<'_>,
    now: i64,
) -> Result<String, StoreError> {
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
    .bind(scopes_json(u.scopes))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    super::inserted(done, id)
}

/// One change to a user account, as the record keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Created,
    Rescoped,
    PasswordChanged,
    ResetIssued,
    ResetUsed,
    Disabled,
    Enabled,
}

impl AccountChange {
    /// The stable name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountChange::Created => "created",
            AccountChange::Rescoped => "rescoped",
            AccountChange::PasswordChanged => "password_changed",
            AccountChange::ResetIssued => "reset_issued",
            AccountChange::ResetUsed => "reset_used",
            AccountChange::Disabled => "disabled",
            AccountChange::Enabled => "enabled",
        }
    }
}

/// A user as the administrators' list shows them.
#[derive(Debug, Clone)]
pub struct UserLine {
    pub user: User,
    pub disabled: bool,
}

async fn record_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
    at: i64,
    actor: &str,
    change: AccountChange,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO user_changes (user_id, at, actor, change) VALUES ($1, $2, $3, $4)")
        .bind(user_id)
        .bind(at)
        .bind(actor)
        .bind(change.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets a user's password hash and ends their sessions but `keep` (the one that changed it).
async fn set_password(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
    password_hash: &str,
    keep: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_sha256 <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Every user, by login, enabled or not.
    pub async fn users(&self) -> Result<Vec<UserLine>, StoreError> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY login")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UserLine {
                    user: user(r)?,
                    disabled: col::<i64>(r, "disabled")? != 0,
                })
            })
            .collect()
    }

    /// The stored password hash of an enabled user.
    pub async fn password_hash(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND disabled = 0")
                .bind(user_id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// A user changes their own password: every other session of theirs ends.
    pub async fn change_password(
        &self,
        user: &User,
        password_hash: &str,
        session_sha256: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        set_password(&mut tx, &user.id, password_hash, session_sha256).await?;
        record_change(
            &mut tx,
            &user.id,
            self.now_ms(),
            &user.actor(),
            AccountChange::PasswordChanged,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An administrator issues a one-time reset link; only its token's SHA-256 is kept.
    pub async fn issue_reset(
        &self,
        user_id: &str,
        token_sha256: &str,
        ttl_ms: i64,
        actor: &str,
    ) -> Result<(), StoreError> {
        let now = self.now_ms();
        let mut tx = self.write.begin().await?;
        let known: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO password_resets (token_sha256, user_id, issued_by, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_sha256)
        .bind(user_id)
        .bind(actor)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&mut *tx)
        .await?;
        record_change(&mut tx, user_id, now, actor, AccountChange::ResetIssued).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a reset link still works (unused, unexpired, its user enabled).
    pub async fn reset_open(&self, token_sha256: &str) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id
             WHERE r.token_sha256 = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND u.disabled = 0",
        )
        .bind(token_sha256)
        .bind(self.now_ms())
        .fetch_optional(&self.read)
        .await?;
        Ok(found.is_some())
    }

    /// Sets a new password through a reset link, once: the link is spent in the same
    /// transaction, and every session of the user ends. `None` when the link does not work.
    pub async fn use_reset(&self, token_sha256: &str, password_hash: &str) -> Result<Option<String>, StoreError> {
        let now = self.now_ms();
        let mut tx = self.write.begin().await?;
        let user_id: Option<String> = sqlx::query_scalar(
            "UPDATE password_resets SET used_at = $1
             WHERE token_sha256 = $2 AND used_at IS NULL AND expires_at > $1
               AND user_id IN (SELECT id FROM users WHERE disabled = 0)
             RETURNING user_id",
        )
        .bind(now)
        .bind(token_sha256)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        set_password(&mut tx, &user_id, password_hash, "").await?;
        let login: String = sqlx::query_scalar("SELECT login FROM users WHERE id = $1")
            .bind(&user_id)
            .fetch_one(&mut *tx)
            .await?;
        record_change(
            &mut tx,
            &user_id,
            now,
            &format!("user:{login}"),
            AccountChange::ResetUsed,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(login))
    }

    /// Disables or enables a user; a disabled user's sessions end at once.
    pub async fn set_disabled(&self, user_id: &str, disabled: bool, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        let change = if disabled {
            AccountChange::Disabled
        } else {
            AccountChange::Enabled
        };
        record_change(&mut tx, user_id, self.now_ms(), actor, change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest changes to user accounts, newest first: when, whose account, by whom, what.
    pub async fn account_changes(&self, limit: i64) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.at, u.login, c.actor, c.change FROM user_changes c JOIN users u ON u.id = c.user_id
             ORDER BY c.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((col(r, "at")?, col(r, "login")?, col(r, "actor")?, col(r, "change")?)))
            .collect()
    }
}
