// Português (do Brasil, com "você"; lido também em Portugal). As palavras-chave entram com
// "o conceito de …", que dispensa concordância de artigo.
import { joinWith, numberWords, wordSet, type Phrases } from './phrases.ts';

export const pt: Phrases = {
  language: 'pt',
  stopwords: wordSet(
    'o a os as um uma uns umas e ou mas porque que quê como quando onde quem qual por para de do da dos das no na nos nas ao aos à às ' +
      'em com sem sobre entre até desde contra é são era eram foi ser está estão estar tem têm pode podem muito muita muitos muitas mais ' +
      'menos pouco tão já também só não sim se lhe lhes me te nos seu sua seus suas você vocês meu minha este esta estes estas esse essa ' +
      'esses essas cada todo toda todos todas outro outra outros outras hoje aqui assim',
  ),
  determiners: wordSet(
    'o a os as um uma uns umas ao aos à às do da dos das no na nos nas num numa cada muitos muitas vários várias nenhum nenhuma seu sua seus suas este esta estes estas esse essa esses essas todo toda todos todas',
  ),
  keyword: (noun) => noun,
  list: joinWith(() => 'e'),
  numberWord: numberWords(['nenhuma', 'uma', 'duas', 'três', 'quatro', 'cinco', 'seis', 'sete', 'oito', 'nove', 'dez']),

  briefOpeners: {
    explique: 'Vamos ver',
    explica: 'Vamos ver',
    mostre: 'Vamos ver',
    mostra: 'Vamos ver',
    descreva: 'Vamos ver',
    comece: 'Começamos',
    começa: 'Começamos',
    termine: 'Terminamos',
    termina: 'Terminamos',
    compare: 'Comparamos',
    compara: 'Comparamos',
  },

  headings: { intro: 'Introdução', outro: 'Conclusão', part: (n) => `Parte ${n}` },
  cardLabel: (n) => `PARTE ${n}`,

  hooks: [
    (topic, name) => `Aqui é ${name}, e hoje o nosso tema é: ${topic}.`,
    (topic) => `Hoje vamos falar de um assunto que importa mais do que parece: ${topic}.`,
    (topic) => `O tema de hoje: ${topic}.`,
  ],
  outros: [
    (name) => `É isso por hoje. Eu sou ${name}, valeu por assistir.`,
    (name) => `Valeu por assistir. Eu sou ${name}, e a gente se vê no próximo vídeo.`,
    (name) => `Eu sou ${name}. Até o próximo vídeo!`,
  ],
  introduce: {
    both: (name, audience) => `Eu sou ${name}, e este vídeo é para ${audience}.`,
    audience: (audience) => `Este vídeo é para ${audience}.`,
    name: (name) => `Eu sou ${name}.`,
  },
  overview: (count, list) => `Vamos ver ${count} ideias: ${list}.`,
  pointTo: (reference) => `Para os detalhes, vou indicar ${reference}.`,
  recap: (list) => `Recapitulando: ${list}.`,
  tryToday: (k) =>
    `Uma coisa para testar hoje: escolha um ponto do seu trabalho em que o conceito de ${k} aparece e olhe para ele com outros olhos.`,
  sourcesInDescription: 'As fontes estão na descrição, se você quiser se aprofundar.',
  askInComments: (k) => `Conta nos comentários onde você já esbarrou no conceito de ${k}.`,
  pointLines: [
    (k) => `Pense em onde o conceito de ${k} aparece no seu próprio trabalho.`,
    (k) => `Um erro comum é tratar o tema de ${k} como um detalhe e seguir em frente rápido demais.`,
    (k) => `Imagine um exemplo do seu dia a dia em que o conceito de ${k} entra em jogo.`,
    (k) => `Antes de continuar, tente explicar o conceito de ${k} com as suas próprias palavras.`,
    (k) => `Muita gente só percebe o papel de ${k} quando algo dá errado.`,
    (k) => `Desenhe o conceito de ${k} no papel uma vez, e ele fica na memória.`,
  ],
  referenceLines: [
    (reference) => `Para se aprofundar, recomendo ${reference}.`,
    (reference) => `Se quiser os detalhes, consulte ${reference}.`,
  ],
  transitions: [(k) => `Vamos ao próximo ponto: ${k}.`, (k) => `A seguir: ${k}.`, (k) => `Agora, vamos falar de ${k}.`],
  angles: () => [
    'Vamos começar pelo problema por trás disso',
    'A ideia que faz tudo funcionar é mais simples do que parece',
    'Veja como isso funciona na prática',
  ],

  description: {
    learn: 'O que você vai aprender:',
    presentedBy: (name, audience) => `Apresentado por ${name}, para ${audience}.`,
    chapters: 'Capítulos:',
    credits: 'Créditos:',
    sources: 'Fontes:',
  },
  shots: ['Close em', 'Diagrama animado sobre', 'Plano aberto sugerindo', 'Mãos num teclado, trabalhando com', 'Panorâmica lenta sobre'],
};
