/* keyscan HTML report: renders the findings embedded once as JSON in #keyscan-data.
 *
 * Every value from the data reaches the page through textContent or a property, never as markup, so a
 * path, author or commit subject cannot inject an element.  The filter state lives in the URL fragment
 * (#severity=critical&status=present&sort=date&dir=desc), so a filtered view can be linked and reopened.
 */
(function () {
  "use strict";

  const SEVERITY_RANK = { critical: 4, high: 3, medium: 2, low: 1 };
  const COLOURS = { critical: "#b3122e", high: "#d9480f", medium: "#b08400", low: "#2f7ab8" };
  const PAGE = 100; // rows rendered at a time: the first paint stays fast with any number of findings
  const SORTABLE = ["severity", "rule", "provider", "location", "commit", "author", "date", "status"];

  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("keyscan-data").textContent);
  const rules = data.rules || {};
  const all = data.findings || [];
  const isHistory = data.kind === "history";
  const opened = new Set();
  let limit = PAGE;
  let current = [];
  let timelineRows = [];
  let domain = null;

  all.forEach((f, i) => {
    f._i = i;
    f._time = f.date ? Date.parse(f.date) : NaN;
    f._last = f.last_seen ? Date.parse(f.last_seen) : NaN;
    f._search = [f.path, f.rule_id, f.rule_name, f.provider, f.author, f.email, f.commit, f.fingerprint, f.subject]
      .filter(Boolean).join("\n").toLowerCase();
  });

  const table = $("findings-table");
  const tbody = $("findings-body");
  const columns = Array.from(table.tHead.rows[0].cells).map((th) => th.dataset.col);
  const DEFAULTS = { provider: "", severity: "", status: "", q: "", suppressed: "",
    sort: columns.indexOf("date") >= 0 ? "date" : "severity", dir: "desc" };
  const state = Object.assign({}, DEFAULTS);
  const controls = {
    provider: $("filter-provider"),
    severity: $("filter-severity"),
    status: $("filter-status"),
    q: $("filter-text"),
    suppressed: $("filter-suppressed"),
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function shortDate(value) {
    return value ? String(value).slice(0, 10) : "";
  }

  function statusText(f) {
    if (f.status === "removed") {
      return f.last_seen ? "removed (last seen " + shortDate(f.last_seen) + ")" : "removed";
    }
    return f.status || "";
  }

  function locationText(f) {
    let text = f.path + ":" + f.line;
    if (f.cell !== undefined && f.cell !== null) text += " (cell " + f.cell + ")";
    return text;
  }

  // -- state <-> URL fragment ------------------------------------------------------------------

  function readHash() {
    const raw = window.location.hash.replace(/^#/, "");
    if (raw && raw.indexOf("=") < 0) return false; // an anchor such as #rule-github-pat: not filter state
    const params = new URLSearchParams(raw);
    Object.keys(DEFAULTS).forEach((key) => {
      state[key] = params.has(key) ? params.get(key) : DEFAULTS[key];
    });
    if (SORTABLE.indexOf(state.sort) < 0 || columns.indexOf(state.sort) < 0) state.sort = DEFAULTS.sort;
    if (state.dir !== "asc" && state.dir !== "desc") state.dir = "desc";
    return true;
  }

  function writeHash() {
    const params = new URLSearchParams();
    Object.keys(DEFAULTS).forEach((key) => {
      if (state[key] !== DEFAULTS[key]) params.set(key, state[key]);
    });
    const text = params.toString();
    try {
      window.history.replaceState(null, "", text ? "#" + text : window.location.pathname + window.location.search);
    } catch (error) {
      // some viewers forbid replaceState on local files; the view still works, it just cannot be linked
    }
  }

  function syncControls() {
    ["provider", "severity", "status", "q"].forEach((key) => {
      if (controls[key]) controls[key].value = state[key];
    });
    if (controls.suppressed) controls.suppressed.checked = state.suppressed === "1";
  }

  // -- filtering and sorting -------------------------------------------------------------------

  function matches(f, query) {
    if (state.provider && f.provider !== state.provider) return false;
    if (state.severity && f.severity !== state.severity) return false;
    if (state.status && f.status !== state.status) return false;
    if (f.suppressed && state.suppressed !== "1") return false;
    if (query && f._search.indexOf(query) < 0) return false;
    return true;
  }

  const KEYS = {
    severity: (f) => SEVERITY_RANK[f.severity] || 0,
    rule: (f) => (f.rule_name || f.rule_id).toLowerCase(),
    provider: (f) => f.provider,
    location: (f) => f.path + "\u0000" + String(f.line).padStart(9, "0"),
    commit: (f) => f.commit || "",
    author: (f) => (f.author || "").toLowerCase(),
    date: (f) => (isNaN(f._time) ? -Infinity : f._time),
    status: (f) => f.status || "",
  };

  function sortRows(rows) {
    const key = KEYS[state.sort] || KEYS.date;
    const sign = state.dir === "asc" ? 1 : -1;
    const keyed = rows.map((f) => [key(f), f]);
    keyed.sort((a, b) => {
      if (a[0] < b[0]) return -sign;
      if (a[0] > b[0]) return sign;
      return a[1]._i - b[1]._i;
    });
    return keyed.map((pair) => pair[1]);
  }

  // -- the table -------------------------------------------------------------------------------

  const CELLS = {
    severity: (f, td) => td.appendChild(el("span", "sev sev-" + f.severity, f.severity)),
    rule: (f, td) => {
      td.textContent = f.rule_name || f.rule_id;
      td.title = f.rule_id;
    },
    provider: (f, td) => { td.textContent = f.provider; },
    secret: (f, td) => {
      td.className = "mono";
      td.textContent = f.secret;
    },
    location: (f, td) => {
      td.className = "loc mono";
      td.textContent = locationText(f);
    },
    commit: (f, td) => {
      td.className = "mono";
      td.textContent = f.commit ? f.commit.slice(0, 10) : "";
      td.title = f.commit || "";
    },
    author: (f, td) => {
      td.textContent = f.author || "";
      td.title = f.email || "";
    },
    date: (f, td) => {
      td.textContent = shortDate(f.date);
      td.title = f.date || "";
    },
    status: (f, td) => {
      td.appendChild(el("span", "st-" + (f.status || "none"), statusText(f)));
      if (f.suppressed) td.appendChild(el("div", "muted", "suppressed: " + (f.suppressed_by || "yes")));
    },
  };

  function row(f) {
    const tr = el("tr", opened.has(f._i) ? "row open" : "row");
    tr.tabIndex = 0;
    tr.dataset.i = String(f._i);
    tr.setAttribute("aria-expanded", opened.has(f._i) ? "true" : "false");
    columns.forEach((col) => {
      const td = document.createElement("td");
      CELLS[col](f, td);
      tr.appendChild(td);
    });
    return tr;
  }

  function pair(dl, label, value) {
    dl.appendChild(el("dt", null, label));
    const dd = el("dd");
    if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = value;
    dl.appendChild(dd);
    return dd;
  }

  function revokeNode(rule) {
    const box = el("div");
    const rv = rule && rule.revoke;
    if (!rv) {
      box.textContent = "No revocation hook for this rule: rotate it by hand (see the rotation steps).";
      return box;
    }
    if (rv.hook === "manual") {
      box.appendChild(el("span", null, "Manual revocation"));
      if (rv.console) {
        box.appendChild(document.createTextNode(" in the provider's console: "));
        box.appendChild(el("code", null, rv.console));
      }
    } else if (rv.hook === "command") {
      box.textContent = "keyscan revoke runs the operator's command '" + (rv.name || "") + "' (revoke config).";
    } else {
      box.textContent = "keyscan revoke can revoke it through the '" + rv.hook + "' hook.";
    }
    if (rv.steps && rv.steps.length) {
      const list = el("ol");
      rv.steps.forEach((step) => list.appendChild(el("li", null, step)));
      box.appendChild(list);
    }
    if (rv.note) box.appendChild(el("div", "muted", rv.note));
    return box;
  }

  function detail(f) {
    const tr = el("tr", "detail");
    const td = el("td", "detail");
    td.colSpan = columns.length;
    const dl = el("dl", "detail-grid");
    const rule = rules[f.rule_id];
    pair(dl, "Rule", f.rule_id + (f.rule_name ? " (" + f.rule_name + ")" : ""));
    pair(dl, "Severity, confidence", f.severity + ", " + f.confidence + " confidence" +
      (f.checksum === "valid" ? ", checksum verified" : ""));
    let where = f.path + ":" + f.line + ":" + f.column;
    if (f.cell !== undefined && f.cell !== null) where += " (notebook cell " + f.cell + ")";
    if (f.decoded_from) where += " (decoded from " + f.decoded_from + ")";
    pair(dl, "Location", where);
    pair(dl, "Secret (redacted)", f.secret);
    pair(dl, "Fingerprint", f.fingerprint);
    if (f.commit) {
      pair(dl, "Introduced in", f.commit);
      pair(dl, "Author", (f.author || "") + (f.email ? " <" + f.email + ">" : ""));
      pair(dl, "Date", f.date || "");
      pair(dl, "Subject", f.subject || "");
    }
    if (f.status) pair(dl, "Status", statusText(f) + (f.status === "present" ? " (still in HEAD)" : ""));
    if (f.suppressed) pair(dl, "Suppressed by", f.suppressed_by || "yes");
    if (f.occurrence_count) {
      const list = el("ol");
      (f.occurrences || []).forEach((o) => {
        const text = (o.commit ? o.commit.slice(0, 10) + " " : "") + o.path + ":" + o.line +
          (o.date ? " (" + shortDate(o.date) + ")" : "");
        list.appendChild(el("li", "mono", text));
      });
      const shown = (f.occurrences || []).length;
      if (f.occurrence_count > shown) list.appendChild(el("li", "muted", "and " + (f.occurrence_count - shown) + " more"));
      pair(dl, "Also seen in", list);
    }
    const help = el("div");
    help.appendChild(el("span", null, (rule && rule.short) || "Treat the credential as compromised: rotate it."));
    help.appendChild(document.createTextNode(" "));
    const link = el("a", null, "Help and rotation steps");
    link.setAttribute("href", "#rule-" + f.rule_id);
    help.appendChild(link);
    pair(dl, "What to do", help);
    pair(dl, "Revocation", revokeNode(rule));
    td.appendChild(dl);
    tr.appendChild(td);
    return tr;
  }

  function drawTable() {
    const fragment = document.createDocumentFragment();
    const shown = current.slice(0, limit);
    shown.forEach((f) => {
      fragment.appendChild(row(f));
      if (opened.has(f._i)) fragment.appendChild(detail(f));
    });
    if (!shown.length) {
      const tr = el("tr");
      const td = el("td", "empty", all.length ? "No finding matches these filters." : "No findings.");
      td.colSpan = columns.length;
      tr.appendChild(td);
      fragment.appendChild(tr);
    }
    tbody.textContent = "";
    tbody.appendChild(fragment);
    const more = $("show-more");
    const everything = $("show-all");
    const rest = current.length - shown.length;
    more.hidden = rest <= 0;
    everything.hidden = rest <= PAGE;
    more.textContent = "Show " + Math.min(rest, PAGE).toLocaleString("en") + " more";
    everything.textContent = "Show all " + rest.toLocaleString("en") + " remaining";
    const count = $("result-count");
    count.dataset.matching = String(current.length);
    count.dataset.shown = String(shown.length);
    count.textContent = (shown.length < current.length ? "Showing " + shown.length.toLocaleString("en") + " of " : "") +
      current.length.toLocaleString("en") + " matching finding" + (current.length === 1 ? "" : "s") +
      " (" + all.length.toLocaleString("en") + " in the report).";
  }

  function updateHeaders() {
    Array.from(table.tHead.rows[0].cells).forEach((th) => {
      if (th.dataset.col === state.sort) th.setAttribute("aria-sort", state.dir === "asc" ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
  }

  // -- the timeline ----------------------------------------------------------------------------

  function timeDomain() {
    let lo = Infinity;
    let hi = -Infinity;
    all.forEach((f) => {
      if (!isNaN(f._time)) {
        lo = Math.min(lo, f._time);
        hi = Math.max(hi, f._time);
      }
      if (!isNaN(f._last)) hi = Math.max(hi, f._last);
    });
    if (lo === Infinity) return null;
    const pad = Math.max((hi - lo) * 0.02, 12 * 3600 * 1000);
    return { lo: lo - pad, hi: hi + pad, latest: hi };
  }

  function ticks(lo, hi) {
    const day = 86400000;
    const span = hi - lo;
    const out = [];
    const start = new Date(lo);
    if (span > 3 * 365 * day) {
      for (let y = start.getUTCFullYear() + 1; Date.UTC(y, 0, 1) < hi; y++) out.push([Date.UTC(y, 0, 1), String(y)]);
    } else if (span > 60 * day) {
      const step = span > 18 * 30 * day ? 3 : 1;
      let y = start.getUTCFullYear();
      let m = start.getUTCMonth() + 1;
      for (; Date.UTC(y, m, 1) < hi; m += step) {
        const t = Date.UTC(y, m, 1);
        out.push([t, new Date(t).toISOString().slice(0, 7)]);
      }
    } else {
      const step = span > 14 * day ? 7 : span > 2 * day ? 1 : 0;
      if (!step) return [[lo, new Date(lo).toISOString().slice(0, 16).replace("T", " ")],
        [hi, new Date(hi).toISOString().slice(0, 16).replace("T", " ")]];
      for (let t = Math.ceil(lo / day) * day; t < hi; t += step * day) out.push([t, new Date(t).toISOString().slice(0, 10)]);
    }
    return out;
  }

  function drawTimeline() {
    const canvas = $("timeline-canvas");
    if (!canvas || !domain) return;
    const rows = current.filter((f) => !isNaN(f._time)).sort((a, b) => a._time - b._time || a._i - b._i);
    timelineRows = rows;
    const width = Math.max(canvas.clientWidth, 300);
    const top = 6;
    const axis = 26;
    const rowH = rows.length ? Math.max(0.05, Math.min(10, 240 / rows.length)) : 10;
    const plot = Math.max(30, Math.ceil(rows.length * rowH));
    const height = top + plot + axis;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = height + "px";
    canvas.dataset.count = String(rows.length);
    canvas.dataset.rowHeight = String(rowH);
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const left = 8;
    const right = width - 8;
    const x = (t) => left + ((t - domain.lo) / (domain.hi - domain.lo)) * (right - left);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "top";
    ticks(domain.lo, domain.hi).forEach((tick) => {
      const tx = Math.round(x(tick[0])) + 0.5;
      ctx.strokeStyle = "#e6e9ef";
      ctx.beginPath();
      ctx.moveTo(tx, top);
      ctx.lineTo(tx, top + plot);
      ctx.stroke();
      ctx.fillStyle = "#5b6575";
      const label = tick[1];
      const w = ctx.measureText(label).width;
      ctx.fillText(label, Math.min(Math.max(tx - w / 2, 0), width - w), top + plot + 6);
    });
    const latest = x(domain.latest);
    ctx.strokeStyle = "#9aa3b2";
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(Math.round(latest) + 0.5, top);
    ctx.lineTo(Math.round(latest) + 0.5, top + plot);
    ctx.stroke();
    ctx.setLineDash([]);
    const h = Math.max(rowH > 3 ? rowH - 2 : rowH, 1);
    rows.forEach((f, index) => {
      const y = top + index * rowH;
      const x0 = x(f._time);
      ctx.fillStyle = COLOURS[f.severity] || "#555";
      if (f.status === "removed") {
        // pale up to the last sighting when it is known, else a short mark: removed at an unknown time
        const x1 = isNaN(f._last) ? x0 + 8 : Math.max(x(f._last), x0 + 3);
        ctx.globalAlpha = 0.4;
        ctx.fillRect(x0, y, x1 - x0, h);
        ctx.globalAlpha = 1;
        ctx.fillRect(x0, y, 2, h);
        if (!isNaN(f._last)) ctx.fillRect(x1 - 2, y, 2, h);
      } else {
        ctx.globalAlpha = 0.9;
        ctx.fillRect(x0, y, Math.max(latest - x0, 3), h);
        ctx.globalAlpha = 1;
      }
    });
    const present = rows.filter((f) => f.status === "present").length;
    const note = $("timeline-note");
    if (note) {
      note.textContent = rows.length
        ? rows.length.toLocaleString("en") + " secret" + (rows.length === 1 ? "" : "s") + " introduced between " +
          shortDate(rows[0].date) + " and " + shortDate(rows[rows.length - 1].date) + ": " +
          present.toLocaleString("en") + " still in HEAD, " + (rows.length - present).toLocaleString("en") +
          " removed. Click a bar to open its finding."
        : "No dated finding matches these filters.";
    }
  }

  function openFromTimeline(event) {
    const canvas = event.currentTarget;
    const rowH = Number(canvas.dataset.rowHeight) || 1;
    const index = Math.floor((event.offsetY - 6) / rowH);
    const f = timelineRows[Math.max(0, Math.min(index, timelineRows.length - 1))];
    if (!f || index < 0 || index >= timelineRows.length) return;
    const position = current.indexOf(f);
    if (position >= limit) limit = position + 1;
    opened.add(f._i);
    drawTable();
    const target = tbody.querySelector('tr[data-i="' + f._i + '"]');
    if (target) {
      target.scrollIntoView({ block: "center" });
      target.focus();
    }
  }

  // -- wiring ----------------------------------------------------------------------------------

  function render() {
    const query = state.q.trim().toLowerCase();
    current = sortRows(all.filter((f) => matches(f, query)));
    limit = PAGE;
    syncControls();
    updateHeaders();
    drawTimeline();
    drawTable();
    writeHash();
  }

  function toggle(tr) {
    const i = Number(tr.dataset.i);
    if (opened.has(i)) opened.delete(i);
    else opened.add(i);
    drawTable();
    const again = tbody.querySelector('tr[data-i="' + i + '"]');
    if (again) again.focus();
  }

  function bind() {
    ["provider", "severity", "status"].forEach((key) => {
      if (controls[key]) controls[key].addEventListener("change", () => {
        state[key] = controls[key].value;
        render();
      });
    });
    if (controls.q) controls.q.addEventListener("input", () => {
      state.q = controls.q.value;
      render();
    });
    if (controls.suppressed) controls.suppressed.addEventListener("change", () => {
      state.suppressed = controls.suppressed.checked ? "1" : "";
      render();
    });
    $("filter-reset").addEventListener("click", () => {
      Object.assign(state, DEFAULTS);
      opened.clear();
      render();
    });
    $("filters").addEventListener("submit", (event) => event.preventDefault());
    table.tHead.addEventListener("click", (event) => {
      const th = event.target.closest("th");
      if (!th || SORTABLE.indexOf(th.dataset.col) < 0) return;
      const col = th.dataset.col;
      if (state.sort === col) state.dir = state.dir === "asc" ? "desc" : "asc";
      else {
        state.sort = col;
        state.dir = col === "date" || col === "severity" ? "desc" : "asc";
      }
      render();
    });
    tbody.addEventListener("click", (event) => {
      if (event.target.closest("a")) return;
      const tr = event.target.closest("tr.row");
      if (tr) toggle(tr);
    });
    tbody.addEventListener("keydown", (event) => {
      const tr = event.target.closest("tr.row");
      if (tr && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        toggle(tr);
      }
    });
    $("show-more").addEventListener("click", () => {
      limit += PAGE;
      drawTable();
    });
    $("show-all").addEventListener("click", () => {
      limit = current.length;
      drawTable();
    });
    const canvas = $("timeline-canvas");
    if (canvas) canvas.addEventListener("click", openFromTimeline);
    window.addEventListener("hashchange", () => {
      if (readHash()) render();
    });
    let resizeTimer = 0;
    window.addEventListener("resize", () => {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(drawTimeline, 100);
    });
  }

  try {
    domain = isHistory ? timeDomain() : null;
    readHash();
    bind();
    render();
    // "ready" once the first frame with the findings has been laid out and painted
    window.requestAnimationFrame(() => window.setTimeout(() => {
      document.body.dataset.renderMs = performance.now().toFixed(1);
      document.body.dataset.ready = "true";
    }, 0));
  } catch (error) {
    const count = $("result-count");
    if (count) count.textContent = "The report script failed (" + error + "); the data is in the keyscan-data block.";
    document.body.dataset.ready = "error";
    throw error;
  }
})();
