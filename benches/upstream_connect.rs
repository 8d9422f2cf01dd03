//! Parallel connects: N built-in demo servers that each take 500 ms to become ready
//! (`--startup-delay-ms 500`), from daemon spawn to every server `ready`, for N = 1 (the
//! baseline) and N = 10, in the same run; then the daemon's own RSS with the 10 connected.
//!
//! `cargo bench --bench upstream_connect` (optionally `-- --runs N`). Bounds: the 10 are
//! ready within 1.3 × the time of one; the daemon's RSS stays at or under 30 MiB (in every
//! run). The bench exits non-zero (after printing) when a bound is exceeded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use mcpproxy_daemon::client::Client;

#[path = "common/daemon.rs"]
mod daemon;
use daemon::{spawn, stop};
use mcpproxy_daemon::protocol::ServerState;

/// Bound on (median time for 10 servers) / (median time for 1).
const RATIO_BOUND: f64 = 1.3;
/// Bound on the daemon's RSS with 10 servers ready, in MiB.
const RSS_BOUND_MIB: f64 = 30.0;

fn config(servers: usize) -> String {
    let mut text = String::from("listen = \"127.0.0.1:0\"\n");
    for i in 0..servers {
        text.push_str(&format!(
            "[servers.demo{i}]\nbuiltin = \"demo\"\nargs = [\"--startup-delay-ms\", \"500\"]\n"
        ));
    }
    text
}

/// Starts a daemon with `servers` demo servers; returns the time until all were ready,
/// and the running daemon.
async fn all_ready(data_dir: &Path, servers: usize) -> (Duration, Child) {
    let client = Client::socket(data_dir.join("mcpproxy.sock"));
    let started = Instant::now();
    let mut child = spawn(data_dir);
    loop {
        if let Ok(list) = client.servers().await
            && list.servers.len() == servers
            && list.servers.iter().all(|s| s.state == ServerState::Ready)
        {
            return (started.elapsed(), child);
        }
        assert!(child.try_wait().unwrap().is_none(), "the daemon exited");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not ready within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The number in `field` of `/proc/PID/status` (KiB for the sizes).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn main() {
    let runs = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5usize)
        .max(3);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let failures = runtime.block_on(async {
        let mut results = Vec::new();
        let mut rss = Vec::new();
        for servers in [1, 10] {
            let dir = tempfile::Builder::new().prefix("mpbench").tempdir().unwrap();
            std::fs::write(dir.path().join("config.toml"), config(servers)).unwrap();
            let (_, mut warmup) = all_ready(dir.path(), servers).await;
            stop(&mut warmup);
            let mut times = Vec::new();
            for run in 1..=runs {
                let (time, mut daemon) = all_ready(dir.path(), servers).await;
                if servers == 10 {
                    // Let start-up allocations settle before reading the resident set.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let pid = daemon.id();
                    let [total, anon, file] =
                        ["VmRSS:", "RssAnon:", "RssFile:"].map(|field| status_kib(pid, field));
                    // The file-backed part is pages of the executable, shared with every
                    // process running it; how many the kernel maps depends on what the page
                    // cache holds. The anonymous part is the daemon's own memory.
                    println!(
                        "   RSS {:.1} MiB: {:.1} MiB anonymous, {:.1} MiB file-backed; {} threads",
                        total as f64 / 1024.0,
                        anon as f64 / 1024.0,
                        file as f64 / 1024.0,
                        status_kib(pid, "Threads:")
                    );
                    rss.push(total);
                }
                stop(&mut daemon);
                println!("{servers:>2} servers, run {run}: all ready in {:.0} ms", time.as_secs_f64() * 1000.0);
                times.push(time);
            }
            results.push((servers, median(times)));
        }
        let one = results[0].1.as_secs_f64();
        let ten = results[1].1.as_secs_f64();
        rss.sort_unstable();
        let rss_median = rss[rss.len() / 2] as f64 / 1024.0;
        let rss_max = *rss.last().unwrap() as f64 / 1024.0;
        let ratio = ten / one;
        println!(
            "median time to all ready: 1 server {:.0} ms, 10 servers {:.0} ms, ratio {ratio:.2} (bound {RATIO_BOUND:.2})",
            one * 1000.0,
            ten * 1000.0,
        );
        println!("daemon RSS with 10 servers ready: median {rss_median:.1} MiB, max {rss_max:.1} MiB (bound {RSS_BOUND_MIB:.0})");
        let mut failures = Vec::new();
        if ratio > RATIO_BOUND {
            failures.push(format!(
                "the 10 servers took {ratio:.2} × the time of one (bound {RATIO_BOUND:.2})"
            ));
        }
        if rss_max > RSS_BOUND_MIB {
            failures.push(format!(
                "the daemon's RSS reached {rss_max:.1} MiB (bound {RSS_BOUND_MIB:.0} MiB)"
            ));
        }
        failures
    });
    if !failures.is_empty() {
        for failure in &failures {
            eprintln!("FAIL: {failure}");
        }
        std::process::exit(1);
    }
}
