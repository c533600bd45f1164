extension Migrations {
    /// Every logout reads the RPs that follow all subjects: with 20 of them, decoding their rows
    /// cost 12,000 instructions per delivery inside the writer's transaction (callgrind, issue
    /// 24). The registry changes rarely, so the intake keeps the list it decoded last, and a
    /// value that triggers change on every write to `relying_parties` tells it whether that list
    /// is still the table's, whoever wrote it: the admin API, an import, `sqlite3` by hand (a
    /// connection that turns triggers off is not covered until the next change or restart).
    ///
    /// The value is random, not a count: a count that a rolled-back transaction took forward
    /// would be reached again by the next change, and a list cached from the rolled-back state
    /// would pass for current.
    static let v15 = """
        CREATE TABLE registry_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO registry_version (id, version) VALUES (1, random());
        CREATE TRIGGER relying_parties_inserted AFTER INSERT ON relying_parties
            BEGIN UPDATE registry_version SET version = random(); END;
        CREATE TRIGGER relying_parties_updated AFTER UPDATE ON relying_parties
            BEGIN UPDATE registry_version SET version = random(); END;
        CREATE TRIGGER relying_parties_deleted AFTER DELETE ON relying_parties
            BEGIN UPDATE registry_version SET version = random(); END;
        """
}
