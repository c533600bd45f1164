import NIOSSL

extension PostgresLocation {
    /// The client side of TLS for `tls`, shared by the first connection and the pool so that
    /// what the first one proved holds for the others; `nil` for plain TCP.
    var tlsConfiguration: TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch tls {
        case .disable:
            return nil
        case .require:
            configuration.certificateVerification = .none
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
        }
        if let rootCertificates {
            configuration.trustRoots = .file(rootCertificates)
        }
        return configuration
    }
}
