#!/usr/bin/env node
// kubectl-acog: found by kubectl as a plugin (`kubectl acog …`), and runnable on its own.
// Exit codes: 0 success, 1 an error (the message says what to do), 2 wrong usage, 130 interrupted.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerPulse } from './commands/pulse.ts';
import { readCommands } from './commands/read/index.ts';
import { registerRender } from './commands/render.ts';
import type { CommandIO, RegisterCommand } from './commands/types.ts';
import { writeCommands } from './commands/write/index.ts';
import { connect, ConfigError, type Connection } from './kube/config.ts';
import { CommandError } from './kube/errors.ts';

const COMMANDS: RegisterCommand[] = [...readCommands, ...writeCommands, registerPulse, registerRender];

export function program(io: Omit<CommandIO, 'connection'>): Command {
  const cli = new Command('kubectl-acog')
    .description('Drive ACOG (automated video production on Kubernetes) from the terminal.')
    .option('--kubeconfig <file>', 'the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('-n, --namespace <name>', 'the namespace (default: the context namespace, else default)')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: true })
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  let connection: Connection | undefined;
  const full: CommandIO = {
    ...io,
    connection() {
      if (!connection) {
        const flags = cli.opts<{ kubeconfig?: string; context?: string; namespace?: string; allNamespaces?: boolean }>();
        connection = connect(flags, io.env);
      }
      return connection;
    },
  };
  for (const register of COMMANDS) register(cli, full);
  for (const command of cli.commands)
    command.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  return cli;
}

/** Runs the CLI; resolves with the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[], io: Omit<CommandIO, 'connection'>): Promise<number> {
  try {
    await program(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CommandError) {
      io.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

const invokedDirectly = process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
}
