import Foundation
import GateCore
import GateStore
import Testing

/// The window queries of `reconcile` and `report` (migration `v3-reconcile`).
@Suite struct ReconcileQueryTests {
    static func database() async throws -> (GateDatabase, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reconcile-\(UUID().uuidString).db").path
        return (try await GateDatabase.open(path: path), path)
    }

    @Test func everyWindowQueryUsesAnIndex() async throws {
        let (db, path) = try await Self.database()
        defer { try? db.close(); try? FileManager.default.removeItem(atPath: path) }
        for plan in try await db.explainWindowQueries() {
            #expect(plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX"), "\(plan)")
            #expect(!plan.contains("SCAN redemption") && !plan.contains("SCAN admission") && !plan.contains("SCAN event"), "\(plan)")
        }
    }

    @Test func theWindowIsHalfOpenAndFiltersByOutlet() async throws {
        let (db, path) = try await Self.database()
        defer { try? db.close(); try? FileManager.default.removeItem(atPath: path) }
        let before = Date()
        let admission = try await db.openAdmission(lane: "main")
        for outlet in ["spa", "shop"] {
            _ = try await db.recordIntent(RedemptionIntent(admission: admission, lane: "main", outlet: outlet,
                                                           code: VoucherCode(unchecked: "ABCDEFGH1234"), amount: Money(cents: 2500),
                                                           reference: "g/main/\(admission)", balanceBefore: Money(cents: 5000)))
        }
        let after = Date().addingTimeInterval(0.01)
        #expect(try await db.redemptions(from: before, to: after, outlet: "spa").map(\.outlet) == ["spa"])
        #expect(try await db.redemptions(from: before, to: after).count == 2)
        #expect(try await db.redemptions(from: after, to: after.addingTimeInterval(60)).isEmpty)
        #expect(try await db.admissions(from: before, to: after).map(\.id) == [admission])
        #expect(try await db.admissions(from: before.addingTimeInterval(-60), to: before).isEmpty)
    }
}
