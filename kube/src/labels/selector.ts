// Label selectors as kubectl's -l takes them (k8s.io/apimachinery/pkg/labels): equality-based
// (k=v, k==v, k!=v) and set-based (k in (a,b), k notin (a,b), k, !k), comma-separated. Pure.

export interface LabelRequirement {
  key: string;
  /** `in` also stands for = and ==; `notin` for !=. */
  operator: 'in' | 'notin' | 'exists' | '!';
  values: string[];
}

export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

// A qualified name: an optional DNS-subdomain prefix and "/", then 1 to 63 characters.
const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Splits at commas outside parentheses. */
function parts(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += char;
  }
  out.push(current);
  return out.map((part) => part.trim());
}

function checkKey(key: string, part: string): string {
  if (!KEY.test(key) || key.length > 317)
    throw new LabelSelectorError(`"${part}": "${key}" is not a label key (letters, digits, -, _ and ., with an optional prefix/)`);
  return key;
}

function checkValue(value: string, part: string): string {
  if (!VALUE.test(value) || value.length > 63)
    throw new LabelSelectorError(`"${part}": "${value}" is not a label value (at most 63 letters, digits, -, _ and .)`);
  return value;
}

/** The requirements of a selector; an empty selector selects everything. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (!selector.trim()) return [];
  return parts(selector).map((part): LabelRequirement => {
    if (!part) throw new LabelSelectorError('an empty requirement between commas');
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part);
    if (set) {
      const values = set[3]
        .split(',')
        .map((value) => value.trim())
        .map((value) => checkValue(value, part));
      if (!values.length) throw new LabelSelectorError(`"${part}": name at least one value in the parentheses`);
      return { key: checkKey(set[1], part), operator: set[2] as 'in' | 'notin', values };
    }
    const equality = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (equality)
      return {
        key: checkKey(equality[1], part),
        operator: equality[2] === '!=' ? 'notin' : 'in',
        values: [checkValue(equality[3], part)],
      };
    const absent = /^!\s*(\S+)$/.exec(part);
    if (absent) return { key: checkKey(absent[1], part), operator: '!', values: [] };
    if (/^\S+$/.test(part)) return { key: checkKey(part, part), operator: 'exists', values: [] };
    throw new LabelSelectorError(`"${part}": use k=v, k!=v, k in (a,b), k notin (a,b), k or !k`);
  });
}

/** Whether labels satisfy every requirement. */
export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  return requirements.every(({ key, operator, values }) => {
    const has = labels !== undefined && Object.hasOwn(labels, key);
    switch (operator) {
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'in':
        return has && values.includes(labels[key]);
      case 'notin':
        return !has || !values.includes(labels[key]);
    }
  });
}
