import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The e-guma REST API v1 client: every documented endpoint, typed.
///
/// One instance per process: it owns one AsyncHTTPClient with a keep-alive pool on one event loop,
/// so a scan reuses a warm TLS connection when one exists, on that connection's own thread. Keys
/// are passed per call because each outlet has its own.
///
/// Never logs a URL (the key is in it); logs show endpoint, masked code, status and latency.
public final class EgumaClient: Sendable {
    public let configuration: EgumaClientConfiguration
    /// Internal for the test that holds it to one event loop (`ClientEventLoopTests`).
    let http: HTTPClient
    private let logger: Logger
    private let observer: (@Sendable (Endpoint, Duration, EgumaError?) -> Void)?

    /// - Parameter observer: called after every call with its latency and error (for metrics and
    ///   the online/offline detector). Must not block.
    public init(configuration: EgumaClientConfiguration, logger: Logger = Logger(label: "eguma-api"),
                observer: (@Sendable (Endpoint, Duration, EgumaError?) -> Void)? = nil) throws {
        if let problem = EgumaClientConfiguration.problem(withBaseURL: configuration.baseURL) {
            throw EgumaConfigurationError(key: "api.base_url", reason: problem)
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let ca = configuration.caFile {
            guard FileManager.default.isReadableFile(atPath: ca) else {
                throw EgumaConfigurationError(key: "api.ca_file", reason: "cannot read \(ca)")
            }
            tls.additionalTrustRoots = [.file(ca)]
        }
        var httpConfig = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .init(configuration.connectTimeout),
                           read: .init(configuration.requestTimeout)),
            connectionPool: .init(idleTimeout: .seconds(90)))
        httpConfig.httpVersion = .http1Only
        // Fail fast: a refused connection or a failed TLS handshake is reported at once as
        // `notSent` instead of being retried until the connect timeout, so a guest at an offline
        // gate hears "offline" in milliseconds, not seconds. TCP still retries a lost SYN itself.
        httpConfig.connectionPool.retryConnectionEstablishment = false
        // One event loop of the shared group, not the group: every request's task and every pooled
        // connection then live on the same thread. Given the whole group, AsyncHTTPClient hands
        // each request to the next loop in turn while the warm connection stays on the loop it was
        // opened on, so with two loops a lane's Redeem (its second call of an admission) ran on the
        // other loop than its connection, every time: head and body, and the answer, each crossed
        // threads (traced: ~0.25 ms each way on the scan → relay path, issue 24). One loop carries
        // a venue's few calls at a time with room to spare.
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup.next(), configuration: httpConfig)
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
    }

    /// Closes pooled connections. Call once at shutdown.
    public func shutdown() async throws { try await http.shutdown() }

    /// A client dropped without `shutdown()` (a start-up that failed half-way, a test that stopped
    /// at a failed expectation) closes its pool in the background: AsyncHTTPClient stops a debug
    /// process whose client is freed before it was shut down, which took every other test with it.
    /// After `shutdown()` this second call only reports "already shut down", which is ignored.
    deinit {
        http.shutdown(queue: .global()) { _ in }
    }

    /// Opens (or keeps open) a pooled connection to e-guma without calling any voucher endpoint,
    /// so the first guest of the morning does not wait for a TLS handshake. Sends no key.
    /// Returns whether e-guma answered at all (any HTTP status counts).
    @discardableResult
    public func warmUp() async -> Bool {
        guard let request = try? HTTPClient.Request(url: configuration.baseURL.trimmingSuffix("/") + "/v1/", method: .HEAD) else {
            return false
        }
        let collector = ResponseCollector(limit: 4096)
        let task = http.execute(request: request, delegate: collector,
                                deadline: .now() + .init(configuration.requestTimeout))
        return (try? await task.futureResult.get()) != nil
    }

    // MARK: Vouchers

    /// `sent`, when given, is called once the request is written to the connection (on the
    /// client's event loop; it must not block) — not at all when it never was.
    public func balance(code: String, key: APIKey, sent: (@Sendable () -> Void)? = nil) async throws(EgumaError) -> BalanceResponse {
        try await call(.balance, code: code, key: key, body: Optional<RedeemRequest>.none, sent: sent)
    }

    public func info(code: String, key: APIKey) async throws(EgumaError) -> InfoResponse {
        try await call(.info, code: code, key: key, body: Optional<RedeemRequest>.none)
    }

    public func redeem(code: String, amount: Cents, reference: String?, key: APIKey) async throws(EgumaError) -> RedeemResponse {
        try await call(.redeem, code: code, key: key,
                       body: RedeemRequest(amountInCents: amount, referenceNumber: reference))
    }

    public func cancelRedemption(code: String, token: String, amount: Cents, key: APIKey) async throws(EgumaError) -> CodeBalanceResponse {
        try await call(.cancelRedemption, code: code, key: key,
                       body: CancelRedemptionRequest(redeemToken: token, amountInCents: amount))
    }

    public func chargeStatus(code: String, key: APIKey) async throws(EgumaError) -> ChargeStatusResponse {
        try await call(.chargeStatus, code: code, key: key, body: Optional<RedeemRequest>.none)
    }

    public func charge(code: String, request: ChargeRequest, key: APIKey) async throws(EgumaError) -> ChargeResponse {
        try await call(.charge, code: code, key: key, body: request)
    }

    public func cancelCharge(code: String, request: CancelChargeRequest, key: APIKey) async throws(EgumaError) -> CodeBalanceResponse {
        try await call(.cancelCharge, code: code, key: key, body: request)
    }

    // MARK: Redemption list

    /// e-guma's List of Voucher Redemptions for [`from`, `to`] (both inclusive, whole seconds),
    /// sent and read in `configuration.timeZone` (e-guma's local time). Rows whose `redeemed_at`
    /// is not a local time fail the whole call as undecodable: a list with guessed times would
    /// put redemptions on the wrong day.
    /// - Parameters:
    ///   - userID: only this e-guma user's redemptions (each outlet key belongs to one user).
    ///   - complimentary: nil leaves e-guma's default (included).
    public func redemptions(from: Date, to: Date, userID: EgumaID? = nil, complimentary: ComplimentaryFilter? = nil,
                            key: APIKey) async throws(EgumaError) -> [EgumaRedemption] {
        let local = EgumaLocalTime(configuration.timeZone)
        var query = [("from", local.format(from)), ("to", local.format(to))]
        if let userID { query.append(("user_id", userID.text)) }
        if let complimentary { query.append(("complimentary", complimentary.rawValue)) }
        let subject = "\(query[0].1)…\(query[1].1)"
        let items: [RedemptionListItem] = try await call(
            .redemptions, path: Endpoint.redemptions.listPath, subject: subject, query: query,
            limit: max(configuration.maxListBytes, configuration.maxResponseBytes), key: key, body: Optional<RedeemRequest>.none)
        var result: [EgumaRedemption] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let at = local.parse(item.redeemedAtLocal) else {
                let error = EgumaError(kind: .undecodable(detail: "redeemed_at \"\(item.redeemedAtLocal.prefix(40))\" is not a local time like 2025-05-21T16:28:17"),
                                       endpoint: .redemptions, maskedCode: subject)
                logger.info("e-guma redemptions \(subject): \(error)")
                throw error
            }
            result.append(EgumaRedemption(item: item, redeemedAt: at))
        }
        return result
    }

    // MARK: Depot vouchers

    public func activateStatus(code: String, key: APIKey) async throws(EgumaError) -> ActivateStatusResponse {
        try await call(.activateStatus, code: code, key: key, body: Optional<RedeemRequest>.none)
    }

    public func activate(code: String, amount: Cents?, key: APIKey) async throws(EgumaError) -> CodeBalanceResponse {
        try await call(.activate, code: code, key: key, body: ActivateRequest(amountInCents: amount))
    }

    public func deactivateStatus(code: String, key: APIKey) async throws(EgumaError) -> DeactivateStatusResponse {
        try await call(.deactivateStatus, code: code, key: key, body: Optional<RedeemRequest>.none)
    }

    public func deactivate(code: String, reason: String?, key: APIKey) async throws(EgumaError) -> DeactivateResponse {
        try await call(.deactivate, code: code, key: key, body: DeactivateRequest(deactivateReason: reason))
    }

    // MARK: Transport

    private func call<Body: Encodable, Answer: Decodable>(
        _ endpoint: Endpoint, code: String, key: APIKey, body: Body?, sent: (@Sendable () -> Void)? = nil
    ) async throws(EgumaError) -> Answer {
        try await call(endpoint, path: endpoint.path(code: code), subject: maskCode(code), query: [],
                       limit: configuration.maxResponseBytes, key: key, body: body, sent: sent)
    }

    /// One call. `subject` names what the call is about in logs and errors (a masked code, or
    /// the list's window); `query` is added after the key, every value escaped.
    private func call<Body: Encodable, Answer: Decodable>(
        _ endpoint: Endpoint, path: String, subject masked: String, query: [(String, String)], limit: Int,
        key: APIKey, body: Body?, sent: (@Sendable () -> Void)? = nil
    ) async throws(EgumaError) -> Answer {
        func fail(_ kind: EgumaError.Kind) -> EgumaError {
            EgumaError(kind: kind, endpoint: endpoint, maskedCode: masked)
        }
        let started = ContinuousClock.now
        let result: Result<Answer, EgumaError>
        do {
            let (status, bytes) = try await send(endpoint, path: path, query: query, limit: limit, key: key, body: body, sent: sent)
            result = AnswerDecoder(key: key).decode(status: status, body: bytes, endpoint: endpoint, maskedCode: masked)
        } catch let tooLarge as ResponseTooLarge {
            // An answer came back, it is just not one e-guma would send.
            result = .failure(fail(.undecodable(detail: tooLarge.description)))
        } catch let error as TransportFailure {
            let reason = ServerTextScrubber(key: key).scrub(error.reason)
            result = .failure(fail(error.sent ? .uncertain(reason: reason) : .notSent(reason: reason)))
        } catch {
            result = .failure(fail(.notSent(reason: ServerTextScrubber(key: key).scrub(describeTransport(error)))))
        }
        let elapsed = ContinuousClock.now - started
        observer?(endpoint, elapsed, result.failure)
        switch result {
        case .success(let answer):
            logger.debug("e-guma \(endpoint.rawValue) \(masked): ok in \(elapsed.milliseconds) ms")
            return answer
        case .failure(let error):
            logger.info("e-guma \(endpoint.rawValue) \(masked): \(error) (\(elapsed.milliseconds) ms)")
            throw error
        }
    }

    private func send<Body: Encodable>(_ endpoint: Endpoint, path: String, query: [(String, String)], limit: Int,
                                       key: APIKey, body: Body?, sent: (@Sendable () -> Void)?) async throws -> (Int, [UInt8]) {
        // Every byte outside the unreserved set is escaped: URLComponents would leave "+" alone,
        // which a Rails-style server decodes as a space (a key with "+" would then be refused).
        let url = configuration.baseURL.trimmingSuffix("/") + path
            + "?apikey=" + Endpoint.encodePathSegment(key.secret)
            + query.map { "&\($0.0)=\(Endpoint.encodePathSegment($0.1))" }.joined()
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "eguma-gate")
        var requestBody: HTTPClient.Body?
        if endpoint.method == .post {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let data = try body.map { try encoder.encode($0) } ?? Data("{}".utf8)
            headers.add(name: "Content-Type", value: "application/json")
            requestBody = .byteBuffer(ByteBuffer(bytes: data))
        }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: endpoint.method == .post ? .POST : .GET,
                                             headers: headers, body: requestBody)
        } catch {
            throw TransportFailure(sent: false, reason: "invalid request URL for base_url")
        }
        let collector = ResponseCollector(limit: limit, sent: sent)
        let deadline = NIODeadline.now() + .init(configuration.requestTimeout)
        let task = http.execute(request: request, delegate: collector, deadline: deadline)
        do {
            return try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch let limit as ResponseTooLarge {
            throw limit
        } catch {
            throw TransportFailure(sent: collector.requestHeadSent, reason: describeTransport(error))
        }
    }
}

/// A configuration value the client cannot work with.
public struct EgumaConfigurationError: Error, Sendable, CustomStringConvertible {
    public let key: String
    public let reason: String
    public var description: String { "\(key): \(reason)" }
}

struct TransportFailure: Error {
    let sent: Bool
    let reason: String
}

struct ResponseTooLarge: Error, CustomStringConvertible {
    let limit: Int
    var description: String { "answer larger than \(limit) bytes" }
}

/// Collects the answer and remembers whether the request head went out, which is what tells a
/// certain failure (`notSent`) from an uncertain one.
final class ResponseCollector: HTTPClientResponseDelegate, Sendable {
    typealias Response = (Int, [UInt8])

    private struct State {
        var sent = false
        var status = 0
        var bytes: [UInt8] = []
    }
    private let state = NIOLockedValueBox(State())
    private let limit: Int
    /// Told once the whole request is written (`EgumaClient.balance(code:key:sent:)`).
    private let sent: (@Sendable () -> Void)?

    init(limit: Int, sent: (@Sendable () -> Void)? = nil) { self.limit = limit; self.sent = sent }

    var requestHeadSent: Bool { state.withLockedValue { $0.sent } }

    func didSendRequestHead(task: HTTPClient.Task<Response>, _ head: HTTPRequestHead) {
        state.withLockedValue { $0.sent = true }
    }

    func didSendRequest(task: HTTPClient.Task<Response>) {
        sent?()
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLockedValue { $0.status = Int(head.status.code) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let tooLarge = state.withLockedValue { s -> Bool in
            s.bytes.append(contentsOf: buffer.readableBytesView)
            return s.bytes.count > limit
        }
        return tooLarge ? task.eventLoop.makeFailedFuture(ResponseTooLarge(limit: limit))
                        : task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        state.withLockedValue { ($0.status, $0.bytes) }
    }
}

extension EgumaClient {
    /// A transport error in words, without URLs (AsyncHTTPClient's descriptions never carry the
    /// query, but we do not rely on that: callers redact the key too).
    fileprivate func describeTransport(_ error: any Error) -> String {
        if let e = error as? ResponseTooLarge { return e.description }
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout: return "connect timeout"
            case .deadlineExceeded: return "request timeout"
            case .readTimeout: return "read timeout"
            case .remoteConnectionClosed: return "connection closed by e-guma"
            case .cancelled: return "cancelled"
            default: return "HTTP client error \(e.shortDescription)"
            }
        }
        if let e = error as? NIOSSLError { return describeTLS("\(e)") }
        if let e = error as? BoringSSLError { return describeTLS("\(e)") }
        if let e = error as? NIOConnectionError {
            if let first = e.connectionErrors.first { return "connect to \(e.host):\(e.port): \(describeIO(first.error))" }
            if e.dnsAError != nil || e.dnsAAAAError != nil { return "DNS lookup of \(e.host) failed" }
            return "cannot connect to \(e.host):\(e.port)"
        }
        return describeIO(error)
    }

    /// BoringSSL's text carries build paths and numeric codes; name the usual cases plainly.
    fileprivate func describeTLS(_ text: String) -> String {
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS: the server's certificate is not trusted (CERTIFICATE_VERIFY_FAILED) — for a test server set api.ca_file"
        }
        if text.contains("hostname") || text.contains("HOSTNAME") {
            return "TLS: the certificate does not match the host name"
        }
        return "TLS: " + (text.split(separator: " at /").first.map(String.init) ?? text)
    }

    fileprivate func describeIO(_ error: any Error) -> String {
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased()
        }
        if let ch = error as? ChannelError {
            switch ch {
            case .connectTimeout: return "connect timeout"
            case .ioOnClosedChannel, .alreadyClosed, .eof: return "connection closed"
            default: return "channel error"
            }
        }
        return String(describing: type(of: error))
    }
}

extension HTTPClientError {
    fileprivate var shortDescription: String {
        String(describing: self).replacingOccurrences(of: "HTTPClientError.", with: "")
    }
}

/// Masks a voucher code for logs and errors (mirror of GateCore's `VoucherCode.mask`, which this
/// target cannot import): only the last four characters stay visible.
public func maskCode(_ code: String) -> String {
    let chars = Array(code.filter { $0 != "-" })
    guard chars.count > 6 else { return String(repeating: "•", count: max(chars.count, 2)) }
    return "••••-••••-" + String(chars.suffix(4))
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (s, atto) = duration.components
        self = .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
