import { sharedCopy } from "../train/shards.ts";
import type { TrainSet } from "../train/trainer.ts";

/**
 * Training data in shared memory, where a worker thread reads it without a copy of its own: bags of
 * feature ids as one block, labels, weights and teacher logits as flat arrays.
 */
/** A TrainSet in shared memory, so the second thread reads it without a copy. */
export interface SharedSet extends SharedBags {
  labels: Int32Array;
  weights: Float32Array | null;
  /** [n × classes], rows meaningful where hasTeacher is 1; null when no example has teacher logits. */
  teacherLogits: Float32Array | null;
  hasTeacher: Uint8Array | null;
  classes: number;
}

export function shared<T extends Int32Array | Float32Array | Uint8Array>(
  make: (buffer: SharedArrayBuffer) => T,
  bytes: number,
): T {
  return make(new SharedArrayBuffer(Math.max(bytes, 8)));
}

/** Bags of feature ids as one block in shared memory: bag i is ids[offsets[i], offsets[i + 1]). */
export interface SharedBags {
  ids: Int32Array;
  offsets: Int32Array;
}

export function shareBags(bags: readonly Int32Array[]): SharedBags {
  const n = bags.length;
  const offsets = shared((b) => new Int32Array(b, 0, n + 1), 4 * (n + 1));
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + bags[i]!.length;
  const ids = shared((b) => new Int32Array(b, 0, offsets[n]!), 4 * offsets[n]!);
  for (let i = 0; i < n; i++) ids.set(bags[i]!, offsets[i]!);
  return { ids, offsets };
}

export function unshareBags({ ids, offsets }: SharedBags): Int32Array[] {
  return Array.from({ length: offsets.length - 1 }, (_, i) => ids.subarray(offsets[i]!, offsets[i + 1]!));
}

export function shareSet(set: TrainSet, classes: number): SharedSet {
  const n = set.bags.length;
  const { ids, offsets } = shareBags(set.bags);
  const labels = sharedCopy(set.labels);
  const weights = set.weights && sharedCopy(set.weights);
  const anyTeacher = set.teacherLogits?.some((t) => t !== null) ?? false;
  let teacherLogits: Float32Array | null = null;
  let hasTeacher: Uint8Array | null = null;
  if (anyTeacher) {
    teacherLogits = shared((b) => new Float32Array(b, 0, n * classes), 4 * n * classes);
    hasTeacher = shared((b) => new Uint8Array(b, 0, n), n);
    set.teacherLogits!.forEach((t, i) => {
      if (!t) return;
      teacherLogits!.set(t, i * classes);
      hasTeacher![i] = 1;
    });
  }
  return { ids, offsets, labels, weights, teacherLogits, hasTeacher, classes };
}

export function unshareSet(s: SharedSet): TrainSet {
  const n = s.labels.length;
  return {
    bags: unshareBags(s),
    labels: s.labels,
    weights: s.weights,
    teacherLogits:
      s.teacherLogits && s.hasTeacher
        ? Array.from({ length: n }, (_, i) =>
            s.hasTeacher![i] ? s.teacherLogits!.subarray(i * s.classes, (i + 1) * s.classes) : null,
          )
        : null,
  };
}
