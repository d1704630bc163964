import EgumaAPI
import Foundation
import Hummingbird
import NIOCore

/// Routes e-guma v1 requests (`/v1/{collection}/{code}/{endpoint}.json?apikey=…`) to the account,
/// applies injected faults, and serves the `/_sim/…` admin routes.
///
/// Routing uses `EgumaAPI.Endpoint`, the same table the client builds its URLs from. The path is
/// split on the raw, still-encoded request target, so an encoded `%2F` in a code stays inside the
/// code segment, as on a real server.
struct SimulatorResponder: HTTPResponder {
    typealias Context = SimulatorRequestContext

    let account: SimulatedAccount
    /// Largest request body accepted (e-guma's bodies are a few hundred bytes).
    let maxBodyBytes = 64 * 1024

    func respond(to request: Request, context: Context) async throws -> Response {
        let target = request.head.path ?? "/"
        let (path, query) = Self.split(target)
        if path.hasPrefix("/_sim/") || path == "/_sim" {
            return try await SimulatorAdmin(account: account).respond(method: request.method, path: path,
                                                                       body: try await body(of: request))
        }
        if path == Endpoint.redemptions.listPath {
            return try await redemptionList(request, context: context, query: query)
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard segments.count == 5, segments[0].isEmpty, segments[1] == "v1",
              let endpoint = Endpoint.allCases.first(where: { $0.isPerCode && $0.collection == segments[2] && $0.fileName == segments[4] })
        else {
            await account.record(SimulatorRequestRecord(method: request.method.rawValue, rawPath: path, endpoint: nil, code: nil))
            return Self.response(.text(404, "Not Found"))
        }
        guard let code = FormDecoding.percentDecode(segments[3], plusIsSpace: false) else {
            await account.record(SimulatorRequestRecord(method: request.method.rawValue, rawPath: path, endpoint: endpoint, code: nil))
            return Self.response(.text(400, "Ungültige Kodierung im Gutschein-Code"))
        }
        await account.record(SimulatorRequestRecord(method: request.method.rawValue, rawPath: path, endpoint: endpoint, code: code))
        guard request.method.rawValue == endpoint.method.rawValue else {
            return Self.response(.text(405, "Methode \(request.method.rawValue) ist für \(endpoint.fileName) nicht erlaubt"))
        }

        var parameters = FormDecoding.decode(query)
        if endpoint.method == .post {
            let bodyBytes = try await body(of: request)
            switch BodyParameters.parse(bodyBytes, contentType: request.headers[.contentType]) {
            case .success(let fields): parameters.merge(fields.filter { $0.key != "apikey" }) { _, body in body }
            case .failure(let problem): return Self.response(.text(400, problem.message))
            }
        }

        let fault = await account.takeFault(for: endpoint)
        if let fault, fault.latencyMs > 0, fault.action != .applyLate {
            try await Task.sleep(for: .milliseconds(fault.latencyMs))
        }
        switch fault?.action ?? .none {
        case .status:
            let status = fault?.status ?? 500, body = fault?.body ?? ""
            let type = (200..<300).contains(status) ? "application/json; charset=utf-8" : "text/plain; charset=utf-8"
            return Self.response(SimulatorAnswer(status: status, body: Data(body.utf8), contentType: type))
        case .dropBeforeProcessing:
            try await drop(context)
        case .dropAfterProcessing:
            _ = await account.handle(endpoint, code: code, parameters: parameters)
            try await drop(context)
        case .applyLate:
            // Unstructured, so a client that gives up (and whatever that cancels) cannot stop it.
            let account = self.account, delay = fault?.latencyMs ?? 0
            await account.lateCall(started: true)
            let late = Task {
                try? await Task.sleep(for: .milliseconds(delay))
                let answer = await account.handle(endpoint, code: code, parameters: parameters)
                await account.lateCall(started: false)
                return answer
            }
            return Self.response(await late.value)
        case .none:
            break
        }
        return Self.response(await account.handle(endpoint, code: code, parameters: parameters))
    }

    /// The redemption list: not per code, a GET, and subject to the faults set for `redemptions`
    /// (status, drops, latency; `apply_late` has nothing to apply and answers late).
    private func redemptionList(_ request: Request, context: Context, query: String) async throws -> Response {
        await account.record(SimulatorRequestRecord(method: request.method.rawValue, rawPath: Endpoint.redemptions.listPath,
                                                    endpoint: .redemptions, code: nil))
        guard request.method == .get else {
            return Self.response(.text(405, "Methode \(request.method.rawValue) ist für redemptions.json nicht erlaubt"))
        }
        let fault = await account.takeFault(for: .redemptions)
        if let fault, fault.latencyMs > 0 { try await Task.sleep(for: .milliseconds(fault.latencyMs)) }
        switch fault?.action ?? .none {
        case .status:
            let status = fault?.status ?? 500, body = fault?.body ?? ""
            let type = (200..<300).contains(status) ? "application/json; charset=utf-8" : "text/plain; charset=utf-8"
            return Self.response(SimulatorAnswer(status: status, body: Data(body.utf8), contentType: type))
        case .dropBeforeProcessing, .dropAfterProcessing:
            try await drop(context)
        case .applyLate, .none:
            return Self.response(await account.redemptionList(parameters: FormDecoding.decode(query)))
        }
    }

    /// Closes the connection without an answer. The thrown error only ends the handler; the
    /// framework's attempt to answer it fails on the closed channel.
    private func drop(_ context: Context) async throws -> Never {
        try? await context.channel.close()
        throw ConnectionDropped()
    }

    private func body(of request: Request) async throws -> ByteBuffer {
        var request = request
        return try await request.collectBody(upTo: maxBodyBytes)
    }

    static func split(_ target: String) -> (path: String, query: String) {
        guard let q = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }

    static func response(_ answer: SimulatorAnswer) -> Response {
        Response(status: .init(code: answer.status),
                 headers: [.contentType: answer.contentType],
                 body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// Thrown after a fault closed the connection on purpose.
struct ConnectionDropped: Error {}
