//! Built-in signer policies, one file per signer.
