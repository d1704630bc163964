import EgumaAPI
import GateCore
import GateDaemon

/// The lane's voucher service over two real HTTP clients: the simulator, or a refusing port.
struct RoutedService: VoucherService {
    enum Call: Hashable, Sendable {
        case balance, redeem, cancel
        init(_ endpoint: Endpoint) {
            switch endpoint {
            case .redeem: self = .redeem
            case .cancelRedemption: self = .cancel
            default: self = .balance
            }
        }
    }

    /// Decides, per call, whether it goes to the simulator or to a port that refuses connections:
    /// "refused" (the next call of a kind) and "e-guma went away after answering" (the next call of
    /// a kind is answered, every later call is refused until cleared).
    actor Route {
        private var refuseNext: Set<RoutedService.Call> = []
        private var downAfter: RoutedService.Call?
        private var down = false
        /// Whether a fault set here met a call since the last `clear`.
        private(set) var used = false

        func refuse(_ call: RoutedService.Call) { refuseNext.insert(call) }
        func goDown(after call: RoutedService.Call) { downAfter = call }
        func clear() { refuseNext = []; downAfter = nil; down = false; used = false }

        /// True when this call must be refused.
        func refuses(_ call: RoutedService.Call) -> Bool {
            if down { return true }
            if refuseNext.remove(call) != nil { used = true; return true }
            if downAfter == call { down = true; downAfter = nil; used = true }
            return false
        }
    }

    let live: EgumaVoucherService
    let dead: EgumaVoucherService
    let route: Route

    func balance(of code: VoucherCode) async throws(VoucherServiceError) -> VoucherBalance {
        try await (route.refuses(.balance) ? dead : live).balance(of: code)
    }

    func redeem(_ code: VoucherCode, amount: Money, reference: String) async throws(VoucherServiceError) -> VoucherRedemption {
        try await (route.refuses(.redeem) ? dead : live).redeem(code, amount: amount, reference: reference)
    }

    func cancel(_ code: VoucherCode, token: String, amount: Money) async throws(VoucherServiceError) -> Money {
        try await (route.refuses(.cancel) ? dead : live).cancel(code, token: token, amount: amount)
    }
}
