// The only C the dashboard needs. SwiftPM drops -D_XOPEN_SOURCE for system libraries, so the wide-character
// API is switched on here, before the header.
#ifndef BRIDGEWATCH_CNCURSES_SHIM_H
#define BRIDGEWATCH_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// C globals Swift 6 rejects as not concurrency-safe, and macros Swift cannot import.
static inline WINDOW *bw_stdscr(void) { return stdscr; }
static inline int bw_lines(void) { return LINES; }
static inline int bw_cols(void) { return COLS; }
static inline int bw_colors(void) { return COLORS; }
static inline int bw_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t bw_attr_bold(void) { return A_BOLD; }
static inline attr_t bw_attr_dim(void) { return A_DIM; }
static inline attr_t bw_attr_reverse(void) { return A_REVERSE; }
static inline attr_t bw_attr_underline(void) { return A_UNDERLINE; }
static inline attr_t bw_attr_normal(void) { return A_NORMAL; }

// Writes one cell: a grapheme of up to CCHARW_MAX - 1 wide characters (base + combining marks).
static inline int bw_put_cell(int y, int x, const wchar_t *text, attr_t attributes, short pair) {
  cchar_t cell;
  if (setcchar(&cell, text, attributes, pair, NULL) != OK) return ERR;
  return mvwadd_wch(stdscr, y, x, &cell);
}

// The C library's column width of one character in the current locale (-1: not printable there); wcwidth
// needs _XOPEN_SOURCE, which Swift's Glibc module does not define.
static inline int bw_wcwidth(unsigned int scalar) { return wcwidth((wchar_t)scalar); }

// Reads one key; returns KEY_CODE_YES for function keys, OK for characters, ERR when none.
static inline int bw_get_wch(wint_t *key) { return wget_wch(stdscr, key); }
#endif
