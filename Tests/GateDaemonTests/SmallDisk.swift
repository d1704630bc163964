import Foundation
import GateHardware
import Glibc

/// A tmpfs of a few megabytes mounted for one test: the database's disk, filled and freed.
struct SmallDisk {
    let path: String
    private var filler: String { path + "/filler" }

    init(at path: String, size: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(size),mode=0700") == 0 else {
            throw PTYError(what: "mount a tmpfs on \(path)", errno: errno)
        }
    }

    /// Writes a file until the disk has no space left (ENOSPC).
    func fill() throws {
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PTYError(what: "create \(filler)", errno: errno) }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x55, count: 4096)
        while true {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { continue }
            guard errno == ENOSPC else { throw PTYError(what: "fill \(path)", errno: errno) }
            return
        }
    }

    func free() throws {
        guard unlink(filler) == 0 else { throw PTYError(what: "remove \(filler)", errno: errno) }
    }

    func unmount() {
        umount2(path, Int32(MNT_DETACH))
    }
}
