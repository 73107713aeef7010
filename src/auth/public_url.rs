//! The address links to this site are built from, and the host log lines name: the
//! configured public URL (`--public-url`), or else the request's own `Host`.
//!
//! A client can send any `X-Forwarded-Host` or `Forwarded: host=...`; believing it
//! would let a stranger choose where an invitation link points. Those headers (and
//! `X-Forwarded-Proto`) are read only when the TCP peer is a trusted proxy
//! (`--trusted-proxy`, see `client_address`), which is also the only case where
//! the peer is not the client.

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{web, HttpRequest};

use crate::state::AppState;

/// The longest host name (with its port) taken from a request.
const MAX_HOST_CHARS: usize = 255;

/// `https://tokens.example.com`: where links to this site start (no final `/`).
pub fn base_of(req: &HttpRequest) -> String {
    let state = req.app_data::<web::Data<AppState>>();
    if let Some(url) = state.and_then(|s| s.public_url.as_ref()) {
        return url.as_str().to_owned();
    }
    let (scheme, host) = scheme_and_host(req);
    format!("{scheme}://{host}")
}

/// The host the request named (`tokens.example.com:8443`), as links would use it
/// without a configured public URL; for the log. Borrowed from the request when it
/// names one itself (every request's span carries it).
pub fn host_of(req: &HttpRequest) -> Cow<'_, str> {
    scheme_and_host(req).1
}

/// The scheme and host of the request as its client sent them: from the proxy's
/// forwarding headers when the peer is a trusted proxy, from the connection and
/// its `Host` header otherwise. A host that is not a plain host name or address
/// (with a port) is replaced by the server's own.
fn scheme_and_host(req: &HttpRequest) -> (&'static str, Cow<'_, str>) {
    let peer = req.peer_addr().map(|a| a.ip());
    let behind_proxy = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.proxies.trusts_peer(peer));
    let own_scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    let (scheme, host): (&str, Cow<'_, str>) = if behind_proxy {
        let info = req.connection_info();
        let scheme = match info.scheme() {
            "https" => "https",
            "http" => "http",
            _ => own_scheme,
        };
        (scheme, Cow::Owned(info.host().to_owned()))
    } else {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()));
        (
            req.uri().scheme_str().unwrap_or(own_scheme),
            host.map_or_else(|| Cow::Owned(own_host(req)), Cow::Borrowed),
        )
    };
    let scheme = if scheme == "https" { "https" } else { "http" };
    let host = if is_plain_host(&host) {
        host
    } else {
        Cow::Owned(own_host(req))
    };
    (scheme, host)
}

/// The host this server answers as, from its configuration.
fn own_host(req: &HttpRequest) -> String {
    req.app_config().host().to_owned()
}

/// A host name, IPv4 or bracketed IPv6 address, with an optional port: nothing
/// that could carry a user, a path or a second URL into a link or a log line.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= MAX_HOST_CHARS
        && host.bytes().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':' | b'[' | b']')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_hosts_are_taken_from_a_request() {
        for ok in [
            "tokens.example.com",
            "localhost:8080",
            "[::1]:8080",
            "10.0.0.1",
        ] {
            assert!(is_plain_host(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example/x",
            "a@evil.example",
            "evil.example?x",
            "evil example",
            "évil.example",
        ] {
            assert!(!is_plain_host(bad), "{bad}");
        }
    }
}
