//! `combipat dashboard`: the cruscotto full screen on the local terminal, or its table as CSV.
//!
//! Interactive, like the workstation: embedded by default (the service runs in-process on the
//! data dir's demo data and the cruscotto logs in with the *demo supervisor* token, so a newcomer
//! sees figures at once), or `--server URL --token T`. Read-only always for roles that cannot
//! write (auditors) and with `--read-only`.
//!
//! `--csv`: the figures of `GET /v1/dashboard` (the caller's scope), from `--server` or from the
//! data dir's embedded service, the same database the embedded workstation uses.

use std::sync::Arc;

use color_eyre::eyre::{WrapErr, bail};

use super::workstation::{Traffic, WorkstationArgs, connect_as, init_file_log, settings};
use crate::api::audit_export::ExportKind;
use crate::domain::dashboard::csv::dashboard_csv;
use crate::domain::roles::Role;
use crate::tui::dashboard::text::scope_label;
use crate::tui::dashboard::{DashStyles, DashboardState};
use crate::tui::gateway::{Gateway, GatewayError};
use crate::tui::remote::ClientGateway;
use crate::tui::theme::Theme;

#[derive(Debug, clap::Args)]
pub struct DashboardArgs {
    /// Print the office × topic table as CSV on stdout instead of the full-screen cruscotto.
    #[arg(long)]
    pub csv: bool,
    /// Why the figures are exported, recorded in the service's audit log with `--csv --server`.
    #[arg(long, default_value = "cruscotto in CSV (combipat dashboard --csv)")]
    pub purpose: String,
}

pub fn run(ws: WorkstationArgs, args: DashboardArgs) -> color_eyre::Result<()> {
    if args.csv {
        return print_csv(ws, args);
    }
    let settings = settings(&ws)?;
    let lang = settings.lang;
    let no_color = Theme::no_color_from_env() || settings.theme == "monochrome";
    let term = std::env::var("TERM").unwrap_or_default();
    let styles = DashStyles::for_terminal(&term, no_color);
    let dir = settings.data_dir.clone();
    init_file_log(&dir, settings.lang)?;
    let runtime = super::runtime()?;
    let session = runtime.block_on(connect_as(&settings, Role::Supervisor, Traffic::Simulated))?;
    let gateway: Arc<dyn Gateway> = Arc::new(ClientGateway::new(session.client.clone()));
    let response = match runtime.block_on(gateway.dashboard()) {
        Ok(response) => response,
        Err(error) => {
            runtime.block_on(session.close());
            return Err(match error {
                // The service says why (e.g. the role does not watch the cruscotto).
                GatewayError::Forbidden(reason) => color_eyre::eyre::eyre!("--token: {reason}"),
                other => color_eyre::eyre::eyre!("GET /v1/dashboard: {other}"),
            });
        }
    };
    let read_only = settings.read_only || !session.me.role.is_inps_writer();
    let mut state = DashboardState::new(
        response.dashboard,
        scope_label(&response.scope, lang),
        read_only,
        lang,
    );
    state.now = jiff::Timestamp::now();
    state.csv_dialect = ws.csv_dialect;
    tracing::info!(dir = %dir.display(), read_only, "cruscotto starting");
    let outcome = runtime.block_on(crate::tui::dashboard::terminal::run(
        state,
        styles,
        gateway,
        Some(dir),
    ));
    runtime.block_on(session.close());
    outcome.wrap_err("terminal error")?;
    Ok(())
}

fn print_csv(ws: WorkstationArgs, args: DashboardArgs) -> color_eyre::Result<()> {
    if ws.server.is_some() && ws.token.is_none() {
        bail!("--token: required with --server");
    }
    let csv_dialect = ws.csv_dialect;
    let settings = settings(&ws)?;
    let runtime = super::runtime()?;
    // Embedded, this is the data dir's own service, the database the embedded workstation and
    // cruscotto show: the figures are the same everywhere.
    let session = runtime.block_on(connect_as(&settings, Role::Supervisor, Traffic::None))?;
    let where_from = settings
        .server
        .as_ref()
        .map_or_else(|| "embedded service".to_string(), |(url, _)| url.clone());
    let printed = runtime.block_on(async {
        let dashboard = session
            .client
            .dashboard()
            .await
            .wrap_err_with(|| format!("GET {where_from}/v1/dashboard"))?
            .dashboard;
        let csv = dashboard_csv(&dashboard, csv_dialect);
        // Audited before anything is printed; no audit, no export.
        let rows = csv.lines().count().saturating_sub(1) as u64;
        session
            .client
            .record_export(ExportKind::Dashboard, &args.purpose, rows, &[])
            .await
            .wrap_err_with(|| format!("POST {where_from}/v1/audit/exports (--purpose)"))?;
        Ok::<_, color_eyre::Report>(csv)
    });
    runtime.block_on(session.close());
    print!("{}", printed?);
    Ok(())
}
