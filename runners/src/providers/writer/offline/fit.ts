// Fitting a script to the target length: one draft per beat with a word budget, filled, extended
// and trimmed sentence by sentence.
import type { BrollCue, ScriptBeat } from '../../../contract/documents.ts';
import { describeLength, type LengthTarget } from '../rules.ts';
import { countWords } from '../text.ts';
import type { Extra, Role } from './sentences.ts';

export interface BeatDraft {
  id: string;
  heading: string;
  brollCues: BrollCue[];
  role: Role;
  /** Words this beat should have, from its share of the duration. */
  budget: number;
  /** Sentences the beat must say: at the start (lead) and at the end (tail). */
  lead: string[];
  tail: string[];
  /** Chosen optional sentences. */
  body: Extra[];
  /** Optional sentences not used yet, most wanted first. */
  pool: Extra[];
}

/** A beat's draft: which beat it is, its role and word budget, and what it says so far. */
export function beatDraft(
  beat: Pick<ScriptBeat, 'id' | 'heading' | 'brollCues'>,
  role: Role,
  budget: number,
  text: Pick<BeatDraft, 'lead' | 'tail' | 'body' | 'pool'>,
): BeatDraft {
  return { id: beat.id, heading: beat.heading, brollCues: beat.brollCues, role, budget, ...text };
}

function draftWords(draft: BeatDraft): number {
  return (
    [...draft.lead, ...draft.tail].reduce((sum, text) => sum + countWords(text), 0) + draft.body.reduce((sum, item) => sum + item.words, 0)
  );
}

export function totalWords(drafts: BeatDraft[]): number {
  return drafts.reduce((sum, draft) => sum + draftWords(draft), 0);
}

export function fixedWords(drafts: BeatDraft[]): number {
  return drafts.reduce((sum, draft) => sum + [...draft.lead, ...draft.tail].reduce((beatSum, text) => beatSum + countWords(text), 0), 0);
}

/** The sentences wanted most (the brief's, the presenter's introduction) go in while the script is below the target words. */
export function addPreferred(drafts: BeatDraft[], target: LengthTarget): void {
  for (const draft of drafts) {
    for (const candidate of draft.pool.filter((item) => item.preferred)) {
      if (totalWords(drafts) + candidate.words > target.words) continue;
      draft.body.push(candidate);
      draft.pool.splice(draft.pool.indexOf(candidate), 1);
    }
  }
}

/** Fill each beat up to its own budget, in the order its sentences are wanted. */
export function fillBeats(drafts: BeatDraft[]): void {
  for (const draft of drafts) {
    for (const candidate of [...draft.pool]) {
      if (draftWords(draft) + candidate.words > draft.budget) continue;
      draft.body.push(candidate);
      draft.pool.splice(draft.pool.indexOf(candidate), 1);
    }
  }
}

/** Adds sentences where the script is shortest against its budget while it is more than `slack` below the target words. */
export function extend(drafts: BeatDraft[], target: LengthTarget, slack = 0.02): number {
  const ceiling = Math.floor(target.words * 1.04);
  let added = 0;
  while (totalWords(drafts) < target.words * (1 - slack)) {
    const room = ceiling - totalWords(drafts);
    const byNeed = [...drafts].sort((a, b) => draftWords(a) / a.budget - draftWords(b) / b.budget);
    const draft = byNeed.find((candidate) => candidate.pool.some((item) => item.words <= room));
    if (!draft) break;
    const chosen = draft.pool.find((item) => item.words <= room)!;
    draft.pool.splice(draft.pool.indexOf(chosen), 1);
    draft.body.push(chosen);
    added++;
  }
  return added;
}

/** Removes optional sentences where the script is longest against its budget while it is more than `slack` above the target words. */
export function trim(drafts: BeatDraft[], target: LengthTarget, slack = 0.02): number {
  const floor = Math.ceil(target.words * 0.96);
  let removed = 0;
  while (totalWords(drafts) > target.words * (1 + slack)) {
    const excess = totalWords(drafts) - target.words;
    const byExcess = [...drafts]
      .filter((draft) => draft.body.length > 0)
      .sort((a, b) => draftWords(b) / b.budget - draftWords(a) / a.budget);
    // The brief's sentences and the introduction go last; otherwise the sentence that takes the
    // script closest to the target without going below the floor, from the beat most over budget.
    // Past the longest length allowed, a sentence may take the script below the floor, down to the shortest allowed.
    const lowest = totalWords(drafts) > target.maxWords ? Math.min(floor, target.minWords) : floor;
    const candidates = [floor, lowest].flatMap((least) =>
      [false, true].flatMap((preferred) =>
        byExcess.map((draft) => ({
          draft,
          items: draft.body.filter((item) => !!item.preferred === preferred && totalWords(drafts) - item.words >= least),
        })),
      ),
    );
    const found = candidates.find((candidate) => candidate.items.length > 0);
    if (!found) break;
    const chosen = found.items.reduce((best, item) => (Math.abs(item.words - excess) < Math.abs(best.words - excess) ? item : best));
    found.draft.body.splice(found.draft.body.indexOf(chosen), 1);
    removed++;
  }
  return removed;
}

export function cannotFit(drafts: BeatDraft[], target: LengthTarget, what: string): Error {
  return new Error(
    `The offline writer cannot fit the script to the target length: ${what} (${describeLength(totalWords(drafts), target)}). ` +
      (totalWords(drafts) > target.maxWords
        ? `Raise targetDurationSeconds, or shorten the brief and the key points.`
        : `Add key points or sentences to the brief, or lower targetDurationSeconds (the offline writer says each of the episode's ideas once and adds no filler).`),
  );
}

export function render(draft: BeatDraft): ScriptBeat {
  const body = [...draft.body.filter((item) => !item.atEnd), ...draft.body.filter((item) => item.atEnd)].map((item) => item.text);
  return { id: draft.id, heading: draft.heading, narration: [...draft.lead, ...body, ...draft.tail].join(' '), brollCues: draft.brollCues };
}

export function budgets(seconds: number[], target: LengthTarget): number[] {
  const total = seconds.reduce((sum, value) => sum + value, 0) || 1;
  return seconds.map((value) => Math.max(1, (value / total) * target.words));
}
