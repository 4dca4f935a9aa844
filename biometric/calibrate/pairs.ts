// LFW pairs files (View 2 `pairs.txt`, `pairs_dev.txt`; View 1 `pairsDevTrain.txt`):
//   header   "F N"  (F folds of N matched + N mismatched pairs)   or   "N" (one set)
//   matched  "name i j"            mismatched  "name1 i name2 j"
// Image i of `name` is images/<name>/<name>_<iiii>.jpg.

export interface FacePair {
  fold: number;
  genuine: boolean;
  left: { name: string; index: number };
  right: { name: string; index: number };
}

export interface PairsFile {
  folds: number;
  pairsPerHalfFold: number;
  pairs: FacePair[];
}

function positiveInt(token: string | undefined, what: string, line: number): number {
  const value = Number(token);
  if (token === undefined || !/^\d+$/.test(token) || value < 1) {
    throw new Error(`pairs line ${line}: ${what} must be a positive integer, got ${JSON.stringify(token ?? '')}`);
  }
  return value;
}

function parsePair(fields: string[], line: number, fold: number): FacePair {
  if (fields.length === 3) {
    const name = fields[0];
    return {
      fold,
      genuine: true,
      left: { name, index: positiveInt(fields[1], 'image index', line) },
      right: { name, index: positiveInt(fields[2], 'image index', line) },
    };
  }
  if (fields.length === 4) {
    return {
      fold,
      genuine: false,
      left: { name: fields[0], index: positiveInt(fields[1], 'image index', line) },
      right: { name: fields[2], index: positiveInt(fields[3], 'image index', line) },
    };
  }
  throw new Error(`pairs line ${line}: expected "name i j" or "name1 i name2 j", got ${fields.length} fields`);
}

/** Parses and checks a pairs file; a malformed line is an error naming the line, never skipped. */
export function parsePairsFile(text: string): PairsFile {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const header = (lines[0] ?? '').split(/\s+/);
  const folds = header.length === 2 ? positiveInt(header[0], 'fold count', 1) : 1;
  const perHalf = positiveInt(header.length === 2 ? header[1] : header[0], 'pairs per fold', 1);
  if (header.length > 2) throw new Error('pairs line 1: expected "FOLDS PAIRS" or "PAIRS"');
  const body = lines.slice(1);
  if (body.length !== folds * perHalf * 2) {
    throw new Error(`pairs file declares ${folds} x ${perHalf} x 2 = ${folds * perHalf * 2} pairs, has ${body.length}`);
  }
  const pairs = body.map((l, i) => parsePair(l.split(/\s+/), i + 2, Math.floor(i / (perHalf * 2))));
  return { folds, pairsPerHalfFold: perHalf, pairs };
}

/** Relative path of a pair image inside an LFW images folder. */
export function lfwImagePath(side: { name: string; index: number }): string {
  return `${side.name}/${side.name}_${String(side.index).padStart(4, '0')}.jpg`;
}
