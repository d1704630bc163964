import CGPIOD
import Foundation
import GateCore
import Synchronization

/// A GPIO chip opened through libgpiod 1.6 (the v1 API Debian bookworm ships).
///
/// libgpiod's chip and line objects are not thread-safe; chip-level calls go through `lock`, and
/// each requested line is used by its single owner. Lines keep the chip alive, so the chip fd is
/// closed only after the last line is released.
public final class LibgpiodChip: GPIOChip, @unchecked Sendable {
    public let name: String
    /// The chip's label, e.g. "pinctrl-bcm2711".
    public let label: String
    public let lineCount: Int
    let handle: OpaquePointer
    let lock = Mutex(())

    private init(handle: OpaquePointer) {
        self.handle = handle
        self.name = String(cString: gpiod_chip_name(handle))
        self.label = String(cString: gpiod_chip_label(handle))
        self.lineCount = Int(gpiod_chip_num_lines(handle))
    }

    deinit { gpiod_chip_close(handle) }

    /// Opens a chip by name (`gpiochip0`), path (`/dev/gpiochip0`), label or number.
    public static func open(_ description: String) throws(GPIOError) -> LibgpiodChip {
        let path = description.hasPrefix("/") ? description : "/dev/\(description)"
        errno = 0
        // A path goes straight to gpiod_chip_open: the lookup would prefix anything outside
        // /dev with "/dev/" and report a misleading "no such file".
        let opened = description.hasPrefix("/") ? gpiod_chip_open(description) : gpiod_chip_open_lookup(description)
        guard let handle = opened else {
            let code = errno
            let cause: GPIOError.Cause
            switch code {
            case EACCES, EPERM: cause = .permissionDenied(path: path)
            case ENOTTY, ENODEV, EINVAL:
                cause = FileManager.default.fileExists(atPath: path)
                    ? .notAGPIOChip : .chipNotFound(available: availableChips())
            case ENOENT, 0: cause = .chipNotFound(available: availableChips())
            default: cause = .system(errno: code)
            }
            throw GPIOError(operation: "open GPIO chip", subject: "\"\(description)\"", cause: cause)
        }
        return LibgpiodChip(handle: handle)
    }

    /// The chips this machine has, as "gpiochip0 [label] (N lines)", for error messages and
    /// `gpio test`. A chip that cannot be opened is listed with the reason.
    public static func availableChips(devDirectory: String = "/dev") -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: devDirectory)) ?? []
        return entries.filter { $0.hasPrefix("gpiochip") }.sorted().map { entry in
            let path = "\(devDirectory)/\(entry)"
            guard let handle = gpiod_chip_open(path) else {
                return "\(entry) (cannot open: \(String(cString: strerror(errno))))"
            }
            defer { gpiod_chip_close(handle) }
            return "\(entry) [\(String(cString: gpiod_chip_label(handle)))] (\(gpiod_chip_num_lines(handle)) lines)"
        }
    }

    /// Finds a line object; the caller holds `lock`.
    private func lineHandle(_ id: GPIOLineID, operation: String) throws(GPIOError) -> OpaquePointer {
        let found: OpaquePointer?
        switch id {
        case .offset(let offset):
            found = offset < lineCount ? gpiod_chip_get_line(handle, UInt32(offset)) : nil
        case .name(let lineName):
            found = gpiod_chip_find_line(handle, lineName)
        }
        guard let found else {
            throw GPIOError(operation: operation, subject: "\(name) \(id)", cause: .lineNotFound(lineCount: lineCount))
        }
        return found
    }

    private func requestError(_ line: OpaquePointer, id: GPIOLineID, operation: String) -> GPIOError {
        let code = errno
        let cause: GPIOError.Cause
        switch code {
        case EBUSY:
            _ = gpiod_line_update(line)
            let consumer = gpiod_line_consumer(line).map { String(cString: $0) }
            cause = .lineBusy(consumer: consumer)
        case EACCES, EPERM: cause = .permissionDenied(path: "/dev/\(name)")
        default: cause = .system(errno: code)
        }
        return GPIOError(operation: operation, subject: "\(name) \(id)", cause: cause)
    }

    public func requestOutput(_ line: GPIOLineID, activeLow: Bool, consumer: String) throws(GPIOError)
        -> any GPIOOutputLine
    {
        let operation = "request output"
        let result: Result<OpaquePointer, GPIOError> = lock.withLock { _ in
            do throws(GPIOError) {
                let handle = try lineHandle(line, operation: operation)
                let flags = activeLow ? Int32(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0
                // Default value 0 = logically inactive: the relay is never energised by the request.
                guard gpiod_line_request_output_flags(handle, consumer, flags, 0) == 0 else {
                    return .failure(requestError(handle, id: line, operation: operation))
                }
                return .success(handle)
            } catch {
                return .failure(error)
            }
        }
        return LibgpiodOutputLine(chip: self, line: try result.get(), label: "\(name) \(line)")
    }

    public func requestInput(
        _ line: GPIOLineID, edge: GPIOEdge, bias: GPIOBias, activeLow: Bool, consumer: String
    ) throws(GPIOError) -> any GPIOInputLine {
        let operation = "request input"
        var flags: Int32 = activeLow ? Int32(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0
        switch bias {
        case .asIs: break
        case .pullUp: flags |= Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP)
        case .pullDown: flags |= Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN)
        case .disabled: flags |= Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE)
        }
        let result: Result<OpaquePointer, GPIOError> = lock.withLock { _ in
            do throws(GPIOError) {
                let handle = try lineHandle(line, operation: operation)
                let status: Int32 = switch edge {
                case .rising: gpiod_line_request_rising_edge_events_flags(handle, consumer, flags)
                case .falling: gpiod_line_request_falling_edge_events_flags(handle, consumer, flags)
                case .both: gpiod_line_request_both_edges_events_flags(handle, consumer, flags)
                }
                guard status == 0 else { return .failure(requestError(handle, id: line, operation: operation)) }
                return .success(handle)
            } catch {
                return .failure(error)
            }
        }
        return try LibgpiodInputLine(chip: self, line: try result.get(), label: "\(name) \(line)")
    }
}
