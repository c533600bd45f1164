import LogoutCore
import Testing

/// SEC-4: refusals from one address are one log line per interval, with the count it stands for.
@Suite struct LogThrottleTests {
    @Test func oneLinePerKeyPerIntervalWithTheCountLeftOut() {
        var throttle = LogThrottle(interval: .seconds(60))
        let start = ContinuousClock.now
        #expect(throttle.admit("a", now: start) == 0)
        for second in 1...59 { #expect(throttle.admit("a", now: start + .seconds(second)) == nil) }
        #expect(throttle.admit("b", now: start + .seconds(1)) == 0, "another address has its own line")
        #expect(throttle.admit("a", now: start + .seconds(60)) == 59)
        #expect(throttle.admit("a", now: start + .seconds(61)) == nil)
        #expect(throttle.admit("a", now: start + .seconds(200)) == 1)
    }

    @Test func theTableStaysBounded() {
        var throttle = LogThrottle(interval: .seconds(60), maximumKeys: 100)
        let start = ContinuousClock.now
        for key in 0..<1000 { #expect(throttle.admit("k\(key)", now: start) == 0) }
        #expect(throttle.trackedKeys <= 100)
    }
}
