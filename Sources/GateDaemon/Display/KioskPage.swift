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

    static func lane(name: String, language: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(escape(language))"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width,initial-scale=1">
        <title>\(escape(name))</title>
        <style>
        html,body{margin:0;height:100%;overflow:hidden;cursor:none}
        body{font-family:"DejaVu Sans",system-ui,sans-serif;color:#fff;background:#1d2433;display:flex;
          flex-direction:column;justify-content:center;align-items:center;text-align:center;transition:background .2s}
        #title{font-size:9vw;font-weight:700;margin:0 4vw 3vh;line-height:1.1}
        #lines p{font-size:5vw;margin:1vh 4vw;line-height:1.2}
        body.idle{background:#1d2433}
        body.busy{background:#1f4e99}
        body.success{background:#15803d}
        body.warning{background:#b45309}
        body.failure{background:#b91c1c}
        body.alarm{background:#b91c1c;animation:alarm 1s steps(1) infinite}
        @keyframes alarm{50%{background:#a16207}}
        #countdown{font-size:12vw;font-weight:700;margin-top:2vh}
        #status{position:fixed;bottom:1vh;right:1vw;font-size:2vw;opacity:.6}
        body.connected #status{display:none}
        </style></head>
        <body class="idle" data-lane="\(escape(name))">
        <h1 id="title">…</h1>
        <div id="lines"></div>
        <div id="countdown"></div>
        <div id="status">● connecting</div>
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
            document.body.className = m.outcome + ' connected';
            document.body.dataset.state = m.state;
            title.textContent = m.title;
            lines.textContent = '';
            m.lines.forEach(function (l) { var p = document.createElement('p'); p.textContent = l; lines.appendChild(p); });
          }
          var source = new EventSource(location.pathname.replace(/\\/$/, '') + '/events');
          source.addEventListener('state', function (e) { show(JSON.parse(e.data)); });
          source.onerror = function () { document.body.classList.remove('connected'); };
        })();
        </script>
        </body></html>
        """
    }
}
