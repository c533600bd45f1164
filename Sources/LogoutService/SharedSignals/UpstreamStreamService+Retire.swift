import Foundation
import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT

extension UpstreamStreamService {
    /// Deletes our stream at the transmitter (SSF §8.1.1.5) when the admin replaces or removes
    /// it, so it stops holding SETs for nobody: bounded and best effort. A failure is logged
    /// with the stream id for the transmitter's admin; the change goes on.
    func retire(_ stream: UpstreamStream) async {
        guard let streamID = stream.streamID, let endpoint = stream.configurationEndpoint,
            var url = URLComponents(string: endpoint)
        else { return }
        url.queryItems = (url.queryItems ?? []) + [URLQueryItem(name: "stream_id", value: streamID)]
        var metadata: Logger.Metadata = [
            "issuer": "\(stream.issuerName)", "stream": "\(SafeText.printable(streamID, limit: 64))",
        ]
        var token: String?
        do {
            let opened = String(
                decoding: try secrets.open(stream.sealedToken, for: .upstreamToken(stream.issuerName)),
                as: UTF8.self
            )
            token = opened
            let answer = try await client.call(.delete, url.string ?? endpoint, bearer: opened, timeout: timing.call)
            guard (200..<300).contains(answer.status) || answer.status == 404 else {
                throw Failure("HTTP \(answer.status)" + Self.detail(answer))
            }
            logger.info("SSF upstream stream deleted at the transmitter", metadata: metadata)
        } catch {
            metadata["error"] = "\(Self.text(of: error, hiding: token))"
            logger.warning(
                "SSF upstream stream could not be deleted at the transmitter; delete it there",
                metadata: metadata
            )
        }
    }
}
