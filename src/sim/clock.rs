//! The virtual clock. Time only moves when the driver says so (`Cluster::advance`), never by
//! itself: this is what lets 25 hours pass in microseconds and makes runs reproducible. The
//! cluster keeps "now" in milliseconds (`Cluster::now_ms`); API objects see whole seconds.

use crate::api::Time;

/// Default start of virtual time: 2030-01-01T00:00:00Z.
pub const DEFAULT_START: Time = Time(1_893_456_000);
