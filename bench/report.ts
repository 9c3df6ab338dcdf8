/** A line of the benchmark table (bench/run.ts prints and stores them). */
export interface BenchRow {
  benchmark: string;
  figure: string;
  value: string;
  goal?: string;
}

/** 1,000,000: sizes as people read them in the table. */
export const thousands = (n: number) => n.toLocaleString('en-US');
