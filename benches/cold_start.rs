//! Cold start: from spawning `mcpproxy serve` on an existing data dir (no upstreams) to the
//! first answer of `GET /api/v1/status` on the control socket.
//!
//! `cargo bench --bench cold_start` (optionally `-- --runs N`). Prints every run, then the
//! median; the acceptance bound is a median of at most 50 ms, and the bench exits non-zero
//! (after printing) when it is exceeded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::time::{Duration, Instant};

use mcpproxy_daemon::client::Client;

#[path = "common/daemon.rs"]
mod daemon;
#[path = "common/stats.rs"]
mod stats;
use daemon::{spawn, stop};
use stats::percentile;

const CONFIG: &str = "listen = \"127.0.0.1:0\"\n";
/// The acceptance bound on the median.
const MEDIAN_BOUND: Duration = Duration::from_millis(50);

/// Spawns a daemon and returns how long it took to answer, then stops it with SIGTERM.
async fn one_start(data_dir: &Path) -> Duration {
    let client = Client::socket(data_dir.join("mcpproxy.sock"));
    let started = Instant::now();
    let mut child = spawn(data_dir);
    let answered = loop {
        if client.status().await.is_ok() {
            break started.elapsed();
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the daemon exited during start-up"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no answer within 10 s"
        );
        tokio::time::sleep(Duration::from_micros(200)).await;
    };
    stop(&mut child);
    answered
}

fn main() {
    let runs = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20usize)
        .max(10);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::Builder::new()
        .prefix("mpbench")
        .tempdir()
        .unwrap();
    std::fs::write(dir.path().join("config.toml"), CONFIG).unwrap();
    let median = runtime.block_on(async {
        // The first start creates the API key, logs and the rest: not what we measure.
        one_start(dir.path()).await;
        let mut times = Vec::with_capacity(runs);
        for run in 1..=runs {
            let time = one_start(dir.path()).await;
            println!("run {run:>2}: {:.1} ms", time.as_secs_f64() * 1000.0);
            times.push(time);
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "cold start to first status answer, {runs} runs: median {:.1} ms, p90 {:.1} ms, min {:.1} ms, max {:.1} ms",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.9)),
            ms(times[0]),
            ms(times[times.len() - 1]),
        );
        percentile(&times, 0.5)
    });
    if median > MEDIAN_BOUND {
        eprintln!(
            "FAIL: the median cold start {:.1} ms exceeds the bound of {} ms",
            median.as_secs_f64() * 1000.0,
            MEDIAN_BOUND.as_millis()
        );
        std::process::exit(1);
    }
}
