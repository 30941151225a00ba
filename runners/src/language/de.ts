// Deutsch (du-Form, wie auf YouTube üblich). Schlagwörter werden mit „Stichwort …" oder „das Thema …"
// eingebettet, damit kein Artikel zum Genus passen muss.
import { joinWith, numberWords, wordSet, type Phrases } from './phrases.ts';

export const de: Phrases = {
  language: 'de',
  stopwords: wordSet(
    'der die das den dem des ein eine einen einem einer eines und oder aber doch sondern denn weil wenn dass ob als wie warum was wer wo wann ' +
      'ist sind war waren wird werden wurde hat haben hatte kann können muss müssen soll sollen nicht nur auch noch schon sehr so viel viele ' +
      'mehr weniger in im ins an am auf aus bei mit nach von vom zu zum zur für über unter vor hinter zwischen durch gegen ohne um ' +
      'ich du er sie es wir ihr man sich mich dich uns euch dein deine ihre ihr sein seine jeder jede jedes alle alles diese dieser dieses ' +
      'einmal immer wirklich heute hier dort dann also',
  ),
  capitalisedNouns: true,
  keyword: (noun) => noun,
  list: joinWith(() => 'und'),
  numberWord: numberWords(['kein', 'ein', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun', 'zehn']),

  briefOpeners: {
    zeige: 'Wir sehen',
    zeig: 'Wir sehen',
    erkläre: 'Schauen wir uns an',
    erklär: 'Schauen wir uns an',
    beschreibe: 'Schauen wir uns an',
    beginne: 'Wir beginnen',
    fang: 'Wir fangen',
    starte: 'Wir starten',
    vergleiche: 'Wir vergleichen',
    schließe: 'Wir schließen',
    ende: 'Wir enden',
    nenne: 'Wir nennen',
    frage: 'Wir fragen',
    geh: 'Wir gehen',
    gehe: 'Wir gehen',
  },

  headings: { intro: 'Einleitung', outro: 'Fazit', part: (n) => `Teil ${n}` },
  cardLabel: (n) => `TEIL ${n}`,

  hooks: [
    (topic, name) => `${name} hier. Unser Thema heute: ${topic}.`,
    (topic) => `Heute geht es um ein Thema, das wichtiger ist, als es aussieht: ${topic}.`,
    (topic) => `Heute schauen wir uns an: ${topic}.`,
  ],
  outros: [
    (name) => `Das war's für heute. Ich bin ${name}, danke fürs Zuschauen.`,
    (name) => `Danke fürs Zuschauen. Ich bin ${name}, bis zum nächsten Mal.`,
    (name) => `Ich bin ${name}. Danke fürs Zuschauen, und bis zum nächsten Video.`,
  ],
  introduce: {
    both: (name, audience) => `Ich bin ${name}, und dieses Video ist für ${audience}.`,
    audience: (audience) => `Dieses Video ist für ${audience}.`,
    name: (name) => `Ich bin ${name}.`,
  },
  overview: (count, list) => `Wir gehen ${count} Punkte durch: ${list}.`,
  pointTo: (reference) => `Für die Details verweise ich unterwegs auf ${reference}.`,
  recap: (list) => `Kurz zusammengefasst: ${list}.`,
  tryToday: (k) =>
    `Ein Vorschlag für heute: Such dir eine Stelle in deiner Arbeit, an der das Thema ${k} eine Rolle spielt, und schau sie dir mit frischem Blick an.`,
  sourcesInDescription: 'Die Quellen findest du in der Videobeschreibung, falls du tiefer einsteigen willst.',
  askInComments: (k) => `Schreib mir in die Kommentare, wo dir das Thema ${k} schon begegnet ist.`,
  pointLines: [
    (k) => `Stichwort ${k}: Wo begegnet dir das in deiner eigenen Arbeit?`,
    (k) => `Ein typischer Fehler beim Thema ${k}: Man hält es für ein Detail und geht zu schnell weiter.`,
    (k) => `Stell dir das Thema ${k} einmal an einem Beispiel aus deinem Alltag vor.`,
    (k) => `Versuch einmal, das Thema ${k} in eigenen Worten zu erklären, bevor es weitergeht.`,
    (k) => `Beim Thema ${k} merken viele erst etwas, wenn etwas schiefgeht.`,
    (k) => `Skizziere das Thema ${k} einmal auf Papier, dann bleibt es hängen.`,
  ],
  referenceLines: [(reference) => `Zum Weiterlesen: ${reference}.`, (reference) => `Mehr Details dazu findest du hier: ${reference}.`],
  transitions: [(k) => `Als Nächstes: ${k}.`, (k) => `Damit zum nächsten Stichwort: ${k}.`, (k) => `Weiter geht es mit dem Thema ${k}.`],
  angles: () => [
    'Fangen wir mit dem Problem an, um das es geht',
    'Die Idee, mit der es funktioniert, ist einfacher, als sie aussieht',
    'So sieht das in der Praxis aus',
  ],

  description: {
    learn: 'Das lernst du in diesem Video:',
    presentedBy: (name, audience) => `Präsentiert von ${name}, für ${audience}.`,
    chapters: 'Kapitel:',
    credits: 'Bildnachweise:',
    sources: 'Quellen:',
  },
  shots: [
    'Nahaufnahme zum Thema',
    'Animiertes Diagramm zum Thema',
    'Weite Einstellung zum Thema',
    'Hände an einer Tastatur, Thema',
    'Langsamer Schwenk zum Thema',
  ],
};
