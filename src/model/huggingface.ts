// Hugging Face Llama / Qwen2 checkpoints: config.json + *.safetensors (bf16/f16/f32, sharded or not) + tokenizer.json.
// HF linear weights are [out, in]; ours are [in, out] with q/k/v and gate/up fused, so each of our tensors maps to
// one or more HF tensors by a transposed column concatenation. The same table drives loading and writing.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HfTokenizer } from './hf-tokenizer.ts';
import { decodeSafetensors, encodeSafetensors, type FloatDtype, type NamedTensor } from './safetensors.ts';
import {
  parameterShapes,
  type ResolvedTransformerConfig,
  resolveConfig,
  Transformer,
  type TransformerConfig,
} from './transformer.ts';
import { AzrError } from '../errors.ts';

export interface HfConfig {
  model_type?: string;
  architectures?: string[];
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  head_dim?: number;
  max_position_embeddings?: number;
  rope_theta?: number;
  rms_norm_eps?: number;
  tie_word_embeddings?: boolean;
  attention_bias?: boolean;
  rope_scaling?: {
    rope_type?: string;
    type?: string;
    factor?: number;
    low_freq_factor?: number;
    high_freq_factor?: number;
    original_max_position_embeddings?: number;
  } | null;
  torch_dtype?: string;
}

export function configFromHf(hf: HfConfig, maxSeqLen?: number): ResolvedTransformerConfig {
  const type = hf.model_type ?? '';
  if (type !== 'llama' && type !== 'qwen2')
    throw new AzrError('MODEL_INVALID', `model_type '${type}' is not supported (llama, qwen2)`);
  const scaling = hf.rope_scaling;
  const scalingType = scaling?.rope_type ?? scaling?.type;
  if (scaling && scalingType !== 'llama3' && scalingType !== 'default') {
    throw new AzrError('MODEL_INVALID', `rope_scaling type '${scalingType}' is not supported (llama3)`);
  }
  const config: TransformerConfig = {
    vocabSize: hf.vocab_size,
    dModel: hf.hidden_size,
    nLayers: hf.num_hidden_layers,
    nHeads: hf.num_attention_heads,
    nKvHeads: hf.num_key_value_heads ?? hf.num_attention_heads,
    headDim: hf.head_dim ?? hf.hidden_size / hf.num_attention_heads,
    ffnHidden: hf.intermediate_size,
    maxSeqLen: maxSeqLen ?? Math.min(hf.max_position_embeddings ?? 4096, 8192),
    ropeTheta: hf.rope_theta ?? 10000,
    normEps: hf.rms_norm_eps ?? 1e-6,
    tieEmbeddings: hf.tie_word_embeddings ?? false,
    qkvBias: type === 'qwen2' ? true : (hf.attention_bias ?? false),
    ropeScaling:
      scalingType === 'llama3'
        ? {
            type: 'llama3',
            factor: scaling!.factor ?? 8,
            lowFreqFactor: scaling!.low_freq_factor ?? 1,
            highFreqFactor: scaling!.high_freq_factor ?? 4,
            originalMaxPositionEmbeddings: scaling!.original_max_position_embeddings ?? 8192,
          }
        : null,
  };
  return resolveConfig(config);
}

export function configToHf(config: ResolvedTransformerConfig, modelType: 'llama' | 'qwen2'): HfConfig {
  if (modelType === 'qwen2' && !config.qkvBias)
    throw new AzrError('MODEL_INVALID', 'qwen2 checkpoints have q/k/v biases');
  return {
    model_type: modelType,
    architectures: [modelType === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    vocab_size: config.vocabSize,
    hidden_size: config.dModel,
    intermediate_size: config.ffnHidden,
    num_hidden_layers: config.nLayers,
    num_attention_heads: config.nHeads,
    num_key_value_heads: config.nKvHeads,
    head_dim: config.headDim,
    max_position_embeddings: config.maxSeqLen,
    rope_theta: config.ropeTheta,
    rms_norm_eps: config.normEps,
    tie_word_embeddings: config.tieEmbeddings,
    ...(modelType === 'llama' ? { attention_bias: config.qkvBias } : {}),
    rope_scaling: config.ropeScaling && {
      rope_type: 'llama3',
      factor: config.ropeScaling.factor,
      low_freq_factor: config.ropeScaling.lowFreqFactor,
      high_freq_factor: config.ropeScaling.highFreqFactor,
      original_max_position_embeddings: config.ropeScaling.originalMaxPositionEmbeddings,
    },
  };
}

/**
 * One of our parameters and its HF tensors. `linear`: ours is [in, Σ outs] and each HF part is [out_k, in];
 * `plain`: ours is the concatenation of the parts as stored (norm weights, biases, the embedding).
 */
interface Mapping {
  ours: string;
  parts: Array<{ name: string; size: number }>;
  kind: 'linear' | 'plain';
}

function mappings(config: ResolvedTransformerConfig): Mapping[] {
  const { dModel: d, nHeads: h, nKvHeads: kv, headDim: hd, ffnHidden: f, vocabSize: v } = config;
  const plain = (ours: string, name: string, size: number): Mapping => ({
    ours,
    parts: [{ name, size }],
    kind: 'plain',
  });
  const list: Mapping[] = [plain('embed', 'model.embed_tokens.weight', v * d)];
  for (let i = 0; i < config.nLayers; i++) {
    const ours = `layers.${i}.`;
    const hf = `model.layers.${i}.`;
    const qkv = (suffix: string) => [
      { name: `${hf}self_attn.q_proj.${suffix}`, size: h * hd },
      { name: `${hf}self_attn.k_proj.${suffix}`, size: kv * hd },
      { name: `${hf}self_attn.v_proj.${suffix}`, size: kv * hd },
    ];
    list.push(
      plain(`${ours}attnNorm`, `${hf}input_layernorm.weight`, d),
      { ours: `${ours}wqkv`, parts: qkv('weight'), kind: 'linear' },
      { ours: `${ours}wo`, parts: [{ name: `${hf}self_attn.o_proj.weight`, size: d }], kind: 'linear' },
      plain(`${ours}ffnNorm`, `${hf}post_attention_layernorm.weight`, d),
      {
        ours: `${ours}wGateUp`,
        parts: [
          { name: `${hf}mlp.gate_proj.weight`, size: f },
          { name: `${hf}mlp.up_proj.weight`, size: f },
        ],
        kind: 'linear',
      },
      { ours: `${ours}wDown`, parts: [{ name: `${hf}mlp.down_proj.weight`, size: d }], kind: 'linear' },
    );
    if (config.qkvBias) list.push({ ours: `${ours}bqkv`, parts: qkv('bias'), kind: 'plain' });
  }
  list.push(plain('finalNorm', 'model.norm.weight', d));
  if (!config.tieEmbeddings)
    list.push({ ours: 'lmHead', parts: [{ name: 'lm_head.weight', size: v }], kind: 'linear' });
  return list;
}

function fromHf(mapping: Mapping, shape: number[], hf: Map<string, NamedTensor>): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let offset = 0;
  for (const part of mapping.parts) {
    const tensor = hf.get(part.name);
    if (!tensor) throw new AzrError('MODEL_INVALID', `checkpoint lacks tensor ${part.name}`);
    if (mapping.kind === 'plain') {
      out.set(tensor.data, offset);
      offset += tensor.data.length;
      continue;
    }
    const [rows, width] = shape;
    if (tensor.shape[0] !== part.size || tensor.shape[1] !== rows) {
      throw new AzrError(
        'MODEL_INVALID',
        `${part.name}: shape [${tensor.shape}], expected [${part.size}, ${rows}]`,
      );
    }
    for (let o = 0; o < part.size; o++) {
      for (let r = 0; r < rows; r++) out[r * width + offset + o] = tensor.data[o * rows + r];
    }
    offset += part.size;
  }
  if (offset !== (mapping.kind === 'plain' ? out.length : shape[1]))
    throw new AzrError('MODEL_INVALID', `${mapping.ours}: size mismatch`);
  return out;
}

function toHf(mapping: Mapping, shape: number[], data: Float32Array, out: Map<string, NamedTensor>): void {
  let offset = 0;
  for (const part of mapping.parts) {
    if (mapping.kind === 'plain') {
      const partShape = mapping.parts.length === 1 ? shape : [part.size];
      out.set(part.name, { shape: partShape, data: data.slice(offset, offset + part.size) });
      offset += part.size;
      continue;
    }
    const [rows, width] = shape;
    const t = new Float32Array(part.size * rows);
    for (let o = 0; o < part.size; o++)
      for (let r = 0; r < rows; r++) t[o * rows + r] = data[r * width + offset + o];
    out.set(part.name, { shape: [part.size, rows], data: t });
    offset += part.size;
  }
}

export interface LoadedHuggingFace {
  model: Transformer;
  config: ResolvedTransformerConfig;
  hfConfig: HfConfig;
  tokenizer?: HfTokenizer;
}

/** Loads a local HF folder; `maxSeqLen` bounds the rotary tables (default min(max_position_embeddings, 8192)). */
export async function loadHuggingFace(
  dir: string,
  options: { maxSeqLen?: number } = {},
): Promise<LoadedHuggingFace> {
  const hfConfig = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as HfConfig;
  const config = configFromHf(hfConfig, options.maxSeqLen);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.safetensors')).sort();
  if (files.length === 0) throw new AzrError('MODEL_INVALID', `${dir}: no *.safetensors files`);
  const hf = new Map<string, NamedTensor>();
  for (const file of files) {
    for (const [name, t] of decodeSafetensors(await readFile(path.join(dir, file))).tensors) hf.set(name, t);
  }
  const shapes = new Map(parameterShapes(config));
  const weights = new Map<string, Float32Array>();
  for (const mapping of mappings(config))
    weights.set(mapping.ours, fromHf(mapping, shapes.get(mapping.ours)!, hf));
  const model = new Transformer(config, weights);
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const tokenizer = existsSync(tokenizerFile) ? await HfTokenizer.fromFile(tokenizerFile) : undefined;
  return { model, config, hfConfig, tokenizer };
}

/** Writes `model` as an HF folder (config.json + model.safetensors; tokenizer.json when given). */
export async function saveHuggingFace(
  dir: string,
  model: Transformer,
  options: { modelType: 'llama' | 'qwen2'; dtype?: FloatDtype; tokenizerJson?: unknown },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, NamedTensor>();
  for (const mapping of mappings(model.config)) {
    const v = model.param(mapping.ours);
    toHf(mapping, v.shape, v.dataSync() as Float32Array, tensors);
  }
  const dtype = options.dtype ?? 'BF16';
  const torchDtype = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype];
  const hfConfig = { ...configToHf(model.config, options.modelType), torch_dtype: torchDtype };
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(hfConfig, null, 2));
  await writeFile(
    path.join(dir, 'model.safetensors'),
    encodeSafetensors(tensors, { dtype, metadata: { format: 'pt' } }),
  );
  if (options.tokenizerJson !== undefined) {
    await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(options.tokenizerJson));
  }
}
