import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// The gate's durable store: admissions, redemptions, outbox, events and offline-admitted codes
/// in one SQLite file (SPEC §8).
///
/// One value over `any DatabaseWriter` (a `DatabasePool` in production, WAL mode). All schema
/// changes live in `migrator`; a shipped migration is never edited, only followed by a new one.
///
/// **Durability.** The database runs in WAL mode with `PRAGMA synchronous = FULL`. In WAL mode a
/// commit appends to the `-wal` file; with `FULL`, SQLite fsyncs the WAL at *every* commit before
/// the commit returns, so a committed redeem intent, token or outbox entry is on the disk when
/// the engine goes on to call e-guma. `NORMAL` (the usual WAL choice) only fsyncs at
/// checkpoints: it survives `kill -9` (the data is in the kernel's page cache) but can lose the
/// last commits on power loss — exactly the redeem tokens we must never lose. The cost is one
/// fsync per commit; the engine commits a handful of rows per admission (see the report in
/// `docs/admission-engine.md`), far below one scan per second per lane.
public struct GateDatabase: Sendable {
    /// Private to the store (GRDB's AppDatabase style): everything outside changes the journal
    /// through the named, invariant-keeping methods of these extensions, never with its own SQL.
    let writer: any DatabaseWriter
    /// Admission ids, handed out without a write (`reserveAdmission`).
    let admissionIDs: AdmissionIDs
    /// Keeps WAL checkpoints out of the critical commits; nil for a writer opened elsewhere.
    var checkpointing: CheckpointDeferral?
    /// Tests only: makes chosen writes fail before they begin (a full disk), so every money step
    /// can be cut at every write (`WriteFaults`).
    public var faults: WriteFaults?

    /// Every write of the store: GRDB's `write` (one transaction, committed), then, on the same
    /// writer connection, the WAL restart that transaction's checkpoint made due
    /// (`CheckpointDeferral.restartIfDue`), so it never falls on the next, perhaps critical,
    /// commit. `critical`: a transaction a guest waits for, whose commit does not checkpoint
    /// (`CheckpointDeferral.critical`; nothing to defer on a writer opened without it).
    func write<T: Sendable>(critical: Bool = false, _ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try faults?.nextWrite()
        return try await writer.writeWithoutTransaction { [checkpointing] db in
            let result: T = try Self.transaction(db) { () throws -> T in
                if critical, let checkpointing {
                    return try checkpointing.critical { try updates(db) }
                } else {
                    return try updates(db)
                }
            }
            checkpointing?.restartIfDue(db)
            return result
        }
    }

    /// One IMMEDIATE transaction around `body`, committed, or rolled back when `body` or the
    /// commit throws (the error is rethrown). As GRDB's `inTransaction`, with `BEGIN` and
    /// `COMMIT` prepared once per connection: GRDB compiles both for every transaction, about
    /// 0.04 ms of each of the two commits before the relay (issue 24, measured untraced).
    static func transaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            let result = try body()
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return result
        } catch {
            if db.isInsideTransaction {
                // The first error is the one that counts; a rollback that fails too leaves
                // nothing committed either (SQLite rolls back what no COMMIT ended).
                do { try db.rollback() } catch {}
            }
            throw error
        }
    }

    /// Rewrites the header's `user_version` with its own value: a one-page write through the
    /// WAL, committed like any other (`checkWritable`'s probe, `restartIfDue`'s restart).
    static func rewriteUserVersion(_ db: Database) throws {
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        try db.execute(sql: "PRAGMA user_version = \(version)")
    }

    /// Closes the database (the pool's connections). Later calls fail; call once at shutdown.
    public func close() throws {
        if let pool = writer as? DatabasePool { try pool.close() }
    }

    /// Wraps an already open writer and migrates it.
    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try GateDatabase.migrator.migrate(writer)
        admissionIDs = try AdmissionIDs(writer)
    }

    /// Opens (creating it 0600 if missing) the database at `path` in WAL mode, synchronous FULL.
    public static func open(path: String) throws -> GateDatabase {
        try open(path: path, synchronous: "FULL")
    }

    /// `open(path:)` for async code: opening runs the migrations, a handful of commits and as many
    /// fsyncs, which take 5–50 ms each on an SD card or a cloud disk. Run on Swift's cooperative
    /// pool they would block one of its threads (two on a 2-core gate) and stall every task of
    /// the process meanwhile, so this opens on a thread of its own and resumes the caller after.
    /// From async code the compiler picks this overload; the blocking one is left to sync callers.
    public static func open(path: String) async throws -> GateDatabase {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try open(path: path, synchronous: "FULL") }) }
            thread.name = "eguma-gate: open journal"
            thread.start()
        }
    }

    /// `synchronous` other than FULL exists only so tests and the benchmark can measure what FULL costs.
    public static func open(path: String, synchronous: String) throws -> GateDatabase {
        try open(path: path, synchronous: synchronous, checkpointPages: 1_000)
    }

    /// `checkpointPages`: the WAL size from which an ordinary commit checkpoints (tests use a few).
    static func open(path: String, synchronous: String, checkpointPages: Int32) throws -> GateDatabase {
        try createPrivately(path)
        var config = Configuration()
        config.busyMode = .timeout(5)
        // Memory on a small gate (issue 13): SQLite's default page cache (2 MiB per connection)
        // filled up over the first few thousand admissions (~1 kB of new pages each), on the
        // writer and every reader. The journal's working set is its newest pages and a few index
        // pages, so 512 KiB per connection and two readers (status, events, outbox) are plenty.
        config.maximumReaderCount = 2
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -512") }
        let pool = try DatabasePool(path: path, configuration: config)
        // GRDB's pool sets NORMAL on its writer connection after `prepareDatabase` ran, so the
        // setting is made here, on the one long-lived writer connection that commits everything.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        var database = try GateDatabase(pool)
        // Installed once the migrations ran: they commit, and checkpoint, as SQLite always did.
        let deferral = CheckpointDeferral(pages: checkpointPages)
        pool.writeWithoutTransaction { db in deferral.install(on: db) }
        database.checkpointing = deferral
        return database
    }

    /// Creates the file with mode 0600 before SQLite does, so a umask of 022 never makes the
    /// journal (voucher codes, redeem tokens) world-readable. SQLite gives `-wal`/`-shm` the
    /// database file's mode.
    static func createPrivately(_ path: String) throws {
        let fd = Glibc.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 { Glibc.close(fd); return }
        let err = errno
        if err == EEXIST { return }
        throw GateStoreError(operation: "create database \(path)", reason: String(cString: strerror(err)),
                             hint: "check that the directory exists and belongs to the service user")
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // AUTOINCREMENT: ids are never reused after pruning; an admission id is part of the
            // reference_number e-guma keeps forever.
            try db.execute(sql: """
                CREATE TABLE admission (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    lane TEXT NOT NULL,
                    started_at DATETIME NOT NULL,
                    closed_at DATETIME,
                    outcome TEXT
                );
                CREATE TABLE redemption (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    admission_id INTEGER NOT NULL,
                    lane TEXT NOT NULL,
                    outlet TEXT NOT NULL,
                    code TEXT NOT NULL,
                    amount_cents INTEGER NOT NULL,
                    reference TEXT NOT NULL,
                    token TEXT,
                    balance_before_cents INTEGER NOT NULL,
                    balance_after_cents INTEGER,
                    state TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                );
                CREATE INDEX redemption_reference ON redemption(reference);
                CREATE INDEX redemption_admission ON redemption(admission_id);
                CREATE INDEX redemption_state ON redemption(state);
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    operation TEXT NOT NULL,
                    code TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at DATETIME NOT NULL,
                    last_error TEXT,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                );
                CREATE INDEX outbox_state ON outbox(state, id);
                CREATE TABLE event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ts DATETIME NOT NULL,
                    lane TEXT NOT NULL,
                    type TEXT NOT NULL,
                    admission_id INTEGER,
                    code TEXT,
                    amount_cents INTEGER,
                    balance_cents INTEGER,
                    message TEXT
                );
                CREATE INDEX event_ts ON event(ts);
                CREATE TABLE offline_admitted (
                    code TEXT PRIMARY KEY,
                    admission_id INTEGER NOT NULL,
                    admitted_at DATETIME NOT NULL
                );
                CREATE INDEX offline_admitted_admission ON offline_admitted(admission_id);
                """)
        }
        migrator.registerMigration("v2-known-vouchers") { db in
            // The last balance e-guma reported for a redeemable voucher, for `offline_known_only`.
            try db.execute(sql: """
                CREATE TABLE known_voucher (
                    code TEXT PRIMARY KEY,
                    balance_cents INTEGER NOT NULL,
                    seen_at DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3-reconcile") { db in
            // `reconcile` and `report` read one day of the journal: by time, not by scanning it.
            try db.execute(sql: """
                CREATE INDEX redemption_created ON redemption(outlet, created_at);
                CREATE INDEX redemption_created_at ON redemption(created_at);
                CREATE INDEX admission_started ON admission(started_at);
                """)
        }
        migrator.registerMigration("v4-journal-read-indexes") { db in
            // `events`, `status` and the entries count read the newest rows first (issue 11):
            // these make every such read a short index range on any journal size.
            try db.execute(sql: """
                CREATE INDEX event_lane_id ON event(lane, id);
                CREATE INDEX event_lane_type_id ON event(lane, type, id);
                CREATE INDEX event_type_id ON event(type, id);
                CREATE INDEX event_type_ts ON event(type, ts);
                """)
        }
        migrator.registerMigration("v5-outbox-reference") { db in
            // The reference a cancel or offline replay is about, in its own column (issue 13):
            // SQL no longer reads Swift's synthesized Codable layout of the payload. Rows queued
            // before are filled once from the payload as it was written until now.
            try db.execute(sql: """
                ALTER TABLE outbox ADD COLUMN reference TEXT;
                UPDATE outbox SET reference = COALESCE(json_extract(payload, '$.cancel._0.reference'),
                                                       json_extract(payload, '$.offlineRedeem._0.reference'));
                CREATE INDEX outbox_reference ON outbox(reference);
                """)
        }
        migrator.registerMigration("v6-outbox-redemption") { db in
            // The journal redemption a cancel or settle is about, and a settle's replay reference,
            // in columns (issue 13): the "other activity on this voucher" check read them from
            // Swift's synthesized Codable layout of the payload. Rows queued before are filled
            // once from the payload as it was written until now; nothing reads that layout later.
            try db.execute(sql: """
                ALTER TABLE outbox ADD COLUMN redemption INTEGER;
                UPDATE outbox SET redemption = COALESCE(json_extract(payload, '$.settle._0.redemption'),
                                                        json_extract(payload, '$.cancel._0.redemption'));
                UPDATE outbox SET reference = json_extract(payload, '$.settle._0.replay.reference')
                    WHERE operation = 'settle' AND reference IS NULL;
                """)
        }
        migrator.registerMigration("v7-change-sequence") { db in
            // One change sequence for the whole journal (issue 24): every row inserted or changed
            // takes the next number in the same transaction, by trigger — so no step can forget
            // it. A shipper follows `change_seq` (not row ids): a row changed later (a cancel, a
            // replay) comes again with a higher number. Rows from before are numbered once.
            try db.execute(sql: """
                CREATE TABLE change_counter (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
                INSERT INTO change_counter (id, seq) VALUES (1, 0);
                """)
            for table in Self.sequencedTables {
                try db.execute(sql: """
                    ALTER TABLE \(table) ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
                    UPDATE \(table) SET change_seq = rowid + (SELECT seq FROM change_counter WHERE id = 1);
                    UPDATE change_counter SET seq = seq + (SELECT COALESCE(MAX(rowid), 0) FROM \(table)) WHERE id = 1;
                    CREATE INDEX \(table)_change_seq ON \(table)(change_seq);
                    CREATE TRIGGER \(table)_change_insert AFTER INSERT ON \(table) BEGIN
                        UPDATE change_counter SET seq = seq + 1 WHERE id = 1;
                        UPDATE \(table) SET change_seq = (SELECT seq FROM change_counter WHERE id = 1) WHERE rowid = NEW.rowid;
                    END;
                    CREATE TRIGGER \(table)_change_update AFTER UPDATE ON \(table) WHEN NEW.change_seq = OLD.change_seq BEGIN
                        UPDATE change_counter SET seq = seq + 1 WHERE id = 1;
                        UPDATE \(table) SET change_seq = (SELECT seq FROM change_counter WHERE id = 1) WHERE rowid = NEW.rowid;
                    END;
                    """)
            }
        }
        migrator.registerMigration("v8-event-source") { db in
            // Where an event's code entered: scanner, keypad or desk (SPEC §10); NULL for rows
            // from before and for events no entered code caused.
            try db.execute(sql: "ALTER TABLE event ADD COLUMN source TEXT")
        }
        migrator.registerMigration("v10-fleet-claims") { db in
            // A shared offline claim's local intent (issue 22), written before PostgreSQL is asked:
            // a claim whose answer never came is settled from here when the fleet answers again.
            // state: asking | claimed | unknown | release. Not shipped: the claims are in PostgreSQL.
            try db.execute(sql: """
                CREATE TABLE fleet_claim_intent (
                    admission_id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL,
                    state TEXT NOT NULL,
                    updated_at DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("v11-deleted-rows") { db in
            // A row the retention prune deletes takes the next change number too, as a deletion
            // (issue 22): a shipper that follows the sequence deletes its copy in the fleet — and
            // the shared offline claim of a pruned offline admission with it, so a claim lives
            // as long as the local memory of the offline admission does. By trigger, as the
            // numbering itself: no DELETE can forget it. `prune` removes deletions older than the
            // retention period (a gate without a fleet keeps at most one period of them).
            try db.execute(sql: """
                CREATE TABLE deleted_row (
                    tbl TEXT NOT NULL,
                    local_id INTEGER NOT NULL,
                    change_seq INTEGER NOT NULL,
                    deleted_at DATETIME NOT NULL,
                    PRIMARY KEY (tbl, local_id)
                );
                CREATE INDEX deleted_row_change_seq ON deleted_row(change_seq);
                """)
            for table in Self.sequencedTables {
                try db.execute(sql: """
                    CREATE TRIGGER \(table)_change_delete AFTER DELETE ON \(table) BEGIN
                        UPDATE change_counter SET seq = seq + 1 WHERE id = 1;
                        INSERT OR REPLACE INTO deleted_row (tbl, local_id, change_seq, deleted_at)
                            VALUES ('\(table)', OLD.rowid, (SELECT seq FROM change_counter WHERE id = 1),
                                    strftime('%Y-%m-%d %H:%M:%f', 'now'));
                    END;
                    """)
            }
        }
        return migrator
    }

    /// The tables whose rows carry `change_seq`: everything a journal shipper copies.
    static let sequencedTables = ["admission", "redemption", "outbox", "event", "offline_admitted"]
}

/// A store operation that failed, with what was attempted and what to do.
public struct GateStoreError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let reason: String
    public let hint: String

    public var description: String { "\(operation): \(reason) — \(hint)" }
}
