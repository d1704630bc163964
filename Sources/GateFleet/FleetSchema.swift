import Logging
import PostgresNIO

/// The fleet's tables in PostgreSQL and their versions. `eguma-gate fleet migrate` applies what is
/// missing, each migration in its own transaction under an advisory lock (two gates migrating at
/// once apply each step once); the daemon only checks, and refuses a schema older than it needs or
/// newer than it knows. Migrations, once shipped, are never edited: a change is a new version.
public enum FleetSchema {
    /// (version, name, SQL). Append only.
    static let migrations: [(Int, String, String)] = [
        (1, "v1-gates-journal-claims-leases", """
            CREATE TABLE fleet_gate (
                site text NOT NULL, gate_id text NOT NULL, machine_id text NOT NULL,
                registered_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (site, gate_id));
            CREATE TABLE fleet_journal (
                site text NOT NULL, gate_id text NOT NULL, tbl text NOT NULL, local_id bigint NOT NULL,
                change_seq bigint NOT NULL, user_id text, row jsonb NOT NULL,
                shipped_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (site, gate_id, tbl, local_id));
            CREATE INDEX fleet_journal_user ON fleet_journal (site, user_id, tbl);
            CREATE TABLE fleet_cursor (
                site text NOT NULL, gate_id text NOT NULL, change_seq bigint NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(), caught_up_at timestamptz,
                PRIMARY KEY (site, gate_id));
            CREATE TABLE fleet_heartbeat (
                site text NOT NULL, gate_id text NOT NULL, version text NOT NULL, lanes jsonb NOT NULL,
                outbox_depth integer NOT NULL, offline_waiting integer NOT NULL, shipping_lag bigint NOT NULL,
                users jsonb NOT NULL DEFAULT '[]', sent_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (site, gate_id));
            CREATE TABLE fleet_lease (
                site text NOT NULL, name text NOT NULL, gate_id text NOT NULL, expires_at timestamptz NOT NULL,
                PRIMARY KEY (site, name));
            CREATE TABLE fleet_claim (
                site text NOT NULL, code_hash text NOT NULL, gate_id text NOT NULL, admission_id bigint NOT NULL,
                code_masked text NOT NULL, claimed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (site, code_hash));
            """),
    ]

    /// The version this build of eguma-gate needs and knows.
    public static var current: Int { migrations.last?.0 ?? 0 }

    static let fix = "run: eguma-gate fleet migrate"
    /// The advisory lock every migrator takes (any fixed number; "fleet" in ASCII).
    static let lockKey: Int64 = 0x666c656574

    /// The schema version in the database (0: none yet).
    public static func version(on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let exists = try await connection.query("SELECT to_regclass('fleet_schema') IS NOT NULL", logger: logger)
            .collect().first?.decode(Bool.self) ?? false
        guard exists else { return 0 }
        let rows = try await connection.query("SELECT COALESCE(MAX(version), 0) FROM fleet_schema", logger: logger).collect()
        return Int(try rows.first?.decode(Int32.self) ?? 0)
    }

    /// Throws a `.schema` error unless the database is at exactly `current`.
    public static func check(on connection: PostgresConnection, server: String, logger: Logger) async throws -> Int {
        let version = try await version(on: connection, logger: logger)
        try requireCurrent(version, server: server)
        return version
    }

    static func requireCurrent(_ version: Int, server: String) throws(FleetError) {
        if version < current {
            throw FleetError(.schema, operation: "fleet schema on \(server)",
                             reason: version == 0 ? "no fleet tables yet" : "version \(version), this eguma-gate needs \(current)", hint: fix)
        }
        if version > current {
            throw FleetError(.schema, operation: "fleet schema on \(server)",
                             reason: "version \(version) is newer than this eguma-gate knows (\(current))",
                             hint: "upgrade eguma-gate on this controller; fleet migrate never goes back")
        }
    }

    /// Applies every missing migration; returns the names applied (empty: already current).
    public static func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        // Under the lock too: two CREATE TABLE IF NOT EXISTS at once collide on PostgreSQL's catalog.
        try await connection.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await c.query("""
                CREATE TABLE IF NOT EXISTS fleet_schema (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
        }
        var applied: [String] = []
        for (version, name, sql) in migrations {
            let done: Bool = try await connection.withTransaction(logger: logger) { c in
                // One migrator at a time; the second finds the version applied and skips it.
                try await c.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
                let rows = try await c.query("SELECT 1 FROM fleet_schema WHERE version = \(version)", logger: logger).collect()
                guard rows.isEmpty else { return false }
                // The extended protocol takes one statement at a time; no statement here holds a ";".
                for statement in sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try await c.query(PostgresQuery(unsafeSQL: String(statement)), logger: logger)
                }
                try await c.query("INSERT INTO fleet_schema (version, name) VALUES (\(version), \(name))", logger: logger)
                return true
            }
            if done { applied.append(name) }
        }
        let version = try await version(on: connection, logger: logger)
        if version > current { try requireCurrent(version, server: "this database") }
        return applied
    }
}
