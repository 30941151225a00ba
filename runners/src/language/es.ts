// Español (tú, como es habitual en YouTube). Las palabras clave se introducen con «sobre …» o
// «con …», que no exigen concordancia de artículo.
import { joinWith, numberWords, wordSet, type Phrases } from './phrases.ts';

export const es: Phrases = {
  language: 'es',
  stopwords: wordSet(
    'el la los las un una unos unas y e o u pero sino porque que qué como cómo cuando cuándo donde dónde quien quién cual cuál por para ' +
      'de del al a en con sin sobre entre hasta desde hacia contra es son era eran fue ser está están estar ha han hay tiene tienen puede ' +
      'pueden muy más menos mucho muchos poco pocos tan tanto ya también solo sólo no sí se lo le les me te nos su sus tu tus mi mis ' +
      'este esta estos estas ese esa esos esas cada todo toda todos todas otro otra otros otras hoy aquí así',
  ),
  determiners: wordSet(
    'el la los las un una unos unas al del cada muchos muchas varios varias ningún ninguna su sus mi mis tu tus este esta estos estas ese esa esos esas otro otra otros otras todo toda todos todas',
  ),
  keyword: (noun) => noun,
  list: joinWith((next) => (/^h?i(?![aeou])/i.test(next) ? 'e' : 'y')),
  numberWord: numberWords(['ninguna', 'una', 'dos', 'tres', 'cuatro', 'cinco', 'seis', 'siete', 'ocho', 'nueve', 'diez']),

  briefOpeners: {
    explica: 'Veamos',
    muestra: 'Veremos',
    describe: 'Veamos',
    empieza: 'Empezamos',
    comienza: 'Comenzamos',
    termina: 'Terminamos',
    acaba: 'Acabamos',
    compara: 'Comparamos',
    cierra: 'Cerramos',
  },

  headings: { intro: 'Introducción', outro: 'Conclusión', part: (n) => `Parte ${n}` },
  cardLabel: (n) => `PARTE ${n}`,

  hooks: [
    (topic, name) => `${name} por aquí, y hoy hablamos de esto: ${topic}.`,
    (topic) => `Hoy vemos un tema que importa más de lo que parece: ${topic}.`,
    (topic) => `Vamos con el tema de hoy: ${topic}.`,
  ],
  outros: [
    (name) => `Eso es todo por hoy. Soy ${name}, gracias por ver el vídeo.`,
    (name) => `Gracias por ver el vídeo. Soy ${name}, y nos vemos en el próximo.`,
    (name) => `Soy ${name}. Gracias por acompañarme, y hasta la próxima.`,
  ],
  introduce: {
    both: (name, audience) => `Soy ${name}, y este vídeo es para ${audience}.`,
    audience: (audience) => `Este vídeo es para ${audience}.`,
    name: (name) => `Soy ${name}.`,
  },
  overview: (count, list) => `Vamos a ver ${count} ideas: ${list}.`,
  pointTo: (reference) => `Para los detalles, te remitiré a ${reference}.`,
  recap: (list) => `En resumen: ${list}.`,
  tryToday: (k) => `Algo que puedes probar hoy: busca un punto de tu trabajo donde aparezca el tema de ${k} y míralo con otros ojos.`,
  sourcesInDescription: 'Las fuentes están en la descripción, por si quieres profundizar.',
  askInComments: (k) => `Cuéntame en los comentarios dónde te has encontrado con ${k}.`,
  pointLines: [
    (k) => `Una pregunta sobre ${k}: ¿dónde aparece en tu propio trabajo?`,
    (k) => `Un error común con ${k} es tratarlo como un detalle y pasar demasiado rápido.`,
    (k) => `Imagina un ejemplo de tu día a día donde entre en juego lo que hemos dicho sobre ${k}.`,
    (k) => `Antes de seguir, intenta explicar con tus propias palabras lo que acabamos de ver sobre ${k}.`,
    (k) => `Mucha gente solo se fija en lo relacionado con ${k} cuando algo falla.`,
    (k) => `Dibuja en un papel lo que sabes sobre ${k}, y se te quedará grabado.`,
  ],
  referenceLines: [
    (reference) => `Para profundizar, te recomiendo ${reference}.`,
    (reference) => `Si quieres los detalles, consulta ${reference}.`,
  ],
  transitions: [(k) => `Lo siguiente: ${k}.`, (k) => `Vamos con el siguiente punto: ${k}.`, (k) => `Pasemos ahora a hablar de ${k}.`],
  angles: () => [
    'Empecemos por el problema de fondo',
    'La idea que lo hace funcionar es más sencilla de lo que parece',
    'Veamos cómo funciona en la práctica',
  ],

  description: {
    learn: 'Lo que aprenderás:',
    presentedBy: (name, audience) => `Presentado por ${name}, para ${audience}.`,
    chapters: 'Capítulos:',
    credits: 'Créditos:',
    sources: 'Fuentes:',
  },
  shots: [
    'Primer plano sobre',
    'Diagrama animado sobre',
    'Plano general sobre',
    'Manos en un teclado, trabajando con',
    'Paneo lento sobre',
  ],
};
