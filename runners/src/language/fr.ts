// Français (vouvoiement). Les mots-clés sont introduits par « la notion de … », avec l'élision
// devant une voyelle (« la notion d'index »).
import { joinWith, numberWords, wordSet, type Phrases } from './phrases.ts';

/** "de" before a word, elided before a vowel or a mute h: "de cache", "d’index". */
const de = (word: string) => (/^[aeiouyhàâäéèêëîïôöûüæœ]/iu.test(word) ? `d’${word}` : `de ${word}`);

export const fr: Phrases = {
  language: 'fr',
  stopwords: wordSet(
    'le la les l un une des du de d et ou mais donc car que qu qui quoi dont où comment pourquoi quand si ne pas plus moins très trop ' +
      'est sont était étaient être a ont avoir fait peut peuvent doit sur sous dans en au aux avec sans pour par entre chez vers ' +
      'ce cet cette ces se sa son ses leur leurs notre nos votre vos mon ma mes il elle ils elles on nous vous je tu y tout toute tous toutes ' +
      'chaque autre autres aussi encore déjà aujourd hui ici ainsi comme',
  ),
  determiners: wordSet(
    'le la les l un une des du au aux chaque aucun aucune plusieurs nombreux nombreuses sa son ses leur leurs notre nos votre vos mon ma mes ce cet cette ces tout toute tous toutes',
  ),
  keyword: (noun) => noun,
  list: joinWith(() => 'et'),
  numberWord: numberWords(['aucune', 'une', 'deux', 'trois', 'quatre', 'cinq', 'six', 'sept', 'huit', 'neuf', 'dix']),

  briefOpeners: {
    explique: 'Voyons',
    expliquez: 'Voyons',
    montre: 'Nous verrons',
    montrez: 'Nous verrons',
    décris: 'Voyons',
    décrivez: 'Voyons',
    commence: 'Commençons',
    commencez: 'Commençons',
    termine: 'Terminons',
    terminez: 'Terminons',
    compare: 'Comparons',
    comparez: 'Comparons',
    finis: 'Finissons',
    finissez: 'Finissons',
  },

  headings: { intro: 'Introduction', outro: 'Conclusion', part: (n) => `Partie ${n}` },
  cardLabel: (n) => `PARTIE ${n}`,

  hooks: [
    (topic, name) => `Ici ${name}, et aujourd’hui, au programme : ${topic}.`,
    (topic) => `Aujourd’hui, un sujet plus important qu’il n’y paraît : ${topic}.`,
    (topic) => `Notre sujet du jour : ${topic}.`,
  ],
  outros: [
    (name) => `C’est tout pour aujourd’hui. Ici ${name}, merci d’avoir regardé.`,
    (name) => `Merci d’avoir regardé. Je suis ${name}, et on se retrouve dans la prochaine vidéo.`,
    (name) => `Je suis ${name}. Merci de votre attention, et à bientôt.`,
  ],
  introduce: {
    both: (name, audience) => `Je suis ${name}, et cette vidéo est faite pour ${audience}.`,
    audience: (audience) => `Cette vidéo est faite pour ${audience}.`,
    name: (name) => `Je suis ${name}.`,
  },
  overview: (count, list) => `Nous allons voir ${count} idées : ${list}.`,
  pointTo: (reference) => `Pour les détails, je vous renverrai vers ${reference}.`,
  recap: (list) => `En résumé : ${list}.`,
  tryToday: (k) =>
    `Une chose à essayer dès aujourd’hui : repérez un endroit de votre travail où la notion ${de(k)} intervient, et regardez-le d’un œil neuf.`,
  sourcesInDescription: 'Les sources sont dans la description, si vous voulez approfondir.',
  askInComments: (k) => `Dites-moi en commentaire où vous avez déjà croisé la notion ${de(k)}.`,
  pointLines: [
    (k) => `Demandez-vous où la notion ${de(k)} intervient dans votre propre travail.`,
    (k) => `Une erreur fréquente consiste à traiter la question ${de(k)} comme un détail et à passer trop vite.`,
    (k) => `Imaginez un exemple tiré de votre quotidien où la notion ${de(k)} entre en jeu.`,
    (k) => `Avant d’aller plus loin, essayez d’expliquer la notion ${de(k)} avec vos propres mots.`,
    (k) => `Souvent, on ne remarque le rôle ${de(k)} que lorsque quelque chose se passe mal.`,
    (k) => `Dessinez une fois la notion ${de(k)} sur papier, et elle vous restera en tête.`,
  ],
  referenceLines: [
    (reference) => `Pour aller plus loin, je vous recommande ${reference}.`,
    (reference) => `Pour les détails, consultez ${reference}.`,
  ],
  transitions: [(k) => `Passons au point suivant : ${k}.`, (k) => `Voyons maintenant la notion ${de(k)}.`, (k) => `Ensuite : ${k}.`],
  angles: () => [
    'Commençons par le problème de départ',
    'L’idée qui fait tout fonctionner est plus simple qu’il n’y paraît',
    'Voyons ce que cela donne en pratique',
  ],

  description: {
    learn: 'Ce que vous allez apprendre :',
    presentedBy: (name, audience) => `Présenté par ${name}, pour ${audience}.`,
    chapters: 'Chapitres :',
    credits: 'Crédits :',
    sources: 'Sources :',
  },
  shots: ['Gros plan sur', 'Schéma animé sur', 'Plan large évoquant', 'Mains sur un clavier, autour de', 'Panoramique lent sur'],
};
