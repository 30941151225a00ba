// JSON schemas of what the OpenAI writer asks a model for, written for structured outputs in strict
// mode (every property required, additionalProperties false, only supported keywords), and a
// checker for what comes back: one definition serves the request and the validation.

export type JsonSchema =
  | { type: 'object'; properties: Record<string, JsonSchema>; required: string[]; additionalProperties: false; description?: string }
  | { type: 'array'; items: JsonSchema; description?: string }
  | { type: 'string'; enum?: string[]; description?: string }
  | { type: 'number' | 'integer' | 'boolean'; description?: string };

function object(properties: Record<string, JsonSchema>, description?: string): JsonSchema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
    ...(description ? { description } : {}),
  };
}
function string(description?: string, values?: string[]): JsonSchema {
  return { type: 'string', ...(values ? { enum: values } : {}), ...(description ? { description } : {}) };
}
function array(items: JsonSchema, description?: string): JsonSchema {
  return { type: 'array', items, ...(description ? { description } : {}) };
}

const brollCue = object({
  description: string('What should be seen, in words a stock-footage search understands.'),
  keywords: array(string(), 'Search words, most important first.'),
});

export const planSchema: JsonSchema = object({
  title: string('Working title of the episode.'),
  hook: string('The first spoken sentence: why the viewer should stay.'),
  beats: array(
    object({
      heading: string('A short heading, also the chapter title.'),
      summary: string('What the beat says, in a sentence or two.'),
      points: array(string(), 'The key points of the episode this beat covers.'),
      brollCues: array(brollCue, 'One to three moments of B-roll.'),
      targetSeconds: { type: 'number', description: 'Share of the episode duration in seconds.' },
    }),
    'In order: an opening beat, one beat per key point, a closing beat.',
  ),
  outro: string('The closing spoken line, e.g. the call to action.'),
});

export function scriptSchema(beatIds: string[]): JsonSchema {
  return object({
    beats: array(
      object({ id: string('The beat id from the plan.', beatIds), narration: string('What the narrator says in this beat.') }),
      'One entry per beat of the plan, in order.',
    ),
  });
}

export function refineSchema(beatIds: string[]): JsonSchema {
  return object({
    beats: array(
      object({ id: string('The beat id.', beatIds), narration: string('The revised narration of this beat.') }),
      'Every beat, in order.',
    ),
    notes: array(string(), 'What was changed and why, one short sentence each, for the reviewer.'),
  });
}

export function metadataSchema(beatIds: string[]): JsonSchema {
  return object({
    title: string('YouTube title, at most 100 characters, no angle brackets.'),
    description: string('YouTube description, plain text, no angle brackets.'),
    tags: array(string(), 'Search tags.'),
    chapters: array(
      object({ beatId: string('The beat id.', beatIds), title: string('Chapter title.') }),
      'One chapter per beat, in order.',
    ),
    thumbnailText: string('At most five words for the thumbnail.'),
  });
}

/** What is wrong with a value against a schema, as "$.beats[2].id: …" lines; empty when it matches. */
export function schemaErrors(value: unknown, schema: JsonSchema, path = '$'): string[] {
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object`];
      const record = value as Record<string, unknown>;
      const errors = schema.required.filter((key) => !(key in record)).map((key) => `${path}.${key}: missing`);
      for (const key of Object.keys(record)) {
        const property = schema.properties[key];
        if (!property) errors.push(`${path}.${key}: not allowed`);
        else errors.push(...schemaErrors(record[key], property, `${path}.${key}`));
      }
      return errors;
    }
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected an array`];
      return value.flatMap((item, index) => schemaErrors(item, schema.items, `${path}[${index}]`));
    case 'string':
      if (typeof value !== 'string') return [`${path}: expected a string`];
      return schema.enum && !schema.enum.includes(value) ? [`${path}: expected one of ${schema.enum.join(', ')}`] : [];
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? [] : [`${path}: expected a number`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${path}: expected an integer`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected true or false`];
  }
}
