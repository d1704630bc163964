import GateCore

/// `VoucherCode.normalise`: any scanner bytes. A code that passes holds only the allowed
/// alphabet, is 1–64 characters, normalises to itself again, and masks without its head.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVoucherCode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard case .success(let code) = VoucherCode.normalise(bytes) else { return 0 }
    let utf8 = Array(code.text.utf8)
    precondition((1...VoucherCode.maxLength).contains(utf8.count), "length \(utf8.count)")
    precondition(utf8.allSatisfy { b in
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2E || b == 0x2D
    }, "alphabet")
    precondition(VoucherCode.normalise(code.text) == .success(code), "not idempotent")
    let masked = code.masked
    if code.undashed.count > 6 {
        precondition(masked == "••••-••••-" + String(code.undashed.suffix(4)), "mask shows more than the last four")
    } else {
        precondition(masked.allSatisfy { $0 == "•" }, "a ShortCode is fully masked")
    }
    _ = code.isShortCode
    _ = code.isFullVoucherCode
    return 0
}
