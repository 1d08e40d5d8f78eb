//! A tmux server of its own per test (`tmux -L <socket>`), killed on drop: the real terminal
//! the smoke tests drive with `send-keys` and read with `capture-pane`.

use std::process::{Command, Stdio};
use std::time::Duration;

pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    pub fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Sends each key (tmux key names), pausing between them as a typist would.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", &self.socket, k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.socket])
    }

    /// The screen once `done` holds (or after 30 s, for the failure message).
    pub fn wait_for(&self, done: impl Fn(&str) -> bool) -> String {
        self.wait_within(Duration::from_secs(30), done)
    }

    pub fn wait_within(&self, limit: Duration, done: impl Fn(&str) -> bool) -> String {
        for _ in 0..limit.as_millis() / 100 {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.screen()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// Whether every `(program, argument)` runs here. Missing under `CI=true` is a failure (CI
/// must run these tests); elsewhere the test says so and passes.
pub fn tools_available(tools: &[(&str, &str)], install: &str) -> bool {
    let found = tools.iter().all(|(tool, arg)| {
        Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "required under CI: {install}"
        );
        println!("NOTICE: not installed, terminal test skipped: {install}");
    }
    found
}
