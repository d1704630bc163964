import Testing

/// Serializes suites that touch device nodes, PTYs or umockdev across *all* test targets of the
/// process (`.serialized` only orders tests inside one suite).
///
/// umockdev keeps one testbed per process (in `UMOCKDEV_DIR`), and while a testbed exists its
/// preload also intercepts ioctls on real PTYs opened meanwhile; so the hardware suites and the
/// end-to-end daemon tests must never overlap. Put `.deviceAccess` on each such suite: the lock is
/// held while the whole suite runs. Reentrant within one task tree, so a test inside a locked suite
/// may carry the trait too.
public struct DeviceTestLock: SuiteTrait, TestTrait, TestScoping {
    @TaskLocal static var held = false
    static let lock = AsyncLock()

    public var isRecursive: Bool { false }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        if Self.held { return try await function() }
        await Self.lock.acquire()
        do {
            try await Self.$held.withValue(true) { try await function() }
        } catch {
            await Self.lock.release()
            throw error
        }
        await Self.lock.release()
    }
}

extension DeviceTestLock {
    /// Thrown when a test opens a PTY or a umockdev testbed outside `.deviceAccess`.
    public struct NotHeld: Error, CustomStringConvertible {
        public let what: String
        public var description: String {
            "\(what) outside .deviceAccess: while a umockdev testbed exists its preload may take this " +
                "process's ioctls on other nodes (a PTY's unlock then fails with ENOTTY) — put " +
                ".deviceAccess on the suite"
        }
    }

    /// Fails unless the calling test runs under `.deviceAccess`. Called by every opener of a PTY
    /// or a testbed here, so a suite that forgets the trait fails at once, not now and then.
    public static func require(_ what: String) throws(NotHeld) {
        guard held else { throw NotHeld(what: what) }
    }
}

extension SuiteTrait where Self == DeviceTestLock {
    /// Only one device-touching suite runs at a time in this process (see `DeviceTestLock`).
    public static var deviceAccess: Self { DeviceTestLock() }
}

extension TestTrait where Self == DeviceTestLock {
    /// Only one device-touching test runs at a time in this process (see `DeviceTestLock`).
    public static var deviceAccess: Self { DeviceTestLock() }
}

/// A FIFO mutex for async code.
actor AsyncLock {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard locked else {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { locked = false } else { waiters.removeFirst().resume() }
    }
}
