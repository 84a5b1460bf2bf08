//! JSON request bodies through `Cluster::apply`: creates, updates and patches of CSRs, RBAC
//! objects and Secrets, reviews, lists and watches, as admin and as unprivileged users.
//! The input is a request script (see `fuzz/script.rs`); every answer must be 2xx or 4xx.
#![no_main]

#[path = "../script.rs"]
mod script;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = script::run(text) {
        panic!("server error: {e}");
    }
});
