/** Parsers for `ps -eo pid,comm,args` and the dnsmasq instances in it. */
import type { DnsmasqInstance, ProcessInfo } from '../types.js';
import { splitLines } from './text.js';

interface Columns {
  comm: number;
  args: number;
}

/** Column starts from a `PID COMMAND COMMAND` header, so a comm with spaces stays whole. */
function columnsFromHeader(header: string): Columns | null {
  const m = /^(\s*PID\s+)(COMMAND|CMD)(\s+)(COMMAND|CMD|ARGS)\s*$/.exec(header);
  if (!m) return null;
  const comm = m[1]!.length;
  return { comm, args: comm + m[2]!.length + m[3]!.length };
}

function parseRow(line: string, columns: Columns | null): ProcessInfo | null {
  const pidMatch = /^\s*(\d+)\s/.exec(line);
  if (!pidMatch) return null;
  const pid = Number(pidMatch[1]);
  if (columns && line.length >= columns.args && line[columns.args - 1] === ' ') {
    return {
      pid,
      comm: line.slice(columns.comm, columns.args).trim(),
      args: line.slice(columns.args).trim(),
    };
  }
  // No usable header: comm is the first word after the pid.
  const rest = line.slice(pidMatch[0].length).trim();
  const space = rest.search(/\s/);
  if (space < 0) return { pid, comm: rest, args: rest };
  return { pid, comm: rest.slice(0, space), args: rest.slice(space).trim() };
}

/** `##EXE PID PATH` lines the ps section adds from `ls -l /proc/[0-9]* /exe`. */
const EXE_LINE = /^##EXE (\d+) (\/.*)$/;

/**
 * `ps -eo pid,comm,args` (header optional; args keep their spaces), with each
 * process's real executable where the `##EXE PID PATH` lines give it.
 */
export function parseProcesses(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  const exes = new Map<number, string>();
  let columns: Columns | null = null;
  for (const line of splitLines(text)) {
    const exe = EXE_LINE.exec(line);
    if (exe) {
      exes.set(Number(exe[1]), exe[2]!);
      continue;
    }
    const header = columnsFromHeader(line);
    if (header) {
      columns = header;
      continue;
    }
    const row = parseRow(line, columns);
    if (row) out.push(row);
  }
  if (exes.size > 0) {
    for (const p of out) {
      const e = exes.get(p.pid);
      if (e !== undefined) p.exe = e;
    }
  }
  return out;
}

/** dnsmasq options we read, by long name; short aliases map onto them. */
const VALUE_OPTIONS = new Set(['interface', 'listen-address', 'dhcp-range', 'domain', 'dhcp-leasefile']);
const SHORT_OPTIONS: Record<string, string> = {
  i: 'interface',
  a: 'listen-address',
  F: 'dhcp-range',
  s: 'domain',
  l: 'dhcp-leasefile',
};

/** Option name/value pairs from a dnsmasq command line, in order. */
function dnsmasqOptions(words: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let name: string | undefined;
    let value: string | undefined;
    const long = /^--([^=]+)(?:=(.*))?$/.exec(word);
    const short = /^-([A-Za-z])(.*)$/.exec(word);
    if (long) {
      name = long[1]!;
      value = long[2];
    } else if (short) {
      name = SHORT_OPTIONS[short[1]!];
      value = short[2] === '' ? undefined : short[2];
    }
    if (name === undefined || !VALUE_OPTIONS.has(name)) continue;
    // `--opt value` / `-s value`: ps shows argv joined by spaces, so the value is the next word.
    if (value === undefined) {
      const next = words[i + 1];
      if (next === undefined || next.startsWith('-')) continue;
      value = next;
      i++;
    }
    out.push([name, value]);
  }
  return out;
}

/** The executable's file name (the kernel appends ` (deleted)` after an upgrade replaced it). */
function exeName(exe: string): string {
  return (
    exe
      .replace(/ \(deleted\)$/, '')
      .split('/')
      .pop() ?? ''
  );
}

/**
 * A dnsmasq is a process whose executable is dnsmasq: /proc/PID/exe when the
 * host showed it, else the kernel's comm (set from the executed file's name).
 * argv[0] proves nothing: `exec -a dnsmasq sleep 1d` has it.
 */
export function isDnsmasq(p: ProcessInfo): boolean {
  if (p.exe !== undefined) return exeName(p.exe) === 'dnsmasq';
  return p.comm === 'dnsmasq';
}

function toInstance(p: ProcessInfo): DnsmasqInstance {
  const inst: DnsmasqInstance = {
    pid: p.pid,
    args: p.args,
    ...(p.exe !== undefined ? { exe: p.exe } : {}),
    interfaces: [],
    listenAddresses: [],
    dhcpRanges: [],
    servesDhcp: false,
  };
  for (const [name, value] of dnsmasqOptions(p.args.split(/\s+/).slice(1))) {
    if (name === 'interface') inst.interfaces.push(...value.split(',').filter(Boolean));
    else if (name === 'listen-address') inst.listenAddresses.push(...value.split(',').filter(Boolean));
    else if (name === 'dhcp-range') inst.dhcpRanges.push(value);
    // --domain may be `name,subnet[,local]`; the DNS domain is the first part.
    else if (name === 'domain') inst.domain ??= value.split(',')[0];
    else if (name === 'dhcp-leasefile') inst.leaseFile = value;
  }
  inst.servesDhcp = inst.dhcpRanges.length > 0;
  return inst;
}

/** Every dnsmasq in the process list, with the options that matter for DHCP/DNS checks. */
export function findDnsmasqInstances(procs: ProcessInfo[]): DnsmasqInstance[] {
  return procs.filter(isDnsmasq).map(toInstance);
}
