import Foundation

/// The control socket's request parser: any line. A request that parses encodes and parses
/// back to itself; an answer always encodes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzControlMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let line = String(decoding: bytes, as: UTF8.self)
    guard let request = ControlRequest.parse(line) else { return 0 }
    let encoded = (try? JSONEncoder().encode(request)).map { String(decoding: $0, as: UTF8.self) }
    precondition(encoded.flatMap(ControlRequest.parse) == request, "round trip")
    let answer = ControlResponse.failure("unknown command \"\(request.command)\"")
    precondition((try? JSONEncoder().encode(answer)) != nil, "answer encodes")
    return 0
}
