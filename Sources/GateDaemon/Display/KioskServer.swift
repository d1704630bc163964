import GateCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The guest kiosk pages on `[gate] display`: `/` lists the lanes, `/lanes/NAME` is a full-screen
/// page for an HDMI screen, `/lanes/NAME/events` streams its screens as Server-Sent Events (the
/// current one first, then every change), `POST /lanes/NAME/keypad` takes a code typed on a keypad
/// lane's own screen (`KeypadKeys`: 403 for anyone else). No external assets: the page works with the venue's
/// internet down, and EventSource reconnects by itself after a daemon restart (`retry:`).
public struct KioskServer: Service {
    public let host: String
    public let port: Int
    private let hub: KioskHub
    private let states: Broadcast<LaneFeedback.LaneState>
    private let logger: Logger
    /// How long a page waits before reconnecting (the SSE `retry:` field).
    static let retryMilliseconds = 2000
    /// A comment line this often keeps proxies from closing the stream and finds dead pages.
    static let heartbeat: Duration = .seconds(15)

    init(address: String, hub: KioskHub, states: Broadcast<LaneFeedback.LaneState>, logger: Logger) {
        let colon = address.lastIndex(of: ":") ?? address.endIndex
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "127.0.0.1" : host
        self.port = colon < address.endIndex ? Int(address[address.index(after: colon)...]) ?? 8080 : 8080
        self.hub = hub; self.states = states; self.logger = logger
    }

    public func run() async throws {
        let hub = self.hub
        let subscription = states.subscribe()
        let pump = Task {
            for await state in subscription { hub.apply(state) }
        }
        let beat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.heartbeat)
                hub.updates.send(.heartbeat)
            }
        }
        defer { pump.cancel(); beat.cancel() }
        let app = Application(
            router: Self.router(hub: hub),
            configuration: .init(address: .hostname(host, port: port), serverName: "eguma-gate"),
            onServerRunning: { channel in hub.port.update { $0 = channel.localAddress?.port ?? 0 } },
            logger: logger)
        try await withGracefulShutdownHandler {
            try await app.runService(gracefulShutdownSignals: [])  // signals belong to the daemon's group alone: reacting to SIGTERM here too ended this service out of turn (exit 1)
        } onGracefulShutdown: {
            hub.close()
        }
    }

    static func router(hub: KioskHub) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ -> Response in
            html(KioskPage.index(lanes: hub.laneNames))
        }
        router.get("lanes/:name") { request, context -> Response in
            guard let name = context.parameters.get("name"), hub.screen(lane: name) != nil else {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "no such lane\n")))
            }
            let key = request.uri.queryParameters["key"].map(String.init)
            let own = hub.isOwnScreen(lane: name, key: key)
            return html(KioskPage.lane(name: name, language: hub.language(lane: name), key: own ? key : nil,
                                       keypad: hub.hasKeypad(lane: name), receipt: hub.asksForReceipt(lane: name)))
        }
        // A typed code (body: the code, header X-Keypad-Key: the lane's secret). Neither is logged.
        router.post("lanes/:name/keypad") { request, context -> Response in
            guard let name = context.parameters.get("name"), hub.screen(lane: name) != nil else {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "no such lane\n")))
            }
            var request = request
            let key = secret(request)
            guard hub.hasKeypad(lane: name), hub.isOwnScreen(lane: name, key: key) else { return notOwnScreen(name) }
            let body = (try? await request.collectBody(upTo: KioskHub.maximumCodeLength + 1)).map { Array($0.readableBytesView) }
            switch hub.submit(lane: name, key: key, code: body ?? []) {
            case .accepted:
                return Response(status: .accepted)
            case .forbidden:
                return Response(status: .forbidden)
            case .malformed:
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "a code of 1 to \(KioskHub.maximumCodeLength) characters\n")))
            }
        }
        router.get("lanes/:name/events") { _, context -> Response in
            guard let name = context.parameters.get("name"), hub.screen(lane: name) != nil else {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "no such lane\n")))
            }
            guard !hub.isClosed else {
                // Stopping: the page's EventSource retries and finds the next daemon.
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "stopping\n")))
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream; charset=utf-8"
            headers[.cacheControl] = "no-store"
            // Subscribed before the current screen is read: a change in between is sent twice, never lost.
            let updates = hub.updates.subscribe(buffer: 64)
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                hub.connections.update { $0 += 1 }
                defer { hub.connections.update { $0 -= 1 } }
                var first = "retry: \(retryMilliseconds)\n\n"
                if let screen = hub.screen(lane: name) { first += KioskHub.event(screen) }
                try await writer.write(ByteBuffer(string: first))
                for await update in updates {
                    switch update {
                    case .screen(let screen) where screen.lane == name:
                        try await writer.write(ByteBuffer(string: KioskHub.event(screen)))
                    case .heartbeat:
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    case .screen:
                        continue
                    }
                }
                try await writer.finish(nil)
            })
        }
        // The receipt button of `receipt = "ask"` (header X-Keypad-Key: the lane's secret).
        router.post("lanes/:name/receipt") { request, context -> Response in
            guard let name = context.parameters.get("name"), hub.asksForReceipt(lane: name) else {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "no lane that offers receipts\n")))
            }
            guard hub.isOwnScreen(lane: name, key: secret(request)) else { return notOwnScreen(name) }
            return hub.takeReceipt(lane: name, key: secret(request)) ? Response(status: .accepted)
                : Response(status: .conflict, body: .init(byteBuffer: ByteBuffer(string: "no receipt offered now\n")))
        }
        return router
    }

    /// The lane secret a page sends with its input (`X-Keypad-Key`).
    private static func secret(_ request: Request) -> String? { request.headers[.init("X-Keypad-Key")!] }

    private static func notOwnScreen(_ lane: String) -> Response {
        Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(
            string: "not this lane's screen: open /lanes/\(lane)?key=SECRET (the secret is in keypad-\(lane).key beside the journal; see docs/display.md)\n")))
    }

    private static func html(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
