import Logging
import LogoutCore
import LogoutJWT

/// The SSF transmitter (contract C7): stream management and polls on the public listener.
extension Components {
    static func streamService(
        _ config: LogoutdConfiguration,
        database: any LogoutStore,
        secrets: SecretBox,
        keys: SigningKeyring,
        now: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) -> StreamService {
        StreamService(
            store: database,
            secrets: secrets,
            signer: SecurityEventSigner(keys: keys),
            longPoll: .seconds(10),
            issuer: config.issuer,
            publicBaseURL: config.issuer,
            allowInsecureEndpoints: config.allowPrivateNetworks,
            now: now,
            logger: logger
        )
    }
}
