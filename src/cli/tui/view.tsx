/** Presentational components: they draw lines computed by chrome, list and detail (see lines.ts), nothing else. */
import { Box, Text } from 'ink';
import type { Line as LineModel, Seg } from './lines.js';

function SegText({ seg, color }: { seg: Seg; color: boolean }) {
  if (!color || (seg.color === undefined && !seg.bold)) return <Text>{seg.text}</Text>;
  return (
    <Text
      {...(seg.color ? { color: seg.color === 'gray' ? 'gray' : seg.color } : {})}
      bold={Boolean(seg.bold)}
    >
      {seg.text}
    </Text>
  );
}

export function LineView({ line, color, selected }: { line: LineModel; color: boolean; selected: boolean }) {
  const marker = line.head ? (selected ? '›' : ' ') : ' ';
  const segs = line.segs.length > 0 ? line.segs : [{ text: '' }];
  return (
    <Text wrap="truncate-end">
      {line.item !== undefined ? (
        color && selected ? (
          <Text color="cyan" bold>
            {marker}
          </Text>
        ) : (
          <Text>{marker}</Text>
        )
      ) : (
        <Text> </Text>
      )}
      {segs.map((s, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: segments are positional
        <SegText key={i} seg={s} color={color} />
      ))}
    </Text>
  );
}

export function Lines({
  lines,
  color,
  selected,
}: {
  lines: LineModel[];
  color: boolean;
  selected?: string | null;
}) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <LineView
          // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional
          key={i}
          line={l}
          color={color}
          selected={selected !== undefined && selected !== null && l.item === selected}
        />
      ))}
    </Box>
  );
}
