#if canImport(Glibc)
    import Glibc
#endif

/// The open-files limit (SEC-4): every connection and every SQLite file costs a descriptor, and
/// the classic soft limit of 1,024 is reached by a few hundred slow clients. The hard limit is
/// what the administrator (or systemd's `LimitNOFILE=`) allows; we take all of it at start.
enum FileLimit {
    @discardableResult
    static func raiseSoftLimitToHard() -> (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }
}
