import GateCore

/// The evdev keyboard-wedge decoder: any `input_event` bytes, any layout, any read split.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEvdev(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard bytes.count >= 2 else { return 0 }
    let layouts = LaneScannerConfig.Layout.allCases
    var decoder = EvdevDecoder(layout: .named(layouts[Int(bytes[0]) % layouts.count]), idleMs: 50)
    let chunk = Int(bytes[1] % 48) + 1
    let frames = feed(&decoder, bytes.dropFirst(2), chunk: chunk)
    for frame in frames {
        precondition(frame.count <= VoucherCode.maxLength + 1, "frame of \(frame.count) bytes")
        _ = VoucherCode.normalise(frame)
    }
    return 0
}
