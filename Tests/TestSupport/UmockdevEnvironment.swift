import Foundation

/// Whether umockdev tests can and must run.
///
/// umockdev redirects /sys, /dev and the uevent netlink socket through its preload library, so
/// those tests only work when the test binary runs under `umockdev-wrapper`. Use
/// `@Test(.enabled(if: UmockdevEnvironment.shouldRun))` and call `try UmockdevEnvironment.require()`
/// first: locally the tests are skipped without the preload; with `EGUMA_REQUIRE_UMOCKDEV=1`
/// (CI) they run and fail with a message saying how to run them.
public enum UmockdevEnvironment {
    /// The preload library is loaded into this process.
    public static var preloadActive: Bool {
        (ProcessInfo.processInfo.environment["LD_PRELOAD"] ?? "").contains("libumockdev-preload")
    }

    /// `EGUMA_REQUIRE_UMOCKDEV=1`: missing umockdev is a failure, not a skip.
    public static var required: Bool {
        ProcessInfo.processInfo.environment["EGUMA_REQUIRE_UMOCKDEV"] == "1"
    }

    /// Condition for `.enabled(if:)`.
    public static var shouldRun: Bool { preloadActive || required }

    /// Thrown when umockdev tests are required but the preload is missing.
    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "umockdev preload is not active (EGUMA_REQUIRE_UMOCKDEV=1): run the tests as " +
                "`umockdev-wrapper .build/debug/eguma-gatePackageTests.xctest --testing-library swift-testing`"
        }
    }

    /// Fails the calling test when the preload is missing.
    public static func require() throws {
        guard preloadActive else { throw Missing() }
    }
}
