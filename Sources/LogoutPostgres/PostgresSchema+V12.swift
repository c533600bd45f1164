extension PostgresSchema {
    /// As the embedded store's v12: the front-channel bridge, per issuer, off by default.
    static let v12 = """
        ALTER TABLE issuers ADD COLUMN frontchannel_intake BOOLEAN NOT NULL DEFAULT FALSE;
        """
}
