//! The real desktop binary under test: a private X server (Xvfb), a D-Bus
//! session, `tauri-driver` in front of WebKitWebDriver, and a WebDriver
//! client (fantoccini) that finds the UI's elements by `data-testid`.
//!
//! Tools are looked up, never installed here: `scripts/test` installs them.
//! [`Tools::find`] says what is missing; under `CI=true` a missing tool fails
//! the run instead of skipping it.

use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// How long the UI may take to show something a step waits for.
pub const UI_TIMEOUT: Duration = Duration::from_secs(45);
/// How long one WebDriver call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The programs an end-to-end run needs.
#[derive(Debug, Clone)]
pub struct Tools {
    pub desktop: PathBuf,
    pub tauri_driver: PathBuf,
    pub xvfb: PathBuf,
    pub dbus_run_session: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// The release desktop binary beside this (debug) test binary's target
/// directory, or `ARCADA_DESKTOP_BIN`.
fn desktop_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ARCADA_DESKTOP_BIN") {
        return Some(PathBuf::from(p));
    }
    let mut dir = std::env::current_exe().ok()?;
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    // target/<profile>/ → target/release/arcada-desktop
    dir.pop();
    let p = dir.join("release").join("arcada-desktop");
    p.is_file().then_some(p)
}

impl Tools {
    /// Every tool, or a sentence naming what is missing.
    pub fn find() -> Result<Tools, String> {
        let tools_dir = std::env::var_os("ARCADA_TOOLS")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/arcada/tools"))
            });
        let tauri_driver = on_path("tauri-driver").or_else(|| {
            tools_dir
                .map(|d| d.join("bin/tauri-driver"))
                .filter(|p| p.is_file())
        });
        let found = (
            desktop_binary(),
            tauri_driver,
            on_path("Xvfb"),
            on_path("dbus-run-session"),
            on_path("WebKitWebDriver"),
        );
        match found {
            (Some(desktop), Some(tauri_driver), Some(xvfb), Some(dbus_run_session), Some(_)) => {
                Ok(Tools {
                    desktop,
                    tauri_driver,
                    xvfb,
                    dbus_run_session,
                })
            }
            (d, t, x, b, w) => {
                let mut missing = Vec::new();
                for (have, what) in [
                    (
                        d.is_some(),
                        "the release arcada-desktop (cargo build --release -p arcada-desktop)",
                    ),
                    (t.is_some(), "tauri-driver"),
                    (x.is_some(), "Xvfb"),
                    (b.is_some(), "dbus-run-session"),
                    (w.is_some(), "WebKitWebDriver (webkit2gtk-driver)"),
                ] {
                    if !have {
                        missing.push(what);
                    }
                }
                Err(format!("missing {}", missing.join(", ")))
            }
        }
    }

    /// The tools, or `None` after saying why (a failure under `CI=true`:
    /// end-to-end tests are never skipped there).
    pub fn or_skip() -> Option<Tools> {
        match Tools::find() {
            Ok(t) => Some(t),
            Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("end-to-end tests cannot be skipped in CI: {why}")
            }
            Err(why) => {
                eprintln!(
                    "skipping the desktop end-to-end test: {why} (scripts/test installs them)"
                );
                None
            }
        }
    }
}

/// A child process and its process group, ended together when dropped.
#[derive(Debug)]
struct Group(Child);

impl Group {
    fn spawn(command: &mut Command) -> io::Result<Group> {
        use std::os::unix::process::CommandExt;
        command.process_group(0).spawn().map(Group)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.wait();
    }
}

/// A child started in a session of its own (`setsid`), ended with every
/// process of that session when dropped: D-Bus activates services (such as
/// xdg-document-portal) outside the child's process group, and left alive
/// they would outlive the test and hold its output open.
#[derive(Debug)]
struct Session(Child);

impl Session {
    /// Runs `setsid program args…`; the child is no process group leader,
    /// so `setsid` keeps its pid, which is then the session's id.
    fn spawn(mut command: Command) -> io::Result<Session> {
        command.spawn().map(Session)
    }

    fn signal(&self, signal: &str) {
        let _ = Command::new("pkill")
            .args([signal, "-s", &self.0.id().to_string()])
            .stderr(Stdio::null())
            .status();
    }

    fn alive(&self) -> bool {
        Command::new("pgrep")
            .args(["-s", &self.0.id().to_string()])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            // Reaped, the leader no longer counts as alive.
            let _ = self.0.try_wait();
            if !self.alive() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Some (the document portal) do not stop on SIGTERM.
        self.signal("-KILL");
        let _ = self.0.wait();
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A private X server.
#[derive(Debug)]
pub struct Display {
    _xvfb: Group,
    pub name: String,
}

impl Display {
    pub fn start(tools: &Tools) -> io::Result<Display> {
        // A display number nobody uses: its lock file and socket are absent.
        for n in (200..400).map(|n| n + (std::process::id() % 100)) {
            let lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            if lock.exists() || socket.exists() {
                continue;
            }
            let name = format!(":{n}");
            let mut xvfb = Group::spawn(
                Command::new(&tools.xvfb)
                    .args([&name, "-screen", "0", "1440x900x24", "-nolisten", "tcp"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )?;
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if socket.exists() {
                    return Ok(Display { _xvfb: xvfb, name });
                }
                if let Ok(Some(_)) = xvfb.0.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Err(io::Error::other("could not start Xvfb on a free display"))
    }
}

/// One desktop app, started by its own `tauri-driver` (in its own D-Bus
/// session) with its own data and session directories.
#[derive(Debug)]
pub struct App {
    pub client: Client,
    _driver: Session,
    pub data: PathBuf,
    screenshots: PathBuf,
    name: String,
}

impl App {
    /// Starts the desktop binary on `data` (sessions kept in `config`).
    /// `name` prefixes its screenshots.
    pub async fn launch(
        tools: &Tools,
        display: &Display,
        name: &str,
        data: &Path,
        config: &Path,
    ) -> anyhow::Result<App> {
        let port = free_port()?;
        let native = free_port()?;
        // Its output goes to a file beside the data: nothing it starts may
        // hold the test's own output open.
        let log_dir = data.parent().unwrap_or(data);
        std::fs::create_dir_all(log_dir)?;
        let log = std::fs::File::create(log_dir.join(format!("{name}-driver.log")))?;
        let mut command = Command::new("setsid");
        command
            .arg(&tools.dbus_run_session)
            .arg("--")
            .arg(&tools.tauri_driver)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("DISPLAY", &display.name)
            .env("NO_AT_BRIDGE", "1")
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("ARCADA_LOG", "warn")
            .env_remove("ARCADA_DATA")
            .env_remove("ARCADA_CONFIG_DIR")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let driver = Session::spawn(command)?;
        let url = format!("http://127.0.0.1:{port}");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({
                "application": tools.desktop,
                "args": ["--data", data, "--config-dir", config],
            }),
        );
        // tauri-driver takes a moment to listen; WebKit a moment to start.
        let deadline = Instant::now() + UI_TIMEOUT;
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    tracing_like(&format!("waiting for tauri-driver: {e}"));
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => anyhow::bail!("cannot start the desktop app through tauri-driver: {e}"),
            }
        };
        if let Ok(id) = client.session_id().await {
            tracing_like(&format!("{name}: WebDriver session {id:?} on {url}"));
        }
        let screenshots = std::env::var_os("ARCADA_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                // target/<profile>/deps/<test> → target/<profile>/e2e-screenshots
                let mut dir = std::env::current_exe().unwrap_or_default();
                dir.pop();
                if dir.ends_with("deps") {
                    dir.pop();
                }
                dir.join("e2e-screenshots")
            });
        Ok(App {
            client,
            _driver: driver,
            data: data.to_path_buf(),
            screenshots,
            name: name.to_string(),
        })
    }

    fn locator(id: &str) -> String {
        format!("[data-testid=\"{id}\"]")
    }

    /// Waits for the element with this test id to be present.
    pub async fn find(&self, id: &str) -> anyhow::Result<Element> {
        self.find_css(&Self::locator(id)).await
    }

    /// Waits for an element matching a CSS selector.
    /// On a timeout the screen is saved as `<name>-failure.png`. Each
    /// WebDriver call is bounded too: one that never answers is an error.
    pub async fn find_css(&self, css: &str) -> anyhow::Result<Element> {
        let deadline = Instant::now() + UI_TIMEOUT;
        let mut last = String::new();
        while Instant::now() < deadline {
            match tokio::time::timeout(CALL_TIMEOUT, self.client.find(Locator::Css(css))).await {
                Ok(Ok(e)) => return Ok(e),
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = format!("WebDriver did not answer within {CALL_TIMEOUT:?}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let shot = self.screenshot("failure").await;
        anyhow::bail!("nothing matches {css} on screen ({last}); screen saved: {shot:?}")
    }

    /// Every element with this test id now (no waiting).
    pub async fn all(&self, id: &str) -> anyhow::Result<Vec<Element>> {
        Ok(self
            .client
            .find_all(Locator::Css(&Self::locator(id)))
            .await?)
    }

    /// Every element matching a CSS selector, now (no waiting).
    pub async fn all_css(&self, css: &str) -> anyhow::Result<Vec<Element>> {
        Ok(self.client.find_all(Locator::Css(css)).await?)
    }

    pub async fn click(&self, id: &str) -> anyhow::Result<()> {
        let element = self.find(id).await?;
        self.click_element(&element).await
    }

    /// Scrolls the window back to the top (before a screenshot).
    pub async fn scroll_to_top(&self) -> anyhow::Result<()> {
        self.client
            .execute("window.scrollTo(0, 0);", vec![])
            .await?;
        Ok(())
    }

    /// Scrolls an element to the middle of its scrolling box and the window.
    pub async fn scroll_into_view(&self, element: &Element) -> anyhow::Result<()> {
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'center'});",
                vec![serde_json::to_value(element)?],
            )
            .await?;
        Ok(())
    }

    /// Clicks an element after scrolling it to the middle of the window:
    /// WebKitWebDriver refuses a click on an element under the sticky
    /// header.
    pub async fn click_element(&self, element: &Element) -> anyhow::Result<()> {
        self.scroll_into_view(element).await?;
        element.clone().click().await?;
        Ok(())
    }

    /// Replaces the text of an input as a person would: erases what is there
    /// with the keyboard (WebDriver's `clear` bypasses React's change
    /// events), then types.
    pub async fn fill(&self, id: &str, text: &str) -> anyhow::Result<()> {
        const END: char = '\u{E010}';
        const BACKSPACE: char = '\u{E003}';
        let field = self.find(id).await?;
        let old = field.prop("value").await?.unwrap_or_default();
        if !old.is_empty() {
            let erase: String = std::iter::once(END)
                .chain(std::iter::repeat_n(BACKSPACE, old.chars().count()))
                .collect();
            field.send_keys(&erase).await?;
        }
        field.send_keys(text).await?;
        Ok(())
    }

    /// Sets an input's, a text area's or a select's value through the DOM
    /// and fires `input` and `change`, as React expects (for fields
    /// WebDriver cannot type into portably, such as dates and selects).
    pub async fn set_value(&self, field: &Element, value: &str) -> anyhow::Result<()> {
        self.client
            .execute(
                "const el = arguments[0];
                 const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype
                   : el instanceof HTMLSelectElement ? HTMLSelectElement.prototype
                   : HTMLInputElement.prototype;
                 Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, arguments[1]);
                 el.dispatchEvent(new Event('input', {bubbles: true}));
                 el.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![serde_json::to_value(field)?, json!(value)],
            )
            .await?;
        Ok(())
    }

    pub async fn text(&self, id: &str) -> anyhow::Result<String> {
        Ok(self.find(id).await?.text().await?)
    }

    /// Waits until `check` holds, polling; fails with `what` after
    /// [`UI_TIMEOUT`].
    pub async fn until<F, Fut>(&self, what: &str, mut check: F) -> anyhow::Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<bool>>,
    {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            match check().await {
                Ok(true) => return Ok(()),
                Ok(false) | Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(false) => {
                    let shot = self.screenshot("failure").await;
                    anyhow::bail!("timed out waiting for {what}; screen saved: {shot:?}")
                }
                Err(e) => {
                    let shot = self.screenshot("failure").await;
                    anyhow::bail!("timed out waiting for {what}: {e}; screen saved: {shot:?}")
                }
            }
        }
    }

    /// The attribute of the element with this test id.
    pub async fn attr(&self, id: &str, name: &str) -> anyhow::Result<Option<String>> {
        Ok(self.find(id).await?.attr(name).await?)
    }

    /// Saves a PNG of the window as `<name>-<screen>.png`.
    pub async fn screenshot(&self, screen: &str) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&self.screenshots)?;
        // WebKitWebDriver takes the picture after the next paint; a page
        // with nothing left to paint (no caret blinking, nothing moving)
        // would keep it waiting for ever. A one-pixel flicker in a corner
        // while the picture is taken gives it paints.
        self.client
            .execute(
                "let d = document.getElementById('__e2e_paint');
                 if (!d) { d = document.createElement('div'); d.id = '__e2e_paint';
                   d.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;opacity:0.01';
                   document.body.appendChild(d); }
                 clearInterval(window.__e2e_flicker);
                 window.__e2e_flicker = setInterval(() => {
                   d.style.background = d.style.background === 'black' ? 'white' : 'black';
                 }, 50);",
                vec![],
            )
            .await?;
        let png = tokio::time::timeout(CALL_TIMEOUT, self.client.screenshot()).await;
        self.client
            .execute(
                "clearInterval(window.__e2e_flicker); document.getElementById('__e2e_paint')?.remove();",
                vec![],
            )
            .await?;
        let png = png.map_err(|_| {
            anyhow::anyhow!("WebDriver took no screenshot within {CALL_TIMEOUT:?}")
        })??;
        let path = self.screenshots.join(format!("{}-{screen}.png", self.name));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    pub async fn close(self) -> anyhow::Result<()> {
        self.client.close().await?;
        Ok(())
    }
}

fn tracing_like(message: &str) {
    if std::env::var_os("ARCADA_E2E_VERBOSE").is_some() {
        eprintln!("{message}");
    }
}
