/** The message of anything thrown (a non-Error is stringified). */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
