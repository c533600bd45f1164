import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import LogoutDelivery

/// An exchange's deadline is its own: once answered, it cannot cut the connection it ran on.
@Suite struct ExchangeDeadlineTests {
    /// An exchange with a 5 s deadline, answered at once on a connection already open; 5.5 s
    /// later the connection is still open and carries the next exchange. A deadline left running
    /// by the answered exchange would have closed it. The other exchanges' deadlines are
    /// generous: only the subject's is short, and on a loaded machine (the whole suite on two
    /// cores) a first connection took seconds.
    @Test func anAnsweredExchangeLeavesNoDeadlineRunning() async throws {
        let rp = try await CountingServer.start()
        let connections = DeliveryConnections(
            connectTimeout: .seconds(30),
            maximumIdlePerHost: 8,
            maximumBodyBytes: 4096,
            group: DeliveryConnectionsTests.loops
        )
        for (index, timeout) in [Duration.seconds(30), .seconds(5), .seconds(30)].enumerated() {
            if index == 2 { try await Task.sleep(for: .milliseconds(5_500)) }
            #expect(rp.closed == 0)
            let answer = try await connections.post(
                url: URL(string: "http://127.0.0.1:\(rp.port)/bcl")!,
                address: nil,
                headers: HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")]),
                body: ByteBuffer(string: "logout_token=t\(index)"),
                timeout: timeout
            )
            #expect(answer.status == 200 && answer.reusable)
        }
        #expect(rp.accepted == 1 && rp.closed == 0 && rp.requests.count == 3)
        await connections.shutdown()
        try await rp.stop()
    }
}
