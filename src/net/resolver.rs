//! Host name resolution for [`MioNetwork`](super::MioNetwork): the lookup
//! functions ([`Resolver`]) and the whole lookup of one node as a resolver
//! thread runs it (`client.dns.lookup`).
//!
//! # Implementation notes
//!
//! - `use_all_dns_ips`: every address of the host, in the order the lookup
//!   gave them.
//! - `resolve_canonical_bootstrap_servers_only` (bootstrap nodes only): each
//!   address of the host is reverse-resolved to its canonical name, and that
//!   name resolved again; an address whose reverse or second lookup fails
//!   is kept as it is. Duplicates are dropped, the order is kept.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

/// A forward lookup: host and port to socket addresses (blocking).
pub type LookupFn = dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync;
/// A reverse lookup: an address to its canonical host name (blocking).
pub type ReverseFn = dyn Fn(IpAddr) -> io::Result<String> + Send + Sync;

/// How host names become addresses. [`Resolver::system`] (the default) asks
/// the operating system; tests inject their own functions.
#[derive(Clone)]
pub struct Resolver {
    lookup: Arc<LookupFn>,
    reverse: Arc<ReverseFn>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver { .. }")
    }
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::system()
    }
}

impl Resolver {
    /// The operating system's resolver: [`ToSocketAddrs`] forward, and
    /// `getnameinfo` reverse (on Unix; elsewhere reverse lookups fail and
    /// the address is kept).
    pub fn system() -> Self {
        Resolver {
            lookup: Arc::new(system_lookup),
            reverse: Arc::new(system_reverse),
        }
    }

    /// A resolver with `lookup` as its forward lookup and the system's
    /// reverse lookup.
    pub fn new(
        lookup: impl Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync + 'static,
    ) -> Self {
        Resolver {
            lookup: Arc::new(lookup),
            reverse: Arc::new(system_reverse),
        }
    }

    /// Replaces the reverse lookup (used by `client.dns.lookup =
    /// resolve_canonical_bootstrap_servers_only`).
    pub fn with_reverse(
        mut self,
        reverse: impl Fn(IpAddr) -> io::Result<String> + Send + Sync + 'static,
    ) -> Self {
        self.reverse = Arc::new(reverse);
        self
    }

    /// Forward lookup of `host` (blocking); a literal IP address is not looked up.
    pub fn lookup(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        match host.parse::<IpAddr>() {
            Ok(ip) => Ok(vec![SocketAddr::new(ip, port)]),
            Err(_) => (self.lookup)(host, port),
        }
    }

    /// Reverse lookup of `ip` (blocking).
    pub fn reverse(&self, ip: IpAddr) -> io::Result<String> {
        (self.reverse)(ip)
    }

    /// The addresses to try for `host:port`, never empty (blocking: run on a
    /// resolver thread). `canonical`: through the canonical names of the
    /// host's addresses.
    pub(crate) fn resolve(
        &self,
        host: &str,
        port: u16,
        canonical: bool,
    ) -> Result<Vec<SocketAddr>, String> {
        let addrs = self
            .lookup(host, port)
            .map_err(|e| format!("cannot resolve {host}:{port}: {e}"))?;
        let addrs = if canonical {
            self.canonicalize(host, addrs, port)
        } else {
            addrs
        };
        if addrs.is_empty() {
            return Err(format!("cannot resolve {host}:{port}: no address"));
        }
        Ok(addrs)
    }

    fn canonicalize(&self, host: &str, addrs: Vec<SocketAddr>, port: u16) -> Vec<SocketAddr> {
        let mut out = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let found = match self.reverse(addr.ip()) {
                Ok(name) => match self.lookup(&name, port) {
                    Ok(found) if !found.is_empty() => {
                        log::debug!("{host}: {} is {name}: {found:?}", addr.ip());
                        found
                    }
                    Ok(_) => vec![addr],
                    Err(e) => {
                        log::debug!("{host}: cannot resolve canonical name {name}: {e}");
                        vec![addr]
                    }
                },
                Err(e) => {
                    log::debug!("{host}: no canonical name for {}: {e}", addr.ip());
                    vec![addr]
                }
            };
            for a in found {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }
}

fn system_lookup(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}

/// `getnameinfo` with `NI_NAMEREQD`: an address without a name is an error.
#[cfg(unix)]
#[allow(unsafe_code)]
fn system_reverse(ip: IpAddr) -> io::Result<String> {
    use std::ffi::CStr;
    let addr = socket2::SockAddr::from(SocketAddr::new(ip, 0));
    // NI_MAXHOST bytes.
    let mut host: [libc::c_char; 1025] = [0; 1025];
    // SAFETY: `addr` points to a socket address of `addr.len()` bytes, `host`
    // is writable for its whole length, and no service name is asked for.
    let rc = unsafe {
        libc::getnameinfo(
            addr.as_ptr().cast(),
            addr.len(),
            host.as_mut_ptr(),
            host.len() as _,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD as _,
        )
    };
    if rc != 0 {
        // SAFETY: gai_strerror returns a static NUL-terminated message.
        let msg = unsafe { CStr::from_ptr(libc::gai_strerror(rc)) };
        return Err(io::Error::other(format!(
            "getnameinfo: {}",
            msg.to_string_lossy()
        )));
    }
    let bytes: Vec<u8> = host.iter().map(|&c| c as u8).collect();
    CStr::from_bytes_until_nul(&bytes)
        .ok()
        .and_then(|name| name.to_str().ok())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| io::Error::other("getnameinfo gave no usable name"))
}

#[cfg(not(unix))]
fn system_reverse(_ip: IpAddr) -> io::Result<String> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "reverse lookups need Unix",
    ))
}
