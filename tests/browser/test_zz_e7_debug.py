from tests.browser.test_offline import *  # noqa

def test_debug(log_in, live_server, afternoon):
    page = log_in("worker")
    logs = []
    page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
    page.wait_for_timeout(3000)
    print(page.evaluate("""async () => { const r = await navigator.serviceWorker.getRegistration(); return r ? {active: !!r.active, installing: !!r.installing, waiting: !!r.waiting, scope: r.scope} : null }"""))
    print(page.evaluate("""async () => { try { await navigator.serviceWorker.register('/sw.js', {scope: '/'}); return 'ok' } catch (e) { return String(e) } }"""))
    page.wait_for_timeout(2000)
    print(page.evaluate("""async () => { const r = await navigator.serviceWorker.getRegistration(); return r ? {active: !!r.active, installing: !!r.installing, waiting: !!r.waiting, scope: r.scope, state: r.active && r.active.state} : null }"""))
    print(logs)
    sw = page.context.request.get(live_server.url + "/sw.js")
    print(sw.status, sw.headers.get("content-type"))
    import json
    body = sw.text()
    pre = json.loads(body.split("var PRECACHE = ", 1)[1].split(";\n", 1)[0])
    for url in pre + ["/offline/"]:
        r = page.context.request.get(live_server.url + url)
        if r.status != 200: print("BAD", url, r.status)
