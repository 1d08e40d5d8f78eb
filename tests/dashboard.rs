//! Cruscotto snapshots (80×24 and 200×50, dark and monochrome) from the deterministic demo
//! dataset at a fixed instant, and the CSV export of the same figures.

use combipat::tui::dashboard::fixture::demo_dashboard;
use combipat::tui::dashboard::text::Lang;
use combipat::tui::dashboard::{DashStyles, DashboardAction, DashboardOutcome, DashboardState};
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
