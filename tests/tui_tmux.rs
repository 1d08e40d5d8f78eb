//! The real binary in a real terminal (tmux): the workstation against a real service, driven by
//! keys and a bracketed paste, checked on the server through the API.
//!
//! Needs `tmux` (Debian package `tmux`). Without it the tests say so and pass, except under
//! `CI=true`, where a missing tmux is a failure: CI must run them.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use combipat::client::{Client, ClientOptions};
use combipat::domain::request::{MessageKind, RequestId, Status};
use combipat::domain::roles::Role;
use common::TestService;

struct Tmux {
    socket: String,
    home: tempfile::TempDir,
}

fn tmux_available() -> bool {
    let found = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "tmux is required under CI (apt-get install tmux)"
        );
        println!("NOTICE: tmux not installed, terminal tests skipped");
    }
    found
}

impl Tmux {
    /// Starts the workstation (English, default keymap) at 160×48 against `url` as `token`.
    fn start(name: &str, url: &str, token: &str) -> Tmux {
        let home = tempfile::tempdir().unwrap();
        let tmux = Tmux {
            socket: format!("combipat-{name}-{}", std::process::id()),
            home,
        };
        tmux.launch(url, token);
        tmux
    }

    fn status_file(&self) -> PathBuf {
        self.home.path().join("exit-status")
    }

    fn launch(&self, url: &str, token: &str) {
        let _ = std::fs::remove_file(self.status_file());
        let command = format!(
            "env HOME={h} XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/share TERM=xterm-256color \
             {bin} --server {url} --token {token} --data-dir {h}/data --lang en; echo $? > {status}",
            h = self.home.path().display(),
            bin = env!("CARGO_BIN_EXE_combipat"),
            status = self.status_file().display(),
        );
        let status = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "new-session", "-d", "-s", &self.socket])
            .args(["-x", "160", "-y", "48", &command])
            .status()
            .unwrap();
        assert!(status.success());
        // Rows listed, not just the frame drawn: a loaded machine may paint before the list arrives.
        let screen = self.wait_for(|s| s.contains("? help") && s.contains("CBP-"));
        assert!(screen.contains("Requests"), "{screen}");
    }

    fn run(&self, args: &[&str]) -> String {
        let output = std::process::Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", &self.socket, k]);
            std::thread::sleep(Duration::from_millis(120));
        }
    }

    /// Types `text` literally, key by key as the terminal sends it.
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", &self.socket, "-l", text]);
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Pastes `text` as the terminal does: bracketed, since the workstation asks for it.
    fn paste(&self, text: &str) {
        self.run(&["set-buffer", "-b", "combipat", text]);
        self.run(&["paste-buffer", "-p", "-b", "combipat", "-t", &self.socket]);
        std::thread::sleep(Duration::from_millis(300));
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.socket])
    }

    fn wait_for(&self, done: impl Fn(&str) -> bool) -> String {
        for _ in 0..300 {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.screen()
    }

    /// Waits for the workstation to exit; its exit status.
    fn wait_exit(&self) -> String {
        for _ in 0..300 {
            if let Ok(status) = std::fs::read_to_string(self.status_file()) {
                return status.trim().to_string();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the workstation did not exit:\n{}", self.screen());
    }

    /// Ids of the list rows on screen, top to bottom (the list pane only).
    /// The request ids of the list, once it has loaded (the hint line comes up first).
    fn listed(&self) -> Vec<RequestId> {
        self.wait_for(|s| s.contains("CBP-"))
            .lines()
            .filter(|l| !l.contains("SLA "))
            .filter_map(|l| {
                let list: String = l.chars().skip(28).take(70).collect();
                let at = list.find("CBP-")?;
                RequestId::parse(list.get(at..at + 16)?).ok()
            })
            .collect()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

fn operator(t: &TestService) -> (String, String, Client) {
    let url = t.service.base_url();
    let token = t.token(Role::Operator);
    let admin = Client::new(&url, &t.token(Role::Admin), ClientOptions::default()).unwrap();
    (url, token, admin)
}

async fn status_of(admin: &Client, id: &RequestId) -> Status {
    admin.get_request(id).await.unwrap().value.summary.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_close_acts_only_on_what_is_visibly_selected() {
    if !tmux_available() {
        return;
    }
    let t = TestService::demo().await;
    let (url, token, admin) = operator(&t);
    let tmux = tokio::task::block_in_place(|| Tmux::start("select", &url, &token));
    let first_queue = tokio::task::block_in_place(|| tmux.listed());
    assert!(first_queue.len() >= 2, "{}", tmux.screen());
    let screen = tokio::task::block_in_place(|| {
        tmux.keys(&["Space", "Space"]);
        tmux.wait_for(|s| s.contains("2 selected"))
    });
    assert!(screen.contains("2 selected"), "{screen}");
    // Another queue: the selection stays behind, a bulk close has nothing to act on.
    let screen = tokio::task::block_in_place(|| {
        tmux.keys(&["]"]);
        tmux.keys(&["C"]);
        tmux.wait_for(|s| s.contains("Nothing selected"))
    });
    assert!(!screen.contains("2 selected"), "{screen}");
    assert!(screen.contains("Nothing selected"), "{screen}");
    // Back to the first queue: the selection did not come back with it. One row selected
    // there is the one the confirmation names and the only one closed.
    let screen = tokio::task::block_in_place(|| {
        tmux.keys(&["Escape", "["]);
        tmux.wait_for(|s| !s.contains("Nothing selected"))
    });
    assert!(!screen.contains("selected"), "{screen}");
    assert_eq!(tokio::task::block_in_place(|| tmux.listed()), first_queue);
    let screen = tokio::task::block_in_place(|| {
        tmux.keys(&["Space", "C", "Enter"]);
        tmux.wait_for(|s| s.contains("Close this request?"))
    });
    assert!(screen.contains("Close this request?"), "{screen}");
    assert!(screen.contains(first_queue[0].as_str()), "{screen}");
    tokio::task::block_in_place(|| tmux.keys(&["Enter"]));
    // Past the undo window.
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(status_of(&admin, &first_queue[0]).await, Status::Chiusa);
    assert_ne!(status_of(&admin, &first_queue[1]).await, Status::Chiusa);
    tokio::task::block_in_place(|| tmux.keys(&["q"]));
    assert_eq!(tokio::task::block_in_place(|| tmux.wait_exit()), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_line_reply_with_a_pasted_paragraph_arrives_intact_in_one_message() {
    if !tmux_available() {
        return;
    }
    let t = TestService::demo().await;
    let (url, token, admin) = operator(&t);
    let tmux = tokio::task::block_in_place(|| Tmux::start("paste", &url, &token));
    // "Mine" comes first: requests in progress, which accept a reply.
    let id = tokio::task::block_in_place(|| tmux.listed())
        .into_iter()
        .next()
        .expect("a request of mine");
    let before = admin.get_request(&id).await.unwrap().value;
    assert!(
        before
            .summary
            .status
            .apply(combipat::domain::request::Transition::Reply)
            .is_ok(),
        "{:?}",
        before.summary.status
    );
    let paragraph = "dalla verifica risulta mancante il modello AP70.\n\
        Si prega di allegarlo entro trenta giorni.\n\nCordiali saluti";
    tokio::task::block_in_place(|| {
        tmux.keys(&["r"]);
        tmux.wait_for(|s| s.contains("Ctrl-s sends"));
        tmux.type_text("Gentile patronato,");
        tmux.keys(&["Enter"]);
        tmux.paste(paragraph);
    });
    let screen = tokio::task::block_in_place(|| tmux.screen());
    assert!(screen.contains("Cordiali saluti"), "{screen}");
    // Nothing sent by the pasted newlines.
    let meanwhile = admin.get_request(&id).await.unwrap().value;
    assert_eq!(meanwhile.thread.len(), before.thread.len(), "{screen}");
    tokio::task::block_in_place(|| {
        tmux.keys(&["C-s"]);
        tmux.wait_for(|s| s.contains("Reply sent"))
    });
    let after = admin.get_request(&id).await.unwrap().value;
    let new: Vec<_> = after.thread[before.thread.len()..].iter().collect();
    assert_eq!(new.len(), 1, "one message: {new:?}");
    assert_eq!(new[0].kind, MessageKind::Reply);
    assert_eq!(new[0].body, format!("Gentile patronato,\n{paragraph}"));
    tokio::task::block_in_place(|| tmux.keys(&["q"]));
    assert_eq!(tokio::task::block_in_place(|| tmux.wait_exit()), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_then_quit_at_once_and_after_restart_the_request_is_closed() {
    if !tmux_available() {
        return;
    }
    let t = TestService::demo().await;
    let (url, token, admin) = operator(&t);
    let tmux = tokio::task::block_in_place(|| Tmux::start("quit", &url, &token));
    let id = tokio::task::block_in_place(|| tmux.listed())
        .into_iter()
        .next()
        .expect("a request of mine");
    assert_ne!(status_of(&admin, &id).await, Status::Chiusa);
    let screen = tokio::task::block_in_place(|| {
        tmux.keys(&["c"]);
        tmux.wait_for(|s| s.contains("Closing outcome"))
    });
    assert!(screen.contains("Closing outcome"), "{screen}");
    // Quit inside the undo window.
    tokio::task::block_in_place(|| {
        tmux.keys(&["Enter"]);
        tmux.keys(&["q"]);
    });
    assert_eq!(tokio::task::block_in_place(|| tmux.wait_exit()), "0");
    assert_eq!(status_of(&admin, &id).await, Status::Chiusa);
    // Started again, the workstation shows it closed (it left "Mine").
    tokio::task::block_in_place(|| {
        tmux.run(&["kill-server"]);
        tmux.launch(&url, &token);
    });
    let listed = tokio::task::block_in_place(|| tmux.listed());
    assert!(!listed.contains(&id), "{}", tmux.screen());
    tokio::task::block_in_place(|| tmux.keys(&["q"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_naspi_rossi_lists_rossis_naspi_requests_first() {
    if !tmux_available() {
        return;
    }
    let t = TestService::demo().await;
    let (url, token, _admin) = operator(&t);
    // Mario Rossi's NASpI request, filed by his patronato, among the demo's many NASpI and
    // Rossi requests.
    let patronato = Client::new(&url, &t.token(Role::Patronato), ClientOptions::default()).unwrap();
    let filed = patronato
        .create_request(
            &combipat::api::NewRequest {
                office: "RM01".into(),
                topic: combipat::domain::request::Topic::AmmortizzatoriSociali,
                citizen: "RSSMRA85T10A562S".into(),
                application_protocol: None,
                subject: "NASpI: domanda respinta".into(),
                body: "Chiediamo il riesame".into(),
                priority: combipat::domain::request::Priority::Normale,
            },
            &combipat::client::IdempotencyKey::new(),
        )
        .await
        .unwrap()
        .value
        .summary
        .id;
    let tmux = tokio::task::block_in_place(|| Tmux::start("naspi", &url, &token));
    let screen = tokio::task::block_in_place(|| {
        // "All open" is the last queue: one step back from the first.
        tmux.keys(&["["]);
        tmux.keys(&["/"]);
        tmux.type_text("naspi rossi");
        tmux.keys(&["Enter"]);
        tmux.wait_for(|s| s.contains("/naspi rossi"))
    });
    assert!(screen.contains("All open"), "{screen}");
    let listed = tokio::task::block_in_place(|| tmux.listed());
    assert_eq!(listed.first(), Some(&filed), "{screen}");
    let first_row: String = screen
        .lines()
        .map(|l| l.chars().skip(28).take(82).collect::<String>())
        .find(|l| l.contains(filed.as_str()))
        .unwrap_or_default();
    assert!(first_row.contains("Rossi"), "{first_row}");
    tokio::task::block_in_place(|| tmux.keys(&["q"]));
    assert_eq!(tokio::task::block_in_place(|| tmux.wait_exit()), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_killed_while_taking_and_replying_gets_each_action_once_in_order() {
    use combipat::domain::request::Transition;
    if !tmux_available() {
        return;
    }
    // A separate `combipat serve` process on a seeded data dir, killed and started again on
    // the same address.
    let served = tempfile::tempdir().unwrap();
    let credentials = combipat::service::seed_demo(
        served.path(),
        combipat::service::starter_dataset(7, jiff::Timestamp::now()),
    )
    .await
    .unwrap();
    let token = |role| credentials.token(role).unwrap().to_string();
    let (mut serve, url) = common::spawn_serve_at(served.path(), false, None, "127.0.0.1:0");
    let admin = Client::new(&url, &token(Role::Admin), ClientOptions::default()).unwrap();
    let me = Client::new(&url, &token(Role::Operator), ClientOptions::default())
        .unwrap()
        .me()
        .await
        .unwrap()
        .username;
    let tmux = tokio::task::block_in_place(|| Tmux::start("outbox", &url, &token(Role::Operator)));
    // "Unassigned" is the second queue: new requests, to take and then answer.
    let id = tokio::task::block_in_place(|| {
        tmux.keys(&["]"]);
        tmux.wait_for(|s| s.contains("Unassigned (office) ("));
        tmux.listed()
    })
    .into_iter()
    .next()
    .expect("an unassigned request");
    let before = admin.get_request(&id).await.unwrap().value;
    serve.kill().unwrap();
    serve.wait().unwrap();
    let text = "Risposta scritta mentre il servizio era fermo";
    let screen = tokio::task::block_in_place(|| {
        tmux.keys(&["t"]);
        tmux.wait_for(|s| s.contains("waiting to be sent (1)"));
        tmux.keys(&["r"]);
        tmux.wait_for(|s| s.contains("Ctrl-s sends"));
        tmux.type_text(text);
        tmux.keys(&["C-s"]);
        tmux.wait_for(|s| s.contains("waiting to be sent (2)"))
    });
    assert!(screen.contains("waiting to be sent (2)"), "{screen}");
    let outbox = tmux.home.path().join("data").join("outbox.json");
    let kept = std::fs::read_to_string(&outbox).unwrap();
    assert!(kept.contains(text), "{kept}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&outbox).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let listen = url.trim_start_matches("http://").trim_end_matches('/');
    let (mut serve, _) = common::spawn_serve_at(served.path(), false, None, listen);
    let screen = tokio::task::block_in_place(|| {
        tmux.wait_for(|s| !s.contains("waiting to be sent") && !s.contains("Lost connection"))
    });
    assert!(!screen.contains("waiting to be sent"), "{screen}");
    assert!(!outbox.exists(), "the outbox is empty: {screen}");
    let after = admin.get_request(&id).await.unwrap().value;
    let mine: Vec<Transition> = after.history[before.history.len()..]
        .iter()
        .filter(|h| h.actor.id == me)
        .map(|h| h.transition)
        .collect();
    assert_eq!(mine, vec![Transition::Take, Transition::Reply], "{screen}");
    let replies = after.thread.iter().filter(|m| m.body == text).count();
    assert_eq!(replies, 1);
    assert_eq!(after.summary.assignee.as_deref(), Some(me.as_str()));
    tokio::task::block_in_place(|| tmux.keys(&["q"]));
    assert_eq!(tokio::task::block_in_place(|| tmux.wait_exit()), "0");
    let _ = serve.kill();
    let _ = serve.wait();
}
