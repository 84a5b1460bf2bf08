//! PKI: PEM, CSR parsing, CA material, certificate construction.
