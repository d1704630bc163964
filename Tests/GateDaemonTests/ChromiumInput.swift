import Foundation

/// Clicks and touches on page elements, dispatched by Chromium's own input pipeline (the page
/// sees real pointer events, as from a mouse or a touch screen).
extension ChromiumSession {
    /// The centre of the first element matching `selector`, in CSS pixels.
    func centre(of selector: String) async throws -> (x: Double, y: Double) {
        let json = try await evaluate("""
            (function () { var e = document.querySelector(\(Self.jsString(selector)));
              if (!e) return ''; var r = e.getBoundingClientRect();
              return JSON.stringify([r.left + r.width / 2, r.top + r.height / 2]); })()
            """)
        guard let data = json.data(using: .utf8), let point = try? JSONSerialization.jsonObject(with: data) as? [Double],
              point.count == 2 else { throw Failure(description: "no element \(selector) on the page") }
        return (point[0], point[1])
    }

    /// A left mouse click on the element.
    func click(_ selector: String) async throws {
        let (x, y) = try await centre(of: selector)
        for type in ["mouseMoved", "mousePressed", "mouseReleased"] {
            _ = try await call("Input.dispatchMouseEvent", ["type": type, "x": x, "y": y, "button": "left", "clickCount": 1])
        }
    }

    /// A finger tap on the element.
    func tap(_ selector: String) async throws {
        let (x, y) = try await centre(of: selector)
        _ = try await call("Input.dispatchTouchEvent", ["type": "touchStart", "touchPoints": [["x": x, "y": y]]])
        _ = try await call("Input.dispatchTouchEvent", ["type": "touchEnd", "touchPoints": [[String: Any]]()])
    }

    /// Presses the keypad keys for `text`, one by one (`tap` or `click`).
    func type(_ text: String, touch: Bool) async throws {
        for ch in text {
            let selector = "#kp button[data-k=\"\(ch)\"]"
            if touch { try await tap(selector) } else { try await click(selector) }
        }
    }

    static func jsString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
