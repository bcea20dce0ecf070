"""Writing planted items into text: a line-tracking document, string literals, and emitters for
config trees (YAML, JSON, TOML, INI, properties, dotenv, HCL) and for assignments in code.

Every emitter records the line on which each label lands, so the labels file can say exactly
where a scanner should report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from common import Bundle, Item, Label, Rand, style


@dataclass
class Placed:
    label: Label
    line: int
    end_line: int
    cell: int | None = None
    cell_line: int | None = None


@dataclass
class Leaf:
    """A config value that may carry labels."""

    value: str
    labels: list[Label] = field(default_factory=list)
    raw: bool = False


Marks = list[tuple[int, Label]]  # (0-based line offset, label)


def fix_label(label: Label, line: str) -> None:
    """Make the label's value the text as written (escaping doubles backslashes, JSON escapes more)."""
    if label.value in line:
        return
    for candidate in (
        label.value.replace("\\", "\\\\"),
        json.dumps(label.value)[1:-1],
        label.value.replace("\n", "\\n"),
    ):
        if candidate in line:
            label.value = candidate
            return


class Doc:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.placed: list[Placed] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def put(self, lines: list[str], marks: Marks) -> None:
        start = len(self.lines)
        self.lines.extend(lines)
        for offset, label in marks:
            fix_label(label, lines[offset])
            self.placed.append(Placed(label, start + offset + 1, start + offset + 1))

    def block(self, lines: list[str], label: Label | None) -> None:
        start = len(self.lines) + 1
        self.lines.extend(lines)
        if label is not None:
            self.placed.append(Placed(label, start, start + len(lines) - 1))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def lit(value: str, quote: str = '"') -> str:
    return quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


# --- config trees -------------------------------------------------------------------------------

Tree = dict  # str -> Tree | Leaf | str | int | bool | list


def _needs_yaml_quotes(value: str) -> bool:
    return (
        value == ""
        or value[0] in "!&*%@{}[]|>'\"#`,?-:"
        or ": " in value
        or " #" in value
        or value.lower() in ("yes", "no", "true", "false", "null", "on", "off")
        or value.isdigit()
    )


def yaml_scalar(r: Rand, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if "\\" in text:
        return "'" + text.replace("'", "''") + "'"
    if _needs_yaml_quotes(text) or r.chance(0.25):
        return json.dumps(text) if r.chance(0.6) else "'" + text.replace("'", "''") + "'"
    return text


def emit_yaml(r: Rand, tree: Tree, key_style: str = "snake", indent: int = 0) -> tuple[list[str], Marks]:
    lines: list[str] = []
    marks: Marks = []
    pad = " " * indent
    for key, value in tree.items():
        name = style(key, key_style) if "_" in key else key
        if isinstance(value, dict):
            lines.append(f"{pad}{name}:")
            sub, sub_marks = emit_yaml(r, value, key_style, indent + 2)
            marks += [(len(lines) + o, lab) for o, lab in sub_marks]
            lines += sub
        elif isinstance(value, list):
            lines.append(f"{pad}{name}:")
            lines += [f"{pad}  - {yaml_scalar(r, v)}" for v in value]
        elif isinstance(value, Leaf):
            marks += [(len(lines), lab) for lab in value.labels]
            lines.append(f"{pad}{name}: {yaml_scalar(r, value.value)}")
        else:
            lines.append(f"{pad}{name}: {yaml_scalar(r, value)}")
    return lines, marks


def emit_json(
    tree: Tree, key_style: str = "camel", indent: int = 2, level: int = 1
) -> tuple[list[str], Marks]:
    """Object body lines (without the outer braces), commas placed correctly."""
    lines: list[str] = []
    marks: Marks = []
    pad = " " * (indent * level)
    items = list(tree.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        name = json.dumps(style(key, key_style) if "_" in key else key)
        if isinstance(value, dict):
            lines.append(f"{pad}{name}: {{")
            sub, sub_marks = emit_json(value, key_style, indent, level + 1)
            marks += [(len(lines) + o, lab) for o, lab in sub_marks]
            lines += sub
            lines.append(f"{pad}}}{comma}")
        elif isinstance(value, Leaf):
            marks += [(len(lines), lab) for lab in value.labels]
            lines.append(f"{pad}{name}: {json.dumps(value.value)}{comma}")
        else:
            lines.append(f"{pad}{name}: {json.dumps(value)}{comma}")
    return lines, marks


def _flatten(tree: Tree, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    out: list[tuple[tuple[str, ...], object]] = []
    for key, value in tree.items():
        if isinstance(value, dict):
            out += _flatten(value, (*prefix, key))
        else:
            out.append(((*prefix, key), value))
    return out


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value.value if isinstance(value, Leaf) else str(value)


def emit_flat(r: Rand, tree: Tree, form: str) -> tuple[list[str], Marks]:
    """dotenv (``KEY=value``), Java properties (``a.b.c=value``) or shell exports."""
    lines: list[str] = []
    marks: Marks = []
    for path, value in _flatten(tree):
        text = _scalar_text(value)
        if form == "properties":
            key = ".".join(style(p, "dotted") if r.chance(0.7) else style(p, "kebab") for p in path)
            line = f"{key}={text}" if r.chance(0.7) else f"{key} = {text}"
        else:
            key = "_".join(style(p, "screaming") for p in path)
            quoted = text
            if isinstance(value, Leaf) and value.raw:
                quoted = text
            elif text == "" or " " in text or r.chance(0.3):
                quoted = lit(text, r.pick('"', "'")) if "'" not in text else lit(text)
            line = f"export {key}={quoted}" if form == "export" else f"{key}={quoted}"
        if isinstance(value, Leaf):
            marks += [(len(lines), lab) for lab in value.labels]
        lines.append(line)
        if r.chance(0.08):
            lines.append("")
    return lines, marks


def emit_sections(r: Rand, tree: Tree, form: str) -> tuple[list[str], Marks]:
    """INI (``[section]`` + ``key = value``) or TOML (tables, quoted strings)."""
    lines: list[str] = []
    marks: Marks = []
    top = {k: v for k, v in tree.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in tree.items() if isinstance(v, dict)}

    def entry(key: str, value: object) -> str:
        if form == "toml":
            if isinstance(value, bool | int):
                text = _scalar_text(value)
            elif isinstance(value, list):
                text = "[" + ", ".join(json.dumps(str(v)) for v in value) + "]"
            else:
                raw = _scalar_text(value)
                text = "'" + raw + "'" if "\\" in raw and "'" not in raw else json.dumps(raw)
            return f"{style(key, 'snake')} = {text}"
        return f"{style(key, 'snake')} = {_scalar_text(value)}"

    def put(items: dict, prefix: tuple[str, ...]) -> None:
        flat = (
            _flatten(items)
            if form == "ini"
            else list((((k,), v) for k, v in items.items() if not isinstance(v, dict)))
        )
        for path, value in flat:
            if isinstance(value, Leaf):
                marks.extend((len(lines), lab) for lab in value.labels)
            lines.append(entry("_".join(path), value))
        if form == "toml":
            for k, v in items.items():
                if isinstance(v, dict):
                    lines.append("")
                    lines.append("[" + ".".join((*prefix, k)) + "]")
                    put(v, (*prefix, k))

    put(top, ())
    for name, body in tables.items():
        lines.append("")
        lines.append(f"[{name}]")
        put(body, (name,))
    return lines, marks


def emit_hcl(r: Rand, tree: Tree, indent: int = 0) -> tuple[list[str], Marks]:
    lines: list[str] = []
    marks: Marks = []
    pad = "  " * indent
    width = max((len(k) for k in tree), default=0)
    for key, value in tree.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key} = {{")
            sub, sub_marks = emit_hcl(r, value, indent + 1)
            marks += [(len(lines) + o, lab) for o, lab in sub_marks]
            lines += sub
            lines.append(f"{pad}}}")
            continue
        if isinstance(value, Leaf):
            marks += [(len(lines), lab) for lab in value.labels]
        if isinstance(value, bool | int):
            text = _scalar_text(value)
        elif isinstance(value, list):
            text = "[" + ", ".join(json.dumps(str(v)) for v in value) + "]"
        else:
            text = json.dumps(_scalar_text(value))
        lines.append(f"{pad}{key.ljust(width)} = {text}")
    return lines, marks


# --- placing bundles into trees ---------------------------------------------------------------------

PROVIDER_WORDS = {
    "aws",
    "azure",
    "google",
    "gcp",
    "github",
    "gitlab",
    "stripe",
    "slack",
    "twilio",
    "sendgrid",
    "datadog",
    "sentry",
    "openai",
    "anthropic",
    "mailgun",
    "paypal",
    "braintree",
    "shopify",
    "okta",
    "auth0",
    "algolia",
    "contentful",
    "cloudflare",
    "vercel",
    "netlify",
    "heroku",
    "linode",
    "digitalocean",
    "pagerduty",
    "grafana",
    "honeycomb",
    "splunk",
    "elastic",
    "vault",
    "supabase",
    "firebase",
    "plaid",
    "razorpay",
    "mailchimp",
    "postmark",
    "brevo",
    "doppler",
    "notion",
    "airtable",
    "asana",
    "linear",
    "figma",
    "hubspot",
    "mapbox",
    "jenkins",
    "circleci",
    "travis",
    "buildkite",
    "codecov",
    "drone",
    "redis",
    "smtp",
    "db",
    "database",
    "mysql",
    "postgres",
    "cohere",
    "mistral",
    "groq",
    "replicate",
    "dynatrace",
    "logzio",
    "fastly",
    "render",
    "railway",
    "pulumi",
    "paystack",
    "flutterwave",
    "square",
    "adyen",
    "intercom",
    "typeform",
    "dropbox",
    "discord",
    "telegram",
    "teams",
    "jira",
    "confluence",
    "bitbucket",
    "alibaba",
    "aliyun",
    "tencentcloud",
    "scw",
    "ibm",
    "hcp",
    "databricks",
    "newrelic",
    "new",
    "huggingface",
    "hf",
    "perplexity",
    "deepseek",
    "xai",
    "openrouter",
    "langsmith",
    "langchain",
    "npm",
    "pypi",
    "docker",
    "nuget",
    "rubygems",
    "artifactory",
    "jfrog",
    "packagist",
    "hex",
    "mj",
    "sparkpost",
}


def place(r: Rand, tree: Tree, bundle: Bundle, nest: bool = True) -> None:
    """Put a bundle's items into a config tree, nesting ``stripe_secret_key`` as stripe: secret_key:
    half of the time, the way real config files group a provider's settings."""
    first = bundle.items[0].name.split("_")
    section = first[0] if nest and len(first) > 1 and first[0] in PROVIDER_WORDS and r.chance(0.5) else None
    target = tree.setdefault(section, {}) if section else tree
    if not isinstance(target, dict):
        target = tree
        section = None
    for item in bundle.items:
        key = item.name
        if section and key.startswith(section + "_"):
            key = key[len(section) + 1 :]
        while key in target:
            key += "_2"
        target[key] = Leaf(item.value, [item.label] if item.label else [], item.raw)


# --- assignments in code ------------------------------------------------------------------------------

LineFn = Callable[[Item, str], str]
CodeStyle = tuple[list[str], LineFn, list[str]]


def _styles(r: Rand, lang: str, raw: bool) -> list[CodeStyle]:
    def s(it: Item, how: str) -> str:
        return style(it.name, how)

    cls = r.pick("Client", "ApiClient", "Service", "Integration", "Connector")
    if lang == "python":
        out: list[CodeStyle] = [
            ([], lambda it, v: f"{s(it, 'screaming')} = {v}", []),
            (
                [f"{r.pick('CONFIG', 'SETTINGS', 'DEFAULTS', 'credentials')} = {{"],
                lambda it, v: f'    "{s(it, "snake")}": {v},',
                ["}"],
            ),
            ([f"client = {cls}("], lambda it, v: f"    {s(it, 'snake')}={v},", [")"]),
        ]
        if not raw:
            out.append(([], lambda it, v: f'os.environ["{s(it, "screaming")}"] = {v}', []))
        return out
    if lang in ("js", "ts"):
        typed = ": string" if lang == "ts" else ""
        return [
            ([], lambda it, v: f"const {s(it, 'camel')}{typed} = {v};", []),
            ([], lambda it, v: f"export const {s(it, 'screaming')} = {v};", []),
            (["const config = {"], lambda it, v: f"  {s(it, 'camel')}: {v},", ["};"]),
            ([f"const client = new {cls}({{"], lambda it, v: f"  {s(it, 'camel')}: {v},", ["});"]),
        ]
    if lang == "go":
        return [
            ([], lambda it, v: f"{'var' if raw else 'const'} {s(it, 'camel')} = {v}", []),
            (
                ["func defaultConfig() Config {", "\tcfg := Config{"],
                lambda it, v: f"\t\t{s(it, 'pascal')}: {v},",
                ["\t}", "\treturn cfg", "}"],
            ),
        ]
    if lang == "java":
        return [
            ([], lambda it, v: f"    private static final String {s(it, 'screaming')} = {v};", []),
            (
                ["    static {"],
                lambda it, v: f'        PROPS.setProperty("{s(it, "dotted")}", {v});',
                ["    }"],
            ),
        ]
    if lang == "kotlin":
        return [
            ([], lambda it, v: f"    private val {s(it, 'camel')} = {v}", []),
            (
                ["    companion object {"],
                lambda it, v: f"        {'val' if raw else 'const val'} {s(it, 'screaming')} = {v}",
                ["    }"],
            ),
            (
                ["    private val settings = mapOf("],
                lambda it, v: f'        "{s(it, "dotted")}" to {v},',
                ["    )"],
            ),
        ]
    if lang == "ruby":
        return [
            ([], lambda it, v: f"  {s(it, 'screaming')} = {v}", []),
            (["  CONFIG = {"], lambda it, v: f"    {s(it, 'snake')}: {v},", ["  }.freeze"]),
            (
                ["  def client", f"    @client ||= {cls}.new("],
                lambda it, v: f"      {s(it, 'snake')}: {v},",
                ["    )", "  end"],
            ),
        ]
    if lang == "php":
        return [
            ([], lambda it, v: f"    private const {s(it, 'screaming')} = {v};", []),
            (
                ["    public function credentials(): array", "    {", "        return ["],
                lambda it, v: f"            '{s(it, 'snake')}' => {v},",
                ["        ];", "    }"],
            ),
            ([], lambda it, v: f"    private string ${s(it, 'camel')} = {v};", []),
        ]
    if lang == "csharp":
        return [
            (
                [],
                lambda it, v: (
                    f"        private {'static readonly' if raw else 'const'} string {s(it, 'pascal')} = {v};"
                ),
                [],
            ),
            (
                ["        public void Configure(ApiOptions options)", "        {"],
                lambda it, v: f"            options.{s(it, 'pascal')} = {v};",
                ["        }"],
            ),
            (
                ["        private static readonly Dictionary<string, string> Settings = new()", "        {"],
                lambda it, v: f'            {{ "{s(it, "pascal")}", {v} }},',
                ["        };"],
            ),
        ]
    raise ValueError(lang)


def quote_for(r: Rand, lang: str, value: str) -> str:
    if lang in ("ruby", "php") or (lang == "shell"):
        return lit(value, "'") if "'" not in value else lit(value)
    if lang in ("python", "js", "ts"):
        return lit(value, r.pick('"', "'"))
    return lit(value)


def code_bundle(r: Rand, lang: str, bundle: Bundle) -> tuple[list[str], Marks]:
    raw = any(i.raw for i in bundle.items)
    opener, line_fn, closer = r.choice(_styles(r, lang, raw))
    lines = list(opener)
    marks: Marks = []
    for item in bundle.items:
        value = item.value if item.raw else quote_for(r, lang, item.value)
        if item.label is not None:
            marks.append((len(lines), item.label))
        lines.append(line_fn(item, value))
    return lines + closer, marks
