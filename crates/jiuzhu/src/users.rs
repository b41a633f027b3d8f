//! `jiuzhu user add` and `jiuzhu user token`: accounts and API tokens from the command line.

use std::io::Read;

use anyhow::{Context, Result};
use clap::Subcommand;
use jiuzhu_app::accounts::{self, UserForm};
use jiuzhu_db::audit::Actor;

use crate::{DbArg, open};

#[derive(Subcommand)]
pub(crate) enum UserWhat {
    /// Add a user; the password comes from standard input with --password-stdin, else it is generated and printed.
    Add {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// window_clerk, township_officer, county_approver, department_handler, village_worker, social_org, city_admin, auditor
        #[arg(long)]
        role: String,
        /// Region code of the user's scope (e.g. 3303 for Wenzhou, 330326 for Pingyang).
        #[arg(long)]
        scope: String,
        #[arg(long, default_value = "")]
        department: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Issue an API token for a machine client; printed once.
    Token {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "api")]
        name: String,
    },
}

pub(crate) async fn command(what: UserWhat) -> Result<()> {
    match what {
        UserWhat::Add {
            db,
            username,
            display_name,
            role,
            scope,
            department,
            password_stdin,
        } => {
            let db = open(&db.db).await?;
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                (s.trim_end_matches(['\n', '\r']).to_string(), false)
            } else {
                (
                    format!("jz-{}", &jiuzhu_app::credentials::new_token()[..16]),
                    true,
                )
            };
            let form = UserForm {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                role,
                scope_region: scope,
                department,
                password,
            };
            let id = accounts::create_user(&db, &Actor::system("cli:user"), &form)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("user {} created (id {id})", form.username);
            if generated {
                println!("password: {}", form.password);
            }
            db.close().await;
            Ok(())
        }
        UserWhat::Token { db, username, name } => {
            let db = open(&db.db).await?;
            let user = jiuzhu_db::users::by_username(&db, &username)
                .await?
                .with_context(|| format!("no user {username}"))?;
            let token = accounts::issue_token(&db, &Actor::system("cli:user"), user.id, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{token}");
            db.close().await;
            Ok(())
        }
    }
}
