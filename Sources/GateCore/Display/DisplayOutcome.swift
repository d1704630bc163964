/// The colour class of a guest screen: the kiosk page uses it as a CSS class, so keep the raw
/// values stable.
public enum DisplayOutcome: String, Sendable, CaseIterable, Codable {
    /// Waiting for a scan (neutral).
    case idle
    /// Checking with e-guma (blue).
    case busy
    /// Accepted, walk through, valid voucher (green).
    case success
    /// Something is still needed or was undone: scan another voucher, payment cancelled (amber).
    case warning
    /// Denied, offline, out of order (red).
    case failure
    /// Emergency opening (flashing).
    case alarm
}
