import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type FeaturizerConfig, featurize } from "../core/featurizer.ts";
import { TeacherManifest } from "../core/manifest.ts";
import type { EmbeddingBagWeights } from "../core/model.ts";
import { mulberry32 } from "../core/random.ts";
import { DEFAULT_INPUT_NAMES, DEFAULT_OUTPUT_NAME, exportOnnx } from "../distill/onnx/export.ts";
import { sha256, TEACHER_DIR, TEACHER_FILE } from "../distill/package/files.ts";

/**
 * A tiny but meaningful teacher package for tests (this server's, and the gateway's): each label has
 * keywords whose word features point at it, so "please refund my invoice" is confidently "billing"
 * while a text without keywords gets a spread-out answer. Built in milliseconds; written as
 * <dir>/teacher/{manifest.json,teacher.onnx} exactly as the toolkit writes packages.
 */
export interface TinyTeacherOptions {
  dir: string;
  name?: string;
  version?: string;
  /** label → words that signal it. */
  keywords?: Record<string, readonly string[]>;
  /** Members > 1 exercise the ensemble graph (its output is log-mean-probs, not logits). */
  members?: number;
  seed?: number;
}

export const TINY_KEYWORDS: Record<string, readonly string[]> = {
  billing: ["invoice", "refund", "charge", "bill"],
  greeting: ["hello", "hi", "morning"],
  weather: ["rain", "sunny", "forecast", "snow"],
};

export const TINY_FEATURIZER: FeaturizerConfig = {
  kind: "hashed-ngrams",
  version: 1,
  normalization: "NFKC",
  lowercase: true,
  wordNgrams: [1],
  charNgrams: null,
  buckets: 512,
  seed: 17,
  maxChars: 2000,
  maxFeatures: 256,
};

function tinyMember(keywords: Record<string, readonly string[]>, rand: () => number, scale: number) {
  const classes = Object.keys(keywords).length;
  const { buckets } = TINY_FEATURIZER;
  const dim = classes;
  const embedding = new Float32Array(buckets * dim);
  for (let i = 0; i < embedding.length; i++) embedding[i] = (rand() * 2 - 1) * 0.5;
  Object.values(keywords).forEach((words, c) => {
    for (const word of words)
      for (const id of featurize(word, TINY_FEATURIZER)) embedding[id * dim + c]! += 4;
  });
  const outWeight = new Float32Array(dim * classes);
  for (let c = 0; c < classes; c++) outWeight[c * classes + c] = scale;
  const member: EmbeddingBagWeights = {
    buckets,
    dim,
    hidden: 0,
    classes,
    embedding,
    hiddenWeight: null,
    hiddenBias: null,
    outWeight,
    outBias: Float32Array.from({ length: classes }, () => (rand() * 2 - 1) * 0.1),
  };
  return member;
}

export async function writeTinyTeacher(options: TinyTeacherOptions) {
  const keywords = options.keywords ?? TINY_KEYWORDS;
  const members = options.members ?? 1;
  const rand = mulberry32(options.seed ?? 1);
  const ensemble = Array.from({ length: members }, (_, m) => tinyMember(keywords, rand, 1 + 0.25 * m));
  const onnx = exportOnnx(ensemble, { embeddingDtype: "float32" });
  const labels = Object.keys(keywords);
  const manifest = TeacherManifest.parse({
    name: options.name ?? "tiny",
    version: options.version ?? "1.0.0",
    role: "teacher",
    task: "text-classification",
    labels,
    featurizer: TINY_FEATURIZER,
    onnx: {
      file: TEACHER_FILE,
      bytes: onnx.length,
      sha256: sha256(onnx),
      inputs: { ...DEFAULT_INPUT_NAMES },
      output: DEFAULT_OUTPUT_NAME,
      architecture: {
        buckets: TINY_FEATURIZER.buckets,
        dim: labels.length,
        hidden: 0,
        classes: labels.length,
        members,
        embeddingDtype: "float32",
      },
    },
  });
  const teacherDir = join(options.dir, TEACHER_DIR);
  await mkdir(teacherDir, { recursive: true });
  await writeFile(join(teacherDir, TEACHER_FILE), onnx);
  await writeFile(join(teacherDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir: options.dir, manifest, onnx };
}
