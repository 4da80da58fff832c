/* gounicode.c - the subset of Go's unicode and utf8 packages BuildKit's
 * parser and shell lexer depend on (space, letter, digit, printable, rune
 * decoding with U+FFFD for invalid bytes).  Letters and digits outside ASCII
 * are classified with the C.UTF-8 locale, opened per call (no globals). */
#include <ctype.h>
#include <locale.h>
#include <string.h>
#include <wctype.h>

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

static int with_utf8_locale(uint32_t r, int (*fn)(wint_t, locale_t))
{
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (l == (locale_t)0)
        return 0;
    int v = fn((wint_t)r, l);
    freelocale(l);
    return v;
}

bool go_isletter(uint32_t r)
{
    if (r < 0x80)
        return isalpha((int)r) != 0;
    if (r == 0xAA || r == 0xB5 || r == 0xBA)
        return true;
    if (r < 0xC0 || r == 0xD7 || r == 0xF7)
        return false;
    return with_utf8_locale(r, iswalpha_l) != 0;
}

bool go_isdigit(uint32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    /* The common Nd blocks (Arabic-Indic ... fullwidth): value ranges of ten. */
    static const uint32_t zeros[] = {0x660, 0x6F0, 0x7C0,  0x966,  0x9E6,  0xA66,  0xAE6,
                                     0xB66, 0xBE6, 0xC66,  0xCE6,  0xD66,  0xDE6,  0xE50,
                                     0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0xFF10};
    for (size_t i = 0; i < sizeof(zeros) / sizeof(zeros[0]); i++)
        if (r >= zeros[i] && r < zeros[i] + 10)
            return true;
    return false;
}

/* Format (Cf) and space (Zs) characters Go does not print raw. */
static bool is_format_or_space(uint32_t r)
{
    static const uint32_t ranges[][2] = {
        {0xA0, 0xA0},       {0xAD, 0xAD},       {0x600, 0x605},     {0x61C, 0x61C},
        {0x6DD, 0x6DD},     {0x70F, 0x70F},     {0x890, 0x891},     {0x8E2, 0x8E2},
        {0x1680, 0x1680},   {0x180E, 0x180E},   {0x2000, 0x200F},   {0x2028, 0x202F},
        {0x205F, 0x2064},   {0x2066, 0x206F},   {0x3000, 0x3000},   {0xFEFF, 0xFEFF},
        {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F},
        {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        if (r >= ranges[i][0] && r <= ranges[i][1])
            return true;
    return false;
}

bool go_isprint(uint32_t r)
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7F;
    if (r < 0xA0 || is_format_or_space(r))
        return false;
    if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000 || (r & 0xFFFE) == 0xFFFE)
        return false;
    return with_utf8_locale(r, iswprint_l) != 0;
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
        *p = (char)tolower((unsigned char)*p);
    return out;
}
