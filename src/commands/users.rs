//! `user add`: a person who signs in to the web pages.

use std::path::Path;
use std::process::ExitCode;

use lienthong::accounts::{check_new_user, hash_password, Role};
use lienthong::clock::Clock;
use lienthong::store::users::NewUser;
use lienthong::store::{Store, StoreError};

/// Creates a user; the password comes from `LIENTHONG_USER_PASSWORD` or the first line of
/// standard input, so it never appears in the shell history.
pub async fn add(dir: &Path, login: &str, name: &str, role: Role, scope: &[String]) -> anyhow::Result<ExitCode> {
    let config = super::load(dir)?;
    let password = match std::env::var("LIENTHONG_USER_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let problems = check_new_user(&config, role, scope, &password);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{p}");
        }
        return Ok(ExitCode::from(1));
    }
    let store = Store::manage(&config.gateway.store_url, Clock::system()).await?;
    let hash = hash_password(&password).map_err(anyhow::Error::msg)?;
    let new = NewUser {
        login,
        display_name: name,
        password_hash: &hash,
        role,
        scopes: scope,
    };
    let created = store.create_user(&new).await;
    store.close().await;
    match created {
        Ok(_) => {
            println!("user '{login}' created ({})", role.as_str());
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::Duplicate) => {
            eprintln!("a user '{login}' already exists");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
