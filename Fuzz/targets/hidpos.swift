import GateCore

/// The HID-POS report decoder: any report bytes, report sizes 1–80 (clamped to 7+), any split.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHIDPOS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard bytes.count >= 2 else { return 0 }
    var decoder = HIDPOSDecoder(reportSize: Int(bytes[0] % 80) + 1)
    let chunk = Int(bytes[1] % 100) + 1
    let frames = feed(&decoder, bytes.dropFirst(2), chunk: chunk)
    precondition(decoder.idleTimeoutMs == nil, "idle() drops a pending code")
    for frame in frames {
        precondition(frame.count <= VoucherCode.maxLength + 1, "frame of \(frame.count) bytes")
        _ = VoucherCode.normalise(frame)
    }
    return 0
}
