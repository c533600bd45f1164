import AsyncHTTPClient
import LogoutCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

/// Maps client-side failures to the error classes of the attempt log (ADM-2), by their type:
/// AsyncHTTPClient's and NIO's errors carry what happened (an errno, a DNS failure, a TLS
/// alert), so nothing depends on the wording of a message.
enum TransportErrorClassifier {
    static func classify(_ error: any Error) -> AttemptResult {
        let (errorClass, detail) = describe(error)
        return .transportFailure(errorClass, detail: SafeText.printable(detail, limit: 300))
    }

    static func describe(_ error: any Error) -> (ErrorClass, String) {
        switch error {
        case is DeadlineExceeded:
            return (.timeout, "no answer within the delivery timeout")
        case is CancellationError:
            return (.timeout, "the attempt was cancelled")
        case let closed as HTTP1ExchangeHandler.ClosedBeforeAnswer where closed.reset:
            return (.connection, "connection reset")
        case is HTTP1ExchangeHandler.ClosedBeforeAnswer, is HTTP1ExchangeHandler.ClosedDuringAnswer:
            return (.connection, "the RP closed the connection")
        case let parser as HTTPParserError:
            return (.connection, "the answer is not valid HTTP/1.1 (\(parser))")
        case let guardError as GuardedHTTPClients.GuardError:
            switch guardError {
            case .refused(let text), .invalidURL(let text): return (.blocked, text)
            case .resolution(let text): return (.dns, text)
            }
        case let clientError as HTTPClientError:
            return describe(clientError)
        case let connection as NIOConnectionError:
            if let first = connection.connectionErrors.first {
                return describe(first.error)
            }
            return (.dns, "cannot resolve \(connection.host)")
        case let io as IOError:
            return describe(errno: io.errnoCode, io.description)
        case let channel as ChannelError:
            switch channel {
            case .connectTimeout: return (.timeout, "connect timeout")
            default: return (.connection, "connection failed (\(channel))")
            }
        case let tls as NIOSSLError:
            return (.tls, "TLS: \(tls)")
        case let tls as BoringSSLError:
            return (.tls, "TLS: \(tls)")
        case let tls as NIOSSLExtraError:
            return (.tls, "TLS: \(tls)")
        default:
            return (.connection, String(describing: error))
        }
    }

    static func describe(_ error: HTTPClientError) -> (ErrorClass, String) {
        switch error {
        case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
            return (.timeout, "timeout (\(error))")
        case .tlsHandshakeTimeout:
            return (.tls, "TLS handshake timeout")
        case .remoteConnectionClosed:
            return (.connection, "the RP closed the connection")
        default:
            return (.connection, String(describing: error))
        }
    }

    static func describe(errno code: Int32, _ text: String) -> (ErrorClass, String) {
        switch code {
        case ECONNREFUSED: return (.refused, "connection refused")
        case ETIMEDOUT: return (.timeout, "connect timed out")
        case ECONNRESET, EPIPE: return (.connection, "connection reset")
        case EHOSTUNREACH, ENETUNREACH: return (.connection, "no route to the RP")
        default: return (.connection, text)
        }
    }
}
