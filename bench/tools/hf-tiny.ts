// Writes a tiny random Qwen2-format checkpoint (config.json, model.safetensors in bf16, a byte-level BPE
// tokenizer.json) to show `examples/hf-model.yaml` end to end without downloading anything:
//   node --import tsx bench/tools/hf-tiny.ts [DIR]      (default: examples/hf-tiny/model)
// For real work, point hf-model.yaml at a local Qwen2.5 / Llama folder instead.
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/model/backend.ts';
import { bytesToUnicode } from '../../src/model/hf-tokenizer.ts';
import { saveHuggingFace } from '../../src/model/huggingface.ts';
import { Transformer } from '../../src/model/transformer.ts';

/** Byte-level BPE over the 256 bytes, with a few merges for common Python text. */
export function tinyTokenizerJson() {
  const vocab: Record<string, number> = {};
  for (const [byte, char] of bytesToUnicode().entries()) vocab[char] = byte;
  const merges = [
    'Ġ Ġ',
    'ĠĠ ĠĠ',
    'r e',
    't u',
    're tu',
    'retu r',
    'retur n',
    'd e',
    'de f',
    'Ġ def',
    'Ġ f',
    'Ġ x',
  ];
  for (const [i, merge] of merges.entries()) vocab[merge.replace(' ', '')] = 256 + i;
  const special = 256 + merges.length;
  return {
    version: '1.0',
    added_tokens: [{ id: special, content: '<|endoftext|>', special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab, merges, ignore_merges: false },
  };
}

export async function makeTinyHuggingFace(dir: string, seed = 1): Promise<void> {
  await initBackend('wasm', { log: null });
  const tokenizerJson = tinyTokenizerJson();
  const vocabSize = Object.keys(tokenizerJson.model.vocab).length + tokenizerJson.added_tokens.length;
  const model = new Transformer(
    {
      vocabSize,
      dModel: 32,
      nLayers: 1,
      nHeads: 4,
      nKvHeads: 2,
      ffnHidden: 64,
      maxSeqLen: 1024,
      qkvBias: true,
      tieEmbeddings: true,
    },
    seed,
  );
  await saveHuggingFace(dir, model, { modelType: 'qwen2', dtype: 'BF16', tokenizerJson });
  model.dispose();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? fileURLToPath(new URL('../../examples/hf-tiny/model', import.meta.url));
  await makeTinyHuggingFace(dir);
  console.log(`wrote a tiny random Qwen2 checkpoint to ${dir}`);
}
