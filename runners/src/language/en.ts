// English.
import { ENGLISH, lowerFirst, spokenList } from '../providers/writer/text.ts';
import { numberWords, type Phrases } from './phrases.ts';

const topicPhrase = (topic: string) => lowerFirst(topic.replace(/[.!]+$/u, '').trim());

export const en: Phrases = {
  language: 'en',
  ...ENGLISH,
  keyword: (noun) => (/^the /i.test(noun) ? noun : `the ${noun}`),
  list: spokenList,
  numberWord: numberWords(['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten']),

  briefOpeners: {},

  headings: { intro: 'Introduction', outro: 'Wrap-up', part: (n) => `Part ${n}` },
  cardLabel: (n) => `PART ${n}`,

  hooks: [
    (topic) => `Today we look at ${topicPhrase(topic)}, and by the end it will feel obvious.`,
    (topic) => `Let's talk about ${topicPhrase(topic)}, because it matters more than it looks.`,
    (topic, name) => `${name} here, and today we look at ${topicPhrase(topic)}.`,
  ],
  outros: [
    (name) => `That's it for today. I'm ${name}, thanks for watching.`,
    (name) => `Thanks for watching. I'm ${name}, and I'll see you in the next one.`,
    (name) => `I'm ${name}. Thanks for watching, and see you next time.`,
  ],
  introduce: {
    both: (name, audience) => `I'm ${name}, and this one is for ${audience}.`,
    audience: (audience) => `This one is for ${audience}.`,
    name: (name) => `I'm ${name}.`,
  },
  overview: (count, list) => `We will go through ${count} ideas: ${list}.`,
  pointTo: (reference) => `Along the way, I will point you to ${reference} for the details.`,
  recap: (list) => `To recap: ${list}.`,
  tryToday: (k) => `Here is one thing you can try today: pick one place where ${k} shows up in your work and look at it with fresh eyes.`,
  sourcesInDescription: 'The sources are in the description if you want to dig deeper.',
  askInComments: (k) => `Tell me in the comments where you have run into ${k}.`,
  pointLines: [
    (k) => `Picture the last time you ran into ${k} in your own work.`,
    (k) => `A common mistake is to treat ${k} as a detail and move on too quickly.`,
    (k) => `Ask yourself where you meet ${k} in what you build or use every day.`,
    (k) => `Before moving on, try to explain ${k} in your own words.`,
    (k) => `People often notice ${k} only when something goes wrong.`,
    (k) => `Sketch ${k} on paper once, and it tends to stay with you.`,
  ],
  referenceLines: [
    (reference) => `If you want to go deeper, ${reference} covers this well.`,
    (reference) => `${reference} has a good treatment of this, if you want the details.`,
  ],
  transitions: [(k) => `That brings us to ${k}.`, (k) => `Next up: ${k}.`, (k) => `Now, on to ${k}.`],
  angles: (topic) => [
    `Let's start with the problem behind ${topicPhrase(topic)}`,
    `The idea that makes it work is simpler than it looks`,
    `Here is how it plays out in practice`,
  ],

  description: {
    learn: 'What you will learn:',
    presentedBy: (name, audience) => `Presented by ${name}, for ${audience}.`,
    chapters: 'Chapters:',
    credits: 'Credits:',
    sources: 'Sources:',
  },
  shots: [
    'Close-up footage of',
    'An animated diagram of',
    'A wide establishing shot suggesting',
    'Hands at a keyboard, working with',
    'A slow pan across',
  ],
};
