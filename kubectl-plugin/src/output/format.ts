// kubectl's output formats: a table (wide adds columns), json, yaml, name.
import { stringify } from 'yaml';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if (['wide', 'json', 'yaml', 'name'].includes(value)) return value as OutputFormat;
  throw new Error(`unknown output format "${value}": use one of wide, json, yaml, name`);
}

export interface Column<T> {
  header: string;
  value: (item: T) => string;
  /** Shown with -o wide only. */
  wide?: boolean;
}

/** Columns separated by at least three spaces, headers in capitals, as kubectl prints them. */
export function table<T>(items: T[], columns: Column<T>[], wide: boolean): string {
  const shown = columns.filter((c) => wide || !c.wide);
  const rows = [shown.map((c) => c.header.toUpperCase()), ...items.map((item) => shown.map((c) => c.value(item)))];
  const widths = shown.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] + 3)))
          .join('')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** A List for several objects, the object itself for one, as kubectl -o json|yaml does. */
export function serialise(objects: unknown[], format: 'json' | 'yaml', single: boolean): string {
  const value = single ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects, metadata: { resourceVersion: '' } };
  return format === 'json' ? JSON.stringify(value, null, 4) + '\n' : stringify(value);
}

/** "1h", "3d", "45s": kubectl's AGE column. */
export function age(timestamp: string | Date | undefined, now = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - new Date(timestamp).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
