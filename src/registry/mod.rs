//! Registry strategies: what each write path does to an object before validation, plus the
//! generic machinery (selectors, patches) every resource shares.

pub mod apply;
pub mod continue_token;
pub mod csr;
pub mod decode;
pub mod deletion;
pub mod managed_fields;
pub mod metrics;
pub mod namespace;
pub mod patch;
pub mod secret;
pub mod selectors;
