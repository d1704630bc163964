/// The kiosk page's touch keyboard (`keypad = true`, shown only to the lane's own screen, i.e. a
/// page opened with the lane's secret): digits, letters, dot and dash in keys large enough to hit
/// and read at arm's length, the entry masked but for its last two characters, cleared after
/// `idleSeconds` without a key. While the screen shows an admission (green) the keyboard steps
/// aside and the vouchers' lines are shown full size. Keys answer `pointerdown`, so touch and mouse work alike. The
/// entry never leaves the page but as the body of one POST to `/lanes/NAME/keypad`.
enum KioskKeypad {
    static let idleSeconds = 20
    static let rows = ["1234567890", "QWERTZUIOP", "ASDFGHJKL-", "YXCVBNM."]

    struct Texts {
        var prompt, ok, clear, refused, receipt: String
    }

    static func texts(_ language: String) -> Texts {
        switch language {
        case "fr": Texts(prompt: "Saisir le code", ok: "OK", clear: "Effacer", refused: "Saisie impossible sur cet écran", receipt: "Imprimer un reçu")
        case "it": Texts(prompt: "Digitare il codice", ok: "OK", clear: "Cancella", refused: "Inserimento non possibile su questo schermo", receipt: "Stampare la ricevuta")
        case "en": Texts(prompt: "Type your code", ok: "OK", clear: "Clear", refused: "Typing is not possible on this screen", receipt: "Print a receipt")
        default: Texts(prompt: "Code eingeben", ok: "OK", clear: "Löschen", refused: "Eingabe an diesem Bildschirm nicht möglich", receipt: "Beleg drucken")
        }
    }

    static let css = """
        body.kp{cursor:default}
        body.kp:not(.success){justify-content:flex-start}
        body.kp:not(.success) #title{font-size:5.5vw;margin:2vh 2vw 1vh}
        body.kp:not(.success) #lines p{font-size:3.2vw;margin:.5vh 2vw}
        body.kp:not(.success) #countdown{font-size:5vw;margin-top:0}
        body.kp.success #kp{display:none}
        #kp{position:fixed;left:0;right:0;bottom:0;padding:1vh 1vw;background:rgba(0,0,0,.35);
          user-select:none;-webkit-user-select:none;touch-action:manipulation}
        #kp .row{display:flex;justify-content:center;gap:.8vw;margin:.8vh 0}
        #kp button{font:700 min(3.8vw,6.2vh)/1 "DejaVu Sans",system-ui,sans-serif;width:8.8vw;height:9vh;padding:0;border:0;border-radius:1vw;
          background:#f1f5f9;color:#0f172a;touch-action:manipulation}
        #kp button:active{background:#93c5fd}
        #kp button.wide{width:18vw;font-size:min(3.2vw,5.4vh)}
        #kp button.ok{background:#22c55e;color:#fff}
        #entry{display:inline-block;min-width:40vw;height:9vh;font:700 min(4vw,6.5vh)/9vh "DejaVu Sans Mono",monospace;
          background:#0f172a;color:#fff;border-radius:1vw;letter-spacing:.4vw;padding:0 1vw;vertical-align:top}
        #entry:empty::before{content:attr(data-prompt);font:400 min(3vw,5vh)/9vh "DejaVu Sans",sans-serif;opacity:.7;letter-spacing:0}
        #kpmsg{font-size:2.6vw;min-height:3vh}
        #receipt{display:none;position:fixed;top:2vh;right:2vw;font:700 3.6vw/1 "DejaVu Sans",system-ui,sans-serif;
          padding:2.5vh 3vw;border:0;border-radius:1.5vw;background:#f1f5f9;color:#0f172a;touch-action:manipulation;cursor:default}
        """

    static func receiptButton(language: String) -> String {
        "<button type=\"button\" id=\"receipt\">🧾 \(KioskPage.escape(texts(language).receipt))</button>"
    }

    /// The receipt button (`receipt = "ask"`): visible while the screen says a receipt is offered.
    static func receiptScript(key: String) -> String {
        """
        (function () {
          var b = document.getElementById('receipt');
          b.addEventListener('pointerdown', function (e) {
            e.preventDefault();
            b.style.display = 'none';
            fetch(location.pathname.replace(/\\/$/, '') + '/receipt', {method: 'POST', cache: 'no-store',
              headers: {'X-Keypad-Key': '\(key)'}}).catch(function () {});
          });
        })();
        """
    }

    static func html(language: String) -> String {
        let t = texts(language)
        let keys = rows.map { row in
            "<div class=\"row\">" + row.map { "<button type=\"button\" data-k=\"\($0)\">\($0)</button>" }.joined()
                + (row == rows.last ? "<button type=\"button\" data-k=\"back\" aria-label=\"back\">⌫</button>" : "") + "</div>"
        }.joined(separator: "\n")
        return """
            <div id="kp">
            <div id="kpmsg"></div>
            \(keys)
            <div class="row"><button type="button" class="wide" data-k="clear">\(KioskPage.escape(t.clear))</button>\
            <span id="entry" data-prompt="\(KioskPage.escape(t.prompt))"></span>\
            <button type="button" class="wide ok" data-k="ok">\(KioskPage.escape(t.ok))</button></div>
            </div>
            """
    }

    /// The script: `key` is the lane's secret (hex, checked by the server before the page is built).
    static func script(key: String, language: String) -> String {
        """
        (function () {
          var code = '', idle = null, entry = document.getElementById('entry'), msg = document.getElementById('kpmsg');
          function render() {
            var shown = code.length > 2 ? '•'.repeat(code.length - 2) + code.slice(-2) : code;
            entry.textContent = shown;
            entry.dataset.length = String(code.length);
          }
          function clear() { code = ''; clearTimeout(idle); render(); }
          function press(k) {
            msg.textContent = '';
            clearTimeout(idle);
            if (k === 'clear') { clear(); return; }
            if (k === 'back') code = code.slice(0, -1);
            else if (k === 'ok') { submit(); return; }
            else if (code.length < \(KioskHub.maximumCodeLength)) code += k;
            render();
            idle = setTimeout(clear, \(idleSeconds * 1000));
          }
          function submit() {
            if (!code) return;
            var typed = code;
            clear();
            fetch(location.pathname.replace(/\\/$/, '') + '/keypad', {method: 'POST', cache: 'no-store',
              headers: {'Content-Type': 'text/plain', 'X-Keypad-Key': '\(key)'}, body: typed})
              .then(function (r) { if (r.status === 403) msg.textContent = '\(KioskPage.escape(texts(language).refused))'; })
              .catch(function () {});
          }
          document.getElementById('kp').addEventListener('pointerdown', function (e) {
            var b = e.target.closest('button');
            if (!b) return;
            e.preventDefault();
            press(b.dataset.k);
          });
          render();
        })();
        """
    }
}
