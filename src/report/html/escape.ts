/**
 * Markup built by a tagged template that escapes every interpolated value
 * unless it is already markup: host text (names, summaries, log lines) can
 * only reach the page as text, never as tags or attributes.
 */
import { cleanText } from '../text.js';

/** Markup that is already safe (built by `h` or from constants). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITY: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for an element's content or a quoted attribute value; control characters are made visible. */
export function esc(s: string): string {
  return cleanText(s).replace(/[&<>"']/g, (c) => ENTITY[c]!);
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function part(v: Part): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(part).join('');
  return esc(String(v));
}

/** `h\`<b>${name}</b>\``: the literal parts are markup, every value is escaped (arrays are joined). */
export function h(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += part(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Constant markup (never host text). */
export function trusted(s: string): Html {
  return new Html(s);
}
