/*
 * espeak-timings: speaks UTF-8 text with libespeak-ng and reports where every word starts and
 * ends, which the espeak-ng command line cannot tell. The espeak voice of the runners
 * (runners/src/providers/voice/espeak.ts) builds it on first use into a cache folder, or runs
 * the one named by ACOG_ESPEAK_TIMINGS.
 *
 * Build (the runner image does the same when it is built, and sets ACOG_ESPEAK_TIMINGS):
 *   gcc -O2 -Wall -o espeak-timings runners/native/espeak-timings.c -lespeak-ng
 * It needs libespeak-ng-dev to build and libespeak-ng1 with espeak-ng-data to run.
 *
 * Usage: espeak-timings VOICE WORDS_PER_MINUTE GAP_MS OUT.wav < text
 *   Standard input holds one or more segments separated by the ASCII record separator (0x1E).
 *   Each segment is synthesised on its own; GAP_MS of silence goes between two segments.
 *   VOICE is an espeak-ng voice name (en-us) or else a language (de-de picks the best German voice).
 *   OUT.wav receives 16-bit mono PCM at espeak-ng's sample rate, written as it is produced.
 *   Standard output receives one line of JSON, all positions in samples of OUT.wav:
 *     {"sampleRate":22050,"segments":[
 *       {"start":S,"samples":N,"words":[[CHAR_OFFSET,CHAR_LENGTH,START,END],...]},...],"samples":N}
 *   CHAR_OFFSET counts Unicode code points from the start of the segment (0-based); START and END
 *   are relative to the start of the segment. espeak-ng tells only where a spoken word starts
 *   (and "1234" is several spoken words at one offset); a word ends where the next one starts,
 *   less the silence before it, so that a pause does not count as speech.
 * Exit status 2 for bad arguments or an unknown voice, 1 for other failures, with a message on stderr.
 */
#include <espeak-ng/speak_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Quieter than this (about -40 dBFS) counts as silence when the end of a word is looked for. */
#define SILENCE_LEVEL 328

typedef struct {
  int offset;
  int length;
  long sample;
} WordEvent;

/* The current segment: its samples and word events; earlier segments are already on disk. */
static short *samples;
static long sample_count, sample_capacity;
static WordEvent *words;
static long word_count, word_capacity;

static void *grow(void *buffer, long needed, long *capacity, size_t item_size) {
  if (needed <= *capacity) return buffer;
  long next = *capacity ? *capacity * 2 : 4096;
  while (next < needed) next *= 2;
  void *grown = realloc(buffer, (size_t)next * item_size);
  if (!grown) {
    fprintf(stderr, "espeak-timings: out of memory\n");
    exit(1);
  }
  *capacity = next;
  return grown;
}

static int on_synth(short *wav, int count, espeak_EVENT *events) {
  if (wav && count > 0) {
    samples = grow(samples, sample_count + count, &sample_capacity, sizeof(short));
    memcpy(samples + sample_count, wav, (size_t)count * sizeof(short));
    sample_count += count;
  }
  for (espeak_EVENT *event = events; event && event->type != espeakEVENT_LIST_TERMINATED; event++) {
    if (event->type != espeakEVENT_WORD) continue;
    words = grow(words, word_count + 1, &word_capacity, sizeof(WordEvent));
    /* espeak-ng counts text positions from 1 */
    words[word_count++] = (WordEvent){event->text_position - 1, event->length, event->sample};
  }
  return 0;
}

/* Where speech stops before `end`, not before `start`: trailing silence is not part of a word. */
static long speech_end(long start, long end) {
  long last = end;
  while (last > start && abs(samples[last - 1]) < SILENCE_LEVEL) last--;
  return last > start ? last : end;
}

static void write_le(FILE *file, unsigned long value, int bytes) {
  for (int i = 0; i < bytes; i++) fputc((int)((value >> (8 * i)) & 0xff), file);
}

static void write_wav_header(FILE *file, int sample_rate, unsigned long data_bytes) {
  fwrite("RIFF", 1, 4, file);
  write_le(file, 36 + data_bytes, 4);
  fwrite("WAVEfmt ", 1, 8, file);
  write_le(file, 16, 4);
  write_le(file, 1, 2); /* PCM */
  write_le(file, 1, 2); /* mono */
  write_le(file, (unsigned long)sample_rate, 4);
  write_le(file, (unsigned long)sample_rate * 2, 4);
  write_le(file, 2, 2);
  write_le(file, 16, 2);
  fwrite("data", 1, 4, file);
  write_le(file, data_bytes, 4);
}

static void write_samples(FILE *file, const short *data, long count) {
  for (long i = 0; i < count; i++) write_le(file, data ? (unsigned short)data[i] : 0, 2);
}

static char *read_all(FILE *file) {
  long capacity = 0, length = 0;
  char *text = NULL;
  for (;;) {
    text = grow(text, length + 4097, &capacity, 1);
    size_t got = fread(text + length, 1, 4096, file);
    length += (long)got;
    if (got < 4096) break;
  }
  text[length] = '\0';
  return text;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: espeak-timings VOICE WORDS_PER_MINUTE GAP_MS OUT.wav < text\n");
    return 2;
  }
  const char *voice = argv[1];
  int rate = atoi(argv[2]);
  int gap_ms = atoi(argv[3]);

  int sample_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, 0);
  if (sample_rate <= 0) {
    fprintf(stderr, "espeak-timings: espeak-ng could not start (is espeak-ng-data installed?)\n");
    return 1;
  }
  espeak_SetSynthCallback(on_synth);
  if (espeak_SetVoiceByName(voice) != EE_OK) {
    espeak_VOICE wanted = {0};
    wanted.languages = voice;
    if (espeak_SetVoiceByProperties(&wanted) != EE_OK) {
      fprintf(stderr, "espeak-timings: espeak-ng has no voice or language named '%s'\n", voice);
      return 2;
    }
  }
  if (rate > 0 && espeak_SetParameter(espeakRATE, rate, 0) != EE_OK) {
    fprintf(stderr, "espeak-timings: espeak-ng refused the rate %d\n", rate);
    return 2;
  }

  FILE *out = fopen(argv[4], "wb");
  if (!out) {
    fprintf(stderr, "espeak-timings: cannot write %s\n", argv[4]);
    return 1;
  }
  write_wav_header(out, sample_rate, 0);

  char *text = read_all(stdin);
  long gap_samples = (long)sample_rate * gap_ms / 1000;
  long written = 0;
  printf("{\"sampleRate\":%d,\"segments\":[", sample_rate);
  char *segment = text;
  for (int index = 0; segment; index++) {
    char *separator = strchr(segment, '\x1e');
    if (separator) *separator = '\0';
    if (index > 0) {
      write_samples(out, NULL, gap_samples);
      written += gap_samples;
    }
    sample_count = 0;
    word_count = 0;
    if (*segment) {
      espeak_ERROR error = espeak_Synth(segment, strlen(segment) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL);
      if (error != EE_OK || espeak_Synchronize() != EE_OK) {
        fprintf(stderr, "espeak-timings: synthesis failed (%d)\n", error);
        return 1;
      }
    }
    printf("%s{\"start\":%ld,\"samples\":%ld,\"words\":[", index ? "," : "", written, sample_count);
    for (long i = 0; i < word_count; i++) {
      long next = i + 1 < word_count ? words[i + 1].sample : sample_count;
      if (next > sample_count) next = sample_count;
      long start = words[i].sample < next ? words[i].sample : next;
      printf("%s[%d,%d,%ld,%ld]", i ? "," : "", words[i].offset, words[i].length, start, speech_end(start, next));
    }
    printf("]}");
    write_samples(out, samples, sample_count);
    written += sample_count;
    segment = separator ? separator + 1 : NULL;
  }
  printf("],\"samples\":%ld}\n", written);

  if (fseek(out, 0, SEEK_SET) != 0) {
    fprintf(stderr, "espeak-timings: cannot finish %s\n", argv[4]);
    return 1;
  }
  write_wav_header(out, sample_rate, (unsigned long)written * 2);
  if (fclose(out) != 0) {
    fprintf(stderr, "espeak-timings: cannot write %s\n", argv[4]);
    return 1;
  }
  espeak_Terminate();
  return 0;
}
