extension Migrations {
    /// Whether an issuer's OP may end sessions through the front-channel bridge
    /// (`/frontchannel-logout/{name}`): off for every issuer registered before.
    static let v12 = """
        ALTER TABLE issuers ADD COLUMN frontchannel_intake INTEGER NOT NULL DEFAULT 0;
        """
}
