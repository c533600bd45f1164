/// The page's templates and style sheet, compiled into the binary so a deployment is one file.
/// Every `{{value}}` is HTML-escaped by Mustache; nothing here uses the unescaped `{{{…}}}`.
enum Templates {
    static let layoutHead = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>logoutd · {{title}}</title>
        <link rel="stylesheet" href="/admin/assets/logoutd.css">
        </head>
        """

    static let login =
        layoutHead + """
            <body class="login">
            <main class="card narrow">
              <h1>logoutd</h1>
              <p>Sign in with the admin token (the file <code>admin.token_file</code> names).</p>
              {{#error}}<p class="notice error">{{error}}</p>{{/error}}
              <form method="post" action="/admin/login">
                <label for="token">Admin token</label>
                <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
                <button type="submit">Sign in</button>
              </form>
            </main>
            </body>
            </html>
            """

    /// A refused page request: what went wrong and the way back (`HTTPRefusal` decides the
    /// status and headers).
    static let refusal =
        layoutHead + """
            <body class="login">
            <main class="card narrow">
              <h1>logoutd</h1>
              <p class="notice error">{{message}}</p>
              <p><a href="/admin/">Back to the delivery log</a></p>
            </main>
            </body>
            </html>
            """

    static let log =
        layoutHead + """
            <body>
            <header class="top">
              <h1>logoutd <span>delivery log</span></h1>
              <form method="post" action="/admin/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button class="quiet" type="submit">Sign out</button></form>
            </header>
            <main>
            {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
            {{#error}}<p class="notice error">{{error}}</p>{{/error}}
            <form class="filters" method="get" action="/admin/">
              <label>Status <select name="status"><option value="">any</option>{{#filters.statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/filters.statuses}}</select></label>
              <label>RP <select name="client_id"><option value="">any</option>{{#filters.rps}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/filters.rps}}</select></label>
              <label>Issuer <select name="issuer"><option value="">any</option>{{#filters.issuers}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/filters.issuers}}</select></label>
              <label>Subject <input name="sub" value="{{filters.sub}}" placeholder="sub at the issuer"></label>
              <button type="submit">Filter</button>
              {{#filters.isFiltered}}<a href="/admin/">Clear</a>{{/filters.isFiltered}}
            </form>
            <section class="card activity">
              <h2>Last hour</h2>
              <ul class="totals">{{#chart.totals}}<li class="{{series}}"><span class="swatch"></span>{{count}} {{series}}</li>{{/chart.totals}}</ul>
              <svg class="chart" viewBox="0 0 {{chart.width}} {{chart.height}}" role="img" aria-label="{{chart.summary}}">
                {{#chart.grid}}<line class="grid" x1="{{chart.left}}" x2="{{chart.right}}" y1="{{y}}" y2="{{y}}"></line><text class="axis" x="{{chart.left}}" dx="-6" y="{{textY}}" text-anchor="end">{{label}}</text>{{/chart.grid}}
                {{#chart.bars}}<rect class="{{series}}" x="{{x}}" y="{{y}}" width="{{width}}" height="{{height}}"><title>{{title}}</title></rect>{{/chart.bars}}
                {{#chart.times}}<text class="axis" x="{{x}}" y="{{chart.labelY}}">{{label}}</text>{{/chart.times}}
              </svg>
            </section>
            {{#ssf.hasAny}}
            <section class="card ssf">
              <h2>Shared Signals</h2>
              {{#ssf.hasStreams}}
              <table class="streams">
                <thead><tr><th>Stream</th><th>Receiver</th><th>Delivery</th><th>Status</th><th>Latest SETs</th></tr></thead>
                <tbody>
                {{#ssf.streams}}
                <tr><td><code>{{id}}</code></td><td><code>{{receiver}}</code></td><td>{{delivery}}</td><td><span class="badge {{statusClass}}">{{status}}</span></td><td>{{summary}}</td></tr>
                {{#sets}}<tr class="history"><td><code>{{jti}}</code></td><td>{{tells}}</td><td class="num">{{attempts}} · HTTP {{lastStatus}}</td><td><span class="badge {{statusClass}}">{{status}}</span></td><td class="detail">{{when}} {{detail}}</td></tr>{{/sets}}
                {{/ssf.streams}}
                </tbody>
              </table>
              {{/ssf.hasStreams}}
              {{#ssf.hasUpstreams}}
              <table class="upstreams">
                <thead><tr><th>Our stream at issuer</th><th>Delivery</th><th>State</th><th>Stream</th><th>Last error</th></tr></thead>
                <tbody>
                {{#ssf.upstreams}}
                <tr><td><code>{{issuer}}</code></td><td>{{delivery}}</td><td><span class="badge {{stateClass}}">{{state}}</span></td><td><code>{{streamID}}</code></td><td class="detail">{{when}} {{lastError}}</td></tr>
                {{/ssf.upstreams}}
                </tbody>
              </table>
              {{/ssf.hasUpstreams}}
            </section>
            {{/ssf.hasAny}}
            {{#noEvents}}<p class="empty">No logout matches. Events appear here as notifiers send logout tokens.</p>{{/noEvents}}
            {{#events}}
            <section class="card event">
              <h3><span class="badge {{outcomeClass}}">{{outcome}}</span> Event {{id}}
                <span class="meta" title="{{receivedExact}}">{{received}} · from {{source}} · iss <code>{{iss}}</code> · sub <code>{{sub}}</code> · sid <code>{{sid}}</code></span></h3>
              {{#reason}}<p class="reason">{{reason}}</p>{{/reason}}
              {{#hasDeliveries}}
              <table class="deliveries">
                <thead><tr><th>RP</th><th>Status</th><th>Attempts</th><th>HTTP</th><th>Detail</th><th>Next</th><th></th></tr></thead>
                <tbody>
                {{#deliveries}}
                <tr>
                  <td><code>{{clientID}}</code></td>
                  <td><span class="badge {{statusClass}}">{{status}}</span></td>
                  <td class="num">{{attempts}}</td>
                  <td class="num">{{lastStatus}}</td>
                  <td class="detail">{{detail}}</td>
                  <td>{{next}}</td>
                  <td>{{#canRetry}}<form method="post" action="/admin/deliveries/{{id}}/retry"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="back" value="{{back}}"><button type="submit">Retry</button></form>{{/canRetry}}</td>
                </tr>
                {{#hasAttempts}}
                <tr class="history"><td colspan="7"><details><summary>Attempt history of delivery {{id}}</summary>
                  <table>
                    <thead><tr><th>#</th><th>Started (UTC)</th><th>Duration</th><th>HTTP</th><th>Result</th><th>Address</th><th>Trace</th><th>RP error</th></tr></thead>
                    <tbody>{{#attemptLog}}<tr><td class="num">{{number}}</td><td>{{started}}</td><td class="num">{{duration}}</td><td class="num">{{status}}</td><td>{{errorClass}}</td><td>{{address}}</td><td class="trace">{{#traceURL}}<a href="{{traceURL}}">{{trace}}</a>{{/traceURL}}{{^traceURL}}{{trace}}{{/traceURL}}</td><td class="detail">{{rpError}}</td></tr>{{/attemptLog}}</tbody>
                  </table>
                </details></td></tr>
                {{/hasAttempts}}
                {{/deliveries}}
                </tbody>
              </table>
              {{/hasDeliveries}}
              {{#hiddenDeliveries}}<p class="meta">{{hiddenDeliveries}}</p>{{/hiddenDeliveries}}
              {{#hasRevocations}}
              <table class="revocations">
                <thead><tr><th>Upstream token</th><th>Status</th><th>Attempts</th><th>HTTP</th><th>Detail</th><th>When</th><th></th></tr></thead>
                <tbody>
                {{#revocations}}
                <tr>
                  <td><code>{{tokenType}}</code> of session {{session}} at <code>{{issuer}}</code></td>
                  <td><span class="badge {{statusClass}}">{{status}}</span></td>
                  <td class="num">{{attempts}}</td>
                  <td class="num">{{lastStatus}}</td>
                  <td class="detail">{{detail}}</td>
                  <td>{{when}}</td>
                  <td>{{#canRetry}}<form method="post" action="/admin/revocations/{{id}}/retry"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="back" value="{{back}}"><button type="submit">Retry</button></form>{{/canRetry}}</td>
                </tr>
                {{/revocations}}
                </tbody>
              </table>
              {{/hasRevocations}}
            </section>
            {{/events}}
            {{#olderLink}}<p class="pager"><a href="{{olderLink}}">Older events →</a></p>{{/olderLink}}
            <footer>Rendered {{generatedAt}} · times are relative to now; hover for UTC.</footer>
            </main>
            </body>
            </html>
            """

    static let styleSheet = """
        :root { --ink: #1d2330; --muted: #5d6676; --line: #dde2ea; --bg: #f5f7fa; --card: #fff;
          --delivered: #2e7d32; --retried: #e08a00; --failed: #c62828; --skipped: #8a8f98; --accent: #2f5fb3; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
        code { font: 12.5px ui-monospace, "DejaVu Sans Mono", monospace; background: #eef1f6; padding: 1px 4px; border-radius: 3px; }
        header.top { display: flex; align-items: center; justify-content: space-between; padding: 10px 24px; background: #1d2330; color: #fff; }
        header.top h1 { margin: 0; font-size: 18px; } header.top h1 span { font-weight: 400; color: #aab4c5; margin-left: 6px; }
        main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 40px; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 14px 0; }
        .narrow { max-width: 380px; margin: 12vh auto; }
        .narrow form { display: grid; gap: 8px; } .narrow input { padding: 8px; font-size: 14px; }
        h2 { margin: 0 0 8px; font-size: 15px; } h3 { margin: 0 0 8px; font-size: 14px; }
        .meta { color: var(--muted); font-weight: 400; margin-left: 6px; }
        .filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: end; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; }
        .filters label { display: grid; gap: 2px; font-size: 12px; color: var(--muted); }
        select, input { font: inherit; padding: 5px 6px; border: 1px solid #c5ccd8; border-radius: 5px; background: #fff; color: var(--ink); }
        button { font: inherit; padding: 5px 12px; border: 1px solid var(--accent); border-radius: 5px; background: var(--accent); color: #fff; cursor: pointer; }
        button.quiet { background: transparent; border-color: #56607a; color: #dfe5ef; }
        td form { margin: 0; } td button { padding: 2px 10px; font-size: 12.5px; }
        .totals { list-style: none; display: flex; gap: 18px; padding: 0; margin: 0 0 6px; }
        .totals li { display: flex; align-items: center; gap: 6px; }
        .swatch { width: 11px; height: 11px; border-radius: 2px; display: inline-block; }
        .totals .delivered .swatch, rect.delivered { background: var(--delivered); fill: var(--delivered); }
        .totals .retried .swatch, rect.retried { background: var(--retried); fill: var(--retried); }
        .totals .failed .swatch, rect.failed { background: var(--failed); fill: var(--failed); }
        .totals .skipped .swatch, rect.skipped { background: var(--skipped); fill: var(--skipped); }
        svg.chart { width: 100%; height: auto; display: block; }
        line.grid { stroke: var(--line); stroke-width: 1; } text.axis { fill: var(--muted); font-size: 10px; }
        .badge { display: inline-block; min-width: 64px; text-align: center; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
        .badge.ok { background: var(--delivered); } .badge.bad { background: var(--failed); }
        .badge.warn { background: var(--retried); } .badge.idle { background: var(--skipped); }
        table { width: 100%; border-collapse: collapse; }
        th { text-align: left; font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); padding: 4px 6px; }
        td { border-bottom: 1px solid #eef1f5; padding: 5px 6px; vertical-align: top; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.detail { color: var(--muted); max-width: 380px; overflow-wrap: anywhere; }
        td.trace { font-family: ui-monospace, monospace; font-size: 12px; }
        tr.history td { background: #fafbfd; } details summary { cursor: pointer; color: var(--accent); font-size: 12.5px; }
        details table { margin: 6px 0 2px; } table.revocations, table.upstreams { margin-top: 8px; }
        .reason { color: var(--failed); margin: 0; }
        .notice { background: #e8f1fd; border: 1px solid #b9d1f3; border-radius: 6px; padding: 8px 12px; }
        .notice.error { background: #fdecec; border-color: #f1b8b8; }
        .empty, footer { color: var(--muted); } footer { margin-top: 24px; font-size: 12px; }
        .pager a, a { color: var(--accent); }
        """
}
