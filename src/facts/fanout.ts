/** Parse the `##PING <key> rc=<n>` blocks that sections.ts's parallel ping fan-out prints. */
export interface FanOutBlock {
  key: string;
  exitCode: number | null;
  output: string;
}

const HEADER = /^##PING (.+) rc=(\d+)$/;

export function parseFanOut(text: string): FanOutBlock[] {
  const blocks: FanOutBlock[] = [];
  let current: FanOutBlock | null = null;
  for (const line of text.split('\n')) {
    const m = HEADER.exec(line);
    if (m) {
      current = { key: m[1] ?? '', exitCode: Number(m[2]), output: '' };
      blocks.push(current);
    } else if (current) {
      current.output += current.output === '' ? line : `\n${line}`;
    }
  }
  for (const b of blocks) b.output = b.output.replace(/\n+$/, '');
  return blocks;
}
