import { readFile } from 'node:fs/promises';

/** Last `n` lines of a log file ('' if it cannot be read): shown when a component fails. */
export async function tailFile(file: string, n: number): Promise<string> {
  try {
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    return lines.slice(-n).join('\n');
  } catch {
    return '';
  }
}
