import GateCore
import GateStore
import Logging
import PostgresNIO

/// Shared offline claims in the fleet's PostgreSQL: one row per (site, code hash) carrying the
/// gate and admission that hold it. The insert is atomic and idempotent (asking again for the same
/// admission answers "claimed"); the answer must come within `claim_timeout_ms`, else it is
/// unknown — the row may have been stored — and `settle()` decides later, from the admission's
/// local outcome, whether the claim stays (admitted offline) or goes (denied or withdrawn).
public struct FleetOfflineClaims: OfflineClaims {
    let client: PostgresClient
    let settings: FleetSettings
    let hasher: CodeHasher
    let database: GateDatabase
    let logger: Logger

    public init(client: PostgresClient, settings: FleetSettings, codeKey: [UInt8], database: GateDatabase, logger: Logger) {
        self.client = client; self.settings = settings; self.hasher = CodeHasher(key: codeKey)
        self.database = database; self.logger = logger
    }

    public var admitsWhenUnknown: Bool { settings.offlineWithoutFleet == .local }

    public func claim(_ code: VoucherCode, admission: Int64) async -> OfflineClaim {
        do {
            try await database.setClaimIntent(admission: admission, code: code.text, state: .asking)
        } catch {
            return .unknown(reason: "the journal did not take the claim's intent: \(error)")
        }
        let answer: OfflineClaim
        do {
            let holder = try await withTimeout(settings.claimTimeout) { try await insert(code.text, admission: admission) }
            answer = holder.gate == settings.gateID && holder.admission == admission ? .claimed : .held(gate: holder.gate)
        } catch {
            answer = .unknown(reason: "\(error)")
        }
        // A refused write here leaves the intent `asking`, which `settle()` sweeps like `unknown`:
        // it asks PostgreSQL again and keeps or releases the claim by the admission's outcome.
        // The guest's answer stands either way; the refusal is logged, not swallowed.
        do {
            switch answer {
            case .claimed: try await database.setClaimIntent(admission: admission, code: code.text, state: .claimed)
            case .held: try await database.removeClaimIntent(admission: admission)
            case .unknown: try await database.setClaimIntent(admission: admission, code: code.text, state: .unknown)
            }
        } catch {
            logger.warning("offline claim of admission #\(admission) (\(code.masked)): the journal did not record its answer (\(error)) — left 'asking', settled when PostgreSQL is asked again")
        }
        return answer
    }

    public func release(_ code: VoucherCode, admission: Int64) async {
        do {
            try await database.setClaimIntent(admission: admission, code: code.text, state: .release)
            try await withTimeout(settings.claimTimeout) { try await delete(code.text, admission: admission) }
            try await database.removeClaimIntent(admission: admission)
        } catch {
            logger.notice("offline claim of admission #\(admission) (\(code.masked)) to be released when PostgreSQL answers: \(error)")
        }
    }

    /// Settles every claim whose answer never came, and releases that could not be done, now that
    /// PostgreSQL answers (called by the fleet service). An admission let in offline keeps its
    /// claim; one denied or withdrawn gives it up.
    public func settle() async throws {
        for intent in try await database.unsettledClaimIntents() {
            let outcome = try await database.outcome(ofAdmission: intent.admission)
            let keep = intent.state != .release && (outcome == nil || outcome == .offlineEntered)
            if keep {
                let holder = try await insert(intent.code, admission: intent.admission)
                if holder.gate != settings.gateID || holder.admission != intent.admission {
                    logger.error("""
                        voucher \(VoucherCode.mask(intent.code)) was admitted offline here (admission #\(intent.admission), \
                        its claim unknown then) and also at gate \(holder.gate) — both replays compete for one balance; see reconcile
                        """)
                }
                try await database.setClaimIntent(admission: intent.admission, code: intent.code, state: .claimed)
            } else {
                try await delete(intent.code, admission: intent.admission)
                try await database.removeClaimIntent(admission: intent.admission)
            }
        }
    }

    /// Inserts the claim unless one exists; returns who holds it.
    func insert(_ code: String, admission: Int64) async throws -> (gate: String, admission: Int64) {
        let rows = try await client.query("""
            WITH ins AS (
                INSERT INTO fleet_claim (site, code_hash, gate_id, admission_id, code_masked)
                VALUES (\(settings.site), \(hasher.hash(code)), \(settings.gateID), \(admission), \(hasher.masked(code)))
                ON CONFLICT (site, code_hash) DO NOTHING
                RETURNING gate_id, admission_id)
            SELECT gate_id, admission_id FROM ins
            UNION ALL
            SELECT gate_id, admission_id FROM fleet_claim WHERE site = \(settings.site) AND code_hash = \(hasher.hash(code))
            LIMIT 1
            """, logger: logger)
        for try await (gate, held) in rows.decode((String, Int64).self) { return (gate, held) }
        throw FleetError(.unreachable, operation: "claim \(VoucherCode.mask(code))", reason: "no row came back", hint: "try again")
    }

    func delete(_ code: String, admission: Int64) async throws {
        try await client.query("""
            DELETE FROM fleet_claim WHERE site = \(settings.site) AND code_hash = \(hasher.hash(code))
                AND gate_id = \(settings.gateID) AND admission_id = \(admission)
            """, logger: logger)
    }
}
