// `kubectl acog get episodes|channels [NAME...]`: kubectl's get for ACOG objects, with a progress bar.
import { Argument, Option } from 'commander';
import { stringify } from 'yaml';
import { GROUP } from '@acog/api';
import { serialise, table, type OutputFormat } from '../../output/format.ts';
import { CommandError } from '../../kube/errors.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import { RowPrinter, columnsFor } from './columns.ts';
import { collectionPath, getObject, interruption, listObjects, parseKind, type AcogObject, type Kind, type ObjectList } from './common.ts';
import { watchLoop } from './watch-loop.ts';

interface GetOptions {
  output?: Exclude<OutputFormat, 'table'>;
  watch?: boolean;
  selector?: string;
  headers: boolean;
}

function objectName(kind: Kind, object: AcogObject): string {
  return `${kind}.${GROUP}/${object.metadata.name}`;
}

/** One object per watch event, in the chosen format. */
function formatOne(kind: Kind, object: AcogObject, format: 'json' | 'yaml' | 'name'): string {
  if (format === 'name') return objectName(kind, object) + '\n';
  if (format === 'json') return JSON.stringify(object, null, 4) + '\n';
  return '---\n' + stringify(object);
}

function print(io: CommandIO, kind: Kind, items: AcogObject[], options: GetOptions, single: boolean, allNamespaces: boolean): void {
  const format = options.output ?? 'table';
  if (format === 'name') {
    for (const item of items) io.stdout.write(objectName(kind, item) + '\n');
    return;
  }
  if (format === 'json' || format === 'yaml') {
    io.stdout.write(serialise(items, format, single));
    return;
  }
  const text = table(items, columnsFor(kind, allNamespaces), format === 'wide');
  io.stdout.write(options.headers ? text : text.slice(text.indexOf('\n') + 1));
}

async function run(io: CommandIO, kind: Kind, names: string[], options: GetOptions): Promise<void> {
  const connection = io.connection();
  const allNamespaces = connection.allNamespaces;
  if (allNamespaces && names.length)
    throw new CommandError('a resource cannot be retrieved by name across all namespaces: drop -A or the name');
  if (options.watch && names.length > 1) throw new CommandError('--watch takes at most one name');
  const namespace = allNamespaces ? undefined : connection.namespace;

  let items: AcogObject[];
  let list: ObjectList<AcogObject> | undefined;
  const errors: CommandError[] = [];
  if (names.length && !options.watch) {
    items = [];
    for (const name of names) {
      try {
        items.push(await getObject(connection, kind, name));
      } catch (error) {
        if (!(error instanceof CommandError)) throw error;
        errors.push(error);
      }
    }
  } else {
    const fieldSelector = names.length ? `metadata.name=${names[0]}` : undefined;
    list = await listObjects(connection, kind, { namespace, labelSelector: options.selector, fieldSelector });
    items = list.items;
    if (names.length && !items.length)
      errors.push(new CommandError(`${kind} "${names[0]}" not found in namespace "${connection.namespace}"`));
  }
  const format = options.output ?? 'table';
  const tabular = format === 'table' || format === 'wide';
  if (items.length || (!names.length && (format === 'json' || format === 'yaml'))) {
    print(io, kind, items, options, names.length === 1, allNamespaces);
  } else if (!names.length && tabular && options.watch && options.headers) {
    print(io, kind, [], options, false, allNamespaces);
  } else if (!names.length && tabular) {
    io.stderr.write(allNamespaces ? 'No resources found\n' : `No resources found in ${connection.namespace} namespace.\n`);
  }
  if (errors.length) {
    for (const error of errors.slice(0, -1)) io.stderr.write(`error: ${error.message}\n`);
    throw errors[errors.length - 1];
  }
  if (!options.watch || !list) return;

  const rows = new RowPrinter(columnsFor(kind, allNamespaces), format === 'wide', items);
  const stop = interruption();
  try {
    const fieldSelector = names.length ? `metadata.name=${names[0]}` : undefined;
    const result = await watchLoop<AcogObject>({
      kc: connection.kc,
      path: collectionPath(kind, namespace),
      labelSelector: options.selector,
      fieldSelector,
      initial: list,
      relist: () => listObjects(connection, kind, { namespace, labelSelector: options.selector, fieldSelector }),
      onEvent: (_type, object) => {
        io.stdout.write(tabular ? rows.row(object) : formatOne(kind, object, format as 'json' | 'yaml' | 'name'));
      },
      signal: stop.signal,
      what: `${kind === 'episode' ? 'episodes' : 'channels'}${namespace ? ` in namespace "${namespace}"` : ''}`,
    });
    if (result === 'aborted') throw new CommandError('interrupted', 130);
  } finally {
    stop.dispose();
  }
}

export const registerGet: RegisterCommand = (program, io) => {
  program
    .command('get')
    .description('List Episodes or Channels, or show some by name (kubectl get, with a progress bar).')
    .addArgument(new Argument('<type>', 'episodes (ep, epi) or channels (ch)').argParser(parseKind))
    .argument('[names...]', 'names of the objects; all of them when none is given')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['wide', 'json', 'yaml', 'name']))
    .option('-w, --watch', 'after listing, print each change until Ctrl-C')
    .option('-l, --selector <selector>', 'label selector, e.g. acog.dev/channel=engineering-explained')
    .option('--no-headers', 'leave out the header line of the table')
    .addHelpText(
      'after',
      `
Examples:
  kubectl acog get episodes
  kubectl acog get ep how-indexes-work -o yaml
  kubectl acog get channels -A -o wide
  kubectl acog get ep -w`,
    )
    .action((kind: Kind, names: string[], options: GetOptions) => run(io, kind, names, options));
};
