//! `combipat admin`: offices, operators and tokens, directly on a data dir.

use std::path::PathBuf;

use color_eyre::eyre::eyre;

use crate::domain::office::Office;
use crate::domain::roles::{Operator, Role};
use crate::service::{self, core::TokenTarget};

/// A user record, as `create-operator` and `update-operator` take it.
#[derive(Debug, clap::Args)]
pub struct OperatorArgs {
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
}

impl OperatorArgs {
    /// The data dir and the operator, every name checked for characters a terminal would run.
    fn checked(self) -> color_eyre::Result<(PathBuf, Operator)> {
        check_name("username", &self.username)?;
        check_name("full-name", &self.full_name)?;
        for (field, value) in [
            ("office", &self.office),
            ("region", &self.region),
            ("patronato", &self.patronato),
        ] {
            if let Some(value) = value {
                check_name(field, value)?;
            }
        }
        let operator = Operator {
            username: self.username,
            full_name: self.full_name,
            role: self.role,
            office: self.office,
            region: self.region,
            patronato: self.patronato,
        };
        Ok((self.data_dir, operator))
    }
}

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
    CreateOperator(OperatorArgs),
    /// Change a user's name, role, office, region or patronato (all given anew); their open
    /// event streams end, on every node.
    UpdateOperator(OperatorArgs),
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

/// A name typed at the command line that would reach operators' terminals unsafely.
#[derive(Debug, thiserror::Error)]
#[error("--{field}: {problem}; names must be one line of visible text")]
pub struct UnsafeText {
    pub field: &'static str,
    pub problem: String,
}

/// Refuses names holding characters outside the sanitiser's allow list (an OSC 52 escape that
/// writes the clipboard, a U+202E that reverses text, fillers, …) or line breaks.
pub fn check_name(field: &'static str, text: &str) -> Result<(), UnsafeText> {
    if let Some(position) = text.chars().position(|c| matches!(c, '\n' | '\r' | '\t')) {
        return Err(UnsafeText {
            field,
            problem: format!("line break or tab at character {position}"),
        });
    }
    match crate::domain::sanitize::first_forbidden(text) {
        Some(bad) => Err(UnsafeText {
            field,
            problem: bad.to_string(),
        }),
        None => Ok(()),
    }
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
                check_name("code", &code)?;
                check_name("name", &name)?;
                check_name("comune", &comune)?;
                check_name("province", &province)?;
                check_name("region", &region)?;
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
            AdminCommand::CreateOperator(args) => {
                let (data_dir, operator) = args.checked()?;
                let (role, username) = (operator.role, operator.username.clone());
                let store = service::open_store(&data_dir).await?;
                store.create_operator(operator).await?;
                println!("{} {username} created", role.code());
            }
            AdminCommand::UpdateOperator(args) => {
                let (data_dir, operator) = args.checked()?;
                let (role, username) = (operator.role, operator.username.clone());
                let store = service::open_store(&data_dir).await?;
                store.update_operator(operator).await?;
                println!("{username} is now {}", role.code());
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

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn names_with_escapes_or_bidi_overrides_are_refused() {
        assert!(check_name("full-name", "Anna Maria D'Angelo").is_ok());
        assert!(check_name("full-name", "Nguyễn Thủy").is_ok());
        let osc52 = check_name("full-name", "Mario\x1b]52;c;ZXZpbA==\x07").unwrap_err();
        assert_eq!(osc52.field, "full-name");
        assert!(osc52.to_string().contains("U+001B"), "{osc52}");
        let rlo = check_name("full-name", "Rossi\u{202E}issoR").unwrap_err();
        assert!(rlo.to_string().contains("U+202E"), "{rlo}");
        assert!(check_name("full-name", "a\nb").is_err());
        assert!(check_name("full-name", "\u{3164}").is_err());
    }
}
