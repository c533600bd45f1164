import LogoutJWT
import Testing

@Suite struct DigestsTests {
    /// Stream ids are typed on the command line (`logoutd ssf streams sets ID`): one starting
    /// with `-` was read as an option, about once in 64 streams.
    @Test func argumentIdentifiersNeverLookLikeAnOption() {
        let ids = (0..<4096).map { _ in Digests.randomArgumentIdentifier() }
        #expect(!ids.contains { $0.hasPrefix("-") })
        #expect(Set(ids).count == ids.count && ids.allSatisfy { $0.count == 22 })
        // Without the rule, 4,096 identifiers hold one starting with `-` but for a chance of e^-64.
        #expect((0..<4096).contains { _ in Digests.randomIdentifier().hasPrefix("-") })
    }
}
