/* gounicode.c - the subset of Go's unicode and utf8 packages BuildKit's
 * parser and shell lexer depend on (space, letter, digit, printable, rune
 * decoding with U+FFFD for invalid bytes).  Above ASCII the classes come
 * from the generated range tables in unicode_tables.c. */
#include <string.h>

#include "dockerfile_internal.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

uint32_t go_decode_rune(const char *str, size_t n, int *width)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[0];
    *width = 1;
    if (c < 0x80)
        return c;
    int len;
    uint32_t r, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, r = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, r = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, r = c & 0x07, min = 0x10000;
    } else {
        return GO_RUNE_ERROR;
    }
    if ((size_t)len > n)
        return GO_RUNE_ERROR;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return GO_RUNE_ERROR;
        r = (r << 6) | (s[i] & 0x3F);
    }
    if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        return GO_RUNE_ERROR;
    *width = len;
    return r;
}

void go_buf_add_rune(struct cb_buf *b, uint32_t r)
{
    char out[4];
    size_t n;
    if (r < 0x80) {
        df_buf_putc(b, (char)r);
        return;
    }
    if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        r = GO_RUNE_ERROR;
    if (r < 0x80) {
        out[0] = (char)r, n = 1;
    } else if (r < 0x800) {
        out[0] = (char)(0xC0 | (r >> 6)), out[1] = (char)(0x80 | (r & 0x3F)), n = 2;
    } else if (r < 0x10000) {
        out[0] = (char)(0xE0 | (r >> 12)), out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        out[2] = (char)(0x80 | (r & 0x3F)), n = 3;
    } else {
        out[0] = (char)(0xF0 | (r >> 18)), out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((r >> 6) & 0x3F)), out[3] = (char)(0x80 | (r & 0x3F)), n = 4;
    }
    /* Our buffers use the default 64 MiB limit; input is far smaller. */
    (void)cb_buf_add(b, out, n, NULL);
}

bool go_isspace(uint32_t r)
{
    switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    }
    return r >= 0x2000 && r <= 0x200A;
}

static bool in_ranges(const uint32_t (*r)[2], size_t n, uint32_t c)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c < r[mid][0])
            hi = mid;
        else if (c > r[mid][1])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

bool go_isletter(uint32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    return in_ranges(df_letter_ranges, df_letter_ranges_n, r);
}

bool go_isdigit(uint32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    return in_ranges(df_digit_ranges, df_digit_ranges_n, r);
}

/* Go's IsPrint: letters, marks, numbers, punctuation, symbols and U+0020. */
bool go_isprint(uint32_t r)
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7F;
    return in_ranges(df_print_ranges, df_print_ranges_n, r);
}

int go_space_at(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80)
        return (c == ' ' || (c >= '\t' && c <= '\r')) ? 1 : 0;
    int w;
    uint32_t r = go_decode_rune(s, n, &w);
    return go_isspace(r) ? w : 0;
}

size_t go_skip_space(const char *s, size_t n)
{
    size_t i = 0;
    int w;
    while (i < n && (w = go_space_at(s + i, n - i)) > 0)
        i += (size_t)w;
    return i;
}

/* Length of s once trailing unicode spaces are removed. */
size_t go_trim_right_space(const char *s, size_t n)
{
    size_t end = 0, i = 0;
    while (i < n) {
        int w = go_space_at(s + i, n - i);
        if (w > 0) {
            i += (size_t)w;
            continue;
        }
        go_decode_rune(s + i, n - i, &w);
        i += (size_t)w;
        end = i;
    }
    return end;
}

char *df_lower(const char *s)
{
    char *out = xstrdup(s);
    for (char *p = out; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return out;
}
