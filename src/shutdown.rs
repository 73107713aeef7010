//! Stopping without failing a request: what SIGTERM and SIGINT do (drain, stop
//! accepting, finish what is in flight), and the drain state every request sees.
//!
//! A proxy that keeps connections open (nginx's `keepalive`) may send a request on
//! one at the very moment the server closes it; a request already sent cannot be
//! retried safely unless it is idempotent, so the proxy answers 502. Closing a
//! connection is only safe right after a response that says `Connection: close`:
//! the proxy then never reuses it. So on the first signal the server keeps serving
//! for a drain period, answers `/readyz` with 503 (balancers that probe it stop
//! sending) and closes every connection after its response; only then does it stop
//! accepting, which a proxy sees as a refused connection and retries elsewhere.

use std::net::TcpListener;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle, ServiceResponse};
use actix_web::http::ConnectionType;
use tokio::signal::unix::{signal, Signal, SignalKind};

/// How long the server keeps serving after the first signal, by default.
pub const DEFAULT_DRAIN_SECONDS: u64 = 5;
/// How long requests in flight may take once the drain is over, by default.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 30;
/// The longest either may be set to: anything longer is a typo, not a plan.
pub const MAX_SECONDS: u64 = 3600;

/// How long each step of a stop may take (`--shutdown-drain-seconds`,
/// `--shutdown-timeout-seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownSettings {
    /// Still accepting and serving, every response closing its connection. Zero
    /// stops accepting at once.
    pub drain: Duration,
    /// After the drain, the wait for requests in flight; any still running then is
    /// cut.
    pub timeout: Duration,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        Self {
            drain: Duration::from_secs(DEFAULT_DRAIN_SECONDS),
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECONDS),
        }
    }
}

/// Whether this instance is stopping, and how many requests it is serving; one
/// for the whole process, shared by every worker (a clone shares it).
#[derive(Clone, Default)]
pub struct Drain(Arc<Counts>);

#[derive(Default)]
struct Counts {
    draining: AtomicBool,
    in_flight: AtomicUsize,
    /// Open connections, idle ones included.
    connections: AtomicUsize,
    /// Requests dropped before they were answered (a forced stop, or a client that
    /// went away).
    cut: AtomicUsize,
}

impl Drain {
    /// True from the first signal on: `/readyz` answers 503 and every response
    /// closes its connection.
    pub fn is_draining(&self) -> bool {
        self.0.draining.load(Ordering::Relaxed)
    }

    /// The requests being served now.
    pub fn in_flight(&self) -> usize {
        self.0.in_flight.load(Ordering::Relaxed)
    }

    /// Requests dropped before they were answered, since the process started.
    fn cut(&self) -> usize {
        self.0.cut.load(Ordering::Relaxed)
    }

    fn start(&self) {
        self.0.draining.store(true, Ordering::Relaxed);
    }

    /// Counts a connection as open until the value is dropped: the server keeps it
    /// in the connection's data (`HttpServer::on_connect`), which lives as long as
    /// the connection.
    pub fn connection(&self) -> OpenConnection {
        self.0.connections.fetch_add(1, Ordering::Relaxed);
        OpenConnection(self.clone())
    }

    fn connections(&self) -> usize {
        self.0.connections.load(Ordering::Relaxed)
    }

    /// Waits until no connection is open (true), or `limit` has passed (false).
    /// Polled: this runs once, at the end of the process's life.
    async fn connections_closed(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while self.connections() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }
}

/// An open connection, counted until dropped (see [`Drain::connection`]).
pub struct OpenConnection(Drain);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0 .0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A request being served: counted while it lives, so a request whose future is
/// dropped (the client left, or a forced stop) leaves the count too. Made by the
/// outermost middleware (`startup::edge`), so every request counts until it is
/// answered.
pub struct InFlight {
    drain: Drain,
    answered: bool,
}

impl InFlight {
    pub fn enter(drain: &Drain) -> Self {
        drain.0.in_flight.fetch_add(1, Ordering::Relaxed);
        Self {
            drain: drain.clone(),
            answered: false,
        }
    }

    /// The request is answered with `response`. Once the instance is draining, its
    /// connection is closed after the response (actix then really closes it, and
    /// the header tells a proxy not to keep it). Checked after the handler, so a
    /// request that started before the signal closes its connection too. (An error
    /// no middleware turned into a response is answered by actix, on a connection
    /// it keeps: no handler returns one.)
    pub fn answered<B>(&mut self, response: Option<&mut ServiceResponse<B>>) {
        self.answered = true;
        if let Some(response) = response.filter(|_| self.drain.is_draining()) {
            response
                .response_mut()
                .head_mut()
                .set_connection_type(ConnectionType::Close);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.drain.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        if !self.answered {
            self.drain.0.cut.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// SIGTERM and SIGINT, which both ask for a graceful stop.
struct Signals {
    term: Signal,
    int: Signal,
}

impl Signals {
    fn listen() -> std::io::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// The name of the next signal that arrives.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            Some(()) = self.term.recv() => "SIGTERM",
            Some(()) = self.int.recv() => "SIGINT",
            else => std::future::pending().await,
        }
    }
}

/// Runs `server` (built with `disable_signals`, its connections counted with
/// [`Drain::connection`]) until a signal has stopped it gracefully, or a second
/// signal at once. `listener` is a handle on its listening socket (a `try_clone`)
/// and `drain` the state its requests see.
pub async fn serve(
    server: Server,
    listener: TcpListener,
    drain: Drain,
    settings: ShutdownSettings,
) -> std::io::Result<()> {
    let mut signals = Signals::listen()?;
    let handle = server.handle();
    let mut server = pin!(server);
    let first = tokio::select! {
        served = &mut server => return served,
        name = signals.next() => name,
    };
    drain.start();
    tracing::info!(
        signal = first,
        drain_seconds = settings.drain.as_secs(),
        in_flight = drain.in_flight(),
        "draining: /readyz answers 503 and every response closes its connection; still serving"
    );
    tokio::select! {
        served = &mut server => return served,
        () = tokio::time::sleep(settings.drain) => {}
        name = signals.next() => return at_once(name, &drain),
    }
    tracing::info!(
        in_flight = drain.in_flight(),
        connections = drain.connections(),
        timeout_seconds = settings.timeout.as_secs(),
        "drain period over: no new connections; finishing the requests in flight"
    );
    let cut_before = drain.cut();
    // The server future carries out the commands, so it is polled meanwhile.
    let finishing = async {
        stop_accepting(&handle, &listener).await;
        drain.connections_closed(settings.timeout).await
    };
    let finished = tokio::select! {
        served = &mut server => return served,
        finished = finishing => finished,
        name = signals.next() => return at_once(name, &drain),
    };
    // Graceful when every connection has closed: then there is nothing left to wait
    // for. At the timeout, whatever is still open is cut.
    drop(handle.stop(finished));
    let served = server.await;
    // Requests still counted were cut at the timeout; so were those dropped since.
    let unfinished = drain.in_flight() + drain.cut().saturating_sub(cut_before);
    tracing::info!(unfinished, "stopped");
    served
}

/// How long the end of a drain waits for the accept loop to catch up: far longer
/// than a handshake or an accept takes on a network a proxy shares with us.
const SETTLE: Duration = Duration::from_millis(50);

/// Refuses new connections from now on, while the accepted ones go on being
/// served. (Actix's own graceful stop would close an accepted connection whose
/// request it has not read yet, which a proxy that sent it cannot retry.)
///
/// Closing the listening socket resets the connections the kernel completed that
/// nobody accepted yet, and their proxy may have sent a request on them already.
/// So first no new handshake may start (their SYN is dropped, and retried a second
/// later, by when the socket is closed and answers with a refusal), then the
/// handshakes under way complete and are accepted, and only then is it closed.
async fn stop_accepting(handle: &ServerHandle, listener: &TcpListener) {
    let socket = socket2::SockRef::from(listener);
    let held_off = hold_off_new_handshakes(&socket);
    if held_off {
        tokio::time::sleep(SETTLE).await;
    }
    handle.pause().await;
    if held_off {
        // Nothing can arrive any more: let the accept loop stop watching the socket
        // before it is closed, or it would report the closed socket as an error.
        tokio::time::sleep(SETTLE).await;
    }
    if let Err(e) = socket.shutdown(std::net::Shutdown::Read) {
        tracing::warn!(error = %e, "the listening socket could not be closed; stopping anyway");
    }
}

/// Attaches a classic BPF program to the listening socket that drops a packet
/// opening a connection (SYN without ACK) and lets every other through; true once
/// it is in place. A socket filter reads a TCP packet from its TCP header, whose
/// byte 13 holds the flags.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn hold_off_new_handshakes(socket: &socket2::SockRef<'_>) -> bool {
    use socket2::SockFilter;
    const LOAD_BYTE: u16 = 0x30; // BPF_LD | BPF_B | BPF_ABS
    const JUMP_IF_SET: u16 = 0x45; // BPF_JMP | BPF_JSET | BPF_K
    const RETURN: u16 = 0x06; // BPF_RET | BPF_K: how many bytes to keep
    const ACK: u32 = 0x10;
    const SYN: u32 = 0x02;
    let program = [
        SockFilter::new(LOAD_BYTE, 0, 0, 13),
        SockFilter::new(JUMP_IF_SET, 2, 0, ACK),
        SockFilter::new(JUMP_IF_SET, 0, 1, SYN),
        SockFilter::new(RETURN, 0, 0, 0),
        SockFilter::new(RETURN, 0, 0, u32::MAX),
    ];
    match socket.attach_filter(&program) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "new connections could not be held off");
            false
        }
    }
}

/// Socket filters are Linux's: elsewhere the socket is closed at once, and a
/// connection set up in that very instant is reset.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn hold_off_new_handshakes(_: &socket2::SockRef<'_>) -> bool {
    false
}

/// A second signal: stop without waiting for anything (returning drops the
/// server, which stops its workers at once).
fn at_once(signal: &str, drain: &Drain) -> std::io::Result<()> {
    tracing::warn!(
        signal,
        in_flight = drain.in_flight(),
        "a second signal: stopping at once, cutting the requests in flight"
    );
    Ok(())
}
