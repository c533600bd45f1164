import Testing

@testable import LogoutPostgres
@testable import LogoutStorage

/// SEC-6: each store lists the columns it keeps sealed values in, next to its own schema; both
/// must re-seal the same ones.
@Suite struct SealedColumnsTests {
    @Test func bothStoresResealTheSameColumns() {
        let embedded = LogoutDatabase.sealedColumns.map { "\($0.table).\($0.key): \($0.columns)" }
        let shared = PostgresSchema.sealedColumns.map { "\($0.table).\($0.key): \($0.columns)" }
        #expect(embedded == shared)
        #expect(embedded.count == 5)
    }
}
