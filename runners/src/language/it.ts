// Italiano (con il "tu", come d'uso su YouTube). Le parole chiave entrano con "il concetto di …",
// che non richiede l'accordo dell'articolo.
import { joinWith, numberWords, wordSet, type Phrases } from './phrases.ts';

export const it: Phrases = {
  language: 'it',
  stopwords: wordSet(
    'il lo la i gli le un uno una e ed o ma perché che come quando dove chi quale per di del dello della dei degli delle da dal dalla ' +
      'dai in nel nella nei nelle a al alla ai alle con su sul sulla tra fra senza è sono era erano essere ha hanno avere può possono ' +
      'molto molti molte più meno poco tanto già anche solo non sì si ci ne mi ti vi suo sua suoi sue tuo tua mio mia questo questa ' +
      'questi queste quello quella ogni tutto tutta tutti tutte altro altra altri altre oggi qui così',
  ),
  determiners: wordSet(
    'il lo la i gli le l un uno una un al allo alla ai agli alle all del dello della dei degli delle dell nel nello nella nei negli nelle nell sul sullo sulla sui sugli sulle sull dal dallo dalla dai dagli dalle dall ogni molti molte vari varie alcuni alcune nessun nessuna suo sua suoi sue questo questa questi queste quel quello quella',
  ),
  keyword: (noun) => noun,
  list: joinWith(() => 'e'),
  numberWord: numberWords(['nessuna', 'una', 'due', 'tre', 'quattro', 'cinque', 'sei', 'sette', 'otto', 'nove', 'dieci']),

  briefOpeners: {
    spiega: 'Vediamo',
    mostra: 'Vedremo',
    descrivi: 'Vediamo',
    inizia: 'Iniziamo',
    comincia: 'Cominciamo',
    parti: 'Partiamo',
    concludi: 'Concludiamo',
    termina: 'Terminiamo',
    chiudi: 'Chiudiamo',
    confronta: 'Confrontiamo',
  },

  headings: { intro: 'Introduzione', outro: 'Conclusione', part: (n) => `Parte ${n}` },
  cardLabel: (n) => `PARTE ${n}`,

  hooks: [
    (topic, name) => `Sono ${name}, e oggi parliamo di questo: ${topic}.`,
    (topic) => `Oggi vediamo un tema più importante di quanto sembri: ${topic}.`,
    (topic) => `L’argomento di oggi: ${topic}.`,
  ],
  outros: [
    (name) => `Per oggi è tutto. Sono ${name}, grazie per la visione.`,
    (name) => `Grazie per aver guardato. Sono ${name}, e ci vediamo al prossimo video.`,
    (name) => `Sono ${name}. Grazie per l’attenzione, e alla prossima.`,
  ],
  introduce: {
    both: (name, audience) => `Sono ${name}, e questo video è per ${audience}.`,
    audience: (audience) => `Questo video è per ${audience}.`,
    name: (name) => `Sono ${name}.`,
  },
  overview: (count, list) => `Vedremo ${count} idee: ${list}.`,
  pointTo: (reference) => `Per i dettagli, ti indicherò ${reference}.`,
  recap: (list) => `Ricapitolando: ${list}.`,
  tryToday: (k) =>
    `Una cosa da provare oggi: scegli un punto del tuo lavoro in cui entra in gioco il concetto di ${k} e guardalo con occhi nuovi.`,
  sourcesInDescription: 'Le fonti sono nella descrizione, se vuoi approfondire.',
  askInComments: (k) => `Scrivimi nei commenti dove hai già incontrato il concetto di ${k}.`,
  pointLines: [
    (k) => `Chiediti dove entra in gioco il concetto di ${k} nel tuo lavoro.`,
    (k) => `Un errore comune è trattare il tema di ${k} come un dettaglio e andare avanti troppo in fretta.`,
    (k) => `Immagina un esempio della tua vita quotidiana in cui conta il concetto di ${k}.`,
    (k) => `Prima di andare avanti, prova a spiegare il concetto di ${k} con parole tue.`,
    (k) => `Molti si accorgono del ruolo di ${k} solo quando qualcosa va storto.`,
    (k) => `Disegna una volta il concetto di ${k} su un foglio, e ti resterà in mente.`,
  ],
  referenceLines: [
    (reference) => `Per approfondire, ti consiglio ${reference}.`,
    (reference) => `Se vuoi i dettagli, consulta ${reference}.`,
  ],
  transitions: [(k) => `Passiamo al prossimo punto: ${k}.`, (k) => `Ora vediamo: ${k}.`, (k) => `Adesso parliamo di ${k}.`],
  angles: () => [
    'Partiamo dal problema di fondo',
    'L’idea che fa funzionare tutto è più semplice di quanto sembri',
    'Ecco come funziona in pratica',
  ],

  description: {
    learn: 'Cosa imparerai:',
    presentedBy: (name, audience) => `Presentato da ${name}, per ${audience}.`,
    chapters: 'Capitoli:',
    credits: 'Crediti:',
    sources: 'Fonti:',
  },
  shots: ['Primo piano su', 'Diagramma animato su', 'Campo lungo che evoca', 'Mani su una tastiera, alle prese con', 'Panoramica lenta su'],
};
