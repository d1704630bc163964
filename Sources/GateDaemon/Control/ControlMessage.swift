import Foundation

/// One request on the control socket: a JSON object on one line.
///
/// Commands: `status`, `open` and `unlock` (with `lane`), `sim_passage` (with `lane`), `reload`.
public struct ControlRequest: Codable, Sendable, Equatable {
    public var command: String
    public var lane: String?

    public init(command: String, lane: String? = nil) { self.command = command; self.lane = lane }

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

    public init(ok: Bool, error: String? = nil, message: String? = nil, status: GateStatus? = nil) {
        self.ok = ok; self.error = error; self.message = message; self.status = status
    }

    public static func failure(_ text: String) -> ControlResponse { ControlResponse(ok: false, error: text) }
}

/// What `eguma-gate status` shows.
public struct GateStatus: Codable, Sendable, Equatable {
    public struct Lane: Codable, Sendable, Equatable {
        public var name: String
        public var mode: String
        public var scannerPresent: Bool
        public var scannerDevice: String?
        public var state: String
        public var entriesToday: Int
        public var lastAdmissions: [String]

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
    public var outboxDepth: Int
    public var lanes: [Lane]

    public init(gate: String, online: Bool, emergency: Bool, outboxDepth: Int, lanes: [Lane]) {
        self.gate = gate; self.online = online; self.emergency = emergency
        self.outboxDepth = outboxDepth; self.lanes = lanes
    }
}

/// Who is on the other end of a control connection (from `SO_PEERCRED`), for `manual_open` records.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var userName: String

    public init(pid: Int32, uid: UInt32, userName: String) { self.pid = pid; self.uid = uid; self.userName = userName }
}
