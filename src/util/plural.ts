/** `1 host`, `2 hosts`; `many` for irregular plurals (`plural(n, 'entry', 'entries')`). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
