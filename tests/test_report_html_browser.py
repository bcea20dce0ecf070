"""The HTML report in a real browser: headless Chromium, driven over the DevTools protocol.

The page is served by a logging HTTP server on 127.0.0.1; Chromium runs with the flags of a closed network
and a host resolver that only knows 127.0.0.1.  The tests check that the inlined script runs under the
page's own Content-Security-Policy, that filtering, sorting and details work, that nothing but the page is
ever requested, and that 5,000 findings render in under two seconds.

The DevTools client is a few lines of standard-library WebSocket, so no browser-automation package is needed.
Debian's ``chromium`` must be at /usr/bin/chromium (``.ci/run`` installs it); otherwise the tests skip.

Run ``python -m tests.test_report_html_browser docs/screenshot-report.png`` to rebuild the README screenshot
from a demo history with freshly generated fake secrets.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import io
import json
import os
import random
import secrets
import socket
import string
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from keyscan.model import Confidence, Finding, ScanSummary
from keyscan.report import REPORTERS, ReportContext
from keyscan.rules.loader import builtin_rules_dir, load_rules
from tests.clirun import run_cli
from tests.gitrepo import GitRepo
from tests.tokens import ALNUM, aws_key_id, aws_secret, github_token, random_text

CHROMIUM = Path("/usr/bin/chromium")
CLOSED_NETWORK_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium; "
           ".ci/run does)")


# -- a WebSocket and DevTools client from the standard library -----------------------------------------------


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames, fragmentation, ping, close."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
        if b" 101 " not in head.split(b"\r\n", 1)[0] or accept.encode() not in head:
            raise ConnectionError(f"not a WebSocket upgrade: {head[:200]!r}")

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(max(65536, count - len(self.buffer)))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
        mask = os.urandom(4)
        stream = (mask * (size // 4 + 1))[:size]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(size, "big")
        self.sock.sendall(header + mask + masked)

    def send(self, text: str) -> None:
        self._send_frame(0x1, text.encode("utf-8"))

    def recv(self, timeout: float) -> str:
        self.sock.settimeout(timeout)
        message = b""
        while True:
            first, second = self._read(2)
            opcode, size = first & 0x0F, second & 0x7F
            if size == 126:
                size = struct.unpack("!H", self._read(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else b""
            payload = self._read(size)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if first & 0x80:
                    return message.decode("utf-8")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class DevTools:
    """One browser connection; pages are flat sessions on it, and every event is kept."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(max(deadline - time.monotonic(), 0.01)))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float = 30, since: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[since:]:
                if event["method"] == method and event.get("sessionId") == session:
                    return event
            since = len(self.events)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} within {timeout}s")
            try:
                reply = json.loads(self.ws.recv(remaining))
            except TimeoutError as exc:
                raise TimeoutError(f"no {method} within {timeout}s") from exc
            if "method" in reply:
                self.events.append(reply)


class Page:
    """A browser tab: navigate, evaluate, and see what it requested and what it complained about."""

    def __init__(self, tools: DevTools) -> None:
        self.tools = tools
        target = tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = tools.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.target = target
        for domain in ("Page", "Network", "Runtime", "Log"):
            tools.call(f"{domain}.enable", session=self.session)
        self.mark = len(tools.events)

    def goto(self, url: str) -> None:
        self.mark = len(self.tools.events)
        self.tools.call("Page.navigate", {"url": url}, session=self.session)
        self.tools.wait_for("Page.loadEventFired", self.session, since=self.mark)
        deadline = time.monotonic() + 20
        while self.eval("document.body && document.body.dataset.ready") is None:
            if time.monotonic() > deadline:
                raise TimeoutError("the report script never finished rendering")
            time.sleep(0.05)

    def eval(self, expression: str) -> Any:
        result = self.tools.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                      "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def events(self, method: str) -> list[dict[str, Any]]:
        self.tools.call("Runtime.evaluate", {"expression": "0"}, session=self.session)  # flush pending events
        return [e["params"] for e in self.tools.events[self.mark:]
                if e["method"] == method and e.get("sessionId") == self.session]

    def requested(self) -> list[str]:
        return [e["request"]["url"] for e in self.events("Network.requestWillBeSent")]

    def problems(self) -> list[str]:
        """Uncaught exceptions, console errors and CSP violations since the last navigation."""
        found = [str(e["exceptionDetails"]) for e in self.events("Runtime.exceptionThrown")]
        found += [str(e["entry"].get("text")) for e in self.events("Log.entryAdded")
                  if e["entry"].get("level") == "error"]
        found += [str(e.get("args")) for e in self.events("Runtime.consoleAPICalled")
                  if e.get("type") == "error"]
        return found

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.tools.call("Target.closeTarget", {"targetId": self.target})


# -- the browser and a logging web server --------------------------------------------------------------------


class Browser:
    def __init__(self, profile: Path) -> None:
        args = [str(CHROMIUM), *CLOSED_NETWORK_FLAGS, f"--user-data-dir={profile}",
                "--remote-debugging-port=0", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--window-size=1280,900", "about:blank"]
        self.log = open(profile.parent / "chromium.log", "wb")  # closed in close()
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (active.exists() and len(active.read_text().split()) >= 2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint; see " + self.log.name)
            time.sleep(0.05)
        port, path = active.read_text().split()[:2]
        self.tools = DevTools(WebSocket(int(port), path))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.tools.call("Browser.close", timeout=5)
        with contextlib.suppress(Exception):
            self.tools.ws.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


class Server:
    """Serves one directory on 127.0.0.1 and records every request line."""

    def __init__(self, root: Path) -> None:
        self.requests: list[str] = []
        log = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(root), **kwargs)

            def log_request(self, code: Any = "-", size: Any = "-") -> None:
                log.append(f"{self.command} {self.path}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)")
    home = tmp_path_factory.mktemp("chromium")
    instance = Browser(home / "profile")
    yield instance
    instance.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    tab = Page(browser.tools)
    yield tab
    tab.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server]]:
    root = tmp_path_factory.mktemp("site")
    server = Server(root)
    yield root, server
    server.close()


# -- a demo history with fake secrets ------------------------------------------------------------------------

ALICE = ("Alice Martin", "alice@example.com")
BOB = ("Bob Nguyen", "bob@example.com")
CAROL = ("Carol Diaz", "carol@example.com")
HOSTILE_SUBJECT = "Add CI token </script><img src=x onerror=document.title='pwned'>"
HOSTILE_PATH = "deploy/<img src=x onerror=alert(1)>.env"


def _sendgrid_key() -> str:
    return f"SG.{random_text(22)}.{random_text(43)}"


def _slack_bot_token() -> str:
    return f"xoxb-{random_text(11, string.digits)}-{random_text(13, string.digits)}-{random_text(24)}"


def build_demo_repo(path: Path, hostile: bool = False) -> tuple[GitRepo, list[str]]:
    """A small history over 2023-2024: some secrets still in HEAD, some removed.  Returns the repository
    and every fake secret committed to it."""
    repo = GitRepo(path)
    made: list[str] = []

    def fake(value: str) -> str:
        made.append(value)
        return value

    def commit(date: str, author: tuple[str, str], message: str, files: dict[str, str | None]) -> None:
        for name, text in files.items():
            if text is None:
                repo.git("rm", "-q", "--", name)
            else:
                repo.write(name, text)
        repo.git("add", "-A")
        when = f"{date}T10:30:00+00:00"
        repo.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message,
                 env={"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
                      "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_NAME": author[0],
                      "GIT_COMMITTER_EMAIL": author[1], "GIT_COMMITTER_DATE": when})

    commit("2023-01-09", ALICE, "Initial service skeleton", {"README.md": "# billing service\n"})
    commit("2023-02-03", ALICE, "Read AWS credentials from settings",
           {"config/settings.py": f'AWS_ACCESS_KEY_ID = "{fake(aws_key_id())}"\n'
                                  f'AWS_SECRET_ACCESS_KEY = "{fake(aws_secret())}"\n'})
    commit("2023-03-15", BOB, HOSTILE_SUBJECT if hostile else "Add CI token for release job",
           {(HOSTILE_PATH if hostile else ".env"): f"GITHUB_TOKEN={fake(github_token())}\n"})
    commit("2023-05-20", CAROL, "Deploy script posts to Slack",
           {"scripts/deploy.sh": f"#!/bin/sh\nSLACK_TOKEN={fake(_slack_bot_token())}\n"})
    commit("2023-07-01", ALICE, "Move the CI token to the secret store",
           {(HOSTILE_PATH if hostile else ".env"): None})
    commit("2023-09-12", BOB, "Stripe checkout",
           {"payments/stripe_client.py": f'stripe.api_key = "{fake("sk_live_" + random_text(24))}"\n'})
    commit("2023-11-28", CAROL, "Release workflow",
           {"ci/release.yml": f"env:\n  GH_TOKEN: {fake(github_token())}\n"})
    commit("2024-02-14", BOB, "Use the Stripe key from the environment", {"payments/stripe_client.py": None})
    commit("2024-04-02", ALICE, "SendGrid mailer",
           {"mail/send.py": f'SENDGRID_API_KEY = "{fake(_sendgrid_key())}"\n'})
    commit("2024-06-18", CAROL, "Test fixtures",
           {"tests/fixtures/stripe.json": f'{{"key": "{fake("sk_test_" + random_text(24))}"}}\n'})
    return repo, made


# -- the tests -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, site: tuple[Path, Server]) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("demo")
    repo, made = build_demo_repo(base / "repo", hostile=True)
    root, server = site
    html_run = run_cli("history", str(repo.path), "--format", "html", "-o", str(root / "demo.html"),
                       "--quiet")
    assert html_run.code == 1, html_run.stderr
    json_run = run_cli("history", str(repo.path), "--format", "json", "--quiet")
    assert json_run.code == 1, json_run.stderr
    return {"repo": repo, "secrets": made, "findings": json.loads(json_run.stdout)["findings"],
            "html": (root / "demo.html").read_text(encoding="utf-8"), "url": server.url("demo.html"),
            "server": server}


ROWS = "Array.from(document.querySelectorAll('#findings-body tr.row'))"


def _rows(page: Page) -> list[dict[str, str]]:
    """The rendered rows as {column: text}."""
    return page.eval(f"""{ROWS}.map(tr => {{
        const cols = Array.from(document.querySelectorAll('#findings-table thead th'))
            .map(th => th.dataset.col);
        const out = {{}};
        Array.from(tr.cells).forEach((td, i) => out[cols[i]] = td.textContent);
        return out;
    }})""")


def _choose(page: Page, control: str, value: str) -> None:
    page.eval(f"""(() => {{ const c = document.getElementById({json.dumps(control)});
        c.value = {json.dumps(value)}; c.dispatchEvent(new Event('change', {{bubbles: true}})); }})()""")


@needs_chromium
def test_the_page_renders_under_its_own_policy(page: Page, demo: dict[str, Any]) -> None:
    page.goto(demo["url"])
    assert page.eval("document.body.dataset.ready") == "true"
    assert page.problems() == []  # the inline script and style matched the CSP hashes; nothing was refused
    rows = _rows(page)
    expected = demo["findings"]
    matching = int(page.eval("document.getElementById('result-count').dataset.matching"))
    assert len(rows) == len(expected) == matching
    assert sorted(r["location"] for r in rows) == sorted(f"{f['path']}:{f['line']}" for f in expected)
    assert sorted(r["secret"] for r in rows) == sorted(f["secret"] for f in expected)
    # default order: newest introduction first
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    # the hostile commit subject and path stay text: no element was injected, the title is untouched
    assert page.eval("document.querySelectorAll('img').length") == 0
    assert page.eval("document.title").startswith("keyscan report")
    assert any(r["location"].startswith(HOSTILE_PATH) for r in rows)


@needs_chromium
def test_filters_sorting_and_details(page: Page, demo: dict[str, Any]) -> None:
    expected = demo["findings"]
    page.goto(demo["url"])
    _choose(page, "filter-severity", "critical")
    rows = _rows(page)
    assert rows and {r["severity"] for r in rows} == {"critical"}
    assert len(rows) == sum(f["severity"] == "critical" for f in expected)
    assert "severity=critical" in page.eval("location.hash")
    _choose(page, "filter-status", "removed")
    rows = _rows(page)
    assert len(rows) == sum(f["severity"] == "critical" and f["status"] == "removed" for f in expected) > 0
    assert all(r["status"].startswith("removed") for r in rows)
    page.eval("document.getElementById('filter-reset').click()")
    _choose(page, "filter-provider", "aws")
    aws = [f for f in expected if f["provider"] == "aws"]
    assert sorted(r["rule"] for r in _rows(page)) == sorted(f["rule_name"] for f in aws)
    page.eval("""(() => { const q = document.getElementById('filter-text'); q.value = 'SETTINGS.PY';
                 q.dispatchEvent(new Event('input')); })()""")
    assert len(_rows(page)) == sum("settings.py" in f["path"] for f in aws) > 0
    page.eval("document.getElementById('filter-reset').click()")
    assert len(_rows(page)) == len(expected)
    # sorting: the Introduced header toggles to oldest first
    page.eval("document.querySelector('th[data-col=date] button').click()")
    dates = [r["date"] for r in _rows(page)]
    assert dates == sorted(dates) and dates != sorted(dates, reverse=True)
    assert page.eval("document.querySelector('th[data-col=date]').getAttribute('aria-sort')") == "ascending"
    page.eval("document.querySelector('th[data-col=severity] button').click()")
    ranks = [{"critical": 4, "high": 3, "medium": 2, "low": 1}[r["severity"]] for r in _rows(page)]
    assert ranks == sorted(ranks, reverse=True)
    # details of the GitHub token: full commit, author, rule help link and its revocation hook
    github = next(f for f in expected if f["rule_id"] == "github-pat-classic" and f["status"] == "removed")
    page.eval(f"""{ROWS}.find(tr => tr.textContent.includes({json.dumps(github["path"])})).click()""")
    text = page.eval("document.querySelector('#findings-body tr.detail').textContent")
    assert github["commit"] in text and github["author"] in text and github["fingerprint"] in text
    assert HOSTILE_SUBJECT in text  # shown as text
    assert "through the 'github' hook" in text
    href = page.eval("document.querySelector('#findings-body tr.detail a').getAttribute('href')")
    assert href == "#rule-github-pat-classic"
    rule_help = page.eval("document.getElementById('rule-github-pat-classic').textContent")
    assert rule_help.count("How to rotate") == 1
    # following the help link is an in-page jump, and leaves the filters alone
    _choose(page, "filter-provider", "github")
    before = len(_rows(page))
    page.eval("document.querySelector('#findings-body tr.detail a').click()")  # the panel stays open
    assert page.eval("location.hash") == "#rule-github-pat-classic"
    assert len(_rows(page)) == before
    assert page.problems() == []


@needs_chromium
def test_a_filter_in_the_url_fragment_applies_on_open(page: Page, demo: dict[str, Any]) -> None:
    expected = demo["findings"]
    page.goto(demo["url"] + "#severity=critical&status=present")
    rows = _rows(page)
    assert len(rows) == sum(f["severity"] == "critical" and f["status"] == "present" for f in expected) > 0
    assert page.eval("document.getElementById('filter-severity').value") == "critical"
    assert page.eval("document.getElementById('filter-status').value") == "present"
    assert int(page.eval("document.getElementById('timeline-canvas').dataset.count")) == len(rows)


@needs_chromium
def test_no_request_leaves_the_page(page: Page, demo: dict[str, Any]) -> None:
    server: Server = demo["server"]
    server.requests.clear()
    page.goto(demo["url"])
    for severity in ("critical", "high", ""):
        _choose(page, "filter-severity", severity)
    page.eval(f"{ROWS}.forEach(tr => tr.click())")  # open every detail panel
    page.eval("""(() => { const c = document.getElementById('timeline-canvas');
                 const box = c.getBoundingClientRect();
                 c.dispatchEvent(new MouseEvent('click', {clientX: box.left + 50, clientY: box.top + 8,
                                                          bubbles: true})); })()""")
    page.eval("document.querySelector('#findings-body tr.detail a').click()")
    time.sleep(0.3)
    requested = page.requested()
    assert requested == [demo["url"]], requested
    assert server.requests == ["GET /demo.html"], server.requests
    assert page.problems() == []
    # nothing of a secret reached the page: neither in the file nor in what the script rendered
    rendered = page.eval("document.documentElement.outerHTML")
    assert len(demo["secrets"]) == 8
    for secret in demo["secrets"]:
        assert secret not in demo["html"] and secret not in rendered


def _synthetic_context(count: int) -> ReportContext:
    """``count`` history findings over the built-in rules, with fake secrets and dates over three years."""
    rules = load_rules([builtin_rules_dir()])
    chosen = random.Random(7).sample([r for r in rules], 60)
    rng = random.Random(11)
    start = datetime(2021, 1, 1, tzinfo=timezone.utc)
    findings = []
    for index in range(count):
        rule = chosen[index % len(chosen)]
        secret = "".join(secrets.choice(ALNUM) for _ in range(32))
        when = start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        findings.append(Finding(
            rule_id=rule.id, rule_name=rule.name, provider=rule.provider,
            path=f"src/pkg{index % 40}/file{index}.py",
            line=rng.randrange(1, 500), column=5, end_line=1, end_column=37, secret=secret,
            fingerprint="ks1:" + secrets.token_hex(12), entropy=4.5, severity=rule.severity,
            confidence=Confidence.HIGH, commit=secrets.token_hex(20), author=f"Dev {index % 37}",
            email=f"dev{index % 37}@example.com", date=when.isoformat(), subject=f"Change {index}",
            status="present" if index % 3 else "removed",
            occurrences=[{"commit": secrets.token_hex(20), "path": f"old/file{index}.py", "line": 3,
                          "column": 1}] if index % 5 == 0 else []))
    summary = ScanSummary(commits_scanned=12000, blobs_scanned=90000, bytes_scanned=2_000_000_000)
    return ReportContext(findings, summary, rules, kind="history")


@needs_chromium
def test_five_thousand_findings_open_in_under_two_seconds(page: Page, site: tuple[Path, Server]) -> None:
    root, server = site
    context = _synthetic_context(5000)
    stream = io.StringIO()
    REPORTERS["html"](context, stream)
    (root / "big.html").write_text(stream.getvalue(), encoding="utf-8")
    timings = []
    for _ in range(3):  # the best of three loads, so a busy machine's scheduling noise does not decide
        page.goto(server.url("big.html"))
        timings.append(float(page.eval("document.body.dataset.renderMs")))
        if timings[-1] < 2000:
            break
    assert min(timings) < 2000, f"first paint with the findings after {timings} ms"
    count = page.eval("Object.assign({}, document.getElementById('result-count').dataset)")
    assert (int(count["matching"]), int(count["shown"])) == (5000, 100)  # paged, not 5,000 rows at once
    assert int(page.eval("document.getElementById('timeline-canvas').dataset.count")) == 5000
    page.eval("document.getElementById('show-more').click()")
    assert len(_rows(page)) == 200
    severities = Counter(f.severity.label for f in context.findings)
    _choose(page, "filter-severity", "critical")
    matching = int(page.eval("document.getElementById('result-count').dataset.matching"))
    assert matching == severities["critical"]
    _choose(page, "filter-severity", "")
    page.eval("""(() => { const q = document.getElementById('filter-text'); q.value = 'pkg7/';
                 q.dispatchEvent(new Event('input')); })()""")
    assert len(_rows(page)) == 100
    page.eval("document.getElementById('show-all').click()")
    rows = _rows(page)
    assert len(rows) == sum("/pkg7/" in f.path for f in context.findings) == 125
    assert all("/pkg7/" in r["location"] for r in rows)
    rule_help = page.eval("document.querySelectorAll('#rules article').length")
    assert rule_help == len({f.rule_id for f in context.findings})  # once per rule, not per finding
    assert page.problems() == []


# -- the README screenshot -----------------------------------------------------------------------------------


def take_screenshot(target: Path) -> None:
    """Build the demo history, report it as HTML and photograph it with headless Chromium."""
    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        repo, _ = build_demo_repo(base / "billing-service")
        report = base / "report.html"
        run = run_cli("history", str(repo.path), "--format", "html", "-o", str(report), "--quiet")
        if run.code not in (0, 1):
            raise SystemExit(run.stderr)
        subprocess.run([str(CHROMIUM), *CLOSED_NETWORK_FLAGS, f"--user-data-dir={base / 'profile'}",
                        "--hide-scrollbars", f"--screenshot={target.resolve()}", "--window-size=1280,900",
                        report.as_uri()], check=True, capture_output=True, timeout=120)


if __name__ == "__main__":
    take_screenshot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot-report.png"))
