extension PostgresSchema {
    /// The embedded store's v16 records an accepted logout's deliveries as one plan row and makes
    /// their rows after the acknowledgement, because its one writer thread made every logout wait
    /// behind the others' rows. Here each transaction has a connection of its own and the rows go
    /// in one statement, so they stay in the acknowledgement's transaction; recorded so that both
    /// stores name their schema alike.
    static let v16 = """
        SELECT 1;
        """
}
