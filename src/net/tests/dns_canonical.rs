//! `client.dns.lookup = resolve_canonical_bootstrap_servers_only`, with the
//! reverse step injected, and the system's reverse lookup of 127.0.0.1.

use super::dns::{broker, local, Calls};
use super::{has_ready, poll_until, test_config};
use crate::config::ClientDnsLookup;
use crate::net::{MioNetwork, NetEvent, Network, Resolver};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

fn ip(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

#[test]
fn canonical_names_replace_addresses_and_failures_keep_them() {
    let resolver = Resolver::new(|host, port| match host {
        "boot.test" => Ok(vec![
            SocketAddr::new(ip(10, 0, 0, 1), port),
            SocketAddr::new(ip(10, 0, 0, 2), port),
            SocketAddr::new(ip(10, 0, 0, 3), port),
            SocketAddr::new(ip(10, 0, 0, 4), port),
        ]),
        "b1.test" => Ok(vec![local(port), local(port)]),
        "b4.test" => Ok(vec![local(port)]),
        _ => Err(io::Error::other("no such host")),
    })
    .with_reverse(|addr| match addr.to_string().as_str() {
        "10.0.0.1" => Ok("b1.test".into()),
        "10.0.0.3" => Ok("gone.test".into()),
        "10.0.0.4" => Ok("b4.test".into()),
        _ => Err(io::Error::other("no name")),
    });
    let got = resolver.resolve("boot.test", 9092, true).unwrap();
    // b1 and b4 are the same address; 10.0.0.2 has no name, gone.test no address.
    let expected = [
        local(9092),
        SocketAddr::new(ip(10, 0, 0, 2), 9092),
        SocketAddr::new(ip(10, 0, 0, 3), 9092),
    ];
    assert_eq!(got, expected);
    // Without canonical names: the addresses as they are.
    assert_eq!(resolver.resolve("boot.test", 9092, false).unwrap().len(), 4);
    let e = resolver.resolve("nx.test", 1, true).unwrap_err();
    assert_eq!(e, "cannot resolve nx.test:1: no such host");
}

/// Only bootstrap nodes (negative ids) go through canonical names, IP
/// literals included; brokers are resolved as they are.
#[test]
fn canonical_mode_applies_to_bootstrap_nodes_only() {
    let (port, server) = broker();
    let (port2, server2) = broker();
    let (port3, server3) = broker();
    let reversed = Calls::default();
    let seen = reversed.clone();
    let resolver = Resolver::new(move |host, p| match host {
        // Unroutable (TEST-NET-1): connecting there would never succeed.
        "boot.test" => Ok(vec![SocketAddr::new(ip(192, 0, 2, 1), p)]),
        "canon.test" => Ok(vec![local(port)]),
        "canon-literal.test" => Ok(vec![local(port3)]),
        "broker.test" => Ok(vec![local(port2)]),
        _ => Err(io::Error::other("no such host")),
    })
    .with_reverse(move |addr| {
        seen.push(addr.to_string());
        match addr.to_string().as_str() {
            "192.0.2.1" => Ok("canon.test".into()),
            "127.0.0.9" => Ok("canon-literal.test".into()),
            _ => Err(io::Error::other("no name")),
        }
    });
    let config = crate::ProducerConfig {
        client_dns_lookup: ClientDnsLookup::ResolveCanonicalBootstrapServersOnly,
        ..test_config()
    };
    let (mut net, _waker) = MioNetwork::with_resolver(&config, resolver).unwrap();
    net.set_address(-1, "boot.test", 9092);
    net.set_address(-2, "127.0.0.9", 9092);
    net.set_address(1, "broker.test", 9092);
    for node in [-1, -2, 1] {
        net.connect(node, Instant::now());
    }
    let mut events = poll_until(&mut net, |e| e.len() == 3);
    events.sort_by_key(|e| format!("{e:?}"));
    let mut expected: Vec<NetEvent> = [-1, -2, 1]
        .into_iter()
        .map(|node| NetEvent::Ready { node })
        .collect();
    expected.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(events, expected);
    let mut asked = reversed.get();
    asked.sort();
    assert_eq!(asked, ["127.0.0.9", "192.0.2.1"]);
    drop(net);
    for s in [server, server2, server3] {
        s.join().unwrap();
    }
}

/// The default mode never asks for names.
#[test]
fn all_dns_ips_mode_does_not_reverse_bootstrap_nodes() {
    let (port, server) = broker();
    let resolver = Resolver::new(move |_, _| Ok(vec![local(port)]))
        .with_reverse(|_| panic!("no reverse lookup expected"));
    let (mut net, _waker) = MioNetwork::with_resolver(&test_config(), resolver).unwrap();
    net.set_address(-1, "boot.test", 9092);
    net.connect(-1, Instant::now());
    assert_eq!(
        poll_until(&mut net, has_ready),
        [NetEvent::Ready { node: -1 }]
    );
    drop(net);
    server.join().unwrap();
}

#[cfg(unix)]
#[test]
fn system_reverse_lookup_names_the_loopback_address() {
    let system = Resolver::system();
    let name = system
        .reverse(ip(127, 0, 0, 1))
        .expect("127.0.0.1 has a name");
    assert!(
        !name.is_empty() && name.parse::<IpAddr>().is_err(),
        "{name}"
    );
    // Usually "localhost"; whatever it is, it leads back to 127.0.0.1.
    let back = system.lookup(&name, 9092).unwrap();
    assert!(back.contains(&local(9092)), "{name}: {back:?}");
}
