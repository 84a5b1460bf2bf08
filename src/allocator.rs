//! Allocator tuning shared by the `csrsim` binary and the benchmarks, so a benchmark's figure
//! is the product's.

/// mimalloc 3's `purge_delay` option (`mi_option_purge_delay` in its `mimalloc.h`; the Rust
/// bindings do not export the constant).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// Keep freed pages committed this long before returning them to the OS. mimalloc's default
/// (10 ms) made a busy server give pages back and fault them in again continuously: zeroing
/// fresh pages was ~4 % of the CPU of a 1,000-watcher fan-out. The server still returns all
/// free memory once its start-up work is done (`mi_collect(true)` purges regardless).
const PURGE_DELAY_MS: std::os::raw::c_long = 1000;

/// Set mimalloc's purge delay to [`PURGE_DELAY_MS`] (call first thing in `main`).
pub fn slow_memory_purge() {
    // SAFETY: option reads/writes are plain atomics inside mimalloc. The default is checked
    // first so a mimalloc with a different option layout is left alone.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == 10 {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
}
