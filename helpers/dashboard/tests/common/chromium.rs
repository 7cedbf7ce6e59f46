//! Headless Chromium (Debian's `chromium`) for page tests: `--dump-dom` and `--screenshot`,
//! each run in a new profile directory, with everything that would call out to the network
//! switched off.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Longest a single Chromium run may take before the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(90);

#[derive(Debug)]
pub struct Chromium {
    path: PathBuf,
}

impl Chromium {
    /// `$CHROMIUM` or /usr/bin/chromium; fails the test with what to do when it is missing.
    pub fn find() -> Chromium {
        let path = std::env::var_os("CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
        assert!(
            path.is_file(),
            "headless Chromium not found at {} (Debian package `chromium`): run `make setup` \
             (scripts/setup.sh installs it), or set CHROMIUM to its path",
            path.display()
        );
        Chromium { path }
    }

    /// The DOM after the page ran for `budget` of virtual time (timers fire early, network
    /// requests are real).
    pub fn dump_dom(&self, url: &str, budget: Duration) -> String {
        let out = self.run(&["--dump-dom".to_owned()], url, budget);
        String::from_utf8(out).unwrap_or_else(|e| panic!("chromium printed no UTF-8: {e}"))
    }

    /// A PNG of the page after `budget` of virtual time, `width`×`height` pixels.
    pub fn screenshot(&self, url: &str, budget: Duration, png: &Path, width: u32, height: u32) {
        if let Some(dir) = png.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        let _ = std::fs::remove_file(png);
        self.run(
            &[
                format!("--screenshot={}", png.display()),
                format!("--window-size={width},{height}"),
                "--hide-scrollbars".to_owned(),
            ],
            url,
            budget,
        );
        let bytes = std::fs::read(png)
            .unwrap_or_else(|e| panic!("chromium wrote no screenshot {}: {e}", png.display()));
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            png.display()
        );
    }

    fn run(&self, extra: &[String], url: &str, budget: Duration) -> Vec<u8> {
        static RUNS: AtomicU32 = AtomicU32::new(0);
        let profile = std::env::temp_dir().join(format!(
            "acilab-chromium-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap_or_else(|e| panic!("{}: {e}", profile.display()));

        let stdout_path = profile.join("stdout");
        let stderr_path = profile.join("stderr");
        let stdout = std::fs::File::create(&stdout_path).unwrap_or_else(|e| panic!("{e}"));
        let stderr = std::fs::File::create(&stderr_path).unwrap_or_else(|e| panic!("{e}"));
        let mut child = Command::new(&self.path)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--metrics-recording-only",
                "--mute-audio",
            ])
            .arg(format!(
                "--user-data-dir={}",
                profile.join("profile").display()
            ))
            .arg(format!("--virtual-time-budget={}", budget.as_millis()))
            .args(extra)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.path.display()));

        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
                break status;
            }
            if started.elapsed() > RUN_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                panic!("chromium ran longer than {RUN_LIMIT:?} on {url}; stderr:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = std::fs::read(&stdout_path).unwrap_or_default();
        let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&profile);
        assert!(
            status.success(),
            "chromium failed ({status}) on {url}; stderr:\n{log}"
        );
        out
    }
}

/// `(ip, count)` of every bar the dashboard's script drew, in DOM order.
pub fn bars(dom: &str) -> Vec<(String, i64)> {
    let mut found = Vec::new();
    let mut rest = dom;
    while let Some(at) = rest.find("<g class=\"bar\"") {
        rest = &rest[at + 1..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        let ip = attr(tag, "data-ip").unwrap_or_else(|| panic!("bar without data-ip: {tag}"));
        let count = attr(tag, "data-count")
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("bar without a numeric data-count: {tag}"));
        found.push((ip, count));
    }
    found
}

/// The value of `name="..."` in one tag (entities for & < > " decoded).
pub fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = start + tag[start..].find('"')?;
    Some(
        tag[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

/// Where tests leave files for people to look at: `<workspace>/target/test-artifacts/<name>`.
pub fn artifact(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-artifacts/dashboard")
        .join(name)
}
