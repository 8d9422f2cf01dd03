//! A seeded input generator for the fuzz tests: valid samples, mutated byte by byte and
//! spliced with fragments that parsers find hard. The seed is printed, and can be set with
//! `MCPPROXY_FUZZ_SEED`, so a failure can be replayed. Shared by the workspace's test crates
//! (included with `#[path]`), so it uses std only.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::time::{Duration, Instant};

/// xorshift64*: small, fast, and the same everywhere for a seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// From `MCPPROXY_FUZZ_SEED` when set, else from `default`; says which.
    pub fn from_env(what: &str, default: u64) -> Self {
        let seed = std::env::var("MCPPROXY_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default);
        eprintln!("{what}: seed {seed} (set MCPPROXY_FUZZ_SEED to replay)");
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Fragments that tend to break parsers: quotes, brackets, escapes, huge and odd numbers,
/// bytes that are not UTF-8, deep nesting.
pub const HARD_FRAGMENTS: &[&[u8]] = &[
    b"\"",
    b"'",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\n",
    b"\r\n",
    b"\0",
    b"\xff\xfe",
    b"\xc3",
    b"=",
    b",",
    b":",
    b"null",
    b"true",
    b"-0",
    b"1e999999",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"0.0000000000000000000000000001",
    b"NaN",
    b"\"\xf0\x9f\x92\xa9\"",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}",
];

/// One mutation of `input`: some bytes flipped, inserted, removed or repeated, fragments
/// spliced in (from `fragments` and [`HARD_FRAGMENTS`]), or the whole cut short.
pub fn mutate(rng: &mut Rng, input: &[u8], fragments: &[&[u8]]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.insert(at, rng.next() as u8),
            2 if at < out.len() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            3 if at < out.len() => {
                let end = (at + 1 + rng.below(32)).min(out.len());
                let span = out[at..end].to_vec();
                for _ in 0..1 + rng.below(8) {
                    out.splice(at..at, span.iter().copied());
                }
            }
            4 if !fragments.is_empty() => {
                let fragment = *rng.pick(fragments);
                out.splice(at..at, fragment.iter().copied());
            }
            5 => {
                let fragment = *rng.pick(HARD_FRAGMENTS);
                out.splice(at..at, fragment.iter().copied());
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// Calls `each` with the input number until `budget` has passed or `max` inputs were tried;
/// returns how many were.
pub fn for_a_while(budget: Duration, max: usize, mut each: impl FnMut(usize)) -> usize {
    let started = Instant::now();
    let mut count = 0;
    while count < max && started.elapsed() < budget {
        each(count);
        count += 1;
    }
    count
}
