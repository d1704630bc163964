import GRDB
import GRDBSQLite

/// Keeps WAL checkpoints off the two commits a guest waits for (issue 13).
///
/// SQLite checkpoints from inside a commit: once the WAL holds 1,000 pages, the commit that
/// crossed the line also copies them into the database file and fsyncs it — two more fsyncs, on
/// an SD card 10 ms or more, in whichever commit that happens to be. An admission appended about
/// 41 pages to the WAL (measured when it made four commits of about ten table and index pages; it
/// makes three since "opened" goes with the closing), so one admission in
/// ~25 crossed the line, about half of the time inside the intent or the token commit, before the
/// relay. This replaces SQLite's automatic checkpoint with the same policy
/// (passive, at `pages` WAL pages) that skips a commit marked critical (`critical`); the
/// next ordinary commit — the "opened" event or the closing after the relay — checkpoints instead.
/// Durability is untouched: a checkpoint only moves committed pages from the WAL into the
/// database file.
///
/// The same goes for the WAL *restart* a complete checkpoint makes due. The first commit after
/// it writes the WAL from its beginning again, under a new header, and with `synchronous = FULL`
/// SQLite fsyncs that header before the commit's frames: one more fsync in that commit. Left to
/// SQLite, it fell on the commit after the checkpointing one: the next guest's intent, before the
/// relay — once in ~25 admissions, 5 ms and more on an SD card. `restartIfDue` does the restart
/// right after the checkpointing commit instead, on the same writer, with a one-page write of
/// its own (the header's `user_version`, rewritten with its own value): two fsyncs after the
/// relay, none more before it.
///
/// The hook runs on the writer connection, inside a commit, and `restartIfDue` on the same
/// connection after one, so `deferNext` and `restartDue` are only ever touched
/// by the one connection that writes (GRDB serialises it): no lock is needed.
final class CheckpointDeferral: @unchecked Sendable {
    /// The WAL size, in pages, from which an ordinary commit checkpoints (SQLite's default: 1,000).
    let pages: Int32
    /// Set inside a critical write's transaction; the commit's hook clears it.
    private var deferNext = false
    /// Checkpoints skipped because the commit was critical, and checkpoints run (for tests).
    private(set) var deferred = 0
    private(set) var checkpoints = 0
    /// A complete checkpoint ran in the last commit: the next write restarts the WAL.
    private var restartDue = false
    /// Restart writes made (`restartIfDue`, for tests).
    private(set) var restarts = 0

    init(pages: Int32) { self.pages = pages }

    /// Runs `body` — the statements of a transaction a guest waits for — so that its commit does
    /// not checkpoint. Call from inside the write (on the writer connection). When `body` throws,
    /// the transaction is rolled back and has no commit: the mark is taken back, so it never
    /// falls on the next, ordinary commit.
    func critical<T>(_ body: () throws -> T) rethrows -> T {
        deferNext = true
        do {
            return try body()
        } catch {
            deferNext = false
            throw error
        }
    }

    /// Installs the policy on `db`, the writer connection, in place of SQLite's autocheckpoint.
    /// The deferral is retained for as long as the process lives (one small object per open).
    func install(on db: Database) {
        let context = Unmanaged.passRetained(self).toOpaque()
        sqlite3_wal_hook(db.sqliteConnection, { context, connection, name, walPages in
            guard let context else { return SQLITE_OK }
            return Unmanaged<CheckpointDeferral>.fromOpaque(context).takeUnretainedValue()
                .committed(connection: connection, name: name, walPages: walPages)
        }, context)
    }

    private func committed(connection: OpaquePointer?, name: UnsafePointer<CChar>?, walPages: Int32) -> Int32 {
        if deferNext {
            deferNext = false
            if walPages >= pages { deferred += 1 }
            return SQLITE_OK
        }
        guard walPages >= pages else { return SQLITE_OK }
        checkpoints += 1
        // Passive, as SQLite's own: never waits for readers; what they still use stays in the WAL.
        // Its result is not an error of the commit that triggered it (the commit is done).
        var logFrames: Int32 = 0, copiedFrames: Int32 = 0
        let result = sqlite3_wal_checkpoint_v2(connection, name, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames)
        // Only a checkpoint that copied every frame lets the next writer restart the WAL.
        restartDue = result == SQLITE_OK && logFrames > 0 && copiedFrames == logFrames
        return SQLITE_OK
    }

    /// After an ordinary transaction committed, on the writer connection (outside any
    /// transaction): when that commit's checkpoint made a WAL restart due, makes it now with a
    /// one-page write, so the restart's header fsync never falls on a critical commit. A refused
    /// write (disk full) changes nothing stored and is not this caller's error (its transaction
    /// committed): the restart then happens in the next commit, as SQLite would have done it
    /// anyway, and the refusal reaches the operator through that commit, which meets the same
    /// full disk.
    func restartIfDue(_ db: Database) {
        guard restartDue else { return }
        restartDue = false
        do {
            try GateDatabase.rewriteUserVersion(db)
            restarts += 1
        } catch {
            // Left to the next commit (above).
        }
    }
}
