import EgumaAPI
import Foundation
import Testing

/// `Cents` reads e-guma's amounts as numbers and as numeric strings.
@Suite struct CentsTests {
    struct Box: Codable { var amount_in_cents: Cents }

    static func decode(_ json: String) throws -> Cents {
        try JSONDecoder().decode(Box.self, from: Data(json.utf8)).amount_in_cents
    }

    @Test func decodesANumber() throws {
        #expect(try Self.decode(#"{"amount_in_cents": 15000}"#) == 15_000)
    }

    @Test func decodesANumericString() throws {
        #expect(try Self.decode(#"{"amount_in_cents": "15000"}"#) == 15_000)
        #expect(try Self.decode(#"{"amount_in_cents": " 250 "}"#) == 250)
        #expect(try Self.decode(#"{"amount_in_cents": "-5"}"#) == -5)
    }

    @Test func decodesAWholeFloatingNumberExactly() throws {
        #expect(try Self.decode(#"{"amount_in_cents": 15000.0}"#) == 15_000)
    }

    @Test(arguments: [#"{"amount_in_cents": "12.50"}"#, #"{"amount_in_cents": 12.5}"#, #"{"amount_in_cents": "abc"}"#,
                      #"{"amount_in_cents": ""}"#, #"{"amount_in_cents": true}"#, #"{"amount_in_cents": null}"#])
    func refusesWhatIsNotAWholeNumberOfCents(json: String) {
        #expect(throws: (any Error).self) { try Self.decode(json) }
    }

    @Test func encodesAsANumber() throws {
        let data = try JSONEncoder().encode(Box(amount_in_cents: 2_500))
        #expect(String(decoding: data, as: UTF8.self) == #"{"amount_in_cents":2500}"#)
    }

    @Test func describesAsFrancsAndCentimes() {
        #expect(Cents(2_500).description == "25.00")
        #expect(Cents(5).description == "0.05")
        #expect(Cents(-1_234).description == "-12.34")
    }
}
