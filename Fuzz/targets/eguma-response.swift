import EgumaAPI

/// e-guma answers: any status and body, decoded as each model the gate reads. Whatever the
/// server sends, no text that comes out contains the call's API key (`ServerTextScrubber`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEgumaResponse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let first = bytes.first else { return 0 }
    let secret = "fuzz-SECRET-key"
    let decoder = AnswerDecoder(key: APIKey(secret))
    let statuses = [200, 201, 400, 401, 404, 422, 500, 503]
    let status = statuses[Int(first) % statuses.count]
    let body = Array(bytes.dropFirst())
    func check<T: Decodable>(_ type: T.Type) {
        switch decoder.decode(type, status: status, body: body, endpoint: .balance, maskedCode: "••") {
        case .success(let answer):
            var dumped = ""
            dump(answer, to: &dumped)
            precondition(!dumped.contains(secret), "key in a decoded \(T.self)")
        case .failure(let error):
            precondition(!error.description.contains(secret), "key in an error")
        }
    }
    check(BalanceResponse.self)
    check(RedeemResponse.self)
    check(CodeBalanceResponse.self)
    check(InfoResponse.self)
    precondition(!decoder.scrubber.scrub(String(decoding: body, as: UTF8.self)).contains(secret), "key in scrubbed text")
    return 0
}
