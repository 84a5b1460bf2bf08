//! Patch application for every patch type: the first byte picks the type, the rest is a JSON
//! array `[document, patch]`.
#![no_main]

use csrsim::registry::patch;
use csrsim::sim::PatchType;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&t, rest)) = data.split_first() else {
        return;
    };
    let t = match t % 4 {
        0 => PatchType::Json,
        1 => PatchType::Merge,
        2 => PatchType::StrategicMerge,
        _ => PatchType::Apply,
    };
    let Ok((doc, p)) = serde_json::from_slice::<(Value, Value)>(rest) else {
        return;
    };
    match patch::apply(t, &doc, &p, false) {
        Ok(out) => {
            // The result serializes, and a merge patch is idempotent.
            let _ = serde_json::to_vec(&out).expect("patched value serializes");
            // fieldValidation on the patched object (a CSR patch's check): never panics,
            // refuses only with 422, and Warn/Ignore never refuse.
            for v in ["Strict", "Warn", "Ignore", ""] {
                match csrsim::registry::csr::strict_patch_check(
                    &csrsim::api::csr::go_types::CSR,
                    t,
                    &doc,
                    &p,
                    &out,
                    v,
                    None,
                ) {
                    Ok(_) => {}
                    Err(s) => assert!(v == "Strict" && s.code == 422, "{v}: {s:?}"),
                }
            }
            if t == PatchType::Merge {
                assert_eq!(patch::apply(t, &out, &p, false).ok(), Some(out));
            }
        }
        Err(s) => assert!((400..500).contains(&s.code), "patch error {s:?}"),
    }
});
