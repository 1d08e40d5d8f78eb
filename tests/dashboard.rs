//! Cruscotto snapshots (80×24 and 200×50, dark and monochrome) from the deterministic demo
//! dataset at a fixed instant, and the CSV export of the same figures.

mod common;

use combipat::api::dashboard::{DashboardResponse, DashboardScope};
use combipat::api::{Me, Page, RequestSummary};
use combipat::domain::roles::Role;
use combipat::tui::dashboard::fixture::demo_dashboard;
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

fn draw(width: u16, height: u16, styles: &DashStyles) -> TestBackend {
    let mut state = state();
    state.update(DashboardAction::Down);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            let area = frame.area();
            combipat::tui::dashboard::render(frame, area, &mut state, styles)
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

#[test]
fn enter_drills_down_into_the_selected_queue_and_e_exports_csv() {
    let mut state = state();
    state.update(DashboardAction::Down);
    let rows = state.rows();
    let expected = (rows[1].office.clone(), rows[1].topic);
    match state.update(DashboardAction::Open) {
        DashboardOutcome::DrillDown { office, topic } => assert_eq!((office, topic), expected),
        other => panic!("{other:?}"),
    }
    match state.update(DashboardAction::ExportCsv) {
        DashboardOutcome::ExportCsv(csv) => {
            assert!(csv.starts_with("office,topic,open,"));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_csv_fetches_the_server_figures_with_server_and_token() {
    let t = TestService::demo().await;
    let body: DashboardResponse = get_as(&t, Role::Supervisor, "/v1/dashboard")
        .await
        .json()
        .await
        .unwrap();
    let (url, token) = (t.service.base_url(), t.token(Role::Supervisor));
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_combipat"))
            .args(["--server", &url, "--token", &token, "dashboard", "--csv"])
            .env_remove("COMBIPAT_SERVER")
            .env_remove("COMBIPAT_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = String::from_utf8(output.stdout).unwrap();
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
    let (url, token) = (t.service.base_url(), t.token(Role::Operator));
    let refused = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_combipat"))
            .args(["--server", &url, "--token", &token, "dashboard", "--csv"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!refused.status.success());
    t.service.shutdown().await.unwrap();
}
