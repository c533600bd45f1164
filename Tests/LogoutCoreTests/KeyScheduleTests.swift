import LogoutCore
import Testing

/// OUT-4: publish the next key before it signs, keep the old one published for longer than RPs
/// cache our JWKS. One row per moment of a rotation, with a 24 h overlap.
@Suite struct KeyScheduleTests {
    static let schedule = KeySchedule(overlap: .seconds(86_400))
    static let day: Int64 = 86_400_000
    static func at(_ hours: Double) -> Timestamp {
        Timestamp(millisecondsSince1970: 1_000 * day + Int64(hours * 3_600_000))
    }

    /// K1 signs from hour 0; `rotate` at hour 10 publishes K2, which signs from hour 34.
    static let keys = [
        KeySchedule.Key(keyID: "K1", algorithm: .es256, publishedAt: at(0), signsFrom: at(0)),
        KeySchedule.Key(keyID: "K2", algorithm: .es256, publishedAt: at(10), signsFrom: at(34)),
    ]

    @Test(arguments: [
        (10.0, "K1", KeySchedule.State.active, KeySchedule.State.next),  // rotate: K2 published, K1 still signs
        (33.9, "K1", .active, .next),  // the whole overlap: RPs fetch K2 before it signs
        (34.0, "K2", .retiring, .active),  // the switch: K2 signs, K1 still published
        (57.9, "K2", .retiring, .active),  // tokens K1 signed before the switch still verify
        (58.0, "K2", .retired, .active),  // K2 has signed for the overlap: K1 is withdrawn
    ])
    func rotation(hour: Double, signer: String, first: KeySchedule.State, second: KeySchedule.State) {
        let statuses = Self.schedule.statuses(Self.keys, now: Self.at(hour))
        #expect(statuses.map(\.state) == [first, second])
        #expect(Self.schedule.active(.es256, among: Self.keys, now: Self.at(hour))?.keyID == signer)
        #expect(statuses[0].retiresAt == Self.at(58))
        #expect(statuses[0].isPublished == (first != .retired))
    }

    @Test func algorithmsRotateIndependently() {
        let keys =
            Self.keys + [
                KeySchedule.Key(keyID: "R1", algorithm: .rs256, publishedAt: Self.at(0), signsFrom: Self.at(0))
            ]
        let statuses = Self.schedule.statuses(keys, now: Self.at(40))
        #expect(statuses.map(\.key.keyID) == ["K1", "K2", "R1"])
        #expect(statuses.map(\.state) == [.retiring, .active, .active])
    }

    @Test func whenNothingIsDueTheEarliestKeySigns() {
        let future = [KeySchedule.Key(keyID: "K", algorithm: .edDSA, publishedAt: Self.at(0), signsFrom: Self.at(5))]
        #expect(Self.schedule.statuses(future, now: Self.at(1)).map(\.state) == [.active])
    }

    @Test func aNewKeySignsAtOnceOnlyWhenItIsTheFirstOrTheOperatorSaysSo() {
        let now = Self.at(10)
        #expect(Self.schedule.signsFrom(newKeyOf: .es256, existing: [], now: now) == now)
        #expect(Self.schedule.signsFrom(newKeyOf: .rs256, existing: Self.keys, now: now) == now)
        #expect(Self.schedule.signsFrom(newKeyOf: .es256, existing: Self.keys, now: now) == Self.at(34))
        #expect(Self.schedule.signsFrom(newKeyOf: .es256, existing: Self.keys, now: now, immediately: true) == now)
    }

    @Test func aRetiringKeyStaysPublishedForTheOverlapAfterAnEmergencySwitch() {
        let keys = [
            KeySchedule.Key(keyID: "K1", algorithm: .es256, publishedAt: Self.at(0), signsFrom: Self.at(0)),
            KeySchedule.Key(keyID: "K2", algorithm: .es256, publishedAt: Self.at(10), signsFrom: Self.at(10)),
        ]
        let statuses = Self.schedule.statuses(keys, now: Self.at(10))
        #expect(statuses.map(\.state) == [.retiring, .active])
        #expect(statuses[0].retiresAt == Self.at(34))
    }

    /// The signer kept by a caller while `holds(at:)` is what deciding again would give, around
    /// every switch: before any key is due, two keys switching at the same instant (the later id
    /// signs), a later key, and an instant long before all of them (a clock stepped back).
    @Test(
        arguments: [
            (-2.0, "F", nil, 1.0), (0.5, "F", nil, 1.0), (1.0, "T2", 1.0, 20.0), (19.9, "T2", 1.0, 20.0),
            (20.0, "L", 20.0, nil), (500.0, "L", 20.0, nil),
        ] as [(Double, String, Double?, Double?)]
    )
    func aSignerHoldsUntilTheNextKeysSwitch(hour: Double, signer: String, from: Double?, until: Double?) throws {
        let keys = [
            KeySchedule.Key(keyID: "T2", algorithm: .es256, publishedAt: Self.at(0), signsFrom: Self.at(1)),
            KeySchedule.Key(keyID: "F", algorithm: .es256, publishedAt: Self.at(0), signsFrom: Self.at(1)),
            KeySchedule.Key(keyID: "L", algorithm: .es256, publishedAt: Self.at(0), signsFrom: Self.at(20)),
            KeySchedule.Key(keyID: "R", algorithm: .rs256, publishedAt: Self.at(0), signsFrom: Self.at(3)),
        ]
        let now = Self.at(hour)
        let window = try #require(Self.schedule.signing(.es256, among: keys, now: now))
        #expect(window.key.keyID == Self.schedule.active(.es256, among: keys, now: now)?.keyID)
        // Before any key is due the earliest signs ("F" and "T2" tie on `signsFrom`: "F" sorts
        // first); from their instant on, the last of the tie ("T2").
        #expect(window.key.keyID == signer)
        #expect(window.from == from.map(Self.at) && window.until == until.map(Self.at))
        // Wherever it holds, deciding again gives the same key; just outside, it does not hold.
        for probe in [window.from, window.until.map { $0 + .milliseconds(-1) }].compactMap({ $0 }) {
            #expect(window.holds(at: probe))
            #expect(Self.schedule.active(.es256, among: keys, now: probe)?.keyID == window.key.keyID)
        }
        if let until = window.until { #expect(!window.holds(at: until)) }
        if let from = window.from { #expect(!window.holds(at: from + .milliseconds(-1))) }
        #expect(Self.schedule.signing(.edDSA, among: keys, now: now) == nil)
    }
}
