extension PostgresSchema {
    /// The embedded store's v15 keeps a value that triggers change on every write to
    /// `relying_parties`, so that its intake decodes the RPs following every subject only when
    /// they changed. Reading that value here would be a round trip of its own per logout, as
    /// dear as the list; recorded so that both stores name their schema alike.
    static let v15 = """
        SELECT 1;
        """
}
