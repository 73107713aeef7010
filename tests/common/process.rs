//! Real `access-tokens` processes for tests: the binary run with
//! `std::process::Command`, and a running `serve` that is killed when dropped.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::TestDatabase;

pub const BIN: &str = env!("CARGO_BIN_EXE_access-tokens");

/// The binary, run in `dir`, with none of its settings taken from this process's
/// environment.
pub fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("ACCESS_TOKENS_DATABASE")
        .env_remove("ACCESS_TOKENS_BIND")
        .env_remove("ACCESS_TOKENS_SESSION_KEY")
        .env_remove("ACCESS_TOKENS_SECURE_COOKIE")
        .env_remove("ACCESS_TOKENS_SHUTDOWN_DRAIN_SECONDS")
        .env_remove("ACCESS_TOKENS_SHUTDOWN_TIMEOUT_SECONDS")
        .env_remove("RUST_LOG");
    cmd
}

/// Runs `cmd` to completion with `input` on its standard input.
pub fn run_with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    // The process may exit before reading (a usage error): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().expect("wait for the binary")
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Collects everything a child writes on one of its streams, in the background.
fn collect(mut stream: impl Read + Send + 'static) -> (Arc<Mutex<String>>, JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    let handle = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (text, handle)
}

/// A running `serve`; killed when dropped, so a failing test leaves no process.
pub struct Server {
    pub child: Child,
    pub address: String,
    pub port: u16,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl Server {
    /// Starts `serve` on a free port over `db` and waits until it accepts requests.
    pub async fn start(dir: &Path, db: &TestDatabase) -> Server {
        Self::start_with(dir, db, &[]).await
    }

    /// As [`Server::start`], with more environment variables (a session key, ...).
    pub async fn start_with(dir: &Path, db: &TestDatabase, env: &[(&str, &str)]) -> Server {
        Self::start_on(dir, &db.arg(), free_port(), env).await
    }

    /// A server that logs JSON lines at `info`, as the log tests read them.
    pub async fn start_logging_json(db: &TestDatabase) -> Server {
        let env = [("ACCESS_TOKENS_LOG_FORMAT", "json"), ("RUST_LOG", "info")];
        Self::start_with(db.dir(), db, &env).await
    }

    /// As [`Server::start_with`], over the database `--database DATABASE` names, on
    /// a given port (to restart on the same address).
    pub async fn start_on(dir: &Path, database: &OsStr, port: u16, env: &[(&str, &str)]) -> Server {
        let mut cmd = command(dir);
        // Everything the server logs at any level is checked for secrets, unless a
        // test asks for a level of its own.
        cmd.env("RUST_LOG", "trace").envs(env.iter().copied());
        let mut child = cmd
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--database",
            ])
            .arg(database)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start serve");
        let (stdout, out_reader) = collect(child.stdout.take().unwrap());
        let (stderr, err_reader) = collect(child.stderr.take().unwrap());
        let mut server = Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
            port,
            stdout,
            stderr,
            readers: vec![out_reader, err_reader],
        };
        server.wait_until_ready().await;
        server
    }

    pub async fn wait_until_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "serve exited with {status} before listening\nstderr: {}",
                    self.stderr.lock().unwrap()
                );
            }
            let url = format!("{}/healthz", self.address);
            if let Ok(response) = client.get(url).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "serve did not start listening");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What it printed on standard output so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits (briefly) for a complete line starting with `prefix` on standard output
    /// and returns the rest of it.
    pub async fn stdout_line(&self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let out = self.stdout();
            if let Some(start) = out.find(prefix) {
                let rest = &out[start + prefix.len()..];
                if let Some(end) = rest.find('\n') {
                    return rest[..end].trim().to_owned();
                }
            }
            assert!(
                Instant::now() < deadline,
                "no line starting {prefix:?} on stdout: {out:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the server and returns everything it wrote: (stdout, stderr).
    pub fn stop(mut self) -> (String, String) {
        self.kill();
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        (self.stdout(), self.stderr.lock().unwrap().clone())
    }

    /// What it wrote on standard error so far (its log).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The server's URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends SIGTERM, as a supervisor (systemd, Kubernetes) stopping it would.
    pub fn terminate(&self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {pid}");
    }

    /// Waits up to `limit` for the process to exit by itself, and returns its
    /// exit status.
    pub async fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not exit within {limit:?}\nstderr: {}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the process at once (SIGKILL: no shutdown, no flush).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
