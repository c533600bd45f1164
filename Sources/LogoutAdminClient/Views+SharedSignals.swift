import LogoutAdminAPI
import LogoutCore

extension Views {
    /// `ssf receivers list`.
    public static func receivers(_ list: ReceiverList, now: Timestamp) -> Table {
        var table = Table(["NAME", "STREAMS", "OAUTH", "CREATED"])
        for receiver in list.receivers {
            let oauth = receiver.oauthIssuer.map { "\($0) client_id \(receiver.oauthClientID ?? receiver.name)" }
            table.add([
                .init(receiver.name), .init(String(receiver.streams)),
                .init(oauth ?? "-", oauth == nil ? .dim : .plain),
                .init(RelativeTime.describe(receiver.createdAt, now: now), .dim),
            ])
        }
        return table
    }

    /// `ssf streams list`.
    public static func streams(_ list: StreamList, now: Timestamp) -> Table {
        var table = Table(["STREAM", "RECEIVER", "STATUS", "DELIVERY", "ENDPOINT", "CREATED"])
        for stream in list.streams {
            let method =
                switch stream.deliveryMethod {
                case SSFDeliveryMethod.push.rawValue: "push"
                case SSFDeliveryMethod.poll.rawValue: "poll"
                default: stream.deliveryMethod
                }
            table.add([
                .init(stream.streamID), .init(stream.receiver),
                stream.breaker == "closed"
                    ? .init(stream.status, stream.status == "enabled" ? .plain : .dim)
                    : .init(stream.status + ", breaker " + stream.breaker, .bad),
                .init(method),
                .init(stream.endpointURL), .init(RelativeTime.describe(stream.createdAt, now: now), .dim),
            ])
        }
        return table
    }

    /// `ssf streams sets ID`.
    public static func securityEvents(_ list: SecurityEventList, now: Timestamp) -> Table {
        var table = Table(["SET", "EVENT", "STATUS", "ATTEMPTS", "HTTP", "CREATED", "ERROR"])
        for set in list.sets {
            table.add([
                .init(String(set.jti.prefix(12))), .init(set.eventID.map(String.init) ?? "verify"),
                .init(set.status), .init(String(set.attempts)), .init(set.lastStatusCode.map(String.init) ?? "-"),
                .init(RelativeTime.describe(set.createdAt, now: now), .dim), .init(set.error ?? ""),
            ])
        }
        return table
    }

    /// An issuer's stream at its transmitter in one cell: delivery and state, in red while its
    /// last step failed.
    static func upstream(_ ssf: UpstreamStreamView?) -> Table.Cell {
        guard let ssf else { return .init("-", .dim) }
        let text = ssf.delivery + " " + ssf.state
        if ssf.lastError != nil { return .init(text + " (failing)", .bad) }
        return .init(text, ssf.state == "verified" ? .good : .warning)
    }

    /// `logoutd issuers show`: the issuer's settings and its stream at its transmitter.
    public static func issuer(_ issuer: IssuerResource) -> Table {
        var table = Table(["FIELD", "VALUE"])
        var fields: [(String, String)] = [
            ("name", issuer.name), ("issuer", issuer.issuer), ("audience", issuer.audience),
            ("keys", issuer.keySource == "jwks_uri" ? issuer.jwksURI ?? "jwks_uri" : issuer.keySource),
            ("algorithms", issuer.algorithms.joined(separator: ",")),
            ("end_session_endpoint", issuer.endSessionEndpoint ?? "-"),
            ("revocation_endpoint", issuer.revocationEndpoint ?? "-"), ("client_id", issuer.clientID ?? "-"),
            ("frontchannel_intake", issuer.frontchannelIntake ? "on: /frontchannel-logout/\(issuer.name)" : "off"),
            ("created_at", issuer.createdAt.rfc3339),
        ]
        if let ssf = issuer.ssf {
            fields += [
                ("ssf.configuration_url", ssf.configurationURL), ("ssf.delivery", ssf.delivery),
                ("ssf.state", ssf.state), ("ssf.stream_id", ssf.streamID ?? "-"),
                ("ssf.verified_at", ssf.verifiedAt?.rfc3339 ?? "-"),
                ("ssf.last_polled_at", ssf.lastPolledAt?.rfc3339 ?? "-"),
                ("ssf.last_error", ssf.lastError.map { "\($0) (\(ssf.lastErrorAt?.rfc3339 ?? "-"))" } ?? "-"),
            ]
        } else {
            fields.append(("ssf", "-"))
        }
        for (field, value) in fields { table.add([.init(field, .dim), .init(value)]) }
        return table
    }
}
