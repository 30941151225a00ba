// One small episode per language the offline writer writes, for the tests: a topic, a brief written
// to the writer, key points and a reference, as a person writing in that language would give them.
import type { ChannelSpec, EpisodeSpec, OfflineWriterLanguage } from '@acog/api';

interface Fixture {
  persona: Pick<ChannelSpec['persona'], 'name' | 'audience'>;
  episode: Pick<EpisodeSpec, 'topic' | 'brief' | 'keyPoints' | 'references'>;
}

export const LANGUAGE_FIXTURES: Record<Exclude<OfflineWriterLanguage, 'en'>, Fixture> = {
  de: {
    persona: { name: 'Jürgen', audience: 'Technikinteressierte ohne Informatikstudium' },
    episode: {
      topic: 'Warum SSDs so viel schneller sind als Festplatten',
      brief:
        'Beginne mit einem Rechner, der zum Starten eine Minute braucht. Erkläre, wie sich der Lesekopf einer Festplatte bewegen muss. Zeige, dass eine SSD keine beweglichen Teile hat.',
      keyPoints: [
        'Eine Festplatte wartet bei jedem Zugriff auf den Lesekopf und die drehende Scheibe',
        'Eine SSD liest aus Flash-Speicher ohne bewegliche Teile',
        'Der Controller der SSD verteilt Zugriffe auf viele Speicherchips gleichzeitig',
      ],
      references: [{ title: 'Grundlagen der Speichertechnik', url: 'https://example.org/de/speicher' }],
    },
  },
  es: {
    persona: { name: 'Begoña', audience: 'personas curiosas que no son ingenieras' },
    episode: {
      topic: 'Por qué los SSD son mucho más rápidos que los discos duros',
      brief:
        'Empieza con un ordenador que tarda un minuto en arrancar. Explica cómo se mueve el cabezal de un disco duro. Muestra que un SSD no tiene piezas móviles.',
      keyPoints: [
        'Un disco duro espera al cabezal y al plato giratorio en cada lectura',
        'Un SSD lee de la memoria flash sin piezas móviles',
        'El controlador del SSD reparte las lecturas entre muchos chips a la vez',
      ],
      references: [{ title: 'Guía de almacenamiento', url: 'https://example.org/es/almacenamiento' }],
    },
  },
  fr: {
    persona: { name: 'François', audience: 'les curieux de technique sans formation en informatique' },
    episode: {
      topic: 'Pourquoi les SSD sont bien plus rapides que les disques durs',
      brief:
        'Commence par un ordinateur qui met une minute à démarrer. Explique comment la tête de lecture d’un disque dur doit se déplacer. Montre qu’un SSD n’a aucune pièce mobile.',
      keyPoints: [
        'Un disque dur attend la tête de lecture et le plateau à chaque accès',
        'Un SSD lit sa mémoire flash sans aucune pièce mobile',
        'Le contrôleur du SSD répartit les accès sur de nombreuses puces à la fois',
      ],
      references: [{ title: 'Comprendre le stockage', url: 'https://example.org/fr/stockage' }],
    },
  },
  pt: {
    persona: { name: 'João', audience: 'pessoas curiosas sem formação em computação' },
    episode: {
      topic: 'Por que os SSDs são muito mais rápidos que os discos rígidos',
      brief:
        'Comece com um computador que leva um minuto para ligar. Explique como a cabeça de leitura de um disco rígido precisa se mover. Mostre que um SSD não tem partes móveis.',
      keyPoints: [
        'Um disco rígido espera a cabeça de leitura e o prato girando a cada acesso',
        'Um SSD lê a memória flash sem nenhuma parte móvel',
        'O controlador do SSD distribui os acessos entre vários chips ao mesmo tempo',
      ],
      references: [{ title: 'Introdução ao armazenamento', url: 'https://example.org/pt/armazenamento' }],
    },
  },
  it: {
    persona: { name: 'Niccolò', audience: 'curiosi di tecnologia senza una laurea in informatica' },
    episode: {
      topic: 'Perché gli SSD sono molto più veloci dei dischi rigidi',
      brief:
        'Inizia con un computer che impiega un minuto ad avviarsi. Spiega come si deve muovere la testina di un disco rigido. Mostra che un SSD non ha parti in movimento.',
      keyPoints: [
        'Un disco rigido aspetta la testina e il piatto rotante a ogni accesso',
        'Un SSD legge dalla memoria flash senza parti in movimento',
        'Il controller dell’SSD distribuisce gli accessi su molti chip contemporaneamente',
      ],
      references: [{ title: 'Guida all’archiviazione', url: 'https://example.org/it/archiviazione' }],
    },
  },
};
