#if canImport(Glibc)
    import Glibc
#endif

/// The CPU this process has used, user and system, in microseconds: the floor is CPU per unit
/// of work, as the benchmark reads logoutd's from `/proc`.
enum CPUTime {
    static func microseconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let user = Double(usage.ru_utime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec)
        let system = Double(usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_stime.tv_usec)
        return user + system
    }

    /// CPU µs per unit of `body`'s work (it returns how many units it did), and the units.
    static func perUnit(_ body: () throws -> Int) rethrows -> (microseconds: Double, units: Int) {
        let before = microseconds()
        let units = try body()
        return ((microseconds() - before) / Double(max(units, 1)), units)
    }
}
