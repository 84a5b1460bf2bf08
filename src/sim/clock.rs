//! The virtual clock. Time only moves when the driver says so (`Cluster::advance`), never by
//! itself: this is what lets 25 hours pass in microseconds and makes runs reproducible.

use crate::api::Time;

/// Default start of virtual time: 2030-01-01T00:00:00Z.
pub const DEFAULT_START: Time = Time(1_893_456_000);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    now: Time,
}

impl Clock {
    pub fn new(start: Time) -> Self {
        Clock { now: start }
    }
    pub fn now(&self) -> Time {
        self.now
    }
    /// Move to `t`; time never goes backwards.
    pub fn set(&mut self, t: Time) {
        if t > self.now {
            self.now = t;
        }
    }
}
