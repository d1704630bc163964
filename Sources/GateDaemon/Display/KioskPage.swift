/// The kiosk's HTML: one self-contained page per lane (inline CSS and JavaScript, no fonts or
/// scripts from elsewhere), and the lane list.
enum KioskPage {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func index(lanes: [String]) -> String {
        let items = lanes.map { "<li><a href=\"/lanes/\(escape($0))\">\(escape($0))</a></li>" }.joined(separator: "\n")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>eguma-gate lanes</title>
            <style>body{font-family:system-ui,sans-serif;background:#1d2433;color:#fff;margin:3rem;font-size:2rem}a{color:#9cf}</style>
            </head><body><h1>Lanes</h1><ul id="lanes">
            \(items)
            </ul></body></html>
            """
    }

    /// - Parameters:
    ///   - key: the lane's secret when the page was opened with it (`KeypadKeys`); nil shows the screen alone.
    ///   - keypad: with the key, the touch keyboard (`KioskKeypad`).
    ///   - receipt: with the key, the receipt button of `receipt = "ask"`.
    static func lane(name: String, language: String, key: String? = nil, keypad: Bool = false, receipt: Bool = false) -> String {
        let keypadKey = keypad ? key : nil
        let receiptKey = receipt ? key : nil
        return page(name: name, language: language, keypadKey: keypadKey, receiptKey: receiptKey)
    }

    private static func page(name: String, language: String, keypadKey: String?, receiptKey: String?) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(escape(language))"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width,initial-scale=1">
        <title>\(escape(name))</title>
        <style>
        html,body{margin:0;height:100%;overflow:hidden;cursor:none}
        body{font-family:"DejaVu Sans",system-ui,sans-serif;color:#fff;background:#1d2433;display:flex;
          flex-direction:column;justify-content:center;align-items:center;text-align:center;transition:background .2s}
        #title{font-size:min(9vw,13vh);font-weight:700;margin:0 4vw 3vh;line-height:1.1}
        #lines p{font-size:min(5vw,7.5vh);margin:1vh 4vw;line-height:1.2}
        body.idle{background:#1d2433}
        body.busy{background:#1f4e99}
        body.success{background:#15803d}
        body.warning{background:#b45309}
        body.failure{background:#b91c1c}
        body.alarm{background:#b91c1c;animation:alarm 1s steps(1) infinite}
        @keyframes alarm{50%{background:#a16207}}
        #countdown{font-size:min(12vw,15vh);font-weight:700;margin-top:2vh}
        #status{position:fixed;bottom:1vh;right:1vw;font-size:2vw;opacity:.6}
        body.connected #status{display:none}
        \(keypadKey == nil && receiptKey == nil ? "" : KioskKeypad.css)
        </style></head>
        <body class="idle\(keypadKey == nil ? "" : " kp")" data-lane="\(escape(name))"\(keypadKey == nil ? "" : " data-keypad=\"1\"")>
        <h1 id="title">…</h1>
        <div id="lines"></div>
        <div id="countdown"></div>
        <div id="status">● connecting</div>
        \(keypadKey == nil ? "" : KioskKeypad.html(language: language))
        \(receiptKey == nil ? "" : KioskKeypad.receiptButton(language: language))
        <script>
        (function () {
          var title = document.getElementById('title'), lines = document.getElementById('lines');
          var countdown = document.getElementById('countdown'), timer = null;
          function count(seconds) {
            clearInterval(timer);
            countdown.textContent = seconds > 0 ? String(seconds) : '';
            if (seconds > 0) {
              timer = setInterval(function () {
                seconds -= 1;
                countdown.textContent = seconds > 0 ? String(seconds) : '';
                if (seconds <= 0) clearInterval(timer);
              }, 1000);
            }
          }
          function show(m) {
            count(m.countdown || 0);
            document.body.className = m.outcome + ' connected' + (document.body.dataset.keypad ? ' kp' : '');
            document.body.dataset.state = m.state;
            title.textContent = m.title;
            lines.textContent = '';
            m.lines.forEach(function (l) { var p = document.createElement('p'); p.textContent = l; lines.appendChild(p); });
            var receipt = document.getElementById('receipt');
            if (receipt) receipt.style.display = m.receipt ? 'block' : 'none';
          }
          var source = new EventSource(location.pathname.replace(/\\/$/, '') + '/events');
          source.addEventListener('state', function (e) { show(JSON.parse(e.data)); });
          source.onerror = function () { document.body.classList.remove('connected'); };
        })();
        \(keypadKey.map { KioskKeypad.script(key: escape($0), language: language) } ?? "")
        \(receiptKey.map { KioskKeypad.receiptScript(key: escape($0)) } ?? "")
        </script>
        </body></html>
        """
    }
}
