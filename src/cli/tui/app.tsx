/**
 * The doctor App: starts a run through `runner`, folds its events into the
 * reducer, and maps keys to actions. Knows nothing of SSH or the engine.
 */
import { Box, useApp, useInput, useStdout } from 'ink';
import { type ReactNode, useCallback, useEffect, useReducer, useRef, useState } from 'react';
import type { RunEvent } from '../../model.js';
import { footerLine, headerLines, helpLines } from './chrome.js';
import { detailLines } from './detail.js';
import { selectedRow } from './items.js';
import type { LayoutOptions } from './lines.js';
import { bodyLines, scrollWindow } from './list.js';
import { failedCheckIds, initialState, type TuiState } from './model.js';
import type { Runner } from './runner.js';
import { tuiReducer } from './state.js';
import { Lines } from './view.js';

export interface AppProps {
  runner: Runner;
  color: boolean;
  /** Override the terminal size (tests; ink-testing-library has no rows). */
  width?: number;
  height?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Spinner and elapsed-time refresh, ms; 0 turns the ticker off (tests). */
  tickMs?: number;
  /** Called with the reducer state after every change (tests, debugging). */
  onState?: (s: TuiState) => void;
}

function useTerminalSize(width?: number, height?: number): { width: number; height: number } {
  const { stdout } = useStdout();
  const [, force] = useState(0);
  useEffect(() => {
    const onResize = () => force((n) => n + 1);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return {
    width: width ?? (stdout.columns || 80),
    height: height ?? (stdout.rows || 24),
  };
}

export function App({ runner, color, width, height, now = Date.now, tickMs = 100, onState }: AppProps) {
  const { exit } = useApp();
  const [state, dispatch] = useReducer(tuiReducer, undefined, initialState);
  const size = useTerminalSize(width, height);
  const [frame, setFrame] = useState(0);
  const running = useRef<AbortController | null>(null);
  const offset = useRef(0);
  const [detailOffset, setDetailOffset] = useState(0);
  const quitting = useRef(false);

  useEffect(() => {
    onState?.(state);
  }, [state, onState]);

  const start = useCallback(
    (only?: string[]) => {
      const controller = new AbortController();
      running.current = controller;
      dispatch({ type: 'run-begin', ...(only ? { only } : {}), at: now() });
      const onEvent = (event: RunEvent) => dispatch({ type: 'event', event, at: now() });
      runner({ ...(only ? { only } : {}), onEvent, signal: controller.signal }).then(
        (code) => {
          if (running.current === controller) running.current = null;
          dispatch({ type: 'run-done', code, at: now() });
        },
        (e: unknown) => {
          if (running.current === controller) running.current = null;
          dispatch({ type: 'run-error', message: e instanceof Error ? e.message : String(e), at: now() });
        },
      );
    },
    [runner, now],
  );

  // The first run starts on mount (once).
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    start();
  }, [start]);

  // Spinner and elapsed time, only while something runs.
  useEffect(() => {
    if (state.phase !== 'running' || tickMs <= 0) return;
    const t = setInterval(() => setFrame((f) => f + 1), tickMs);
    return () => clearInterval(t);
  }, [state.phase, tickMs]);

  const quit = useCallback(() => {
    if (quitting.current) return;
    quitting.current = true;
    // Stop the run first so the engine closes its connections and the lock is released.
    running.current?.abort();
    exit();
  }, [exit]);

  const o: LayoutOptions = { width: Math.max(20, size.width - 1), spinnerFrame: frame, now: now() };
  const header = headerLines(state, o);
  const footer = footerLine(state, o);
  const bodyHeight = Math.max(
    3,
    size.height - header.length - 2 /* rule + footer */ - 1 /* ink's last line */,
  );
  const page = Math.max(1, bodyHeight - 2);

  useInput((input, key) => {
    if ((key.ctrl && input === 'c') || input === 'q') {
      quit();
      return;
    }
    if (state.view === 'help') {
      dispatch({ type: 'help' });
      return;
    }
    if (state.view === 'details') {
      if (key.escape || key.return || key.backspace || key.leftArrow) {
        setDetailOffset(0);
        dispatch({ type: 'back' });
      } else if (key.downArrow || input === 'j') setDetailOffset((n) => n + 1);
      else if (key.upArrow || input === 'k') setDetailOffset((n) => Math.max(0, n - 1));
      else if (key.pageDown || input === ' ') setDetailOffset((n) => n + page);
      else if (key.pageUp) setDetailOffset((n) => Math.max(0, n - page));
      return;
    }
    if (key.downArrow || input === 'j') dispatch({ type: 'move', delta: 1 });
    else if (key.upArrow || input === 'k') dispatch({ type: 'move', delta: -1 });
    else if (key.pageDown || input === ' ') dispatch({ type: 'move', delta: page });
    else if (key.pageUp) dispatch({ type: 'move', delta: -page });
    else if (input === 'g' || key.home) dispatch({ type: 'move-to', where: 'first' });
    else if (input === 'G' || key.end) dispatch({ type: 'move-to', where: 'last' });
    else if (key.return || key.rightArrow) {
      setDetailOffset(0);
      dispatch({ type: 'open' });
    } else if (input === 'f') dispatch({ type: 'toggle-failures' });
    else if (input === 'e') dispatch({ type: 'toggle-expand' });
    else if (input === '?') dispatch({ type: 'help' });
    else if (key.escape) dispatch({ type: 'message', text: undefined });
    else if (input === 'r') {
      if (state.phase === 'running') {
        dispatch({ type: 'message', text: 'a run is in progress; r works once it is done' });
        return;
      }
      const ids = failedCheckIds(state);
      if (ids.length === 0) {
        dispatch({ type: 'message', text: 'nothing to re-run: no check failed' });
        return;
      }
      start(ids);
    }
  });

  let body: ReactNode;
  if (state.view === 'help') {
    body = <Lines lines={helpLines(o).slice(0, bodyHeight)} color={color} />;
  } else if (state.view === 'details') {
    const row = selectedRow(state);
    const lines = row ? detailLines(row, o) : [];
    const from = Math.min(detailOffset, Math.max(0, lines.length - bodyHeight));
    body = <Lines lines={lines.slice(from, from + bodyHeight)} color={color} />;
  } else {
    const lines = bodyLines(state, o);
    offset.current = scrollWindow(lines, state.selected, bodyHeight, offset.current);
    const shown = lines.slice(offset.current, offset.current + bodyHeight);
    body = <Lines lines={shown} color={color} selected={state.selected} />;
  }

  return (
    <Box flexDirection="column">
      <Lines lines={header} color={color} />
      <Lines lines={[{ segs: [{ text: '─'.repeat(o.width), color: 'gray' }] }]} color={color} />
      <Box flexDirection="column" height={bodyHeight}>
        {body}
      </Box>
      <Lines lines={[footer]} color={color} />
    </Box>
  );
}
