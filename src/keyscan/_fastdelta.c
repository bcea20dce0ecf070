/* Compiled twins of keyscan.sources.delta's change finding, blanking and line growth.
 *
 * A history scan finds what each of ~40,000 file versions changed from the version before it; in
 * Python that is a few dozen C string calls per version glued by interpreter steps, which costs
 * more than the scan itself.  These functions do the same steps, in the same order and with the same
 * answers, without the interpreter in between.  keyscan.sources.delta keeps the Python versions as
 * the reference (tests/test_fastdelta.py compares the two) and as the fallback when this module was
 * not built (no C compiler at install time).
 */
#define _GNU_SOURCE  /* memmem, memrchr */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Py_ssize_t start, end;
} Span;

struct Spans {
    Span *items;
    Py_ssize_t len, cap;
};

typedef struct Spans Spans;

typedef struct {
    Py_ssize_t refine_above, max_depth, anchor_tries, anchor_length, shortest_line;
    Spans *short_lines;  /* when not NULL: receives the changed lines skipped for being short */
} Params;

typedef struct {
    const char *data;
    Py_ssize_t len;
} Text;

static int spans_push(Spans *spans, Py_ssize_t start, Py_ssize_t end)
{
    if (spans->len == spans->cap) {
        Py_ssize_t cap = spans->cap ? spans->cap * 2 : 16;
        Span *items = PyMem_Realloc(spans->items, (size_t)cap * sizeof(Span));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        spans->items = items;
        spans->cap = cap;
    }
    spans->items[spans->len].start = start;
    spans->items[spans->len].end = end;
    spans->len++;
    return 0;
}

/* The first (or, with backwards, the last) line break in t[lo:hi], bounds clamped as slicing does;
 * -1 if none: bytes.find(b"\n", lo, hi) and bytes.rfind(b"\n", lo, hi). */
static Py_ssize_t search_newline(Text t, Py_ssize_t lo, Py_ssize_t hi, int backwards)
{
    if (hi > t.len)
        hi = t.len;
    if (lo < 0)
        lo = 0;
    if (hi <= lo)
        return -1;
    const char *at = backwards ? memrchr(t.data + lo, '\n', (size_t)(hi - lo))
                               : memchr(t.data + lo, '\n', (size_t)(hi - lo));
    return at == NULL ? -1 : at - t.data;
}

static Py_ssize_t find_newline(Text t, Py_ssize_t lo, Py_ssize_t hi)
{
    return search_newline(t, lo, hi, 0);
}

static Py_ssize_t rfind_newline(Text t, Py_ssize_t lo, Py_ssize_t hi)
{
    return search_newline(t, lo, hi, 1);
}

/* bytes.find(needle, lo, hi) for a non-empty needle */
static Py_ssize_t find_bytes(Text t, const char *needle, Py_ssize_t size, Py_ssize_t lo, Py_ssize_t hi)
{
    if (hi > t.len)
        hi = t.len;
    if (lo < 0)
        lo = 0;
    if (hi - lo < size)
        return -1;
    const char *at = memmem(t.data + lo, (size_t)(hi - lo), needle, (size_t)size);
    return at == NULL ? -1 : at - t.data;
}

static int is_space(char c)  /* what bytes.strip() strips */
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static Py_ssize_t stripped_length(const char *line, Py_ssize_t size)
{
    Py_ssize_t low = 0, high = size;
    while (low < high && is_space(line[low]))
        low++;
    while (high > low && is_space(line[high - 1]))
        high--;
    return high - low;
}

static Py_ssize_t common_prefix(Text a, Py_ssize_t a_start, Py_ssize_t a_end, Text b, Py_ssize_t b_start,
                                Py_ssize_t b_end)
{
    Py_ssize_t limit = Py_MIN(a_end - a_start, b_end - b_start);
    if (limit <= 0)
        return limit;
    const char *x = a.data + a_start, *y = b.data + b_start;
    Py_ssize_t at = 0;
    while (at + 8 <= limit) {
        uint64_t u, v;
        memcpy(&u, x + at, 8);
        memcpy(&v, y + at, 8);
        if (u != v)
            break;
        at += 8;
    }
    while (at < limit && x[at] == y[at])
        at++;
    return at;
}

static Py_ssize_t common_suffix(Text a, Py_ssize_t a_start, Py_ssize_t a_end, Text b, Py_ssize_t b_start,
                                Py_ssize_t b_end)
{
    Py_ssize_t limit = Py_MIN(a_end - a_start, b_end - b_start);
    if (limit <= 0)
        return limit;
    const char *x = a.data + a_end, *y = b.data + b_end;  /* one past the end */
    Py_ssize_t at = 0;
    while (at + 8 <= limit) {
        uint64_t u, v;
        memcpy(&u, x - at - 8, 8);
        memcpy(&v, y - at - 8, 8);
        if (u != v)
            break;
        at += 8;
    }
    while (at < limit && x[-at - 1] == y[-at - 1])
        at++;
    return at;
}

/* Where line (size > 0) occurs as a whole line of text[lo:hi], or -1 (delta._whole_line). */
static Py_ssize_t whole_line(Text text, const char *line, Py_ssize_t size, Py_ssize_t lo, Py_ssize_t hi)
{
    Py_ssize_t at = find_bytes(text, line, size, lo, hi);
    while (at >= 0) {
        Py_ssize_t after = at + size;
        if ((at == 0 || text.data[at - 1] == '\n') && (after >= text.len || text.data[after] == '\n'))
            return at;
        at = find_bytes(text, line, size, at + 1, hi);
    }
    return -1;
}

/* delta._anchor: 1 and found[4] = (line start, line end, old start, old end), or 0 */
static int anchor(Text old, Py_ssize_t old_start, Py_ssize_t old_end, Text new, Py_ssize_t start, Py_ssize_t end,
                  const Params *params, Py_ssize_t found[4])
{
    Py_ssize_t probe = (start + end) / 2;
    for (Py_ssize_t attempt = 0; attempt < params->anchor_tries; attempt++) {
        Py_ssize_t before = rfind_newline(new, start, probe);
        Py_ssize_t line_start = before >= 0 ? before + 1 : start;
        Py_ssize_t line_end = find_newline(new, probe, end);
        if (line_end < 0)
            return 0;
        Py_ssize_t size = line_end - line_start;
        if (size > 0 && stripped_length(new.data + line_start, size) >= params->anchor_length) {
            const char *line = new.data + line_start;
            Py_ssize_t at = whole_line(old, line, size, old_start, old_end);
            if (at >= 0 && whole_line(old, line, size, at + 1, old_end) < 0) {
                found[0] = line_start;
                found[1] = line_end;
                found[2] = at;
                found[3] = at + size;
                return 1;
            }
        }
        probe = line_end + 1;
    }
    return 0;
}

static uint64_t line_hash(const char *data, Py_ssize_t size)
{
    uint64_t hash = 1469598103934665603ULL;  /* FNV-1a */
    for (Py_ssize_t i = 0; i < size; i++) {
        hash ^= (unsigned char)data[i];
        hash *= 1099511628211ULL;
    }
    return hash;
}

/* delta._changed_lines: the lines of new[start:end] that old[old_start:old_end] lacks */
static int changed_lines(Text old, Py_ssize_t old_start, Py_ssize_t old_end, Text new, Py_ssize_t start,
                         Py_ssize_t end, const Params *params, Spans *out)
{
    Py_ssize_t old_lines = 1;
    for (Py_ssize_t i = old_start; i < old_end; i++)
        old_lines += old.data[i] == '\n';
    size_t slots = 16;
    while (slots < (size_t)old_lines * 2)
        slots <<= 1;
    Py_ssize_t *table = PyMem_Malloc(slots * sizeof(Py_ssize_t) * 2);  /* (line start, size) pairs */
    Py_ssize_t *added = NULL;
    int status = -1;
    if (table == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < slots; i++)
        table[2 * i] = -1;
    Py_ssize_t line_start = old_start;
    for (;;) {  /* old[old_start:old_end].split(b"\n") into the set */
        Py_ssize_t line_end = find_newline(old, line_start, old_end);
        if (line_end < 0)
            line_end = old_end;
        Py_ssize_t size = line_end - line_start;
        size_t slot = (size_t)line_hash(old.data + line_start, size) & (slots - 1);
        while (table[2 * slot] >= 0 && !(table[2 * slot + 1] == size &&
                                          memcmp(old.data + table[2 * slot], old.data + line_start, (size_t)size) == 0))
            slot = (slot + 1) & (slots - 1);
        table[2 * slot] = line_start;
        table[2 * slot + 1] = size;
        if (line_end >= old_end)
            break;
        line_start = line_end + 1;
    }
    Py_ssize_t lines = 0, count = 0, capacity = 16;
    added = PyMem_Malloc((size_t)capacity * sizeof(Py_ssize_t) * 2);
    if (added == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    line_start = start;
    for (;;) {  /* the lines of new[start:end] the set lacks */
        Py_ssize_t line_end = find_newline(new, line_start, end);
        if (line_end < 0)
            line_end = end;
        Py_ssize_t size = line_end - line_start;
        const char *line = new.data + line_start;
        size_t slot = (size_t)line_hash(line, size) & (slots - 1);
        int known = 0;
        while (table[2 * slot] >= 0) {
            if (table[2 * slot + 1] == size && memcmp(old.data + table[2 * slot], line, (size_t)size) == 0) {
                known = 1;
                break;
            }
            slot = (slot + 1) & (slots - 1);
        }
        lines++;
        if (!known) {
            if (count == capacity) {
                capacity *= 2;
                Py_ssize_t *grown = PyMem_Realloc(added, (size_t)capacity * sizeof(Py_ssize_t) * 2);
                if (grown == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                added = grown;
            }
            added[2 * count] = line_start;
            added[2 * count + 1] = size;
            count++;
        }
        if (line_end >= end)
            break;
        line_start = line_end + 1;
    }
    if (count * 4 > lines) {  /* mostly rewritten: the whole part is the change */
        status = spans_push(out, start, end);
        goto done;
    }
    Py_ssize_t before = out->len;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t at = added[2 * i], size = added[2 * i + 1];
        if (stripped_length(new.data + at, size) < params->shortest_line) {
            if (params->short_lines != NULL && spans_push(params->short_lines, at, at + size) < 0)
                goto done;
            continue;
        }
        if (spans_push(out, at, at + size) < 0)
            goto done;
    }
    status = out->len == before ? spans_push(out, start, start) : 0;
done:
    PyMem_Free(table);
    PyMem_Free(added);
    return status;
}

/* delta._split */
static int split(Text old, Py_ssize_t old_start, Py_ssize_t old_end, Text new, Py_ssize_t start, Py_ssize_t end,
                 Spans *out, Py_ssize_t depth, const Params *params)
{
    Py_ssize_t prefix = common_prefix(old, old_start, old_end, new, start, end);
    Py_ssize_t suffix = common_suffix(old, old_start + prefix, old_end, new, start + prefix, end);
    Py_ssize_t before = rfind_newline(new, start, start + prefix);
    Py_ssize_t cut = before >= 0 ? before + 1 : start;
    Py_ssize_t stop = find_newline(new, end - suffix, end);
    if (stop < 0)
        stop = end;
    if (stop < cut)
        stop = cut;
    Py_ssize_t old_cut = old_start + (cut - start), old_stop = old_end - (end - stop);
    if (stop - cut <= params->refine_above || old_stop <= old_cut || depth >= params->max_depth)
        return spans_push(out, cut, stop);
    Py_ssize_t found[4];
    if (!anchor(old, old_cut, old_stop, new, cut, stop, params, found))
        return changed_lines(old, old_cut, old_stop, new, cut, stop, params, out);
    if (split(old, old_cut, Py_MAX(old_cut, found[2] - 1), new, cut, Py_MAX(cut, found[0] - 1), out, depth + 1,
              params) < 0)
        return -1;
    return split(old, Py_MIN(old_stop, found[3] + 1), old_stop, new, Py_MIN(stop, found[1] + 1), stop, out,
                 depth + 1, params);
}

static int span_order(const void *left, const void *right)
{
    const Span *a = left, *b = right;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return 0;
}

/* delta.merge, in place */
static void merge_spans(Spans *spans)
{
    if (spans->len == 0)
        return;
    qsort(spans->items, (size_t)spans->len, sizeof(Span), span_order);
    Py_ssize_t kept = 0;
    for (Py_ssize_t i = 1; i < spans->len; i++) {
        Span *last = &spans->items[kept];
        if (spans->items[i].start <= last->end + 1) {
            if (spans->items[i].end > last->end)
                last->end = spans->items[i].end;
        } else {
            spans->items[++kept] = spans->items[i];
        }
    }
    spans->len = kept + 1;
}

static PyObject *span_list(const Spans *spans)
{
    PyObject *list = PyList_New(spans->len);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < spans->len; i++) {
        PyObject *pair = Py_BuildValue("(nn)", spans->items[i].start, spans->items[i].end);
        if (pair == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, pair);
    }
    return list;
}

PyDoc_STRVAR(changed_spans_doc,
             "changed_spans(old, new, refine_above, max_depth, anchor_tries, anchor_length, shortest_line,\n"
             "              with_short=False)\n"
             "delta.changed_spans with its constants passed in (anchor_length at least 1); with_short:\n"
             "(spans, the changed lines left out for being short).");

static PyObject *changed_spans(PyObject *module, PyObject *args)
{
    Py_buffer old_view, new_view;
    Params params;
    int with_short = 0;
    if (!PyArg_ParseTuple(args, "y*y*nnnnn|p", &old_view, &new_view, &params.refine_above, &params.max_depth,
                          &params.anchor_tries, &params.anchor_length, &params.shortest_line, &with_short))
        return NULL;
    PyObject *result = NULL;
    Spans spans = {NULL, 0, 0}, short_lines = {NULL, 0, 0};
    params.short_lines = with_short ? &short_lines : NULL;
    if (params.anchor_length < 1) {
        PyErr_SetString(PyExc_ValueError, "anchor_length must be at least 1");
        goto done;
    }
    Text old = {old_view.buf, old_view.len}, new = {new_view.buf, new_view.len};
    if (split(old, 0, old.len, new, 0, new.len, &spans, 0, &params) < 0)
        goto done;
    merge_spans(&spans);
    result = span_list(&spans);
    if (result != NULL && with_short) {
        PyObject *skipped = span_list(&short_lines);
        PyObject *pair = skipped == NULL ? NULL : PyTuple_Pack(2, result, skipped);
        Py_XDECREF(skipped);
        Py_DECREF(result);
        result = pair;
    }
done:
    PyMem_Free(spans.items);
    PyMem_Free(short_lines.items);
    PyBuffer_Release(&old_view);
    PyBuffer_Release(&new_view);
    return result;
}

PyDoc_STRVAR(merge_doc, "merge(spans)\ndelta.merge: sorted, with overlapping or adjacent spans joined.");

static int read_spans(PyObject *sequence, Spans *spans)
{
    PyObject *items = PySequence_Fast(sequence, "spans must be a sequence of (start, end) pairs");
    if (items == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t start, end;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(items, i), "nn", &start, &end) ||
            spans_push(spans, start, end) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    return 0;
}

static PyObject *merge(PyObject *module, PyObject *sequence)
{
    Spans spans = {NULL, 0, 0};
    PyObject *result = NULL;
    if (read_spans(sequence, &spans) == 0) {
        merge_spans(&spans);
        result = span_list(&spans);
    }
    PyMem_Free(spans.items);
    return result;
}

PyDoc_STRVAR(grow_doc, "grow(data, start, end, lines)\ndelta.grow: (start, end) grown by `lines` whole lines each side.");

static PyObject *grow(PyObject *module, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t start, end, lines;
    if (!PyArg_ParseTuple(args, "y*nnn", &view, &start, &end, &lines))
        return NULL;
    const char *data = view.buf;
    Py_ssize_t size = view.len;
    start = Py_MAX(0, Py_MIN(start, size));
    end = Py_MAX(0, Py_MIN(end, size));
    while (start > 0 && data[start - 1] != '\n')
        start--;
    for (Py_ssize_t i = 0; i < lines && start > 0; i++) {
        start--;
        while (start > 0 && data[start - 1] != '\n')
            start--;
    }
    const char *next = memchr(data + end, '\n', (size_t)(size - end));
    end = next == NULL ? size : next - data;
    for (Py_ssize_t i = 0; i < lines && end < size; i++) {
        next = memchr(data + end + 1, '\n', (size_t)(size - end - 1));
        end = next == NULL ? size : next - data;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(nn)", start, end);
}

PyDoc_STRVAR(blank_outside_doc,
             "blank_outside(data, spans)\ndelta.blank_outside: every line outside spans emptied, its line break kept.");

static Py_ssize_t count_newlines(const char *data, Py_ssize_t lo, Py_ssize_t hi)
{
    Py_ssize_t count = 0;
    for (Py_ssize_t i = lo; i < hi; i++)  /* a plain loop: the compiler vectorizes it */
        count += data[i] == '\n';
    return count;
}

static PyObject *blank_outside(PyObject *module, PyObject *args)
{
    Py_buffer view;
    PyObject *sequence;
    if (!PyArg_ParseTuple(args, "y*O", &view, &sequence))
        return NULL;
    PyObject *result = NULL;
    Spans spans = {NULL, 0, 0};
    if (read_spans(sequence, &spans) < 0)
        goto done;
    const char *data = view.buf;
    Py_ssize_t size = view.len, total = 0, position = 0;
    for (Py_ssize_t i = 0; i < spans.len; i++) {  /* clamp as slicing does */
        Span *span = &spans.items[i];
        span->start = Py_MAX(0, Py_MIN(span->start, size));
        span->end = Py_MAX(0, Py_MIN(span->end, size));
    }
    for (Py_ssize_t i = 0; i < spans.len; i++) {
        Span span = spans.items[i];
        total += count_newlines(data, position, span.start) + Py_MAX(0, span.end - span.start);
        position = span.end;
    }
    total += count_newlines(data, position, size);
    result = PyBytes_FromStringAndSize(NULL, total);
    if (result == NULL)
        goto done;
    char *out = PyBytes_AS_STRING(result);
    position = 0;
    for (Py_ssize_t i = 0; i < spans.len; i++) {
        Span span = spans.items[i];
        Py_ssize_t breaks = count_newlines(data, position, span.start);
        memset(out, '\n', (size_t)breaks);
        out += breaks;
        if (span.end > span.start) {
            memcpy(out, data + span.start, (size_t)(span.end - span.start));
            out += span.end - span.start;
        }
        position = span.end;
    }
    memset(out, '\n', (size_t)count_newlines(data, position, size));
done:
    PyMem_Free(spans.items);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"changed_spans", changed_spans, METH_VARARGS, changed_spans_doc},
    {"merge", merge, METH_O, merge_doc},
    {"grow", grow, METH_VARARGS, grow_doc},
    {"blank_outside", blank_outside, METH_VARARGS, blank_outside_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "keyscan._fastdelta", "Compiled twins of keyscan.sources.delta's inner steps.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastdelta(void)
{
    return PyModule_Create(&module_def);
}
