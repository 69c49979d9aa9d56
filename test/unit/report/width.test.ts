import test from 'ava';
import { padEnd, textWidth, truncate, wrapWords } from '../../../src/report/width.js';

const RED = '\u001b[31m';
const RESET = '\u001b[0m';
// Combining acute accents, not precomposed: three code points per letter would be three columns if counted.
const ACCENTED = 'e\u0301e\u0301e\u0301e\u0301';
const THUMBS = '👍🏽'; // an emoji with a skin-tone modifier: two code points, one grapheme, two columns
const FAMILY = '👨‍👩‍👧'; // a ZWJ sequence: five code points, two columns

test('textWidth counts terminal columns: CJK and emoji take two, combining marks and ANSI none', (t) => {
  t.is(textWidth('lxd1'), 4);
  t.is(textWidth('中文'), 4);
  t.is(textWidth(ACCENTED), 4);
  t.is(textWidth(THUMBS), 2);
  t.is(textWidth(FAMILY), 2);
  t.is(textWidth(`${RED}fail${RESET}`), 4);
  // The symbols the reporters draw are one column each.
  t.is(textWidth('✓✗!-·…→│↳›─⠋'), 12);
});

test('truncate keeps text that fits, and cuts to the width with an ellipsis', (t) => {
  t.is(truncate('peervpn0', 8), 'peervpn0');
  t.is(truncate('peervpn0 is a port', 8), 'peervpn…');
  t.is(truncate('abc', 0), '');
  t.is(truncate('abc', -3), '');
  t.is(truncate('abcdef', 1), '…');
});

test('truncate never goes over the width with wide characters, even when one straddles the cut', (t) => {
  const cjk = '网桥没有端口网桥没有端口';
  for (let w = 1; w <= 26; w++) {
    const cut = truncate(cjk, w);
    t.true(textWidth(cut) <= w, `${w}: ${cut} is ${textWidth(cut)} columns`);
    if (w < 24) t.true(cut.endsWith('…'), `${w}: ${cut}`);
  }
  t.is(truncate('a中文字', 3), 'a…', 'the wide character that would end at column 4 is left out');
  t.is(truncate('a中文字', 4), 'a中…');
  for (const s of [`${THUMBS}${THUMBS}${THUMBS}`, `${FAMILY}${FAMILY}`, `x${FAMILY}${FAMILY}`]) {
    for (let w = 1; w <= 6; w++) t.true(textWidth(truncate(s, w)) <= w, `${JSON.stringify(s)} at ${w}`);
  }
  // An emoji is never split into its code points.
  t.is(truncate(`${FAMILY}${FAMILY}`, 3), `${FAMILY}…`);
});

test('truncate counts a letter with its combining accent as one column and keeps them together', (t) => {
  t.is(truncate(ACCENTED, 4), ACCENTED);
  const cut = truncate(`${ACCENTED}x`, 3);
  t.is(textWidth(cut), 3);
  t.true(cut.startsWith('e\u0301e\u0301'), JSON.stringify(cut));
  t.false(cut.includes('e…'), 'no letter cut off from its accent');
});

test('truncate measures ANSI-styled text by what shows and closes the style it cuts', (t) => {
  const cut = truncate(`${RED}hello world${RESET}`, 5);
  t.is(textWidth(cut), 5);
  t.true(cut.startsWith(`${RED}hell…`), JSON.stringify(cut));
  t.true(cut.endsWith('\u001b[39m'), 'the colour does not leak past the cut');
  t.is(truncate(`${RED}ok${RESET}`, 2), `${RED}ok${RESET}`);
});

test('padEnd pads to columns, not code points', (t) => {
  t.is(padEnd('lxd1', 6), 'lxd1  ');
  t.is(padEnd('中文', 6), '中文  ');
  t.is(padEnd(ACCENTED, 6), `${ACCENTED}  `);
  t.is(padEnd(`${RED}x${RESET}`, 3), `${RED}x${RESET}  `);
  t.is(padEnd('toolong', 3), 'toolong');
});

test('wrapWords fills lines greedily, collapses runs of spaces, and gives no line for empty text', (t) => {
  t.deepEqual(wrapWords('a bb ccc dddd', 6), ['a bb', 'ccc', 'dddd']);
  t.deepEqual(wrapWords('the tinc daemon is not running on lxd2', 16), [
    'the tinc daemon',
    'is not running',
    'on lxd2',
  ]);
  t.deepEqual(wrapWords('a  b   c', 80), ['a b c']);
  t.deepEqual(wrapWords('', 10), []);
  t.deepEqual(wrapWords('   ', 10), []);
  t.deepEqual(wrapWords('\u0301 a', 5), ['\u0301 a'], 'a zero-width word is kept, not overwritten');
  t.deepEqual(wrapWords('exactly10c', 10), ['exactly10c']);
});

test('wrapWords starts a word wider than the line on its own line and cuts it into full pieces', (t) => {
  t.deepEqual(wrapWords(`abc ${'x'.repeat(25)} def`, 10), ['abc', 'xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx def']);
});

test('wrapWords measures wide and combining characters in columns', (t) => {
  // Eight columns of CJK per word: two words do not share a 10-column line.
  const lines = wrapWords('网桥没有 端口网桥 没有', 10);
  t.deepEqual(lines, ['网桥没有', '端口网桥', '没有']);
  for (const l of wrapWords('网桥没有端口网桥没有端口', 5)) t.true(textWidth(l) <= 5, l);
  t.deepEqual(wrapWords('网桥没有端口', 5), ['网桥', '没有', '端口']);
  // Halfwidth katakana with a voiced mark: two columns (wrap-ansi 9 counts one and overflows).
  const kana = wrapWords('ﾃﾞﾃﾞﾃﾞ ﾃﾞﾃﾞ', 8);
  t.deepEqual(kana, ['ﾃﾞﾃﾞﾃﾞ', 'ﾃﾞﾃﾞ']);
  // Four columns each, though each is eight code points: two fit on a 9-column line.
  t.deepEqual(wrapWords(`${ACCENTED} ${ACCENTED} ${ACCENTED}`, 9), [`${ACCENTED} ${ACCENTED}`, ACCENTED]);
  // Emoji are cut between graphemes, never inside one.
  t.deepEqual(wrapWords(`${FAMILY}${FAMILY}${FAMILY} ok`, 5), [`${FAMILY}${FAMILY}`, `${FAMILY} ok`]);
  t.deepEqual(wrapWords(`${FAMILY} ok`, 4), [FAMILY, 'ok']);
});
