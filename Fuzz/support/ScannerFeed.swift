/// Feeds `bytes` to a scanner decoder in reads of `chunk` bytes, as a device could deliver them,
/// then lets the idle gap pass; returns every frame (shared by the evdev and HID-POS targets).
func feed<D: ScannerDecoder>(_ decoder: inout D, _ bytes: ArraySlice<UInt8>, chunk: Int) -> [[UInt8]] {
    var frames: [[UInt8]] = []
    var rest = bytes
    while !rest.isEmpty {
        let piece = Array(rest.prefix(chunk))
        frames += piece.withUnsafeBytes { decoder.consume($0) }
        rest = rest.dropFirst(chunk)
    }
    if let last = decoder.idle() { frames.append(last) }
    return frames
}
