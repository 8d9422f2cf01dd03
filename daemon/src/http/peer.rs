//! Who is at the other end of a connection.
//!
//! The control socket knows its peer's uid from the kernel (`SO_PEERCRED`) and only our own
//! user gets in. A loopback TCP connection carries no credentials, but on Linux the kernel's
//! socket table (`/proc/net/tcp` and `tcp6`) lists every socket with its owner: the peer's
//! socket is the entry whose local address is our connection's remote address (and whose
//! remote address is our local one), and its `uid` column is the user who opened it. Where
//! there is no such table (macOS), a TCP peer's user cannot be told.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::Door;

/// True where a loopback TCP peer's user can be told (Linux).
pub const CAN_TELL_TCP_PEER: bool = cfg!(target_os = "linux");

/// The two ends of an accepted TCP connection, as seen from the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpEnds {
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

/// One connection's peer (an extension on every request it carries). Its uid is looked up
/// once, when a request first needs it.
#[derive(Debug, Clone)]
pub struct Peer {
    door: Door,
    tcp: Option<TcpEnds>,
    uid: Arc<OnceCell<Option<u32>>>,
}

impl Peer {
    /// A peer on the control socket: the listener already refused every other user.
    pub fn socket(uid: u32) -> Self {
        Self {
            door: Door::Socket,
            tcp: None,
            uid: Arc::new(OnceCell::new_with(Some(Some(uid)))),
        }
    }

    pub fn tcp(ends: TcpEnds) -> Self {
        Self {
            door: Door::Tcp,
            tcp: Some(ends),
            uid: Arc::new(OnceCell::new()),
        }
    }

    pub fn door(&self) -> Door {
        self.door
    }

    /// The peer's user, when the kernel tells it: always on the socket, on Linux for a
    /// loopback TCP peer whose socket still exists.
    pub async fn uid(&self) -> Option<u32> {
        let ends = self.tcp;
        *self
            .uid
            .get_or_init(|| async move {
                let ends = ends?;
                // Reads /proc: off the runtime.
                tokio::task::spawn_blocking(move || tcp_peer_uid(ends))
                    .await
                    .ok()
                    .flatten()
            })
            .await
    }
}

/// The uid owning the other end of a loopback TCP connection, from the kernel's socket table;
/// `None` where there is no table, for a peer on another host, or when the peer is gone.
pub fn tcp_peer_uid(ends: TcpEnds) -> Option<u32> {
    if !CAN_TELL_TCP_PEER || !ends.remote.ip().to_canonical().is_loopback() {
        return None;
    }
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .into_iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .find_map(|text| owner_in_table(&text, ends))
}

/// The uid of the socket listed in `table` (the text of `/proc/net/tcp` or `tcp6`) whose
/// local address is `ends.remote` and whose remote address is `ends.local`.
fn owner_in_table(table: &str, ends: TcpEnds) -> Option<u32> {
    let same = |a: SocketAddr, b: SocketAddr| {
        a.port() == b.port() && a.ip().to_canonical() == b.ip().to_canonical()
    };
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let local = parse_address(fields.get(1)?)?;
        let remote = parse_address(fields.get(2)?)?;
        if same(local, ends.remote) && same(remote, ends.local) {
            fields.get(7)?.parse().ok()
        } else {
            None
        }
    })
}

/// `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6), as the kernel prints them:
/// each 32-bit word of the address as a number in the host's byte order, the port in hex.
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (address, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let words: Vec<u32> = address
        .as_bytes()
        .chunks(8)
        .map(|word| u32::from_str_radix(std::str::from_utf8(word).ok()?, 16).ok())
        .collect::<Option<_>>()?;
    let ip = match words.as_slice() {
        [word] => IpAddr::V4(Ipv4Addr::from(word.to_ne_bytes())),
        [a, b, c, d] => {
            let mut bytes = [0u8; 16];
            for (chunk, word) in bytes.chunks_mut(4).zip([a, b, c, d]) {
                chunk.copy_from_slice(&word.to_ne_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_addresses_as_the_kernel_prints_them() {
        let v4 = u32::from_ne_bytes([127, 0, 0, 1]);
        assert_eq!(
            parse_address(&format!("{v4:08X}:1F90")),
            Some("127.0.0.1:8080".parse().unwrap_or_else(|e| panic!("{e}")))
        );
        let one = u32::from_ne_bytes([0, 0, 0, 1]);
        assert_eq!(
            parse_address(&format!("{:08X}{:08X}{:08X}{one:08X}:0050", 0, 0, 0)),
            Some("[::1]:80".parse().unwrap_or_else(|e| panic!("{e}")))
        );
        assert_eq!(parse_address("zz:1"), None);
    }

    /// A real loopback connection: the kernel says the other end is ours.
    #[cfg(target_os = "linux")]
    #[test]
    fn finds_the_owner_of_a_loopback_peer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let _client = std::net::TcpStream::connect(address).unwrap_or_else(|e| panic!("{e}"));
        let (accepted, remote) = listener.accept().unwrap_or_else(|e| panic!("{e}"));
        let local = accepted.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let me = rustix::process::getuid().as_raw();
        assert_eq!(tcp_peer_uid(TcpEnds { local, remote }), Some(me));
        // Not the listening socket's entry, nor the accepted one's: a wrong port finds none.
        let elsewhere = SocketAddr::new(remote.ip(), remote.port().wrapping_add(1));
        assert_eq!(
            tcp_peer_uid(TcpEnds {
                local,
                remote: elsewhere
            }),
            None
        );
    }
}
