//! The address a request comes from: the TCP peer, or, when the peer is a proxy the
//! operator trusts (`--trusted-proxy`), the client that proxy names in
//! `X-Forwarded-For`.
//!
//! The address counts for sign-in throttling, the invalid-token throttle and the
//! audit log, so a forged header must not move it: `X-Forwarded-For` is read only
//! from a trusted peer, and from the right, skipping trusted proxies, so that what
//! the client itself wrote at the left is never taken.

use std::net::IpAddr;

use actix_web::{web, HttpRequest};
use ipnet::IpNet;

use crate::state::AppState;

/// The proxies whose `X-Forwarded-For` is believed. Empty by default.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&address))
    }

    /// Whether the TCP `peer` is a trusted proxy, whose forwarding headers are
    /// believed (`X-Forwarded-For` here, the forwarded host in `public_url`).
    pub fn trusts_peer(&self, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|p| self.trusts(p))
    }

    /// The client's address, given the TCP peer and the `X-Forwarded-For` header
    /// values in the order received.
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut client = peer;
        for hop in forwarded_for
            .iter()
            .rev()
            .flat_map(|value| value.rsplit(','))
            .map(str::trim)
        {
            let Ok(hop) = hop.parse::<IpAddr>() else {
                // Garbage: stop at the last address a trusted proxy vouched for.
                break;
            };
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        Some(client)
    }
}

/// The address `req` comes from (see the module's documentation).
pub fn of(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return peer;
    };
    let values: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
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
