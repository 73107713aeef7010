//! Which proxies' forwarding headers are believed (`--trusted-proxy`), and the
//! client address they vouch for: read from the right of `X-Forwarded-For`, skipping
//! trusted proxies, so what a client wrote at the left is never taken.

use std::net::IpAddr;

use ipnet::IpNet;

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
