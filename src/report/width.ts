/**
 * Terminal columns, for every reporter and the TUI: how wide a text is, cut to
 * a width, padded to a width, word-wrapped to a width. A column is what a
 * terminal gives a grapheme: 2 for CJK and emoji, 0 for a combining mark or an
 * ANSI escape (string-width), never a UTF-16 unit or a code point. Built on
 * string-width and cli-truncate, the versions ink itself draws with.
 */
import cliTruncate from 'cli-truncate';
import stringWidth from 'string-width';

/** Columns the text takes on a terminal (ANSI escapes take none). */
export function textWidth(s: string): number {
  return stringWidth(s);
}

/**
 * `s` cut to at most `columns` columns, ending in `…` when cut; '' when there
 * is no room at all. ANSI styles open at the cut are closed.
 */
export function truncate(s: string, columns: number): string {
  if (columns < 1) return '';
  let cut = cliTruncate(s, columns);
  // cli-truncate 5 keeps a wide character that straddles the cut, one column over
  // (sindresorhus/cli-truncate#28, fixed in 6.1): cut one column shorter then.
  for (let c = columns - 1; c >= 1 && stringWidth(cut) > columns; c--) cut = cliTruncate(s, c);
  return cut;
}

/** `s` padded with spaces on the right to `columns` columns (unchanged when wider). */
export function padEnd(s: string, columns: number): string {
  return s + ' '.repeat(Math.max(0, columns - stringWidth(s)));
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** `word` in pieces of at most `columns` columns, never splitting a grapheme (an emoji, a letter and its accents). */
function splitColumns(word: string, columns: number): string[] {
  const pieces: string[] = [];
  let cur = '';
  let used = 0;
  for (const { segment } of graphemes.segment(word)) {
    const w = stringWidth(segment);
    if (used > 0 && used + w > columns) {
      pieces.push(cur);
      cur = '';
      used = 0;
    }
    cur += segment;
    used += w;
  }
  if (cur) pieces.push(cur);
  return pieces;
}

/**
 * Word-wrap one line of plain text (ANSI already removed: see text.ts
 * cleanText) into lines of at most `columns` columns, greedily. Runs of spaces
 * collapse to one. A word wider than a line starts a line of its own and is cut
 * into full-width pieces. No line for empty text. The text's bytes are kept
 * (a path or a name in a summary stays copyable).
 *
 * Not wrap-ansi: it measures with its own string-width 7, which counts some
 * characters narrower than string-width 8 does (halfwidth katakana with a
 * voiced mark, `ﾃﾞ`, is 2 columns on a terminal, 1 for it), so its lines can
 * overflow; it also rewrites the text to NFC. Our input has no ANSI to carry
 * across lines, the one thing it would add.
 */
export function wrapWords(text: string, columns: number): string[] {
  const width = Math.max(1, columns);
  const lines: string[] = [];
  let cur = '';
  let used = 0;
  for (const word of text.split(' ')) {
    if (!word) continue;
    for (const piece of stringWidth(word) > width ? splitColumns(word, width) : [word]) {
      const w = stringWidth(piece);
      if (cur && used + 1 + w > width) {
        lines.push(cur);
        cur = '';
      }
      used = cur ? used + 1 + w : w;
      cur = cur ? `${cur} ${piece}` : piece;
    }
  }
  if (cur) lines.push(cur);
  return lines;
}
