#if canImport(Glibc)
import Glibc
#endif

/// The config files' one retry of a system call that a signal interrupted (EINTR).
///
/// The rest of the daemon reads and writes descriptors through swift-system's `FileDescriptor`,
/// which retries an interrupted call in one place. The files of this folder cannot: the config
/// fuzz target (`scripts/fuzz`, target `config`) compiles them with swiftc alone, linked with
/// TOMLKit but not with swift-system. So `AtomicFile` and `TOMLSyntaxGuard` retry here, and
/// nowhere else.
enum InterruptedCall {
    /// `call` again while a signal interrupted it; its last result otherwise (errno set when
    /// that is negative).
    static func retrying<T: SignedInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result < 0 && errno == EINTR { continue }
            return result
        }
    }

    /// Writes all of `bytes` to `fd`, short writes continued, interrupted ones retried. Returns
    /// nil, or the errno of the write that failed (EIO for one that wrote nothing).
    static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Int32? {
        var written = 0
        while written < bytes.count {
            let n = retrying { bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
            guard n > 0 else { return n == 0 ? EIO : errno }
            written += n
        }
        return nil
    }
}
