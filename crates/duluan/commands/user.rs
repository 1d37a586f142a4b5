//! `duluan user add|list|passwd|token|revoke|tokens`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use duluan_config::Config;
use duluan_model::Role;
use duluan_store::TokenKind;

use crate::app;
use crate::cli::{RoleArg, UserOp};

/// Shortest password accepted.
const MIN_PASSWORD: usize = 8;

fn role(r: RoleArg) -> Role {
    match r {
        RoleArg::Admin => Role::Admin,
        RoleArg::Lead => Role::Lead,
        RoleArg::Collaborator => Role::Collaborator,
        RoleArg::Viewer => Role::Viewer,
    }
}

/// The password: first line of stdin when piped, else asked for twice on the terminal.
fn read_password() -> Result<String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
        let second = rpassword::prompt_password("Again: ").context("cannot read the password")?;
        if first != second {
            bail!("the passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.chars().count() < MIN_PASSWORD {
        bail!("the password must have at least {MIN_PASSWORD} characters");
    }
    Ok(password)
}

fn hash(password: &str) -> Result<String> {
    duluan_web::auth::hash_password(password).map_err(anyhow::Error::msg)
}

pub(crate) async fn run(config: &Config, op: &UserOp) -> Result<ExitCode> {
    let store = app::open_store(config).await?;
    let mut out = std::io::stdout().lock();
    match op {
        UserOp::Add { name, role: r, team, generate_password } => {
            let valid =
                !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_alphanumeric() || "._-".contains(c));
            if !valid {
                bail!("user names are 1 to 64 letters, digits, '.', '_' or '-'");
            }
            let (password, generated) = if *generate_password {
                (duluan_web::auth::new_secret("").chars().take(16).collect::<String>(), true)
            } else {
                (read_password()?, false)
            };
            let user = store.create_user(name, &hash(&password)?, role(*r), team.as_deref(), Utc::now()).await?;
            eprintln!(
                "added {} ({}{})",
                user.name,
                user.role,
                user.team.map(|t| format!(", team {t}")).unwrap_or_default()
            );
            if generated {
                writeln!(out, "{password}")?;
            }
        }
        UserOp::List => {
            for u in store.users().await? {
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    u.name,
                    u.role,
                    u.team.unwrap_or_else(|| format!("({})", config.alerts.default_team))
                )?;
            }
        }
        UserOp::Passwd { name } => {
            let password = read_password()?;
            store.set_password(name, &hash(&password)?).await?;
            eprintln!("password of {name} changed");
        }
        UserOp::Token { name, label } => {
            let Some((user, _)) = store.user_by_name(name).await? else { bail!("no user named `{name}`") };
            let token = duluan_web::auth::new_secret("dl_");
            let id = store
                .create_token(user.id, label, TokenKind::Api, &duluan_web::auth::secret_hash(&token), Utc::now())
                .await?;
            eprintln!("token {id} for {name} (shown once; revoke with `duluan user revoke {id}`):");
            writeln!(out, "{token}")?;
        }
        UserOp::Revoke { token_id } => {
            store.revoke_token(*token_id, None, Utc::now()).await?;
            eprintln!("token {token_id} revoked");
        }
        UserOp::Tokens => {
            let users = store.users().await?;
            for t in store.tokens(None).await? {
                let owner = users.iter().find(|u| u.id == t.user_id).map(|u| u.name.as_str()).unwrap_or("?");
                let status = if t.revoked_at.is_some() { "revoked" } else { "active" };
                let used = t.last_used_at.map(|d| d.to_rfc3339()).unwrap_or_else(|| "never".into());
                writeln!(out, "{}\t{}\t{}\t{:?}\t{}\tlast used {}", t.id, owner, t.name, t.kind, status, used)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
