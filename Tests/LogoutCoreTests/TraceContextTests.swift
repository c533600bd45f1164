import LogoutCore
import Testing

/// TRACE-1: only a well-formed W3C `traceparent` is kept with an event, and only a bounded,
/// printable `tracestate`; what is kept reads back from its column as it was.
struct TraceContextTests {
    static let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test(arguments: [
        (valid, true),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true),  // not sampled: still one trace
        ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future", true),  // a later version, read by 4 fields
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false),  // version 00 has exactly 4
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false),  // version ff is invalid
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", false),  // all-zero trace id
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false),  // all-zero parent id
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false),  // upper-case hex
        ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false),  // short trace id
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", false),  // no flags
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", false),  // not hex
        ("", false),
    ])
    func traceparentIsKeptOnlyWhenWellFormed(header: String, kept: Bool) {
        #expect((TraceContext(traceparent: header) != nil) == kept)
    }

    @Test func itsIdsAreReadFromTheHeader() throws {
        let context = try #require(TraceContext(traceparent: Self.valid))
        #expect(context.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.spanID == "00f067aa0ba902b7")
        let future = try #require(
            TraceContext(traceparent: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")
        )
        #expect(future.traceparent == "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    }

    @Test(
        arguments: [
            ("vendor=a,other=b", "vendor=a,other=b"),
            (" vendor=a , other=b ", "vendor=a,other=b"),
            ("vendor=a,\u{7F}", nil),  // not printable: dropped whole
            (",,", nil),
            (String(repeating: "k=v,", count: 200), String(repeating: "k=v,", count: 128).dropLast().description),
        ] as [(String, String?)]
    )
    func tracestateIsBoundedAndPrintable(header: String, kept: String?) throws {
        let context = try #require(TraceContext(traceparent: Self.valid, tracestate: header))
        #expect(context.tracestate == kept)
        #expect((context.tracestate?.utf8.count ?? 0) <= TraceContext.tracestateLimit)
    }

    @Test(arguments: [nil, "vendor=a, other=b"] as [String?])
    func whatIsStoredReadsBack(tracestate: String?) throws {
        let context = try #require(TraceContext(traceparent: Self.valid, tracestate: tracestate))
        #expect(TraceContext(stored: context.stored) == context)
        #expect(context.headers.map(\.name) == (tracestate == nil ? ["traceparent"] : ["traceparent", "tracestate"]))
    }

    @Test func aStoredValueThatIsNotOneIsNotRead() {
        #expect(TraceContext(stored: "garbage") == nil)
        #expect(TraceContext(stored: "garbage " + Self.valid) == nil)
    }
}
