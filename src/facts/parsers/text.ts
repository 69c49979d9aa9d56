/** Small helpers shared by the parsers: line splitting and lenient JSON extraction. */

/** Lines without their terminators; tolerates \r\n and a missing final newline. */
export function splitLines(text: string): string[] {
  if (!text) return [];
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A decimal integer, or null when the text is not one. */
export function toInt(text: string | undefined): number | null {
  if (text === undefined || !/^-?\d+$/.test(text)) return null;
  return Number.parseInt(text, 10);
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The first JSON array in `text`. Collectors may merge stderr into stdout, so
 * warnings can precede the JSON (or follow it): try each line that starts with
 * `[`, and cut trailing noise after the last `]`. Returns [] when there is none.
 */
export function extractJsonArray(text: string): unknown[] {
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.trimStart().startsWith('[')) continue;
    const rest = lines.slice(i).join('\n');
    const whole = tryParse(rest);
    if (Array.isArray(whole)) return whole;
    const cut = tryParse(rest.slice(0, rest.lastIndexOf(']') + 1));
    if (Array.isArray(cut)) return cut;
  }
  return [];
}
