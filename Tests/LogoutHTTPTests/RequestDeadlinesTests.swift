import LogoutHTTP
import NIOCore
import Testing

/// SEC-4: slow clients. The deadlines as rows of a table, on a clock the test holds.
@Suite struct RequestDeadlinesTests {
    let timeouts = RequestDeadlines.Timeouts(header: .seconds(10), body: .seconds(10), idle: .seconds(60))
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func at(_ seconds: Int64) -> NIODeadline { t0 + .seconds(seconds) }

    @Test func aHalfSentRequestHeadIsClosedAtTheHeaderDeadline() {
        let machine = RequestDeadlines(timeouts: timeouts, openedAt: t0)
        #expect(machine.initialAction == .arm(at(10)))
        // Trickling bytes does not move the deadline: nothing but a complete head does.
        #expect(machine.timerFired(now: at(9)) == .arm(at(10)))
        #expect(machine.timerFired(now: at(10)) == .close)
    }

    @Test func aSlowBodyIsClosedAtTheBodyDeadline() {
        var machine = RequestDeadlines(timeouts: timeouts, openedAt: t0)
        #expect(machine.headReceived(now: at(2)) == .arm(at(12)))
        #expect(machine.timerFired(now: at(12)) == .close)
    }

    @Test func noDeadlineRunsWhileWeAnswer() {
        var machine = RequestDeadlines(timeouts: timeouts, openedAt: t0)
        _ = machine.headReceived(now: at(1))
        #expect(machine.requestEnded() == .disarm)
        #expect(machine.timerFired(now: at(500)) == .none)
    }

    @Test func aKeptAliveConnectionGetsTheIdleTimeoutForItsNextRequest() {
        var machine = RequestDeadlines(timeouts: timeouts, openedAt: t0)
        _ = machine.headReceived(now: at(1))
        _ = machine.requestEnded()
        #expect(machine.responseEnded(now: at(3)) == .arm(at(63)))
        #expect(machine.timerFired(now: at(62)) == .arm(at(63)))
        #expect(machine.timerFired(now: at(63)) == .close)
        // The next request resets the cycle.
        #expect(machine.headReceived(now: at(62)) == .arm(at(72)))
    }

    @Test func aPipelinedRequestKeepsItsOwnDeadline() {
        var machine = RequestDeadlines(timeouts: timeouts, openedAt: t0)
        _ = machine.headReceived(now: at(1))
        _ = machine.requestEnded()
        _ = machine.headReceived(now: at(2))  // the next request arrives before our answer ends
        #expect(machine.responseEnded(now: at(3)) == .none)
        #expect(machine.timerFired(now: at(12)) == .close)
    }
}
