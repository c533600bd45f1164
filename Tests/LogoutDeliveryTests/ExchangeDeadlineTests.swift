import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import LogoutDelivery

/// An exchange's deadline is its own: the next exchange on the same kept-alive connection is not
/// cut by the one before's.
@Suite struct ExchangeDeadlineTests {
    /// Three exchanges on one connection, each with a 1 s deadline, 1.2 s in all: a deadline
    /// left running by an answered exchange would fail the third.
    @Test func anAnsweredExchangeLeavesNoDeadlineRunning() async throws {
        let rp = try await CountingServer.start()
        let connections = DeliveryConnections(
            connectTimeout: .seconds(2),
            maximumIdlePerHost: 8,
            maximumBodyBytes: 4096,
            group: DeliveryConnectionsTests.loops
        )
        for index in 0..<3 {
            if index > 0 { try await Task.sleep(for: .milliseconds(600)) }
            let answer = try await connections.post(
                url: URL(string: "http://127.0.0.1:\(rp.port)/bcl")!,
                address: nil,
                headers: HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")]),
                body: ByteBuffer(string: "logout_token=t\(index)"),
                timeout: .seconds(1)
            )
            #expect(answer.status == 200 && answer.reusable)
        }
        #expect(rp.accepted == 1 && rp.requests.count == 3)
        await connections.shutdown()
        try await rp.stop()
    }
}
