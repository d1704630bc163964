#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The one way eguma-gate replaces a file (config set, setup, key files): write a temp file
/// beside it, give it the owner, group and mode of the file it replaces, fsync it, rename it
/// over the old one, fsync the directory. A power cut leaves the old or the new file, never a
/// mix; and a `root:eguma-gate 0640` config stays `root:eguma-gate 0640` — losing the group
/// locked the service out of its own configuration at the next reload.
public enum AtomicFile {
    /// Why a replace failed; the old file is unchanged whenever this is thrown.
    public struct WriteError: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var errno: Int32
        public var description: String {
            let advice = errno == EACCES || errno == EPERM || errno == EROFS ? " — run it as root (sudo)"
                : errno == ENOSPC || errno == EDQUOT ? " — the disk is full: free some space"
                : ""
            return "cannot replace \(path): \(operation) failed: \(String(cString: strerror(errno)))\(advice); the old file is unchanged"
        }
    }

    /// Replaces (or creates) `path` with `contents`.
    /// - Parameters:
    ///   - mode: for a new file only; an existing file keeps its mode.
    ///   - group: for a new file only (e.g. the service group); an existing file keeps owner and group.
    public static func write(_ contents: [UInt8], to path: String, mode: mode_t = 0o640, group: gid_t? = nil) throws(WriteError) {
        // Through a symlink (/etc/eguma-gate.toml → a managed file): replace the target, keep the link.
        var target = path
        if let resolved = realpath(path, nil) {
            target = String(cString: resolved)
            free(resolved)
        }
        var info = stat()
        let exists = stat(target, &info) == 0
        let keep = exists
            ? (mode: info.st_mode & 0o7777, uid: info.st_uid, gid: info.st_gid)
            : (mode: mode, uid: geteuid(), gid: group ?? getegid())

        let dir = (target as NSString).deletingLastPathComponent.isEmpty ? "." : (target as NSString).deletingLastPathComponent
        let temp = dir + "/.\((target as NSString).lastPathComponent).\(getpid()).tmp"
        func fail(_ operation: String, _ code: Int32) -> WriteError {
            unlink(temp)
            return WriteError(path: target, operation: operation, errno: code)
        }
        unlink(temp)  // left by a crashed earlier run of this pid number
        let fd = Glibc.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteError(path: target, operation: "create \(temp)", errno: errno) }
        if let e = InterruptedCall.writeAll(contents, to: fd) { close(fd); throw fail("write", e) }
        // Owner and group before the mode: chown may clear set-id bits the mode then restores.
        if keep.uid != geteuid() || keep.gid != getegid() {
            guard fchown(fd, keep.uid, keep.gid) == 0 else {
                let e = errno; close(fd)
                throw fail("keep owner \(keep.uid):\(keep.gid) (chown)", e)
            }
        }
        guard fchmod(fd, keep.mode) == 0 else { let e = errno; close(fd); throw fail("keep mode \(String(keep.mode, radix: 8)) (chmod)", e) }
        guard fsync(fd) == 0 else { let e = errno; close(fd); throw fail("fsync", e) }
        guard close(fd) == 0 else { throw fail("close", errno) }
        guard rename(temp, target) == 0 else { throw fail("rename over the old file", errno) }
        // The rename itself is durable only once the directory is.
        let dirfd = Glibc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }

    /// `write` for text.
    public static func write(_ text: String, to path: String, mode: mode_t = 0o640, group: gid_t? = nil) throws(WriteError) {
        try write(Array(text.utf8), to: path, mode: mode, group: group)
    }
}
