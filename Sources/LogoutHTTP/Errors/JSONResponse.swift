import Hummingbird
import LogoutAdminAPI

/// JSON answers with the admin API's encoding: `no-store` unless `headers` say otherwise
/// (discovery and JWKS are cacheable).
enum JSONResponse {
    /// The body of every refusal of an API (BCL §2.8, contract C4).
    struct ErrorBody: Encodable {
        var error: String
        var description: String

        enum CodingKeys: String, CodingKey {
            case error
            case description = "error_description"
        }
    }

    static func make(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        if fields[.cacheControl] == nil { fields[.cacheControl] = "no-store" }
        let bytes = (try? AdminJSON.encode(value)) ?? Array(#"{"error":"server_error"}"#.utf8)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func emptyNoStore(_ status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.cacheControl: "no-store"])
    }
}
