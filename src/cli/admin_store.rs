//! `combipat admin migrate` and `admin copy`: schema versions and moving a deployment from its
//! SQLite file to PostgreSQL. Progress bars on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{WrapErr, eyre};
use indicatif::{ProgressBar, ProgressStyle};

use crate::service::core::copy::{self, CopyProgress};
use crate::service::store::Database;
use crate::service::{self, Sla};

/// Which store an admin command works on.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Data dir of a SQLite deployment (its combipat.sqlite3).
    #[arg(long, env = "COMBIPAT_DATA_DIR", required_unless_present = "database")]
    pub data_dir: Option<PathBuf>,
    /// postgres://USER@HOST/DB or sqlite:PATH; wins over --data-dir.
    #[arg(long, env = "COMBIPAT_DATABASE", value_name = "URL")]
    pub database: Option<String>,
}

fn spinner(message: String) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        eprintln!("{message}");
        return None;
    }
    let bar = ProgressBar::new_spinner().with_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

pub async fn migrate(args: StoreArgs) -> color_eyre::Result<()> {
    let data_dir = args.data_dir.clone().unwrap_or_default();
    let setting = if args.database.is_some() {
        "--database / COMBIPAT_DATABASE"
    } else {
        "--data-dir"
    };
    let database = Database::parse(args.database.as_deref(), &data_dir).wrap_err(setting)?;
    let bar = spinner(format!("migrating {}", describe(&database)));
    let version = match &database {
        Database::Postgres(url) => service::store::postgres::PgStore::migrate_only(url)
            .await
            .wrap_err(setting)? as i64,
        Database::Sqlite(path) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                service::store::sqlite::SqliteStore::open(&path)?.schema_version()
            })
            .await?
            .wrap_err(setting)?
        }
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    println!("{}: schema version {version}", describe(&database));
    Ok(())
}

fn describe(database: &Database) -> String {
    match database {
        Database::Sqlite(path) => format!("sqlite:{}", path.display()),
        Database::Postgres(url) => match url.split_once('@') {
            // Never print a password given in the URL.
            Some((_, host)) => format!("postgres://…@{host}"),
            None => url.clone(),
        },
    }
}

pub async fn copy(from: &Path, to: &str) -> color_eyre::Result<()> {
    if !from.is_file() {
        return Err(eyre!("--from {}: no such SQLite file", from.display()));
    }
    if !to.starts_with("postgres://") && !to.starts_with("postgresql://") {
        return Err(eyre!("--to: expected postgres://USER@HOST/DB"));
    }
    let sla = Sla::embedded()?;
    // The copied chain is verified with the source's audit key (its data dir's audit.key or
    // COMBIPAT_AUDIT_KEY): give the PostgreSQL nodes that same key.
    let data_dir = from.parent().unwrap_or(Path::new("."));
    let source = service::open_database(
        data_dir,
        Some(&format!("sqlite:{}", from.display())),
        sla.clone(),
    )
    .await
    .wrap_err_with(|| format!("--from {}", from.display()))?;
    let target = service::open_database(data_dir, Some(to), sla)
        .await
        .wrap_err("--to")?;
    let terminal = std::io::stderr().is_terminal();
    let bar = std::sync::Mutex::new(None::<ProgressBar>);
    let report = copy::copy(source.as_ref(), target.as_ref(), &|step| match step {
        CopyProgress::Table { table, rows } => {
            if terminal {
                let next = ProgressBar::new(rows).with_style(
                    ProgressStyle::with_template("{msg:>13} {bar:40} {pos}/{len} rows")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                next.set_message(table);
                if let Ok(mut current) = bar.lock()
                    && let Some(done) = current.replace(next)
                {
                    done.finish();
                }
            } else {
                eprintln!("copying {table}: {rows} rows");
            }
        }
        CopyProgress::Rows { done, .. } => {
            if let Ok(current) = bar.lock()
                && let Some(bar) = current.as_ref()
            {
                bar.set_position(done);
            }
        }
    })
    .await;
    if let Ok(mut current) = bar.lock()
        && let Some(done) = current.take()
    {
        done.finish();
    }
    let report = report.wrap_err_with(|| format!("copy {} → {to}", from.display()))?;
    for (table, rows) in &report.tables {
        println!("{table:>13} {rows:>9} rows, counts match");
    }
    match &report.audit_head {
        Some((seq, hash)) => println!("audit chain verified; head {seq} {hash}"),
        None => println!("audit log empty"),
    }
    Ok(())
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit chain with the deployment's key ring (DATA_DIR/audit.key or
    /// COMBIPAT_AUDIT_KEY, and the retired keys) and check it against the checkpoint file
    /// (DATA_DIR/audit-checkpoints.log); exits non-zero naming the first entry that is bad or
    /// missing.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Retire the data dir's audit key (kept in DATA_DIR/audit-keys/ to verify the entries it
    /// made) and start a new one; run with the service stopped. Records the rotation in the log.
    RotateKey {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn audit(cmd: AuditCommand) -> color_eyre::Result<()> {
    match cmd {
        AuditCommand::Verify { store } => verify(store).await,
        AuditCommand::RotateKey { store } => rotate_key(store).await,
    }
}

async fn open(store: &StoreArgs) -> color_eyre::Result<std::sync::Arc<dyn service::core::App>> {
    let data_dir = store.data_dir.clone().unwrap_or_default();
    service::open_database(&data_dir, store.database.as_deref(), Sla::embedded()?)
        .await
        .wrap_err("--data-dir / --database")
}

async fn verify(store: StoreArgs) -> color_eyre::Result<()> {
    let app = open(&store).await?;
    let verified = app.verify_audit_chain().await?;
    match &verified.problem {
        None => {
            println!(
                "audit chain of {}: {} entries verified, {} checkpoints hold",
                app.describe_store(),
                verified.entries,
                verified.checkpoints
            );
            Ok(())
        }
        Some(problem) => Err(eyre!(
            "audit chain of {}: {problem} ({} entries before it verify)",
            app.describe_store(),
            verified.entries
        )),
    }
}

async fn rotate_key(store: StoreArgs) -> color_eyre::Result<()> {
    let data_dir = store.data_dir.clone().unwrap_or_default();
    let rotation = service::audit_key::rotate(&data_dir).wrap_err("--data-dir")?;
    let app = open(&store).await?;
    app.record_key_rotation(&rotation.retired).await?;
    app.checkpoint_audit().await?;
    println!(
        "audit key {} retired (kept in {} to verify its entries); new entries use key {}",
        rotation.retired,
        data_dir.join(service::audit_key::RETIRED_DIR).display(),
        rotation.current
    );
    Ok(())
}
