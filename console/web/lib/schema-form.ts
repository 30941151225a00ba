// A form generated from a CRD's openAPIV3Schema (@acog/api/schemas, itself generated from
// api/schema): which control each schema node gets, the paths the API server names fields by, and
// the script review's arithmetic. Pure: the Svelte components render what this decides.

/** The part of an OpenAPI v3 schema node the form reads. */
export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Readonly<Record<string, SchemaNode>>;
  required?: readonly string[];
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  enum?: readonly unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export type FieldKind =
  'object' | 'map' | 'array' | 'enum' | 'text' | 'longText' | 'integer' | 'number' | 'boolean' | 'intOrString' | 'json';

/** Strings longer than this get a text area. */
const LONG_TEXT = 300;

export function fieldKind(node: SchemaNode): FieldKind {
  if (node['x-kubernetes-int-or-string']) return 'intOrString';
  if (node.enum) return 'enum';
  switch (node.type) {
    case 'object':
      if (node.properties) return 'object';
      if (typeof node.additionalProperties === 'object') return 'map';
      return 'json';
    case 'array':
      return node.items ? 'array' : 'json';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      return (node.maxLength ?? Infinity) > LONG_TEXT ? 'longText' : 'text';
    default:
      return 'json';
  }
}

/** The path of a member as the API server names fields: spec.format.targetDurationSeconds, spec.script.beats[0].narration. */
export function childPath(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;
}

/** An element id for a path (ids of the form's controls, their help and their errors). */
export function idOf(path: string): string {
  return `field-${path.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
}

/** What the form says of a node's bounds, e.g. "15 to 7200", "at most 300 characters", "one of 16:9, 9:16". */
export function boundsText(node: SchemaNode): string {
  const parts: string[] = [];
  if (node.minimum !== undefined && node.maximum !== undefined) parts.push(`${node.minimum} to ${node.maximum}`);
  else if (node.minimum !== undefined) parts.push(`at least ${node.minimum}`);
  else if (node.maximum !== undefined) parts.push(`at most ${node.maximum}`);
  if (node.maxLength !== undefined) parts.push(`at most ${node.maxLength} characters`);
  if (node.maxItems !== undefined) parts.push(`at most ${node.maxItems} items`);
  if (node.default !== undefined && typeof node.default !== 'object') parts.push(`default ${String(node.default)}`);
  return parts.join('; ');
}

/** A scalar as a control's text: numbers and strings as they are, nothing for absent. */
export function scalarText(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/** A number control's text as the value: absent when empty, else the number (the API server judges the rest). */
export function parseNumber(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** An int-or-string control's text: a whole number as a number, anything else as text, empty as absent. */
export function parseIntOrString(text: string): number | string | undefined {
  if (text.trim() === '') return undefined;
  return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
}

/** A new item of a list or value of a map: what its schema starts from. */
export function emptyOf(node: SchemaNode): unknown {
  if (node.default !== undefined) return structuredClone(node.default);
  switch (fieldKind(node)) {
    case 'object':
    case 'map':
      return {};
    case 'array':
      return [];
    case 'enum':
      return node.enum![0];
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return node.minimum ?? 0;
    default:
      return '';
  }
}

export interface FieldError {
  field: string;
  message: string;
}

/** The API server's refusals by the path each names; a cause without a field goes under the root. */
export function errorsByPath(fields: readonly FieldError[] | undefined, root: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { field, message } of fields ?? []) {
    const path = field || root;
    out.set(path, [...(out.get(path) ?? []), message]);
  }
  return out;
}

// The script review's arithmetic.

/** Words as a person counts them: runs of letters, digits, apostrophes and hyphens. */
export function wordCount(text: string): number {
  return text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu)?.length ?? 0;
}

/** Seconds the words take at a pace (words per minute). */
export function spokenSeconds(words: number, wordsPerMinute: number): number {
  return wordsPerMinute > 0 ? Math.round((words / wordsPerMinute) * 60) : 0;
}

/** One beat of Episode.spec.script. */
export interface ScriptBeatSpec {
  heading?: string;
  narration: string;
  broll?: string;
}
export interface ScriptSpec {
  title?: string;
  beats: ScriptBeatSpec[];
}

/** The refined script artifact (runners' RefinedScript), as far as the review reads it. */
interface RefinedScriptDoc {
  title?: string;
  beats?: { heading?: string; narration?: string; brollCues?: { description?: string }[] }[];
}

/** The refined script as a spec.script to edit: heading, narration and the B-roll cues in words, within the schema's bounds. */
export function scriptFromRefined(doc: RefinedScriptDoc, bounds: { title: number; heading: number; broll: number }): ScriptSpec {
  const cut = (text: string | undefined, max: number) => (text && text.trim() ? text.trim().slice(0, max) : undefined);
  return {
    title: cut(doc.title, bounds.title),
    beats: (doc.beats ?? []).map((beat) => ({
      heading: cut(beat.heading, bounds.heading),
      narration: beat.narration ?? '',
      broll: cut(
        (beat.brollCues ?? [])
          .map((cue) => cue.description ?? '')
          .filter(Boolean)
          .join('; '),
        bounds.broll,
      ),
    })),
  };
}

/** spec.script as the merge patch sends it: optional fields left empty are absent. */
export function cleanScript(script: ScriptSpec): ScriptSpec {
  const beats = script.beats.map((beat) => {
    const out: ScriptBeatSpec = { narration: beat.narration };
    if (beat.heading?.trim()) out.heading = beat.heading;
    if (beat.broll?.trim()) out.broll = beat.broll;
    return out;
  });
  return script.title?.trim() ? { title: script.title, beats } : { beats };
}
