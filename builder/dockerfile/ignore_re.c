/* ignore_re.c - the regex engine behind .dockerignore matching.
 *
 * moby/patternmatcher turns each pattern into a Go regexp string and matches
 * paths with it.  Odd patterns (`[*]`, `a^b`, `[[:alpha:]]`, `\d`) only make
 * sense through Go's regexp parser, so we parse that same regexp text with
 * Go's rules (RE2 syntax, Perl flags: negated classes match newline, `.`
 * does not) and run it as a Thompson NFA (Pike VM without captures), which
 * is linear in the path length whatever the pattern.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ignore_re.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define MAX_RUNE 0x10FFFF

enum op {
    OP_CLASS,
    OP_ANY_NOT_NL,
    OP_SPLIT,
    OP_JMP,
    OP_BEGIN,
    OP_END,
    OP_WORDB,
    OP_NWORDB,
    OP_MATCH
};

struct inst {
    enum op op;
    int x, y; /* OP_SPLIT/OP_JMP targets; OP_CLASS: x = class index */
};

struct rclass {
    int *r; /* pairs lo,hi */
    size_t n, alloc;
};

struct bld_re {
    struct inst *prog;
    size_t n, alloc;
    struct rclass *cls;
    size_t ncls, clsalloc;
};

struct parser {
    const char *s;   /* rest of the expression */
    const char *end; /* its terminating NUL */
    /* the first ":]" at or after close_from (NULL: none), so that scanning
     * for the end of "[:name:]" stays linear */
    const char *close_from, *close_at;
    struct bld_re *re;
    const char *why;
    int depth;
};

unsigned bld_re_utf8_decode(const char *s, size_t len, int *rune)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned need;
    int r, min;
    if (u[0] < 0x80) {
        *rune = u[0];
        return 1;
    }
    if ((u[0] & 0xE0) == 0xC0)
        need = 1, r = u[0] & 0x1F, min = 0x80;
    else if ((u[0] & 0xF0) == 0xE0)
        need = 2, r = u[0] & 0x0F, min = 0x800;
    else if ((u[0] & 0xF8) == 0xF0)
        need = 3, r = u[0] & 0x07, min = 0x10000;
    else
        goto bad;
    if (len < need + 1)
        goto bad;
    for (unsigned i = 1; i <= need; i++) {
        if ((u[i] & 0xC0) != 0x80)
            goto bad;
        r = (r << 6) | (u[i] & 0x3F);
    }
    if (r < min || r > MAX_RUNE || (r >= 0xD800 && r <= 0xDFFF))
        goto bad;
    *rune = r;
    return need + 1;
bad:
    *rune = 0xFFFD;
    return 1;
}

/* ------------------------------------------------------------ program */

static int emit(struct bld_re *re, enum op op, int x, int y)
{
    XGROW(re->prog, re->n + 1, re->alloc);
    re->prog[re->n] = (struct inst){op, x, y};
    return (int)re->n++;
}

static struct rclass *class_new(struct bld_re *re, int *idx)
{
    XGROW(re->cls, re->ncls + 1, re->clsalloc);
    re->cls[re->ncls] = (struct rclass){NULL, 0, 0};
    *idx = (int)re->ncls;
    return &re->cls[re->ncls++];
}

static void class_add(struct rclass *c, int lo, int hi)
{
    XGROW(c->r, c->n + 2, c->alloc);
    c->r[c->n++] = lo;
    c->r[c->n++] = hi;
}

static int cmp_range(const void *a, const void *b)
{
    const int *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Sort and merge the ranges in c->r[from..], then complement them. */
static void class_negate_from(struct rclass *c, size_t from)
{
    size_t n = (c->n - from) / 2;
    int *r = c->r + from;
    qsort(r, n, 2 * sizeof(int), cmp_range);
    int *tmp = xmalloc((2 * n + 2) * sizeof(int));
    size_t k = 0;
    int next = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[2 * i] > next) {
            tmp[k++] = next;
            tmp[k++] = r[2 * i] - 1;
        }
        if (r[2 * i + 1] + 1 > next)
            next = r[2 * i + 1] + 1;
    }
    if (next <= MAX_RUNE) {
        tmp[k++] = next;
        tmp[k++] = MAX_RUNE;
    }
    c->n = from;
    for (size_t i = 0; i < k; i += 2)
        class_add(c, tmp[i], tmp[i + 1]);
    free(tmp);
}

static bool class_has(const struct rclass *c, int r)
{
    for (size_t i = 0; i < c->n; i += 2)
        if (c->r[i] <= r && r <= c->r[i + 1])
            return true;
    return false;
}

void bld_re_free(struct bld_re *re)
{
    if (!re)
        return;
    for (size_t i = 0; i < re->ncls; i++)
        free(re->cls[i].r);
    free(re->cls);
    free(re->prog);
    free(re);
}

/* ------------------------------------------------------------ parser */

static int fail(struct parser *p, const char *why)
{
    if (!p->why)
        p->why = why;
    return -1;
}

static int next_rune(struct parser *p)
{
    int r;
    p->s += bld_re_utf8_decode(p->s, (size_t)(p->end - p->s), &r);
    return r;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_hex(struct parser *p)
{
    long v = 0;
    if (*p->s == '{') {
        const char *q = p->s + 1;
        int n = 0;
        for (; hexval(*q) >= 0; q++, n++)
            if ((v = v * 16 + hexval(*q)) > MAX_RUNE)
                return fail(p, "invalid escape sequence");
        if (*q != '}' || n == 0)
            return fail(p, "invalid escape sequence");
        p->s = q + 1;
        return (int)v;
    }
    if (hexval(p->s[0]) < 0 || p->s[1] == '\0' || hexval(p->s[1]) < 0)
        return fail(p, "invalid escape sequence");
    v = hexval(p->s[0]) * 16 + hexval(p->s[1]);
    p->s += 2;
    return (int)v;
}

/* Go's parseEscape: p->s is just past the backslash.  Returns the rune. */
static int parse_escape(struct parser *p)
{
    if (!*p->s)
        return fail(p, "trailing backslash at end of expression");
    int c = next_rune(p);
    if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        return c;
    if (c >= '1' && c <= '7' && !(*p->s >= '0' && *p->s <= '7'))
        return fail(p, "invalid escape sequence");
    if (c >= '0' && c <= '7') {
        int r = c - '0';
        for (int i = 1; i < 3 && *p->s >= '0' && *p->s <= '7'; i++)
            r = r * 8 + (*p->s++ - '0');
        return r;
    }
    switch (c) {
    case 'x':
        return parse_hex(p);
    case 'a':
        return '\a';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'v':
        return '\v';
    }
    return fail(p, "invalid escape sequence");
}

/* Perl class \d \s \w (and negations) at p->s ("\\d..."): adds it to c. */
static bool perl_class(struct parser *p, struct rclass *c)
{
    if (p->s[0] != '\\' || !p->s[1] || !strchr("dDsSwW", p->s[1]))
        return false;
    char k = p->s[1];
    size_t from = c->n;
    switch (k | 0x20) {
    case 'd':
        class_add(c, '0', '9');
        break;
    case 's':
        class_add(c, '\t', '\n'), class_add(c, '\f', '\r'), class_add(c, ' ', ' ');
        break;
    case 'w':
        class_add(c, '0', '9'), class_add(c, 'A', 'Z'), class_add(c, '_', '_'),
            class_add(c, 'a', 'z');
        break;
    }
    if (k >= 'A' && k <= 'Z')
        class_negate_from(c, from);
    p->s += 2;
    return true;
}

static const struct {
    const char *name;
    const char *ranges; /* pairs of bytes lo,hi */
} posix_classes[] = {
    {"alnum", "09AZaz"},
    {"alpha", "AZaz"},
    {"ascii", "\x01\x7f"},
    {"blank", "\t\t  "},
    {"cntrl", "\x01\x1f\x7f\x7f"},
    {"digit", "09"},
    {"graph", "!~"},
    {"lower", "az"},
    {"print", " ~"},
    {"punct", "!/:@[`{~"},
    {"space", "\t\r  "},
    {"upper", "AZ"},
    {"word", "09AZ__az"},
    {"xdigit", "09AFaf"},
};

/* [:name:] or [:^name:] at p->s.  0 = not a named class, 1 = added, -1 = error. */
static int named_class(struct parser *p, struct rclass *c)
{
    if (strncmp(p->s, "[:", 2) != 0)
        return 0;
    if (!p->close_from || p->s + 2 < p->close_from || (p->close_at && p->s + 2 > p->close_at)) {
        p->close_from = p->s + 2;
        p->close_at = strstr(p->s + 2, ":]");
    }
    const char *end = p->close_at;
    if (!end)
        return 0;
    const char *name = p->s + 2;
    bool neg = *name == '^';
    name += neg;
    for (size_t i = 0; i < sizeof(posix_classes) / sizeof(posix_classes[0]); i++) {
        if (strlen(posix_classes[i].name) != (size_t)(end - name) ||
            strncmp(posix_classes[i].name, name, (size_t)(end - name)) != 0)
            continue;
        size_t from = c->n;
        const unsigned char *r = (const unsigned char *)posix_classes[i].ranges;
        for (; *r; r += 2)
            class_add(c, r[0] == 1 ? 0 : r[0], r[1]);
        if (neg)
            class_negate_from(c, from);
        p->s = end + 2;
        return 1;
    }
    return fail(p, "invalid character class range");
}

static int class_char(struct parser *p)
{
    if (!*p->s)
        return fail(p, "missing closing ]");
    if (*p->s == '\\') {
        p->s++;
        return parse_escape(p);
    }
    return next_rune(p);
}

/* p->s is just past '['. */
static int parse_class(struct parser *p)
{
    int idx;
    struct rclass *c = class_new(p->re, &idx);
    bool neg = *p->s == '^', first = true;
    p->s += neg;
    while (!*p->s || *p->s != ']' || first) {
        first = false;
        int nc = named_class(p, c);
        if (nc < 0)
            return -1;
        if (nc > 0)
            continue;
        if (p->s[0] == '\\' && (p->s[1] == 'p' || p->s[1] == 'P'))
            return fail(p, "unsupported Unicode class");
        if (perl_class(p, c))
            continue;
        int lo = class_char(p), hi;
        if (lo < 0)
            return -1;
        hi = lo;
        if (p->s[0] == '-' && p->s[1] && p->s[1] != ']') {
            p->s++;
            if ((hi = class_char(p)) < 0)
                return -1;
            if (hi < lo)
                return fail(p, "invalid character class range");
        }
        class_add(c, lo, hi);
    }
    p->s++;
    if (neg)
        class_negate_from(&p->re->cls[idx], 0);
    return emit(p->re, OP_CLASS, idx, 0);
}

static int emit_rune(struct parser *p, int r)
{
    int idx;
    class_add(class_new(p->re, &idx), r, r);
    return emit(p->re, OP_CLASS, idx, 0);
}

static int parse_alt(struct parser *p);

/* One atom; returns the pc it starts at, or -1. */
static int parse_atom(struct parser *p)
{
    int start = (int)p->re->n;
    char c = *p->s;
    if (c == '(') {
        if (p->s[1] == '?')
            return fail(p, "unsupported group flags");
        if (++p->depth > 1000)
            return fail(p, "expression nests too deeply");
        p->s++;
        if (parse_alt(p) < 0)
            return -1;
        if (*p->s != ')')
            return fail(p, "missing closing )");
        p->s++;
        p->depth--;
        return start;
    }
    p->s++;
    switch (c) {
    case '[':
        return parse_class(p) < 0 ? -1 : start;
    case '.':
        return emit(p->re, OP_ANY_NOT_NL, 0, 0), start;
    case '^':
        return emit(p->re, OP_BEGIN, 0, 0), start;
    case '$':
        return emit(p->re, OP_END, 0, 0), start;
    case '\\':
        break;
    default:
        p->s--;
        return emit_rune(p, next_rune(p)) < 0 ? -1 : start;
    }
    switch (*p->s) {
    case 'A':
        return p->s++, emit(p->re, OP_BEGIN, 0, 0), start;
    case 'z':
        return p->s++, emit(p->re, OP_END, 0, 0), start;
    case 'b':
        return p->s++, emit(p->re, OP_WORDB, 0, 0), start;
    case 'B':
        return p->s++, emit(p->re, OP_NWORDB, 0, 0), start;
    case 'p':
    case 'P':
        return fail(p, "unsupported Unicode class");
    case 'Q': {
        const char *e = strstr(++p->s, "\\E");
        const char *stop = e ? e : p->s + strlen(p->s);
        while (p->s < stop)
            emit_rune(p, next_rune(p));
        p->s = e ? e + 2 : stop;
        return start;
    }
    }
    p->s--;
    int idx;
    struct rclass *pc = class_new(p->re, &idx);
    if (perl_class(p, pc))
        return emit(p->re, OP_CLASS, idx, 0), start;
    p->re->ncls--; /* not used: a single rune instead */
    p->s++;
    int r = parse_escape(p);
    return r < 0 ? -1 : (emit_rune(p, r), start);
}

/* Wrap the code from start to the end in a quantifier. */
static void quantify(struct bld_re *re, int start, char q)
{
    int len = (int)re->n - start;
    if (q == '+') {
        emit(re, OP_SPLIT, start, (int)re->n + 1);
        return;
    }
    /* insert a SPLIT at start, shifting the body by one */
    emit(re, OP_MATCH, 0, 0);
    memmove(&re->prog[start + 1], &re->prog[start], (size_t)len * sizeof(re->prog[0]));
    for (int i = start + 1; i <= start + len; i++)
        if (re->prog[i].op == OP_SPLIT || re->prog[i].op == OP_JMP)
            re->prog[i].x += re->prog[i].x >= start, re->prog[i].y += re->prog[i].y >= start;
    if (q == '?') {
        re->prog[start] = (struct inst){OP_SPLIT, start + 1, (int)re->n};
        return;
    }
    emit(re, OP_JMP, start, 0);
    re->prog[start] = (struct inst){OP_SPLIT, start + 1, (int)re->n};
}

static int parse_concat(struct parser *p)
{
    while (*p->s && *p->s != '|' && *p->s != ')') {
        if (strchr("*+?", *p->s))
            return fail(p, "missing argument to repetition operator");
        int start = parse_atom(p);
        if (start < 0)
            return -1;
        if (*p->s && strchr("*+?", *p->s)) {
            quantify(p->re, start, *p->s++);
            if (*p->s == '?')
                p->s++; /* non-greedy: same answer for a yes/no match */
            if (*p->s && strchr("*+?", *p->s))
                return fail(p, "invalid nested repetition operator");
        }
    }
    return 0;
}

static int parse_alt(struct parser *p)
{
    int start = (int)p->re->n;
    if (parse_concat(p) < 0)
        return -1;
    while (*p->s == '|') {
        p->s++;
        /* SPLIT start, next; [left]; JMP end; next: [right] */
        int jmp = emit(p->re, OP_JMP, 0, 0);
        quantify(p->re, start, '?'); /* inserts SPLIT start+1, end */
        int right = (int)p->re->n;
        if (parse_concat(p) < 0)
            return -1;
        p->re->prog[start].y = right;
        p->re->prog[jmp + 1].x = (int)p->re->n;
    }
    return 0;
}

struct bld_re *bld_re_new(const char *expr, const char **why)
{
    struct bld_re *re = xcalloc(1, sizeof(*re));
    struct parser p = {expr, expr + strlen(expr), NULL, NULL, re, NULL, 0};
    if (parse_alt(&p) == 0 && *p.s == ')')
        fail(&p, "unexpected )");
    if (p.why) {
        if (why)
            *why = p.why;
        bld_re_free(re);
        return NULL;
    }
    emit(re, OP_MATCH, 0, 0);
    return re;
}

/* ------------------------------------------------------------ matcher */

struct vm {
    const struct bld_re *re;
    int *list[2];
    size_t len[2];
    unsigned *seen; /* generation mark per pc */
    unsigned gen;
    int *stack;
};

static bool is_word(int r)
{
    return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_';
}

struct pos {
    bool begin, end;
    int prev, next; /* -1 at the edges */
};

/* Add pc and everything reachable from it without consuming input. */
static bool add_thread(struct vm *vm, int which, int pc0, const struct pos *at)
{
    size_t sp = 0;
    bool matched = false;
    vm->stack[sp++] = pc0;
    while (sp) {
        int pc = vm->stack[--sp];
        if (vm->seen[pc] == vm->gen)
            continue;
        vm->seen[pc] = vm->gen;
        const struct inst *in = &vm->re->prog[pc];
        bool wb = is_word(at->prev) != is_word(at->next);
        switch (in->op) {
        case OP_SPLIT:
            vm->stack[sp++] = in->y;
            vm->stack[sp++] = in->x;
            break;
        case OP_JMP:
            vm->stack[sp++] = in->x;
            break;
        case OP_BEGIN:
        case OP_END:
        case OP_WORDB:
        case OP_NWORDB:
            if ((in->op == OP_BEGIN && at->begin) || (in->op == OP_END && at->end) ||
                (in->op == OP_WORDB && wb) || (in->op == OP_NWORDB && !wb))
                vm->stack[sp++] = pc + 1;
            break;
        case OP_MATCH:
            matched = true;
            break;
        default:
            vm->list[which][vm->len[which]++] = pc;
        }
    }
    return matched;
}

static bool step_ok(const struct bld_re *re, int pc, int r)
{
    const struct inst *in = &re->prog[pc];
    if (in->op == OP_ANY_NOT_NL)
        return r != '\n';
    return class_has(&re->cls[in->x], r);
}

/* Run over text; returns true on a match.  *alive tells whether threads
 * were still running at the end of the text. */
static bool run(const struct bld_re *re, const char *text, size_t len, bool *alive)
{
    /* patterns are short: keep the work arrays on the stack when they fit */
    enum { SMALL = 128 };
    int small_lists[2][SMALL], small_stack[2 * SMALL + 2];
    unsigned small_seen[SMALL];
    bool heap = re->n > SMALL;
    struct vm vm = {re, {small_lists[0], small_lists[1]}, {0, 0}, small_seen, 0, small_stack};
    if (heap) {
        vm.list[0] = xcalloc(re->n, sizeof(int));
        vm.list[1] = xcalloc(re->n, sizeof(int));
        vm.seen = xcalloc(re->n, sizeof(unsigned));
        vm.stack = xcalloc(2 * re->n + 2, sizeof(int));
    } else {
        memset(small_seen, 0, re->n * sizeof(unsigned));
    }
    bool matched = false;
    int cur = 0, prev = -1;
    size_t i = 0;
    for (;;) {
        int r = -1;
        unsigned w = 0;
        if (i < len)
            w = bld_re_utf8_decode(text + i, len - i, &r);
        struct pos at = {i == 0, i == len, prev, r};
        vm.gen++;
        /* the threads of the current list were added in the previous step;
         * an unanchored search also starts a new thread here */
        if (i == 0 || re->prog[0].op != OP_BEGIN) /* "^...": no later starts */
            matched |= add_thread(&vm, cur, 0, &at);
        if (matched || i >= len || (!vm.len[cur] && re->prog[0].op == OP_BEGIN))
            break;
        int nxt = 1 - cur;
        vm.len[nxt] = 0;
        vm.gen++;
        struct pos after = {false, i + w == len, r, -1};
        if (i + w < len)
            bld_re_utf8_decode(text + i + w, len - i - w, &after.next);
        for (size_t k = 0; k < vm.len[cur]; k++)
            if (step_ok(re, vm.list[cur][k], r))
                matched |= add_thread(&vm, nxt, vm.list[cur][k] + 1, &after);
        vm.len[cur] = 0;
        cur = nxt;
        prev = r;
        i += w;
        if (matched)
            break;
        vm.gen--; /* the next add_thread (new start) joins this generation */
    }
    *alive = vm.len[cur] > 0;
    if (heap) {
        free(vm.list[0]);
        free(vm.list[1]);
        free(vm.seen);
        free(vm.stack);
    }
    return matched;
}

bool bld_re_match(const struct bld_re *re, const char *text, size_t len)
{
    bool alive;
    return run(re, text, len, &alive);
}

bool bld_re_may_match_prefix(const struct bld_re *re, const char *prefix, size_t len)
{
    bool alive;
    if (run(re, prefix, len, &alive))
        return true;
    return alive;
}
