/// The configuration reader: any text through TOML parsing (TOMLKit, linked uninstrumented) and
/// the whole validation. It either yields a configuration or errors that each say something.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let text = String(decoding: bytes, as: UTF8.self)
    do {
        let config = try GateConfig.parse(text: text, file: "fuzz.toml")
        precondition(!config.lanes.isEmpty, "a valid config has a lane")
    } catch {
        precondition(!error.errors.isEmpty, "an error without a problem")
        for problem in error.errors { precondition(!problem.description.isEmpty, "an empty problem") }
    }
    return 0
}
