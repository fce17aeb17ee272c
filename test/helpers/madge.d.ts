/** The part of madge's API the architecture test uses (madge ships no types of its own). */
declare module "madge" {
  export interface MadgeConfig {
    fileExtensions?: string[];
    /** Path of the tsconfig.json whose paths and module resolution apply. */
    tsConfig?: string;
    /** Keep imports of npm packages in the graph, as paths into node_modules. */
    includeNpm?: boolean;
    detectiveOptions?: { ts?: { skipTypeImports?: boolean }; es6?: { skipTypeImports?: boolean } };
  }

  export interface MadgeResult {
    /** Each file (relative to the scanned folder) and the files it imports. */
    obj(): Record<string, string[]>;
    /** Every import cycle, as the files along it. */
    circular(): string[][];
    /** Imports madge could not resolve to a file. */
    warnings(): { skipped: string[] };
  }

  export default function madge(path: string, config?: MadgeConfig): Promise<MadgeResult>;
}
