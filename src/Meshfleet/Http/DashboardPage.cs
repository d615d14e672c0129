namespace Meshfleet.Http;

/// <summary>The dashboard's single page: no external assets, refreshes itself every two seconds.</summary>
internal static class DashboardPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Meshfleet</title>
        <style>
        body { font: 14px system-ui, sans-serif; margin: 2rem; color: #222; }
        h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.5rem; }
        table { border-collapse: collapse; min-width: 40rem; }
        th, td { text-align: left; padding: .3rem .8rem; border-bottom: 1px solid #ddd; vertical-align: top; }
        .online { color: #137333; font-weight: 600; } .offline { color: #999; }
        #meta { color: #666; }
        </style>
        </head>
        <body>
        <h1>Meshfleet</h1>
        <p id="meta">loading…</p>
        <h2>Agents</h2>
        <table><thead><tr><th>agent</th><th>status</th><th>last seen</th><th>role</th><th>fleet</th><th>streams</th><th>description</th></tr></thead><tbody id="agents"></tbody></table>
        <h2>Fleets</h2>
        <table><thead><tr><th>fleet</th><th>members</th><th>ask timeout</th><th>heartbeat timeout</th><th>description</th></tr></thead><tbody id="fleets"></tbody></table>
        <script>
        function row(cells, statusClass) {
          const tr = document.createElement('tr');
          cells.forEach((value, i) => {
            const td = document.createElement('td');
            td.textContent = value === null || value === undefined ? '' : String(value);
            if (i === 1 && statusClass) td.className = statusClass;
            tr.appendChild(td);
          });
          return tr;
        }
        function ago(ms) {
          if (!ms) return '';
          const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
          return s < 60 ? s + ' s ago' : Math.round(s / 60) + ' min ago';
        }
        async function refresh() {
          try {
            const response = await fetch('/api/overview', { cache: 'no-store' });
            if (!response.ok) throw new Error('HTTP ' + response.status);
            const o = await response.json();
            document.getElementById('meta').textContent = 'v' + o.version + ' · store ' + o.store_id + ' · cursor (last seq) ' + o.cursor;
            const agents = document.getElementById('agents');
            agents.replaceChildren(...o.agents.map(a => row([a.agent_id, a.status, ago(a.last_seen), a.role, a.fleet_id, o.streams[a.agent_id] || 0, a.description], a.status)));
            const fleets = document.getElementById('fleets');
            fleets.replaceChildren(...o.fleets.map(f => row([f.fleet_id, f.members.join(', '), f.request_timeout_seconds + ' s', f.heartbeat_timeout_seconds + ' s', f.description])));
          } catch (e) {
            document.getElementById('meta').textContent = 'cannot reach the mesh: ' + e.message;
          }
        }
        refresh();
        setInterval(refresh, 2000);
        </script>
        </body>
        </html>
        """;
}
