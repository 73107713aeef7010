//! A bare HTTP/1.1 client on one TCP connection, for what an HTTP library hides:
//! the `Connection` header of an answer, whether the server then really closed the
//! connection, and a request whose body comes later.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// One answer as it came over the wire.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// Whether the answer says `Connection: close`.
    pub fn closes(&self) -> bool {
        self.headers
            .iter()
            .any(|(n, v)| n == "connection" && v.eq_ignore_ascii_case("close"))
    }
}

/// One open connection to `address` (`HOST:PORT`).
pub struct Connection {
    stream: TcpStream,
    address: String,
    /// Bytes read past the last answer.
    pending: Vec<u8>,
}

impl Connection {
    pub fn open(address: &str) -> Self {
        let stream = TcpStream::connect(address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Self {
            stream,
            address: address.to_owned(),
            pending: Vec::new(),
        }
    }

    pub fn get(&mut self, path: &str) -> Answer {
        let head = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.address);
        self.stream.write_all(head.as_bytes()).unwrap();
        self.answer()
    }

    /// Sends a JSON POST with HTTP Basic credentials and the first half of `body`.
    pub fn post_half(&mut self, path: &str, (user, password): (&str, &str), body: &str) {
        let credentials = STANDARD.encode(format!("{user}:{password}"));
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {credentials}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.address,
            body.len()
        );
        self.stream.write_all(head.as_bytes()).unwrap();
        self.stream
            .write_all(&body.as_bytes()[..body.len() / 2])
            .unwrap();
    }

    /// Sends the rest of the body `post_half` began, and reads the answer.
    pub fn finish(&mut self, body: &str) -> Answer {
        self.stream
            .write_all(&body.as_bytes()[body.len() / 2..])
            .unwrap();
        self.answer()
    }

    /// True when the server closes the connection (end of stream) within the read
    /// timeout, with nothing more sent.
    pub fn closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        self.pending.is_empty() && matches!(self.stream.read(&mut byte), Ok(0))
    }

    fn answer(&mut self) -> Answer {
        let end = loop {
            if let Some(at) = find(&self.pending, b"\r\n\r\n") {
                break at;
            }
            self.fill();
        };
        let head = String::from_utf8(self.pending[..end].to_vec()).unwrap();
        self.pending.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map(|(_, v)| v.parse().unwrap())
            .expect("the server sends sized bodies");
        while self.pending.len() < length {
            self.fill();
        }
        let body = String::from_utf8(self.pending.drain(..length).collect()).unwrap();
        Answer {
            status: status.parse().unwrap(),
            headers,
            body,
        }
    }

    fn fill(&mut self) {
        let mut buf = [0u8; 4096];
        let n = self.stream.read(&mut buf).expect("read an answer");
        assert!(n > 0, "the connection closed before a whole answer");
        self.pending.extend_from_slice(&buf[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Calls `attempt` every 20 ms until it gives a value; fails after `limit`.
pub fn poll_until<T>(limit: Duration, mut attempt: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = attempt() {
            return value;
        }
        assert!(Instant::now() < deadline, "not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
