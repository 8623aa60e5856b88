//! `notion-ingest select`, the real binary in a real terminal: tmux runs it,
//! the test sends keys and reads the pane, then checks the config file it
//! wrote (comments kept) and that Esc writes nothing. CI installs tmux
//! (`.ci/run`); without it locally the test says so loudly and passes.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use notion_mock::Workspace;

use crate::support::*;

/// A tmux server of its own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(command: &str, width: u16, height: u16) -> Tmux {
        let tmux = Tmux {
            socket: format!("notion-ingest-e2e-{}", std::process::id()),
        };
        let status = tmux
            .cmd()
            .args(["new-session", "-d", "-s", "t", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .args(["-e", &format!("NOTION_TOKEN={TOKEN}")])
            .arg(command)
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket, "-f", "/dev/null"]);
        cmd
    }

    /// Sends tmux key names (`Down`, `Space`, `Enter`, `C-u`).
    fn keys(&self, keys: &[&str]) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", "t"])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", "t", "-l", text])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn capture(&self) -> String {
        let output = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The pane once it shows `needle` (panics with the pane after 30 s:
    /// a bound on a hang, not a timing check).
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let pane = self.capture();
            if pane.contains(needle) {
                return pane;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the pane never showed {needle:?}:\n{pane}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // The server ends with its last session; this covers a test that
        // failed while the selector was still running.
        let _ = self
            .cmd()
            .arg("kill-server")
            .stderr(std::process::Stdio::null())
            .status();
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Waits for `path` to exist and returns its contents.
fn wait_for_file(path: &Path) -> String {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn select_command(server_url: &str, out: &Path, config: &Path, exit_file: &Path) -> String {
    format!(
        "'{}' select --api-url '{server_url}' --out '{}' --config '{}' 2>'{}.stderr'; echo $? > '{}'",
        binary().display(),
        out.display(),
        config.display(),
        exit_file.display(),
        exit_file.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_in_tmux_writes_the_chosen_exclude_into_the_config_and_esc_writes_nothing() {
    if !tmux_available() {
        eprintln!(
            "\n\n!!! SKIPPED select_in_tmux: tmux is not installed (CI installs it; apt-get install tmux) !!!\n\n"
        );
        return;
    }
    let server = mock(Workspace::kitchen_sink()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let config = dir.path().join("notion-ingest.toml");
    let original = "# What the nightly job reads.\nout = \"/data/notion\"\n\n[crawl]\nroots = []   # everything\nconcurrency = 4 # keep it gentle\n";
    std::fs::write(&config, original).unwrap();

    // Accept: filter "tasks", step onto the Tasks database, exclude it, clear
    // the filter, Enter.
    let exit_file = dir.path().join("exit-1");
    let tmux = Tmux::start(
        &select_command(&server.url(), &out, &config, &exit_file),
        100,
        24,
    );
    let first = tmux.wait_for("pages selected");
    assert!(first.contains("[x] Kitchen Sink"), "{first}");
    tmux.type_text("tasks");
    tmux.wait_for("Filter: tasks");
    tmux.keys(&["Home", "Down", "Space"]);
    let filtered = tmux.wait_for("[ ] Tasks");
    assert!(filtered.contains("[~] Kitchen Sink"), "{filtered}");
    tmux.keys(&["C-u"]);
    let screen = tmux.wait_for("type to search titles");
    assert!(screen.contains("[~] Kitchen Sink"), "{screen}");
    if let Some(path) = std::env::var_os("SELECT_CAPTURE") {
        std::fs::write(path, &screen).unwrap();
    }
    tmux.keys(&["Enter"]);
    let code = wait_for_file(&exit_file);
    let stderr = std::fs::read_to_string(dir.path().join("exit-1.stderr")).unwrap();
    assert_eq!(code.trim(), "0", "{stderr}");
    assert!(stderr.contains("Wrote crawl.roots"), "{stderr}");

    let written = std::fs::read_to_string(&config).unwrap();
    let settings = engine::Settings::load(&config).unwrap();
    assert!(settings.crawl.roots.is_empty(), "{written}");
    assert_eq!(settings.crawl.exclude.len(), 1, "{written}");
    let tasks_db = "857bad47-d3d9-5826-8e82-4f06c426c7c4";
    assert_eq!(settings.crawl.exclude[0], tasks_db, "{written}");
    assert_eq!(settings.crawl.concurrency, 4);
    for kept in [
        "# What the nightly job reads.",
        "out = \"/data/notion\"",
        "# everything",
        "concurrency = 4 # keep it gentle",
        "# Tasks",
    ] {
        assert!(written.contains(kept), "{kept:?} lost:\n{written}");
    }
    drop(tmux);

    // Esc: the cached listing opens (no request), nothing is written.
    server.reset_stats();
    let exit_file = dir.path().join("exit-2");
    let tmux = Tmux::start(
        &select_command(&server.url(), &out, &config, &exit_file),
        100,
        24,
    );
    let pane = tmux.wait_for("pages selected");
    assert!(
        pane.contains("[~] Kitchen Sink"),
        "the written config is shown: {pane}"
    );
    tmux.keys(&["Space", "Escape"]);
    let code = wait_for_file(&exit_file);
    let stderr = std::fs::read_to_string(dir.path().join("exit-2.stderr")).unwrap();
    assert_eq!(code.trim(), "0", "{stderr}");
    assert!(stderr.contains("Nothing written"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), written);
    assert_eq!(server.stats().total, 0, "the cached listing was used");
    drop(tmux);
    server.stop().await;
}
