//! Request body decoding as `csrsim serve` does it, before `Cluster::apply`: JSON, YAML and
//! Kubernetes protobuf bodies by Content-Type, and patch documents (apply patches may be
//! YAML). The first byte picks the content type. Every error must be a 4xx Status.
#![no_main]

use csrsim::server::negotiation::{decode_object, decode_patch};
use csrsim::sim::PatchType;
use libfuzzer_sys::fuzz_target;

const TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
    "application/json; charset=utf-8",
    "text/plain",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let r = if sel & 0x80 == 0 {
        decode_object(TYPES[sel as usize % TYPES.len()], body)
    } else {
        let pt = match sel % 4 {
            0 => PatchType::Json,
            1 => PatchType::Merge,
            2 => PatchType::StrategicMerge,
            _ => PatchType::Apply,
        };
        decode_patch(pt, body)
    };
    match r {
        Ok(v) => {
            // Whatever decodes either passes the core's depth check or is refused by it.
            if csrsim::api::depth::check_depth(&v).is_err() {
                csrsim::api::depth::drop_flat(v);
            }
        }
        Err(s) => assert!((400..500).contains(&s.code), "{s:?}"),
    }
});
