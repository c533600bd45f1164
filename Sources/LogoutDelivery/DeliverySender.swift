import AsyncHTTPClient
import Foundation
import Logging
import LogoutCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// POSTs one logout token to one RP and reports what happened (DEL-1 to DEL-6).
///
/// It decides nothing: classification and retries are the core's. It never follows redirects,
/// reads at most 4 KiB of an answer, and cuts the whole attempt at one deadline, which covers the
/// address check, the connection, the exchange and a trickled body alike. The exchange runs on
/// `DeliveryConnections`, kept-alive HTTP/1.1 connections per RP.
public struct DeliverySender: Sendable {
    public static let maximumResponseBytes = 4096

    private let clients: GuardedHTTPClients

    public init(clients: GuardedHTTPClients) {
        self.clients = clients
    }

    /// - Parameter trace: the attempt's span, sent as `traceparent` and `tracestate` so that the
    ///   RP's own traces join the logout's (TRACE-2).
    public func send(
        token: String,
        to uri: String,
        timeout: Duration,
        trace: TraceContext? = nil
    ) async -> AttemptResult {
        await post(
            body: "logout_token=" + token,
            contentType: "application/x-www-form-urlencoded",
            to: uri,
            field: "backchannel_logout_uri",
            timeout: timeout,
            trace: trace
        )
    }

    /// POSTs a form body (already encoded) with an optional `Authorization` header, under the same
    /// rules as a delivery: no redirects, a bounded answer, one deadline. `field` names the URL's
    /// setting in errors.
    public func post(
        form: String,
        authorization: String? = nil,
        to uri: String,
        field: String,
        timeout: Duration,
        trace: TraceContext? = nil
    ) async -> AttemptResult {
        await post(
            body: form,
            contentType: "application/x-www-form-urlencoded",
            authorization: authorization,
            to: uri,
            field: field,
            timeout: timeout,
            trace: trace
        )
    }

    /// The same for any body: a pushed SET is `application/secevent+jwt` (RFC 8935 §2).
    public func post(
        body: String,
        contentType: String,
        authorization: String? = nil,
        to uri: String,
        field: String,
        timeout: Duration,
        trace: TraceContext? = nil
    ) async -> AttemptResult {
        guard let endpoint = clients.endpoints.endpoint(uri) else {
            return .transportFailure(.blocked, detail: "the \(field) is not an http(s) URL")
        }
        let started = ContinuousClock.now
        do {
            let address = try await clients.checkedAddress(for: endpoint, timeout: timeout)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "User-Agent", value: "logoutd")
            if let authorization { headers.add(name: "Authorization", value: authorization) }
            for header in trace?.headers ?? [] { headers.add(name: header.name, value: header.value) }
            let answer = try await clients.connections.post(
                to: endpoint,
                address: address,
                headers: headers,
                body: ByteBuffer(string: body),
                timeout: timeout - started.duration(to: .now)
            )
            var rpError: String?
            if !(200..<400).contains(answer.status) {
                rpError = RPErrorText.extract(
                    from: answer.body,
                    contentType: answer.headers.first(name: "Content-Type")
                )
            }
            return .response(
                HTTPAnswer(
                    status: answer.status,
                    location: answer.headers.first(name: "Location").map { String($0.prefix(512)) },
                    retryAfter: answer.headers.first(name: "Retry-After"),
                    rpError: rpError,
                    remoteAddress: answer.remoteAddress
                )
            )
        } catch {
            return TransportErrorClassifier.classify(error)
        }
    }
}

/// The attempt's deadline passed (`withDeadline` and the connections' own timers).
struct DeadlineExceeded: Error {}

/// The `error` and `error_description` of an RP's JSON error answer (BCL §2.8), the `err` and
/// `description` of a SET receiver's (RFC 8935 §2.3), or a short, printable excerpt of any other
/// body.
enum RPErrorText {
    static func extract(from body: [UInt8], contentType: String?) -> String? {
        guard !body.isEmpty else { return nil }
        if let json = try? StrictJSONParser.parse(body), let object = json.objectValue {
            let error = (object["error"] ?? object["err"])?.stringValue
            let description = (object["error_description"] ?? object["description"])?.stringValue
            switch (error, description) {
            case (let error?, let description?): return sanitize("\(error): \(description)")
            case (let error?, nil): return sanitize(error)
            case (nil, let description?): return sanitize(description)
            default: break
            }
        }
        let text = String(decoding: body.prefix(2048), as: UTF8.self)
        if contentType?.lowercased().contains("html") == true || text.hasPrefix("<") {
            return sanitize(stripTags(text))
        }
        return sanitize(String(text.prefix(200)))
    }

    /// The visible text of an HTML error page (Apache and most proxies answer errors in HTML),
    /// so the attempt log reads "400 Bad Request …" rather than a doctype.
    static func stripTags(_ html: String) -> String {
        var text = ""
        var inTag = false
        for character in html {
            switch character {
            case "<": inTag = true
            case ">":
                inTag = false
                text.append(" ")
            default: if !inTag { text.append(character) }
            }
        }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func sanitize(_ text: String) -> String {
        let cleaned = text.unicodeScalars.map {
            $0.properties.isWhitespace ? " " : ($0.value < 0x20 ? "?" : String($0))
        }
        .joined()
        return String(cleaned.prefix(200)).trimmingCharacters(in: .whitespaces)
    }
}
