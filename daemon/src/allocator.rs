//! The daemon's two settings of the C allocator: big blocks go back to the system when
//! freed, and every thread allocates from one arena.
//!
//! glibc serves a block of 128 KiB or more with its own mmap and unmaps it on free, but
//! after the first such free it raises that threshold to the freed size (up to 32 MiB) and
//! lets each malloc arena keep up to twice as much free at its top. That suits a program
//! that allocates big buffers over and over; the daemon allocates them in bursts — each
//! commit of the search index builds a 4 MiB term table and a 4.7 MB document channel in
//! tantivy, each catalog the gate passes is parsed and copied whole — and then runs for
//! days. With the threshold raised, every arena that saw a burst kept 4–10 MiB it no longer
//! used: with ten demo servers ready the daemon held 33 MiB of anonymous memory, 13 MiB of
//! it live (`cargo bench --bench upstream_connect`, BENCHMARKS.md). A fixed threshold keeps
//! big blocks on mmap, so what a burst frees is returned at once, and stops the arenas'
//! trimming threshold from growing. The cost is an mmap and a munmap per big block, which
//! the call path (small JSON messages) does not make.
//!
//! glibc also gives a thread that meets a locked arena an arena of its own, up to eight per
//! core, each keeping what was freed in it. The daemon's threads besides its async worker
//! (the activity writer, the gate, the log writer, a few blocking threads) allocate little,
//! and each small allocation is served from the thread's own cache without the arena's
//! lock; one arena held the proxy bench's daemon at 8.3 MiB of anonymous memory under load
//! instead of 8.9–9.4 MiB, at no throughput the bench could tell apart.

/// The threshold above which blocks are mapped on their own: glibc's own starting value.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: std::ffi::c_int = 128 * 1024;

/// Fixes glibc's mmap threshold and its number of arenas (see the module). Call it first
/// thing, before threads start.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn keep_memory_small() {
    // glibc's <malloc.h>.
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    const M_ARENA_MAX: std::ffi::c_int = -8;
    unsafe extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    // SAFETY: mallopt only sets one of the allocator's parameters, under its own lock; the
    // values are in the ranges glibc accepts (a threshold of at most 32 MiB on 64-bit, at
    // least one arena). A refusal (0) leaves glibc's default, which is only more memory.
    let _ = unsafe { mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    let _ = unsafe { mallopt(M_ARENA_MAX, 1) };
}

/// Other C libraries have no such settings to fix.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn keep_memory_small() {}
