import Foundation

/// Decodes a model from an already parsed JSON tree, scrubbing every string — values and object
/// keys alike — as the model reads it (issue 24: one parse per answer).
///
/// `AnswerDecoder` parses a body once into a `JSONValue`; the model is then read from that tree
/// through this decoder. No field can bypass the scrubber, since every string a model (or a model
/// added later) can see passes `singleValue`/`keyed` here; there is no second parse and no
/// re-encoding. Numbers follow `JSONDecoder`: an integer reads as any numeric type it fits, a
/// fraction only as a floating-point type.
struct ScrubbingTreeDecoder: Decoder {
    let value: JSONValue
    let scrubber: ServerTextScrubber
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: JSONValue, scrubber: ServerTextScrubber, codingPath: [any CodingKey] = []) {
        self.value = value; self.scrubber = scrubber; self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw mismatch([String: JSONValue].self) }
        var scrubbed: [String: JSONValue] = [:]
        for (key, value) in object { scrubbed[scrubber.scrub(key)] = value }
        return KeyedDecodingContainer(Keyed<Key>(object: scrubbed, scrubber: scrubber, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let array) = value else { throw mismatch([JSONValue].self) }
        return Unkeyed(array: array, scrubber: scrubber, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func mismatch(_ type: Any.Type) -> DecodingError {
        if case .null = value {
            return .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "null"))
        }
        return .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "unexpected JSON value"))
    }

    func child(_ value: JSONValue, _ key: any CodingKey) -> ScrubbingTreeDecoder {
        ScrubbingTreeDecoder(value, scrubber: scrubber, codingPath: codingPath + [key])
    }

    /// An integer of type `T`, from an integer or an integral number that fits.
    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        switch value {
        case .integer(let i): if let v = T(exactly: i) { return v }
        case .number(let d): if let v = T(exactly: d) { return v }
        default: break
        }
        throw mismatch(type)
    }

    func floating<T: BinaryFloatingPoint>(_ type: T.Type) throws -> T {
        switch value {
        case .integer(let i): return T(i)
        case .number(let d): return T(d)
        default: throw mismatch(type)
        }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let object: [String: JSONValue]
        let scrubber: ServerTextScrubber
        let codingPath: [any CodingKey]
        var allKeys: [Key] { object.keys.compactMap(Key.init(stringValue:)) }

        func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

        func decoder(for key: Key) throws -> ScrubbingTreeDecoder {
            guard let value = object[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
            }
            return ScrubbingTreeDecoder(value, scrubber: scrubber, codingPath: codingPath + [key])
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            guard let value = object[key.stringValue] else { return true }
            if case .null = value { return true }
            return false
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try decoder(for: key).decode(type)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey> {
            try decoder(for: key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try decoder(for: key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder {
            ScrubbingTreeDecoder(.object(object), scrubber: scrubber, codingPath: codingPath)
        }

        func superDecoder(forKey key: Key) throws -> any Decoder { try decoder(for: key) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let array: [JSONValue]
        let scrubber: ServerTextScrubber
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { array.count }
        var isAtEnd: Bool { currentIndex >= array.count }

        init(array: [JSONValue], scrubber: ServerTextScrubber, codingPath: [any CodingKey]) {
            self.array = array; self.scrubber = scrubber; self.codingPath = codingPath
        }

        struct Index: CodingKey {
            let intValue: Int?
            var stringValue: String { "\(intValue ?? 0)" }
            init(intValue: Int) { self.intValue = intValue }
            init?(stringValue: String) { nil }
        }

        mutating func next() throws -> ScrubbingTreeDecoder {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: codingPath, debugDescription: "array ended"))
            }
            defer { currentIndex += 1 }
            return ScrubbingTreeDecoder(array[currentIndex], scrubber: scrubber,
                                        codingPath: codingPath + [Index(intValue: currentIndex)])
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, case .null = array[currentIndex] else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
            -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

        mutating func superDecoder() throws -> any Decoder { try next() }
    }
}

extension ScrubbingTreeDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch(type) }
        return b
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let s) = value else { throw mismatch(type) }
        return scrubber.scrub(s)
    }

    func decode(_ type: Double.Type) throws -> Double { try floating(type) }
    func decode(_ type: Float.Type) throws -> Float { try floating(type) }
    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    /// Any other type reads itself from this decoder (models, arrays, dictionaries, `Decimal`).
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if type == Decimal.self {
            switch value {
            case .integer(let i): return Decimal(i) as! T
            case .number(let d): return Decimal(d) as! T
            default: throw mismatch(type)
            }
        }
        return try T(from: self)
    }
}
