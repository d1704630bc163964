import GateCore

/// The serial `Framer`: the first byte picks the terminator, the second how reads are split.
/// Frames stay bounded (at most maxLength + 1 bytes) and carry no control bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFramer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard bytes.count >= 2 else { return 0 }
    let terminators = LaneScannerConfig.Terminator.allCases
    var framer = Framer(terminator: terminators[Int(bytes[0]) % terminators.count])
    let chunk = Int(bytes[1] % 17) + 1
    var frames: [[UInt8]] = []
    var rest = bytes.dropFirst(2)
    while !rest.isEmpty {
        frames += framer.feed(rest.prefix(chunk))
        rest = rest.dropFirst(chunk)
    }
    if let last = framer.idle() { frames.append(last) }
    precondition(!framer.hasPending, "idle() leaves nothing pending")
    for frame in frames {
        precondition(frame.count <= framer.maxLength + 1, "frame of \(frame.count) bytes")
        precondition(frame.allSatisfy { $0 >= 0x20 && $0 != 0x7F }, "control byte in a frame")
        _ = VoucherCode.normalise(frame)
    }
    return 0
}
