//! `combipat` with no subcommand: the operator workstation.
//!
//! Embedded default: no server configured → a local demo dataset, status bar says DEMO.
//! Logs go to a file in the data dir, never to the terminal.

use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre::{WrapErr, bail};

use crate::client::{Client, ClientOptions};
use crate::demo::simulate::{self, SimulateConfig};
use crate::domain::registry;
use crate::domain::roles::Role;
use crate::i18n::Lang;
use crate::service::{self, RunningService, ServiceConfig};
use crate::tui::remote::ClientGateway;
use crate::tui::state::{Operator, State};
use crate::tui::theme::Theme;

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

pub(super) fn data_dir(args: &WorkstationArgs) -> color_eyre::Result<PathBuf> {
    if let Some(dir) = &args.data_dir {
        return Ok(dir.clone());
    }
    match directories::ProjectDirs::from("it", "inps", "combipat") {
        Some(dirs) => Ok(dirs.data_dir().to_path_buf()),
        None => bail!("no home directory: pass --data-dir"),
    }
}

pub(super) fn init_file_log(dir: &std::path::Path) -> color_eyre::Result<()> {
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

/// `--lang`, Italian by default.
pub(super) fn ui_lang(args: &WorkstationArgs) -> color_eyre::Result<Lang> {
    Ok(match args.lang.as_deref() {
        None => Lang::It,
        Some(code) => match Lang::parse(code) {
            Some(lang) => lang,
            None => bail!("--lang: lingua non supportata '{code}' (usa it o en)"),
        },
    })
}

pub fn run(args: WorkstationArgs) -> color_eyre::Result<()> {
    let lang = ui_lang(&args)?;
    let config_dir = crate::config::paths::config_dir();
    let (theme, theme_diagnostics) = Theme::load(
        args.theme.as_deref().unwrap_or("dark"),
        config_dir.as_deref(),
        Theme::no_color_from_env(),
    );
    let dir = data_dir(&args)?;
    init_file_log(&dir)?;
    let now = jiff::Timestamp::now();
    let runtime = super::runtime()?;
    let session = runtime.block_on(connect(&args, &dir, Role::Operator))?;
    let me = Operator {
        username: session.me.username.clone(),
        office: session.me.office.clone().unwrap_or_default(),
    };
    let gateway = Arc::new(ClientGateway::new(session.client.clone()));
    let mut state = State::new(lang, me, now);
    state.demo = session.embedded.is_some();
    // Auditors only ever read, whatever the flags say.
    state.read_only = args.read_only || session.me.role == Role::Auditor;
    state.data_dir = Some(dir.clone());
    state.offices = registry::offices()
        .iter()
        .map(|o| (o.code.to_string(), o.name.to_string()))
        .collect();
    tracing::info!(dir = %dir.display(), "workstation starting");
    for diagnostic in &theme_diagnostics {
        tracing::warn!(%diagnostic, "theme");
    }
    let outcome = runtime.block_on(crate::tui::app::run(state, theme, gateway));
    runtime.block_on(session.close());
    outcome.wrap_err("terminal error")?;
    Ok(())
}

/// The service the workstation talks to, and who it is logged in as.
pub(super) struct Session {
    pub(super) client: Client,
    pub(super) me: crate::api::Me,
    pub(super) embedded: Option<Embedded>,
}

impl Session {
    /// Stops the embedded service and its simulated patronati, if any.
    pub(super) async fn close(self) {
        if let Some(embedded) = self.embedded {
            let _ = embedded.stop.send(true);
            if let Err(error) = embedded.service.shutdown().await {
                tracing::warn!(%error, "embedded service shutdown");
            }
        }
    }
}

/// The in-process service of the embedded default, with its simulated patronati.
pub(super) struct Embedded {
    service: RunningService,
    stop: tokio::sync::watch::Sender<bool>,
}

/// `--server` + `--token` use a remote service; otherwise the service starts in-process on a
/// SQLite file in the data dir, seeded with demo data on first run, with simulated traffic,
/// and the session logs in with the demo token of `role`.
pub(super) async fn connect(
    args: &WorkstationArgs,
    dir: &std::path::Path,
    role: Role,
) -> color_eyre::Result<Session> {
    if let Some(url) = &args.server {
        let Some(token) = &args.token else {
            bail!("--server richiede --token");
        };
        let client = Client::new(url, token, ClientOptions::default())?;
        let me = client.me().await.wrap_err("--server: login failed")?;
        return Ok(Session {
            client,
            me,
            embedded: None,
        });
    }
    let service_dir = dir.join("service");
    let listen: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let service = service::start(ServiceConfig::new(listen, service_dir.clone()).with_demo(true))
        .await
        .wrap_err("cannot start the embedded service")?;
    let credentials = service::demo_credentials::load(&service_dir)
        .wrap_err("cannot read the demo credentials")?;
    let Some(token) = credentials.token(role) else {
        bail!("the demo credentials have no {role:?} token");
    };
    let base_url = service.base_url();
    let client = Client::new(&base_url, token, ClientOptions::default())?;
    let me = client
        .me()
        .await
        .wrap_err("embedded service: login failed")?;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    if let Some(patronato) = credentials.token(Role::Patronato) {
        let simulator = Client::new(&base_url, patronato, ClientOptions::default())?;
        tokio::spawn(async move {
            let config = SimulateConfig {
                rate_per_minute: 6.0,
                ..SimulateConfig::default()
            };
            let stop = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            if let Err(error) = simulate::run(&simulator, config, stop).await {
                tracing::warn!(%error, "demo simulator stopped");
            }
        });
    }
    Ok(Session {
        client,
        me,
        embedded: Some(Embedded { service, stop }),
    })
}
