//! Serving a door's connections with bounds that an idle or slow client cannot get around:
//! at most [`MAX_CONNECTIONS`] at once (more wait in the kernel's backlog), request headers
//! within [`HEADER_READ_TIMEOUT`] (which also closes a keep-alive connection idle that long
//! between requests), headers of at most [`MAX_HEADER_BYTES`], and a request body that
//! stalls for [`BODY_STALL_TIMEOUT`] is cut off. A response being written, such as an open
//! SSE stream, is not idle: none of these end it.
//!
//! axum's `serve` has none of these knobs, so connections are served with hyper's HTTP/1
//! builder and tokio's timer here. Each request carries the connection's [`Peer`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;
use tracing::debug;

use super::peer::Peer;

/// Connections served at once per door.
pub const MAX_CONNECTIONS: usize = 512;
/// How long a client may take to send a request's headers, and how long a keep-alive
/// connection may sit idle between requests.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a request body may pause between two pieces.
pub const BODY_STALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The most a request's start line and headers may take.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Where a door's connections come from.
pub trait Acceptor: Send + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// The next connection and who is at its other end.
    fn accept(&mut self) -> impl Future<Output = (Self::Io, Peer)> + Send;
}

/// Serves `router` on the connections from `acceptor` until `stop` is cancelled, then lets
/// the connections finish what they are doing.
pub async fn serve(mut acceptor: impl Acceptor, router: Router, stop: CancellationToken) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES)
        .keep_alive(true);
    loop {
        let slot = tokio::select! {
            () = stop.cancelled() => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                // Not reached: the semaphore is never closed.
                Err(_) => break,
            },
        };
        let (io, peer) = tokio::select! {
            () = stop.cancelled() => break,
            accepted = acceptor.accept() => accepted,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(|body| axum::body::Body::new(StallGuard::new(body)));
            request.extensions_mut().insert(peer.clone());
            router.clone().oneshot(request)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(error = %e, "a connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(acceptor);
    graceful.shutdown().await;
}

/// A request body that fails when the client sends nothing for [`BODY_STALL_TIMEOUT`]
/// while its handler waits for more. The timer only starts once the handler has to wait:
/// a small body that came with its headers costs none.
struct StallGuard<B> {
    inner: B,
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<B> StallGuard<B> {
    fn new(inner: B) -> Self {
        Self { inner, stall: None }
    }
}

impl<B> Body for StallGuard<B>
where
    B: Body + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = B::Data;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                // The client sent something: the next wait starts afresh.
                self.stall = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let stall = self
                    .stall
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(BODY_STALL_TIMEOUT)));
                match stall.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(format!(
                        "the request body stalled for {BODY_STALL_TIMEOUT:?}"
                    )
                    .into()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
