//! Validation: field errors with upstream text, and the CSR rules of
//! `pkg/apis/certificates/validation/validation.go`.

pub mod field;

pub use field::{ErrorKind, FieldError};
