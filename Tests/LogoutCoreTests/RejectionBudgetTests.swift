import LogoutCore
import Testing

/// SEC-4: the budget of rejected requests per client and per issuer.
@Suite struct RejectionBudgetTests {
    let start = ContinuousClock.now

    func accounts(client: String = "client:a", issuer: String = "issuer:unknown") -> [RejectionBudget.Account] {
        [.init(issuer, perMinute: 600), .init(client, perMinute: 120)]
    }

    @Test func aConformanceRunFitsAFloodDoesNot() {
        var budget = RejectionBudget()
        // ≥ 100 rejections per address per minute before any 429 (a conformance run).
        for index in 0..<120 {
            #expect(budget.charge(accounts(), now: start) == .record, "rejection \(index)")
        }
        guard case .exhausted(let account, let wait) = budget.charge(accounts(), now: start) else {
            Issue.record("the 121st rejection in a minute was recorded")
            return
        }
        #expect(account == "client:a")
        #expect(wait == .milliseconds(500))  // one token every 0.5 s at 120 per minute
    }

    @Test func theBudgetRefillsWithTime() {
        var budget = RejectionBudget()
        for _ in 0..<120 { _ = budget.charge(accounts(), now: start) }
        #expect(budget.charge(accounts(), now: start + .milliseconds(400)) != .record)
        #expect(budget.charge(accounts(), now: start + .milliseconds(500)) == .record)
        #expect(budget.charge(accounts(), now: start + .milliseconds(500)) != .record)
        for index in 0..<120 {
            #expect(budget.charge(accounts(), now: start + .seconds(61)) == .record, "after a minute: \(index)")
        }
    }

    @Test func clientsHaveTheirOwnBudgetsAndShareTheIssuers() {
        var budget = RejectionBudget()
        for client in 0..<5 {
            for _ in 0..<120 {
                #expect(budget.charge(accounts(client: "client:\(client)"), now: start) == .record)
            }
        }
        // 600 rejections charged to "unknown" from five clients: the sixth client is refused too.
        guard case .exhausted(let account, _) = budget.charge(accounts(client: "client:new"), now: start) else {
            Issue.record("the issuer's budget did not hold")
            return
        }
        #expect(account == "issuer:unknown")
    }

    @Test func aRefusedChargeCostsNothing() {
        var budget = RejectionBudget()
        for _ in 0..<120 { _ = budget.charge(accounts(client: "client:flood"), now: start) }
        for _ in 0..<1000 { _ = budget.charge(accounts(client: "client:flood"), now: start) }
        // The flooder's refused attempts did not spend the issuer's budget.
        for client in 0..<4 {
            for _ in 0..<120 { #expect(budget.charge(accounts(client: "client:\(client)"), now: start) == .record) }
        }
    }

    @Test func theTableOfBucketsIsBounded() {
        var budget = RejectionBudget(maximumKeys: 100)
        for client in 0..<1000 {
            _ = budget.charge([.init("client:\(client)", perMinute: 120)], now: start + .milliseconds(Int64(client)))
        }
        #expect(budget.trackedKeys <= 100)
    }
}

@Suite struct ClientAddressTests {
    @Test(arguments: [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::9", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::1", "0:0:0:0::/64"),
        ("fe80::1%eth0", "fe80:0:0:0::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
    ])
    func budgetKey(address: String, key: String) {
        #expect(ClientAddress.budgetKey(address) == key)
    }
}
