//! `combipat` with no subcommand: the operator workstation.
//!
//! Settings come from the config file (`--config`, else the platform config dir; `--profile`
//! selects a profile) with the flags on top; `keymap.toml` and `themes/` in the config dir
//! override the embedded keymap and theme. Embedded default: no server configured → the service
//! runs in-process with demo data, status bar says DEMO. Logs go to a file in the data dir,
//! never to the terminal.

use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre::{WrapErr, bail, eyre};

use crate::client::{Client, ClientOptions};
use crate::config::{Config, ConfigError, Diagnostic};
use crate::demo::simulate::{self, SimulateConfig};
use crate::domain::registry;
use crate::domain::roles::Role;
use crate::i18n::{Lang, t, tf};
use crate::service::{self, RunningService, ServiceConfig};
use crate::tui::keymap::{self, Keymap};
use crate::tui::remote::ClientGateway;
use crate::tui::state::{Notice, Operator, Queue, State};
use crate::tui::theme::Theme;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct WorkstationArgs {
    /// Data directory for the embedded service and the log (overrides `data_dir`; default: the
    /// platform data dir).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// URL of a central service (overrides `[server] url`); without one the workstation runs
    /// embedded with demo data.
    #[arg(long, env = "COMBIPAT_SERVER")]
    pub server: Option<String>,
    /// API token for the service (overrides `[server] token` / `token_file`).
    #[arg(long, env = "COMBIPAT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Profile of the config file (`[profiles.NAME]`).
    #[arg(long)]
    pub profile: Option<String>,
    /// Config file (default: the platform config dir).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// UI language: it (default) or en (overrides `lang`).
    #[arg(long)]
    pub lang: Option<String>,
    /// Theme: dark, light, high-contrast, monochrome, or a user theme (overrides `theme`).
    #[arg(long)]
    pub theme: Option<String>,
    /// Keymap preset: default or vim (overrides `keymap`; `keymap.toml` still applies).
    #[arg(long)]
    pub keymap: Option<String>,
    /// Refuse every action that changes data (on if the config says so, too).
    #[arg(long)]
    pub read_only: bool,
    /// CSV written by exports, `dashboard --csv` and `report --csv`: `italian` (default: `;`,
    /// decimal comma, Italian headers, UTF-8 with BOM) or `plain` (RFC 4180: `,`, `.`, codes).
    #[arg(long, global = true, value_name = "italian|plain", default_value = "italian",
          value_parser = parse_csv_dialect)]
    pub csv_dialect: crate::domain::csv::Dialect,
}

fn parse_csv_dialect(text: &str) -> Result<crate::domain::csv::Dialect, String> {
    text.parse()
}

/// What the workstation runs with: the config file (after `--profile`) overridden by flags.
pub(super) struct Settings {
    pub(super) lang: Lang,
    pub(super) theme: String,
    pub(super) keymap: String,
    pub(super) read_only: bool,
    /// `take_before_reply` of the config.
    pub(super) take_before_reply: bool,
    pub(super) data_dir: PathBuf,
    /// Remote service URL and token; `None` runs the embedded service.
    pub(super) server: Option<(String, String)>,
    /// Holds `keymap.toml` and `themes/`.
    pub(super) config_dir: Option<PathBuf>,
    /// Canned replies as (picker label, template).
    pub(super) canned: Vec<(String, String)>,
    /// `[[filters]]`: saved filters for the queue sidebar.
    pub(super) filters: Vec<crate::config::sections::SavedFilter>,
    /// SLA policy and calendars (`[sla]`, `[calendar]`) of the embedded service.
    pub(super) sla: Option<Arc<crate::service::Sla>>,
    /// `[workstation] closed_days`: closed requests listed from this many days back.
    pub(super) closed_days: u32,
}

fn ui_lang(lang: crate::config::Lang) -> Lang {
    match lang {
        crate::config::Lang::It => Lang::It,
        crate::config::Lang::En => Lang::En,
    }
}

/// Loads the config and applies the flags over it. Errors are in the `--lang` language
/// (Italian by default) and name the file, line and field.
pub(super) fn settings(args: &WorkstationArgs) -> color_eyre::Result<Settings> {
    let flag_lang = match args.lang.as_deref() {
        None => None,
        Some(code) => match Lang::parse(code) {
            Some(lang) => Some(lang),
            None => bail!(tf(Lang::It, "startup.lang_unknown", &[("code", code)])),
        },
    };
    let error_lang = flag_lang.unwrap_or_default();
    let invalid = |e: ConfigError| {
        eyre!(tf(
            error_lang,
            "startup.config_invalid",
            &[("detail", &e.to_string())]
        ))
    };
    let config = Config::load(args.config.as_deref(), args.profile.as_deref()).map_err(invalid)?;
    let data_dir = match args.data_dir.clone().or_else(|| config.data_dir()) {
        Some(dir) => dir,
        None => bail!(t(error_lang, "startup.no_home")),
    };
    let server = match args.server.clone().or_else(|| config.server.url.clone()) {
        None => None,
        Some(url) => {
            let token = match args.token.clone() {
                Some(token) => Some(token),
                None => config.server_token().map_err(invalid)?,
            };
            match token {
                Some(token) => Some((url, token)),
                None => bail!(tf(
                    error_lang,
                    "startup.server_needs_token",
                    &[("url", &url)]
                )),
            }
        }
    };
    let canned = config
        .canned_replies
        .iter()
        .map(|reply| {
            let label = if reply.title.is_empty() {
                reply.name.clone()
            } else {
                format!("{} · {}", reply.name, reply.title)
            };
            (label, reply.body.clone())
        })
        .collect();
    Ok(Settings {
        lang: flag_lang.unwrap_or_else(|| ui_lang(config.lang)),
        theme: args.theme.clone().unwrap_or_else(|| config.theme.clone()),
        keymap: args
            .keymap
            .clone()
            .unwrap_or_else(|| config.keymap.as_str().to_owned()),
        read_only: args.read_only || config.read_only,
        take_before_reply: config.take_before_reply,
        data_dir,
        config_dir: config.config_dir(),
        canned,
        filters: config.filters.clone(),
        closed_days: config.workstation.closed_days,
        sla: match server {
            Some(_) => None,
            None => Some(
                crate::service::Sla::from_config(&config, None).map_err(|e| {
                    eyre!(tf(
                        error_lang,
                        "startup.config_invalid",
                        &[("detail", &e.to_string())]
                    ))
                })?,
            ),
        },
        server,
    })
}

pub(super) fn init_file_log(dir: &std::path::Path, lang: Lang) -> color_eyre::Result<()> {
    std::fs::create_dir_all(dir).wrap_err_with(|| {
        tf(
            lang,
            "startup.data_dir",
            &[("dir", &dir.display().to_string())],
        )
    })?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("workstation.log"))
        .wrap_err_with(|| {
            tf(
                lang,
                "startup.data_dir",
                &[("dir", &dir.display().to_string())],
            )
        })?;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
    Ok(())
}

/// The keymap and theme the settings ask for, with the problems found in the user's files.
fn keymap_and_theme(settings: &Settings) -> (Keymap, Theme, Vec<Diagnostic>) {
    let user_keymap = settings
        .config_dir
        .as_ref()
        .map(|d| d.join(keymap::USER_FILE));
    let (keymap, mut diagnostics) = Keymap::load(&settings.keymap, user_keymap.as_deref());
    let (theme, more) = Theme::load(
        &settings.theme,
        settings.config_dir.as_deref(),
        Theme::no_color_from_env(),
    );
    diagnostics.extend(more);
    (keymap, theme, diagnostics)
}

pub fn run(args: WorkstationArgs) -> color_eyre::Result<()> {
    let settings = settings(&args)?;
    let lang = settings.lang;
    let dir = settings.data_dir.clone();
    init_file_log(&dir, lang)?;
    let (keymap, theme, diagnostics) = keymap_and_theme(&settings);
    for diagnostic in &diagnostics {
        tracing::warn!(%diagnostic, "keymap/theme");
    }
    let now = jiff::Timestamp::now();
    let runtime = super::runtime()?;
    let session = runtime.block_on(connect(
        settings.server.as_ref(),
        &dir,
        Role::Operator,
        lang,
        settings.sla.clone(),
        Traffic::Simulated,
    ))?;
    let me = Operator {
        username: session.me.username.clone(),
        office: session.me.office.clone().unwrap_or_default(),
    };
    let gateway = Arc::new(
        ClientGateway::new(session.client.clone()).with_closed_days(Some(settings.closed_days)),
    );
    let mut state = State::new(lang, me, now);
    state.demo = session.embedded.is_some();
    // Auditors only ever read, whatever the flags and the config say.
    state.read_only = settings.read_only || session.me.role == Role::Auditor;
    state.role = Some(session.me.role);
    state.take_before_reply = settings.take_before_reply;
    state.csv_dialect = args.csv_dialect;
    state.operator_name = session.me.full_name.clone();
    state.data_dir = Some(dir.clone());
    state.keymap = keymap;
    state.canned = settings.canned;
    state.queues = Queue::with_saved(&settings.filters);
    state.queue_counts = vec![0; state.queues.len()];
    state.offices = registry::offices()
        .iter()
        .map(|o| (o.code.to_string(), o.name.to_string()))
        .collect();
    if let Some(first) = diagnostics.first() {
        state.notice = Some(Notice {
            text: tf(
                lang,
                "startup.diagnostics",
                &[
                    ("n", &diagnostics.len().to_string()),
                    ("first", &first.to_string()),
                ],
            ),
            error: true,
        });
    }
    tracing::info!(
        dir = %dir.display(),
        keymap = state.keymap.preset(),
        theme = %theme.name,
        "workstation starting"
    );
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

/// Whether the embedded service runs simulated patronato traffic. The interactive front ends
/// do, so the demo lives; one-shot reports and exports do not: they must not write to the
/// database they report on while they read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Traffic {
    Simulated,
    None,
}

/// [`connect`] with `settings`' server (or the data dir's embedded service), language and SLA.
pub(super) async fn connect_as(
    settings: &Settings,
    role: Role,
    traffic: Traffic,
) -> color_eyre::Result<Session> {
    connect(
        settings.server.as_ref(),
        &settings.data_dir,
        role,
        settings.lang,
        settings.sla.clone(),
        traffic,
    )
    .await
}

/// `--server` + `--token` use a remote service; otherwise the service starts in-process on a
/// SQLite file in the data dir, seeded with demo data on first run (with simulated traffic
/// when `traffic` says so), and the session logs in with the demo token of `role`.
pub(super) async fn connect(
    server: Option<&(String, String)>,
    dir: &std::path::Path,
    role: Role,
    lang: Lang,
    sla: Option<Arc<crate::service::Sla>>,
    traffic: Traffic,
) -> color_eyre::Result<Session> {
    if let Some((url, token)) = server {
        let client = Client::new(url, token, ClientOptions::default())?;
        let me = client
            .me()
            .await
            .wrap_err_with(|| tf(lang, "startup.login", &[("url", url)]))?;
        return Ok(Session {
            client,
            me,
            embedded: None,
        });
    }
    let service_dir = dir.join("service");
    let listen: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut config = ServiceConfig::new(listen, service_dir.clone()).with_demo(true);
    if let Some(sla) = sla {
        config = config.with_sla(sla);
    }
    let service = service::start(config)
        .await
        .wrap_err(t(lang, "startup.embedded"))?;
    let credentials =
        service::demo_credentials::load(&service_dir).wrap_err(t(lang, "startup.embedded"))?;
    let Some(token) = credentials.token(role) else {
        bail!("{}: no {role:?} token", t(lang, "startup.embedded"));
    };
    let base_url = service.base_url();
    let client = Client::new(&base_url, token, ClientOptions::default())?;
    let me = client.me().await.wrap_err(t(lang, "startup.embedded"))?;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    if let Some(patronato) = credentials
        .token(Role::Patronato)
        .filter(|_| traffic == Traffic::Simulated)
    {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(config: &std::path::Path) -> WorkstationArgs {
        WorkstationArgs {
            config: Some(config.to_path_buf()),
            ..WorkstationArgs::default()
        }
    }

    const CONFIG: &str = r#"
lang = "en"
theme = "light"
keymap = "vim"
data_dir = "/srv/combipat"

[server]
url = "https://combipat.example"
token_file = "token"

[[canned_replies]]
name = "grazie"
title = "Ringraziamento"
body = "Grazie, {operator}"

[profiles.collaudo]
theme = "high-contrast"
read_only = true
"#;

    #[test]
    fn config_and_profile_apply_then_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, CONFIG).unwrap();
        std::fs::write(dir.path().join("token"), "secret-token\n").unwrap();

        let from_file = settings(&args(&file)).unwrap();
        assert_eq!(from_file.lang, Lang::En);
        assert_eq!(from_file.theme, "light");
        assert_eq!(from_file.keymap, "vim");
        assert!(!from_file.read_only);
        assert_eq!(from_file.data_dir, PathBuf::from("/srv/combipat"));
        assert_eq!(
            from_file.server,
            Some(("https://combipat.example".into(), "secret-token".into()))
        );
        assert_eq!(from_file.config_dir.as_deref(), Some(dir.path()));
        assert!(from_file.canned.iter().any(
            |(label, body)| label == "grazie · Ringraziamento" && body == "Grazie, {operator}"
        ));

        let profile = settings(&WorkstationArgs {
            profile: Some("collaudo".into()),
            ..args(&file)
        })
        .unwrap();
        assert_eq!(profile.theme, "high-contrast");
        assert!(profile.read_only);

        let flags = settings(&WorkstationArgs {
            profile: Some("collaudo".into()),
            lang: Some("it".into()),
            theme: Some("monochrome".into()),
            keymap: Some("default".into()),
            data_dir: Some(dir.path().join("data")),
            server: Some("http://127.0.0.1:9".into()),
            token: Some("flag-token".into()),
            ..args(&file)
        })
        .unwrap();
        assert_eq!(flags.lang, Lang::It);
        assert_eq!(flags.theme, "monochrome");
        assert_eq!(flags.keymap, "default");
        assert!(flags.read_only, "a flag cannot turn read-only off");
        assert_eq!(flags.data_dir, dir.path().join("data"));
        assert_eq!(
            flags.server,
            Some(("http://127.0.0.1:9".into(), "flag-token".into()))
        );
    }

    #[test]
    fn bad_config_names_file_line_and_field_in_the_chosen_language() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "lang = \"it\"\nkeymap = \"emacs\"\n").unwrap();
        let italian = settings(&args(&file)).err().unwrap().to_string();
        assert!(
            italian.starts_with("configurazione non valida: "),
            "{italian}"
        );
        assert!(
            italian.contains(&format!("{}:2:", file.display())),
            "{italian}"
        );
        assert!(italian.contains("keymap"), "{italian}");
        let english = settings(&WorkstationArgs {
            lang: Some("en".into()),
            ..args(&file)
        })
        .err()
        .unwrap()
        .to_string();
        assert!(english.starts_with("invalid configuration: "), "{english}");

        let unknown_profile = settings(&WorkstationArgs {
            profile: Some("nope".into()),
            ..args(&dir.path().join("missing.toml"))
        })
        .err()
        .unwrap()
        .to_string();
        assert!(
            unknown_profile.contains("missing.toml"),
            "{unknown_profile}"
        );
    }

    #[test]
    fn a_server_without_token_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "[server]\nurl = \"https://combipat.example\"\n").unwrap();
        let error = settings(&args(&file)).err().unwrap().to_string();
        assert!(
            error.contains("https://combipat.example") && error.contains("token"),
            "{error}"
        );
    }
}
