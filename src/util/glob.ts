/**
 * The one glob dialect of lxdcheck, for check ids (`--only`, `--skip`,
 * scenarios) and for waiver ids and hosts (`lxdcheck gate --waivers`):
 * `*` is any run of characters (dots included: `mesh.*` matches
 * `mesh.ping.loss`), `?` is exactly one character (`lxd?` matches `lxd3`, not
 * `lxd10`), everything else is literal, and the glob must match the whole
 * string. `?` is a wildcard in both, as in the shell: no check id or host
 * name contains a literal `?` to match.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}
