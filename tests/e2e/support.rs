//! Test helpers: a daemon under test, deadline-bound waiting and reading, and provisioning of
//! real peer servers.

pub mod cli;
pub mod daemon;
pub mod memory;
pub mod other_user;
pub mod peers;
pub mod pipes;
pub mod procs;
pub mod python;
pub mod raw_http;
pub mod tmux;
pub mod wait;

// Shared with the daemon crate's tests (std only).
#[path = "../shared/helpers.rs"]
mod helpers;
#[path = "../shared/mutate.rs"]
pub mod mutate;
#[path = "../shared/provision.rs"]
mod provision;
#[path = "../shared/sandbox.rs"]
pub mod sandbox;
#[path = "../shared/sni_host.rs"]
pub mod sni_host;

pub use self::daemon::TestDaemon;
pub use self::helpers::kill_and_reap;
pub use self::procs::{process_alive, process_tree};
pub use self::provision::system_program;
pub use self::wait::wait_until;
