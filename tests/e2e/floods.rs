//! What an outside party can make the daemon hold stays bounded: idle MCP sessions (a cap,
//! least recently used idle ones closed first, 503 when all are busy, idle expiry),
//! connections that say nothing (header-read and idle timeouts that spare open streams), and
//! a stdio server's stderr without newlines. Memory is measured as the kernel counts it.

use std::io::Read as _;
use std::time::{Duration, Instant};

use mcpproxy_daemon::protocol::ServerState;

use crate::support::TestDaemon;
use crate::support::memory::{mib, peak_rss_kib, rss_kib};
use crate::support::raw_http::{Connection, MCP_POST, Response, initialize};

/// `initialize` requests per flood.
const FLOOD: u64 = 20_000;
/// Connections a flood uses at once.
const FLOOD_CONNECTIONS: u64 = 4;

/// The daemon's TCP address.
async fn listen(daemon: &TestDaemon) -> String {
    daemon.status().await.listen.unwrap()
}

/// `count` `initialize` requests to `/mcp` with nothing after them, over a few keep-alive
/// connections; every one must be answered 200.
async fn flood(address: &str, count: u64) {
    let workers: Vec<_> = (0..FLOOD_CONNECTIONS)
        .map(|worker| {
            let address = address.to_owned();
            tokio::task::spawn_blocking(move || {
                let mut connection = Connection::open(&address);
                for i in (worker..count).step_by(FLOOD_CONNECTIONS as usize) {
                    let answer = connection.send("POST", "/mcp", MCP_POST, &initialize(i));
                    assert_eq!(answer.status, 200, "initialize {i}: {}", answer.text());
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
}

#[tokio::test]
async fn twenty_thousand_idle_sessions_stay_within_100_mib_and_the_daemon_answers() {
    let daemon = TestDaemon::start("listen = \"127.0.0.1:0\"\n").await;
    let address = listen(&daemon).await;
    // Warm up what every session shares (the surfaces, the allocator's first arenas).
    flood(&address, 50).await;
    let before = rss_kib(daemon.pid());

    let started = Instant::now();
    flood(&address, FLOOD).await;
    let after_first = rss_kib(daemon.pid());
    eprintln!(
        "{FLOOD} initialize requests in {:?}: RSS {} -> {}",
        started.elapsed(),
        mib(before),
        mib(after_first)
    );
    assert!(
        after_first <= before + 100 * 1024,
        "{FLOOD} idle sessions took RSS from {} to {}",
        mib(before),
        mib(after_first)
    );

    // Freed sessions make room for the next flood: the high-water mark does not climb.
    flood(&address, FLOOD).await;
    let after_second = rss_kib(daemon.pid());
    let peak = peak_rss_kib(daemon.pid());
    eprintln!(
        "after a second flood: RSS {}, peak {}",
        mib(after_second),
        mib(peak)
    );
    assert!(
        peak <= before + 100 * 1024,
        "peak RSS {} (from {})",
        mib(peak),
        mib(before)
    );
    assert!(
        after_second <= after_first + 8 * 1024,
        "RSS grew from {} to {} with the second flood",
        mib(after_first),
        mib(after_second)
    );

    // And the daemon keeps answering, on both doors.
    assert!(daemon.status().await.pid > 0);
    let answer = Connection::open(&address).send("POST", "/mcp/all", MCP_POST, &initialize(1));
    assert_eq!(answer.status, 200, "{}", answer.text());
}

/// The session id an `initialize` answer carries.
fn session_of(answer: &Response) -> String {
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.header("mcp-session-id").unwrap().to_owned()
}

/// Opens a session on `/mcp` and holds its GET stream open (the session is in use).
fn session_with_stream(address: &str) -> (String, impl Drop) {
    let mut connection = Connection::open(address);
    let session = session_of(&connection.send("POST", "/mcp", MCP_POST, &initialize(1)));
    let initialized = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let headers = session_headers(&session);
    assert_eq!(
        connection
            .send("POST", "/mcp", &headers, initialized)
            .status,
        202
    );
    let stream_headers = [
        ("Accept", b"text/event-stream".as_slice()),
        ("Mcp-Session-Id", session.as_bytes()),
        ("Mcp-Protocol-Version", b"2025-11-25"),
    ];
    let (status, stream) = Connection::open(address).open_stream("GET", "/mcp", &stream_headers);
    assert_eq!(status, 200, "the GET stream of {session}");
    (session, StreamGuard(stream))
}

struct StreamGuard(std::io::BufReader<std::net::TcpStream>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let _ = self.0.get_ref().shutdown(std::net::Shutdown::Both);
    }
}

fn session_headers(session: &str) -> Vec<(&'static str, &[u8])> {
    vec![
        ("Content-Type", b"application/json".as_slice()),
        ("Accept", b"application/json, text/event-stream".as_slice()),
        ("Mcp-Session-Id", session.as_bytes()),
        ("Mcp-Protocol-Version", b"2025-11-25".as_slice()),
    ]
}

/// A `tools/list` on `session`: its HTTP status (404 once the session is gone).
fn list_tools(address: &str, session: &str) -> u16 {
    let body = br#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#;
    Connection::open(address)
        .send("POST", "/mcp", &session_headers(session), body)
        .status
}

#[tokio::test]
async fn at_the_session_limit_idle_sessions_make_room_and_busy_ones_are_kept() {
    let daemon = TestDaemon::start("listen = \"127.0.0.1:0\"\n[limits]\nmcp_sessions = 3\n").await;
    let address = listen(&daemon).await;
    tokio::task::spawn_blocking(move || {
        // Three sessions, each with its stream open: all in use.
        let held: Vec<_> = (0..3).map(|_| session_with_stream(&address)).collect();
        let refused = Connection::open(&address).send("POST", "/mcp", MCP_POST, &initialize(41));
        assert_eq!(refused.status, 503, "{}", refused.text());
        let error = refused.json();
        assert_eq!(error["jsonrpc"], "2.0", "{error}");
        assert_eq!(error["id"], 41, "{error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("all 3"),
            "{error}"
        );
        assert!(refused.header("retry-after").is_some());
        for (session, _) in &held {
            assert_eq!(
                list_tools(&address, session),
                200,
                "a busy session was closed"
            );
        }

        // One stream closed: that session is idle now and makes room for a new one.
        let mut held = held.into_iter();
        let (idle, stream) = held.next().unwrap();
        drop(stream);
        let admitted = crate::support::wait::wait_until_blocking(
            Duration::from_secs(30),
            "a new session once one is idle",
            || {
                let answer =
                    Connection::open(&address).send("POST", "/mcp", MCP_POST, &initialize(42));
                (answer.status == 200).then_some(answer)
            },
        );
        let newest = session_of(&admitted);
        assert_eq!(
            list_tools(&address, &idle),
            404,
            "the idle session was not the one closed"
        );
        assert_eq!(list_tools(&address, &newest), 200);
        for (session, _) in held {
            assert_eq!(
                list_tools(&address, &session),
                200,
                "a busy session was closed"
            );
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn idle_sessions_expire_but_one_with_its_stream_open_stays() {
    let idle = Duration::from_secs(1);
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n[limits]\nmcp_session_idle = \"{}ms\"\n",
        idle.as_millis()
    ))
    .await;
    let address = listen(&daemon).await;
    tokio::task::spawn_blocking(move || {
        let quiet =
            session_of(&Connection::open(&address).send("POST", "/mcp", MCP_POST, &initialize(1)));
        let (listening, _stream) = session_with_stream(&address);
        // Any request would count as use, so this waits for the time itself to pass.
        #[expect(
            clippy::disallowed_methods,
            reason = "expiry is about time passing with no request; nothing else to wait on"
        )]
        std::thread::sleep(idle * 4);
        assert_eq!(
            list_tools(&address, &quiet),
            404,
            "an idle session outlived its limit"
        );
        assert_eq!(
            list_tools(&address, &listening),
            200,
            "a session with an open stream expired"
        );
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_silent_connection_is_closed_but_an_open_stream_is_not() {
    let daemon = TestDaemon::start("listen = \"127.0.0.1:0\"\n").await;
    let address = listen(&daemon).await;
    let key = std::fs::read_to_string(daemon.data_dir().join("api_key")).unwrap();
    tokio::task::spawn_blocking(move || {
        // Connects and says nothing, half a request line, or a tenth of a body: closed after
        // the header (or body) timeout.
        let closed_within = |first_bytes: &[u8]| {
            let mut stream = std::net::TcpStream::connect(&address).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            std::io::Write::write_all(&mut stream, first_bytes).unwrap();
            let started = Instant::now();
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest);
            started.elapsed()
        };
        let stalled_body = b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"";
        for first_bytes in [b"".as_slice(), b"GET /api/v1/status HT", stalled_body] {
            let took = closed_within(first_bytes);
            assert!(
                took >= Duration::from_secs(8) && took < Duration::from_secs(20),
                "a connection that sent {first_bytes:?} was closed after {took:?}"
            );
        }

        // A keep-alive connection idle after a request is closed the same way.
        let mut idle = Connection::open(&address);
        let headers = [("X-API-Key", key.trim().as_bytes())];
        assert_eq!(
            idle.send("GET", "/api/v1/status", &headers, b"").status,
            200
        );
        let (status, mut events) =
            Connection::open(&address).open_stream("GET", "/api/v1/events?heartbeat_s=2", &headers);
        assert_eq!(status, 200);

        // An event stream is not idle: it outlives the timeout and keeps bringing events.
        events
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let started = Instant::now();
        let mut received = 0;
        let mut buffer = [0u8; 4096];
        while started.elapsed() < Duration::from_secs(15) {
            let read = events.read(&mut buffer).unwrap();
            assert!(
                read > 0,
                "the event stream was closed after {:?}",
                started.elapsed()
            );
            received += read;
        }
        assert!(received > 0);
        let mut rest = Vec::new();
        let reader = idle.into_reader();
        reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(1)))
            .unwrap();
        let closed = matches!(reader.get_ref().take(1).read_to_end(&mut rest), Ok(0));
        assert!(
            closed,
            "an idle keep-alive connection was still open after 15 s"
        );
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn stderr_without_newlines_is_read_in_bounded_chunks() {
    const FLOOD_BYTES: u64 = 300 * 1024 * 1024;
    let exe = env!("CARGO_BIN_EXE_mcpproxy");
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n[servers.noisy]\ncommand = \"sh\"\nargs = [\"-c\", \"head -c {FLOOD_BYTES} /dev/zero | tr '\\\\000' x >&2; echo ' end' >&2; exec '{exe}' demo-server\"]\nconnect_timeout = \"5m\"\n"
    ))
    .await;
    daemon
        .wait_state("noisy", ServerState::Ready, Duration::from_secs(300))
        .await;
    let peak = peak_rss_kib(daemon.pid());
    eprintln!(
        "peak RSS with {} MiB of stderr without a newline: {}",
        FLOOD_BYTES >> 20,
        mib(peak)
    );
    assert!(peak <= 80 * 1024, "peak RSS {}", mib(peak));
    let log = std::fs::read_to_string(daemon.data_dir().join("logs/servers/noisy.log")).unwrap();
    let cut = log
        .lines()
        .find(|line| line.contains("xxxx"))
        .unwrap_or_else(|| panic!("no stderr line in the log:\n{log}"));
    assert!(
        cut.ends_with(" [cut]"),
        "{}",
        &cut[cut.len().saturating_sub(80)..]
    );
    assert!(
        cut.len() < 8 * 1024 + 100,
        "a line of {} bytes was logged",
        cut.len()
    );
    assert!(!log.contains("xx end"), "the end of the long line was kept");
}
