//! Test helpers: a daemon under test, deadline-bound waiting, and provisioning of real peer
//! servers.

pub mod daemon;
pub mod peers;
pub mod procs;
pub mod wait;

pub use self::daemon::TestDaemon;
pub use self::procs::{process_alive, process_tree};
pub use self::wait::wait_until;
