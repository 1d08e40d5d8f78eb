//! `combipat` with no subcommand: the operator workstation.
//!
//! Embedded default: no server configured → a local demo dataset, status bar says DEMO.
//! Logs go to a file in the data dir, never to the terminal.

use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre::{WrapErr, bail};

use crate::domain::registry;
use crate::i18n::Lang;
use crate::tui::gateway::LocalGateway;
use crate::tui::state::{Operator, State};
use crate::tui::view::Styles;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct WorkstationArgs {
    /// Data directory for the embedded service (default: the platform data dir).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// URL of a central service; without it the workstation runs embedded with demo data.
    #[arg(long, env = "COMBIPAT_SERVER")]
    pub server: Option<String>,
    /// API token for `--server`.
    #[arg(long, env = "COMBIPAT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Profile of the config file (`[profiles.NAME]`).
    #[arg(long)]
    pub profile: Option<String>,
    /// Config file (default: the platform config dir).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// UI language: it (default) or en.
    #[arg(long)]
    pub lang: Option<String>,
    /// Theme: dark, light, high-contrast, monochrome.
    #[arg(long)]
    pub theme: Option<String>,
    /// Keymap: default or vim.
    #[arg(long)]
    pub keymap: Option<String>,
    /// Refuse every action that changes data.
    #[arg(long)]
    pub read_only: bool,
}

fn data_dir(args: &WorkstationArgs) -> color_eyre::Result<PathBuf> {
    if let Some(dir) = &args.data_dir {
        return Ok(dir.clone());
    }
    match directories::ProjectDirs::from("it", "inps", "combipat") {
        Some(dirs) => Ok(dirs.data_dir().to_path_buf()),
        None => bail!("no home directory: pass --data-dir"),
    }
}

fn init_file_log(dir: &std::path::Path) -> color_eyre::Result<()> {
    std::fs::create_dir_all(dir)
        .wrap_err_with(|| format!("cannot create data dir {}", dir.display()))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("workstation.log"))
        .wrap_err("cannot open workstation.log")?;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
    Ok(())
}

pub fn run(args: WorkstationArgs) -> color_eyre::Result<()> {
    let lang = match args.lang.as_deref() {
        None => Lang::It,
        Some(code) => match Lang::parse(code) {
            Some(lang) => lang,
            None => bail!("--lang: lingua non supportata '{code}' (usa it o en)"),
        },
    };
    if args.server.is_some() {
        bail!(
            "--server: remote service support needs the HTTP client, not available in this build yet"
        );
    }
    let styles = match args.theme.as_deref() {
        Some("monochrome") => Styles::monochrome(),
        _ if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => Styles::monochrome(),
        _ => Styles::dark(),
    };
    let dir = data_dir(&args)?;
    init_file_log(&dir)?;
    let now = jiff::Timestamp::now();
    let me = Operator {
        username: "demo.operatore".into(),
        office: registry::offices()
            .first()
            .map(|o| o.code.to_string())
            .unwrap_or_else(|| "RM01".into()),
    };
    let requests = crate::tui::fixture::requests(2_000, now, &me.office, &me.username);
    let gateway = Arc::new(LocalGateway::new(&me.username, requests));
    let mut state = State::new(lang, me, now);
    state.demo = true;
    state.read_only = args.read_only;
    state.offices = registry::offices()
        .iter()
        .map(|o| (o.code.to_string(), o.name.to_string()))
        .collect();
    tracing::info!(dir = %dir.display(), "workstation starting (embedded demo)");
    let runtime = super::runtime()?;
    runtime
        .block_on(crate::tui::app::run(state, styles, gateway))
        .wrap_err("terminal error")?;
    Ok(())
}
