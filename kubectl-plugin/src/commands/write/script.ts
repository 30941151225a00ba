// kubectl acog script: prints an Episode's script as YAML in the shape of spec.script (its own, or
// the refined script of its last run, so that --edit starts from the writer's words), and with
// --edit opens it in $KUBE_EDITOR / $EDITOR as kubectl edit does: a temporary file with comments on
// top, re-opened with the API server's message after a refusal, "Edit cancelled, no changes made."
// when nothing changed. The edit is a merge patch of spec.script; --approve also approves the gate
// the Episode waits at.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { parseDocument, stringify } from 'yaml';
import { decideApprove, type Episode, type EpisodeSpec } from '@acog/api';
import { parseArtifactUri } from '@acog/store';
import { CommandError } from '../../kube/errors.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import { decisionLine, findChannel, getEpisode, mergePatchEpisode, sendDecision, target, type Target } from './common.ts';
import { addS3Options, explainS3Error, s3Connection, type S3Flags } from './s3.ts';

type OwnScript = NonNullable<EpisodeSpec['script']>;

/** The refined script's document, as far as spec.script needs it. */
interface RefinedDocument {
  title?: string;
  beats?: { heading?: string; narration?: string; brollCues?: { description?: string }[] }[];
}

/** A refined script (refine's refined.json) in the shape of spec.script: its title, and per beat the heading, the words and the first cue. */
export function scriptFromRefined(refined: RefinedDocument): OwnScript {
  return {
    ...(refined.title && { title: refined.title.slice(0, 100) }),
    beats: (refined.beats ?? []).map((beat) => ({
      ...(beat.heading && { heading: beat.heading.slice(0, 80) }),
      narration: beat.narration ?? '',
      ...(beat.brollCues?.[0]?.description && { broll: beat.brollCues[0].description.slice(0, 300) }),
    })),
  };
}

/** The URI of refined.json of the Episode's last refine, when its status lists one. */
function refinedUri(episode: Episode): string | undefined {
  const refine = episode.status?.stages?.find((stage) => stage.name === 'refine');
  return refine?.artifacts?.find((uri) => uri.endsWith('/refined.json'));
}

async function readRefined(io: CommandIO, flags: S3Flags, uri: string): Promise<RefinedDocument> {
  const s3 = s3Connection(flags, io.env);
  const { bucket, key } = parseArtifactUri(uri);
  try {
    const answer = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await answer.Body!.transformToString()) as RefinedDocument;
  } catch (error) {
    throw new CommandError(`cannot read the refined script ${uri}: ${explainS3Error(error, s3)}`);
  }
}

/** The script to show: spec.script, else the last run's refined script; an error says what to do when there is neither. */
async function currentScript(io: CommandIO, flags: S3Flags, episode: Episode): Promise<{ script: OwnScript; from: string }> {
  if (episode.spec.script) return { script: episode.spec.script, from: 'spec.script' };
  const uri = refinedUri(episode);
  const name = episode.metadata!.name!;
  if (!uri)
    throw new CommandError(
      `episode "${name}" has no spec.script and no refined script yet: wait until refine has run (kubectl acog get episode ${name}), ` +
        `or write spec.script yourself (kubectl edit episode ${name})`,
    );
  return { script: scriptFromRefined(await readRefined(io, flags, uri)), from: `the refined script of the last run (${uri})` };
}

const HEADER = (name: string, from: string) =>
  [
    `# The script of episode ${name}, from ${from}.`,
    '# Edit it and save: it is written to spec.script, which plan, script and refine then use as written',
    '# (refine checks only the banned topics and the length). A beat is narration, and optionally heading and broll.',
    '# Lines starting with # are ignored; an empty file cancels the edit.',
    '#',
  ].join('\n');

/** The editor as kubectl finds it: $KUBE_EDITOR, else $EDITOR, else vi. */
export function editorOf(env: Record<string, string | undefined>): string {
  return env.KUBE_EDITOR?.trim() || env.EDITOR?.trim() || 'vi';
}

async function runEditor(editor: string, file: string, env: Record<string, string | undefined>): Promise<void> {
  // Through the shell, as kubectl does: EDITOR may carry arguments ("code --wait").
  const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'editor', file], { stdio: 'inherit', env: env as NodeJS.ProcessEnv });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new CommandError(`the editor "${editor}" exited with ${code}: nothing was changed`);
}

/** The text without comment lines, for comparing edits. */
function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .trim();
}

/** Parses the edited YAML; a problem is a message for the re-opened file. */
export function parseEditedScript(text: string): { script?: OwnScript; problem?: string } {
  const document = parseDocument(text);
  if (document.errors.length > 0) return { problem: `the file is not valid YAML: ${document.errors[0]!.message.split('\n')[0]}` };
  const value = document.toJS() as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { problem: 'the file must hold a mapping with beats (and optionally title)' };
  return { script: value as OwnScript };
}

/** A merge patch that makes spec.script exactly `script`: a title left out is removed. */
export function scriptPatch(script: OwnScript): object {
  return { spec: { script: { title: null, ...script } } };
}

export const registerScript: RegisterCommand = (program, io) => {
  const command = program
    .command('script')
    .description("Print an Episode's script as YAML (spec.script, else the last run's refined script); --edit changes it in $EDITOR.")
    .argument('<episode>', 'the Episode')
    .option('--edit', 'open the script in $KUBE_EDITOR or $EDITOR (as kubectl edit) and write it to spec.script')
    .option('--approve', 'with --edit: also approve the gate the episode waits at once the script is saved')
    .addHelpText(
      'after',
      `
Examples:
  kubectl acog script how-indexes-work                    # print it
  kubectl acog script how-indexes-work --edit --approve   # review at the voice gate, save and go on

The edit is written to spec.script (visible to GitOps); editing a beat's words re-runs voice and what follows, not the writer.`,
    );
  addS3Options(command).action(async (name: string, options: { edit?: boolean; approve?: boolean } & S3Flags) => {
    if (options.approve && !options.edit)
      throw new CommandError('--approve goes with --edit (to approve without editing: kubectl acog approve ' + name + ')');
    const t = target(io);
    const episode = await getEpisode(t, name);
    const { script, from } = await currentScript(io, options, episode);
    if (!options.edit) {
      io.stdout.write(stringify(script, { lineWidth: 0 }));
      return;
    }
    const saved = await editScript(io, t, name, script, from);
    if (!saved) return;
    if (options.approve) {
      const updated = await getEpisode(t, name);
      const channel = await findChannel(t, updated.spec.channelRef.name);
      const decision = decideApprove(updated, channel, {}, new Date());
      if (decision.outcome === 'refused') throw new CommandError(`${decision.message}: the script was saved, nothing was approved`);
      if (decision.outcome === 'patch') await sendDecision(t, name, decision, 'none');
      io.stdout.write(decisionLine(name, decision, 'none'));
    }
  });
};

/** The edit loop of kubectl edit; true when spec.script was written. */
async function editScript(io: CommandIO, t: Target, name: string, script: OwnScript, from: string): Promise<boolean> {
  const folder = await mkdtemp(join(tmpdir(), 'kubectl-acog-script-'));
  const file = join(folder, `${name}-script.yaml`);
  const original = stringify(script, { lineWidth: 0 });
  let body = original;
  let problem: string | undefined;
  try {
    for (;;) {
      const header = HEADER(name, from) + (problem ? `\n# The last edit was refused:\n#   ${problem.replace(/\n/g, '\n#   ')}\n#` : '');
      await writeFile(file, `${header}\n${body}`, { mode: 0o600 });
      await runEditor(editorOf(io.env), file, io.env);
      const edited = await readFile(file, 'utf8');
      const content = withoutComments(edited);
      if (!content) {
        io.stdout.write('Edit cancelled, saved file was empty.\n');
        return false;
      }
      if (content === withoutComments(body)) {
        if (!problem) {
          io.stdout.write('Edit cancelled, no changes made.\n');
          return false;
        }
        throw new CommandError(`Edit cancelled, no valid changes were saved: ${problem}`);
      }
      body = edited
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('#'))
        .join('\n')
        .trimStart();
      if (content === withoutComments(original)) {
        io.stdout.write('Edit cancelled, no changes made.\n');
        return false;
      }
      const parsed = parseEditedScript(body);
      if (parsed.problem) {
        problem = parsed.problem;
        continue;
      }
      try {
        await mergePatchEpisode(t, name, scriptPatch(parsed.script!), 'none');
      } catch (error) {
        problem = (error as Error).message;
        continue;
      }
      io.stdout.write(`episode.acog.dev/${name} edited (spec.script)\n`);
      return true;
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
