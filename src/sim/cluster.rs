//! Placeholder; replaced by the real Cluster.
pub struct Config;
pub struct Cluster;
