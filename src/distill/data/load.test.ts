import { basename, dirname } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataError } from "./errors.ts";
import { normaliseForSplit } from "./hash-split.ts";
import { datasetName, loadDataset } from "./load.ts";
import { datasetFile, fixture, tempDir } from "./testing.ts";
import type { Dataset } from "./types.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** `perLabel` JSONL rows for each of the labels, unique texts. */
function jsonl(labels: string[], perLabel: number): string {
  return labels
    .flatMap((label) =>
      Array.from({ length: perLabel }, (_, i) => JSON.stringify({ text: `${label} says ${i}`, label })),
    )
    .join("\n");
}

const sizes = (d: Dataset) => [d.train.length, d.val.length, d.test.length];

describe("loadDataset with one file", () => {
  it("keeps the splits of a CLINC150 file", async () => {
    const d = await loadDataset({ data: fixture("tiny-clinc.json"), seed: 1 });
    expect(d.name).toBe("clinc150");
    expect(d.labels).toEqual(["balance", "freeze_account", "oos"]);
    expect(d.outOfScopeLabel).toBe("oos");
    expect(sizes(d)).toEqual([7, 3, 4]);
    expect(d.source).toContain("published splits");
  });

  it("splits a JSONL file stratified: test 0.2 of all, val 0.1 of the rest", async () => {
    const file = tmp.write("three.jsonl", jsonl(["a", "b", "c"], 50));
    const d = await loadDataset({ data: file, seed: 42 });
    expect(d.name).toBe("three");
    expect(d.outOfScopeLabel).toBeNull();
    expect(sizes(d)).toEqual([108, 12, 30]);
    for (const split of [d.train, d.val, d.test]) {
      expect(new Set(split.map((e) => e.label))).toEqual(new Set(["a", "b", "c"]));
    }
    expect(d.source).toMatch(/test: 0\.2 held out, stratified, seed 42; val: 0\.1/);
  });

  it("honours the fractions, is deterministic for a seed and changes with it", async () => {
    const file = tmp.write("two.jsonl", jsonl(["a", "b"], 100));
    const load = (seed: number) => loadDataset({ data: file, seed, testFraction: 0.5, valFraction: 0.5 });
    const [first, again, other] = await Promise.all([load(3), load(3), load(4)]);
    expect(sizes(first)).toEqual([50, 50, 100]);
    expect(again).toEqual(first);
    expect(other.test).not.toEqual(first.test);
  });

  it("reads a quoted CSV by header names", async () => {
    const d = await loadDataset({ data: fixture("tiny.csv"), seed: 1, name: "tiny" });
    const all = [...d.train, ...d.val, ...d.test];
    expect(d.name).toBe("tiny");
    expect(all).toHaveLength(4);
    expect(all.map((e) => e.text).sort()).toEqual([
      "Hello, world",
      'She said "hi"',
      "plain text",
      "two\r\nlines",
    ]);
  });

  it("gives a label-first headerless TSV the SMS hash split, quotes kept literally", async () => {
    const d = await loadDataset({ data: fixture("tiny.tsv"), textCol: "1", labelCol: "0", seed: 1 });
    expect(d.name).toBe("sms-spam");
    expect(d.source).toContain("hash of the normalised text");
    expect(sizes(d)).toEqual([9, 1, 2]);
    expect(d.test.map((e) => e.text)).toEqual([
      '"FREE" entry!! text WIN to 80086',
      'i\'ll be late, "traffic"',
    ]);
  });
});

describe("loadDataset with separate files", () => {
  it("uses the given files and carves val from train when it is missing", async () => {
    const train = tmp.write("train.jsonl", jsonl(["x", "y"], 20));
    const test = tmp.write("test.csv", 'label,text\nx,"x, again"\ny,why\n');
    const d = await loadDataset({ train, test, seed: 9, textCol: "text", labelCol: "label" });
    expect(sizes(d)).toEqual([36, 4, 2]);
    expect(d.test).toEqual([
      { text: "x, again", label: "x" },
      { text: "why", label: "y" },
    ]);
    expect(d.source).toContain(`train ${train}; test ${test}; val: 0.1`);
    // "train" names the part, not the data set: the folder does.
    expect(d.name).toBe(basename(dirname(train)));
  });

  it("rejects a val label that train never shows, naming the val file", async () => {
    const train = tmp.write("tr.jsonl", jsonl(["x", "y"], 5));
    const val = tmp.write("va.jsonl", jsonl(["x", "z"], 1));
    const test = tmp.write("te.jsonl", jsonl(["x"], 1));
    await expect(loadDataset({ train, val, test, seed: 1 })).rejects.toThrow(
      new DataError(val, null, 'val has label(s) "z" that never occur in train'),
    );
  });

  it("refuses a CLINC file as a train file", async () => {
    await expect(loadDataset({ train: fixture("tiny-clinc.json"), seed: 1 })).rejects.toThrow(
      /pass it as `data`/,
    );
  });
});

describe("a data set's name", () => {
  it("is its file's name, or its folder's when the file is only named for its part", () => {
    expect(datasetName("datasets/spam.csv")).toBe("spam");
    expect(datasetName("datasets/tickets/train.jsonl")).toBe("tickets");
    expect(datasetName("/data/support-intents/Test.TSV")).toBe("support-intents");
    expect(datasetName("data.csv")).toBe("data");
  });

  it("is --dataset-name when given", async () => {
    const train = tmp.write("train.jsonl", jsonl(["x", "y"], 20));
    expect((await loadDataset({ train, seed: 1, name: "tickets" })).name).toBe("tickets");
  });
});

describe("loadDataset errors", () => {
  it.each([
    ["bad.jsonl", '{"text": "a", "label": "x"}\n{"text": "b"}\n', 2, 'missing field "label"'],
    ["bad.csv", 'text,label\nok,a\n"broken,a\nmore,b\n', 3, "quoted field is never closed"],
    ["bad.tsv", "ham\tfine\nspam\ttoo\tmany\n", 2, "expected 2 columns, found 3"],
    ["bad.json", '{\n  "train": [\n    ["a", "x"]\n    ["b", "x"]\n  ]\n}', 4, "bad JSON"],
  ])("%s: names the file and the line", async (name, content, line, reason) => {
    const file = tmp.write(name, content);
    const options = name.endsWith(".tsv") ? { textCol: "1", labelCol: "0" } : {};
    const error = await loadDataset({ data: file, seed: 1, ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toContain(`${file}:${line}: ${reason}`);
  });

  it("names a file that cannot be read", async () => {
    await expect(loadDataset({ data: "/nonexistent/x.jsonl", seed: 1 })).rejects.toThrow(
      "/nonexistent/x.jsonl: cannot read file (ENOENT)",
    );
  });

  it("rejects inconsistent options", async () => {
    await expect(loadDataset({ seed: 1 })).rejects.toThrow(/either `data` or `train`/);
    await expect(loadDataset({ data: "a.jsonl", train: "b.jsonl", seed: 1 })).rejects.toThrow(/either/);
    await expect(loadDataset({ data: "a.jsonl", test: "b.jsonl", seed: 1 })).rejects.toThrow(
      /go with `train`/,
    );
    await expect(loadDataset({ data: "a.jsonl", seed: 1, valFraction: 1 })).rejects.toThrow(/valFraction/);
  });
});

describe("the shipped data sets", () => {
  it("CLINC150 full: 15,100 / 3,100 / 5,500 examples over 151 labels, oos last", async () => {
    const d = await loadDataset({ data: datasetFile("clinc150/data_full.json"), seed: 0 });
    expect(sizes(d)).toEqual([15_100, 3_100, 5_500]);
    expect(d.labels).toHaveLength(151);
    expect(d.labels.at(-1)).toBe("oos");
    expect(d.outOfScopeLabel).toBe("oos");
    expect(d.test.filter((e) => e.label === "oos")).toHaveLength(1_000);
  });

  it("SMS Spam Collection: 5,574 messages in the documented split, no text in two splits", async () => {
    const file = datasetFile("sms-spam/SMSSpamCollection.tsv");
    const d = await loadDataset({ data: file, seed: 0 });
    const again = await loadDataset({ data: file, seed: 123 });
    expect(d.name).toBe("sms-spam");
    expect(d.labels).toEqual(["ham", "spam"]);
    expect(d.outOfScopeLabel).toBeNull();
    // These sizes are written in datasets/sms-spam/README.md; change both together.
    expect(sizes(d)).toEqual([3_888, 521, 1_165]);
    expect(again).toEqual(d);
    const home = new Map<string, string>();
    for (const split of ["train", "val", "test"] as const) {
      for (const { text } of d[split]) {
        const key = normaliseForSplit(text);
        expect(home.get(key) ?? split, text).toBe(split);
        home.set(key, split);
      }
    }
  });
});
