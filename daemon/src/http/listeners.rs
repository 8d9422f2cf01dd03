//! The two doors: the control socket (trusted: mode 0600 and the peer's uid must be ours)
//! and the TCP address (every request needs the API key; see `auth`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tracing::warn;

use super::connections::Acceptor;
use super::peer::{Peer, TcpEnds};

/// Why a door could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("cannot listen on {addr}: the address is already in use")]
    PortInUse { addr: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("another process answers on the control socket {}", path.display())]
    SocketInUse { path: PathBuf },
    #[error("cannot {what} {}: {source}", path.display())]
    Socket {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(what: &'static str, path: &Path, source: std::io::Error) -> BindError {
    BindError::Socket {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// How long a connect probe on an existing socket file may take before it counts as stale.
const STALE_PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// Binds the control socket. A socket file left by a killed daemon is removed, but only
/// after a connect to it fails: a live one belongs to someone else and is left alone.
pub async fn bind_socket(path: &Path) -> Result<TrustedUnixListener, BindError> {
    if path.exists() {
        let probe = tokio::time::timeout(STALE_PROBE_TIMEOUT, UnixStream::connect(path)).await;
        if matches!(probe, Ok(Ok(_))) {
            return Err(BindError::SocketInUse {
                path: path.to_path_buf(),
            });
        }
        std::fs::remove_file(path).map_err(|source| io("remove the stale socket", path, source))?;
    }
    let listener =
        UnixListener::bind(path).map_err(|source| io("bind the socket", path, source))?;
    // The data dir is 0700 already, so there is no window in which others could connect.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|source| io("restrict the socket", path, source))?;
    }
    Ok(TrustedUnixListener {
        listener,
        uid: rustix::process::getuid().as_raw(),
    })
}

/// Binds the TCP address; "in use" becomes its own error (exit code 2).
pub async fn bind_tcp(addr: &str) -> Result<TcpDoor, BindError> {
    TcpListener::bind(addr)
        .await
        .map(TcpDoor)
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AddrInUse {
                BindError::PortInUse {
                    addr: addr.to_owned(),
                }
            } else {
                BindError::Listen {
                    addr: addr.to_owned(),
                    source,
                }
            }
        })
}

/// A unix listener that only hands out connections from processes of our own user.
#[derive(Debug)]
pub struct TrustedUnixListener {
    listener: UnixListener,
    uid: u32,
}

impl Acceptor for TrustedUnixListener {
    type Io = UnixStream;

    async fn accept(&mut self) -> (Self::Io, Peer) {
        loop {
            match self.listener.accept().await {
                Ok((stream, _)) => match stream.peer_cred() {
                    Ok(cred) if cred.uid() == self.uid => return (stream, Peer::socket(self.uid)),
                    Ok(cred) => warn!(uid = cred.uid(), "refused a socket client of another user"),
                    Err(e) => warn!(error = %e, "refused a socket client whose user is unknown"),
                },
                Err(e) => accept_failed("the control socket", &e).await,
            }
        }
    }
}

/// The TCP listener. Who is at the other end of a connection is told by [`Peer`].
#[derive(Debug)]
pub struct TcpDoor(TcpListener);

impl TcpDoor {
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.local_addr()
    }
}

impl Acceptor for TcpDoor {
    type Io = TcpStream;

    async fn accept(&mut self) -> (Self::Io, Peer) {
        loop {
            match self.0.accept().await {
                Ok((stream, remote)) => {
                    // Small request/response pairs: Nagle's delay would dominate their latency.
                    let _ = stream.set_nodelay(true);
                    let Ok(local) = stream.local_addr() else {
                        continue;
                    };
                    return (stream, Peer::tcp(TcpEnds { local, remote }));
                }
                Err(e) => accept_failed("the TCP listener", &e).await,
            }
        }
    }
}

/// Out of file descriptors and the like: wait a little instead of spinning.
async fn accept_failed(door: &str, error: &std::io::Error) {
    warn!(error = %error, "accept on {door} failed");
    tokio::time::sleep(Duration::from_millis(50)).await;
}
