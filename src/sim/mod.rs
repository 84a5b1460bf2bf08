//! The simulation kernel: virtual clock, timers, seeded RNG streams, trace, and the
//! [`Cluster`] that wires store, rules and controllers together.

pub mod clock;
pub mod cluster;
pub mod request;
pub mod rng;
pub mod trace;
pub mod watch_filter;

pub use cluster::{Cluster, Config};
pub use request::{ApiRequest, ApiResponse, PatchType, Verb, WatchCursor, WatchStream};
pub use watch_filter::WatchFilter;
