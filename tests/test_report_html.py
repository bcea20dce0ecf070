"""The structure of ``--format html``, read back with ``html.parser``: one self-contained, escaped page.

What is asserted is what makes the file safe to attach to a ticket: a Content-Security-Policy whose hashes
match the inlined style and script and that allows nothing else, no external URL in any ``src`` or ``href``,
the findings embedded once as JSON (redacted, and unable to end their ``<script>`` early), the table
headers and filter controls the script drives, and rule help rendered once per rule.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from keyscan.model import Confidence, Finding, ScanSummary, Severity
from keyscan.redact import redact
from keyscan.report import REPORTERS, ReportContext
from keyscan.report.html import render
from keyscan.rules.model import Rule, RuleSet
from tests.clirun import run_cli
from tests.gitrepo import GitRepo
from tests.tokens import aws_key_id, github_token, random_text

HOSTILE = "</script><script>alert(1)</script><!--"
HISTORY_HEADERS = ["severity", "rule", "provider", "secret", "location", "commit", "author", "date", "status"]
TREE_HEADERS = ["severity", "rule", "provider", "secret", "location", "status"]


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Page(HTMLParser):
    """Every element with its attributes, and the text of each ``<script>`` and ``<style>``."""

    elements: list[Element] = field(default_factory=list)
    doctype: str = ""
    _open: list[Element] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in ("meta", "link", "input", "br", "img"):
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def all(self, tag: str, **attrs: str) -> list[Element]:
        return [e for e in self.elements
                if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())]

    def one(self, tag: str, **attrs: str) -> Element:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} {attrs}> elements"
        return found[0]

    def by_id(self, ident: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == ident]
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


def _rule(rule_id: str, provider: str, severity: Severity, revoke: dict[str, object] | None,
          help_text: str) -> Rule:
    return Rule(id=rule_id, name=f"{provider.title()} token", provider=provider, severity=severity,
                confidence=Confidence.HIGH, keywords=(), regex_source=None, secret_group=0, path_pattern=None,
                min_entropy={}, checksum=None, filters=(), allow_values=(), allow_paths=(), requires=None,
                tags=(), references=("https://example.com/docs/tokens",), help=help_text, positives=(),
                negatives=(), source_file="test.yaml", revoke=revoke)


RULES = RuleSet([
    _rule("acme-token", "acme", Severity.CRITICAL, {"hook": "github"},
          "**What it is.** An Acme token <b>bold</b>.\n**How to rotate.** Delete it at "
          "https://acme.example/tokens with `acme token delete`."),
    _rule("widget-key", "widget", Severity.MEDIUM,
          {"hook": "manual", "console": "https://console.widget.example/keys",
           "steps": ["Open the console", "Delete the key"]},
          "**What it is.** A widget key.\n**How to rotate.** Use the console."),
    _rule("plain-secret", "plain", Severity.LOW, None, "**What it is.** A generic secret."),
])


def _finding(index: int, rule: Rule, status: str, **extra: object) -> Finding:
    values: dict[str, object] = {
        "rule_id": rule.id, "rule_name": rule.name, "provider": rule.provider, "path": f"src/app{index}.py",
        "line": index + 1, "column": 3, "end_line": index + 1, "end_column": 40,
        "secret": f"tok_{random_text(32)}", "fingerprint": f"ks1:{index:024x}", "entropy": 4.8,
        "severity": rule.severity, "confidence": Confidence.HIGH,
        "commit": f"{index:040x}", "author": "Dev Eloper", "email": "dev@example.com",
        "date": f"2024-0{1 + index % 9}-1{index % 10}T12:00:00+00:00", "subject": f"change {index}",
        "status": status,
    }
    values.update(extra)
    return Finding(**values)  # type: ignore[arg-type]


def _history_context(**overrides: object) -> ReportContext:
    acme, widget, plain = RULES.rules
    findings = [
        *[_finding(i, acme, "present" if i % 2 else "removed") for i in range(6)],
        _finding(6, widget, "removed", path=f"conf/{HOSTILE}.env", subject=HOSTILE, author=HOSTILE,
                 occurrences=[{"commit": "a" * 40, "path": "old.env", "line": 2, "column": 1,
                               "date": "2024-08-01T00:00:00+00:00"}]),
        _finding(7, plain, "present"),
    ]
    values: dict[str, object] = {"findings": findings, "summary": ScanSummary(commits_scanned=42),
                                 "rules": RULES, "kind": "history"}
    values.update(overrides)
    return ReportContext(**values)  # type: ignore[arg-type]


def _report(context: ReportContext) -> str:
    stream = io.StringIO()
    REPORTERS["html"](context, stream)
    return stream.getvalue()


def _data(page: Page) -> dict[str, object]:
    return json.loads(page.one("script", type="application/json", id="keyscan-data").text)


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


# -- the page as a whole -------------------------------------------------------------------------------------


def test_policy_allows_only_the_inlined_style_and_script() -> None:
    page = parse(_report(_history_context()))
    assert page.doctype.lower() == "doctype html"
    policy = page.one("meta", **{"http-equiv": "Content-Security-Policy"}).attrs["content"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["default-src"] == ["'none'"]
    scripts = [e for e in page.all("script") if e.attrs.get("type") != "application/json"]
    styles = page.all("style")
    assert len(scripts) == 1 and len(styles) == 1
    # the hashes are those of the very text inlined, so the browser runs it and nothing else
    assert directives["script-src"] == [f"'{_sha256(scripts[0].text)}'"]
    assert directives["style-src"] == [f"'{_sha256(styles[0].text)}'"]
    assert directives["base-uri"] == ["'none'"] and directives["form-action"] == ["'none'"]
    assert set(directives) <= {"default-src", "script-src", "style-src", "img-src", "base-uri", "form-action"}
    assert "unsafe" not in policy and "http" not in policy
    assert page.one("meta", name="referrer").attrs["content"] == "no-referrer"


def test_no_external_url_anywhere() -> None:
    text = _report(_history_context())
    page = parse(text)
    for element in page.elements:
        for name in ("src", "href", "action", "srcset", "poster", "data", "formaction"):
            value = element.attrs.get(name)
            if value is not None:
                assert value.startswith("#") or value == "data:,", f"<{element.tag} {name}={value!r}>"
    assert not [e for e in page.all("script") if "src" in e.attrs]
    assert not [e for e in page.all("link") if e.attrs.get("rel") != "icon"]
    assert not page.all("iframe") and not page.all("img") and not page.all("object")
    style = page.one("style").text
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    script = next(e for e in page.all("script") if e.attrs.get("type") != "application/json").text
    for api in ("fetch(", "XMLHttpRequest", "WebSocket", "sendBeacon", "innerHTML", "outerHTML",
                "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert api not in script, api
    # URLs from rule help, references and consoles are shown as text, never as links
    assert "https://console.widget.example/keys" in text
    assert not re.search(r"""(?:href|src)\s*=\s*["']?(?:https?:)?//""", text)


def test_findings_are_embedded_once_as_redacted_json() -> None:
    context = _history_context()
    text = _report(context)
    page = parse(text)
    data = _data(page)
    findings = data["findings"]
    assert isinstance(findings, list) and len(findings) == len(context.findings)
    for finding, entry in zip(context.findings, findings, strict=True):
        assert entry["secret"] == redact(finding.secret) != finding.secret
        assert finding.secret not in text
        assert entry["path"] == finding.path and entry["fingerprint"] == finding.fingerprint
        assert entry["commit"] == finding.commit and entry["status"] == finding.status
    assert data["secrets_redacted"] is True and data["kind"] == "history"
    assert set(data["rules"]) == {"acme-token", "widget-key", "plain-secret"}
    # the hostile strings round-trip exactly, and could not close the data block or add an element
    hostile = next(e for e in findings if e["rule_id"] == "widget-key")
    assert hostile["subject"] == HOSTILE and hostile["path"] == f"conf/{HOSTILE}.env"
    assert hostile["last_seen"] == "2024-08-01T00:00:00+00:00" and hostile["occurrence_count"] == 1
    assert len(page.all("script")) == 2
    assert "</script><script>alert" not in text and "<!--" not in text.split("<body>", 1)[1]


def test_table_headers_and_filter_controls() -> None:
    context = _history_context()
    page = parse(_report(context))
    table = page.by_id("findings-table")
    assert table.tag == "table"
    headers = [e.attrs["data-col"] for e in page.all("th")]
    assert headers == HISTORY_HEADERS
    assert [e.text for e in page.all("th")][-2:] == ["Introduced", "Status"]
    assert page.by_id("findings-body").tag == "tbody"

    def options(ident: str) -> list[str]:
        assert page.by_id(ident).tag == "select"
        start = page.elements.index(page.by_id(ident))
        found = []
        for element in page.elements[start + 1:]:
            if element.tag != "option":
                break
            found.append(element.attrs["value"])
        return found

    assert options("filter-provider") == ["", "acme", "plain", "widget"]
    assert options("filter-severity") == ["", "critical", "medium", "low"]
    assert options("filter-status") == ["", "present", "removed"]
    assert page.by_id("filter-text").attrs["type"] == "search"
    assert page.by_id("filter-reset").tag == "button"
    assert page.by_id("timeline-canvas").tag == "canvas"
    assert page.all("input", id="filter-suppressed") == []  # only when suppressed findings are shown


def _cards(page: Page) -> dict[str, dict[str, int]]:
    """Each summary card's caption and its table rows as {label: count}."""
    cards: dict[str, dict[str, int]] = {}
    caption = ""
    row: list[str] = []
    for element in page.elements:
        if element.tag == "h3":
            caption = element.text
            cards[caption] = {}
        elif element.tag == "tr" and caption:
            row = []
        elif element.tag == "td" and caption:
            row.append(element.text)
            if len(row) == 2 and row[1]:
                cards[caption][row[0]] = int(row[1].replace(",", ""))
        elif element.tag == "section" and element.attrs.get("id") != "summary" and cards:
            break
    return cards


def test_summary_counts_by_severity_provider_and_status() -> None:
    context = _history_context()
    page = parse(_report(context))
    cards = _cards(page)
    severities = Counter(f.severity.label for f in context.findings)
    assert cards["By severity"] == {s: severities[s] for s in ("critical", "high", "medium", "low")}
    assert cards["By provider"] == dict(Counter(f.provider for f in context.findings))
    assert list(cards["By provider"]) == ["acme", "plain", "widget"]  # most findings first, then by name
    assert cards["By status"] == dict(Counter(f.status for f in context.findings))
    assert page.by_id("total-findings").text == str(len(context.findings))


def test_rule_help_and_revocation_once_per_rule() -> None:
    context = _history_context()
    text = _report(context)
    page = parse(text)
    articles = [e for e in page.all("article")]
    assert [a.attrs["id"] for a in articles] == ["rule-acme-token", "rule-plain-secret", "rule-widget-key"]
    markup = text.split('<script type="application/json"', 1)[0]
    assert markup.count("An Acme token") == 1  # six acme findings, one copy of the help
    data = _data(page)
    assert all("help" not in e and "short" not in e for e in data["findings"])
    assert data["rules"]["acme-token"]["short"] == "An Acme token <b>bold</b>."
    acme = page.by_id("rule-acme-token")
    assert "<b>bold</b>" in acme.text  # help text is escaped, not interpreted
    assert not page.all("b")
    assert next(e.text for e in page.all("strong") if e.text.startswith("How")) == "How to rotate."
    assert "acme token delete" in [e.text for e in page.all("code")]
    assert "through the github hook" in " ".join(acme.text.split())
    widget = page.by_id("rule-widget-key")
    assert "https://console.widget.example/keys" in widget.text and "Delete the key" in widget.text
    assert "No revocation hook" in page.by_id("rule-plain-secret").text
    rules = _data(page)["rules"]
    assert rules["widget-key"]["revoke"] == {"hook": "manual", "console": "https://console.widget.example/keys",
                                             "steps": ["Open the console", "Delete the key"]}
    assert rules["plain-secret"]["revoke"] is None


def test_suppressed_findings_only_with_show_suppressed() -> None:
    acme = RULES.rules[0]
    hidden = _finding(20, acme, "present", suppressed_by="baseline")
    plain = parse(_report(_history_context(suppressed=[hidden])))
    assert all(not e["suppressed"] for e in _data(plain)["findings"])
    shown = parse(_report(_history_context(suppressed=[hidden], show_suppressed=True)))
    entries = _data(shown)["findings"]
    assert [e["suppressed_by"] for e in entries if e["suppressed"]] == ["baseline"]
    assert shown.by_id("filter-suppressed").attrs["type"] == "checkbox"
    assert shown.by_id("total-findings").text == str(len(entries) - 1)


def test_empty_report_is_still_a_complete_page() -> None:
    page = parse(_report(ReportContext([], ScanSummary(), RULES, kind="tree")))
    assert _data(page)["findings"] == []
    assert [e.attrs["data-col"] for e in page.all("th")] == TREE_HEADERS
    assert page.by_id("total-findings").text == "0"
    assert "No findings, so no rule help." in page.by_id("rules").text


def test_render_is_deterministic_for_a_given_time() -> None:
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    context = _history_context()
    assert render(context, when) == render(context, when)
    assert "2025-01-02T03:04:05+00:00" in render(context, when)


def test_incomplete_scan_and_notes_are_shown() -> None:
    summary = ScanSummary(incomplete=True, notes=["blob 1234 could not be read <odd>"])
    page = parse(_report(_history_context(summary=summary)))
    header = page.all("header")[0].text
    assert "Incomplete scan" in header and "blob 1234 could not be read <odd>" in header


# -- through the command line --------------------------------------------------------------------------------


def _repo(tmp_path: Path) -> tuple[GitRepo, list[str]]:
    repo = GitRepo(tmp_path / "repo")
    tokens = [github_token(), aws_key_id()]
    repo.commit("add token", {".env": f"GITHUB_TOKEN={tokens[0]}\n"})
    repo.commit("settings", {"settings.py": f'AWS_ACCESS_KEY_ID = "{tokens[1]}"\n'})
    repo.commit("remove token", {".env": None})
    return repo, tokens


def test_history_format_html_writes_one_file(tmp_path: Path) -> None:
    repo, tokens = _repo(tmp_path)
    out = tmp_path / "report.html"
    run = run_cli("history", str(repo.path), "--format", "html", "-o", str(out), "--quiet")
    assert run.code == 1, run.stderr
    assert run.stdout == ""
    text = out.read_text(encoding="utf-8")
    page = parse(text)
    data = _data(page)
    assert data["kind"] == "history"
    assert {(e["rule_id"], e["status"]) for e in data["findings"]} == {
        ("github-pat-classic", "removed"), ("aws-access-key-id", "present")}
    assert all(e["commit"] and e["date"] and e["author"] for e in data["findings"])
    assert [e.attrs["data-col"] for e in page.all("th")] == HISTORY_HEADERS
    for token in tokens:
        assert token not in text
    assert "through the github hook" in " ".join(page.by_id("rule-github-pat-classic").text.split())


def test_scan_format_html_and_show_secrets_still_redacts(tmp_path: Path) -> None:
    repo, tokens = _repo(tmp_path)
    out = tmp_path / "tree.html"
    run = run_cli("scan", str(repo.path), "--format", "html", "-o", str(out), "--show-secrets")
    assert run.code == 1, run.stderr
    assert "always redacts secrets" in run.stderr
    text = out.read_text(encoding="utf-8")
    page = parse(text)
    data = _data(page)
    assert data["kind"] == "tree"
    assert [e["status"] for e in data["findings"]] == ["present"]
    assert tokens[1] not in text and redact(tokens[1]) in text
    assert [e.attrs["data-col"] for e in page.all("th")] == TREE_HEADERS
    assert not page.all("canvas")  # no dates in a tree scan, so no timeline


@pytest.mark.parametrize("kind", ["tree", "history", "staged"])
def test_every_kind_renders(kind: str) -> None:
    context = _history_context(kind=kind)
    page = parse(_report(context))
    statuses = {e["status"] for e in _data(page)["findings"]}
    assert statuses == {"present", "removed"}  # the findings' own status wins over the kind's default
