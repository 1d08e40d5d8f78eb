//! Cruscotto snapshots (80×24 and 200×50, dark and monochrome) from the deterministic demo
//! dataset at a fixed instant, and the CSV export of the same figures.

mod common;

use combipat::api::dashboard::{DashboardResponse, DashboardScope};
use combipat::api::{Me, Page, RequestSummary};
use combipat::demo::dashboard::demo_dashboard;
use combipat::domain::roles::Role;
use combipat::tui::dashboard::drill::{DrillTarget, FigureColumn};
use combipat::tui::dashboard::text::Lang;
use combipat::tui::dashboard::{DashStyles, DashboardAction, DashboardOutcome, DashboardState};
use common::{TestService, http};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn state() -> DashboardState {
    let now: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
    DashboardState::new(
        demo_dashboard(7, now).unwrap(),
        "Regione Lazio".into(),
        true,
        Lang::It,
    )
}

/// The Totale row of a one-office scope is that office's row, medians included; over several
/// offices counts add up and medians, which do not, stay empty.
#[test]
fn the_scope_total_of_one_office_keeps_its_medians() {
    let now: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
    let mut figures = demo_dashboard(7, now).unwrap();
    assert!(figures.office_totals.len() > 1);
    let several = DashboardState::new(figures.clone(), "Regione Lazio".into(), true, Lang::It);
    let total = several.scope_total();
    let open: u32 = figures.office_totals.iter().map(|o| o.open).sum();
    assert_eq!(total.open, open);
    assert_eq!(total.first_reply.median_secs, None);

    let office = figures.office_totals[0].clone();
    assert!(office.first_reply.median_secs.is_some(), "{office:?}");
    figures.office_totals.truncate(1);
    figures.cells.retain(|c| c.office == office.office);
    let one = DashboardState::new(figures, office.office.clone(), true, Lang::It);
    assert_eq!(one.scope_total(), office);
}

fn draw(width: u16, height: u16, styles: &DashStyles) -> TestBackend {
    let mut state = state();
    state.update(DashboardAction::Down);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            let area = frame.area();
            combipat::tui::dashboard::render(frame, area, &state, styles)
        })
        .unwrap();
    terminal.backend().clone()
}

#[test]
fn snapshots_at_two_sizes_dark_and_monochrome() {
    for (width, height) in [(80, 24), (200, 50)] {
        for (name, styles) in [
            ("dark", DashStyles::dark()),
            ("monochrome", DashStyles::monochrome()),
        ] {
            let backend = draw(width, height, &styles);
            insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(format!("dashboard_{width}x{height}_{name}"), backend);
            });
        }
    }
}

/// The demo cruscotto with a forecast in every row: until the service computes forecasts the
/// demo's are all zero, and the forecast view must be seen with figures. Derived from each row's
/// own counts so that office totals and the scope total still add up.
fn with_forecast(mut state: DashboardState) -> DashboardState {
    use combipat::domain::dashboard::Forecast;
    let forecast_of = |open: u32, at_risk: u32, paused: u32| {
        let breaching = [at_risk / 2, at_risk, (at_risk + paused).min(open)];
        Forecast {
            recent_closures: open.saturating_sub(at_risk),
            breaching,
            extra_daily_closures: breaching.map(|n| n.div_ceil(2)),
        }
    };
    if state
        .figures
        .cells
        .iter()
        .all(|c| c.forecast == Forecast::default())
    {
        let figures = std::sync::Arc::make_mut(&mut state.figures);
        for cell in &mut figures.cells {
            cell.forecast = forecast_of(cell.open, cell.at_risk, cell.paused);
        }
        for total in &mut figures.office_totals {
            let cells: Vec<_> = figures
                .cells
                .iter()
                .filter(|c| c.office == total.office)
                .map(|c| c.forecast)
                .collect();
            total.forecast = Forecast {
                recent_closures: cells.iter().map(|f| f.recent_closures).sum(),
                breaching: [0, 1, 2].map(|h| cells.iter().map(|f| f.breaching[h]).sum()),
                extra_daily_closures: [0, 1, 2]
                    .map(|h| cells.iter().map(|f| f.extra_daily_closures[h]).sum()),
            };
        }
    }
    state
}

/// Every view at 80×24 and 200×50, dark and monochrome, the cursor on the second row.
#[test]
fn every_view_at_two_sizes_dark_and_monochrome() {
    use combipat::tui::dashboard::state::Tab;
    for tab in Tab::ALL {
        for (width, height) in [(80, 24), (200, 50)] {
            for (name, styles) in [
                ("dark", DashStyles::dark()),
                ("monochrome", DashStyles::monochrome()),
            ] {
                let mut state = with_forecast(state());
                state.update(DashboardAction::ShowTab(tab));
                state.update(DashboardAction::Down);
                let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
                terminal
                    .draw(|frame| {
                        let area = frame.area();
                        combipat::tui::dashboard::render(frame, area, &state, &styles)
                    })
                    .unwrap();
                let backend = terminal.backend().clone();
                insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
                    insta::assert_snapshot!(
                        format!("dashboard_view_{}_{width}x{height}_{name}", tab.key()),
                        backend
                    );
                });
            }
        }
    }
}

/// Right moves the column cursor and scrolls the table at 80 columns; the chooser hides a
/// column for the session; `p` changes the SLA column's period; the figure under the cursor
/// follows the column.
#[test]
fn columns_scroll_choose_and_follow_the_period() {
    use combipat::tui::dashboard::state::{OfficeColumn, Period};
    let mut state = state();
    assert_eq!(state.figure_under_cursor(), FigureColumn::Open);
    state.update(DashboardAction::ColumnRight);
    assert_eq!(state.figure_under_cursor(), FigureColumn::Breached);
    let draw = |state: &DashboardState| {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal
            .draw(|frame| {
                let area = frame.area();
                combipat::tui::dashboard::render(frame, area, state, &DashStyles::monochrome())
            })
            .unwrap();
        format!("{}", terminal.backend())
    };
    let before = draw(&state);
    assert!(before.contains("Aperte"), "{before}");
    for _ in 0..8 {
        state.update(DashboardAction::ColumnRight);
    }
    let scrolled = draw(&state);
    assert!(!scrolled.contains("Aperte"), "{scrolled}");
    assert!(scrolled.contains("Riaperte"), "{scrolled}");
    assert!(scrolled.contains("RM01"), "the office stays: {scrolled}");
    // The chooser hides "Aperte"; Esc closes it and the choice stays.
    state.update(DashboardAction::ChooseColumns);
    state.update(DashboardAction::Open);
    state.update(DashboardAction::Quit);
    assert_eq!(state.chooser, None);
    assert!(!state.shown_columns().contains(&OfficeColumn::Open));
    assert_eq!(state.period, Period::Last7Days);
    state.update(DashboardAction::CyclePeriod);
    assert_eq!(state.period, Period::Last30Days);
    state.update(DashboardAction::Top);
    for _ in 0..12 {
        state.update(DashboardAction::ColumnLeft);
    }
    let month = draw(&state);
    assert!(month.contains("SLA 30g"), "{month}");
    assert!(month.contains("Totale"), "{month}");
    // Enter on the Totale row drills into the whole scope, on the figure under the cursor.
    state.update(DashboardAction::Bottom);
    let figure = state.figure_under_cursor();
    assert_eq!(
        state.update(DashboardAction::Open),
        DashboardOutcome::DrillDown(DrillTarget {
            office: None,
            topic: None,
            figure
        })
    );
    assert!(state.drill.is_some());
    // Esc closes the drill-down; the views stay where they were.
    assert_eq!(
        state.update(DashboardAction::Quit),
        DashboardOutcome::Nothing
    );
    assert!(state.drill.is_none());
    assert_eq!(state.selected, state.row_count() - 1);
    // The patronati view's rows are not requests of an office: Enter says so.
    state.update(DashboardAction::ShowTab(
        combipat::tui::dashboard::state::Tab::Patronati,
    ));
    assert_eq!(
        state.update(DashboardAction::Open),
        DashboardOutcome::Nothing
    );
    assert!(state.message.is_some());
}

#[test]
fn enter_drills_down_into_the_selected_queue_and_e_exports_csv() {
    let mut state = state();
    state.update(DashboardAction::Down);
    let rows = state.rows();
    let expected = DrillTarget {
        office: Some(rows[1].office.clone()),
        topic: rows[1].topic,
        figure: FigureColumn::Open,
    };
    assert_eq!(
        state.update(DashboardAction::Open),
        DashboardOutcome::DrillDown(expected.clone())
    );
    // A key while the list loads, then Esc: back on the table, the CSV is the table's.
    state.update(DashboardAction::Quit);
    assert!(state.drill.is_none());
    match state.update(DashboardAction::ExportCsv) {
        DashboardOutcome::ExportCsv(csv) => {
            // The Italian dialect unless `--csv-dialect plain`.
            assert!(csv.starts_with("\u{feff}Sede;Materia;Aperte;"), "{csv}");
            assert_eq!(
                csv.lines().count(),
                1 + state.figures.cells.len() + state.figures.office_totals.len()
            );
        }
        other => panic!("{other:?}"),
    }
    state.update(DashboardAction::Write("take"));
    assert_eq!(
        state.message.as_deref(),
        Some("Sola lettura: l'azione non è consentita")
    );
}

async fn get_as(t: &TestService, role: Role, path: &str) -> reqwest::Response {
    http()
        .get(t.url(path))
        .bearer_auth(t.token(role))
        .send()
        .await
        .unwrap()
}

/// Every request the caller can list, following the cursor.
async fn listed(t: &TestService, role: Role) -> Vec<RequestSummary> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Page<RequestSummary> =
            get_as(t, role, &format!("/v1/requests?limit=500{cursor}"))
                .await
                .json()
                .await
                .unwrap();
        all.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return all,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_dashboard_is_scoped_and_role_checked() {
    let t = TestService::demo().await;

    let me: Me = get_as(&t, Role::Supervisor, "/v1/me")
        .await
        .json()
        .await
        .unwrap();
    let response = get_as(&t, Role::Supervisor, "/v1/dashboard").await;
    assert_eq!(response.status(), 200);
    let body: DashboardResponse = response.json().await.unwrap();
    let expected_scope = match (&me.region, &me.office) {
        (Some(region), _) => DashboardScope::Region(region.clone()),
        (None, Some(office)) => DashboardScope::Office(office.clone()),
        (None, None) => DashboardScope::National,
    };
    assert_eq!(body.scope, expected_scope);

    // The figures cover exactly the requests the supervisor can list.
    let visible = listed(&t, Role::Supervisor).await;
    assert!(
        !visible.is_empty(),
        "demo data gives the supervisor requests"
    );
    // `forwarded` counts over every request of a cell, so its total is the cell's size.
    let covered: u32 = body
        .dashboard
        .office_totals
        .iter()
        .map(|c| c.forwarded.total)
        .sum();
    assert_eq!(covered as usize, visible.len());
    let mut listed_offices: Vec<&str> = visible.iter().map(|r| r.office.as_str()).collect();
    listed_offices.sort_unstable();
    listed_offices.dedup();
    let mut dashboard_offices: Vec<&str> = body
        .dashboard
        .office_totals
        .iter()
        .map(|c| c.office.as_str())
        .collect();
    dashboard_offices.sort_unstable();
    dashboard_offices.dedup();
    for office in &dashboard_offices {
        assert!(
            listed_offices.contains(office),
            "{office} is outside the scope"
        );
    }
    let open_listed = visible.iter().filter(|r| r.status.is_open()).count();
    let open_figures: u32 = body.dashboard.office_totals.iter().map(|c| c.open).sum();
    assert_eq!(open_figures as usize, open_listed);

    let auditor = get_as(&t, Role::Auditor, "/v1/dashboard").await;
    assert_eq!(auditor.status(), 200);

    for role in [Role::Operator, Role::Patronato] {
        let refused = get_as(&t, role, "/v1/dashboard").await;
        assert_eq!(refused.status(), 403, "{role:?}");
    }
    let anonymous = http().get(t.url("/v1/dashboard")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    t.service.shutdown().await.unwrap();
}

/// The forecast served by `GET /v1/dashboard` (the memoised service path) is the domain's
/// definition applied to the very requests the supervisor can read, at the instant the figures
/// were generated: every cell and office total, recomputed here from the requests' histories.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_dashboard_serves_the_forecast_of_the_visible_requests() {
    use combipat::api::RequestDetail;
    use combipat::domain::dashboard::{
        RequestFacts, Targets, compute_with_policy, embedded_policy,
    };
    let t = TestService::demo().await;
    let body: DashboardResponse = get_as(&t, Role::Supervisor, "/v1/dashboard")
        .await
        .json()
        .await
        .unwrap();
    let policy = embedded_policy().unwrap();
    let mut facts = Vec::new();
    for summary in listed(&t, Role::Supervisor).await {
        let detail: RequestDetail = get_as(
            &t,
            Role::Supervisor,
            &format!("/v1/requests/{}", summary.id.as_str()),
        )
        .await
        .json()
        .await
        .unwrap();
        let s = &detail.summary;
        let targets = Targets::from_policy(&policy, s.topic, s.priority);
        facts.push(
            RequestFacts {
                id: s.id.to_string(),
                office: s.office.clone(),
                topic: s.topic,
                priority: s.priority,
                patronato: s.patronato.clone(),
                status: s.status,
                assignee: s.assignee.clone(),
                created_at: s.created_at,
                first_reply_at: None,
                closed_at: None,
                pauses: Vec::new(),
                integration_requests: 0,
                reopens: 0,
                forwards: 0,
                targets,
                standing: None,
            }
            .with_history(&detail.history),
        );
    }
    let expected = compute_with_policy(&facts, &policy, body.dashboard.generated_at).unwrap();
    let forecasts = |rows: &[combipat::domain::dashboard::CellFigures]| {
        rows.iter()
            .map(|c| (c.office.clone(), c.topic, c.forecast))
            .collect::<Vec<_>>()
    };
    assert_eq!(forecasts(&body.dashboard.cells), forecasts(&expected.cells));
    assert_eq!(
        forecasts(&body.dashboard.office_totals),
        forecasts(&expected.office_totals)
    );
    // The demo closes requests every day, so the rate is measured on real closures.
    let closures: u32 = body
        .dashboard
        .office_totals
        .iter()
        .map(|c| c.forecast.recent_closures)
        .sum();
    assert!(
        closures > 0,
        "{:?}",
        forecasts(&body.dashboard.office_totals)
    );
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_csv_fetches_the_server_figures_with_server_and_token() {
    let t = TestService::demo().await;
    let body: DashboardResponse = get_as(&t, Role::Supervisor, "/v1/dashboard")
        .await
        .json()
        .await
        .unwrap();
    let (url, token) = (t.service.base_url(), t.token(Role::Supervisor));
    // Italian spreadsheets by default: BOM, `;`, Italian headers.
    let italian = combipat(&["--server", &url, "--token", &token, "dashboard", "--csv"]).await;
    assert!(
        italian.starts_with("\u{feff}Sede;Materia;Aperte;"),
        "{italian}"
    );
    let csv = combipat(&[
        "--server",
        &url,
        "--token",
        &token,
        "dashboard",
        "--csv",
        "--csv-dialect",
        "plain",
    ])
    .await;
    assert!(csv.starts_with("office,topic,open,"), "{csv}");
    assert_eq!(csv.lines().count(), italian.lines().count());
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(
        rows.len(),
        body.dashboard.cells.len() + body.dashboard.office_totals.len()
    );
    let offices: Vec<&str> = body
        .dashboard
        .office_totals
        .iter()
        .map(|c| c.office.as_str())
        .collect();
    for row in rows {
        let office = row.split(',').next().unwrap();
        assert!(offices.contains(&office), "{row}");
    }

    // An operator's token is refused by the server, and the command says so.
    // Full screen too: the refusal comes before the terminal is touched.
    for csv in [true, false] {
        let (url, token) = (t.service.base_url(), t.token(Role::Operator));
        let data_dir = t.dir.path().join("operator-client");
        let data_dir = data_dir.to_str().unwrap();
        let mut args = vec!["--server", &url, "--token", &token, "--data-dir", data_dir];
        args.push("dashboard");
        args.extend(csv.then_some("--csv"));
        let refused = combipat_output(&args).await;
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("403") || stderr.contains("riservato"),
            "{stderr}"
        );
    }
    t.service.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// The cruscotto inside the workstation (`D`), over a real service.

use std::sync::Arc;

use combipat::client::{Client, ClientOptions};
use combipat::tui::app::perform;
use combipat::tui::gateway::Gateway;
use combipat::tui::headless::Headless;
use combipat::tui::remote::ClientGateway;
use combipat::tui::state::{Operator, Queue, State};
use combipat::tui::theme::Theme;
use combipat::tui::update::{Effect, Msg};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn shift(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT)
}

/// A workstation logged in with `role`'s demo token, its list loaded from the service.
struct Station {
    h: Headless,
    gateway: Arc<dyn Gateway>,
    /// Every effect run so far (to prove that nothing was written).
    ran: Vec<Effect>,
}

impl Station {
    async fn login(t: &TestService, role: Role, data_dir: &std::path::Path) -> Station {
        let client = Client::new(
            &t.service.base_url(),
            &t.token(role),
            ClientOptions::default(),
        )
        .unwrap();
        let me = client.me().await.unwrap();
        let gateway: Arc<dyn Gateway> = Arc::new(ClientGateway::new(client));
        let operator = Operator {
            username: me.username,
            office: me.office.unwrap_or_default(),
        };
        let mut state = State::new(combipat::i18n::Lang::It, operator, jiff::Timestamp::now());
        state.data_dir = Some(data_dir.to_path_buf());
        let mut station = Station {
            h: Headless::new(state, 200, 50, Theme::default()),
            gateway,
            ran: Vec::new(),
        };
        station.h.effects.push(Effect::Refresh);
        station.settle().await;
        station
    }

    async fn settle(&mut self) {
        while !self.h.effects.is_empty() {
            for effect in std::mem::take(&mut self.h.effects) {
                self.ran.push(effect.clone());
                for msg in perform(effect, self.gateway.as_ref()).await {
                    self.h.send(msg);
                }
            }
        }
        self.h.draw();
    }

    async fn press(&mut self, keys: &[KeyEvent]) {
        for k in keys {
            self.h.press(*k);
        }
        self.settle().await;
    }
}

/// Runs the binary with `args`, no server from the environment.
async fn combipat_output(args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_combipat"))
            .args(&args)
            .env_remove("COMBIPAT_SERVER")
            .env_remove("COMBIPAT_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// Runs the binary with `args`; its stdout, on success.
async fn combipat(args: &[&str]) -> String {
    let output = combipat_output(args).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workstation_d_opens_the_cruscotto_enter_drills_down_e_exports() {
    let t = TestService::demo().await;
    let exports = tempfile::tempdir().unwrap();
    let mut s = Station::login(&t, Role::Supervisor, exports.path()).await;
    assert!(!s.h.state.requests.is_empty());

    s.press(&[shift('D')]).await;
    let server: DashboardResponse = get_as(&t, Role::Supervisor, "/v1/dashboard")
        .await
        .json()
        .await
        .unwrap();
    let dashboard = s.h.state.dashboard.as_ref().expect("D opens the cruscotto");
    // The figures are the server's (computed a moment apart: compare all but the instant).
    let mut figures = combipat::api::dashboard::Dashboard::clone(&dashboard.figures);
    figures.generated_at = server.dashboard.generated_at;
    assert_eq!(figures, server.dashboard);
    let screen = s.h.screen();
    assert!(screen.contains("Cruscotto"), "{screen}");
    let first_office = &server.dashboard.office_totals[0].office;
    assert!(screen.contains(first_office.as_str()), "{screen}");

    // `e` writes the table as `combipat dashboard --csv` prints it for the same data.
    s.press(&[key(KeyCode::Char('e'))]).await;
    let written: Vec<_> = std::fs::read_dir(exports.path().join("exports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0].extension().unwrap(), "csv");
    let exported = std::fs::read_to_string(&written[0]).unwrap();
    let (url, token) = (t.service.base_url(), t.token(Role::Supervisor));
    let printed = combipat(&["--server", &url, "--token", &token, "dashboard", "--csv"]).await;
    assert_eq!(exported, printed);
    let message =
        s.h.state
            .dashboard
            .as_ref()
            .unwrap()
            .message
            .clone()
            .unwrap();
    assert!(
        message.contains(&written[0].display().to_string()),
        "{message}"
    );

    // Enter on the second row (a cell with a topic) shows that queue in the list.
    s.press(&[key(KeyCode::Down), key(KeyCode::Enter)]).await;
    assert!(s.h.state.dashboard.is_none(), "Enter leaves the cruscotto");
    let cell = dashboard_row(&server.dashboard, 1);
    let topic = cell.topic.expect("row 1 is an office × topic cell");
    assert_eq!(
        s.h.state.current_queue(),
        &Queue::Cell(DrillTarget {
            office: Some(cell.office.clone()),
            topic: Some(topic),
            figure: FigureColumn::Open,
        })
    );
    let shown: Vec<_> =
        s.h.state
            .visible
            .iter()
            .map(|&i| &s.h.state.requests[i])
            .collect();
    assert_eq!(shown.len(), cell.open as usize);
    assert!(
        shown
            .iter()
            .all(|r| r.office == cell.office && r.topic == topic && r.status.is_open())
    );

    // The "Scadute" figure of the Totale row: the scope's breached requests, as a queue
    // named after the figure.
    s.press(&[shift('D')]).await;
    s.press(&[key(KeyCode::End), key(KeyCode::Right), key(KeyCode::Enter)])
        .await;
    let breached: u32 = server
        .dashboard
        .office_totals
        .iter()
        .map(|c| c.breached)
        .sum();
    assert!(breached > 0);
    assert_eq!(
        s.h.state.current_queue(),
        &Queue::Cell(DrillTarget {
            office: None,
            topic: None,
            figure: FigureColumn::Breached,
        })
    );
    assert_eq!(s.h.state.visible.len(), breached as usize);
    let screen = s.h.screen();
    assert!(
        screen.contains(&format!("Scadute ({breached})")),
        "{screen}"
    );

    // D again, then Esc returns to the workstation.
    s.press(&[shift('D')]).await;
    assert!(s.h.state.dashboard.is_some());
    s.press(&[key(KeyCode::Esc)]).await;
    assert!(s.h.state.dashboard.is_none());
    t.service.shutdown().await.unwrap();
}

/// Row `index` of the table as the cruscotto orders it (cells of an office, then its total).
fn dashboard_row(
    dashboard: &combipat::api::dashboard::Dashboard,
    index: usize,
) -> combipat::api::dashboard::CellFigures {
    let state = DashboardState::new(dashboard.clone(), String::new(), true, Lang::It);
    state.rows()[index].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_cruscotto_refuses_every_write_key_and_palette_command() {
    let t = TestService::demo().await;
    let exports = tempfile::tempdir().unwrap();
    let mut s = Station::login(&t, Role::Supervisor, exports.path()).await;
    s.h.state.read_only = true;
    s.press(&[shift('D')]).await;
    assert!(s.h.state.dashboard.as_ref().unwrap().read_only);
    let before = s.ran.len();
    // Every single key the workstation binds to a command that writes (take, reply, close,
    // forward, assign, note, reopen, undo, bulk…) is refused with a message in the cruscotto.
    let write_keys: Vec<KeyEvent> =
        s.h.state
            .keymap
            .bindings()
            .filter(|b| b.keys.len() == 1)
            .filter(|b| b.command.writes())
            .map(|b| KeyEvent::new(b.keys[0].code, b.keys[0].modifiers))
            .collect();
    assert!(write_keys.len() >= 10, "{write_keys:?}");
    for k in write_keys {
        s.h.state.dashboard.as_mut().unwrap().message = None;
        s.press(&[k]).await;
        let d = s.h.state.dashboard.as_ref().expect("still open");
        assert_eq!(
            d.message.as_deref(),
            Some("Sola lettura: l'azione non è consentita"),
            "key {k:?}"
        );
    }
    // The palette: `:` then a write command by name.
    let mut palette = vec![key(KeyCode::Char(':'))];
    palette.extend("bulk_close".chars().map(|c| key(KeyCode::Char(c))));
    palette.push(key(KeyCode::Enter));
    s.press(&palette).await;
    assert_eq!(
        s.h.state.dashboard.as_ref().unwrap().message.as_deref(),
        Some("Sola lettura: l'azione non è consentita")
    );
    let writes: Vec<_> = s.ran[before..]
        .iter()
        .filter(|e| matches!(e, Effect::Act { .. } | Effect::Message { .. }))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_are_told_the_cruscotto_is_not_theirs() {
    let t = TestService::demo().await;
    let exports = tempfile::tempdir().unwrap();
    let mut s = Station::login(&t, Role::Operator, exports.path()).await;
    s.press(&[shift('D')]).await;
    assert!(s.h.state.dashboard.is_none());
    let notice = s.h.state.notice.clone().expect("a message");
    assert!(notice.error);
    assert!(
        notice.text.contains("riservato a supervisori e auditor"),
        "{}",
        notice.text
    );
    t.service.shutdown().await.unwrap();
}

#[test]
fn workstation_cruscotto_snapshots_at_two_sizes_dark_and_monochrome() {
    let now: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
    let response = DashboardResponse {
        scope: DashboardScope::Region("Lazio".into()),
        dashboard: demo_dashboard(7, now).unwrap(),
    };
    for (width, height) in [(80, 24), (200, 50)] {
        for (name, styles) in [
            ("dark", Theme::from_sources("dark", None).0),
            ("mono", Theme::from_sources("monochrome", None).0),
        ] {
            let me = Operator {
                username: "lbianchi".into(),
                office: "RM01".into(),
            };
            let mut state = State::new(combipat::i18n::Lang::It, me, now);
            state.demo = true;
            let mut h = Headless::new(state, width, height, styles);
            h.send(Msg::DashboardLoaded(Box::new(response.clone())));
            h.press(key(KeyCode::Down));
            h.draw();
            let backend = h.terminal.backend().clone();
            insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(format!("workstation_dashboard_{width}x{height}_{name}"), backend);
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `GET /v1/dashboard/quality?year=Y` and `combipat report quality --server`.

use combipat::api::RequestDetail;
use combipat::api::dashboard::QualityReport;
use combipat::api::{ActionBody, NewMessage};
use combipat::client::IdempotencyKey;
use combipat::domain::request::{MessageKind, Status, Transition};

/// What the protocol's indicators count for one patronato, tallied by hand from the histories.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    volume: u32,
    integration_requests: u32,
    needing_integration: u32,
    reopen_total: u32,
    reopened: u32,
    replied: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quality_endpoint_matches_figures_tallied_from_the_histories() {
    let t = TestService::demo().await;
    let rome = jiff::tz::TimeZone::get("Europe/Rome").unwrap();
    let year = jiff::Timestamp::now().to_zoned(rome.clone()).year();

    // Two integration requests through the API, so the tallies exercise them.
    let operator = Client::new(
        &t.service.base_url(),
        &t.token(Role::Operator),
        ClientOptions::default(),
    )
    .unwrap();
    let fresh: Vec<RequestSummary> = listed(&t, Role::Operator)
        .await
        .into_iter()
        .filter(|r| r.status == Status::Nuova)
        .take(2)
        .collect();
    assert_eq!(fresh.len(), 2, "the demo data has new requests");
    for r in &fresh {
        let taken = operator
            .act(&r.id, r.version, &ActionBody::Take, &IdempotencyKey::new())
            .await
            .unwrap();
        operator
            .add_message(
                &r.id,
                &NewMessage {
                    kind: MessageKind::IntegrationRequest,
                    body: "Inviare il modello AP70 firmato".into(),
                },
                Some(taken.version),
                &IdempotencyKey::new(),
            )
            .await
            .unwrap();
    }

    let response = get_as(
        &t,
        Role::Supervisor,
        &format!("/v1/dashboard/quality?year={year}"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let report: QualityReport = response.json().await.unwrap();
    assert_eq!(report.year, year);

    let mut expected: std::collections::BTreeMap<String, Tally> = Default::default();
    for summary in listed(&t, Role::Supervisor).await {
        if summary.created_at.to_zoned(rome.clone()).year() != year {
            continue;
        }
        let detail: RequestDetail = get_as(
            &t,
            Role::Supervisor,
            &format!("/v1/requests/{}", summary.id),
        )
        .await
        .json()
        .await
        .unwrap();
        let count =
            |t: Transition| detail.history.iter().filter(|h| h.transition == t).count() as u32;
        let (integrations, reopens, replies) = (
            count(Transition::RequestIntegration),
            count(Transition::Reopen),
            count(Transition::Reply),
        );
        let closed = detail.summary.status == Status::Chiusa;
        let tally = expected.entry(summary.patronato.clone()).or_default();
        tally.volume += 1;
        tally.integration_requests += integrations;
        tally.needing_integration += u32::from(integrations > 0);
        if replies > 0 || closed || reopens > 0 {
            tally.reopen_total += 1;
            tally.reopened += u32::from(reopens > 0);
        }
        tally.replied += u32::from(replies > 0);
    }
    assert!(!expected.is_empty(), "the demo data has requests this year");
    assert!(
        expected.values().any(|t| t.integration_requests > 0),
        "the demo data exercises integration requests"
    );
    let served: std::collections::BTreeMap<String, Tally> = report
        .patronati
        .iter()
        .map(|p| {
            (
                p.patronato.clone(),
                Tally {
                    volume: p.volume,
                    integration_requests: p.integration_requests,
                    needing_integration: p.defect.hits,
                    reopen_total: p.reopen.total,
                    reopened: p.reopen.hits,
                    replied: p.within_sla.total,
                },
            )
        })
        .collect();
    assert_eq!(served, expected);
    for p in &report.patronati {
        assert_eq!(p.defect.total, p.volume, "{}", p.patronato);
        assert!(p.within_sla.hits <= p.within_sla.total);
    }

    // Another year has nothing; a year outside the calendars is refused naming the field.
    let empty: QualityReport = get_as(
        &t,
        Role::Supervisor,
        &format!("/v1/dashboard/quality?year={}", year - 5),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(empty.patronati.is_empty());
    let bad = get_as(&t, Role::Supervisor, "/v1/dashboard/quality?year=1800").await;
    assert_eq!(bad.status(), 422);
    let body: combipat::api::ErrorBody = bad.json().await.unwrap();
    assert_eq!(body.field.as_deref(), Some("year"));
    assert_eq!(
        get_as(
            &t,
            Role::Auditor,
            &format!("/v1/dashboard/quality?year={year}")
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        get_as(
            &t,
            Role::Operator,
            &format!("/v1/dashboard/quality?year={year}")
        )
        .await
        .status(),
        403
    );

    // The CLI prints the server's figures.
    let (url, token) = (t.service.base_url(), t.token(Role::Supervisor));
    let year_arg = year.to_string();
    let printed = combipat(&[
        "report", "quality", "--year", &year_arg, "--csv", "--server", &url, "--token", &token,
    ])
    .await;
    assert_eq!(
        printed,
        combipat::domain::dashboard::csv::quality_csv(
            year,
            &report.patronati,
            combipat::domain::csv::Dialect::Italian
        )
    );
    let plain = combipat(&[
        "report",
        "quality",
        "--year",
        &year_arg,
        "--csv",
        "--csv-dialect",
        "plain",
        "--server",
        &url,
        "--token",
        &token,
    ])
    .await;
    assert_eq!(
        plain,
        combipat::domain::dashboard::csv::quality_csv(
            year,
            &report.patronati,
            combipat::domain::csv::Dialect::Plain
        )
    );
    // On screen: the title, one line per patronato with its volume, then the methodology.
    let table = combipat(&[
        "report", "quality", "--year", &year_arg, "--server", &url, "--token", &token,
    ])
    .await;
    assert!(
        table.starts_with(&format!(
            "Indicatori di qualità per patronato (Protocollo INPS–Patronati, §5) · anno {year}"
        )),
        "{table}"
    );
    assert!(table.contains("1ª risp. nei tempi %"), "{table}");
    for f in &report.patronati {
        let line = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(f.patronato.as_str()))
            .unwrap_or_else(|| panic!("{} missing:\n{table}", f.patronato));
        assert_eq!(
            line.split_whitespace().nth(1),
            Some(f.volume.to_string().as_str()),
            "{line}"
        );
    }
    let method = table
        .split("\nMetodo (h = ore lavorative)\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{table}"));
    assert!(method.contains("rango più vicino"), "{method}");
    assert!(
        method.contains("escluso il tempo in attesa di integrazione"),
        "{method}"
    );
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_the_quality_endpoint() {
    let t = TestService::demo().await;
    let doc = t.openapi().await;
    let path = &doc["paths"]["/v1/dashboard/quality"]["get"];
    assert!(path.is_object(), "{}", doc["paths"]);
    assert_eq!(path["parameters"][0]["name"], "year");
    assert!(doc["components"]["schemas"]["QualityReport"].is_object());
    t.service.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// `combipat dashboard` full screen in a real terminal (tmux), against a real service.

use common::tmux::Tmux;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn combipat_dashboard_runs_full_screen_exports_and_refuses_writes_for_auditors() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        println!("NOTICE: tmux not installed, full-screen cruscotto test skipped");
        return;
    }
    let t = TestService::demo().await;
    let home = tempfile::tempdir().unwrap();
    let server: DashboardResponse = get_as(&t, Role::Auditor, "/v1/dashboard")
        .await
        .json()
        .await
        .unwrap();
    let tmux = Tmux {
        socket: format!("combipat-dash-{}", std::process::id()),
    };
    let status_file = home.path().join("exit-status");
    let command = format!(
        "env HOME={h} XDG_CONFIG_HOME={h}/config TERM=xterm-256color {bin} --server {url} \
         --token {token} --data-dir {h}/data dashboard; echo $? > {status}",
        h = home.path().display(),
        bin = env!("CARGO_BIN_EXE_combipat"),
        url = t.service.base_url(),
        token = t.token(Role::Auditor),
        status = status_file.display(),
    );
    let created = tokio::task::spawn_blocking({
        let socket = tmux.socket.clone();
        move || {
            std::process::Command::new("tmux")
                .args(["-L", &socket, "new-session", "-d", "-s", &socket])
                .args(["-x", "200", "-y", "50", &command])
                .status()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(created.success());

    // The footer is the last row a frame writes: once it shows, the whole first frame is there.
    let screen = tokio::task::block_in_place(|| {
        tmux.wait_within(std::time::Duration::from_secs(60), |s| s.contains("q esci"))
    });
    assert!(screen.contains("COMBIPAT · Cruscotto"), "{screen}");
    // Auditors are always read-only; the figures are the server's.
    assert!(screen.contains("SOLA LETTURA"), "{screen}");
    for office in &server.dashboard.office_totals {
        assert!(screen.contains(office.office.as_str()), "{screen}");
    }

    // A write key is refused with a message; `e` writes the CSV into the data dir.
    tmux.run(&["send-keys", "-t", &tmux.socket, "t"]);
    let screen = tokio::task::block_in_place(|| {
        tmux.wait_within(std::time::Duration::from_secs(60), |s| {
            s.contains("consentita")
        })
    });
    assert!(
        screen.contains("Sola lettura: l'azione non è consentita"),
        "{screen}"
    );
    tmux.run(&["send-keys", "-t", &tmux.socket, "e"]);
    let screen = tokio::task::block_in_place(|| {
        tmux.wait_within(std::time::Duration::from_secs(60), |s| {
            s.contains("Esportato")
        })
    });
    assert!(screen.contains("Esportato"), "{screen}");
    let exports: Vec<_> = std::fs::read_dir(home.path().join("data/exports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert_eq!(
        std::fs::read_to_string(&exports[0]).unwrap(),
        combipat::domain::dashboard::csv::dashboard_csv(
            &server.dashboard,
            combipat::domain::csv::Dialect::Italian
        )
    );

    // `q` leaves cleanly.
    tmux.run(&["send-keys", "-t", &tmux.socket, "q"]);
    let status = tokio::task::block_in_place(|| {
        for _ in 0..300 {
            if let Ok(status) = std::fs::read_to_string(&status_file) {
                return status;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        String::new()
    });
    assert_eq!(status.trim(), "0");
    t.service.shutdown().await.unwrap();
}

/// The figure of `cell` that `figure` names.
fn count_of(cell: &combipat::api::dashboard::CellFigures, figure: FigureColumn) -> usize {
    (match figure {
        FigureColumn::Open | FigureColumn::Other => cell.open,
        FigureColumn::Breached => cell.breached,
        FigureColumn::AtRisk => cell.at_risk,
        FigureColumn::Paused => cell.paused,
    }) as usize
}

/// Drill-down in the standalone and SSH cruscotto: every figure (open, breached, at risk,
/// awaiting integration) of every cell, office total and the scope's Totale lists exactly the
/// requests it counts, through the real service's queues; Enter on a request shows its detail,
/// Esc closes the detail, then the list, then the cruscotto.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_figure_drills_down_to_the_requests_it_counts_and_esc_returns() {
    use combipat::api::dashboard::CellFigures;
    let t = TestService::demo().await;
    let client = Client::new(
        &t.service.base_url(),
        &t.token(Role::Supervisor),
        ClientOptions::default(),
    )
    .unwrap();
    let gateway = ClientGateway::new(client);
    let figures = [
        FigureColumn::Open,
        FigureColumn::Breached,
        FigureColumn::AtRisk,
        FigureColumn::Paused,
    ];
    // Clocks cross thresholds as time passes: a figure and its list are compared at one
    // moment, so a difference is measured again (a real one stays).
    let mut compared = 0;
    let mut nonzero = 0;
    for attempt in 0.. {
        let response = gateway.dashboard().await.unwrap();
        let state = DashboardState::new(response.dashboard, "scope".into(), true, Lang::It);
        let mut rows: Vec<(
            Option<String>,
            Option<combipat::domain::request::Topic>,
            CellFigures,
        )> = state
            .rows()
            .into_iter()
            .map(|c| (Some(c.office.clone()), c.topic, c.clone()))
            .collect();
        rows.push((None, None, state.scope_total()));
        let mut differ = Vec::new();
        for (office, topic, cell) in &rows {
            for figure in figures {
                let target = DrillTarget {
                    office: office.clone(),
                    topic: *topic,
                    figure,
                };
                let (listed, truncated) = gateway.requests(target.filter()).await.unwrap();
                let expected = count_of(cell, figure);
                assert!(
                    listed
                        .iter()
                        .all(|r| office.as_ref().is_none_or(|o| r.office == *o)
                            && topic.is_none_or(|t| r.topic == t)
                            && r.status.is_open())
                );
                let same = if truncated {
                    expected > listed.len()
                } else {
                    listed.len() == expected
                };
                if !same {
                    differ.push(format!(
                        "{}: {} listed, {expected} counted",
                        target.title(Lang::En),
                        listed.len()
                    ));
                }
                compared += 1;
                nonzero += usize::from(expected > 0);
            }
        }
        if differ.is_empty() {
            break;
        }
        assert!(attempt < 3, "figures and their lists differ: {differ:#?}");
    }
    assert!(
        compared > 20 && nonzero > 10,
        "{compared} compared, {nonzero} non-zero"
    );

    // The flow, as the standalone cruscotto runs it: Enter on the first cell's open figure.
    let response = gateway.dashboard().await.unwrap();
    let mut state = DashboardState::new(response.dashboard, "scope".into(), true, Lang::It);
    let open = state.rows()[0].open as usize;
    let DashboardOutcome::DrillDown(target) = state.update(DashboardAction::Open) else {
        panic!("Enter drills down");
    };
    let listed = gateway
        .requests(target.filter())
        .await
        .map_err(|e| e.to_string());
    state.drill_loaded(&target, listed);
    let drill = state.drill.as_ref().unwrap();
    assert_eq!(drill.rows.len(), open);
    assert!(drill.rows.len() >= 2, "a cell with two requests at least");
    assert!(
        drill
            .rows
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at),
        "oldest first"
    );
    let second = drill.rows[1].id.clone();
    let screen = |state: &DashboardState, width: u16, height: u16| -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| {
                let area = frame.area();
                combipat::tui::dashboard::render(frame, area, state, &DashStyles::dark())
            })
            .unwrap();
        format!("{}", terminal.backend())
    };
    let list = screen(&state, 80, 24);
    assert!(list.contains(drill.rows[0].id.as_str()), "{list}");
    assert!(list.contains("Aperte"), "{list}");
    state.update(DashboardAction::Down);
    assert_eq!(
        state.update(DashboardAction::Open),
        DashboardOutcome::ShowRequest(second.clone())
    );
    let detail = gateway.detail(&second).await.map_err(|e| e.to_string());
    state.detail_loaded(detail);
    for (width, height) in [(80, 24), (200, 50)] {
        let shown = screen(&state, width, height);
        assert!(shown.contains(second.as_str()), "{shown}");
        assert!(shown.contains("Orologi SLA"), "{shown}");
    }
    // Wide, the list stays beside the detail.
    assert!(screen(&state, 200, 50).contains("Pratica"));
    assert_eq!(
        state.update(DashboardAction::Quit),
        DashboardOutcome::Nothing
    );
    assert!(state.drill.as_ref().is_some_and(|d| d.detail.is_none()));
    assert_eq!(
        state.update(DashboardAction::Quit),
        DashboardOutcome::Nothing
    );
    assert!(state.drill.is_none());
    assert_eq!(state.update(DashboardAction::Quit), DashboardOutcome::Quit);
    t.service.shutdown().await.unwrap();
}

/// The SSH endpoint shares one render among sessions whose frames would be equal: the key
/// changes with everything the view shows, and not otherwise.
#[test]
fn frame_keys_follow_what_the_view_shows() {
    let a = state();
    let b = state();
    assert_eq!(a.frame_key(), b.frame_key());
    let key = a.frame_key();
    let changed = |change: &dyn Fn(&mut DashboardState)| {
        let mut s = state();
        change(&mut s);
        s.frame_key()
    };
    for action in [
        DashboardAction::Down,
        DashboardAction::NextTab,
        DashboardAction::ColumnRight,
        DashboardAction::CyclePeriod,
        DashboardAction::Help,
    ] {
        assert_ne!(
            changed(&|s| {
                s.update(action);
            }),
            key,
            "{action:?}"
        );
    }
    assert_ne!(changed(&|s| s.read_only = false), key);
    assert_ne!(changed(&|s| s.scope_label = "Sede MI01".into()), key);
    assert_ne!(changed(&|s| s.message = Some("x".into())), key);
    assert_ne!(
        changed(&|s| s.now += jiff::SignedDuration::from_secs(3600)),
        key
    );
    assert_ne!(
        changed(&|s| {
            std::sync::Arc::make_mut(&mut s.figures).generated_at +=
                jiff::SignedDuration::from_secs(1)
        }),
        key
    );
    // A drill-down is the session's own: never shared.
    assert_eq!(
        changed(&|s| {
            s.update(DashboardAction::Open);
        }),
        None
    );
}

/// The drill-down at 80×24 and 200×50, dark and monochrome: the list of a cell's breached
/// requests, then one request's detail (beside the list when wide, over it when narrow).
#[test]
fn drill_down_list_and_detail_at_two_sizes_dark_and_monochrome() {
    use combipat::api::RequestDetail;
    use combipat::domain::request::{ActorRef, MessageKind, ThreadEntry};
    let base = state();
    let now = base.now;
    let rows = combipat::tui::fixture::requests(24, now, "RM01", "mrossi");
    let detail = RequestDetail {
        summary: rows[0].clone(),
        application_protocol: None,
        outcome: None,
        thread: vec![ThreadEntry {
            seq: 1,
            at: rows[0].created_at,
            author: ActorRef {
                id: "inca".into(),
                name: "INCA CGIL".into(),
                role: Role::Patronato,
            },
            kind: MessageKind::PatronatoMessage,
            // A codice fiscale quoted in a message: masked on a dashboard like in its lists.
            body: "Si chiede lo stato della domanda di pensione di vecchiaia di Mario Rossi \
                   (CF RSSMRA85T10A562S)."
                .into(),
        }],
        history: vec![],
        appointments: vec![],
    };
    for (width, height) in [(80, 24), (200, 50)] {
        for (name, styles) in [
            ("dark", DashStyles::dark()),
            ("monochrome", DashStyles::monochrome()),
        ] {
            let mut state = state();
            state.update(DashboardAction::ColumnRight);
            let DashboardOutcome::DrillDown(target) = state.update(DashboardAction::Open) else {
                panic!("Enter drills down");
            };
            assert_eq!(target.figure, FigureColumn::Breached);
            state.drill_loaded(&target, Ok((rows.clone(), false)));
            let mut shots = vec![("list", state.clone())];
            let oldest = state.drill.as_ref().unwrap().rows[0].id.clone();
            assert_eq!(
                state.update(DashboardAction::Open),
                DashboardOutcome::ShowRequest(oldest.clone())
            );
            let mut shown = detail.clone();
            shown.summary = state.drill.as_ref().unwrap().rows[0].clone();
            state.detail_loaded(Ok(shown));
            shots.push(("detail", state));
            for (shot, state) in shots {
                let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
                terminal
                    .draw(|frame| {
                        let area = frame.area();
                        combipat::tui::dashboard::render(frame, area, &state, &styles)
                    })
                    .unwrap();
                let backend = terminal.backend().clone();
                let screen: String = backend
                    .buffer()
                    .content()
                    .iter()
                    .map(|cell| cell.symbol())
                    .collect();
                assert!(!screen.contains("RSSMRA85T10A562S"), "{screen}");
                if shot == "detail" && width == 200 {
                    assert!(screen.contains("(CF RSS***85T10****S)"), "{screen}");
                }
                insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
                    insta::assert_snapshot!(
                        format!("dashboard_drill_{shot}_{width}x{height}_{name}"),
                        backend
                    );
                });
            }
        }
    }
}

/// Without `--server`, `combipat dashboard --csv` counts the data dir's own database: the one
/// the embedded workstation opens and `combipat serve --data-dir` serves (it once computed over
/// a separate small dataset: 18 open in RM01 against 486 in the workstation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_dashboard_csv_counts_the_data_dirs_own_requests() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    // The first embedded run seeds the demo data, as the workstation's would.
    let csv = combipat(&[
        "--data-dir",
        &data_dir,
        "dashboard",
        "--csv",
        "--csv-dialect",
        "plain",
    ])
    .await;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (topic, open) = (column("topic"), column("open"));
    let csv_open: u32 = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|cells| cells[topic].is_empty())
        .map(|cells| cells[open].parse::<u32>().unwrap())
        .sum();

    // The embedded service keeps its database in `<data dir>/service`.
    let service_dir = dir.path().join("service");
    let (child, url) = tokio::task::block_in_place(|| common::spawn_serve(&service_dir, false));
    let _child = common::KillOnDrop(child);
    let credentials = combipat::service::demo_credentials::load(&service_dir).unwrap();
    let token = &credentials.for_role(Role::Supervisor).unwrap().token;
    let served: DashboardResponse = common::get_json(&format!("{url}/v1/dashboard"), token).await;
    let served_open: u32 = served.dashboard.office_totals.iter().map(|c| c.open).sum();
    assert!(
        served_open > 100,
        "the demo data of the data dir: {served_open}"
    );
    assert_eq!(csv_open, served_open, "{csv}");
}
