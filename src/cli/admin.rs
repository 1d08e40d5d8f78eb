//! `combipat admin`: offices, operators and tokens, directly on a data dir.

use std::path::PathBuf;

use color_eyre::eyre::eyre;

use crate::domain::office::Office;
use crate::domain::roles::{Operator, Role};
use crate::service::{self, core::TokenTarget};

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create an office (sede).
    CreateOffice {
        #[arg(long, env = "COMBIPAT_DATA_DIR")]
        data_dir: PathBuf,
        /// Short code, e.g. RM01.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        comune: String,
        /// Two-letter province code, e.g. RM.
        #[arg(long)]
        province: String,
        #[arg(long)]
        region: String,
    },
    /// Create a user: operator, supervisor, auditor, admin or patronato client.
    CreateOperator {
        #[arg(long, env = "COMBIPAT_DATA_DIR")]
        data_dir: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long)]
        full_name: String,
        /// operator | supervisor | auditor | admin | patronato
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        office: Option<String>,
        #[arg(long)]
        region: Option<String>,
        /// Patronato code for patronato clients, e.g. INCA.
        #[arg(long)]
        patronato: Option<String>,
    },
    /// Issue a bearer token for a user; it is printed once and stored hashed.
    IssueToken {
        #[arg(long, env = "COMBIPAT_DATA_DIR")]
        data_dir: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revoke a token by id, or every token of a user.
    RevokeToken {
        #[arg(long, env = "COMBIPAT_DATA_DIR")]
        data_dir: PathBuf,
        #[arg(
            long,
            conflicts_with = "username",
            required_unless_present = "username"
        )]
        id: Option<i64>,
        #[arg(long)]
        username: Option<String>,
    },
    /// Apply pending schema migrations (also done at every start, under a lock so nodes
    /// starting together do not race); prints the schema version.
    Migrate {
        #[command(flatten)]
        store: super::admin_store::StoreArgs,
    },
    /// Copy a SQLite database into an empty PostgreSQL database, then verify row counts per
    /// table and the audit chain head. Stop the service first.
    Copy {
        /// The SQLite file, e.g. /var/lib/combipat/combipat.sqlite3.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The target, postgres://USER@HOST/DB (empty; migrated by the copy).
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::from_code(text).ok_or_else(|| {
        format!("unknown role {text:?}; expected operator, supervisor, auditor, admin or patronato")
    })
}

pub fn run(cmd: AdminCommand) -> color_eyre::Result<()> {
    super::runtime()?.block_on(async move {
        match cmd {
            AdminCommand::CreateOffice {
                data_dir,
                code,
                name,
                comune,
                province,
                region,
            } => {
                let store = service::open_store(&data_dir).await?;
                store
                    .create_office(Office {
                        code: code.clone(),
                        name,
                        comune,
                        province,
                        region,
                    })
                    .await?;
                println!("office {code} created");
            }
            AdminCommand::CreateOperator {
                data_dir,
                username,
                full_name,
                role,
                office,
                region,
                patronato,
            } => {
                let store = service::open_store(&data_dir).await?;
                store
                    .create_operator(Operator {
                        username: username.clone(),
                        full_name,
                        role,
                        office,
                        region,
                        patronato,
                    })
                    .await?;
                println!("{} {username} created", role.code());
            }
            AdminCommand::IssueToken {
                data_dir,
                username,
                label,
            } => {
                let store = service::open_store(&data_dir).await?;
                let issued = store.issue_token(&username, &label).await?;
                eprintln!("token id {} for {username} (shown once):", issued.id);
                println!("{}", issued.token);
            }
            AdminCommand::RevokeToken {
                data_dir,
                id,
                username,
            } => {
                let target = match (id, username) {
                    (Some(id), _) => TokenTarget::Id(id),
                    (None, Some(user)) => TokenTarget::Username(user),
                    (None, None) => return Err(eyre!("give --id or --username")),
                };
                let store = service::open_store(&data_dir).await?;
                let n = store.revoke_tokens(target).await?;
                println!("{n} token(s) revoked");
            }
            AdminCommand::Migrate { store } => super::admin_store::migrate(store).await?,
            AdminCommand::Copy { from, to } => super::admin_store::copy(&from, &to).await?,
        }
        Ok(())
    })
}
