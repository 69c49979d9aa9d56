/**
 * overlay (peervpn): its log, its config (the psk removed on the host), its
 * daemons' age, and a keyed fingerprint of the psk it really uses.
 */
import type { Inventory } from '../../../inventory/types.js';
import { quoteArg as q } from '../../../transport/quote.js';
import { lastLines, okOutput, type PeervpnFacts, sinceLastStart } from '../../host-facts.js';
import {
  parsePeervpnAges,
  parsePeervpnConfig,
  parsePeervpnLog,
  parsePskFingerprint,
  peervpnPeerState,
  peervpnStarts,
} from '../../parsers/peervpn.js';
import type { Section, SectionOptions } from '../../script.js';
import type { RawOutput } from '../../types.js';
import { OVERLAY_LOG, type OverlayFacts } from './common.js';

/**
 * A sed that replaces every psk line's value with `<redacted>` (any case: a line peervpn
 * ignores is hidden too). Run on the host, so the psk never crosses the wire; `lxdcheck init`
 * reads the config through the same one.
 */
export const REDACT_PSK = `sed -E 's/^([[:space:]]*[Pp][Ss][Kk])([[:space:]]+).*$/\\1\\2<redacted>/'`;

/** peervpn.conf with the psk line's value replaced on the host. */
export const OVERLAY_CONFIG = 'overlay-config';
/** `ps -o pid=,etimes= -C peervpn`: how long each daemon has run. */
export const OVERLAY_AGE = 'overlay-age';
/** The keyed psk fingerprint (peervpnPskSection). */
export const OVERLAY_PSK = 'overlay-psk';

const RUN_KEY = /^[0-9a-f]{64}$/;

/**
 * peervpn's own config reading, applied to the psk (config.ic): leading
 * blanks skipped, `#` `;` NUL and CR end a line anywhere, at most 4096
 * bytes a line, trailing blanks trimmed; `psk` followed by blanks or the
 * line's end; the last psk line before `endconfig` wins; the value is cut at
 * 512 bytes. It prints only `psk-hmac-sha256 <hex> python3` or `psk-none`;
 * python's own errors are silenced so no text of the file can leak.
 */
const PSK_HMAC_PY = [
  'import hmac,hashlib,os,re,sys',
  'k=os.environ.get("LXDCHECK_KEY","").encode()',
  'if len(k)<32:',
  ' sys.stderr.write("lxdcheck: no run key\\n");sys.exit(4)',
  'try:',
  ' d=open(sys.argv[1],"rb").read()',
  'except Exception:',
  ' sys.stderr.write("lxdcheck: cannot read the peervpn config\\n");sys.exit(3)',
  'p=None',
  'for l in d.split(b"\\n"):',
  ' l=re.split(b"[#;\\0\\r]",l.lstrip(b" \\t"),1)[0][:4096].rstrip(b" \\t")',
  ' m=re.match(b"(psk|endconfig)(?:[ \\t]+(.*))?$",l,re.S)',
  ' if m and m.group(1)==b"endconfig":break',
  ' if m:p=(m.group(2) or b"")[:512]',
  'print("psk-none" if p is None else "psk-hmac-sha256 "+hmac.new(k,p,hashlib.sha256).hexdigest()+" python3")',
].join('\n');

/** The same reading in awk (LC_ALL=C: bytes), for hosts without python3; NUL and CR become `#` first. */
const PSK_AWK = [
  '{ l=$0; sub(/^[ \\t]+/,"",l); i=index(l,"#"); if(i) l=substr(l,1,i-1); i=index(l,";"); if(i) l=substr(l,1,i-1)',
  'l=substr(l,1,4096); sub(/[ \\t]+$/,"",l)',
  'if (l ~ /^endconfig([ \\t]|$)/) exit',
  'if (l == "psk") { v=""; f=1 } else if (l ~ /^psk[ \\t]/) { v=l; sub(/^psk[ \\t]+/,"",v); v=substr(v,1,512); f=1 } }',
  'END { if (f) printf "%s", v; else exit 5 }',
].join('; ');

/**
 * A keyed fingerprint (HMAC-SHA256 with the run's key) of the psk peervpn
 * really uses, computed on the host: the psk never leaves it, and without
 * the key (which arrives on stdin, see Section.input) the fingerprint cannot
 * be attacked offline. python3 where present, else awk + openssl (whose
 * -hmac puts the key, never the psk, in its argv for a moment).
 */
export function peervpnPskSection(conf: string, runKey: string): Section {
  if (!RUN_KEY.test(runKey)) throw new Error('the run key must be 64 hex digits');
  const shell = [
    `f=${q(conf)}`,
    'if [ ! -r "$f" ]; then echo "lxdcheck: cannot read $f" >&2; exit 3; fi',
    `if command -v python3 >/dev/null 2>&1; then LXDCHECK_KEY="$LXDCHECK_INPUT" python3 -c ${q(PSK_HMAC_PY)} "$f" 2>/dev/null; r=$?; [ $r -ne 0 ] && echo "lxdcheck: python3 failed (exit $r) to fingerprint the psk" >&2; exit $r; fi`,
    `if ! command -v openssl >/dev/null 2>&1; then echo 'lxdcheck: neither python3 nor openssl to fingerprint the psk' >&2; exit 127; fi`,
    `v=$(tr '\\000\\r' '##' < "$f" | awk ${q(PSK_AWK)}); r=$?`,
    'if [ $r -eq 5 ]; then echo psk-none; exit 0; fi',
    'if [ $r -ne 0 ]; then echo "lxdcheck: cannot read $f" >&2; exit 3; fi',
    `h=$(printf '%s' "$v" | openssl dgst -sha256 -hmac "$LXDCHECK_INPUT" 2>/dev/null | sed 's/^.*= *//'); v=`,
    `case "$h" in *[!0-9a-f]*|'') echo 'lxdcheck: openssl gave no HMAC' >&2; exit 4;; esac`,
    'echo "psk-hmac-sha256 $h openssl"',
  ].join('; ');
  return { name: OVERLAY_PSK, shell, timeoutSeconds: 5, wrapTimeout: false, input: runKey };
}

export function peervpnSections(inv: Inventory, opts: SectionOptions): Section[] {
  const o = inv.cluster.overlay;
  const unit = o.unit ?? 'peervpn.service';
  const log = o.logFile
    ? `tail -n 3000 ${q(o.logFile)}`
    : `journalctl ${q(`--unit=${unit}`)} -o cat --no-pager -n 3000`;
  const conf = o.configFile ?? '/etc/peervpn/peervpn.conf';
  const sections: Section[] = [
    { name: OVERLAY_LOG, shell: log, timeoutSeconds: 10 },
    {
      // The psk is removed on the host itself: it never crosses the wire, the recording or a report.
      name: OVERLAY_CONFIG,
      shell: `${REDACT_PSK} ${q(conf)}`,
      timeoutSeconds: 5,
    },
    // How long the daemon has run: its log's counts are only read right with the time they cover.
    { name: OVERLAY_AGE, shell: 'ps -o pid=,etimes= -C peervpn', timeoutSeconds: 5 },
  ];
  if (opts.runKey !== undefined) sections.push(peervpnPskSection(conf, opts.runKey));
  return sections;
}

export function peervpnFacts(raw: Record<string, RawOutput>): OverlayFacts {
  const fullLog = okOutput(raw, OVERLAY_LOG);
  // Only the daemon's current life counts: an up-script error from an earlier start is history.
  const logText = fullLog !== null ? sinceLastStart(fullLog, /^PeerVPN v/m) : null;
  const conf = okOutput(raw, OVERLAY_CONFIG);
  const log = logText !== null ? parsePeervpnLog(logText) : null;
  return {
    peers: logText !== null ? peervpnPeerState(logText) : null,
    log: log
      ? {
          bridgeMissing: log.bridgeMissing,
          upcmdErrors: log.upcmdErrors,
          excerpt: lastLines(logText ?? '', 15),
        }
      : null,
    config: conf !== null ? parsePeervpnConfig(conf) : null,
    peervpn: {
      log,
      starts: fullLog !== null ? peervpnStarts(fullLog) : 0,
      running: peervpnRunning(raw[OVERLAY_AGE]),
      psk: raw[OVERLAY_PSK]
        ? parsePskFingerprint(raw[OVERLAY_PSK].stdout, raw[OVERLAY_PSK].exitCode, raw[OVERLAY_PSK].stderr)
        : null,
    },
  };
}

/** `ps -C peervpn` exits 1 with no output when no such process runs; anything else unexpected is unknown. */
function peervpnRunning(r: RawOutput | undefined): PeervpnFacts['running'] {
  if (!r) return null;
  if (r.exitCode === 0) return parsePeervpnAges(r.stdout);
  if (r.exitCode === 1 && r.stdout.trim() === '' && r.stderr.trim() === '') return [];
  return null;
}
