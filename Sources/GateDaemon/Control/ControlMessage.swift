import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One request on the control socket: a JSON object on one line.
///
/// Commands: `status`, `open` (with `lane`, optional `reason`), `unlock` (with `lane`),
/// `sim_passage` (with `lane`), `reload`, `outbox_retry` (with `id`), `outbox_drop` (with `id`
/// and `reason`), `desk_redeem` (with `code`, `amount_cents`, `outlet`: `DeskRedemption`).
public struct ControlRequest: Codable, Sendable, Equatable {
    public var command: String
    public var lane: String?
    /// The outbox entry of `outbox_retry` / `outbox_drop`.
    public var id: Int64?
    /// Why staff did it: kept in the `manual_open` / `outbox_dropped` event.
    public var reason: String?
    /// `desk_redeem`: the voucher code (or ShortCode) as typed, the amount and the outlet.
    public var code: String?
    public var amountCents: Int64?
    public var outlet: String?

    enum CodingKeys: String, CodingKey {
        case command, lane, id, reason, code, outlet
        case amountCents = "amount_cents"
    }

    public init(command: String, lane: String? = nil, id: Int64? = nil, reason: String? = nil,
                code: String? = nil, amountCents: Int64? = nil, outlet: String? = nil) {
        self.command = command; self.lane = lane; self.id = id; self.reason = reason
        self.code = code; self.amountCents = amountCents; self.outlet = outlet
    }

    /// One request line as the control socket receives it; nil when it is not a request.
    public static func parse(_ line: String) -> ControlRequest? {
        try? JSONDecoder().decode(ControlRequest.self, from: Data(line.utf8))
    }
}

/// The answer: a JSON object on one line. `ok` false comes with `error` in words.
public struct ControlResponse: Codable, Sendable, Equatable {
    public var ok: Bool
    public var error: String?
    public var message: String?
    public var status: GateStatus?
    /// What a money command did (`desk_redeem`): the lines to print and the exit code.
    public var outcome: OperatorOutcome?

    public init(ok: Bool, error: String? = nil, message: String? = nil, status: GateStatus? = nil, outcome: OperatorOutcome? = nil) {
        self.ok = ok; self.error = error; self.message = message; self.status = status; self.outcome = outcome
    }

    public static func failure(_ text: String) -> ControlResponse { ControlResponse(ok: false, error: text) }
}

/// What an operator command that acts on money prints, and its exit code (0 done, 1 refused or
/// nothing to do, 3 e-guma unreachable — what is owed waits durably in the outbox).
public struct OperatorOutcome: Sendable, Equatable, Codable {
    public var lines: [String]
    public var exitCode: Int32

    public init(lines: [String], exitCode: Int32) { self.lines = lines; self.exitCode = exitCode }
}

/// What `eguma-gate status` shows. Its JSON keys are snake_case like every JSON the gate prints.
public struct GateStatus: Codable, Sendable, Equatable {
    public struct Lane: Codable, Sendable, Equatable {
        public var name: String
        public var mode: String
        public var scannerPresent: Bool
        public var scannerDevice: String?
        public var state: String
        public var entriesToday: Int
        /// Newest first.
        public var lastAdmissions: [String]

        enum CodingKeys: String, CodingKey {
            case name, mode, state
            case scannerPresent = "scanner_present", scannerDevice = "scanner_device"
            case entriesToday = "entries_today", lastAdmissions = "last_admissions"
        }

        public init(name: String, mode: String, scannerPresent: Bool, scannerDevice: String?, state: String,
                    entriesToday: Int, lastAdmissions: [String]) {
            self.name = name; self.mode = mode; self.scannerPresent = scannerPresent
            self.scannerDevice = scannerDevice; self.state = state; self.entriesToday = entriesToday
            self.lastAdmissions = lastAdmissions
        }
    }

    public var gate: String
    public var online: Bool
    public var emergency: Bool
    /// Entries the worker still tries.
    public var outboxPending: Int
    /// Entries e-guma refused for good: an operator settles them (`outbox list`).
    public var outboxDead: Int
    public var lanes: [Lane]

    enum CodingKeys: String, CodingKey {
        case gate, online, emergency, lanes
        case outboxPending = "outbox_pending", outboxDead = "outbox_dead"
    }

    public init(gate: String, online: Bool, emergency: Bool, outboxPending: Int, outboxDead: Int, lanes: [Lane]) {
        self.gate = gate; self.online = online; self.emergency = emergency
        self.outboxPending = outboxPending; self.outboxDead = outboxDead; self.lanes = lanes
    }
}

/// Who is on the other end of a control connection (from `SO_PEERCRED`), for `manual_open` records.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var userName: String

    public init(pid: Int32, uid: UInt32, userName: String) { self.pid = pid; self.uid = uid; self.userName = userName }

    /// The login name of `uid`, or "uid N" when it has none.
    public static func userName(uid: UInt32) -> String {
        guard let pw = getpwuid(uid), let name = pw.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }
}
