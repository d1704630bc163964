import EgumaAPI
import EgumaSimulator
import Foundation
import Testing

/// The `--vouchers` file format of docs/simulator.md, and what the simulator does with it.
@Suite struct VoucherFileTests {
    static func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "vouchers-\(UUID().uuidString).json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let documented = """
        {
          "currency": "EUR",
          "vouchers": [
            {"code": "L4FU-5LQT-KJR3", "kind": "value", "balance_in_cents": 5000, "product_id": "gift-50",
             "name": "Wertgutschein", "valid_until": "2027-12-31", "message": "Nur montags"},
            {"code": "SPA1SPA2SPA3", "kind": "service", "product_id": "svc-spa-day"},
            {"code": "DEP0DEP0DEP1", "kind": "depot", "depot_amount_in_cents": 5000},
            {"code": "DEP0DEP0DEP2", "kind": "depot", "free_amount": true},
            {"code": "USED-USED-USED", "kind": "redeemed", "total_amount_in_cents": 3000}
          ],
          "short_codes": [{"short_code": "42", "code": "L4FU5LQTKJR3"}]
        }
        """

    @Test func theDocumentedExampleLoadsAndIsServed() async throws {
        let path = try Self.write(Self.documented)
        let file = try SimulatedVoucherFile.load(path: path)
        #expect(file.vouchers.count == 5)
        try await SimulatorHarness.with(vouchers: file) { h in
            let b = try await h.client.balance(code: "42", key: h.key)
            #expect(b.code == "L4FU5LQTKJR3")
            #expect(b.currency == "EUR")
            #expect(b.message == "Nur montags")
            #expect(try await h.client.activateStatus(code: "DEP0DEP0DEP2", key: h.key).freeAmount)
        }
    }

    @Test func aBareArrayIsAccepted() throws {
        let path = try Self.write(#"[{"code": "AAAA-BBBB-CCCC", "kind": "value", "balance_in_cents": 100}]"#)
        #expect(try SimulatedVoucherFile.load(path: path).vouchers.first?.balanceInCents == 100)
    }

    @Test(arguments: [
        (#"[{"code": "SHORT", "kind": "value"}]"#, "is not 12 letters or digits"),
        (#"[{"code": "AAAABBBBCCCC", "kind": "gold"}]"#, "field 0.kind"),
        (#"[{"code": "AAAABBBBCCCC", "kind": "value"}, {"code": "aaaa-bbbb-cccc", "kind": "value"}]"#, "appears twice"),
        (#"{"vouchers": [], "short_codes": [{"short_code": "7", "code": "AAAABBBBCCCC"}]}"#, "not two digits"),
        (#"{"vouchers": [], "short_codes": [{"short_code": "07", "code": "AAAABBBBCCCC"}]}"#, "unknown code"),
        ("not json", "not valid JSON"),
    ])
    func aBadFileIsRefusedWithTheReason(text: String, reason: String) throws {
        let path = try Self.write(text)
        do {
            _ = try SimulatedVoucherFile.load(path: path)
            Issue.record("accepted a bad file")
        } catch let error as SimulatorSetupError {
            #expect(error.description.contains(path))
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }
}

/// All outlets share one voucher ledger, also under concurrent calls.
@Suite struct ConcurrentRedeemTests {
    /// Every failure must be e-guma's own refusal: a redeem that never left the machine (once, a
    /// 2 s connect budget outlasted by the pool's queue under a loaded run) says nothing about
    /// the ledger, and is reported as what it is.
    @Test func concurrentRedeemsNeverTakeMoreThanTheBalance() async throws {
        try await SimulatorHarness.with { h in
            // 20 redeems of CHF 1.00 against a CHF 10.00 voucher, all at once.
            let results = await withTaskGroup(of: Result<RedeemResponse, EgumaError>.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        do throws(EgumaError) {
                            return .success(try await h.client.redeem(
                                code: DemoVouchers.tooLittle, amount: 100, reference: "c\(i)", key: h.key))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: [Result<RedeemResponse, EgumaError>]()) { $0.append($1) }
            }
            for case .failure(let error) in results {
                if case .badRequest = error.kind { continue }
                Issue.record("a redeem failed other than by e-guma's refusal: \(error)")
            }
            #expect(results.filter { (try? $0.get()) != nil }.count == 10)
            #expect(await h.server.balance(of: DemoVouchers.tooLittle) == 0)
            #expect(await h.server.netRedeemed(DemoVouchers.tooLittle) == 1_000)
        }
    }
}
