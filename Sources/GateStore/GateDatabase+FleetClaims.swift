import Foundation
import GRDB

/// The local side of shared offline claims (migration v10-fleet-claims): each claim's intent is
/// durable before PostgreSQL is asked, and what is still open after an answer that never came.
extension GateDatabase {
    /// Where a claim stands locally.
    public enum ClaimIntentState: String, Sendable {
        /// Written, PostgreSQL being asked.
        case asking
        /// PostgreSQL stored it for this admission.
        case claimed
        /// The answer did not come: settle it when PostgreSQL answers.
        case unknown
        /// The admission was withdrawn: the claim is to be removed.
        case release
    }

    public struct ClaimIntent: Sendable, Equatable {
        public let admission: Int64
        public let code: String
        public let state: ClaimIntentState
    }

    public func setClaimIntent(admission: Int64, code: String, state: ClaimIntentState) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO fleet_claim_intent (admission_id, code, state, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (admission_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                """, arguments: [admission, code, state.rawValue, Date()])
        }
    }

    public func removeClaimIntent(admission: Int64) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM fleet_claim_intent WHERE admission_id = ?", arguments: [admission]) }
    }

    /// Claims still to settle with PostgreSQL: unknown outcomes, releases not yet done, and asks a
    /// crash interrupted.
    public func unsettledClaimIntents() async throws -> [ClaimIntent] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM fleet_claim_intent WHERE state IN ('asking', 'unknown', 'release') ORDER BY admission_id")
                .compactMap { row in
                    ClaimIntentState(rawValue: row["state"]).map { ClaimIntent(admission: row["admission_id"], code: row["code"], state: $0) }
                }
        }
    }
}
