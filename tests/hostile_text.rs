//! Issue 12 point 8: hostile text posted by a patronato, rendered by the real workstation binary
//! in a real terminal (tmux), in the list and in the detail: the screen layout stays intact.

use std::process::Command;
use std::time::Duration;

use combipat::domain::request::Status;
use combipat::domain::roles::Role;
use combipat::service::{self, ServiceConfig};
use common::tmux::Tmux;

mod common;

/// Every case of the issue plus ESC/CSI/OSC/C1/bidi. Each subject starts with a tag `Hn` so
/// that its row can be found.
const HOSTILE: &[&str] = &[
    "H1 line\u{2028}separator\u{2029}para",
    "H2 tag\u{E0001}\u{E0069}\u{E0067}\u{E006E}\u{E007F}smuggled",
    "H3 hangul\u{3164}\u{3164}\u{115F}\u{1160}\u{FFA0}filler",
    "H4 deprecated\u{206A}\u{206B}\u{206E}\u{206F}format \u{FFF9}ann\u{FFFA}ot\u{FFFB} mvs\u{180E}x",
    "H5 clear\u{1b}[2J\u{1b}[H home\u{1b}[10;1Hmoved",
    "H6 osc\u{1b}]0;pwned\u{7} clip\u{1b}]52;c;ZXZpbA==\u{7} csi\u{9b}2J nel\u{85}x",
    "H7 bidi \u{202E}exe.txt\u{202C} \u{2066}iso\u{2069} \u{200F}rlm",
    "H8 zalgo Z\u{0300}\u{0301}\u{0302}\u{0303}\u{0304}\u{0305}\u{0306}\u{0307}\u{0308}\u{0309}\u{030A}\u{030B}\u{030C}\u{030D}",
    "H9 private\u{E000}\u{F8FF} unassigned\u{0378}",
];

fn tmux_available() -> bool {
    let present = Command::new("tmux").arg("-V").output().is_ok();
    if !present && std::env::var_os("CI").is_some() {
        panic!("tmux is required under CI (Debian package tmux)");
    }
    present
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_keeps_the_workstation_layout_intact() {
    if !tmux_available() {
        println!("NOTICE: tmux not installed, hostile text screen test skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let now = jiff::Timestamp::now();
    let mut dataset = service::starter_dataset(7, now);
    // Hostile subjects and bodies in new requests of RM01, as a patronato might have posted them
    // before the API refused them (the store is seeded directly: no API validation in between).
    let mut targets = dataset
        .requests
        .iter_mut()
        .filter(|r| r.office == "RM01" && r.status != Status::Chiusa);
    for text in HOSTILE {
        let request = targets.next().expect("enough new RM01 requests");
        request.subject = (*text).into();
        request.thread[0].body = format!("{text}\nseconda riga {text}");
    }
    let store = service::open_store(dir.path()).await.unwrap();
    let credentials = service::seed::seed_store(store.as_ref(), dir.path(), dataset)
        .await
        .unwrap();
    drop(store);
    let running = service::start(ServiceConfig::new(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        dir.path(),
    ))
    .await
    .unwrap();

    let home = tempfile::tempdir().unwrap();
    let tmux = Tmux {
        socket: format!("combipat-hostile-{}", std::process::id()),
    };
    let command = format!(
        "env HOME={h} XDG_CONFIG_HOME={h}/config TERM=xterm-256color {bin} --server {url} \
         --token {token} --data-dir {h}/data",
        h = home.path().display(),
        bin = env!("CARGO_BIN_EXE_combipat"),
        url = running.base_url(),
        token = credentials.token(Role::Operator).unwrap(),
    );
    let created = Command::new("tmux")
        .args(["-L", &tmux.socket, "new-session", "-d", "-s", &tmux.socket])
        .args(["-x", "160", "-y", "48", &command])
        .status()
        .unwrap();
    assert!(created.success());
    let screen = tokio::task::block_in_place(|| {
        tmux.wait_within(Duration::from_secs(60), |s| s.contains("q esci"))
    });
    let frame = Frame::of(&screen);
    frame.assert_intact(&screen);
    // All open requests of the office: every hostile one is listed.
    tmux.run(&["send-keys", "-t", &tmux.socket, "["]);
    let screen = tokio::task::block_in_place(|| {
        tmux.wait_within(Duration::from_secs(60), |s| s.contains("Tutte aperte ("))
    });
    frame.assert_intact(&screen);
    for (n, _) in HOSTILE.iter().enumerate() {
        let tag = format!(" H{} ", n + 1);
        let rows: Vec<&str> = screen
            .lines()
            .filter(|l| frame.pane(l, 1).contains(&tag))
            .collect();
        // One row each, and on it the request's own number: nothing spilled onto another row.
        assert_eq!(rows.len(), 1, "{tag}\n{screen}");
        assert!(frame.pane(rows[0], 1).contains("CBP-"), "{screen}");
    }
    // The full detail (Enter) of the first row, H1, keeps the layout too.
    assert!(
        frame
            .pane(screen.lines().nth(1).unwrap_or(""), 2)
            .contains(" H1 "),
        "{screen}"
    );
    tmux.run(&["send-keys", "-t", &tmux.socket, "Enter"]);
    let full = tokio::task::block_in_place(|| {
        tmux.wait_within(Duration::from_secs(60), |s| s.contains("Esc indietro"))
    });
    frame.assert_intact(&full);
    tmux.run(&["send-keys", "-t", &tmux.socket, "Escape"]);
    let screen = tokio::task::block_in_place(|| {
        tmux.wait_within(Duration::from_secs(60), |s| s.contains("Enter apri"))
    });
    frame.assert_intact(&screen);
    // The detail of each row, as the cursor moves down the list.
    let listed = screen
        .lines()
        .filter(|l| frame.pane(l, 1).contains("CBP-"))
        .count();
    let mut seen = std::collections::BTreeSet::new();
    let mut screen = screen;
    for step in 0..listed {
        let header = frame
            .pane(screen.lines().nth(1).unwrap_or(""), 2)
            .to_string();
        if let Some(n) = (1..=HOSTILE.len()).find(|n| header.contains(&format!(" H{n} "))) {
            seen.insert(n);
        }
        if step + 1 == listed {
            break;
        }
        tmux.run(&["send-keys", "-t", &tmux.socket, "j"]);
        let next = tokio::task::block_in_place(|| {
            tmux.wait_within(Duration::from_secs(60), |s| {
                frame.pane(s.lines().nth(1).unwrap_or(""), 2) != header
            })
        });
        frame.assert_intact(&next);
        screen = next;
    }
    assert_eq!(seen.len(), HOSTILE.len(), "{seen:?}");
    // OSC 0 never reached the terminal: the pane title is not the attacker's.
    let title = tmux.run(&["display-message", "-p", "-t", &tmux.socket, "#{pane_title}"]);
    assert!(!title.contains("pwned"), "{title}");
    running.shutdown().await.unwrap();
}

/// The pane borders of the first frame: where every row of every later frame must have them.
struct Frame {
    /// Columns of the vertical borders (`┌`/`┐` on the top row).
    borders: Vec<usize>,
    width: usize,
    height: usize,
    /// Row of the bottom border.
    bottom: usize,
}

fn columns(line: &str, wanted: impl Fn(char) -> bool) -> Vec<usize> {
    use unicode_width::UnicodeWidthChar;
    let mut out = Vec::new();
    let mut col = 0;
    for c in line.chars() {
        if wanted(c) {
            out.push(col);
        }
        col += c.width().unwrap_or(0);
    }
    out
}

fn width(line: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    line.width()
}

impl Frame {
    fn of(screen: &str) -> Frame {
        let lines: Vec<&str> = screen.lines().collect();
        let borders = columns(lines[0], |c| c == '┌' || c == '┐');
        assert!(borders.len() >= 4, "{screen}");
        let bottom = lines
            .iter()
            .position(|l| l.starts_with('└'))
            .expect("a bottom border");
        Frame {
            borders,
            width: width(lines[0]),
            height: lines.len(),
            bottom,
        }
    }

    /// Every row starts where it should: same number of rows, each body row has its vertical
    /// borders at the top row's columns, the bottom border and the footer in place.
    fn assert_intact(&self, screen: &str) {
        let lines: Vec<&str> = screen.lines().collect();
        assert_eq!(lines.len(), self.height, "{screen}");
        assert_eq!(
            columns(lines[0], |c| c == '┌' || c == '┐'),
            self.borders,
            "{screen}"
        );
        let bottom = self.bottom;
        for (row, line) in lines.iter().enumerate().take(bottom).skip(1) {
            let bars = columns(line, |c| c == '│');
            for col in &self.borders {
                assert!(
                    bars.contains(col),
                    "row {row} lost its border at column {col}:\n{screen}"
                );
            }
            assert_eq!(width(line), self.width, "row {row}:\n{screen}");
        }
        assert_eq!(
            columns(lines[bottom], |c| c == '└' || c == '┘'),
            self.borders,
            "{screen}"
        );
        assert!(lines[bottom + 1].contains("q esci"), "{screen}");
    }

    /// The text of pane `index` (0 = queues, 1 = list, 2 = detail) on one row.
    fn pane<'a>(&self, line: &'a str, index: usize) -> &'a str {
        use unicode_width::UnicodeWidthChar;
        let (from, to) = (self.borders[index * 2], self.borders[index * 2 + 1]);
        let mut col = 0;
        let (mut start, mut end) = (line.len(), line.len());
        for (i, c) in line.char_indices() {
            if col == from + 1 && start == line.len() {
                start = i;
            }
            if col == to {
                end = i;
                break;
            }
            col += c.width().unwrap_or(0);
        }
        line.get(start..end).unwrap_or("")
    }
}
