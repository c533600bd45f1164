import AsyncHTTPClient
import Foundation
import LogoutCore
import NIOCore
import NIOPosix

/// Maps client-side failures to the error classes of the attempt log (ADM-2).
enum TransportErrorClassifier {
    static func classify(_ error: any Error) -> AttemptResult {
        switch error {
        case is DeadlineExceeded:
            return .transportFailure(.timeout, detail: "no answer within the delivery timeout")
        case let guardError as GuardedHTTPClients.GuardError:
            switch guardError {
            case .refused(let text): return .transportFailure(.blocked, detail: text)
            case .invalidURL(let text): return .transportFailure(.blocked, detail: text)
            case .resolution(let text): return .transportFailure(.dns, detail: text)
            }
        case let clientError as HTTPClientError:
            switch clientError {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout, .tlsHandshakeTimeout:
                return .transportFailure(.timeout, detail: "timeout (\(clientError))")
            case .remoteConnectionClosed:
                return .transportFailure(.connection, detail: "the RP closed the connection")
            default:
                return .transportFailure(.connection, detail: String(describing: clientError))
            }
        case is CancellationError:
            return .transportFailure(.timeout, detail: "the attempt was cancelled")
        default:
            break
        }
        let text = String(describing: error)
        let lowered = text.lowercased()
        if lowered.contains("connection refused") || lowered.contains("econnrefused") || lowered.contains("errno: 111")
        {
            return .transportFailure(.refused, detail: "connection refused")
        }
        if lowered.contains("ssl") || lowered.contains("tls") || lowered.contains("certificate") {
            return .transportFailure(.tls, detail: String(text.prefix(300)))
        }
        if lowered.contains("dns") || lowered.contains("resolve") || lowered.contains("unknown host") {
            return .transportFailure(.dns, detail: String(text.prefix(300)))
        }
        if lowered.contains("timeout") || lowered.contains("timed out") {
            return .transportFailure(.timeout, detail: String(text.prefix(300)))
        }
        return .transportFailure(.connection, detail: String(text.prefix(300)))
    }
}
