//! Process limits, set once at start by the `csrsim` binary (an edge: it changes the process,
//! never the simulation).

/// Raise the soft limit on open files to the hard limit, as every Go program does at start
/// since Go 1.19 (`os/rlimit.go`, go.dev/issue/46279) — kube-apiserver, etcd and kubectl
/// included. Without it a server under a common soft limit of 1,024 refuses connections (at
/// `accept`, EMFILE) long before `--max-connections` (4,096), and a watch fan-out bench with
/// 1,000 watchers runs out of descriptors. Returns the (old, new) soft limit.
pub fn raise_open_files() -> std::io::Result<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write one rlimit through a valid pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let old = lim.rlim_cur;
        if lim.rlim_cur != lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok((old, lim.rlim_cur))
    }
}

#[cfg(test)]
mod tests {
    /// The soft limit ends at the hard limit (already there in most test environments; the
    /// process-level test is `open_files_soft_limit_is_raised_to_the_hard_limit` in
    /// `tests/os_limits.rs`, which starts the server under a low soft limit).
    #[test]
    fn soft_limit_reaches_the_hard_limit() {
        let (_, new) = super::raise_open_files().unwrap();
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as above.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
        assert_eq!(lim.rlim_cur, lim.rlim_max);
        assert_eq!(new, lim.rlim_cur);
    }
}
