import type { Command } from 'commander';
import type { Connection } from '../kube/config.ts';

/** What every command gets: its streams, the environment, and the cluster connection (made on first use). */
export interface CommandIO {
  /** For questions (cancel's confirmation); process.stdin when absent. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  env: Record<string, string | undefined>;
  /** From the global flags --kubeconfig, --context, -n and -A. */
  connection(): Connection;
  /** The clock (doctor's model shutdown dates); the real one when absent. */
  now?: () => Date;
}

/** A command module adds its command(s) to the program. */
export type RegisterCommand = (program: Command, io: CommandIO) => void;
