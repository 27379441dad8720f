//! The SSRF guard: whether a URL Spool is asked to call (an `http_request` node, an events-out
//! subscription) reaches only the public internet, and not the machine Spool runs on, its
//! private network or the cloud's metadata service.
//!
//! [`classify`] is the rule, a pure function of one address. [`check_url`] resolves a URL's
//! host and refuses it when **any** of its addresses is not public. Checking a name and then
//! connecting to whatever it resolves to a moment later would let a name that answers a
//! public address first and a private one next (DNS rebinding) through; so the clients built
//! by [`guard_client`] resolve names through [`PublicOnly`], which checks the very addresses
//! the connection is made to, and check redirects too.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

mod guard;

pub use guard::{PublicOnly, check_url, guard_client};

/// Why an address is not on the public internet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NonPublic {
    /// `127.0.0.0/8`, `::1`: this machine.
    Loopback,
    /// `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, `fc00::/7`.
    Private,
    /// `169.254.0.0/16` (the cloud metadata service at 169.254.169.254 among them), `fe80::/10`.
    LinkLocal,
    /// `0.0.0.0/8`, `::`: "this host" — which connects to this machine.
    Unspecified,
    /// `255.255.255.255`.
    Broadcast,
    /// `100.64.0.0/10`, carrier-grade NAT: a provider's private network.
    SharedAddressSpace,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `240.0.0.0/4` (but broadcast): reserved, not routed.
    Reserved,
}

impl NonPublic {
    pub fn as_str(self) -> &'static str {
        match self {
            NonPublic::Loopback => "loopback",
            NonPublic::Private => "private",
            NonPublic::LinkLocal => "link-local",
            NonPublic::Unspecified => "unspecified",
            NonPublic::Broadcast => "broadcast",
            NonPublic::SharedAddressSpace => "carrier-grade NAT",
            NonPublic::Multicast => "multicast",
            NonPublic::Reserved => "reserved",
        }
    }
}

impl fmt::Display for NonPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a URL may not be called.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{}", private_message(host, *address, *kind))]
    Private {
        host: String,
        address: IpAddr,
        kind: NonPublic,
    },
    #[error("{host} cannot be resolved: {reason}")]
    Unresolvable { host: String, reason: String },
    #[error("{url:?} is not an http(s) URL with a host")]
    NotHttp { url: String },
}

fn private_message(host: &str, address: IpAddr, kind: NonPublic) -> String {
    let of_host = if host.trim_matches(['[', ']']) == address.to_string() {
        String::new()
    } else {
        format!(" of {host}")
    };
    format!(
        "the address {address}{of_host} is private ({kind}): allow private targets in the workspace's network settings"
    )
}

/// Whether `address` is on the public internet; `None` when it is.
pub fn classify(address: IpAddr) -> Option<NonPublic> {
    match address {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

pub fn is_public(address: IpAddr) -> bool {
    classify(address).is_none()
}

fn classify_v4(address: Ipv4Addr) -> Option<NonPublic> {
    let [a, b, _, _] = address.octets();
    if address.is_broadcast() {
        Some(NonPublic::Broadcast)
    } else if a == 0 {
        Some(NonPublic::Unspecified)
    } else if address.is_loopback() {
        Some(NonPublic::Loopback)
    } else if address.is_private() {
        Some(NonPublic::Private)
    } else if address.is_link_local() {
        Some(NonPublic::LinkLocal)
    } else if a == 100 && (b & 0b1100_0000) == 64 {
        Some(NonPublic::SharedAddressSpace)
    } else if address.is_multicast() {
        Some(NonPublic::Multicast)
    } else if a >= 240 {
        Some(NonPublic::Reserved)
    } else {
        None
    }
}

fn classify_v6(address: Ipv6Addr) -> Option<NonPublic> {
    let segments = address.segments();
    if address.is_unspecified() {
        return Some(NonPublic::Unspecified);
    }
    if address.is_loopback() {
        return Some(NonPublic::Loopback);
    }
    // Forms that carry an IPv4 address, which is what is reached: mapped (::ffff:a.b.c.d),
    // the deprecated compatible form (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4
    // (2002:aabb:ccdd::).
    if let Some(v4) = embedded_v4(&segments) {
        return classify_v4(v4);
    }
    match segments[0] {
        first if first & 0xfe00 == 0xfc00 => Some(NonPublic::Private),
        first if first & 0xffc0 == 0xfe80 => Some(NonPublic::LinkLocal),
        first if first & 0xff00 == 0xff00 => Some(NonPublic::Multicast),
        _ => None,
    }
}

fn embedded_v4(segments: &[u16; 8]) -> Option<Ipv4Addr> {
    let low = |high: u16, low: u16| {
        Ipv4Addr::new((high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8)
    };
    match segments {
        [0, 0, 0, 0, 0, 0xffff, high, lo] | [0, 0, 0, 0, 0, 0, high, lo] => Some(low(*high, *lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, high, lo] => Some(low(*high, *lo)),
        [0x2002, high, lo, ..] => Some(low(*high, *lo)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(address: &str) -> Option<NonPublic> {
        classify(address.parse().expect("an address"))
    }

    #[test]
    fn public_addresses_pass() {
        for address in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "169.253.255.255",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:82b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(kind(address), None, "{address} is public");
        }
    }

    #[test]
    fn loopback_is_refused_in_every_form() {
        for address in [
            "127.0.0.1",
            "127.255.255.254",
            "::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
        ] {
            assert_eq!(kind(address), Some(NonPublic::Loopback), "{address}");
        }
    }

    #[test]
    fn private_networks_are_refused() {
        for address in [
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "192.168.255.255",
            "::ffff:10.1.2.3",
            "::ffff:172.20.0.1",
            "::ffff:192.168.1.1",
            "fc00::1",
            "fd12:3456:789a::1",
        ] {
            assert_eq!(kind(address), Some(NonPublic::Private), "{address}");
        }
    }

    #[test]
    fn link_local_and_the_metadata_service_are_refused() {
        for address in [
            "169.254.169.254",
            "169.254.0.1",
            "::ffff:169.254.169.254",
            "fe80::1",
            "febf:ffff::1",
        ] {
            assert_eq!(kind(address), Some(NonPublic::LinkLocal), "{address}");
        }
    }

    #[test]
    fn unspecified_broadcast_cgnat_multicast_and_reserved_are_refused() {
        let cases = [
            ("0.0.0.0", NonPublic::Unspecified),
            ("0.1.2.3", NonPublic::Unspecified),
            ("::", NonPublic::Unspecified),
            ("::ffff:0.0.0.0", NonPublic::Unspecified),
            ("255.255.255.255", NonPublic::Broadcast),
            ("::ffff:255.255.255.255", NonPublic::Broadcast),
            ("100.64.0.1", NonPublic::SharedAddressSpace),
            ("100.127.255.255", NonPublic::SharedAddressSpace),
            ("::ffff:100.100.100.100", NonPublic::SharedAddressSpace),
            ("224.0.0.1", NonPublic::Multicast),
            ("239.255.255.250", NonPublic::Multicast),
            ("ff02::1", NonPublic::Multicast),
            ("240.0.0.1", NonPublic::Reserved),
        ];
        for (address, expected) in cases {
            assert_eq!(kind(address), Some(expected), "{address}");
        }
    }

    #[test]
    fn the_refusal_says_what_to_do() {
        let refused = Refused::Private {
            host: "metadata.internal".into(),
            address: "169.254.169.254".parse().expect("an address"),
            kind: NonPublic::LinkLocal,
        };
        assert_eq!(
            refused.to_string(),
            "the address 169.254.169.254 of metadata.internal is private (link-local): allow private targets in the workspace's network settings"
        );
    }
}
