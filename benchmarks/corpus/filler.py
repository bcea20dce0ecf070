"""Ordinary code and configuration around the planted items, so that a scanner meets the same
text it meets in a real repository: functions, classes, imports, comments, settings.

Templates are filled with random domain words; they are syntactically plausible for their
language, not compiled.
"""

from __future__ import annotations

from common import Rand

NOUNS = [
    "order",
    "invoice",
    "customer",
    "payment",
    "session",
    "report",
    "product",
    "cart",
    "shipment",
    "account",
    "user",
    "profile",
    "event",
    "metric",
    "job",
    "task",
    "queue",
    "message",
    "notification",
    "subscription",
    "plan",
    "tenant",
    "document",
    "upload",
    "image",
    "schedule",
    "booking",
    "ticket",
    "comment",
    "review",
    "inventory",
    "warehouse",
    "route",
    "device",
    "sensor",
    "reading",
    "batch",
    "export",
    "audit",
    "ledger",
    "refund",
    "coupon",
    "campaign",
    "team",
    "project",
    "build",
    "release",
    "artifact",
]
VERBS = [
    "get",
    "fetch",
    "load",
    "create",
    "update",
    "delete",
    "process",
    "validate",
    "sync",
    "parse",
    "render",
    "build",
    "compute",
    "resolve",
    "publish",
    "enqueue",
    "dispatch",
    "archive",
    "import",
    "export",
    "normalize",
    "merge",
    "retry",
    "schedule",
    "refresh",
]
ADJS = [
    "pending",
    "active",
    "archived",
    "recent",
    "failed",
    "stale",
    "primary",
    "default",
    "remote",
    "local",
    "cached",
    "queued",
    "expired",
    "draft",
]
DOMAINS = [
    "example.com",
    "api.example.com",
    "internal.example.net",
    "acme.io",
    "widgets.example.org",
    "staging.example.com",
    "corp.example",
]
PROSE = [
    "Retries are capped so a stuck upstream cannot exhaust the worker pool.",
    "Keep this in sync with the schema in migrations/0042_add_index.py.",
    "The upstream API paginates with a cursor; we follow it until it is empty.",
    "Values here are defaults; the deployment overrides them per environment.",
    "This runs inside the request, so it must stay fast.",
    "Timestamps are stored in UTC and converted at the edge.",
    "See the runbook before changing the batch size.",
    "We cache for five minutes because the data changes rarely.",
    "Order matters: the validator expects normalised input.",
    "Legacy clients still send the old field name; accept both.",
    "Feature flag owners: platform team.",
    "Do not log the payload, it may contain personal data.",
]


class Words:
    def __init__(self, r: Rand) -> None:
        self.r = r

    def fill(self, template: str) -> str:
        r = self.r
        noun, noun2 = r.sample(NOUNS, 2)
        return template.format(
            noun=noun,
            Noun=noun.capitalize(),
            NOUN=noun.upper(),
            noun2=noun2,
            Noun2=noun2.capitalize(),
            verb=r.choice(VERBS),
            Verb=r.choice(VERBS).capitalize(),
            adj=r.choice(ADJS),
            n=r.randint(2, 500),
            m=r.randint(1, 60),
            domain=r.choice(DOMAINS),
            prose=r.choice(PROSE),
            port=r.choice([80, 443, 5432, 6379, 8080, 8443, 9000]),
        )


PYTHON = [
    '''def {verb}_{noun}s(client, {noun2}_id: int, *, limit: int = {n}) -> list[dict]:
    """{Verb} the {adj} {noun}s of a {noun2}."""
    results = []
    for item in client.list("{noun}s", {noun2}_id={noun2}_id):
        if item.get("status") == "{adj}":
            results.append(item)
        if len(results) >= limit:
            break
    logger.info("%d {noun}s for %s", len(results), {noun2}_id)
    return results''',
    '''class {Noun}Service:
    """{prose}"""

    def __init__(self, repository, timeout: float = {m}.0) -> None:
        self.repository = repository
        self.timeout = timeout

    def {verb}(self, {noun}_id: str) -> "{Noun}":
        {noun} = self.repository.get({noun}_id)
        if {noun} is None:
            raise LookupError(f"no {noun} {{{noun}_id}}")
        return {noun}''',
    """@dataclass
class {Noun}{Noun2}:
    id: int
    name: str
    {noun2}_count: int = 0
    tags: list[str] = field(default_factory=list)

    def is_{adj}(self) -> bool:
        return self.{noun2}_count > {n}""",
    """# {prose}
MAX_RETRIES = {m}
REQUEST_TIMEOUT = {n}
BASE_URL = "https://{domain}/v2"
DEFAULT_PAGE_SIZE = {n}""",
    """async def {verb}_{noun}(session, url: str) -> dict:
    try:
        async with session.get(url, timeout={m}) as response:
            response.raise_for_status()
            return await response.json()
    except asyncio.TimeoutError:
        logger.warning("timeout while loading %s", url)
        return {{}}""",
    """def test_{verb}_{noun}_{adj}(tmp_path):
    path = tmp_path / "{noun}.json"
    path.write_text('{{"id": {n}, "status": "{adj}"}}')
    loaded = load_{noun}(path)
    assert loaded.status == "{adj}"
    assert loaded.id == {n}""",
]
PYTHON_HEAD = [
    "import logging",
    "import os",
    "from dataclasses import dataclass, field",
    "",
    "",
    "logger = logging.getLogger(__name__)",
]

JS = [
    """export async function {verb}{Noun}s({noun2}Id, {{ limit = {n} }} = {{}}) {{
  const response = await fetch(`${{BASE_URL}}/{noun2}s/${{{noun2}Id}}/{noun}s?limit=${{limit}}`);
  if (!response.ok) {{
    throw new Error(`failed to load {noun}s: ${{response.status}}`);
  }}
  const data = await response.json();
  return data.items.filter((item) => item.status === "{adj}");
}}""",
    """// {prose}
export class {Noun}Store {{
  constructor(cache) {{
    this.cache = cache;
    this.ttl = {m} * 60;
  }}

  get(id) {{
    return this.cache.get(`{noun}:${{id}}`);
  }}

  set(id, value) {{
    this.cache.set(`{noun}:${{id}}`, value, this.ttl);
  }}
}}""",
    """const {noun}Columns = [
  {{ key: "id", title: "ID", width: {m} }},
  {{ key: "name", title: "{Noun}", sortable: true }},
  {{ key: "{noun2}", title: "{Noun2}", render: (row) => row.{noun2}?.name ?? "-" }},
];""",
    """export function use{Noun}(id) {{
  const [{noun}, set{Noun}] = useState(null);
  useEffect(() => {{
    let cancelled = false;
    load{Noun}(id).then((value) => !cancelled && set{Noun}(value));
    return () => {{ cancelled = true; }};
  }}, [id]);
  return {noun};
}}""",
    """describe("{noun} {verb}", () => {{
  it("keeps {adj} {noun}s", () => {{
    const items = [{{ id: 1, status: "{adj}" }}, {{ id: 2, status: "done" }}];
    expect(filter{Noun}s(items)).toHaveLength(1);
  }});
}});""",
]
JS_HEAD = [
    'import {{ useEffect, useState }} from "react";',
    'import axios from "axios";',
    "",
    'const BASE_URL = "https://{domain}/api";',
]

GO = [
    """// {Verb}{Noun} {prose}
func (s *{Noun}Service) {Verb}{Noun}(ctx context.Context, id string) (*{Noun}, error) {{
	ctx, cancel := context.WithTimeout(ctx, {m}*time.Second)
	defer cancel()
	{noun}, err := s.repo.Find(ctx, id)
	if err != nil {{
		return nil, fmt.Errorf("find {noun} %s: %w", id, err)
	}}
	return {noun}, nil
}}""",
    """type {Noun} struct {{
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	{Noun2}ID  int64     `json:"{noun2}_id"`
	CreatedAt time.Time `json:"created_at"`
}}""",
    """func handle{Noun}(w http.ResponseWriter, r *http.Request) {{
	if r.Method != http.MethodGet {{
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int{{"{noun}s": {n}}})
}}""",
    """const (
	default{Noun}Limit = {n}
	max{Noun2}Retries  = {m}
)""",
]
GO_HEAD = [
    "package {noun}",
    "",
    "import (",
    '\t"context"',
    '\t"encoding/json"',
    '\t"fmt"',
    '\t"net/http"',
    '\t"os"',
    '\t"time"',
    ")",
]

JAVA = [
    """    public List<{Noun}> {verb}{Noun}s(long {noun2}Id) {{
        // {prose}
        List<{Noun}> result = new ArrayList<>();
        for ({Noun} item : repository.findBy{Noun2}Id({noun2}Id)) {{
            if ("{adj}".equals(item.getStatus())) {{
                result.add(item);
            }}
        }}
        log.info("{{}} {noun}s for {noun2} {{}}", result.size(), {noun2}Id);
        return result;
    }}""",
    """    @GetMapping("/{noun}s/{{id}}")
    public ResponseEntity<{Noun}Dto> get{Noun}(@PathVariable long id) {{
        return service.find(id)
                .map(mapper::toDto)
                .map(ResponseEntity::ok)
                .orElse(ResponseEntity.notFound().build());
    }}""",
    """    private static final int MAX_{NOUN}S = {n};
    private static final Duration TIMEOUT = Duration.ofSeconds({m});""",
]
JAVA_HEAD = [
    "package com.example.{noun};",
    "",
    "import java.time.Duration;",
    "import java.util.ArrayList;",
    "import java.util.List;",
    "",
    "@Service",
    "public class {Noun}Service {{",
    "",
]

KOTLIN = [
    """    fun {verb}{Noun}s({noun2}Id: Long, limit: Int = {n}): List<{Noun}> =
        repository.findBy{Noun2}Id({noun2}Id)
            .filter {{ it.status == "{adj}" }}
            .take(limit)""",
    """data class {Noun}(val id: Long, val name: String, val {noun2}Count: Int = 0)""",
    """    suspend fun refresh{Noun}(id: Long) {{
        // {prose}
        withTimeout({m}_000) {{
            cache.put(id, client.get{Noun}(id))
        }}
    }}""",
]
KOTLIN_HEAD = [
    "package com.example.{noun}",
    "",
    "import kotlinx.coroutines.withTimeout",
    "",
    "class {Noun}Repository(private val client: {Noun}Client) {{",
]

RUBY = [
    """  def {verb}_{noun}s({noun2}_id, limit: {n})
    # {prose}
    {noun}s = {Noun}.where({noun2}_id: {noun2}_id, status: :{adj}).limit(limit)
    Rails.logger.info("#{{{noun}s.size}} {noun}s")
    {noun}s
  end""",
    """  validates :name, presence: true, length: {{ maximum: {n} }}
  belongs_to :{noun2}
  has_many :{noun}s, dependent: :destroy""",
    """  def {adj}?
    status == "{adj}" && updated_at > {m}.days.ago
  end""",
]
RUBY_HEAD = ["# frozen_string_literal: true", "", "class {Noun} < ApplicationRecord"]

PHP = [
    """    public function {verb}{Noun}s(int ${noun2}Id): array
    {{
        // {prose}
        return $this->repository->findBy(['{noun2}' => ${noun2}Id, 'status' => '{adj}'], limit: {n});
    }}""",
    """    private const MAX_{NOUN}S = {n};
    private int $timeout = {m};""",
    """    public function handle(Request $request): Response
    {{
        $validated = $request->validate(['name' => 'required|max:{n}']);
        ${noun} = {Noun}::create($validated);
        return response()->json(${noun}, 201);
    }}""",
]
PHP_HEAD = [
    "<?php",
    "",
    "namespace App\\Services;",
    "",
    "use Illuminate\\Http\\Request;",
    "",
    "class {Noun}Service",
    "{{",
]

CSHARP = [
    """        public async Task<IReadOnlyList<{Noun}>> {Verb}{Noun}sAsync(int {noun2}Id, CancellationToken t)
        {{
            // {prose}
            return await _db.{Noun}s
                .Where(x => x.{Noun2}Id == {noun2}Id && x.Status == "{adj}")
                .Take({n})
                .ToListAsync(t);
        }}""",
    """        public int Max{Noun}s {{ get; set; }} = {n};
        public TimeSpan Timeout {{ get; set; }} = TimeSpan.FromSeconds({m});""",
]
CSHARP_HEAD = [
    "using System;",
    "using System.Collections.Generic;",
    "using System.Threading.Tasks;",
    "",
    "namespace Example.{Noun}s",
    "{{",
    "    public class {Noun}Service",
    "    {{",
]

SHELL = [
    """{verb}_{noun}() {{
  local target="$1"
  # {prose}
  if [[ ! -d "$target" ]]; then
    echo "missing $target" >&2
    return 1
  fi
  find "$target" -name '*.{noun}' -mtime +{m} -print
}}""",
    """for attempt in $(seq 1 {m}); do
  if curl -fsS "https://{domain}/healthz" >/dev/null; then
    break
  fi
  sleep 2
done""",
    """echo "==> building {noun} ({adj})"
docker build -t "{noun}:${{GIT_SHA:-dev}}" .""",
]
SHELL_HEAD = ["#!/usr/bin/env bash", "set -euo pipefail", "", 'cd "$(dirname "$0")/.."']

YAML = [
    """{noun}:
  enabled: true
  batch_size: {n}
  retry:
    attempts: {m}
    backoff: exponential""",
    """logging:
  level: info
  format: json
  # {prose}""",
    """{noun2}_service:
  url: https://{domain}/{noun2}s
  timeout_seconds: {m}""",
]

MARKDOWN = [
    """## {Verb} {noun}s

{prose} The `{verb}_{noun}s` task runs every {m} minutes and reads at most {n} {noun}s per run.""",
    """### Configuration

| setting | default | meaning |
|---|---|---|
| `{noun}.batch_size` | {n} | {noun}s per batch |
| `{noun}.timeout` | {m}s | upstream timeout |""",
    """```bash
make {noun}
./bin/{verb}-{noun} --dry-run
```""",
]


def block(r: Rand, lang: str) -> list[str]:
    table = {
        "python": PYTHON,
        "js": JS,
        "ts": JS,
        "go": GO,
        "java": JAVA,
        "kotlin": KOTLIN,
        "ruby": RUBY,
        "php": PHP,
        "csharp": CSHARP,
        "shell": SHELL,
        "yaml": YAML,
        "markdown": MARKDOWN,
    }
    return Words(r).fill(r.choice(table[lang])).split("\n")


def head(r: Rand, lang: str) -> list[str]:
    table = {
        "python": PYTHON_HEAD,
        "js": JS_HEAD,
        "ts": JS_HEAD,
        "go": GO_HEAD,
        "java": JAVA_HEAD,
        "kotlin": KOTLIN_HEAD,
        "ruby": RUBY_HEAD,
        "php": PHP_HEAD,
        "csharp": CSHARP_HEAD,
        "shell": SHELL_HEAD,
    }
    lines = table.get(lang, [])
    words = Words(r)
    return [words.fill(line) for line in lines] if lines else []


TAIL = {"java": ["}"], "kotlin": ["}"], "ruby": ["end"], "php": ["}"], "csharp": ["    }", "}"]}


def prose(r: Rand) -> str:
    return r.choice(PROSE)
