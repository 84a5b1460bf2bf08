//! Validation: field errors with upstream text, and the CSR rules of
//! `pkg/apis/certificates/validation/validation.go`.

pub mod csr;
pub mod field;
pub mod goasn1;
pub mod gox509;
pub mod meta;
pub mod names;
pub mod rbac;

pub use field::{ErrorKind, FieldError};
