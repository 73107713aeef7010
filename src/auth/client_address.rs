//! The address a request comes from: the TCP peer, or, when the peer is a proxy the
//! operator trusts (`--trusted-proxy`), the client that proxy names in
//! `X-Forwarded-For`.
//!
//! The address counts for sign-in throttling, the invalid-token throttle and the
//! audit log, so a forged header must not move it: `X-Forwarded-For` is read only
//! from a trusted peer, and from the right, skipping trusted proxies, so that what
//! the client itself wrote at the left is never taken.

use std::net::IpAddr;

use crate::state::AppState;
use actix_web::http::header::HeaderName;
use actix_web::{web, HttpRequest};

pub use crate::domain::trusted_proxies::TrustedProxies;

/// Made once, not parsed from text on every request.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The address `req` comes from (see the module's documentation).
pub fn of(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return peer;
    };
    // The header is read only from a trusted proxy; from anyone else (and with no
    // proxy configured, everyone) the peer is the client, whatever it says.
    if !state.proxies.trusts_peer(peer) {
        return peer;
    }
    let values: Vec<&str> = req
        .headers()
        .get_all(X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .collect();
    state.proxies.client(peer, &values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(Some(ip("198.51.100.7")), &["203.0.113.9"]),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let p = proxies(&["127.0.0.1/32", "10.0.0.0/8"]);
        // The client forged the first entry; nginx appended the real one.
        assert_eq!(
            p.client(Some(ip("127.0.0.1")), &["1.2.3.4, 203.0.113.9, 10.0.0.5"]),
            Some(ip("203.0.113.9"))
        );
        // Several headers count as one list, in order.
        assert_eq!(
            p.client(Some(ip("127.0.0.1")), &["1.2.3.4", "203.0.113.9"]),
            Some(ip("203.0.113.9"))
        );
        // No header: the proxy itself.
        assert_eq!(p.client(Some(ip("127.0.0.1")), &[]), Some(ip("127.0.0.1")));
        // Garbage stops the walk at the last vouched-for hop.
        assert_eq!(
            p.client(Some(ip("127.0.0.1")), &["203.0.113.9, junk"]),
            Some(ip("127.0.0.1"))
        );
        // An IPv4-mapped peer is trusted as its IPv4 address.
        assert_eq!(
            p.client(Some(ip("::ffff:127.0.0.1")), &["2001:db8::1"]),
            Some(ip("2001:db8::1"))
        );
    }
}
