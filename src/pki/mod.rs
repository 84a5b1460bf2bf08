//! PKI: PEM, CSR parsing, CA material, certificate construction.
pub mod gopem;
